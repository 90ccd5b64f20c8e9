"""Which language shoppers used, in the request log, the staff queue and the report,
with their requests kept as they wrote them (redacted as ever).

Turns go through a real Assistant over the demo store. Chinese understanding is other
work: the requests here are ones the placeholder already reads ("有没有 kayak 皮划艇？"
has an English word it can find), and the Chinese wording is what is kept and shown.
"""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path

import pytest
from textual.widgets import DataTable

from kiosk.assistant.pipeline import Assistant
from kiosk.assistant.record import record_turn
from kiosk.assistant.reply import Card, Intent, Reply
from kiosk.assistant.session import Session
from kiosk.catalog.repository import Catalog
from kiosk.catalog.requestlog import turns
from kiosk.config import Config, load
from kiosk.insights.charts import html_page
from kiosk.insights.report import build_report, format_report, write_csv
from kiosk.ops.staff import format_calls
from kiosk.text.language import EN, ZH
from kiosk.ui.staff import StaffApp, StaffScreen
from tests.conftest import kiosk

NOW = datetime(2026, 11, 20, 15, 0)


@pytest.fixture
def cfg(tmp_path: Path) -> Config:
    return load(env={"KIOSK_HOME": str(tmp_path), "KIOSK_LLM_BACKEND": "none"})


@pytest.fixture
def bot(demo_catalog: Catalog, cfg: Config) -> Assistant:
    assistant = Assistant(demo_catalog, cfg)
    assistant.log_requests = True
    return assistant


def test_each_turn_is_logged_with_its_language(bot: Assistant, demo_catalog: Catalog) -> None:
    s = Session()
    for text in ("有没有 SkyView 帐篷？", "show me tents", "有没有 kayak 皮划艇？"):
        bot.turn(s, text)
    logged = turns(demo_catalog.conn)
    assert [(t.text, t.lang) for t in logged] == [
        ("有没有 SkyView 帐篷？", ZH),
        ("show me tents", EN),
        ("有没有 kayak 皮划艇？", ZH),
    ]
    skyview, _tents, kayak = logged
    assert skyview.query == "有没有 skyview 帐篷" and not skyview.unmet, "found: met"
    assert kayak.unmet, "not sold, offered something near: unmet demand"


def test_chinese_requests_are_redacted_and_kept_as_written(demo_catalog: Catalog) -> None:
    reply = Reply(Intent.FIND_PRODUCT, "没有找到。", lang=ZH)
    record_turn(
        demo_catalog.conn,
        text="有没有独木舟？我的电话是 555-123-4567",
        reply=reply,
        session_token="t1",
        kiosk="k1",
    )
    [row] = turns(demo_catalog.conn)
    assert row.lang == ZH and row.text.startswith("有没有独木舟？") and "4567" not in row.text
    assert row.unmet and row.found == 0


def _log(catalog: Catalog, text: str, lang: str, found: int = 0, session: str = "s") -> None:
    products = [Card(str(i + 1), "x", 100, 1, "1", "A") for i in range(found)]
    reply = Reply(Intent.FIND_PRODUCT, "…", products, lang=lang)
    record_turn(catalog.conn, text=text, reply=reply, session_token=session, kiosk="k", now=NOW)


def test_the_report_shows_the_languages_and_the_chinese_wording(
    demo_catalog: Catalog, tmp_path: Path
) -> None:
    for i in range(3):
        _log(demo_catalog, "do you have kayaks?", EN, session=f"e{i}")
    _log(demo_catalog, "show me tents", EN, found=1)
    _log(demo_catalog, "有没有独木舟？", ZH, session="z1")
    _log(demo_catalog, "有没有独木舟？", ZH, session="z2")
    _log(demo_catalog, "有没有 SkyView 帐篷？", ZH, found=1, session="z3")
    _log(demo_catalog, "有没有 SkyView 帐篷？", ZH, found=1, session="z4")
    report = build_report(demo_catalog, now=NOW)
    assert report["languages"] == [
        {"lang": EN, "name": "English", "count": 4, "share": 0.5},
        {"lang": ZH, "name": "中文", "count": 4, "share": 0.5},
    ]
    unmet = {g["label"]: g for g in report["unmet_demand"]}
    assert set(unmet) == {"kayak", "有没有独木舟？"}, "met Chinese searches are not unmet"
    chinese = unmet["有没有独木舟？"]
    assert chinese["count"] == 2 and chinese["examples"] == ["有没有独木舟？"]
    assert chinese["langs"] == {ZH: 2} and unmet["kayak"]["langs"] == {EN: 3}
    top = {g["label"]: g["count"] for g in report["top_requests"]}
    assert top["有没有 SkyView 帐篷？"] == 2

    text = format_report(report)
    assert "Languages shoppers used: English 50% (4), 中文 50% (4)" in text
    assert '有没有独木舟？  e.g. "有没有独木舟？"' in text

    path = tmp_path / "report.csv"
    write_csv(report, path)
    with open(path, encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    languages = [(r["label"], r["count"]) for r in rows if r["section"] == "language"]
    assert languages == [("English", "4"), ("中文", "4")]
    assert any(r["label"] == "有没有独木舟？" for r in rows if r["section"] == "unmet demand")

    page = html_page(report, "Contoso Outdoors")
    assert "Languages shoppers used: English 50% (4), 中文 50% (4)" in page
    assert "<td>有没有独木舟？</td><td>2</td>" in page and "<td>中文</td>" in page


def test_a_report_with_no_requests_has_no_languages(demo_catalog: Catalog) -> None:
    report = build_report(demo_catalog, now=NOW)
    assert report["languages"] == []
    assert "Languages shoppers used" not in format_report(report)


def test_kiosk_insights_json_keeps_chinese_as_written(tmp_path: Path, demo_db: Path) -> None:
    (tmp_path / "catalog.sqlite3").write_bytes(demo_db.read_bytes())
    with Catalog.open(tmp_path / "catalog.sqlite3") as catalog:
        _log(catalog, "有没有独木舟？", ZH, session="z1")
    r = kiosk(tmp_path, "insights", "--json", "--days", "3650")
    assert r.returncode == 0, r.stderr
    assert "有没有独木舟？" in r.stdout, "not \\u escapes"
    report = json.loads(r.stdout)
    assert report["languages"][0]["name"] == "中文"


# -- staff calls ---------------------------------------------------------------------


def test_a_staff_call_records_the_shoppers_language(bot: Assistant, demo_catalog: Catalog) -> None:
    chinese = Session()
    bot.turn(chinese, "有没有 SkyView 帐篷？")
    assert bot.turn(chinese, "call staff 请帮我叫店员").intent == Intent.CALL_STAFF
    english = Session()
    bot.turn(english, "call staff")
    calls = demo_catalog.staff_calls()
    assert [c.lang for c in calls] == [ZH, EN]
    lines = format_calls(calls)
    assert "中文" in lines[0] and "English" in lines[1]
    with demo_catalog.write() as w:
        plain = w.add_staff_call("help at the kiosk", "k2")
    assert demo_catalog.staff_call(plain) is not None
    assert demo_catalog.staff_call(plain).lang == EN, "the default"  # type: ignore[union-attr]


def test_kiosk_calls_json_has_the_language(tmp_path: Path, demo_db: Path) -> None:
    (tmp_path / "catalog.sqlite3").write_bytes(demo_db.read_bytes())
    with Catalog.open(tmp_path / "catalog.sqlite3") as catalog, catalog.write() as w:
        w.add_staff_call("有没有独木舟？", "kiosk-1", lang=ZH)
    r = kiosk(tmp_path, "calls", "--json")
    assert r.returncode == 0, r.stderr
    [call] = json.loads(r.stdout)
    assert call["lang"] == ZH and call["looking_for"] == "有没有独木舟？"


async def test_the_staff_queue_shows_the_language(demo_catalog: Catalog, cfg: Config) -> None:
    app = StaffApp(cfg, demo_catalog)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, StaffScreen)
        table = screen.query_one("#call-table", DataTable)
        header = [str(c.label) for c in table.columns.values()]
        assert "language" not in header, "English only: the queue looks as it always did"
        with demo_catalog.write() as w:
            w.add_staff_call("show me tents", "kiosk-1")
            w.add_staff_call("有没有独木舟？", "kiosk-2", lang=ZH)
        screen.refresh_calls()
        await pilot.pause()
        header = [str(c.label) for c in table.columns.values()]
        assert header[-2:] == ["language", "looking for"]
        rows = [[str(v) for v in table.get_row_at(i)] for i in range(table.row_count)]
        assert [r[-2:] for r in rows] == [
            ["English", "show me tents"],
            ["中文", "有没有独木舟？"],
        ]


def test_a_call_asked_again_in_another_language_says_the_new_one(
    bot: Assistant, demo_catalog: Catalog
) -> None:
    s = Session()
    bot.turn(s, "call staff please")
    bot.turn(s, "请帮我叫店员")  # the same visit asks again, now in Chinese: the same call
    [call] = demo_catalog.staff_calls()
    assert call.lang == ZH

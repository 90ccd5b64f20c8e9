"""`kiosk train-data`: chat-format JSONL a trainer reads, from the store's own data, with
no personal data in it (the request log's redacted placeholders included)."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from kiosk.assistant.pipeline import Assistant
from kiosk.assistant.session import Session
from kiosk.catalog.repository import Catalog
from kiosk.config import load
from kiosk.llm.local import LocalLlama
from kiosk.ops.staff import approve_description
from kiosk.ops.traindata import write_jsonl
from tests.conftest import kiosk

PERSONAL = (
    "call me on 555-867-5309 about tents",
    "email jane.doe@example.com when the boots are back",
    "my card is 4111 1111 1111 1111, do you have stoves?",
    "my loyalty number is 7 show me backpacks",
)
# What must not appear anywhere in the file: the numbers and addresses themselves, and
# the request log's placeholders (a redacted request is still a shopper's own words).
LEAKS = re.compile(
    r"555-867-5309|jane\.doe|example\.com|4111|\[(?:phone|email|card|loyalty|number)\]"
)


def _lines(text: str) -> list[dict[str, list[dict[str, str]]]]:
    rows = [json.loads(line) for line in text.splitlines()]
    assert rows and all(set(r) == {"messages"} for r in rows)
    return rows


def _export(catalog: Catalog) -> tuple[str, str]:
    out = io.StringIO()
    export = write_jsonl(load(env={}), catalog, out)
    return out.getvalue(), export.summary("out.jsonl")


def test_pairs_a_trainer_reads_without_personal_data(demo_catalog: Catalog) -> None:
    shopper = Assistant(demo_catalog, load(env={"KIOSK_ASSISTANT_PHRASING": "off"}))
    shopper.log_requests = True
    for text in (*PERSONAL, "do you have hiking boots?", "12345678"):
        shopper.turn(Session(), text)
    stove = next(p for p in demo_catalog.all_products() if "Stove" in p.name)
    tent = next(p for p in demo_catalog.all_products() if "Tent" in p.name)
    approved = f"The {stove.name} is a compact stove for camp cooking."
    assert approve_description(demo_catalog, stove.id, approved, force=True)[0]
    with_phone = f"The {tent.name} sets up fast; questions: 555-867-5309."
    assert approve_description(demo_catalog, tent.id, with_phone, force=True)[0]

    text, summary = _export(demo_catalog)
    rows = _lines(text)
    for row in rows:
        assert [m["role"] for m in row["messages"]] == ["system", "user", "assistant"]
        assert all(isinstance(m["content"], str) and m["content"].strip() for m in row["messages"])
    assert not LEAKS.search(text), LEAKS.search(text)
    answers = [r["messages"][2]["content"] for r in rows]
    assert approved in answers, "the approved description is a pair"
    assert not any(tent.name in a and "sets up fast" in a for a in answers)
    users = "\n".join(r["messages"][1]["content"] for r in rows)
    assert "Shopper: do you have hiking boots?" in users, "a clean shopper request is kept"
    assert "12345678" not in users, "a bare number is never a request"
    assert "Shopper: where is the " in users and "Specs:" in users
    assert "approved descriptions" in summary and "shopper requests" in summary
    assert "staff corrections of replies: none" in summary
    assert len(rows) == len({json.dumps(r, sort_keys=True) for r in rows}), "no duplicates"


def test_the_export_writes_nothing_to_the_store(demo_catalog: Catalog) -> None:
    before = demo_catalog.conn.execute("SELECT total_changes()").fetchone()[0]
    calls = len(demo_catalog.staff_calls(open_only=False))
    _export(demo_catalog)
    assert len(demo_catalog.staff_calls(open_only=False)) == calls
    assert demo_catalog.conn.execute("SELECT total_changes()").fetchone()[0] == before


def test_the_command_writes_the_file(tmp_path: Path, demo_db: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "catalog.sqlite3").write_bytes(demo_db.read_bytes())
    out = tmp_path / "train.jsonl"
    done = kiosk(home, "train-data", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert f"training pairs to {out}" in done.stderr
    assert len(_lines(out.read_text("utf-8"))) >= 100
    assert not list(tmp_path.glob("*.part"))


@pytest.mark.slow
def test_every_pair_renders_with_the_models_chat_template(
    demo_catalog: Catalog, bundled_llm: LocalLlama
) -> None:
    """What a trainer does with each line: the base model's own chat template renders it
    (SmolLM2's ChatML), with every message's text in place."""
    text, _ = _export(demo_catalog)
    formatter = bundled_llm._formatter
    assert formatter is not None
    for row in _lines(text):
        prompt = formatter(messages=row["messages"]).prompt
        assert prompt.count("<|im_start|>") == 4  # three messages and the generation prompt
        assert all(m["content"] in prompt for m in row["messages"])

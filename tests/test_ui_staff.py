"""The staff console's import and technician tabs, on a real catalog file."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from textual.widgets import Button, Input, Label, ProgressBar, Static, TabbedContent
from textual.widgets._progress_bar import PercentageStatus

from kiosk.catalog.repository import Catalog
from kiosk.config import Config, load
from kiosk.speech import devices
from kiosk.ui.staff import StaffApp, StaffScreen
from tests.conftest import CONTOSO


def staff_cfg(home: Path) -> Config:
    cfg = load(env={"KIOSK_HOME": str(home)})
    return dataclasses.replace(cfg, ui=dataclasses.replace(cfg.ui, refresh_s=0.1))


@pytest.fixture
def demo_cfg(tmp_path: Path, demo_db: Path) -> Config:
    """A home holding a private copy of the demo store."""
    cfg = staff_cfg(tmp_path)
    cfg.catalog_path.write_bytes(demo_db.read_bytes())
    return cfg


async def run_import(app: StaffApp, pilot: object, path: str) -> str:
    screen = app.screen
    assert isinstance(screen, StaffScreen)
    screen.query_one(TabbedContent).active = "import"
    await pilot.pause()  # type: ignore[attr-defined]
    screen.query_one("#import-path", Input).value = path
    await pilot.click("#import-run")  # type: ignore[attr-defined]
    await app.workers.wait_for_complete()
    await pilot.pause()  # type: ignore[attr-defined]
    return str(screen.query_one("#import-report", Static).render())


async def test_import_tab_shows_what_changed_and_every_problem(
    tmp_path: Path, demo_cfg: Config
) -> None:
    """Issue 12/15: the report says what an import changed; a refused one lists every
    problem, and the progress bar says it failed instead of a never-ending "--%"."""
    with Catalog.open(demo_cfg.catalog_path) as catalog:
        app = StaffApp(demo_cfg, catalog)
        async with app.run_test(size=(120, 40)) as pilot:
            partial = tmp_path / "p.csv"
            partial.write_text("id,name,price\n1,TrailMaster X4 Tent,239.99\n")
            report = await run_import(app, pilot, str(partial))
            assert "Imported 1 products" in report
            assert "products: 1 updated (price)" in report
            assert "1 TrailMaster X4 Tent: price $250 -> $239.99" in report
            tent = catalog.product("1")
            assert tent is not None and (tent.brand, tent.category) == ("OutdoorLiving", "Tents")
            screen = app.screen
            bar = screen.query_one("#import-progress", ProgressBar)
            assert not bar.has_class("-failed") and bar.percentage == 1

            bad = tmp_path / "bad.csv"
            bad.write_text(
                "id,name,price,stock\nA1,Good,10,1\nA2,Bad [/] Tent,-5,1\nA3,Mug,0.001,1\n"
                "A4,Stove,5,lots\n"
            )
            report = await run_import(app, pilot, str(bad))
            assert "Not imported; the catalog is unchanged" in report
            assert "3 problems" in report
            for where in (
                "line 3, field 'price'",
                "line 4, field 'price'",
                "line 5, field 'stock'",
            ):
                assert where in report, report
            assert catalog.product("A1") is None
            assert bar.has_class("-failed")
            assert str(screen.query_one("#import-outcome", Label).render()) == "Failed: 3 problems"
            percentage = bar.query_one(PercentageStatus)
            assert not percentage.display or str(percentage.render()) != "--%"

            # The next import clears the failure.
            report = await run_import(app, pilot, str(partial))
            assert "products: 1 unchanged" in report and not bar.has_class("-failed")


async def test_import_from_the_console_with_a_report(tmp_path: Path) -> None:
    cfg = staff_cfg(tmp_path)
    with Catalog.open(cfg.catalog_path) as catalog:
        app = StaffApp(cfg, catalog)
        async with app.run_test(size=(100, 30)) as pilot:
            report = await run_import(app, pilot, str(CONTOSO))
            assert "Imported 20 products" in report
            assert catalog.stats().products == 20
            assert not app.screen.query_one("#import-run", Button).disabled
            bad = tmp_path / "bad.csv"
            bad.write_text("id,name,price\nA1,Good Tent,10\nA2,Bad Tent,-5\n")
            report = await run_import(app, pilot, str(bad))
            assert "Not imported; the catalog is unchanged" in report
            assert "line 3" in report and "price" in report
            assert catalog.stats().products == 20
            assert catalog.product("A1") is None
            report = await run_import(app, pilot, str(tmp_path / "missing.csv"))
            assert "Not imported" in report and "missing.csv" in report


async def test_technician_tab_shows_models_audio_and_tests(demo_cfg: Config) -> None:
    from kiosk.assistant.pipeline import Assistant
    from kiosk.assistant.session import Session

    cfg = demo_cfg
    with Catalog.open(cfg.catalog_path) as kiosk_db:  # the kiosk, in "another process"
        shopper = Assistant(kiosk_db, cfg)
        shopper.log_requests = True
        shopper.turn(Session(), "where are the tents?")
    with Catalog.open(cfg.catalog_path) as catalog:
        app = StaffApp(cfg, catalog)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = app.screen
            screen.query_one(TabbedContent).active = "tech"
            await pilot.pause()
            info = str(screen.query_one("#tech-info", Static).render())
            assert "20 products" in info
            assert "model llm:" in info and "model asr:" in info and "model tts:" in info
            assert "audio: " in info
            assert "last turns (ms):" in info and "understand" in info
            if not devices.input_available():
                await pilot.click("#test-mic")
                await app.workers.wait_for_complete()
                await pilot.pause()
                result = str(screen.query_one("#test-result", Label).render())
                assert result.startswith("Microphone: FAILED") and "microphone" in result
            if not devices.output_available():
                await pilot.click("#test-speaker")
                await app.workers.wait_for_complete()
                await pilot.pause()
                result = str(screen.query_one("#test-result", Label).render())
                assert result.startswith("Speaker: FAILED") and "speaker" in result


async def test_attribute_edit_reaches_search(demo_cfg: Config) -> None:
    from kiosk.ops.staff import set_attribute

    cfg = demo_cfg
    with Catalog.open(cfg.catalog_path) as catalog:

        def search_text() -> str:
            row = catalog.conn.execute(
                "SELECT extra FROM product_fts WHERE rowid = "
                "(SELECT num FROM products WHERE id = '1')"
            ).fetchone()
            return str(row[0])

        before = search_text()
        assert "1" not in [h.product_id for h in catalog.search("tangerine")]
        assert set_attribute(catalog, "1", "Accent colour", "tangerine").startswith("Saved")
        product = catalog.product("1")
        assert product is not None and product.attributes["accent_colour"] == "tangerine"
        assert [h.product_id for h in catalog.search("tangerine")] == ["1"]
        after = search_text()
        assert "accent colour tangerine" in after
        for word in before.split():
            assert word in after, "the rest of its search text stays"
        assert len(after) < len(before) + 40, "nothing doubled"
        assert set_attribute(catalog, "1", "accent colour", "").startswith("Removed")
        assert catalog.search("tangerine") == []
        assert set_attribute(catalog, "1", "!!", "x").startswith("Not saved")
        assert set_attribute(catalog, "1", "nothing_here", "").startswith("Not saved")


async def test_description_draft_is_checked_then_approved(demo_cfg: Config) -> None:
    cfg = demo_cfg
    with Catalog.open(cfg.catalog_path) as catalog:
        app = StaffApp(cfg, catalog)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = app.screen
            assert isinstance(screen, StaffScreen)
            screen.query_one(TabbedContent).active = "catalog"
            await pilot.pause()
            screen.selected = "1"
            screen.query_one("#describe", Button).press()
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            from textual.widgets import TextArea

            box = screen.query_one("#draft-text", TextArea)
            assert screen.query_one("#draft-box").display
            assert "TrailMaster X4 Tent" in box.text
            box.text = "The TrailMaster X4 Tent sleeps 9 and weighs 2 lbs."  # a staff typo
            screen.query_one("#draft-approve", Button).press()
            await pilot.pause()
            status = str(screen.query_one("#edit-status", Label).render())
            assert status.startswith("Not saved")
            assert catalog.product("1").description != box.text  # type: ignore[union-attr]
            box.text = "The TrailMaster X4 Tent is a 4-person tent that weighs 12 lbs."
            screen.query_one("#draft-approve", Button).press()
            await pilot.pause()
            assert "Saved the description" in str(screen.query_one("#edit-status", Label).render())
            assert catalog.product("1").description == box.text  # type: ignore[union-attr]


async def test_insights_tab_shows_what_shoppers_asked(demo_cfg: Config) -> None:
    from kiosk.assistant.pipeline import Assistant
    from kiosk.assistant.session import Session

    cfg = demo_cfg
    with Catalog.open(cfg.catalog_path) as catalog:
        assistant = Assistant(catalog, cfg)
        assistant.log_requests = True
        for text in ("do you have kayaks?", "inflatable kayak", "a kayak", "tents"):
            assistant.turn(Session(), text)
        app = StaffApp(cfg, catalog)
        async with app.run_test(size=(120, 40)) as pilot:
            app.screen.query_one(TabbedContent).active = "insights"
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            report = str(app.screen.query_one("#insights-report", Static).render())
            assert "kayak" in report.lower()
            await pilot.click("#insights-csv")
            await pilot.pause()
            written = list(cfg.home_path.glob("insights-*.csv"))
            assert len(written) == 1 and "kayak" in written[0].read_text().lower()


async def test_esc_in_the_standalone_console_asks_before_closing(demo_cfg: Config) -> None:
    """Issue 15: one Esc in `kiosk staff` used to close the whole console."""
    with Catalog.open(demo_cfg.catalog_path) as catalog:
        app = StaffApp(demo_cfg, catalog)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await pilot.press("escape")
            await pilot.pause()
            assert app.is_running and isinstance(app.screen, StaffScreen)
            assert any("Esc again" in str(n.message) for n in app._notifications)
            await pilot.press("escape")
            await pilot.pause()
            assert not app.is_running


async def test_a_long_microphone_error_wraps_on_the_technician_tab(demo_cfg: Config) -> None:
    """Issue 15: the Technician tab cut the microphone error mid-word."""
    message = (
        "Microphone: FAILED - no input device: PortAudio found no microphone; plug one in "
        "or set speech.input_device (kiosk doctor lists the devices it sees)"
    )
    with Catalog.open(demo_cfg.catalog_path) as catalog:
        app = StaffApp(demo_cfg, catalog)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, StaffScreen)
            screen.query_one("TabbedContent").active = "tech"
            await pilot.pause()
            screen._test_result(message)
            await pilot.pause()
            label = screen.query_one("#test-result")
            assert label.region.right <= app.size.width, "wider than the screen: cut"
            lines = [strip.text.rstrip() for strip in label.render_lines(label.region.reset_offset)]
            shown = " ".join(line.strip() for line in lines if line.strip())
            assert shown == message and len(lines) > 1, lines


def test_waiting_time_in_staff_words() -> None:
    from kiosk.ops.staff import waiting

    at = "2026-11-23T16:05:00Z"
    base = 1_795_449_900.0  # 16:05:00 UTC that day
    assert waiting(at, now=base + 20) == "just now"
    assert waiting(at, now=base + 4 * 60 + 5) == "4 min"
    assert waiting(at, now=base + 65 * 60) == "1 h 05"
    assert waiting("not a time", now=base) == ""


async def test_staff_correct_a_logged_requests_intent(demo_cfg: Config) -> None:
    """The Insights tab lists what shoppers asked as the kiosk took it; staff correct one."""
    from textual.widgets import DataTable

    from kiosk.assistant.pipeline import Assistant
    from kiosk.assistant.session import Session

    cfg = demo_cfg
    with Catalog.open(cfg.catalog_path) as catalog:
        assistant = Assistant(catalog, cfg)
        assistant.log_requests = True
        assistant.turn(Session(), "tents")
        assistant.turn(Session(), "can somebody fix the gears on my bike")
        assistant.turn(Session(), "有没有帐篷")
        app = StaffApp(cfg, catalog)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = app.screen
            screen.query_one(TabbedContent).active = "insights"
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            table = screen.query_one("#request-table", DataTable)
            assert table.row_count == 3
            newest = [str(cell) for cell in table.get_row_at(0)]  # newest first
            assert newest[3:] == ["中文", "有没有帐篷"], "the language shoppers used, as said"
            older = [str(cell) for cell in table.get_row_at(1)]
            assert older[3] == "English" and "bike" in older[4]
            table.move_cursor(row=1)
            box = screen.query_one("#label-intent", Input)
            box.value = "call_someone"
            await pilot.click("#label-save")
            await pilot.pause()
            status = str(screen.query_one("#label-status", Label).render())
            assert "Not saved" in status and "unknown intent" in status
            box.value = "call_staff"
            box.focus()
            await pilot.press("enter")  # Enter in the box saves too
            await pilot.pause()
            status = str(screen.query_one("#label-status", Label).render())
            assert status.startswith("#") and "-> call_staff" in status, status
    saved = (cfg.home_path / "intents" / "corrections.csv").read_text(encoding="utf-8")
    assert saved.splitlines() == ["text,intent", "can somebody fix the gears on my bike,call_staff"]

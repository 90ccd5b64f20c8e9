"""The staff console's import and technician tabs, on a real catalog file."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from textual.widgets import Button, Input, Label, Static, TabbedContent

from kiosk.catalog.repository import Catalog
from kiosk.config import Config, load
from kiosk.speech import devices
from kiosk.ui.staff import StaffApp, StaffScreen
from tests.conftest import CONTOSO


def staff_cfg(home: Path) -> Config:
    cfg = load(env={"KIOSK_HOME": str(home)})
    return dataclasses.replace(cfg, ui=dataclasses.replace(cfg.ui, refresh_s=0.1))


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


async def test_technician_tab_shows_models_audio_and_tests(tmp_path: Path, demo_db: Path) -> None:
    cfg = staff_cfg(tmp_path)
    cfg.catalog_path.write_bytes(demo_db.read_bytes())
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

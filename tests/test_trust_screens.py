"""What a shopper can type, or a catalog can hold, never breaks a screen; the staff
console on the public screen locks; a PIN typed during a lockout goes nowhere."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Static

from kiosk.catalog.repository import Catalog
from kiosk.config import Config
from kiosk.ops.staffauth import hash_pin
from kiosk.ui.shopper import ProductCard, ShopperApp
from kiosk.ui.staff import PinScreen, StaffApp, StaffScreen
from tests.conftest import kiosk
from tests.screens import screen_cfg, type_request

MARKUP = ["[/]", "[b]", "[red]x[/red]", "[link=x]", "\\[", "[/b] ]["]


@pytest.fixture
def cfg(tmp_path: Path) -> Config:
    return screen_cfg(tmp_path)


def shown(app: ShopperApp) -> str:
    return "\n".join(str(s.render()) for s in app.query("Static").results(Static))


async def test_markup_typed_by_a_shopper_is_shown_as_typed(
    demo_catalog: Catalog, cfg: Config
) -> None:
    app = ShopperApp(cfg, demo_catalog)
    async with app.run_test(size=(80, 24)) as pilot:
        for text in MARKUP:
            await type_request(app, pilot, text)
            assert app.is_running, f"{text!r} closed the screen"
            assert f"You: {text}" in shown(app)


async def test_a_product_name_with_markup_is_shown(demo_catalog: Catalog, cfg: Config) -> None:
    with demo_catalog.write() as w:
        w.upsert_product(
            dataclasses.replace(
                next(iter(_records(demo_catalog))), id="99", name="Zephyr [/] Lantern"
            )
        )
    app = ShopperApp(cfg, demo_catalog)
    async with app.run_test(size=(120, 40)) as pilot:
        await type_request(app, pilot, "zephyr lantern")
        assert app.is_running
        names = [c.card.name for c in app.query(ProductCard)]
        assert "Zephyr [/] Lantern" in names
        card = next(c for c in app.query(ProductCard) if c.card.id == "99")
        assert "Zephyr [/] Lantern" in str(card.render())


def _records(catalog: Catalog) -> list[object]:
    from kiosk.catalog.records import ProductRecord

    p = catalog.product("1")
    assert p is not None
    return [
        ProductRecord(
            id=p.id,
            name=p.name,
            price_cents=p.price_cents,
            brand="Lumen",
            category="Lanterns",
            description="A lantern.",
            stock=3,
            aisle="2",
            shelf="A",
        )
    ]


async def test_a_staff_call_with_markup_opens_in_the_console(
    demo_catalog: Catalog, cfg: Config
) -> None:
    app = ShopperApp(cfg, demo_catalog)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_request(app, pilot, "[/] tents [b]now")
        await type_request(app, pilot, "call staff")
    assert any("[/]" in c.looking_for for c in demo_catalog.staff_calls())
    console = StaffApp(cfg, demo_catalog)
    async with console.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert console.screen.query_one("#call-table", DataTable).row_count == 1
        assert console.is_running


async def test_the_console_shows_calls_and_products_with_markup(
    demo_catalog: Catalog, cfg: Config
) -> None:
    with demo_catalog.write() as w:
        w.add_staff_call("[/] help [red]me", "entrance")
        w.set_location("1", "[/]", "[b]")
    app = StaffApp(cfg, demo_catalog)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#call-table", DataTable)
        assert table.row_count == 1
        assert "[/] help [red]me" in [str(c) for c in table.get_row_at(0)]
        assert app.is_running


async def test_the_console_locks_when_staff_walk_away(demo_catalog: Catalog, cfg: Config) -> None:
    locking = dataclasses.replace(
        cfg, ui=dataclasses.replace(cfg.ui, staff_pin_hash=hash_pin("4321"), staff_idle_lock_s=1.0)
    )
    app = ShopperApp(locking, demo_catalog)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f9")
        await pilot.pause()
        for key in "4321":
            await pilot.press(key)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, StaffScreen)
        await pilot.pause(2.5)
        assert not isinstance(app.screen, StaffScreen), "prices and import left on screen"
        await pilot.press("f9")
        await pilot.pause()
        assert isinstance(app.screen, PinScreen), "coming back asks for the PIN again"


async def test_a_pin_typed_during_the_lockout_goes_nowhere(
    demo_catalog: Catalog, cfg: Config
) -> None:
    guarded = dataclasses.replace(
        cfg, ui=dataclasses.replace(cfg.ui, staff_pin_hash=hash_pin("4321"), pin_attempts=2)
    )
    app = ShopperApp(guarded, demo_catalog)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f9")
        await pilot.pause()
        for _ in range(2):
            for key in "0000":
                await pilot.press(key)
            await pilot.press("enter")
            await pilot.pause()
        assert isinstance(app.screen, PinScreen), "the lockout is shown, not closed"
        assert "Locked for" in str(app.screen.query_one("#pin-status").render())
        for key in "4321":
            await pilot.press(key)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PinScreen), "the right PIN during a lockout opens nothing"
        await pilot.press("escape")
        await pilot.pause()
        assert app.query_one("#ask", Input).value == "", "nothing reached the request box"
        await app.workers.wait_for_complete()
    with sqlite3.connect(demo_catalog.path or "") as conn:
        logged = [r[0] for r in conn.execute("SELECT text FROM request_log")]
    assert not any("4321" in t or "0000" in t for t in logged)


def test_a_request_may_start_with_a_dash(tmp_path: Path, demo_db: Path) -> None:
    (tmp_path / "catalog.sqlite3").write_bytes(demo_db.read_bytes())
    r = kiosk(tmp_path, "ask", "--no-llm", "-tent", "--json")
    assert r.returncode == 0, r.stderr
    assert '"intent": "find_product"' in r.stdout and "Tent" in r.stdout


def test_a_long_request_is_cut_politely_not_echoed(tmp_path: Path, demo_db: Path) -> None:
    (tmp_path / "catalog.sqlite3").write_bytes(demo_db.read_bytes())
    long = "do you sell kayaks " + "x" * 10_000
    r = kiosk(tmp_path, "ask", "--no-llm", long)
    assert r.returncode == 0, r.stderr
    assert len(r.stdout) < 600, "the request was echoed back"
    assert "long request" in r.stdout

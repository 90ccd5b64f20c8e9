"""The shopper screen driven like a person: type, read cards, call staff, walk away."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest
from textual.widgets import Static

from kiosk.assistant.reply import Reply
from kiosk.catalog.repository import Catalog
from kiosk.config import Config
from kiosk.ui.shopper import CALM_ERROR, ProductCard, ShopperApp
from tests.screens import cards, said, screen_cfg, type_request


@pytest.fixture
def cfg(tmp_path: Path) -> Config:
    return screen_cfg(tmp_path)


async def test_type_a_request_and_see_the_right_cards(demo_catalog: Catalog, cfg: Config) -> None:
    app = ShopperApp(cfg, demo_catalog)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_request(app, pilot, "tents under 300 dollars")
        assert set(cards(app)) == {"TrailMaster X4 Tent", "SkyView 2-Person Tent"}
        assert "$250" in said(app)
        await type_request(app, pilot, "cheaper ones?")
        assert cards(app) == ["SkyView 2-Person Tent"]
        await type_request(app, pilot, "where is it?")
        assert "aisle 1, shelf C" in said(app)


async def test_call_staff_reaches_the_staff_queue(demo_catalog: Catalog, cfg: Config) -> None:
    app = ShopperApp(cfg, demo_catalog)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_request(app, pilot, "sleeping bags")
        await pilot.click("#call")
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert demo_catalog.path is not None
    with Catalog.open(demo_catalog.path) as staff:  # the staff console's own connection
        queue = staff.staff_calls()
    assert len(queue) == 1 and "Sleeping Bag" in queue[0].looking_for


async def test_staff_price_edit_shows_on_the_cards(demo_catalog: Catalog, cfg: Config) -> None:
    app = ShopperApp(cfg, demo_catalog)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_request(app, pilot, "TrailMaster X4 Tent")
        assert demo_catalog.path is not None
        with Catalog.open(demo_catalog.path) as staff, staff.write() as w:
            w.set_price("1", 22999)
        await pilot.pause(0.3)
        card = next(c for c in app.query(ProductCard) if c.card.id == "1")
        assert card.card.price_cents == 22999
        assert "$229.99" in str(card.render())


async def test_lockdown_keys_do_nothing(demo_catalog: Catalog, cfg: Config) -> None:
    app = ShopperApp(cfg, demo_catalog)
    async with app.run_test(size=(80, 24)) as pilot:
        for key in ("ctrl+q", "ctrl+c", "ctrl+z", "ctrl+backslash", "ctrl+p"):
            await pilot.press(key)
        await pilot.pause()
        assert app.is_running
        assert len(app.screen_stack) == 1, "no command palette or other screen opened"


async def test_idle_wipes_the_conversation(demo_catalog: Catalog, cfg: Config) -> None:
    short = dataclasses.replace(
        cfg, assistant=dataclasses.replace(cfg.assistant, idle_timeout_s=0.5)
    )
    app = ShopperApp(short, demo_catalog)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_request(app, pilot, "show me tents")
        assert cards(app) and app.session.shown
        await pilot.pause(1.8)
        assert cards(app) == [] and app.session.shown == []
        assert not list(app.query(".shopper"))
        assert "welcome" in said(app).lower()


async def test_start_over_button(demo_catalog: Catalog, cfg: Config) -> None:
    app = ShopperApp(cfg, demo_catalog)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_request(app, pilot, "show me tents")
        await pilot.click("#reset")
        await pilot.pause()
        assert cards(app) == [] and app.session.turns == 0


async def test_worker_error_is_shown_calmly(demo_catalog: Catalog, cfg: Config) -> None:
    app = ShopperApp(cfg, demo_catalog)

    def broken_turn(*_args: object, **_kw: object) -> Reply:
        # A fake fault: the real assistant doesn't raise for anything a shopper types,
        # so an internal failure is simulated to check the screen recovers.
        raise RuntimeError("disk on fire")

    app.assistant.turn = broken_turn  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        await type_request(app, pilot, "tents")
        assert CALM_ERROR in said(app)
        assert "disk on fire" not in said(app)
        assert str(app.query_one("#state", Static).render()) == "Ready"
        assert app.is_running


async def test_unlocked_screen_quits_on_ctrl_q(demo_catalog: Catalog, cfg: Config) -> None:
    dev = dataclasses.replace(cfg, ui=dataclasses.replace(cfg.ui, locked=False))
    app = ShopperApp(dev, demo_catalog)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert not app.is_running


# -- the staff console ------------------------------------------------------------------


def with_pin(cfg: Config, pin: str = "4321") -> Config:
    from kiosk.ops.staffauth import hash_pin

    return dataclasses.replace(cfg, ui=dataclasses.replace(cfg.ui, staff_pin_hash=hash_pin(pin)))


async def test_call_staff_shows_up_live_in_a_separate_console(
    demo_catalog: Catalog, cfg: Config
) -> None:
    from textual.widgets import DataTable

    from kiosk.ui.staff import StaffApp

    assert demo_catalog.path is not None
    with Catalog.open(demo_catalog.path) as staff_db:
        console = StaffApp(cfg, staff_db)
        async with console.run_test(size=(100, 30)) as staff_pilot:
            table = console.screen.query_one("#call-table", DataTable)
            assert table.row_count == 0
            kiosk = ShopperApp(cfg, demo_catalog)
            async with kiosk.run_test(size=(80, 24)) as pilot:
                await type_request(kiosk, pilot, "can I talk to a person")
            await staff_pilot.pause(0.4)
            assert table.row_count == 1
            labels = [str(c.label) for c in table.columns.values()]
            assert labels[:3] == ["#", "status", "waiting"], "status first: never scrolled off"
            assert [str(v) for v in table.get_row_at(0)[1:3]] == ["open", "just now"]
            await staff_pilot.click("#ack")
            await staff_pilot.pause()
            assert staff_db.staff_calls()[0].status == "acknowledged"
            console.screen.refresh_calls()
            assert str(table.get_row_at(0)[1]) == "acknowledged"


async def test_pin_guards_the_console_and_edits_reach_the_shopper(
    demo_catalog: Catalog, cfg: Config
) -> None:
    from kiosk.ops.staff import save_edit
    from kiosk.ui.staff import PinScreen, StaffScreen

    app = ShopperApp(with_pin(cfg), demo_catalog)
    async with app.run_test(size=(100, 30)) as pilot:
        await type_request(app, pilot, "TrailMaster X4 Tent")
        await pilot.press("f9")
        await pilot.pause()
        assert isinstance(app.screen, PinScreen)
        for key in "0000":
            await pilot.press(key)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PinScreen), "a wrong PIN opens nothing"
        for key in "4321":
            await pilot.press(key)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, StaffScreen)
        staff = app.screen
        assert "Not saved" in save_edit(
            staff.catalog, "1", price="-3", stock="2", aisle="1", shelf="A"
        )
        assert "Not saved" in save_edit(
            staff.catalog, "1", price="199", stock="lots", aisle="1", shelf="A"
        )
        assert "Saved" in save_edit(
            staff.catalog, "1", price="199.50", stock="4", aisle="9", shelf="D"
        )
        await pilot.press("escape")
        await pilot.pause(0.3)
        card = next(c for c in app.query(ProductCard) if c.card.id == "1")
        assert card.card.price_cents == 19950 and card.card.aisle == "9"


async def test_no_pin_configured_means_f9_does_nothing(demo_catalog: Catalog, cfg: Config) -> None:
    app = ShopperApp(cfg, demo_catalog)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f9")
        await pilot.pause()
        assert len(app.screen_stack) == 1


# -- streaming, compare, speech ----------------------------------------------------------


async def test_reply_streams_in_facts_first(
    demo_catalog: Catalog, cfg: Config, bundled_llm: object
) -> None:
    seen: list[str] = []
    app = ShopperApp(cfg, demo_catalog, chat=bundled_llm)  # type: ignore[arg-type]
    stream_text = app.stream_text

    def watch(text: str) -> None:
        seen.append(text)
        stream_text(text)

    app.stream_text = watch  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        await type_request(app, pilot, "tents under 300 dollars")
        assert seen, "the reply was not streamed"
        assert "$250" in seen[0], "the checked facts come first"
        last = list(app.query(".kiosk").results(Static))[-1]
        assert str(last.render()) == seen[-1], "the screen ends on the final, checked text"
        assert "$250" in seen[-1]
        assert not list(app.query(".pending")), "the streamed reply was finalized"


async def test_compare_is_shown_side_by_side(demo_catalog: Catalog, cfg: Config) -> None:
    from textual.widgets import DataTable

    app = ShopperApp(cfg, demo_catalog)
    async with app.run_test(size=(100, 30)) as pilot:
        await type_request(
            app, pilot, "compare the TrailMaster X4 Tent and the Alpine Explorer Tent"
        )
        table = app.query_one("#compare", DataTable)
        assert table.display and not app.query_one("#cards").display
        assert [str(c.label) for c in table.columns.values()] == [
            "",
            "TrailMaster X4 Tent",
            "Alpine Explorer Tent",
        ]
        rows = {
            str(table.get_row_at(i)[0]): [str(c) for c in table.get_row_at(i)[1:]]
            for i in range(table.row_count)
        }
        assert rows["price"] == ["$250", "$350"]
        await type_request(app, pilot, "show me sleeping bags")
        assert not table.display and cards(app)


async def test_without_a_microphone_the_screen_says_so_once_and_types(
    demo_catalog: Catalog, cfg: Config
) -> None:
    from kiosk.speech import devices
    from kiosk.ui.shopper import NO_MICROPHONE

    if devices.input_available():
        pytest.skip("this machine has a microphone")
    app = ShopperApp(cfg, demo_catalog, speech=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert said(app).count(NO_MICROPHONE) == 1
        assert not app.query_one("#talk").display
        await pilot.press("f5")
        await pilot.pause()
        assert said(app).count(NO_MICROPHONE) == 1, "said once, not at every press"
        await type_request(app, pilot, "where are the tents?")
        assert "aisle 1" in said(app).lower()
        assert any("microphone" in p for p in app.speech_problems)


async def test_systemd_hears_ready_then_watchdog_pings(
    demo_catalog: Catalog, cfg: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify"))
    sock.setblocking(False)
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "notify"))
    monkeypatch.setenv("WATCHDOG_USEC", "200000")  # ping every 0.1 s
    monkeypatch.delenv("WATCHDOG_PID", raising=False)

    def received() -> list[str]:
        out = []
        while True:
            try:
                out.append(sock.recv(4096).decode())
            except BlockingIOError:
                return out

    app = ShopperApp(cfg, demo_catalog, speech=True)  # loads whisper first: READY waits
    async with app.run_test(size=(80, 24)) as pilot:
        first = received()
        assert not any("READY=1" in m for m in first), "ready before speech was loaded"
        for _ in range(100):
            await pilot.pause(0.1)
            if not app._loading:
                break
        await pilot.pause(0.35)
        messages = first + received()
        time.sleep(0.6)  # this coroutine runs on the screen's loop: the screen is frozen
        assert received() == [], "no watchdog ping while the event loop is blocked"
        await pilot.pause(0.35)
        assert "WATCHDOG=1" in received(), "pings resume with the loop"
    messages += received()
    sock.close()
    ready = [i for i, m in enumerate(messages) if m.startswith("READY=1")]
    assert len(ready) == 1
    assert messages.count("WATCHDOG=1") >= 2
    assert messages[-1] == "STOPPING=1"


async def test_tapping_a_follow_up_asks_it(demo_catalog: Catalog, cfg: Config) -> None:
    """Issue 15: next steps under a reply ("Cheaper", "Where is it?", "Compare",
    "What goes with it?"); a tap asks it, and typing goes on in the input."""
    from textual.widgets import Button, Input, Static

    app = ShopperApp(cfg, demo_catalog)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_request(app, pilot, "a tent for 4 people")
        labels = [str(b.label) for b in app.query(".followup").results(Button)]
        assert labels == ["Cheaper", "Where is it?", "What goes with it?"]
        await pilot.click("#followups .followup")  # the first: Cheaper
        await app.workers.wait_for_complete()
        await pilot.pause()
        asked = [str(w.render()) for w in app.query(".shopper").results(Static)]
        assert asked[-1] == "You: cheaper ones?"
        assert "The cheapest tent we have is the SkyView 2-Person Tent" in said(app)
        assert app.focused is app.query_one("#ask", Input)
        await type_request(app, pilot, "show me tents")
        labels = [str(b.label) for b in app.query(".followup").results(Button)]
        assert "Compare" in labels and "Where is it?" not in labels
        await pilot.click("#reset")
        await pilot.pause()
        assert not app.query_one("#followups").display

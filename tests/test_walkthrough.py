"""The walkthrough's findings (shopper screen, staff calls), each as a shopper meets it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Static

from kiosk.assistant.pipeline import Assistant
from kiosk.assistant.reply import Intent
from kiosk.assistant.session import Session
from kiosk.catalog.repository import Catalog
from kiosk.config import Config, load
from kiosk.ui.shopper import ON_THE_WAY, STILL_THERE, ProductCard, ShopperApp


@pytest.fixture
def cfg(tmp_path: Path) -> Config:
    cfg = load(env={"KIOSK_HOME": str(tmp_path), "KIOSK_ASSISTANT_PHRASING": "off"})
    return dataclasses.replace(cfg, ui=dataclasses.replace(cfg.ui, refresh_s=0.1))


async def ask(app: ShopperApp, pilot: object, text: str) -> None:
    app.query_one("#ask", Input).value = text
    await pilot.press("enter")  # type: ignore[attr-defined]
    await app.workers.wait_for_complete()
    await pilot.pause()  # type: ignore[attr-defined]


def said(app: ShopperApp) -> str:
    return "\n".join(str(s.render()) for s in app.query(".kiosk").results(Static))


async def test_call_staff_once_per_visit_and_hear_when_someone_comes(
    demo_catalog: Catalog, cfg: Config
) -> None:
    app = ShopperApp(cfg, demo_catalog)
    async with app.run_test(size=(80, 24)) as pilot:
        await ask(app, pilot, "show me tents")
        await pilot.click("#call")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.focused is app.query_one("#ask"), "typing goes on after Call staff"
        await pilot.pause(0.3)  # past the button's press effect, as a second press would be
        await pilot.click("#call")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "already called" in said(app)
        calls = demo_catalog.staff_calls()
        assert len(calls) == 1, "one open call per visit"
        assert "tent" in calls[0].looking_for.lower(), "the reason is what was wanted"
        with Catalog.open(demo_catalog.path or "") as staff, staff.write() as w:
            w.set_staff_call_status(calls[0].id, "acknowledged")  # the console, elsewhere
        await pilot.pause(0.4)
        assert said(app).count(ON_THE_WAY) == 1


async def test_a_later_answer_replaces_an_old_comparison(
    demo_catalog: Catalog, cfg: Config
) -> None:
    app = ShopperApp(cfg, demo_catalog)
    async with app.run_test(size=(100, 30)) as pilot:
        await ask(app, pilot, "compare the TrailMaster X4 Tent and the Alpine Explorer Tent")
        assert app.query_one("#compare", DataTable).display
        await ask(app, pilot, "what are your opening hours?")
        assert not app.query_one("#compare", DataTable).display


async def test_still_there_is_asked_before_the_idle_wipe(
    demo_catalog: Catalog, cfg: Config
) -> None:
    quick = dataclasses.replace(
        cfg, assistant=dataclasses.replace(cfg.assistant, idle_timeout_s=6.0)
    )
    app = ShopperApp(quick, demo_catalog)
    async with app.run_test(size=(80, 24)) as pilot:
        await ask(app, pilot, "show me tents")
        await pilot.pause(5.1)
        assert STILL_THERE in said(app)
        await pilot.pause(2.2)
        assert STILL_THERE not in said(app) and not list(app.query(ProductCard))


async def test_first_cards_are_laid_out_at_once(demo_catalog: Catalog, cfg: Config) -> None:
    app = ShopperApp(cfg, demo_catalog)
    async with app.run_test(size=(80, 24)) as pilot:
        await ask(app, pilot, "tents under 300 dollars")
        cards = list(app.query(ProductCard))
        assert cards and all(c.size.width > 0 and c.size.height > 0 for c in cards)


def test_hi_again_is_short_and_what_goes_with_it_is_a_suggestion(demo_catalog: Catalog) -> None:
    bot = Assistant(demo_catalog, load(env={"KIOSK_ASSISTANT_PHRASING": "off"}))
    s = Session()
    first = bot.turn(s, "hi")
    assert "welcome" in first.text.lower()
    again = bot.turn(s, "hi")
    assert again.text == "Hello again! What can I help you find?"
    for text in ("what goes with the tent?", "any accessories for the CozyNights sleeping bag?"):
        reply = bot.turn(Session(), text)
        assert reply.intent == Intent.RECOMMEND, text
        assert reply.products, text
    assert bot.turn(Session(), "can you recommend a tent for 4 people?").intent == "find_product"

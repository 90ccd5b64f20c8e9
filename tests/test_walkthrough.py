"""The walkthrough's findings (shopper screen, staff calls), each as a shopper meets it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from textual.widgets import DataTable

from kiosk.assistant.pipeline import Assistant
from kiosk.assistant.reply import Intent
from kiosk.assistant.session import Session
from kiosk.catalog.repository import Catalog
from kiosk.config import Config, load
from kiosk.ui.shopper import ON_THE_WAY, STILL_THERE, ProductCard, ShopperApp
from tests.screens import said, screen_cfg, type_request


@pytest.fixture
def cfg(tmp_path: Path) -> Config:
    return screen_cfg(tmp_path, KIOSK_ASSISTANT_PHRASING="off")


async def test_call_staff_once_per_visit_and_hear_when_someone_comes(
    demo_catalog: Catalog, cfg: Config
) -> None:
    app = ShopperApp(cfg, demo_catalog)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_request(app, pilot, "show me tents")
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
        await type_request(
            app, pilot, "compare the TrailMaster X4 Tent and the Alpine Explorer Tent"
        )
        assert app.query_one("#compare", DataTable).display
        await type_request(app, pilot, "what are your opening hours?")
        assert not app.query_one("#compare", DataTable).display


async def test_still_there_is_asked_before_the_idle_wipe(
    demo_catalog: Catalog, cfg: Config
) -> None:
    quick = dataclasses.replace(
        cfg, assistant=dataclasses.replace(cfg.assistant, idle_timeout_s=6.0)
    )
    app = ShopperApp(quick, demo_catalog)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_request(app, pilot, "show me tents")
        await pilot.pause(5.1)
        assert STILL_THERE in said(app)
        await pilot.pause(2.2)
        assert STILL_THERE not in said(app) and not list(app.query(ProductCard))


async def test_first_cards_are_laid_out_at_once(demo_catalog: Catalog, cfg: Config) -> None:
    app = ShopperApp(cfg, demo_catalog)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_request(app, pilot, "tents under 300 dollars")
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


def test_a_defect_gets_sorry_warranty_returns_and_staff(demo_catalog: Catalog) -> None:
    bot = Assistant(demo_catalog, load(env={"KIOSK_ASSISTANT_PHRASING": "off"}))
    reply = bot.turn(Session(), "my hiking boots leak, I want to complain")
    assert reply.intent == Intent.FEEDBACK
    assert reply.text.startswith("I'm sorry")
    assert "warranty" in reply.text.lower() and "return" in reply.text.lower()
    assert [p.name for p in reply.products] == ["TrekReady Hiking Boots"]
    calls = demo_catalog.staff_calls()
    assert len(calls) == 1 and calls[0].looking_for.startswith("complaint")
    assert "**" not in reply.text
    shopping = bot.turn(Session(), "do you have tents that don't leak?")
    assert shopping.intent == Intent.FIND_PRODUCT, "a question about products is no complaint"


@pytest.mark.parametrize(("days", "verdict"), [(40, "Yes"), (75, "No")])
def test_can_i_return_it_after_n_days_gets_a_yes_or_no(
    demo_catalog: Catalog, days: int, verdict: str
) -> None:
    bot = Assistant(demo_catalog, load(env={"KIOSK_ASSISTANT_PHRASING": "off"}))
    reply = bot.turn(Session(), f"I'm a gold member, can I return a tent after {days} days?")
    assert reply.intent == Intent.STORE_POLICY
    assert reply.text.startswith(f"{verdict}: Gold members have 60 days")


def test_policy_only_in_the_manuals_is_still_answered(tmp_path: Path) -> None:
    """The Contoso directory imported as it is: no store-wide policy document."""
    from kiosk.catalog.db import connect
    from kiosk.catalog.importers import import_paths
    from tests.conftest import CONTOSO

    conn = connect(tmp_path / "catalog.sqlite3")
    import_paths(conn, [CONTOSO])
    conn.close()
    with Catalog.open(tmp_path / "catalog.sqlite3") as catalog:
        assert not catalog.documents(None, ["return_policy"])
        bot = Assistant(catalog, load(env={"KIOSK_ASSISTANT_PHRASING": "off"}))
        general = bot.turn(Session(), "what is your return policy for tents?")
        assert "don't have that information" not in general.text
        assert "manuals" in general.text and "30 days" in general.text
        gold = bot.turn(Session(), "I'm a gold member, can I return a tent after 45 days?")
        assert gold.text.startswith("Yes: Gold members have 60 days")

"""The shopper screen in the shopper's language: its own words follow each turn's.

Driven like a person with a real Assistant over the demo store. Chinese understanding
and reply templates are other work: a reply's text may still be English, but its
language (`Reply.lang`) is the request's, and the screen's words follow that.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from textual.widgets import Button, Input, Static

from kiosk.assistant.reply import Card, Intent, Reply
from kiosk.catalog.repository import Catalog
from kiosk.config import Config
from kiosk.text.language import EN, ZH, detect
from kiosk.ui.shopper import (
    CALM_ERROR,
    NO_MICROPHONE,
    ON_THE_WAY,
    STILL_THERE,
    ProductCard,
    ShopperApp,
    follow_ups,
)
from kiosk.ui.words import SCREEN
from tests.screens import cards, said, screen_cfg, type_request


@pytest.fixture
def cfg(tmp_path: Path) -> Config:
    return screen_cfg(tmp_path)


def words(app: ShopperApp) -> dict[str, str]:
    """The screen's own words as they are now."""
    return {
        "state": str(app.query_one("#state", Static).render()),
        "title": str(app.query_one("#title", Static).render()),
        "placeholder": str(app.query_one("#ask", Input).placeholder),
        **{key: str(app.query_one(f"#{key}", Button).label) for key in ("talk", "call", "reset")},
    }


def shopper_lines(app: ShopperApp) -> list[str]:
    return [str(s.render()) for s in app.query(".shopper").results(Static)]


def test_every_screen_phrase_is_in_every_language() -> None:
    assert SCREEN.problems() == []


def test_the_english_words_are_the_ones_the_screen_always_had() -> None:
    assert SCREEN(EN, "placeholder") == "Type what you're looking for, then Enter"
    assert [SCREEN(EN, k) for k in ("talk", "call", "reset")] == [
        "Talk (F5)",
        "Call staff",
        "Start over",
    ]
    assert CALM_ERROR.startswith("Sorry, something went wrong")
    assert NO_MICROPHONE == "There is no microphone working here, so please type your request."
    assert ON_THE_WAY == "Someone is on the way to this kiosk."
    assert STILL_THERE.startswith("Still there?")


def test_button_requests_are_read_in_their_own_language() -> None:
    """What a tapped button asks is detected as the language it is written in, so the
    turn it starts is read and answered in the shopper's language."""
    for key in ("call", "cheaper", "where", "compare", "goes_with"):
        request = SCREEN(ZH, f"{key}_request")
        assert detect(request) == ZH, request
        assert detect(SCREEN(EN, f"{key}_request")) == EN


def test_follow_up_buttons_follow_the_reply_language() -> None:
    card = Card("1", "SkyView 2-Person Tent", 20000, 3, "1", "C")
    english = Reply(Intent.FIND_PRODUCT, "I found one.", [card])
    chinese = dataclasses.replace(english, lang=ZH)
    assert follow_ups(english) == [
        ("Cheaper", "cheaper ones?"),
        ("Where is it?", "where is it?"),
        ("What goes with it?", "what goes with it?"),
    ]
    assert follow_ups(chinese) == [
        ("便宜一点的", "有没有便宜一点的？"),
        ("在哪里？", "它在哪里？"),
        ("配什么？", "这个配什么好？"),
    ]
    labels = str(ProductCard._text(card, ZH))
    assert "有货（3）" in labels and "1号通道，C层" in labels
    assert "In stock (3)" in str(ProductCard._text(card))


async def test_the_screen_switches_with_the_shopper(demo_catalog: Catalog, cfg: Config) -> None:
    app = ShopperApp(cfg, demo_catalog)
    async with app.run_test(size=(100, 30)) as pilot:
        english = words(app)
        assert english["call"] == "Call staff" and english["state"] == "Ready"
        await type_request(app, pilot, "有没有 SkyView 帐篷？")
        assert app.lang == ZH
        assert cards(app)[0] == "SkyView 双人帐篷"  # named first, in Chinese; other tents follow
        assert "找到" in said(app)
        chinese = words(app)
        assert chinese == {
            "state": "就绪",
            "title": "Contoso Outdoors - 购物助手",
            "placeholder": "输入您要找的东西，然后按回车",
            "talk": "说话 (F5)",
            "call": "呼叫店员",
            "reset": "重新开始",
        }
        assert shopper_lines(app)[-1] == "您：有没有 SkyView 帐篷？"
        followups = [str(b.label) for b in app.query(".followup").results(Button)]
        assert followups == ["便宜一点的", "比较一下", "配什么？"]  # three tents shown
        card = next(iter(app.query(ProductCard)))
        assert "有货" in str(card.render())
        # The shopper switches to English mid-visit: so does the screen.
        await type_request(app, pilot, "show me tents")
        assert app.lang == EN and words(app) == english
        assert shopper_lines(app)[-1] == "You: show me tents"
        assert "有货" not in " ".join(str(c.render()) for c in app.query(ProductCard))
        # ...and back.
        await type_request(app, pilot, "有没有 SkyView 帐篷？")
        assert words(app)["call"] == "呼叫店员"
        # A new shopper starts in the store's language.
        await pilot.click("#reset")
        await pilot.pause()
        assert app.lang == EN and words(app) == english
        assert "Hello, welcome to Contoso Outdoors!" in str(
            app.query_one(".greeting", Static).render()
        )


async def test_the_call_button_asks_in_the_shoppers_language(
    demo_catalog: Catalog, cfg: Config
) -> None:
    app = ShopperApp(cfg, demo_catalog)
    async with app.run_test(size=(100, 30)) as pilot:
        await type_request(app, pilot, "有没有 SkyView 帐篷？")
        await pilot.click("#call")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert shopper_lines(app)[-1] == "您：请帮我叫店员"
        assert app.lang == ZH


async def test_a_chinese_store_greets_in_chinese(demo_catalog: Catalog, tmp_path: Path) -> None:
    cfg = screen_cfg(tmp_path, KIOSK_STORE_LANGUAGE="zh")
    app = ShopperApp(cfg, demo_catalog)
    async with app.run_test(size=(100, 30)) as pilot:
        greeting = str(app.query_one(".greeting", Static).render())
        assert greeting.startswith("您好，欢迎光临Contoso Outdoors！")
        assert words(app)["reset"] == "重新开始"
        await type_request(app, pilot, "show me tents")
        assert words(app)["reset"] == "Start over"
        app.wipe()
        await pilot.pause()
        assert words(app)["reset"] == "重新开始", "the next shopper: the store's language"
        assert app.voice.lang == ZH

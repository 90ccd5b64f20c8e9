"""Product cards say what was asked (issue 15): the stock of the asked size, and the
fact about the asked feature, on the JSON cards and on the screen."""

from __future__ import annotations

from pathlib import Path

from kiosk.assistant.pipeline import Assistant
from kiosk.assistant.session import Session
from kiosk.catalog.repository import Catalog
from kiosk.config import load
from kiosk.ui.shopper import ProductCard, ShopperApp
from tests.screens import screen_cfg, type_request


def _variant_stock(catalog: Catalog, pid: str, size: str) -> int:
    product = catalog.product(pid)
    assert product is not None
    return sum(v.stock for v in product.variants if v.size == size)


def test_a_card_for_an_asked_size_shows_that_size_stock(demo_catalog: Catalog) -> None:
    bot = Assistant(demo_catalog, load(env={}))
    reply = bot.turn(Session(), "hiking boots in size 10")
    boots = next(c for c in reply.products if c.name == "TrekReady Hiking Boots")
    product = demo_catalog.product(boots.id)
    assert product is not None and len({v.size for v in product.variants}) > 1
    assert boots.variant == "size 10"
    assert boots.stock == _variant_stock(demo_catalog, boots.id, "10") != product.stock
    assert reply.to_json()["products"][0]["variant"] == "size 10"
    plain = bot.turn(Session(), "hiking boots")
    assert all("variant" not in c for c in plain.to_json()["products"])


def test_a_card_shows_the_fact_about_the_asked_feature(demo_catalog: Catalog) -> None:
    bot = Assistant(demo_catalog, load(env={}))
    asked = bot.turn(Session(), "waterproof hiking boots")
    plain = bot.turn(Session(), "hiking boots")
    a = next(c for c in asked.products if c.name == "TrekReady Hiking Boots")
    b = next(c for c in plain.products if c.name == "TrekReady Hiking Boots")
    assert "waterproof" in a.fact.lower() and a.fact != b.fact


async def test_the_screen_card_says_the_size_its_stock_is_for(
    demo_catalog: Catalog, tmp_path: Path
) -> None:
    app = ShopperApp(screen_cfg(tmp_path), demo_catalog)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_request(app, pilot, "hiking boots in size 10")
        card = next(w for w in app.query(ProductCard) if w.card.name == "TrekReady Hiking Boots")
        text = str(card.render())
        stock = _variant_stock(demo_catalog, card.card.id, "10")
        assert f"Size 10: {stock} in stock" in text, text

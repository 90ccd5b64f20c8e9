"""Rules over the catalog's vocabulary: slots, number words, product names, typos."""

from __future__ import annotations

import pytest

from kiosk.assistant.reply import Intent
from kiosk.assistant.understand import understand
from kiosk.catalog.lexicon import Lexicon
from kiosk.catalog.repository import Catalog
from kiosk.text.numbers import words_to_digits


@pytest.fixture
def lex(demo_catalog: Catalog) -> Lexicon:
    return Lexicon.build(demo_catalog)


@pytest.mark.parametrize(
    ("spoken", "digits"),
    [
        ("tents under a hundred and fifty dollars", "tents under 150 dollars"),
        ("between eighty and one hundred dollars", "between 80 and 100 dollars"),
        ("size ten", "size 10"),
        ("a two-person tent", "a 2-person tent"),
        ("twenty five bucks", "25 bucks"),
        ("the blue one", "the blue one"),
        ("a jacket and a hat", "a jacket and a hat"),
    ],
)
def test_number_words(spoken: str, digits: str) -> None:
    assert words_to_digits(spoken) == digits


def test_all_the_slots_of_one_request(lex: Lexicon) -> None:
    u = understand("do you have waterproof hiking boots under a hundred dollars in size ten?", lex)
    assert u.intent == Intent.FIND_PRODUCT
    assert u.category == "Hiking Footwear" and u.kind == "boot"
    assert u.max_price_cents == 10000 and u.size == "10"
    assert u.features == ["waterproof"]


@pytest.mark.parametrize(
    ("text", "lo", "hi", "sort"),
    [
        ("tents between 80 and 150 dollars", 8000, 15000, None),
        ("backpacks for less than $95.50", None, 9550, None),
        ("stoves over $70", 7000, None, None),
        ("the cheapest sleeping bag", None, None, "price_asc"),
        ("your most expensive tent", None, None, "price_desc"),
    ],
)
def test_price_phrases(
    lex: Lexicon, text: str, lo: int | None, hi: int | None, sort: str | None
) -> None:
    u = understand(text, lex)
    assert (u.min_price_cents, u.max_price_cents, u.sort) == (lo, hi, sort)


@pytest.mark.parametrize(
    ("text", "product"),
    [
        ("the TrailMaster X4 Tent", "1"),
        ("trail master tent", "1"),
        ("the cozy nights bag", "7"),
        ("alpine explorer", "8"),
        ("SkyView", "15"),
        ("powerburner stove", "13"),
        ("trailmastr", "1"),
    ],
)
def test_product_names_with_typos_and_split_words(lex: Lexicon, text: str, product: str) -> None:
    u = understand(f"tell me about the {text}", lex)
    assert u.products and u.products[0].product_id == product


def test_generic_words_name_no_product(lex: Lexicon) -> None:
    assert understand("do you have a tent", lex).products == []
    assert understand("some hiking camping gear", lex).products == []


def test_capacity_size_colour_and_tier(lex: Lexicon) -> None:
    u = understand("a tent for four people", lex)
    assert u.capacity == 4 and u.category == "Tents"
    assert understand("jacket in medium", lex).size == "M"
    assert understand("the grey ones", lex).color == "grey"
    u = understand("I'm a gold member, what is the return policy?", lex)
    assert u.membership == "Gold" and u.color is None
    assert u.intent == Intent.STORE_POLICY

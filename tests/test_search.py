"""Search relevance and filters on the real Contoso demo store."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.catalog.records import ProductRecord
from kiosk.catalog.repository import Catalog
from kiosk.catalog.search import SearchFilters, terms

TENTS = {"TrailMaster X4 Tent", "Alpine Explorer Tent", "SkyView 2-Person Tent"}


def names(catalog: Catalog, query: str, limit: int = 5, **filters: object) -> list[str]:
    return [h.name for h in catalog.search(query, SearchFilters(**filters), limit=limit)]  # type: ignore[arg-type]


@pytest.mark.parametrize("query", ["tents", "tent", "Tents please", "do you have any tents?"])
def test_plurals_and_filler_words_find_the_tents(demo_catalog: Catalog, query: str) -> None:
    assert set(names(demo_catalog, query)[:3]) == TENTS


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("backpak", "Backpack"),
        ("sleping bag", "Sleeping Bag"),
        ("hikking boots", "TrekReady Hiking Boots"),
        ("cozynigths", "CozyNights Sleeping Bag"),
    ],
)
def test_typos_still_find_things(demo_catalog: Catalog, query: str, expected: str) -> None:
    hits = demo_catalog.search(query)
    assert hits, query
    assert expected in hits[0].name
    assert hits[0].corrections, "the correction is reported"


@pytest.mark.parametrize(
    ("question", "expected_first"),
    [
        ("Do you have any hiking boots?", {"TrekReady Hiking Boots"}),
        ("tell me about your hiking jackets", {"Summit Breeze Jacket", "RainGuard Hiking Jacket"}),
        ("Can you tell me about your selection of tents?", TENTS),
        (
            "what is the temperature rating of the cozynights sleeping bag?",
            {"CozyNights Sleeping Bag"},
        ),
        (
            "what is the waterproof rating of the TrailMaster X4 Tent's rainfly?",
            {"TrailMaster X4 Tent"},
        ),
        ("Alpine Explorer tent", {"Alpine Explorer Tent"}),
        (
            "camping stove",
            {"EcoFire Camping Stove", "PowerBurner Camping Stove", "CompactCook Camping Stove"},
        ),
    ],
)
def test_contoso_questions_rank_the_right_product_first(
    demo_catalog: Catalog, question: str, expected_first: set[str]
) -> None:
    assert names(demo_catalog, question)[0] in expected_first


def test_specs_are_searchable(demo_catalog: Catalog) -> None:
    # "waterproof" is in the specs of the tents and boots, not only descriptions.
    found = set(names(demo_catalog, "waterproof", limit=20))
    assert {"TrailMaster X4 Tent", "TrekReady Hiking Boots"} <= found


def test_price_filters(demo_catalog: Catalog) -> None:
    under_100 = demo_catalog.search("backpack", SearchFilters(max_price_cents=10000))
    # Backpacks first; a sleeping bag whose description mentions a backpack may follow.
    assert {h.name for h in under_100[:2]} == {"Adventurer Pro Backpack", "TrailLite Daypack"}
    assert "SummitClimber Backpack" not in {h.name for h in under_100}
    assert all(h.price_cents <= 10000 for h in under_100)
    between = demo_catalog.search(
        "", SearchFilters(min_price_cents=8000, max_price_cents=10000), limit=50
    )
    assert between and all(8000 <= h.price_cents <= 10000 for h in between)


def test_size_and_stock_use_variants(demo_catalog: Catalog) -> None:
    # TrailWalker shoes come in size 10 but have none left; boots and sandals do.
    got = set(names(demo_catalog, "", category="Hiking Footwear", size="10", in_stock=True))
    assert got == {"TrekReady Hiking Boots", "TrekStar Hiking Sandals"}
    with_out_of_stock = set(names(demo_catalog, "", category="Hiking Footwear", size="10"))
    assert "TrailWalker Hiking Shoes" in with_out_of_stock


def test_colour_brand_and_sort(demo_catalog: Catalog) -> None:
    assert names(demo_catalog, "pants", color="khaki") == ["TrailBlaze Hiking Pants"]
    assert names(demo_catalog, "", color="purple") == []
    hikemate = set(names(demo_catalog, "", brand="hikemate", limit=10))
    assert hikemate == {"Adventurer Pro Backpack", "SummitClimber Backpack", "TrailLite Daypack"}
    prices = [h.price_cents for h in demo_catalog.search("stove", SearchFilters(sort="price_asc"))]
    assert prices == sorted(prices) and prices[0] == 6000


def test_out_of_stock_filtered_when_asked(demo_catalog: Catalog) -> None:
    assert "Alpine Explorer Tent" in names(demo_catalog, "tent")
    assert "Alpine Explorer Tent" not in names(demo_catalog, "tent", in_stock=True)


def test_nothing_matches_nonsense(demo_catalog: Catalog) -> None:
    assert demo_catalog.search("xylophone quasar") == []


def test_fts_syntax_in_queries_is_harmless(demo_catalog: Catalog) -> None:
    for query in ['tent" OR 1', "NOT tent", "tent*", "(tent", "name:tent", "NEAR(a b)"]:
        demo_catalog.search(query)  # must not raise


def test_terms_drop_filler() -> None:
    assert terms("Do you have any waterproof hiking boots?") == ["waterproof", "hiking", "boots"]


def test_other_connection_sees_new_products_and_words(demo_catalog: Catalog) -> None:
    """The staff console writes on its own connection; the kiosk's search follows."""
    assert demo_catalog.path is not None
    demo_catalog.search("kayak")  # fills the vocabulary cache
    with Catalog.open(Path(demo_catalog.path)) as staff, staff.write() as w:
        w.upsert_product(
            ProductRecord(
                id="K1", name="RiverRunner Kayak", price_cents=49900, category="Water Sports"
            )
        )
    assert names(demo_catalog, "kayaks") == ["RiverRunner Kayak"]
    assert names(demo_catalog, "riverruner") == ["RiverRunner Kayak"]

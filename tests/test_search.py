"""Search relevance and filters on the real Contoso demo store."""

from __future__ import annotations

from dataclasses import replace as dataclass_replace
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


# -- the word index (tantivy) -----------------------------------------------------------


def _hardware(catalog: Catalog) -> None:
    """A few hardware-store products written the many ways feeds write sizes."""
    with catalog.write() as w:
        for rec in [
            ProductRecord(id="H1", name="1-1/4 in. x 10 ft. PVC Sch. 40 Pipe", price_cents=899),
            ProductRecord(id="H2", name="3/4 in. Copper Pipe", price_cents=1299),
            ProductRecord(id="H3", name="Schedule 80 PVC Pipe 2 in.", price_cents=2199),
            ProductRecord(id="H4", name="100-Watt Equivalent LED Light Bulb", price_cents=599),
            ProductRecord(id="H5", name="60W Incandescent Light Bulb", price_cents=199),
            ProductRecord(id="H6", name="Sassy Garden Gnome", price_cents=2500),
        ]:
            w.upsert_product(rec)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("1 1/4 inch pvc pipe", "H1"),
        ("1-1/4in pipe", "H1"),
        ("1.25 in pipe", "H1"),
        ("3/4in pipe", "H2"),
        ("sch 80 pipe", "H3"),
        ("schedule 40 pipe", "H1"),
        ("100w bulb", "H4"),
        ("100 watt light bulbs", "H4"),
        ("60 watt bulb", "H5"),
    ],
)
def test_sizes_and_units_are_normalized(demo_catalog: Catalog, query: str, expected: str) -> None:
    _hardware(demo_catalog)
    hits = demo_catalog.search(query, limit=3)
    assert hits and hits[0].product_id == expected, [h.name for h in hits]


def test_a_broad_query_is_ranked_by_relevance(demo_catalog: Catalog) -> None:
    """Among thousands of matches the product named best comes first, not the newest."""
    with demo_catalog.write() as w:
        w.upsert_product(
            ProductRecord(id="best", name="Storm Shelter Tent", price_cents=100, category="Tents")
        )
        for i in range(1600):  # newer rows that mention tents only in passing
            w.upsert_product(
                ProductRecord(
                    id=f"x{i}",
                    name=f"Stake Set {i}",
                    price_cents=100,
                    category="Accessories",
                    description="pegs for a tent, a tarp or a storm shelter in wind",
                )
            )
    assert names(demo_catalog, "storm shelter tent", limit=1) == ["Storm Shelter Tent"]
    first = demo_catalog.search("storm shelter tents", limit=5)
    assert first[0].product_id == "best"


def test_results_are_filled_up_to_the_limit(demo_catalog: Catalog) -> None:
    # One product has every word; the rest of the list holds products with some of them.
    hits = demo_catalog.search("skyview tent", limit=5)
    assert len(hits) == 3  # every product with either word: the three tents
    assert hits[0].name == "SkyView 2-Person Tent"
    assert {"TrailMaster X4 Tent", "Alpine Explorer Tent"} <= {h.name for h in hits}


def test_typo_correction_keeps_the_first_letter(demo_catalog: Catalog) -> None:
    _hardware(demo_catalog)
    hits = demo_catalog.search("assy pipe", limit=3)
    assert hits and "Gnome" not in hits[0].name
    assert "assy" not in hits[0].corrections or hits[0].corrections["assy"][0] == "a"


def test_staff_price_edit_is_seen_without_a_rebuild(demo_catalog: Catalog) -> None:
    assert demo_catalog.path is not None
    demo_catalog.search("tent")  # builds the index
    before = demo_catalog.conn.execute("SELECT generation FROM search_state").fetchone()[0]
    with Catalog.open(Path(demo_catalog.path)) as staff, staff.write() as w:
        w.set_price("15", 1500)  # the 2-person tent, on another connection
        w.set_stock("1", 0)
    after = demo_catalog.conn.execute("SELECT generation FROM search_state").fetchone()[0]
    assert after == before, "price and stock edits leave the index current"
    cheap = demo_catalog.search("tent", SearchFilters(max_price_cents=2000))
    assert [h.name for h in cheap] == ["SkyView 2-Person Tent"]
    assert cheap[0].price_cents == 1500
    by_price = demo_catalog.search("tent", SearchFilters(sort="price_asc"))
    assert by_price[0].name == "SkyView 2-Person Tent"
    assert "TrailMaster X4 Tent" not in names(demo_catalog, "tent", in_stock=True)
    assert demo_catalog._searcher.last_path == "words"


def test_missing_or_stale_index_is_rebuilt(demo_catalog: Catalog) -> None:
    import shutil

    from kiosk.catalog import wordindex

    demo_catalog.search("tent")
    root = wordindex.index_root(demo_catalog.conn)
    assert root is not None and root.is_dir()
    shutil.rmtree(root)  # missing
    assert set(names(demo_catalog, "tents")[:3]) == TENTS
    assert demo_catalog._searcher.last_path == "words"
    with demo_catalog.write() as w:  # stale: a new product's words
        w.upsert_product(ProductRecord(id="K9", name="Glacier Kayak", price_cents=1))
    assert names(demo_catalog, "kayak") == ["Glacier Kayak"]
    assert [p.name for p in root.iterdir()] == [wordindex.generation(demo_catalog.conn)]


def test_search_falls_back_to_fts5_when_the_index_cant_be_built(demo_catalog: Catalog) -> None:
    from kiosk.catalog import wordindex

    root = wordindex.index_root(demo_catalog.conn)
    assert root is not None
    root.write_text("not a folder")  # the index can't be made here
    assert set(names(demo_catalog, "tents")[:3]) == TENTS
    assert demo_catalog._searcher.last_path == "fts5"


def test_import_builds_the_word_index(tmp_path: Path) -> None:
    from kiosk.catalog import wordindex
    from kiosk.catalog.db import connect
    from kiosk.catalog.importers import import_paths

    feed = tmp_path / "p.csv"
    feed.write_text("id,name,price\n1,Red Kayak,10\n", encoding="utf-8")
    conn = connect(tmp_path / "c.sqlite3")
    import_paths(conn, [feed])
    gen = wordindex.generation(conn)
    assert (tmp_path / "c.sqlite3.words" / gen / wordindex.VOCAB_FILE).exists()
    conn.close()


def test_colour_and_size_filter_inside_the_index_and_follow_edits(demo_catalog: Catalog) -> None:
    """Colour and size are index terms now; the index follows a change of them, and a
    stock edit (or the same import again) moves nothing."""
    from kiosk.catalog import wordindex
    from kiosk.catalog.records import Variant

    boots = SearchFilters(size="10")
    assert {h.name for h in demo_catalog.search("hiking", boots, limit=10)} >= {
        "TrekReady Hiking Boots"
    }
    assert demo_catalog.search("hiking", SearchFilters(color="purple"), limit=10) == []
    gen = wordindex.generation(demo_catalog.conn)
    boots_id = demo_catalog.search("trekready boots", limit=1)[0].product_id
    stored = demo_catalog.product(boots_id)
    assert stored is not None
    with demo_catalog.write() as w:  # stock only: the same sizes and colours
        w.set_variants(boots_id, [dataclass_replace(v, stock=v.stock + 1) for v in stored.variants])
    assert wordindex.generation(demo_catalog.conn) == gen
    with demo_catalog.write() as w:  # a new colour: the index must learn it
        w.set_variants(
            boots_id, [*stored.variants, Variant(f"{boots_id}-PRP-10", "10", "Purple", None, 3)]
        )
    assert wordindex.generation(demo_catalog.conn) != gen
    found = demo_catalog.search("hiking", SearchFilters(color="purple", size="10"), limit=10)
    assert [h.product_id for h in found] == [boots_id]
    # In stock is still SQLite's to say: no purple left, none found when stock is asked.
    with demo_catalog.write() as w:
        w.set_variants(
            boots_id, [*stored.variants, Variant(f"{boots_id}-PRP-10", "10", "Purple", None, 0)]
        )
    in_stock = SearchFilters(color="purple", in_stock=True)
    assert demo_catalog.search("hiking", in_stock, limit=10) == []


def test_a_price_import_does_not_rebuild_the_word_index(tmp_path: Path) -> None:
    """Prices are read from SQLite, and a product's facets are rewritten only when they
    change: a feed that moves prices leaves the index's generation where it was."""
    from kiosk.catalog import wordindex
    from kiosk.catalog.db import connect
    from kiosk.catalog.importers import import_paths

    feed = tmp_path / "p.csv"
    feed.write_text("id,name,price,color,size\n1,Red Kayak,10,Red,L\n", encoding="utf-8")
    conn = connect(tmp_path / "c.sqlite3")
    import_paths(conn, [feed])
    gen = wordindex.generation(conn)
    feed.write_text("id,name,price,color,size\n1,Red Kayak,12,Red,L\n", encoding="utf-8")
    import_paths(conn, [feed])
    assert wordindex.generation(conn) == gen
    feed.write_text("id,name,price,color,size\n1,Red Kayak,12,Blue,L\n", encoding="utf-8")
    import_paths(conn, [feed])
    assert wordindex.generation(conn) != gen
    conn.close()

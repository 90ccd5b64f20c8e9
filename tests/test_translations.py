"""Other languages' words in the catalog: per-language feed columns, the translations
file, the demo's Chinese, documents by language and search in Chinese, on real SQLite
files and the real demo data."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.catalog import wordindex
from kiosk.catalog.db import connect, transaction
from kiosk.catalog.demo import demo_dir, seed_demo
from kiosk.catalog.importers import detect_format, import_paths
from kiosk.catalog.repository import Catalog
from kiosk.catalog.search import SearchFilters
from kiosk.catalog.translations import index_grams, query_pieces, query_terms
from kiosk.catalog.writer import CatalogWriter
from tests.test_import import STORE, assert_rejected_unchanged, count, write

ZH_FILE = demo_dir() / "translations-zh.csv"
TENTS = {"TrailMaster X4 Tent", "Alpine Explorer Tent", "SkyView 2-Person Tent"}


def words(conn: sqlite3.Connection, pid: str) -> dict[tuple[str, str], str]:
    return {
        (r[0], r[1]): r[2]
        for r in conn.execute(
            "SELECT lang, field, text FROM translations WHERE product_id = ?", (pid,)
        )
    }


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "catalog.sqlite3"


@pytest.fixture
def stocked(db: Path) -> Iterator[sqlite3.Connection]:
    conn = connect(db)
    import_paths(conn, [STORE])
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo store as `kiosk demo` seeds it (no vectors: search by words)."""
    path = tmp_path_factory.mktemp("zh") / "catalog.sqlite3"
    assert seed_demo(path)
    return path


@pytest.fixture
def demo(seeded: Path, tmp_path: Path) -> Iterator[Catalog]:
    path = tmp_path / "catalog.sqlite3"
    shutil.copy(seeded, path)
    shutil.copytree(f"{seeded}{wordindex.SUFFIX}", f"{path}{wordindex.SUFFIX}")
    with Catalog.open(path) as catalog:
        yield catalog


def names(catalog: Catalog, query: str, limit: int = 5, **filters: object) -> list[str]:
    found = catalog.search(query, SearchFilters(**filters), limit=limit)  # type: ignore[arg-type]
    return [h.name for h in found]


# -- the demo's Chinese ------------------------------------------------------------


def test_demo_has_our_chinese_words_and_documents(demo: Catalog) -> None:
    assert count(demo.conn, "translations") == 60  # name, category, description x 20
    tent = demo.product("1")
    assert tent is not None
    assert tent.said("name", "zh") == "TrailMaster X4 四人帐篷"
    assert tent.said("category", "zh") == "帐篷"
    assert tent.said("brand", "zh") == tent.brand  # not translated: the catalog's own
    assert tent.said("name", "en") == "TrailMaster X4 Tent"
    assert demo.translated_words("zh").categories["帐篷"] == "Tents"

    english = demo.documents(None, ["return_policy"])
    assert [(d.key, d.lang) for d in english] == [("demo:store:returns", "en")]
    chinese = demo.documents(None, ["return_policy"], lang="zh")
    assert [(d.key, d.lang) for d in chinese] == [("demo:store:returns:zh", "zh")]
    assert all(d.lang == "en" for d in demo.documents(None))


def test_english_search_is_unchanged_by_the_chinese_words(demo: Catalog, tmp_path: Path) -> None:
    """The same English queries give the same products, in the same order, with and
    without translations in the catalog."""
    plain = tmp_path / "plain.sqlite3"
    conn = connect(plain)
    import_paths(conn, [demo_dir() / "contoso-outdoors"])
    conn.close()
    queries = ["tent", "hiking boots", "waterproof jacket", "camping stove", "backpak", "bag"]
    with Catalog.open(plain) as without:
        for q in queries:
            assert names(demo, q) == names(without, q), q
            assert names(demo, q, max_price_cents=12000, sort="price_asc") == names(
                without, q, max_price_cents=12000, sort="price_asc"
            ), q


# -- search in Chinese ---------------------------------------------------------------


def test_chinese_search_finds_by_name_category_and_description(demo: Catalog) -> None:
    assert set(names(demo, "帐篷")) == TENTS
    assert names(demo, "双人帐篷")[0] == "SkyView 2-Person Tent"
    assert names(demo, "SkyView 帐篷")[0] == "SkyView 2-Person Tent"
    assert names(demo, "有没有防水的登山靴？")[0] == "TrekReady Hiking Boots"
    assert set(names(demo, "睡袋")) == {"CozyNights Sleeping Bag", "MountainDream Sleeping Bag"}
    assert set(names(demo, "炉")) >= {"EcoFire Camping Stove", "CompactCook Camping Stove"}
    # "桌子" is on no shelf; 餐桌 and 折叠桌 are: found by the character they share.
    assert set(names(demo, "桌子")[:2]) == {"Adventure Dining Table", "BaseCamp Folding Table"}
    # Only in a description: 涤纶 (polyester).
    assert "TrailMaster X4 Tent" in names(demo, "涤纶")
    assert names(demo, "独角兽") == []  # unicorn


def test_chinese_search_filters_and_sorts_like_english(demo: Catalog) -> None:
    assert set(names(demo, "帐篷", max_price_cents=30000)) == {
        "TrailMaster X4 Tent",
        "SkyView 2-Person Tent",
    }
    prices = [h.price_cents for h in demo.search("帐篷", SearchFilters(sort="price_asc"))]
    assert prices == sorted(prices) and len(prices) == 3
    assert set(names(demo, "帐篷", category="帐篷")) == TENTS  # a Chinese category filter
    assert names(demo, "背包", category="Tents") == []
    every = demo.search("帐篷", SearchFilters(), limit=10)
    stocked = demo.search("帐篷", SearchFilters(in_stock=True), limit=10)
    assert [h.product_id for h in stocked] == [h.product_id for h in every if h.stock > 0]
    boots = demo.search("登山鞋", SearchFilters(size="10", in_stock=True))
    assert boots and all(
        any(v.size == "10" and v.stock > 0 for v in p.variants) or not p.variants
        for p in demo.products([h.product_id for h in boots])
    )


def test_fts5_path_finds_the_same_products(demo: Catalog) -> None:
    fallback = demo._searcher.fallback
    for query in ("帐篷", "有没有防水的登山靴？", "桌子", "睡袋"):
        words_path = set(names(demo, query))
        assert {h.name for h in fallback.search(query, SearchFilters(), limit=5)} == words_path
    cheap = fallback.search("帐篷", SearchFilters(max_price_cents=30000, sort="price_asc"))
    assert [h.name for h in cheap] == ["SkyView 2-Person Tent", "TrailMaster X4 Tent"]


def test_a_new_translation_is_searchable_at_once(demo: Catalog, tmp_path: Path) -> None:
    before = wordindex.generation(demo.conn)
    assert names(demo, "竹制") == []  # bamboo
    feed = write(tmp_path / "zh.csv", "id,name_zh\n5,BaseCamp 竹制折叠桌\n")
    import_paths(demo.conn, [feed])
    assert wordindex.generation(demo.conn) != before
    assert names(demo, "竹制") == ["BaseCamp Folding Table"]


def test_query_terms_cut_filler_and_keep_known_pairs() -> None:
    assert query_pieces("有没有防水的登山靴？") == ["防水", "登山靴"]
    assert query_pieces("SkyView 帐篷吗") == ["skyview", "帐篷"]
    known = {"防水", "登山", "山靴"}
    assert query_terms("有没有防水的登山靴？", known.__contains__) == ["防水", "登山", "山靴"]
    assert query_terms("桌子", {"桌"}.__contains__) == ["桌"]
    assert query_terms("100块以下的帐篷", {"100", "帐篷"}.__contains__) == ["帐篷"]
    assert index_grams("SkyView 双人帐篷") == "skyview 双 人 帐 篷 双人 人帐 帐篷"


# -- per-language columns in product feeds ---------------------------------------------


def test_csv_feed_with_chinese_columns(stocked: sqlite3.Connection, tmp_path: Path) -> None:
    feed = write(
        tmp_path / "feed.csv",
        "id,name,price,name_zh,category_zh,description_zh,brand_new\n"
        "1,TrailMaster X4 Tent,250,TrailMaster X4 四人帐篷,帐篷,四人帐篷。,yes\n"
        "N1,Camp Mug,8,露营杯,,,\n",
    )
    summary = import_paths(stocked, [feed])
    assert (summary.new, summary.updated) == (1, 1)
    assert summary.fields == {"attributes": 1, "translations": 1}
    assert "translations given: 4 in zh" in summary.report()
    assert words(stocked, "1") == {
        ("zh", "name"): "TrailMaster X4 四人帐篷",
        ("zh", "category"): "帐篷",
        ("zh", "description"): "四人帐篷。",
    }
    assert words(stocked, "N1") == {("zh", "name"): "露营杯"}  # empty cells say nothing
    attrs = json.loads(
        stocked.execute("SELECT attributes FROM products WHERE id = '1'").fetchone()[0]
    )
    assert attrs["brand_new"] == "yes" and "name_zh" not in attrs  # 'new' is no language

    # A later feed with only name_zh changes only that; the rest stays.
    again = write(
        tmp_path / "again.csv", "id,name,price,name_zh\n1,TrailMaster X4 Tent,250,四人帐篷\n"
    )
    summary = import_paths(stocked, [again])
    assert (summary.updated, summary.fields) == (1, {"translations": 1})
    assert words(stocked, "1")[("zh", "name")] == "四人帐篷"
    assert words(stocked, "1")[("zh", "category")] == "帐篷"
    # Without any Chinese column, even replacing the product whole, they stay.
    import_paths(
        stocked, [write(tmp_path / "en.csv", "id,name,price\n1,X4 Tent,250\n")], replace=True
    )
    assert len(words(stocked, "1")) == 3
    assert import_paths(stocked, [again]).fields == {"name": 1}  # its zh name is as given


def test_json_feeds_with_translations(stocked: sqlite3.Connection, tmp_path: Path) -> None:
    feed = write(
        tmp_path / "feed.json",
        json.dumps(
            {
                "products": [
                    {"id": "J1", "name": "Lantern", "price": 20, "name_zh": "营地灯"},
                    {
                        "id": "J2",
                        "name": "Stove fuel",
                        "price": 6,
                        "translations": {"zh": {"name": "炉具燃料", "category": "露营炉具"}},
                    },
                ]
            },
            ensure_ascii=False,
        ),
    )
    lines = write(
        tmp_path / "feed.jsonl",
        '{"id": "J3", "name": "Tarp", "price": 30, "description_zh": "防水天幕。"}\n',
    )
    import_paths(stocked, [feed, lines])
    assert words(stocked, "J1") == {("zh", "name"): "营地灯"}
    assert words(stocked, "J2") == {("zh", "name"): "炉具燃料", ("zh", "category"): "露营炉具"}
    assert words(stocked, "J3") == {("zh", "description"): "防水天幕。"}


# -- the translations file ------------------------------------------------------------


def test_translations_file_merges_onto_the_catalog(stocked: sqlite3.Connection) -> None:
    assert detect_format(ZH_FILE) == "translations"
    summary = import_paths(stocked, [ZH_FILE])
    assert (summary.updated, summary.fields) == (20, {"translations": 20})
    assert summary.translations == {"zh": 60}
    assert count(stocked, "translations") == 60
    assert import_paths(stocked, [ZH_FILE]).unchanged == 20


def test_what_is_a_translations_file(tmp_path: Path) -> None:
    for header, fmt in [
        ("id,name_zh,category_zh", "translations"),
        ("id,nmae_zh", "translations"),  # misspelt: reported as a translation column
        ("id,name_xx1", "translations"),
        ("id,product_name,cost", "csv"),  # a products feed missing name and price
        ("id,name,price,name_zh", "csv"),
    ]:
        assert detect_format(write(tmp_path / "f.csv", header + "\n")) == fmt, header


def test_translations_file_after_its_products_in_one_import(db: Path, tmp_path: Path) -> None:
    conn = connect(db)
    feed = write(tmp_path / "p.csv", "id,name,price\nA,Axe,30\n")
    zh = write(tmp_path / "zh.csv", "id,name_zh,brand_zh\nA,斧头,\n")
    summary = import_paths(conn, [feed, zh])
    assert (summary.new, summary.updated) == (1, 0)
    assert words(conn, "A") == {("zh", "name"): "斧头"}
    conn.close()


@pytest.mark.parametrize(
    ("content", "expected", "line", "fld"),
    [
        ("id,name_zh\n1,帐篷\nNOPE,不存在\n", "no product with id 'NOPE'", 3, "id"),
        ("id,nmae_zh\n1,帐篷\n", "'nmae' is not a field that can be translated", 1, "nmae_zh"),
        (
            "id,name_zh,name_xx1\n1,帐篷,x\n",
            "'xx1' is not a two-letter language code",
            1,
            "name_xx1",
        ),
        ("id,name_zh,name_en\n1,帐篷,Tent\n", "English is the catalog's own 'name'", 1, "name_en"),
        (
            "id,name_zh\n1,帐篷\n2," + "长" * 201 + "\n",
            "name is 201 characters, more than 200",
            3,
            "name_zh",
        ),
        ("id,name_zh\n1,帐篷\n1,背包\n", "duplicate id '1' (first on line 2)", 3, "id"),
        ("id,name_zh\n1,帐篷\n,背包\n", "id is empty", 3, "id"),
    ],
)
def test_bad_translations_file_names_line_and_field(
    stocked: sqlite3.Connection,
    db: Path,
    tmp_path: Path,
    content: str,
    expected: str,
    line: int,
    fld: str,
) -> None:
    path = write(tmp_path / "zh.csv", content)
    error = assert_rejected_unchanged(stocked, db, [path], str(path), expected)
    assert (error.line, error.field) == (line, fld)


def test_bad_chinese_in_a_product_feed_is_rejected(
    stocked: sqlite3.Connection, db: Path, tmp_path: Path
) -> None:
    long = write(tmp_path / "p.csv", "id,name,price,category_zh\nL,Long,5," + "类" * 201 + "\n")
    error = assert_rejected_unchanged(stocked, db, [long], "category is 201 characters")
    assert (error.line, error.field) == (2, "category_zh")
    nested = write(
        tmp_path / "p.json",
        json.dumps([{"id": "J", "name": "J", "price": 1, "translations": {"zh": {"nmae": "x"}}}]),
    )
    error = assert_rejected_unchanged(stocked, db, [nested], "'nmae' is not a field")
    assert error.field == "translations.zh.nmae"


def test_variant_rows_and_clearing(stocked: sqlite3.Connection, tmp_path: Path) -> None:
    feed = write(
        tmp_path / "v.csv",
        "id,name,price,sku,size,name_zh,category_zh\n"
        "B,Boot,90,B-9,9,靴子,\n"
        "B,Boot,90,B-10,10,,鞋类\n",
    )
    import_paths(stocked, [feed])
    assert words(stocked, "B") == {("zh", "name"): "靴子", ("zh", "category"): "鞋类"}
    with transaction(stocked):
        assert CatalogWriter(stocked).set_translations("B", {"zh": {"name": ""}})
    assert words(stocked, "B") == {("zh", "category"): "鞋类"}

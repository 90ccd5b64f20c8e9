"""Importers against real SQLite files: the Contoso store, generic feeds, Shopify exports.

Every rejected import must leave the catalog exactly as it was, so the failure
tests compare a dump of every table (and the database file) before and after.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.catalog.db import connect, transaction
from kiosk.catalog.importers import ImportSummary, detect_format, import_paths
from kiosk.catalog.writer import CatalogWriter
from kiosk.errors import ImportError_
from kiosk.text.control import has_control
from tests.conftest import CONTOSO

ROOT = Path(__file__).resolve().parent.parent
STORE = CONTOSO


# -- helpers ---------------------------------------------------------------------


def dump(conn: sqlite3.Connection) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (FTS shadow tables included), order-independent."""
    names = [
        r[0]
        for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    ]
    return {
        name: sorted((tuple(r) for r in conn.execute(f'SELECT * FROM "{name}"')), key=repr)
        for name in names
    }


def count(conn: sqlite3.Connection, table: str, where: str = "1") -> int:
    return int(conn.execute(f"SELECT count(*) FROM {table} WHERE {where}").fetchone()[0])


def file_bytes(db: Path) -> bytes:
    return db.read_bytes() + (Path(f"{db}-wal").read_bytes() if Path(f"{db}-wal").exists() else b"")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "catalog.sqlite3"


@pytest.fixture
def conn(db: Path) -> Iterator[sqlite3.Connection]:
    c = connect(db)
    yield c
    c.close()


@pytest.fixture
def stocked(conn: sqlite3.Connection) -> sqlite3.Connection:
    """A catalog that already holds the Contoso store."""
    import_paths(conn, [STORE])
    return conn


def write(path: Path, content: str | bytes) -> Path:
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def assert_rejected_unchanged(
    conn: sqlite3.Connection, db: Path, paths: list[Path], *expected: str
) -> ImportError_:
    """Import must fail with a message containing `expected` and change nothing."""
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before, raw_before = dump(conn), db.read_bytes()
    with pytest.raises(ImportError_) as info:
        import_paths(conn, paths)
    message = str(info.value)
    for part in expected:
        assert part in message, message
    assert dump(conn) == before
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert db.read_bytes() == raw_before
    return info.value


# -- the Contoso store -------------------------------------------------------------


def test_contoso_store(conn: sqlite3.Connection, db: Path) -> None:
    summary = import_paths(conn, [STORE])
    assert summary.formats == ["contoso"]
    assert (summary.products, summary.customers, summary.reviews) == (20, 12, 100)
    assert count(conn, "products") == 20
    assert count(conn, "documents") == summary.documents > 20

    tent = conn.execute("SELECT * FROM products WHERE name = 'TrailMaster X4 Tent'").fetchone()
    assert tent["price_cents"] == 25000
    attrs = json.loads(tent["attributes"])
    assert attrs["rainfly_waterproof_rating"] == "2000mm"
    assert attrs["capacity"] == "4-person"
    assert attrs["color"] == "Green"
    assert attrs["waterproof"] == "Yes"
    assert attrs["weight"] == "12 lbs"
    assert (tent["stock"], tent["aisle"], tent["shelf"]) == (0, "", "")
    bag = conn.execute("SELECT attributes FROM products WHERE name = 'CozyNights Sleeping Bag'")
    assert json.loads(bag.fetchone()[0])["temperature_rating"]

    ratings = [r[0] for r in conn.execute("SELECT rating FROM reviews")]
    assert len(ratings) == 100 and all(r is not None and 1 <= r <= 5 for r in ratings)
    assert count(conn, "reviews", "product_id = '18'") == 5  # '**Rating: 5**' spelling

    gold = conn.execute(
        "SELECT body FROM documents WHERE product_id = ? AND kind = 'return_policy' "
        "AND title = 'Return policy (Gold)'",
        (tent["id"],),
    ).fetchone()
    assert "60 days" in gold["body"]
    assert count(conn, "documents", "kind = 'return_policy' AND title = 'Return policy'") == 20
    for kind in ("features", "specs", "user_guide", "cautions", "warranty", "reviews", "faq"):
        assert count(conn, "documents", f"kind = '{kind}'") >= 20, kind
    # Extra sections of the pants manual are kept as user guide text.
    assert count(conn, "documents", "title = 'Wearing the Hiking Pants' AND kind = 'user_guide'")
    # Features and specs are searchable.
    hit = conn.execute(
        "SELECT p.id FROM product_fts f JOIN products p ON p.num = f.rowid "
        "WHERE product_fts MATCH 'extra : 2000mm'"
    ).fetchall()
    assert tent["id"] in {r[0] for r in hit}

    tiers = dict(conn.execute("SELECT id, membership FROM customers").fetchall())
    assert len(tiers) == 12
    assert set(tiers.values()) == {"Base", "Gold", "Platinum", "None"}
    assert count(conn, "orders", "customer_id = '1'") == 3
    assert (
        conn.execute(
            "SELECT ordered_on FROM orders WHERE customer_id = '1' AND order_id = '29'"
        ).fetchone()[0]
        == "2023-02-10"
    )
    assert count(conn, "imports", "format = 'contoso'") == 1
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []

    conn.close()
    raw = file_bytes(db)
    assert b"johnsmith@example.com" not in raw and b"555-123-4567" not in raw
    for path in (STORE / "customers").glob("*.json"):
        person = json.loads(path.read_text(encoding="utf-8"))
        for key in ("email", "phone", "address"):
            assert person[key].encode() not in raw, (path.name, key)


def test_contoso_reimport_replaces_and_keeps_stock(stocked: sqlite3.Connection) -> None:
    conn = stocked
    tables = (
        "products",
        "variants",
        "facets",
        "documents",
        "reviews",
        "customers",
        "orders",
        "product_fts",
    )
    counts = {t: count(conn, t) for t in tables}
    with transaction(conn):
        CatalogWriter(conn).set_stock("1", 7)
        CatalogWriter(conn).set_location("1", "4", "B")
    import_paths(conn, [STORE])
    assert {t: count(conn, t) for t in tables} == counts
    row = conn.execute("SELECT stock, aisle, shelf FROM products WHERE id = '1'").fetchone()
    assert tuple(row) == (7, "4", "B")
    assert count(conn, "imports") == 2


def test_contoso_manual_for_unknown_product(
    stocked: sqlite3.Connection, db: Path, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    shutil.copytree(STORE, store)
    write(store / "manuals" / "product_info_99.md", "# Information about product 99\n")
    assert_rejected_unchanged(
        stocked, db, [store], "product_info_99.md", "'99'", "not in products.csv"
    )


def test_progress_reports_reading_writing_and_the_end(conn: sqlite3.Connection) -> None:
    calls: list[tuple[int, int | None]] = []
    import_paths(conn, [STORE], progress=lambda done, total: calls.append((done, total)))
    assert calls and calls[-1][0] == calls[-1][1] and calls[-1][1] is not None


# -- rejected inputs leave the catalog unchanged -------------------------------------

GOOD_ROWS = "".join(f"P{i},Product {i},{i}.50\n" for i in range(1, 6))  # lines 2-6

BAD_INPUTS: list[tuple[str, str | bytes, tuple[str, ...]]] = [
    (
        "missing-column.csv",
        "id,name\n1,Tent\n",
        (", line 1, field 'price': missing required column 'price'", "expected columns"),
    ),
    (
        "wrong-column.csv",
        "id,title,price\n1,Tent,10\n",
        ("field 'name': missing required column 'name'", "the header has id, title, price"),
    ),
    (
        "column-count.csv",
        "id,name,price\n1,Tent,10\n2,Stove\n",
        (", line 3: row has 2 fields but the header has 3 columns",),
    ),
    (
        "negative.csv",
        "id,name,price\n" + GOOD_ROWS + "P6,Bad,-5\n",
        ("negative.csv, line 7, field 'price': price '-5' is negative",),
    ),
    (
        "not-a-number.csv",
        "id,name,price\nP1,Tent,ten dollars\n",
        (", line 2, field 'price': price 'ten dollars' is not a number",),
    ),
    ("empty-name.csv", "id,name,price\nP1, ,10\n", (", line 2, field 'name': name is empty",)),
    (
        "bad-utf8.csv",
        b"id,name,price\nP1,Tent,10\nP2,Caf\xff,12\n",
        (", line 3: not valid UTF-8 (byte 0xff at column 7)",),
    ),
    (
        "duplicate.csv",
        "id,name,price\nP1,Tent,10\nP2,Stove,5\nP1,Tent again,11\n",
        (", line 4, field 'id': duplicate id 'P1' (first on line 2)",),
    ),
    (
        "duplicate-sku.csv",
        "id,name,price,sku,size\nB,Boot,10,B-9,9\nB,Boot,10,B-9,10\n",
        (", line 3, field 'sku': duplicate sku 'B-9' (first on line 2)",),
    ),
    (
        "truncated.csv",
        'id,name,price,description\nP1,Tent,10,"fine"\nP2,Stove,20,"cut off\n',
        (", line 3: the file ends inside a quoted field (unterminated quote",),
    ),
    (
        "bad-stock.csv",
        "id,name,price,stock\nP1,Tent,10,3\nP2,Stove,20,lots\n",
        (", line 3, field 'stock': stock 'lots' is not a whole number",),
    ),
    (
        "negative-stock.csv",
        "id,name,price,stock\nP1,Tent,10,-1\n",
        (", line 2, field 'stock': stock '-1' is negative",),
    ),
    (
        "truncated.json",
        '[\n  {"id": "P1", "name": "Tent", "price": 10},\n  {"id": "P2", "na',
        (", line 3: invalid JSON", "truncated"),
    ),
    (
        "bad-price.json",
        '[\n  {"id": "P1", "name": "Tent", "price": 10},\n'
        '  {"id": "P2",\n   "name": "Stove", "price": -3}\n]',
        (", line 3, field 'price': price '-3' is negative",),
    ),
    (
        "bad-variant.json",
        '{"products": [\n {"id": "P1", "name": "Boot", "price": 10,\n'
        '  "variants": [{"sku": "B9", "size": "9", "stock": -2}]}]}',
        (", line 2, field 'variants[0].stock': stock '-2' is negative",),
    ),
    ("not-a-list.json", '{"items": []}', ("expected a list of product objects",)),
    (
        "cut.jsonl",
        '{"id": "P1", "name": "Tent", "price": 10}\n{"id": "P2", "name": "St',
        (", line 2: invalid JSON",),
    ),
    ("empty.csv", "", ("the file is empty",)),
    # Issue 12: these raised a traceback (decimal.InvalidOperation, OverflowError in
    # SQLite, RecursionError) or were silently changed ($1.00, $0, one key of two).
    (
        "huge-exponent.csv",
        "id,name,price\nP1,Tent,1e309\n",
        (", line 2, field 'price': price '1e309' is more than $100,000,000",),
    ),
    (
        "huge-price.csv",
        "id,name,price\nP1,Tent,12345678901234567890123\n",
        (", line 2, field 'price': price '12345678901234567890123' is more than",),
    ),
    (
        "huge-stock.csv",
        "id,name,price,stock\nP1,Tent,10,12345678901234567890123\n",
        (", line 2, field 'stock': stock '12345678901234567890123' is more than 1,000,000,000",),
    ),
    (
        "huge-stock.json",
        '[{"id": "P1", "name": "Tent", "price": 10, "stock": 12345678901234567890123}]',
        (", line 1, field 'stock': stock '12345678901234567890123' is more than",),
    ),
    (
        "huge-variant-stock.json",
        '[{"id": "P1", "name": "Boot", "price": 10,\n'
        '  "variants": [{"sku": "B9", "stock": "99999999999999999999999"}]}]',
        (", line 1, field 'variants[0].stock': stock '99999999999999999999999' is more",),
    ),
    (
        "huge-inventory-shopify.csv",
        "Handle,Title,Variant Price,Variant Inventory Qty\nk,Kettle,35,12345678901234567890123\n",
        (", line 2, field 'Variant Inventory Qty': inventory '12345678901234567890123' is more",),
    ),
    (
        "five-thousand-digits.json",
        '[{"id": "P1", "name": "Tent", "price": ' + "9" * 5000 + "}]",
        ("can't read a JSON value", "digits"),
    ),
    (
        "deep.json",
        "[" * 100_000 + "]" * 100_000,
        ("JSON nested too deeply (more than 32 levels",),
    ),
    (
        "deep-but-parseable.json",
        '[{"id": "P1", "name": "Tent", "price": 10, "x": ' + "[" * 500 + "]" * 500 + "}]",
        ("JSON nested too deeply",),
    ),
    (
        "deep.jsonl",
        '{"id": "P1", "name": "Tent", "price": 10}\n' + "[" * 100_000 + "]" * 100_000 + "\n",
        (", line 2: JSON nested too deeply",),
    ),
    (
        "duplicate-key.json",
        '[\n  {"id": "P1", "name": "Tent", "price": 10},\n'
        '  {"id": "P2", "name": "Stove",\n   "price": 5, "price": 500}\n]',
        (", line 3, field 'price': key 'price' appears twice in one object",),
    ),
    (
        "duplicate-nested-key.json",
        '{"products": [\n {"id": "P1", "name": "Boot", "price": 10,\n'
        '  "attributes": {"color": "red", "color": "blue"}}]}',
        (", line 2, field 'color': key 'color' appears twice",),
    ),
    (
        "duplicate-top-key.json",
        '{"products": [{"id": "P1", "name": "A", "price": 1}],\n'
        ' "products": [{"id": "P2", "name": "B", "price": 2}]}',
        (", line 2, field 'products': key 'products' appears twice",),
    ),
    (
        "duplicate-key-case.json",
        '[{"id": "P1", "Name": "Tent", "name": "Stove", "price": 10}]',
        (", line 1, field 'name': key 'name' is given twice",),
    ),
    (
        "duplicate-key.jsonl",
        '{"id": "P1", "name": "Tent", "price": 10}\n{"id": "P2", "name": "A", "name": "B", '
        '"price": 3}\n',
        (", line 2, field 'name': key 'name' appears twice",),
    ),
    (
        "european-price.csv",
        'id,name,price\nP1,Tent,"1.000,50"\n',
        (", line 2, field 'price': price '1.000,50' uses ',' as the decimal mark",),
    ),
    (
        "decimal-comma.csv",
        'id,name,price\nP1,Tent,"12,50"\n',
        (", line 2, field 'price': price '12,50' has a comma that is not a thousands",),
    ),
    (
        "dot-thousands.csv",
        "id,name,price\nP1,Tent,1.000\n",
        (", line 2, field 'price': price '1.000' is ambiguous",),
    ),
    (
        "sub-cent.csv",
        "id,name,price\nP1,Tent,0.001\n",
        (", line 2, field 'price': price '0.001' has a fraction of a cent",),
    ),
    (
        "sub-cent.json",
        '[{"id": "P1", "name": "Tent", "price": 19.999}]',
        (", line 1, field 'price': price '19.999' has a fraction of a cent",),
    ),
    (
        "replace-flag.json",
        '{"replace": "yes", "products": []}',
        ("field 'replace': \"replace\" must be true or false",),
    ),
    (
        "catalog.xlsx",
        "whatever",
        ("catalog.xlsx: unsupported file type '.xlsx'", "accepted:", "Shopify"),
    ),
]


@pytest.mark.parametrize(
    ("name", "content", "expected"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS]
)
def test_bad_input_is_rejected_and_catalog_unchanged(
    stocked: sqlite3.Connection,
    db: Path,
    tmp_path: Path,
    name: str,
    content: str | bytes,
    expected: tuple[str, ...],
) -> None:
    path = write(tmp_path / name, content)
    error = assert_rejected_unchanged(stocked, db, [path], str(path), *expected)
    assert error.path == str(path)


def test_missing_path_and_non_store_folder(
    stocked: sqlite3.Connection, db: Path, tmp_path: Path
) -> None:
    assert_rejected_unchanged(stocked, db, [tmp_path / "nope.csv"], "no such file")
    (tmp_path / "folder").mkdir()
    assert_rejected_unchanged(stocked, db, [tmp_path / "folder"], "needs products.csv")


def test_second_bad_file_keeps_first_out(
    stocked: sqlite3.Connection, db: Path, tmp_path: Path
) -> None:
    good = write(tmp_path / "good.csv", "id,name,price\nG1,Good one,10\nG2,Good two,12\n")
    bad = write(tmp_path / "bad.csv", "id,name,price\nB1,Bad one,-1\n")
    assert_rejected_unchanged(stocked, db, [good, bad], "bad.csv, line 2, field 'price'")
    assert count(stocked, "products", "id LIKE 'G%'") == 0


def test_failure_while_writing_rolls_back(
    stocked: sqlite3.Connection, db: Path, tmp_path: Path
) -> None:
    """A conflict only the database can see (a SKU owned by another product) undoes it all."""
    first = write(tmp_path / "first.csv", "id,name,price,sku,size\nBOOT,Boot,10,SKU-1,9\n")
    import_paths(stocked, [first])
    second = write(
        tmp_path / "second.csv",
        "id,name,price,sku,size\nNEW,New thing,5,SKU-2,M\nOTHER,Other,7,SKU-1,L\n",
    )
    error = assert_rejected_unchanged(stocked, db, [second], "product 'OTHER'")
    assert error.line == 3
    assert count(stocked, "products", "id IN ('NEW', 'OTHER')") == 0


# -- generic feeds -----------------------------------------------------------------


def test_generic_csv_with_variants(conn: sqlite3.Connection, tmp_path: Path) -> None:
    path = write(
        tmp_path / "boots.csv",
        textwrap.dedent("""\
        id,name,price,brand,category,sku,size,color,stock,material,aisle,Heel Height
        BOOT-1,Ridge Boot,120.00,TrekReady,Hiking Footwear,RB-9,9,Brown,2,Leather,7,3 cm
        BOOT-1,Ridge Boot,120.00,TrekReady,Hiking Footwear,RB-10,10,Brown,0,Leather,7,3 cm
        BOOT-1,Ridge Boot,125.00,TrekReady,Hiking Footwear,RB-11,11,Brown,5,Leather,7,3 cm
        SOCK-1,"Wool Socks, 2-pack",$12.5,,Accessories,,,,40,Merino,,
        """),
    )
    summary = import_paths(conn, [path])
    assert (summary.products, summary.formats) == (2, ["csv"])
    boot = conn.execute("SELECT * FROM products WHERE id = 'BOOT-1'").fetchone()
    assert (boot["price_cents"], boot["stock"], boot["aisle"]) == (12000, 7, "7")
    assert json.loads(boot["attributes"]) == {"material": "Leather", "heel_height": "3 cm"}
    variants = conn.execute(
        "SELECT sku, size, color, price_cents, stock FROM variants WHERE product_id = 'BOOT-1' "
        "ORDER BY rowid"
    ).fetchall()
    assert [tuple(v) for v in variants] == [
        ("RB-9", "9", "Brown", None, 2),
        ("RB-10", "10", "Brown", None, 0),
        ("RB-11", "11", "Brown", 12500, 5),
    ]
    sizes = {
        r[0]
        for r in conn.execute(
            "SELECT value FROM facets WHERE product_id = 'BOOT-1' AND facet = 'size'"
        )
    }
    assert sizes == {"9", "10", "11"}
    sock = conn.execute("SELECT * FROM products WHERE id = 'SOCK-1'").fetchone()
    assert (sock["name"], sock["price_cents"], sock["stock"]) == ("Wool Socks, 2-pack", 1250, 40)
    assert count(conn, "variants", "product_id = 'SOCK-1'") == 0


def test_generic_reimport_without_stock_keeps_stock(
    conn: sqlite3.Connection, tmp_path: Path
) -> None:
    import_paths(conn, [write(tmp_path / "a.csv", "id,name,price,stock,aisle\nP1,Tent,10,4,2\n")])
    import_paths(conn, [write(tmp_path / "b.csv", "id,name,price\nP1,Tent,11\n")])
    row = conn.execute("SELECT price_cents, stock, aisle FROM products WHERE id = 'P1'").fetchone()
    assert tuple(row) == (1100, 4, "2")


def test_generic_json_and_jsonl(conn: sqlite3.Connection, tmp_path: Path) -> None:
    feed = {
        "products": [
            {
                "id": 101,
                "name": "Trail Jacket",
                "price": 89.99,
                "brand": "MountainStyle",
                "category": "Hiking Clothing",
                "aisle": "3",
                "shelf": "A",
                "attributes": {"Waterproof": "Yes", "color": "Red"},
                "variants": [
                    {"sku": "TJ-M", "size": "M", "stock": 3},
                    {"sku": "TJ-L", "size": "L", "stock": 1, "price": "94.99"},
                ],
            },
            {
                "id": "102",
                "name": "Camp Mug",
                "price": "7",
                "stock": 12,
                "material": "Steel",
                "capacity": "350 ml",
            },
        ]
    }
    json_path = write(tmp_path / "feed.json", json.dumps(feed, indent=2))
    jsonl_path = write(
        tmp_path / "more.jsonl",
        '{"id": "103", "name": "Headlamp", "price": 25, "stock": 0}\n\n'
        '{"id": "104", "name": "Lantern", "price": "19.95"}\n',
    )
    assert detect_format(json_path) == "json" and detect_format(jsonl_path) == "jsonl"
    summary = import_paths(conn, [json_path, jsonl_path])
    assert summary == ImportSummary(products=4, formats=["json", "jsonl"], new=4)
    jacket = conn.execute("SELECT * FROM products WHERE id = '101'").fetchone()
    assert (jacket["price_cents"], jacket["stock"], jacket["aisle"], jacket["shelf"]) == (
        8999,
        4,
        "3",
        "A",
    )
    assert json.loads(jacket["attributes"]) == {"waterproof": "Yes", "color": "Red"}
    assert [
        tuple(r)
        for r in conn.execute(
            "SELECT sku, size, price_cents, stock FROM variants WHERE product_id = '101' "
            "ORDER BY rowid"
        )
    ] == [("TJ-M", "M", None, 3), ("TJ-L", "L", 9499, 1)]
    mug = conn.execute("SELECT * FROM products WHERE id = '102'").fetchone()
    assert (mug["price_cents"], mug["stock"]) == (700, 12)
    facets = {
        tuple(r) for r in conn.execute("SELECT facet, value FROM facets WHERE product_id = '102'")
    }
    assert facets == {("material", "steel"), ("capacity", "350 ml")}
    assert count(conn, "products", "id IN ('103', '104')") == 2
    assert count(conn, "imports") == 2


# -- Shopify ------------------------------------------------------------------------

SHOPIFY_COLUMNS = [
    "Handle",
    "Title",
    "Body (HTML)",
    "Vendor",
    "Product Category",
    "Type",
    "Tags",
    "Published",
    "Option1 Name",
    "Option1 Value",
    "Option2 Name",
    "Option2 Value",
    "Option3 Name",
    "Option3 Value",
    "Variant SKU",
    "Variant Grams",
    "Variant Inventory Tracker",
    "Variant Inventory Qty",
    "Variant Inventory Policy",
    "Variant Fulfillment Service",
    "Variant Price",
    "Variant Compare At Price",
    "Image Src",
    "Status",
]
SHOPIFY_ROWS: list[dict[str, str]] = [
    {
        "Handle": "ridge-runner",
        "Title": "Ridge Runner Trail Shoe",
        "Body (HTML)": "<p>Light <strong>trail</strong> shoe &amp; grippy sole.</p>"
        "<ul><li>Mesh upper</li></ul>",
        "Vendor": "TrekReady",
        "Product Category": "Apparel & Accessories > Shoes > Trail Shoes",
        "Tags": "trail, running",
        "Published": "TRUE",
        "Option1 Name": "Size",
        "Option1 Value": "9",
        "Option2 Name": "Color",
        "Option2 Value": "Blue",
        "Variant SKU": "RR-9",
        "Variant Inventory Qty": "4",
        "Variant Price": "99.00",
        "Variant Compare At Price": "120.00",
        "Image Src": "https://example.com/a.jpg",
        "Status": "active",
    },
    {
        "Handle": "ridge-runner",
        "Option1 Value": "10",
        "Option2 Value": "Blue",
        "Variant SKU": "RR-10",
        "Variant Inventory Qty": "0",
        "Variant Price": "99.00",
        "Image Src": "https://example.com/b.jpg",
    },
    {
        "Handle": "ridge-runner",
        "Option1 Value": "11",
        "Option2 Value": "Blue",
        "Variant SKU": "RR-11",
        "Variant Inventory Qty": "-2",
        "Variant Price": "104.50",
    },
    {"Handle": "ridge-runner", "Image Src": "https://example.com/c.jpg"},  # image only
    {
        "Handle": "camp-kettle",
        "Title": "Camp Kettle",
        "Body (HTML)": "<p>Boils fast.</p>",
        "Vendor": "CampBuddy",
        "Type": "Cookware",
        "Published": "TRUE",
        "Option1 Name": "Title",
        "Option1 Value": "Default Title",
        "Variant SKU": "CK-1",
        "Variant Inventory Qty": "9",
        "Variant Price": "35",
        "Status": "active",
    },
    {
        "Handle": "secret-tent",
        "Title": "Secret Tent",
        "Body (HTML)": "<p>Not yet.</p>",
        "Vendor": "OutdoorLiving",
        "Type": "Tents",
        "Published": "FALSE",
        "Option1 Name": "Title",
        "Option1 Value": "Default Title",
        "Variant SKU": "ST-1",
        "Variant Inventory Qty": "2",
        "Variant Price": "400",
        "Status": "draft",
    },
]


def shopify_csv(rows: list[dict[str, str]] = SHOPIFY_ROWS) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, SHOPIFY_COLUMNS, restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def test_shopify_export(conn: sqlite3.Connection, tmp_path: Path) -> None:
    path = write(tmp_path / "products_export.csv", shopify_csv())
    assert detect_format(path) == "shopify"
    summary = import_paths(conn, [path])
    assert (summary.products, summary.skipped, summary.formats) == (2, 1, ["shopify"])
    shoe = conn.execute("SELECT * FROM products WHERE id = 'ridge-runner'").fetchone()
    assert (shoe["name"], shoe["brand"], shoe["category"]) == (
        "Ridge Runner Trail Shoe",
        "TrekReady",
        "Trail Shoes",
    )
    assert shoe["description"] == "Light trail shoe & grippy sole.\n\nMesh upper"
    assert (shoe["price_cents"], shoe["stock"]) == (9900, 4)
    assert json.loads(shoe["attributes"]) == {"tags": ["trail", "running"]}
    assert [
        tuple(r)
        for r in conn.execute(
            "SELECT sku, size, color, price_cents, stock FROM variants "
            "WHERE product_id = 'ridge-runner' ORDER BY rowid"
        )
    ] == [
        ("RR-9", "9", "Blue", None, 4),
        ("RR-10", "10", "Blue", None, 0),
        ("RR-11", "11", "Blue", 10450, 0),
    ]
    kettle = conn.execute("SELECT * FROM products WHERE id = 'camp-kettle'").fetchone()
    assert (kettle["price_cents"], kettle["stock"], kettle["category"]) == (3500, 9, "Cookware")
    assert count(conn, "variants", "product_id = 'camp-kettle'") == 0
    assert count(conn, "products", "id = 'secret-tent'") == 0


def test_shopify_bad_price_is_rejected(
    stocked: sqlite3.Connection, db: Path, tmp_path: Path
) -> None:
    rows = [dict(r) for r in SHOPIFY_ROWS]
    rows[2]["Variant Price"] = "1o4.50"
    path = write(tmp_path / "export.csv", shopify_csv(rows))
    assert_rejected_unchanged(
        stocked, db, [path], ", line 4, field 'Variant Price': price '1o4.50' is not a number"
    )


# -- a crash mid-import ------------------------------------------------------------

KILLED_IMPORT = """
import sys
from pathlib import Path
from kiosk.catalog.db import connect
from kiosk.catalog.importers import import_paths

def progress(done, total):
    if total is not None:
        print(f"writing {done} of {total}", flush=True)

conn = connect(sys.argv[1])
import_paths(conn, [Path(sys.argv[2])], progress=progress)
print("committed", flush=True)
"""


def test_killed_import_leaves_previous_catalog(db: Path, tmp_path: Path) -> None:
    conn = connect(db)
    import_paths(conn, [STORE])
    before = dump(conn)
    conn.close()

    big = tmp_path / "big.csv"
    with big.open("w", encoding="utf-8") as fh:
        fh.write("id,name,price,brand,category,description,stock\n")
        for i in range(200_000):
            fh.write(f"BIG-{i},Big item {i},{i % 500}.99,Acme,Widgets,Load test item {i},{i % 7}\n")

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_IMPORT, str(db), str(big)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("writing") and int(line.split()[1]) >= 20_000:
                break
            assert line.strip() != "committed"
        else:
            pytest.fail(f"import never got going: {proc.stderr.read() if proc.stderr else ''}")
        assert Path(f"{db}-wal").exists()
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    conn = connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert dump(conn) == before
        assert count(conn, "products", "id LIKE 'BIG-%'") == 0
        assert count(conn, "products") == 20
    finally:
        conn.close()


# -- merge and replace (issue 12: a partial re-import wiped product details) ---------------


def product_row(conn: sqlite3.Connection, pid: str) -> dict[str, Any]:
    row = conn.execute("SELECT * FROM products WHERE id = ?", (pid,)).fetchone()
    return {k: row[k] for k in row.keys() if k not in ("updated_at", "source")}  # noqa: SIM118


def variants_of(conn: sqlite3.Connection, pid: str) -> list[tuple[Any, ...]]:
    return [
        tuple(r)
        for r in conn.execute(
            "SELECT sku, size, color, price_cents, stock FROM variants WHERE product_id = ? "
            "ORDER BY sku",
            (pid,),
        )
    ]


def test_partial_reimport_changes_only_what_the_file_has(
    stocked: sqlite3.Connection, tmp_path: Path
) -> None:
    """`id,name,price` for the tent: brand, category, description, attributes, documents
    and its place in search stay; only the price changes, and the report says so."""
    conn = stocked
    with transaction(conn):
        CatalogWriter(conn).set_stock("1", 6)
    before = product_row(conn, "1")
    others = {t: dump(conn)[t] for t in ("documents", "reviews", "customers", "orders")}
    partial = write(tmp_path / "p.csv", "id,name,price\n1,TrailMaster X4 Tent,239.99\n")

    summary = import_paths(conn, [partial])

    after = product_row(conn, "1")
    assert after == {**before, "price_cents": 23999}
    assert json.loads(after["attributes"])["rainfly_waterproof_rating"] == "2000mm"
    assert {t: dump(conn)[t] for t in others} == others
    from kiosk.catalog.repository import Catalog
    from kiosk.catalog.search import SearchFilters

    with Catalog.open(conn.execute("PRAGMA database_list").fetchone()[2]) as catalog:
        tents = catalog.search("tents", SearchFilters(category="Tents"), limit=10)
        assert "1" in [h.product_id for h in tents]
        found = catalog.search("rainfly waterproof", limit=3)
        assert "1" in [h.product_id for h in found], "its specs are still searched"
    assert (summary.new, summary.updated, summary.unchanged) == (0, 1, 0)
    assert summary.fields == {"price": 1}
    assert summary.report()[:2] == [
        "products: 1 updated (price)",
        "  1 TrailMaster X4 Tent: price $250 -> $239.99",
    ]
    again = import_paths(conn, [partial])
    assert (again.updated, again.unchanged) == (0, 1)
    assert again.report() == ["products: 1 unchanged"]


def test_merge_attributes_and_variants_by_name_and_sku(
    conn: sqlite3.Connection, tmp_path: Path
) -> None:
    first = write(
        tmp_path / "boots.csv",
        "id,name,price,brand,sku,size,color,stock,material,heel height\n"
        "BOOT-1,Ridge Boot,120,TrekReady,RB-9,9,Brown,2,Leather,3 cm\n"
        "BOOT-1,Ridge Boot,125,TrekReady,RB-10,10,Brown,4,Leather,3 cm\n",
    )
    import_paths(conn, [first])
    # Only RB-10's stock and one attribute: the rest of the boot stays as it was.
    second = write(
        tmp_path / "update.csv",
        "id,name,price,sku,stock,material\nBOOT-1,Ridge Boot,125,RB-10,7,Suede\n",
    )
    summary = import_paths(conn, [second])
    boot = product_row(conn, "BOOT-1")
    assert boot["brand"] == "TrekReady"
    assert json.loads(boot["attributes"]) == {"material": "Suede", "heel_height": "3 cm"}
    assert variants_of(conn, "BOOT-1") == [
        ("RB-10", "10", "Brown", 12500, 7),
        ("RB-9", "9", "Brown", None, 2),
    ]
    assert (boot["price_cents"], boot["stock"]) == (12000, 9)  # from the cheapest; their sum
    assert summary.fields == {"attributes": 1, "stock": 1, "variants": 1}
    # RB-10 now costs less than RB-9: the boot costs "from" $110, and RB-9, which the
    # feed doesn't mention, still costs $120.
    import_paths(
        conn,
        [write(tmp_path / "sale.csv", "id,name,price,sku\nBOOT-1,Ridge Boot,110,RB-10\n")],
    )
    assert product_row(conn, "BOOT-1")["price_cents"] == 11000
    assert variants_of(conn, "BOOT-1") == [
        ("RB-10", "10", "Brown", None, 7),
        ("RB-9", "9", "Brown", 12000, 2),
    ]
    sizes = {r[0] for r in conn.execute("SELECT value FROM facets WHERE product_id = 'BOOT-1'")}
    assert {"9", "10", "suede"} <= sizes

    # A new SKU with its own size joins them; one with RB-9's size and colour is refused.
    import_paths(
        conn,
        [write(tmp_path / "more.csv", "id,name,price,sku,size\nBOOT-1,Ridge Boot,125,RB-11,11\n")],
    )
    assert [v[0] for v in variants_of(conn, "BOOT-1")] == ["RB-10", "RB-11", "RB-9"]
    clash = write(
        tmp_path / "clash.csv", "id,name,price,sku,size,color\nBOOT-1,Ridge Boot,125,RB-X,9,Brown\n"
    )
    db = Path(conn.execute("PRAGMA database_list").fetchone()[2])
    assert_rejected_unchanged(
        conn, db, [clash], "clash.csv, line 2", "'RB-9' and 'RB-X'", "size '9' and color 'Brown'"
    )


def test_replace_makes_each_product_whole(stocked: sqlite3.Connection, tmp_path: Path) -> None:
    conn = stocked
    with transaction(conn):
        CatalogWriter(conn).set_stock("1", 6)
        CatalogWriter(conn).set_location("1", "4", "B")
    partial = write(tmp_path / "p.csv", "id,name,price\n1,TrailMaster X4 Tent,239.99\n")
    summary = import_paths(conn, [partial], replace=True)
    tent = product_row(conn, "1")
    assert (tent["brand"], tent["category"], tent["description"], tent["attributes"]) == (
        "",
        "",
        "",
        "{}",
    )
    assert (tent["price_cents"], tent["stock"], tent["aisle"], tent["shelf"]) == (
        23999,
        6,
        "4",
        "B",
    )
    assert summary.replaced and summary.updated == 1
    assert "replaced whole" in summary.report()[0]
    assert "brand" in summary.fields and "attributes" in summary.fields


def test_a_json_feed_can_ask_for_whole_products(conn: sqlite3.Connection, tmp_path: Path) -> None:
    full = {"id": "J1", "name": "Jacket", "price": 80, "brand": "Acme", "color": "Red"}
    import_paths(conn, [write(tmp_path / "a.json", json.dumps([full]))])
    short = {"id": "J1", "name": "Jacket", "price": 85}
    import_paths(conn, [write(tmp_path / "merge.json", json.dumps({"products": [short]}))])
    jacket = product_row(conn, "J1")
    assert (jacket["brand"], jacket["attributes"], jacket["price_cents"]) == (
        "Acme",
        '{"color": "Red"}',
        8500,
    )
    feed = {"replace": True, "products": [short]}
    summary = import_paths(conn, [write(tmp_path / "whole.json", json.dumps(feed))])
    jacket = product_row(conn, "J1")
    assert (jacket["brand"], jacket["attributes"]) == ("", "{}")
    assert summary.replaced


def test_report_counts_new_updated_unchanged_and_fields(
    stocked: sqlite3.Connection, tmp_path: Path
) -> None:
    feed = write(
        tmp_path / "feed.csv",
        "id,name,price,stock\n"
        "1,TrailMaster X4 Tent,250,5\n"  # stock only
        "2,Adventurer Pro Backpack,95,\n"  # price only
        "3,Summit Breeze Jacket,120,\n"  # unchanged
        "NEW,Camp Mug,7,3\n",
    )
    summary = import_paths(stocked, [feed])
    assert (summary.products, summary.new, summary.updated, summary.unchanged) == (4, 1, 2, 1)
    assert summary.fields == {"price": 1, "stock": 1}
    assert summary.report() == [
        "products: 1 new, 2 updated (price on 1, stock on 1), 1 unchanged",
        "  1 TrailMaster X4 Tent: stock 0 -> 5",
        "  2 Adventurer Pro Backpack: price $90 -> $95",
    ]


# -- control characters (issue 12: escape sequences reached the terminal, NULs were kept) ----

ESCAPES = "\x1b[2J\x1b]0;owned\x07\x1b]8;;http://evil.example\x1b\\"


def test_control_characters_are_removed_at_import_and_reported(
    conn: sqlite3.Connection, db: Path, tmp_path: Path
) -> None:
    csv_feed = write(
        tmp_path / "feed.csv",
        "id,name,price,brand,description\n"
        f'C1,Zephyr{ESCAPES} Lantern,25,Lumen\x00Co,"Bright.\x1b[31m Red!\x1b[0m\nTwo lines."\n',
    )
    json_feed = write(
        tmp_path / "feed.json",
        json.dumps(
            [
                {
                    "id": "J1",
                    "name": "Camp\u001b[5m Kettle\u0000",
                    "price": 30,
                    "attributes": {"colour\u009b": "Gre\u001bcen"},
                    "variants": [{"sku": "K\u0007-1", "size": "1 L"}],
                }
            ]
        ),
    )
    shop = write(
        tmp_path / "shop.csv",
        shopify_csv([{**SHOPIFY_ROWS[4], "Body (HTML)": "<p>Boils \x1b[2Jfast.&#27;</p>"}]),
    )
    summary = import_paths(conn, [csv_feed, json_feed, shop])

    lantern = product_row(conn, "C1")
    assert (lantern["name"], lantern["brand"]) == ("Zephyr Lantern", "LumenCo")
    assert lantern["description"] == "Bright. Red!\nTwo lines."
    kettle = product_row(conn, "J1")
    assert kettle["name"] == "Camp Kettle"
    assert json.loads(kettle["attributes"]) == {"colour": "Green"}
    assert variants_of(conn, "J1") == [("K-1", "1 L", "", None, 0)]
    assert product_row(conn, "camp-kettle")["description"] == "Boils fast."
    stored = [v for rows in dump(conn).values() for r in rows for v in r if isinstance(v, str)]
    assert not [v for v in stored if has_control(v)]
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert b"Lumen\x00Co" not in file_bytes(db)
    assert summary.cleaned == 8
    assert summary.cleaned_at[:3] == [
        f"{csv_feed}, line 2, field 'name'",
        f"{csv_feed}, line 2, field 'brand'",
        f"{csv_feed}, line 2, field 'description'",
    ]
    assert f"{shop}, line 2, field 'Body (HTML)'" in summary.cleaned_at
    assert (
        "removed control characters or terminal escape codes from 8 fields"
        in (summary.report()[-1])
    )


def test_control_characters_in_a_store_folder(conn: sqlite3.Connection, tmp_path: Path) -> None:
    store = tmp_path / "store"
    shutil.copytree(STORE, store)
    manual = store / "manuals" / "product_info_1.md"
    manual.write_text(
        manual.read_text(encoding="utf-8").replace("## Features", "## Features\x1b]52;c;Zm9v\x07"),
        encoding="utf-8",
    )
    summary = import_paths(conn, [store])
    assert summary.cleaned == 1 and summary.cleaned_at == [str(manual)]
    assert count(conn, "documents", "body LIKE '%' || char(27) || '%'") == 0
    assert count(conn, "documents", "title LIKE '%' || char(27) || '%'") == 0


# -- every problem in one pass (issue 15) ---------------------------------------------------


def test_every_problem_is_reported_at_once(
    stocked: sqlite3.Connection, db: Path, tmp_path: Path
) -> None:
    bad = write(
        tmp_path / "three.csv",
        "id,name,price,stock\n"
        "P1,Tent,10,1\n"
        "P2,Stove,-5,2\n"  # line 3: price
        "P3,Mug,3,lots\n"  # line 4: stock
        "P4,,ten,1\n"  # line 5: name and price
        "P1,Tent again,11,1\n",  # line 6: duplicate
    )
    error = assert_rejected_unchanged(
        stocked,
        db,
        [bad],
        "5 problems; nothing was imported, the catalog is unchanged:",
        "three.csv, line 3, field 'price': price '-5' is negative",
        "three.csv, line 4, field 'stock': stock 'lots' is not a whole number",
        "three.csv, line 5, field 'name': name is empty",
        "three.csv, line 5, field 'price': price 'ten' is not a number",
        "three.csv, line 6, field 'id': duplicate id 'P1' (first on line 2)",
    )
    assert [(p.line, p.field) for p in error.problems] == [
        (3, "price"),
        (4, "stock"),
        (5, "name"),
        (5, "price"),
        (6, "id"),
    ]
    assert (error.path, error.line, error.field, error.more) == (str(bad), 3, "price", 0)


def test_problems_in_several_files_and_formats_are_reported_together(
    stocked: sqlite3.Connection, db: Path, tmp_path: Path
) -> None:
    a = write(tmp_path / "a.csv", "id,name,price\nA1,Tent,-1\n")
    b = write(tmp_path / "b.json", '[{"id": "B1", "name": "Stove", "price": "x"}]')
    c = write(tmp_path / "c.jsonl", '{"id": "C1"\n{"id": "C2", "name": "Mug", "price": 0.001}\n')
    store = tmp_path / "store"
    shutil.copytree(STORE, store)
    rows = (store / "products.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    rows[2] = rows[2].replace(",90.0,", ",ninety,", 1)
    (store / "products.csv").write_text("".join(rows), encoding="utf-8")
    write(store / "manuals" / "product_info_99.md", "# 99\n")
    error = assert_rejected_unchanged(
        stocked,
        db,
        [a, b, c, tmp_path / "missing.csv", store],
        "7 problems",
        "a.csv, line 2, field 'price'",
        "b.json, line 1, field 'price'",
        "c.jsonl, line 1: invalid JSON",
        "c.jsonl, line 2, field 'price': price '0.001' has a fraction of a cent",
        "missing.csv: no such file",
        "products.csv, line 3, field 'price': price 'ninety' is not a number",
        "product_info_99.md: manual for product id '99'",
    )
    assert len(error.problems) == 7


def test_at_most_fifty_problems_are_listed(
    stocked: sqlite3.Connection, db: Path, tmp_path: Path
) -> None:
    rows = "".join(f"P{i},Item {i},-{i}\n" for i in range(1, 61))
    bad = write(tmp_path / "sixty.csv", "id,name,price\n" + rows)
    error = assert_rejected_unchanged(
        stocked, db, [bad], "60 problems", "line 51, field 'price'", "... and 10 more"
    )
    assert len(error.problems) == 50 and error.more == 10
    assert "line 52," not in error.message


def test_every_conflict_with_the_catalog_is_reported(
    stocked: sqlite3.Connection, db: Path, tmp_path: Path
) -> None:
    import_paths(
        stocked,
        [
            write(
                tmp_path / "first.csv",
                "id,name,price,sku,size\nB,Boot,10,S-1,9\nB,Boot,10,S-2,10\n",
            )
        ],
    )
    second = write(
        tmp_path / "second.csv",
        "id,name,price,sku,size\nX,Other,7,S-1,L\nY,Third,8,S-2,M\nZ,Fine,9,S-3,S\n",
    )
    error = assert_rejected_unchanged(
        stocked,
        db,
        [second],
        "2 problems",
        "line 2: product 'X' conflicts with the catalog: sku 'S-1' already belongs to product 'B'",
        "line 3: product 'Y' conflicts with the catalog: sku 'S-2' already belongs to product 'B'",
    )
    assert [p.line for p in error.problems] == [2, 3]
    assert count(stocked, "products", "id = 'Z'") == 0


# -- files that are not files -----------------------------------------------------------------


def import_or_hang(db: Path, paths: list[Path], fifo: Path) -> ImportError_:
    """The ImportError_ that importing `paths` raises; fails the test if the import blocks
    on `fifo` (opening a FIFO for reading waits for a writer: the import hung for ever)."""
    import threading

    result: list[BaseException | None] = []

    def attempt() -> None:
        conn = connect(db)
        try:
            import_paths(conn, paths)
            result.append(None)
        except BaseException as exc:  # handed to the test's thread
            result.append(exc)
        finally:
            conn.close()

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(timeout=20)
    if worker.is_alive():  # be the writer, so the stuck open() returns and the thread ends
        with open(fifo, "wb"):
            pass
        worker.join(timeout=20)
        pytest.fail(f"the import waited on the FIFO {fifo}")
    (error,) = result
    assert isinstance(error, ImportError_), error
    return error


@pytest.mark.parametrize("name", ["feed.csv", "feed.json", "feed.jsonl"])
def test_a_fifo_is_refused_not_waited_on(
    stocked: sqlite3.Connection, db: Path, tmp_path: Path, name: str
) -> None:
    fifo = tmp_path / name
    os.mkfifo(fifo)
    before = dump(stocked)
    error = import_or_hang(db, [fifo], fifo)
    assert str(error) == (
        f"{fifo}: not a regular file (a pipe, socket or device); import a file or a store folder"
    )
    assert dump(stocked) == before


def test_a_fifo_inside_a_store_folder_is_refused(
    stocked: sqlite3.Connection, db: Path, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    shutil.copytree(STORE, store)
    fifo = store / "customers" / "customer_99.json"
    os.mkfifo(fifo)
    before = dump(stocked)
    error = import_or_hang(db, [store], fifo)
    assert f"{fifo}: not a regular file (a pipe, socket or device)" in str(error)
    assert dump(stocked) == before

"""The name words understanding needs are stored with the word index, not rebuilt.

Issue 16: every process read all product names on its first turn (1.1 s at 100,000
products). Now the word-index build stores them (namevocab.py) and the lexicon reads
names only for the products a request names; it must understand exactly what the
read-everything lexicon understood.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from kiosk.catalog import wordindex
from kiosk.catalog.db import connect
from kiosk.catalog.importers import import_paths
from kiosk.catalog.lexicon import Lexicon
from kiosk.catalog.namevocab import NAMES_FILE
from kiosk.catalog.repository import Catalog
from tests.conftest import CONTOSO

REQUESTS = [
    "do you have the trailmaster tent?",
    "trail master x4",
    "compare the cozynights and the mountaindream sleeping bags",
    "is the skyview in stock",
    "alpine explorer",
    "trekready boots in size 10",
    "the summitclimber backpack",
    "a tent for four people",
    "something warm for the night",
    "TrailMastr tent",  # typo: fuzzy over the stored words
]


@pytest.fixture
def indexed(demo_catalog: Catalog) -> Catalog:
    """The demo store with its word index built, as `kiosk import` leaves it."""
    wordindex.ensure(demo_catalog.conn)
    return demo_catalog


def _in_memory(catalog: Catalog) -> Lexicon:
    """The same catalog copied into memory: no word index, so every name is read."""
    mem = sqlite3.connect(":memory:")
    catalog.conn.backup(mem)
    return Lexicon.build(Catalog(mem))


def test_import_stores_the_name_words_with_the_index(indexed: Catalog) -> None:
    folder = wordindex.current_folder(indexed.conn)
    assert folder is not None
    assert (folder / NAMES_FILE).is_file()
    lex = Lexicon.build(indexed)
    assert not isinstance(lex.names, dict), "names should be read as asked, not all at once"
    assert lex.word_counts["trailmaster"] == 1


def test_stored_and_read_everything_lexicons_understand_the_same(indexed: Catalog) -> None:
    stored, everything = Lexicon.build(indexed), _in_memory(indexed)
    assert isinstance(everything.names, dict)
    assert stored.kind_to_category == everything.kind_to_category
    assert dict(stored.word_counts) == dict(everything.word_counts)
    for text in REQUESTS:
        got = [(m.product_id, m.name) for m in stored.match_names(text)]
        want = [(m.product_id, m.name) for m in everything.match_names(text)]
        assert got == want, text
        assert stored.match_category(text) == everything.match_category(text), text
    assert [m.name for m in stored.match_names("trailmaster")] == ["TrailMaster X4 Tent"]


def test_a_renamed_product_is_understood_by_its_new_name(tmp_path: Path) -> None:
    """Renamed in the store's feed and imported again, as head office would."""
    store = tmp_path / "store"
    shutil.copytree(CONTOSO, store)
    conn = connect(tmp_path / "catalog.sqlite3")
    import_paths(conn, [store])
    products = store / "products.csv"
    products.write_text(
        products.read_text("utf-8").replace("TrailMaster X4 Tent", "Nimbostratus Storm Tent"),
        "utf-8",
    )
    import_paths(conn, [store])
    lex = Lexicon.build(Catalog(conn))
    assert [m.name for m in lex.match_names("the nimbostratus")] == ["Nimbostratus Storm Tent"]
    assert lex.match_names("trailmaster") == []


def test_an_index_built_before_the_name_words_gets_them(indexed: Catalog) -> None:
    folder = wordindex.current_folder(indexed.conn)
    assert folder is not None
    (folder / NAMES_FILE).unlink()
    lex = Lexicon.build(indexed)
    assert (folder / NAMES_FILE).is_file()
    assert [m.name for m in lex.match_names("cozynights")] == ["CozyNights Sleeping Bag"]


def test_no_index_folder_falls_back_to_reading_every_name(tmp_path: Path) -> None:
    conn = connect(tmp_path / "empty.sqlite3")
    lex = Lexicon.build(Catalog(conn))
    assert lex.match_names("anything at all") == []

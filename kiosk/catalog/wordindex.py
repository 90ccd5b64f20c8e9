"""The catalog's word index: tantivy (BM25, English stemming), derived from SQLite.

SQLite stays the one record of the catalog. The index is built from it into a folder
beside the catalog file (`catalog.sqlite3.words/<token>-<generation>/`) and is never
edited in place: a new generation is built in a temporary folder and renamed into
place, so a reader in another process never sees half an index and no two processes
fight over tantivy's writer lock. `search_state.generation` (moved by SQLite triggers
on searchable text, see schema.py) says which folder is current; a stale or missing
one is rebuilt from SQLite.

Text is indexed (name, brand, category, description, specs), plus exact brand and
category keys and the colour and size facets for filters. Other languages' words (the
translations table) go into fields of their own, cut into character pairs (see
translations.py), since Chinese has no spaces between words for the English tokenizer
to split on. Price, stock, aisle and shelf are not indexed: search reads them from
SQLite for every query, so a staff edit is seen at once and needs no rebuild.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import shutil
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import tantivy

from kiosk.catalog.namevocab import NameVocabulary
from kiosk.catalog.normalize import normalize
from kiosk.catalog.schema import TRANSLATED_FIELDS
from kiosk.catalog.translations import index_grams

SUFFIX = ".words"
_TANTIVY = version("tantivy")
TOKENIZER = "kiosk_en"
TEXT_FIELDS = ("name", "category", "brand", "description", "extra")
GRAMS = "kiosk_grams"
# Other languages' name, brand, category and description, as pairs of characters.
GRAM_FIELDS = {f: f"t_{f}" for f in TRANSLATED_FIELDS}
# What the fields of an index folder are: a folder of an older layout is not reused.
# 2: the t_* fields of other languages; 3: facet_key (colour and size, "color:black").
LAYOUT = 3
VOCAB_FILE = "vocab.json"
_DIGIT = re.compile(r"\d")
_SURFACE = re.compile(r"[^\W\d_]{3,}", re.UNICODE)


def analyzer() -> tantivy.TextAnalyzer:
    """Words split on anything not a letter or digit, lower-cased, English-stemmed."""
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )


def gram_analyzer() -> tantivy.TextAnalyzer:
    """Tokens already cut by translations.index_grams: split on spaces, nothing more."""
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace())
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
        .build()
    )


def register(index: tantivy.Index) -> None:
    index.register_tokenizer(TOKENIZER, analyzer())
    index.register_tokenizer(GRAMS, gram_analyzer())


def schema() -> tantivy.Schema:
    b = tantivy.SchemaBuilder()
    b.add_unsigned_field("num", stored=False, indexed=True, fast=True)
    for name in TEXT_FIELDS:
        b.add_text_field(name, stored=False, tokenizer_name=TOKENIZER, index_option="freq")
    for name in GRAM_FIELDS.values():
        b.add_text_field(name, stored=False, tokenizer_name=GRAMS, index_option="freq")
    b.add_text_field("brand_key", stored=False, tokenizer_name="raw", index_option="basic")
    b.add_text_field("category_key", stored=False, tokenizer_name="raw", index_option="basic")
    b.add_text_field("facet_key", stored=False, tokenizer_name="raw", index_option="basic")
    return b.build()


def facet_term(facet: str, value: str) -> str:
    """'color:black', 'size:10': one facet as the index holds it."""
    return f"{facet}:{value.strip().lower()}"


def catalog_file(conn: sqlite3.Connection) -> Path | None:
    """The file behind `conn`, or None for an in-memory or temporary database."""
    for row in conn.execute("PRAGMA database_list"):
        if row[1] == "main":
            return Path(row[2]) if row[2] else None
    return None


def index_root(conn: sqlite3.Connection) -> Path | None:
    path = catalog_file(conn)
    return path.with_name(path.name + SUFFIX) if path else None


def generation(conn: sqlite3.Connection) -> str:
    """'<token>-<generation>-t<tantivy version>': the current index folder's name."""
    row = conn.execute("SELECT token, generation FROM search_state WHERE id = 1").fetchone()
    if row is None:
        raise LookupError("catalog has no search_state row")
    # The tantivy version too: a new release's format means a fresh build, not a failure;
    # and the layout of our fields, for the same reason.
    return f"{row[0]}-{row[1]}-t{_TANTIVY}-l{LAYOUT}"


@dataclass(frozen=True)
class BuildStats:
    path: Path
    products: int
    seconds: float
    size_bytes: int
    built: bool  # False: the current generation was already there


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def ensure(conn: sqlite3.Connection, root: Path | None = None) -> BuildStats:
    """The current generation's index, built from SQLite when missing. Raises on failure
    (a full disk, an unwritable folder): callers fall back to FTS5."""
    root = root or index_root(conn)
    if root is None:
        raise LookupError("an in-memory catalog has no word index")
    t0 = time.perf_counter()
    own_tx = not conn.in_transaction
    if own_tx:
        conn.execute("BEGIN")  # one snapshot: the generation and the rows agree
    try:
        gen = generation(conn)
        final = root / gen
        if (final / VOCAB_FILE).exists():
            return BuildStats(final, -1, 0.0, 0, built=False)
        root.mkdir(parents=True, exist_ok=True)
        tmp = root / f".tmp-{os.getpid()}-{secrets.token_hex(4)}"
        try:
            count = _write(conn, tmp)
            try:
                tmp.rename(final)
            except OSError:
                if not (final / VOCAB_FILE).exists():
                    raise
                shutil.rmtree(tmp, ignore_errors=True)  # another process built it first
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    finally:
        if own_tx:
            conn.execute("COMMIT")
    _prune(root, keep=final.name)
    return BuildStats(final, count, time.perf_counter() - t0, folder_size(final), built=True)


def _write(conn: sqlite3.Connection, path: Path) -> int:
    path.mkdir(parents=True)
    index = tantivy.Index(schema(), path=str(path), reuse=False)
    register(index)
    writer = index.writer(heap_size=100_000_000, num_threads=1)
    vocab: Counter[str] = Counter()
    count = 0
    rows = conn.execute(
        "SELECT p.num, f.name, f.brand, f.category, f.description, f.extra, p.name, p.category "
        "FROM products p JOIN product_fts f ON f.rowid = p.num"
    )
    names: list[tuple[str, str | None]] = []
    facets: dict[int, list[str]] = {}
    for num, facet, value in conn.execute(
        "SELECT p.num, x.facet, x.value FROM facets x JOIN products p ON p.id = x.product_id "
        "WHERE x.facet IN ('color', 'size')"
    ):
        facets.setdefault(int(num), []).append(facet_term(facet, value))
    translated = _translations(conn)
    for num, name, brand, category, description, extra, p_name, p_category in rows:
        names.append((p_name, p_category))
        doc = tantivy.Document()
        doc.add_unsigned("num", int(num))
        texts = (name or "", category or "", brand or "", description or "", extra or "")
        words: set[str] = set()
        for field, text in zip(TEXT_FIELDS, texts, strict=True):
            if text:
                # Every rewrite in normalize() starts at a digit: skip the rest.
                doc.add_text(
                    field, normalize(text, keep_number=True) if _DIGIT.search(text) else text
                )
                words.update(_SURFACE.findall(text.lower()))
        for field, text in translated.get(int(num), ()):
            doc.add_text(GRAM_FIELDS[field], index_grams(text))
        doc.add_text("brand_key", (brand or "").strip().lower())
        doc.add_text("category_key", (category or "").strip().lower())
        for term in facets.get(int(num), ()):
            doc.add_text("facet_key", term)
        writer.add_document(doc)
        vocab.update(words)
        count += 1
    writer.commit()
    writer.wait_merging_threads()
    # Surface words (what shoppers type, unstemmed) and how many products use each:
    # the candidates for typo correction, the commonest first.
    # The product-name words understanding matches against (namevocab.py): stored with
    # this generation so no process reads every name again. Written before the
    # vocabulary file, which marks the folder complete.
    categories = [r[0] for r in conn.execute("SELECT DISTINCT category FROM products") if r[0]]
    NameVocabulary.build(names, categories).save(path)
    (path / VOCAB_FILE).write_text(json.dumps(dict(vocab.most_common())), encoding="utf-8")
    return count


def _translations(conn: sqlite3.Connection) -> dict[int, list[tuple[str, str]]]:
    """product num -> (field, text) of every language's words, read once per build."""
    out: dict[int, list[tuple[str, str]]] = {}
    for num, field, text in conn.execute(
        "SELECT p.num, t.field, t.text FROM translations t JOIN products p ON p.id = t.product_id"
    ):
        out.setdefault(int(num), []).append((field, text))
    return out


def _prune(root: Path, *, keep: str) -> None:
    """Old generations and abandoned temporary folders go (best effort: a reader in
    another process keeps its open files; it moves to the new generation on its next
    query)."""
    now = time.time()
    for child in root.iterdir():
        if child.name == keep or not child.is_dir():
            continue
        if child.name.startswith(".tmp-") and now - child.stat().st_mtime < 3600:
            continue  # maybe still being built by another process
        shutil.rmtree(child, ignore_errors=True)


class WordIndex:
    """One opened generation: tantivy's searcher plus the correction vocabulary."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.generation = path.name
        self.index = tantivy.Index.open(str(path))
        register(self.index)
        self.index.config_reader(reload_policy="manual")
        self.schema = self.index.schema
        self.searcher = self.index.searcher()
        self.analyzer = analyzer()
        raw: dict[str, int] = json.loads((path / VOCAB_FILE).read_text(encoding="utf-8"))
        self.freq = raw
        self.vocab = list(raw)

    def stems(self, word: str) -> list[str]:
        return self.analyzer.analyze(word)

    def known(self, word: str) -> bool:
        """The catalog has this word (or a word with its stem) somewhere."""
        if word in self.freq:
            return True
        stems = self.stems(word)
        return bool(stems) and all(
            any(self.searcher.doc_freq(f, s) > 0 for f in TEXT_FIELDS) for s in stems
        )


def current_folder(conn: sqlite3.Connection) -> Path | None:
    """The current generation's folder if it is built (complete), else None."""
    root = index_root(conn)
    if root is None:
        return None
    try:
        folder = root / generation(conn)
    except (LookupError, sqlite3.Error):
        return None
    return folder if (folder / VOCAB_FILE).exists() else None


def refresh(conn: sqlite3.Connection) -> BuildStats | None:
    """After an import: build the new generation now, so the first shopper's query does
    not wait for it. Best effort: search rebuilds a missing index, or uses FTS5."""
    if conn.in_transaction or index_root(conn) is None:
        return None
    try:
        return ensure(conn)
    except Exception as exc:  # the catalog is imported; the index can follow later
        logging.getLogger(__name__).warning("word index not built after import: %s", exc)
        return None

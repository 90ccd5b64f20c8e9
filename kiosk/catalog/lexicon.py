"""The catalog's own words, for understanding requests without a model.

Built from the catalog (product names, brands, categories, colours, sizes), so a
store with different products gets different words without code changes. Product
names are matched by their distinctive words ("TrailMaster", "CozyNights"), with
fuzzy matching for typos and run-together or split words ("trail master").
"""

from __future__ import annotations

import contextlib
import functools
import re
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from kiosk.catalog import wordindex
from kiosk.catalog.namevocab import GENERIC, NameVocabulary, distinctive
from kiosk.catalog.repository import Catalog
from kiosk.text.synonyms import SYNONYMS
from kiosk.text.words import COLORS, singular, words

__all__ = ["GENERIC", "Lexicon", "NameMatch"]


@dataclass(frozen=True)
class NameMatch:
    product_id: str
    name: str
    score: float  # matched characters of distinctive words; higher is surer
    position: int  # where in the request it was named (for "compare X and Y" order)


class _Names(Mapping[str, str]):
    """Product id -> name, read from SQLite as asked (and kept): a turn needs a few."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._seen: dict[str, str] = {}

    def __getitem__(self, pid: str) -> str:
        if pid not in self._seen:
            row = self._conn.execute("SELECT name FROM products WHERE id = ?", (pid,)).fetchone()
            if row is None:
                raise KeyError(pid)
            self._seen[pid] = row[0]
        return self._seen[pid]

    def __iter__(self) -> Iterator[str]:  # every product: for speech hints, not for turns
        return (r[0] for r in self._conn.execute("SELECT id FROM products"))

    def __len__(self) -> int:
        return int(self._conn.execute("SELECT count(*) FROM products").fetchone()[0])

    def values(self) -> list[str]:  # type: ignore[override]  # one query, not one per id
        return [r[0] for r in self._conn.execute("SELECT name FROM products")]


class _Distinctive(Mapping[str, list[str]]):
    """Product id -> its distinctive name words, from its name when asked."""

    def __init__(self, names: Mapping[str, str]) -> None:
        self._names = names

    def __getitem__(self, pid: str) -> list[str]:
        return distinctive(self._names[pid])

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def _products_named(conn: sqlite3.Connection, word: str) -> dict[str, str]:
    """Id -> name of the products whose name has this distinctive word: FTS5 finds
    candidates (its tokenizer stems and splits hyphens), the name's own words decide."""
    phrase = '"' + word.replace('"', '""') + '"'
    rows = conn.execute(
        "SELECT p.id, p.name FROM product_fts JOIN products p ON p.num = product_fts.rowid "
        "WHERE product_fts MATCH ?",
        (f"name : {phrase}",),
    )
    return {pid: name for pid, name in rows if word in distinctive(name)}


@dataclass
class Lexicon:
    """Matchers over one catalog snapshot; rebuilt when the catalog changes.

    Its cost does not grow with the catalog: the small word lists (brands, categories,
    colours, sizes) are read with one query each, the name words come stored with the
    word index (namevocab.py), and names are read only for the products a request
    names. `Lexicon()` is an empty one (tests, a catalog with nothing in it).
    """

    names: Mapping[str, str] = field(default_factory=dict)  # product id -> name
    brands: dict[str, str] = field(default_factory=dict)  # lower -> Brand
    categories: dict[str, str] = field(default_factory=dict)  # lower -> Category
    # Head nouns of product names and category words -> category ("boots" -> Footwear).
    kind_to_category: dict[str, str] = field(default_factory=dict)
    colors: frozenset[str] = COLORS
    sizes: frozenset[str] = frozenset()
    # distinctive name word -> how many products have it
    word_counts: Mapping[str, int] = field(default_factory=dict)
    distinctive: Mapping[str, list[str]] = field(default_factory=dict)  # id -> its words
    # distinctive word -> id -> name of the products whose name has it (SQLite, or the
    # maps above)
    products_named: Callable[[str], dict[str, str]] | None = None

    @classmethod
    def build(cls, catalog: Catalog) -> Lexicon:
        conn = catalog.conn

        def col(sql: str) -> list[str]:
            return [r[0] for r in conn.execute(sql) if r[0]]

        lex = cls()
        brands = col("SELECT DISTINCT brand FROM products")
        categories = col("SELECT DISTINCT category FROM products")
        lex.brands = {b.lower(): b for b in brands}
        lex.categories = {c.lower(): c for c in categories}
        lex.colors = COLORS | frozenset(
            col("SELECT DISTINCT value FROM facets WHERE facet='color'")
        )
        lex.sizes = frozenset(col("SELECT DISTINCT value FROM facets WHERE facet='size'"))
        vocab = _stored_vocabulary(conn)
        if vocab is not None:
            names = _Names(conn)
            lex.names, lex.distinctive = names, _Distinctive(names)
            lex.word_counts, lex.kind_to_category = vocab.counts, vocab.kinds
            # Kept per snapshot: a common name word ("waterproof": 8,000 of 100,000
            # products) costs ~60 ms to look up the first time, nothing after.
            lex.products_named = functools.lru_cache(maxsize=512)(
                lambda word: _products_named(conn, word)
            )
            return lex
        # No word index to keep it in (an in-memory catalog, a read-only folder): every
        # name, read now, as before.
        rows = conn.execute("SELECT id, name, category FROM products").fetchall()
        vocab = NameVocabulary.build(((name, cat) for _, name, cat in rows), categories)
        lex.names = {pid: name for pid, name, _ in rows}
        lex.distinctive = {pid: distinctive(name) for pid, name, _ in rows}
        lex.word_counts, lex.kind_to_category = vocab.counts, vocab.kinds
        by_word: dict[str, dict[str, str]] = defaultdict(dict)
        for pid, mine in lex.distinctive.items():
            for w in mine:
                by_word[w][pid] = lex.names[pid]
        lex.products_named = lambda word: by_word.get(word, {})
        return lex

    def _named(self, word: str) -> dict[str, str]:
        return self.products_named(word) if self.products_named is not None else {}

    # -- product names --------------------------------------------------------
    def _candidates(self, text: str) -> list[tuple[str, int]]:
        """Request words and adjacent pairs run together ("trail master" -> "trailmaster")."""
        ws = words(text)
        out = [(w, i) for i, w in enumerate(ws)]
        out += [(ws[i] + ws[i + 1], i) for i in range(len(ws) - 1)]
        return out

    def match_names(self, text: str) -> list[NameMatch]:
        """Products the request names, best first; a name needs its distinctive words."""
        found: dict[str, dict[str, int]] = defaultdict(dict)  # pid -> word -> position
        named: dict[str, str] = {}  # pid -> name, as the lookups returned them
        counts = self.word_counts
        keys: list[str] | None = None
        for cand, pos in self._candidates(text):
            if cand in GENERIC or len(cand) < 3:
                continue
            hits = [cand] if cand in counts else []
            if not hits and len(cand) >= 5:
                keys = keys if keys is not None else list(counts)
                best = process.extractOne(cand, keys, scorer=fuzz.ratio, score_cutoff=85)
                if best is not None:
                    hits = [best[0]]
            for w in hits:
                for pid, name in self._named(w).items():
                    found[pid].setdefault(w, pos)
                    named[pid] = name
        matches: list[NameMatch] = []
        for pid, got in found.items():
            mine = distinctive(named[pid])
            if not mine:
                continue
            unique = [w for w in got if counts.get(w) == 1 and len(w) >= 6]
            # All distinctive words, or one long word no other product has.
            if set(mine) <= set(got) or unique:
                score = sum(len(w) for w in got) + (5 if set(mine) <= set(got) else 0)
                matches.append(NameMatch(pid, named[pid], score, min(got.values())))
        matches.sort(key=lambda m: (-m.score, m.position))
        return matches

    # -- brands, categories, colours -------------------------------------------
    def match_brand(self, text: str) -> str | None:
        for cand, _ in self._candidates(text):
            if cand in self.brands:
                return self.brands[cand]
            if len(cand) >= 6:
                best = process.extractOne(
                    cand, list(self.brands), scorer=fuzz.ratio, score_cutoff=88
                )
                if best is not None:
                    return self.brands[best[0]]
        return None

    def match_category(self, text: str) -> tuple[str | None, str | None]:
        """(category, the kind word that named it): "hiking boots" -> (Footwear, "boot")."""
        low = text.lower()
        for lower, cat in sorted(self.categories.items(), key=lambda kv: -len(kv[0])):
            if re.search(rf"\b{re.escape(lower)}\b", low) or re.search(
                rf"\b{re.escape(lower.rstrip('s'))}\b", low
            ):
                return cat, None
        for w in words(text):
            kind = singular(w)
            if kind in self.kind_to_category:
                return self.kind_to_category[kind], kind
        return None, None

    def catalog_word(self, word: str) -> str | None:
        """The catalog's own word for a shopper's word it doesn't use ("rucksack" ->
        "backpack"), or None: the word is the catalog's, or has no synonym it uses."""
        low = word.lower()
        if low not in SYNONYMS or self._uses(low):
            return None
        return next((w for w in SYNONYMS[low] if self._uses(w)), None)

    def _uses(self, word: str) -> bool:
        kind = singular(word)
        return (
            kind in self.kind_to_category
            or word in self.word_counts
            or any(kind in words(c) or word in words(c) for c in self.categories)
        )

    def match_color(self, text: str) -> str | None:
        for w in words(text):
            if w in self.colors:
                if w == "gray" and "grey" in self.colors:
                    return "grey"
                return w
        return None


def _stored_vocabulary(conn: sqlite3.Connection) -> NameVocabulary | None:
    """The name words stored with the current word index; written there if that index
    predates them. None when there is no built index to keep them in."""
    folder = wordindex.current_folder(conn)
    if folder is None:
        return None
    vocab = NameVocabulary.load(folder)
    if vocab is None:
        rows = conn.execute("SELECT name, category FROM products").fetchall()
        cats = [r[0] for r in conn.execute("SELECT DISTINCT category FROM products") if r[0]]
        vocab = NameVocabulary.build(rows, cats)
        with contextlib.suppress(OSError):  # read-only: this process keeps it in memory
            vocab.save(folder)
    return vocab

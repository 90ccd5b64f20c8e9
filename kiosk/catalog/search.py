"""Catalog search: FTS5 BM25 over names, brands, categories, descriptions and specs,
combined with filters (price, brand, category, colour, size, in stock).

Shoppers misspell and speech recognition mishears, so a query word that is not in
the catalog's vocabulary is corrected to the nearest word that is ("backpak" ->
"backpack"); Porter stemming in the index handles plurals ("tents" -> "tent").
All terms are tried together first (precise), then any of them (forgiving).
A query with Chinese characters scans the translations table for its character
pairs instead (the word index is the fast path for those; this one answers when the
index can't be built).
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from kiosk.catalog.db import change_stamp
from kiosk.catalog.translations import has_unspaced, query_terms
from kiosk.text.words import GRAMMAR_WORDS, SHOPPING_WORDS

# Column weights for bm25(): name, brand, category, description, extra.
_WEIGHTS = "10.0, 4.0, 6.0, 1.0, 0.5"
# Above this many matches a query is "broad": rank a bounded candidate set instead
# of scoring every match (see Searcher._broad). Measured on 100k products: BM25 over
# 8,400 matches costs ~5.5 ms; a rowid-ordered walk of 1,500 costs ~0.3 ms.
BROAD = 1500
CANDIDATES = 200

# Field weights for a Chinese query's pairs found in translations (the word index's).
_GRAM_WEIGHTS = {"name": 4.0, "category": 2.5, "brand": 2.0, "description": 1.0}

# Words that carry no product meaning in a shopper's request.
STOPWORDS = GRAMMAR_WORDS | SHOPPING_WORDS

_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)?", re.UNICODE)


@dataclass(frozen=True)
class SearchFilters:
    """Constraints from the request; None means "any"."""

    min_price_cents: int | None = None
    max_price_cents: int | None = None
    brand: str | None = None
    category: str | None = None
    color: str | None = None
    size: str | None = None
    in_stock: bool = False
    # 'relevance', 'price_asc' or 'price_desc'
    sort: str = "relevance"


@dataclass(frozen=True)
class SearchHit:
    """One result: enough for a product card; the full record comes from Catalog.products."""

    product_id: str
    name: str
    brand: str
    category: str
    price_cents: int
    stock: int
    aisle: str
    shelf: str
    score: float
    corrections: dict[str, str] = field(default_factory=dict)


def terms(query: str) -> list[str]:
    """Lower-cased content words of a query, stopwords dropped, order kept."""
    out: list[str] = []
    for word in _WORD.findall(query.lower()):
        word = word.replace("\u2019", "'")
        if word.endswith("'s"):
            word = word[:-2]
        if word and word not in STOPWORDS and word not in out:
            out.append(word)
    return out


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


class Searcher:
    """Runs searches on one connection, caching the index vocabulary between writes."""

    def __init__(self, conn: sqlite3.Connection, fuzzy_min_score: int = 80) -> None:
        self.conn = conn
        self.fuzzy_min_score = fuzzy_min_score
        self._vocab: list[str] = []
        self._vocab_set: frozenset[str] = frozenset()
        self._vocab_stamp: tuple[int, int] | None = None

    def _vocabulary(self) -> tuple[list[str], frozenset[str]]:
        stamp = change_stamp(self.conn)
        if stamp != self._vocab_stamp:
            # Whole words of names, brands and categories (what shoppers say: "sleeping"),
            # then the index's stemmed terms ("sleep") for the rest.
            words: dict[str, None] = {}
            for row in self.conn.execute("SELECT name, brand, category FROM products"):
                for text in row:
                    for w in _WORD.findall(text.lower()):
                        if len(w) > 2:
                            words[w] = None
            for row in self.conn.execute(
                "SELECT term FROM product_fts_vocab WHERE length(term) > 2 ORDER BY doc DESC"
            ):
                words[row[0]] = None
            self._vocab = list(words)
            self._vocab_set = frozenset(self._vocab)
            self._vocab_stamp = stamp
        return self._vocab, self._vocab_set

    def _known(self, term: str) -> bool:
        row = self.conn.execute(
            "SELECT 1 FROM product_fts WHERE product_fts MATCH ? LIMIT 1", (_quote(term),)
        ).fetchone()
        return row is not None

    def correct(self, words: list[str]) -> tuple[list[str], dict[str, str]]:
        """Replace words the catalog doesn't know with its nearest word, when close enough."""
        vocab, vocab_set = self._vocabulary()
        fixed: list[str] = []
        corrections: dict[str, str] = {}
        for word in words:
            if word in vocab_set or word.isdigit() or len(word) < 4 or self._known(word):
                fixed.append(word)
                continue
            best = process.extractOne(
                word, vocab, scorer=fuzz.ratio, score_cutoff=self.fuzzy_min_score
            )
            if best is None:
                fixed.append(word)
            else:
                corrections[word] = best[0]
                fixed.append(best[0])
        return fixed, corrections

    def search(self, query: str, filters: SearchFilters, *, limit: int = 5) -> list[SearchHit]:
        if has_unspaced(query):
            return self.translated(query, filters, limit=limit)
        words, corrections = self.correct(terms(query))
        where, params = _filter_sql(filters)
        if not words:
            return self._browse(where, params, filters, limit)
        hits: list[SearchHit] = []
        for joiner in (" AND ", " OR "):
            match = joiner.join(_quote(w) for w in words)
            if self._matches_at_least(match, BROAD + 1):
                hits = self._broad(words, match, where, params, filters, limit, corrections)
            else:
                hits = self._match(match, where, params, filters, limit, corrections)
            if hits or len(words) == 1:
                break
        return hits

    def translated(self, query: str, filters: SearchFilters, *, limit: int = 5) -> list[SearchHit]:
        """A Chinese query by a scan of the translations table: products with every pair
        the catalog has first, then with more of them, each by its fields' weights."""
        score: dict[str, float] = {}
        matched: dict[str, int] = {}
        wanted = 0
        hits: dict[str, list[tuple[str, str]]] = {}

        def known(term: str) -> bool:
            if term not in hits:
                hits[term] = self.conn.execute(
                    "SELECT product_id, field FROM translations WHERE instr(lower(text), ?) > 0",
                    (term,),
                ).fetchall()
            return bool(hits[term])

        for gram in query_terms(query, known):
            found = hits[gram]
            wanted += 1
            fields: dict[str, float] = {}
            for pid, fld in found:
                fields[pid] = max(fields.get(pid, 0.0), _GRAM_WEIGHTS[fld])
            for pid, weight in fields.items():
                score[pid] = score.get(pid, 0.0) + weight
                matched[pid] = matched.get(pid, 0) + 1
        if not score:
            return []
        where, params = _filter_sql(filters)
        rows = self.conn.execute(
            f"SELECT p.* FROM products p WHERE p.id IN (SELECT value FROM json_each(?)){where}",
            [json.dumps(list(score)), *params],
        ).fetchall()

        def rank(row: sqlite3.Row) -> tuple[float, ...]:
            pid = row["id"]
            base = (-float(matched[pid] == wanted), -score[pid], row["num"])
            if filters.sort == "price_asc":
                return (base[0], row["price_cents"], *base[1:])
            if filters.sort == "price_desc":
                return (base[0], -row["price_cents"], *base[1:])
            return base

        rows.sort(key=rank)
        return [_hit(r, score[r["id"]], {}) for r in rows[:limit]]

    def _matches_at_least(self, match: str, n: int) -> bool:
        """Cheap: walks the doclist in rowid order and stops at n, no scoring."""
        row = self.conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM product_fts WHERE product_fts MATCH ? LIMIT ?)",
            (match, n),
        ).fetchone()
        return int(row[0]) >= n

    def _broad(
        self,
        words: list[str],
        match: str,
        where: str,
        params: list[object],
        filters: SearchFilters,
        limit: int,
        corrections: dict[str, str],
    ) -> list[SearchHit]:
        """A query that matches thousands of products ("tent" in a big store).

        BM25 over every match costs milliseconds per thousand rows, and among
        thousands of tents it says little. Walk the matches newest first, keep the
        first CANDIDATES that pass the filters, and rank those: more query words in
        name/brand/category first, shorter names (more specific) next, in stock
        before out of stock.
        """
        rows = self.conn.execute(
            "SELECT p.* FROM product_fts JOIN products p ON p.num = product_fts.rowid "
            f"WHERE product_fts MATCH ? {where} ORDER BY product_fts.rowid DESC LIMIT ?",
            [match, *params, CANDIDATES],
        ).fetchall()

        def rank(row: sqlite3.Row) -> tuple[float, ...]:
            title = f"{row['name']} {row['brand']} {row['category']}".lower()
            in_title = sum(1 for w in words if w in title or w.rstrip("s") in title)
            base = (-in_title, len(row["name"]), 0 if row["stock"] > 0 else 1)
            price = float(row["price_cents"])
            if filters.sort == "price_asc":
                return (price, *base)
            if filters.sort == "price_desc":
                return (-price, *base)
            return base

        rows.sort(key=rank)
        return [_hit(r, 0.0, corrections) for r in rows[:limit]]

    def _match(
        self,
        match: str,
        where: str,
        params: list[object],
        filters: SearchFilters,
        limit: int,
        corrections: dict[str, str],
    ) -> list[SearchHit]:
        order = {
            "price_asc": "p.price_cents ASC, score",
            "price_desc": "p.price_cents DESC, score",
        }.get(filters.sort, "score")
        sql = (
            f"SELECT p.*, bm25(product_fts, {_WEIGHTS}) AS score FROM product_fts "
            "JOIN products p ON p.num = product_fts.rowid "
            f"WHERE product_fts MATCH ? {where} ORDER BY {order} LIMIT ?"
        )
        rows = self.conn.execute(sql, [match, *params, limit]).fetchall()
        return [_hit(r, float(r["score"]), corrections) for r in rows]

    def _browse(
        self, where: str, params: list[object], filters: SearchFilters, limit: int
    ) -> list[SearchHit]:
        """No content words ("anything under $50?"): filters alone, cheapest first."""
        order = "p.price_cents DESC" if filters.sort == "price_desc" else "p.price_cents ASC"
        sql = f"SELECT p.* FROM products p WHERE 1 {where} ORDER BY {order}, p.name LIMIT ?"
        return [_hit(r, 0.0, {}) for r in self.conn.execute(sql, [*params, limit])]


def _filter_sql(f: SearchFilters) -> tuple[str, list[object]]:
    clauses: list[str] = []
    params: list[object] = []
    if f.min_price_cents is not None:
        clauses.append("p.price_cents >= ?")
        params.append(f.min_price_cents)
    if f.max_price_cents is not None:
        clauses.append("p.price_cents <= ?")
        params.append(f.max_price_cents)
    if f.brand:
        clauses.append("p.brand = ? COLLATE NOCASE")
        params.append(f.brand)
    if f.category:
        clauses.append("p.category = ? COLLATE NOCASE")
        params.append(f.category)
    # Colour and size: a facet of the product, and when the product has variants,
    # a variant of that colour/size (in stock, if asked) must exist.
    variant_conds: list[str] = []
    variant_params: list[object] = []
    for facet, value in (("color", f.color), ("size", f.size)):
        if value:
            clauses.append(
                "EXISTS (SELECT 1 FROM facets x WHERE x.facet = ? AND x.value = ? "
                "AND x.product_id = p.id)"
            )
            params += [facet, value.strip().lower()]
            variant_conds.append(f"lower(v.{facet}) = ?")
            variant_params.append(value.strip().lower())
    if variant_conds:
        stock = " AND v.stock > 0" if f.in_stock else ""
        clauses.append(
            "(NOT EXISTS (SELECT 1 FROM variants v WHERE v.product_id = p.id) OR EXISTS "
            f"(SELECT 1 FROM variants v WHERE v.product_id = p.id AND "
            f"{' AND '.join(variant_conds)}{stock}))"
        )
        params += variant_params
    if f.in_stock:
        clauses.append("p.stock > 0")
    where = "".join(f" AND {c}" for c in clauses)
    return where, params


def _hit(row: sqlite3.Row, score: float, corrections: dict[str, str]) -> SearchHit:
    return SearchHit(
        product_id=row["id"],
        name=row["name"],
        brand=row["brand"],
        category=row["category"],
        price_cents=row["price_cents"],
        stock=row["stock"],
        aisle=row["aisle"],
        shelf=row["shelf"],
        score=score,
        corrections=dict(corrections),
    )

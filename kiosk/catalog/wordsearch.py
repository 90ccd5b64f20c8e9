"""Word search on the tantivy index (see wordindex.py), with the old FTS5 path behind it.

A query is normalized like the titles ("1-1/4 in." -> 1p25in, "100 watt" -> 100w,
"sch 80" -> sch80), its filler words dropped and its unknown words corrected to the
catalog's words. Every word must match first (BM25 with field boosts: name > category
> brand > description > specs); when that finds fewer than `limit` products, products
matching any of the words fill the list, still best first. Brand and category filter
inside tantivy, and so do colour and size (then SQLite checks a variant of that
colour or size is in stock); price and stock filter in SQLite on the candidates, so
staff edits count at once. When the index can't be built or opened, the FTS5 path
answers instead (`last_path` says which answered).

A query with Chinese characters is searched in the products' words in other languages
(the translations table, indexed as character pairs): its pairs that the catalog has
must all match first, then any of them, with the same boosts, filters and sorts.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import sqlite3
from pathlib import Path

import tantivy
from rapidfuzz import fuzz, process

from kiosk.catalog import wordindex
from kiosk.catalog.normalize import normalize
from kiosk.catalog.search import (
    Searcher,
    SearchFilters,
    SearchHit,
    _filter_sql,
    _hit,
    terms,
)
from kiosk.catalog.translations import has_unspaced, query_terms

log = logging.getLogger(__name__)

BOOSTS = {"name": 4.0, "category": 2.5, "brand": 2.0, "description": 1.0, "extra": 0.5}
# The same order for other languages' fields (translations have no specs text).
GRAM_BOOSTS = {wordindex.GRAM_FIELDS[f]: BOOSTS[f] for f in wordindex.GRAM_FIELDS}
# Candidates fetched per round before SQLite's filters; grows x8 while too few pass.
FIRST_ROUND = 64
# A price sort orders the most relevant matches this many deep by price.
SORT_DEPTH = 1000
# A typo correction to a word with another first letter must be this close
# ("assy" is not "sassy": 89).
OTHER_FIRST_LETTER = 92


class WordSearcher:
    """Searches one catalog connection; the index follows the catalog's generation."""

    def __init__(self, conn: sqlite3.Connection, fuzzy_min_score: int = 80) -> None:
        self.conn = conn
        self.fuzzy_min_score = fuzzy_min_score
        self.fallback = Searcher(conn, fuzzy_min_score)
        self._index: wordindex.WordIndex | None = None
        self._root: Path | None = None
        self._rooted = False
        self.last_path = ""  # "words" or "fts5": which path answered the last query

    # -- the index --------------------------------------------------------------
    def index(self) -> wordindex.WordIndex:
        """The current generation, rebuilt from SQLite when stale or missing."""
        if not self._rooted:
            self._root = wordindex.index_root(self.conn)
            self._rooted = True
        if self._root is None:
            raise LookupError("no word index for an in-memory catalog")
        gen = wordindex.generation(self.conn)
        if self._index is not None and self._index.generation == gen:
            return self._index
        path = self._root / gen
        if not (path / wordindex.VOCAB_FILE).exists():
            path = wordindex.ensure(self.conn, self._root).path
        self._index = wordindex.WordIndex(path)
        return self._index

    # -- searching --------------------------------------------------------------
    def search(self, query: str, filters: SearchFilters, *, limit: int = 5) -> list[SearchHit]:
        try:
            idx = self.index()
        except Exception as exc:  # a held lock, a full disk, an old file: FTS5 answers
            log.warning("word index unavailable (%s); searching with FTS5", exc)
            self.last_path = "fts5"
            return self.fallback.search(query, filters, limit=limit)
        self.last_path = "words"
        return self._search(idx, query, filters, limit)

    def correct(
        self, idx: wordindex.WordIndex, words: list[str]
    ) -> tuple[list[str], dict[str, str]]:
        """Words the catalog doesn't have -> its closest word: same first letter first,
        then the closer spelling, then the commoner word. Words it has stay."""
        fixed: list[str] = []
        corrections: dict[str, str] = {}
        for word in words:
            if len(word) < 4 or any(c.isdigit() for c in word) or idx.known(word):
                fixed.append(word)
                continue
            swapped = [w for w in _swaps(word) if w in idx.freq]
            if swapped:  # two letters typed the wrong way round ("tnet"): the likeliest slip
                corrections[word] = max(swapped, key=lambda w: idx.freq.get(w, 0))
                fixed.append(corrections[word])
                continue
            found = process.extract(
                word, idx.vocab, scorer=fuzz.ratio, score_cutoff=self.fuzzy_min_score, limit=12
            )
            best: tuple[bool, float, int, str] | None = None
            for cand, score, _ in found:
                same = cand[0] == word[0]
                if not same and score < OTHER_FIRST_LETTER:
                    continue
                key = (same, round(score), idx.freq.get(cand, 0), cand)
                if best is None or key > best:
                    best = key
            if best is None:
                fixed.append(word)
            else:
                corrections[word] = best[3]
                fixed.append(best[3])
        return fixed, corrections

    def _search(
        self, idx: wordindex.WordIndex, query: str, filters: SearchFilters, limit: int
    ) -> list[SearchHit]:
        where, params = _filter_sql(_sql_side(filters))
        if has_unspaced(query):
            per_word = _gram_queries(idx, query)
            corrections: dict[str, str] = {}
            if not per_word:
                return []
        else:
            words = terms(normalize(query))
            if not words:
                return self.fallback._browse(*_filter_sql(filters), filters, limit)
            words, corrections = self.correct(idx, words)
            per_word = [q for q in (_word_query(idx, w) for w in words) if q is not None]
            if not per_word:
                return []
        restrict = _restrict(idx, filters)
        if filters.sort in ("price_asc", "price_desc"):
            return self._by_price(
                idx, per_word, restrict, where, params, filters, limit, corrections
            )
        want = limit
        rows: list[tuple[sqlite3.Row, float]] = []
        seen: set[int] = set()
        for q in _rounds(per_word, restrict):
            rows += self._collect(idx, q, where, params, want - len(rows), seen)
            if len(rows) >= want:
                break
        return [_hit(r, score, corrections) for r, score in rows[:limit]]

    def _by_price(
        self,
        idx: wordindex.WordIndex,
        per_word: list[tantivy.Query],
        restrict: list[tuple[tantivy.Occur, tantivy.Query]],
        where: str,
        params: list[object],
        filters: SearchFilters,
        limit: int,
        corrections: dict[str, str],
    ) -> list[SearchHit]:
        """Cheapest (or dearest) first among the SORT_DEPTH best matches, all words
        first; prices come from SQLite, so a staff price edit counts at once."""
        order = "DESC" if filters.sort == "price_desc" else "ASC"
        out: list[SearchHit] = []
        seen: set[int] = set()
        for q in _rounds(per_word, restrict):
            hits = idx.searcher.search(q, limit=SORT_DEPTH, count=False).hits
            nums = idx.searcher.fast_field_values("num", [a for _, a in hits])
            score = {int(n): s for (s, _), n in zip(hits, nums, strict=True) if n is not None}
            fresh = [n for n in score if n not in seen]
            seen.update(fresh)
            if not fresh:
                continue
            rows = self.conn.execute(
                "SELECT p.* FROM products p WHERE p.num IN "
                f"(SELECT value FROM json_each(?)){where} "
                f"ORDER BY p.price_cents {order}, p.num LIMIT ?",
                [json.dumps(fresh), *params, limit - len(out)],
            ).fetchall()
            out += [_hit(r, score[r["num"]], corrections) for r in rows]
            if len(out) >= limit:
                break
        return out

    def _collect(
        self,
        idx: wordindex.WordIndex,
        query: tantivy.Query,
        where: str,
        params: list[object],
        want: int,
        seen: set[int],
    ) -> list[tuple[sqlite3.Row, float]]:
        """The best `want` matches that pass SQLite's filters, skipping `seen`."""
        out: list[tuple[sqlite3.Row, float]] = []
        k = max(FIRST_ROUND, want + len(seen))
        offset = 0
        while len(out) < want:
            hits = idx.searcher.search(query, limit=k, offset=offset, count=False).hits
            if not hits:
                break
            nums = idx.searcher.fast_field_values("num", [a for _, a in hits])
            fresh = [(int(n), s) for (s, _), n in zip(hits, nums, strict=True) if n is not None]
            fresh = [(n, s) for n, s in fresh if n not in seen]
            if fresh:
                marks = ",".join("?" * len(fresh))
                found = {
                    r["num"]: r
                    for r in self.conn.execute(
                        f"SELECT p.* FROM products p WHERE p.num IN ({marks}){where}",
                        [n for n, _ in fresh] + params,
                    )
                }
                for n, s in fresh:
                    seen.add(n)
                    if n in found and len(out) < want:
                        out.append((found[n], s))
            if len(hits) < k:
                break
            offset += k
            k *= 8
        return out


def _swaps(word: str) -> list[str]:
    """The word with two neighbouring letters swapped, each way it can be."""
    return [
        word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        for i in range(len(word) - 1)
        if word[i] != word[i + 1]
    ]


def _rounds(
    per_word: list[tantivy.Query], restrict: list[tuple[tantivy.Occur, tantivy.Query]]
) -> list[tantivy.Query]:
    """The queries a search runs in turn: every word first (when there are several),
    then any word to fill the list; each inside the brand/category restriction."""
    occurs = [tantivy.Occur.Must] if len(per_word) > 1 else []
    occurs.append(tantivy.Occur.Should)
    out = []
    for occur in occurs:
        q = tantivy.Query.boolean_query([(occur, w) for w in per_word])
        if restrict:
            q = tantivy.Query.boolean_query([(tantivy.Occur.Must, q), *restrict])
        out.append(q)
    return out


def _sql_side(filters: SearchFilters) -> SearchFilters:
    """Brand and category filter inside tantivy; the rest in SQLite."""
    return dataclasses.replace(filters, brand=None, category=None)


def _restrict(
    idx: wordindex.WordIndex, filters: SearchFilters
) -> list[tuple[tantivy.Occur, tantivy.Query]]:
    out: list[tuple[tantivy.Occur, tantivy.Query]] = []
    keys = [
        ("brand_key", (filters.brand or "").strip().lower()),
        ("category_key", (filters.category or "").strip().lower()),
        ("facet_key", wordindex.facet_term("color", filters.color) if filters.color else ""),
        ("facet_key", wordindex.facet_term("size", filters.size) if filters.size else ""),
    ]
    for field, value in keys:
        if value:
            term = tantivy.Query.term_query(idx.schema, field, value, index_option="basic")
            out.append((tantivy.Occur.Must, tantivy.Query.const_score_query(term, 0.0)))
    return out


def _word_query(idx: wordindex.WordIndex, word: str) -> tantivy.Query | None:
    """One query word in any text field, each field with its boost."""
    stems = idx.stems(word)
    if not stems:
        return None
    per_stem = []
    for stem in stems:
        fields = [
            (
                tantivy.Occur.Should,
                tantivy.Query.boost_query(
                    tantivy.Query.term_query(idx.schema, f, stem, index_option="freq"), boost
                ),
            )
            for f, boost in BOOSTS.items()
        ]
        per_stem.append((tantivy.Occur.Must, tantivy.Query.boolean_query(fields)))
    return per_stem[0][1] if len(per_stem) == 1 else tantivy.Query.boolean_query(per_stem)


def _gram_queries(idx: wordindex.WordIndex, query: str) -> list[tantivy.Query]:
    """One query per term of a Chinese request (translations.query_terms): a character
    pair in other languages' fields, a Latin word (a brand, a model) in the English
    fields too. Terms the catalog lacks are dropped, so a filler pair ("的登") or a word
    no translation has doesn't make the all-terms round fail."""

    def in_grams(term: str) -> bool:
        return any(idx.searcher.doc_freq(f, term) > 0 for f in GRAM_BOOSTS)

    heads = (wordindex.GRAM_FIELDS["name"], wordindex.GRAM_FIELDS["category"])

    def in_heads(term: str) -> bool:
        return any(idx.searcher.doc_freq(f, term) > 0 for f in heads)

    def english(term: str) -> tantivy.Query | None:
        words = [] if has_unspaced(term) else terms(normalize(term))
        return _word_query(idx, words[0]) if words and idx.known(words[0]) else None

    out: list[tantivy.Query] = []
    for term in query_terms(query, lambda t: in_grams(t) or english(t) is not None, in_heads):
        fields = [
            (
                tantivy.Occur.Should,
                tantivy.Query.boost_query(
                    tantivy.Query.term_query(idx.schema, f, term, index_option="freq"), boost
                ),
            )
            for f, boost in GRAM_BOOSTS.items()
        ]
        own = english(term)
        if own is not None:
            fields.append((tantivy.Occur.Should, own))
        out.append(tantivy.Query.boolean_query(fields))
    return out

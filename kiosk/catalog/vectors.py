"""Product vectors kept with the catalog, and the nearest products to a query vector.

SQLite stays the one record: each product's sentence vector is a float16 blob in
`product_vectors`, with the embedding model's name and a hash of the text it embedded,
so after an import only new or changed products (or all of them, for another model)
are embedded again. This module only stores and searches vectors; making them needs
the model, which lives in a layer above (`kiosk.assistant.meaning`).

Search keeps the vectors in memory, loaded once per change of `vector_state` (moved
by triggers whenever a vector is written or removed) or of the products. numpy has
no BLAS for float16 (a 100k x 384 product took 133 ms against 7.7 ms in float32 on
the 2-core machine), so a small catalog is held in float32 and a big one is scored
on the vectors' main directions first (see EXACT_UP_TO). Filters (price, stock, colour, size,
brand, category) run in SQLite on the nearest candidates, in growing rounds until
enough pass, as the word side does.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from kiosk.catalog.db import transaction
from kiosk.catalog.search import SearchFilters, _filter_sql

Matrix = npt.NDArray[np.float32]
# How much of a description goes into a product's vector (with its name and category).
# Measured on the tuning half of tests/data/search/own_words.json (kiosk bench search):
# name and category alone put a right product first for 75% and in the top 3 for 93%;
# adding 300 characters of description gave 70% and 93% at a quarter of the speed
# (134 against 586 products/s on 2 cores). The description is used for "why it fits".
DESCRIPTION_CHARS = 0
FIRST_ROUND = 64  # nearest candidates filtered per round; grows x8 while too few pass
# Up to this many products, every query is scored exactly (float32 in memory: 30 MB
# at 20k). Above it, the float16 vectors stay as stored and a query is scored first on
# their COARSE_DIM main directions (float32, a quarter of the memory to read), then
# exactly for the COARSE_KEEP best: at 100k, 76.8 + 38.4 MB in memory instead of
# 153.6 MB, and one pass over 38 MB instead of 154 MB per query.
EXACT_UP_TO = 20_000
COARSE_DIM = 96
COARSE_KEEP = 500
_SPACE = re.compile(r"\s+")


def vector_text(name: str, category: str, description: str) -> str:
    """The text a product's vector is made from: name, category, the description's start."""
    desc = _SPACE.sub(" ", description).strip() if DESCRIPTION_CHARS else ""
    if len(desc) > DESCRIPTION_CHARS:
        cut = desc[:DESCRIPTION_CHARS]
        desc = cut[: cut.rfind(" ")] if " " in cut else cut
    return " ".join(t for t in (f"{name.strip()}.", f"{category.strip()}.", desc) if t.strip("."))


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


@dataclass(frozen=True)
class Pending:
    """A product whose vector is missing, stale or from another model."""

    product_id: str
    text: str
    text_hash: str


def pending(conn: sqlite3.Connection, model: str) -> list[Pending]:
    """Products to embed (again) for `model`, in catalog order."""
    out: list[Pending] = []
    for r in conn.execute(
        "SELECT p.id, p.name, p.category, p.description, v.model, v.text_hash "
        "FROM products p LEFT JOIN product_vectors v ON v.product_id = p.id ORDER BY p.num"
    ):
        text = vector_text(r[1], r[2], r[3])
        digest = text_hash(text)
        if r[4] != model or r[5] != digest:
            out.append(Pending(r[0], text, digest))
    return out


def store(conn: sqlite3.Connection, model: str, items: Sequence[Pending], vectors: Matrix) -> int:
    """Write one batch of vectors (float16) in one transaction; how many were written.

    A product removed meanwhile is skipped (its id no longer exists)."""
    if len(items) != len(vectors):
        raise ValueError("one vector per product")
    half = np.asarray(vectors, dtype=np.float16)
    dim = int(half.shape[1]) if half.ndim == 2 else 0
    written = 0
    with transaction(conn):
        for item, vec in zip(items, half, strict=True):
            cur = conn.execute(
                "INSERT INTO product_vectors (product_id, model, text_hash, dim, vector) "
                "SELECT id, ?, ?, ?, ? FROM products WHERE id = ? "
                "ON CONFLICT (product_id) DO UPDATE SET model = excluded.model, "
                "text_hash = excluded.text_hash, dim = excluded.dim, vector = excluded.vector",
                (model, item.text_hash, dim, vec.tobytes(), item.product_id),
            )
            written += cur.rowcount
    return written


def product_count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM products").fetchone()[0])


def clear(conn: sqlite3.Connection) -> int:
    """Forget every product vector (the next catch-up makes them all); how many."""
    with transaction(conn):
        return conn.execute("DELETE FROM product_vectors").rowcount


@dataclass(frozen=True)
class VectorStats:
    products: int
    current: int  # vectors of this model for the product's current text
    stored_bytes: int  # the float16 blobs of this model

    @property
    def missing(self) -> int:
        return self.products - self.current


def stats(conn: sqlite3.Connection, model: str) -> VectorStats:
    """How far the vectors are: the missing or stale ones are what a catch-up embeds."""
    products = product_count(conn)
    stale = len(pending(conn, model))
    size = conn.execute(
        "SELECT coalesce(sum(length(vector)), 0) FROM product_vectors WHERE model = ?", (model,)
    ).fetchone()[0]
    return VectorStats(products, products - stale, int(size))


def stamp_of(conn: sqlite3.Connection) -> tuple[int, int]:
    """Moves when a vector or a product's searchable text does."""
    row = conn.execute(
        "SELECT (SELECT generation FROM vector_state WHERE id = 1), "
        "(SELECT generation FROM search_state WHERE id = 1)"
    ).fetchone()
    return int(row[0] or 0), int(row[1] or 0)


@dataclass
class _Loaded:
    stamp: tuple[int, int]
    model: str
    ids: list[str]
    nums: npt.NDArray[np.int64]
    half: npt.NDArray[np.float16]  # (n, dim): the stored vectors, as stored
    row_of: dict[str, int]
    exact: Matrix | None = None  # (n, dim) float32, for a catalog of up to EXACT_UP_TO
    basis: Matrix | None = None  # (dim, COARSE_DIM): the vectors' main directions
    coarse: Matrix | None = None  # (n, COARSE_DIM) float32: each vector on that basis


class VectorIndex:
    """The catalog's product vectors of one model, in memory, for cosine top-k."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._loaded: _Loaded | None = None
        # The last query's cosines: one turn asks several times (a kind check, each
        # relaxed attempt, the nearby offer).
        self._last: tuple[_Loaded, bytes, Matrix] | None = None

    def _load(self, model: str) -> _Loaded:
        stamp = stamp_of(self.conn)
        if self._loaded and self._loaded.stamp == stamp and self._loaded.model == model:
            return self._loaded
        ids: list[str] = []
        nums: list[int] = []
        blobs: list[bytes] = []
        dim = 0
        for r in self.conn.execute(
            "SELECT p.id, p.num, v.dim, v.vector FROM product_vectors v "
            "JOIN products p ON p.id = v.product_id WHERE v.model = ? ORDER BY p.num",
            (model,),
        ):
            if dim and r[2] != dim:
                continue  # a row from a model of another width under the same name
            dim = r[2]
            ids.append(r[0])
            nums.append(r[1])
            blobs.append(r[3])
        half = (
            np.frombuffer(b"".join(blobs), dtype=np.float16).reshape(len(ids), dim)
            if ids
            else np.zeros((0, 1), dtype=np.float16)
        )
        loaded = _Loaded(
            stamp,
            model,
            ids,
            np.asarray(nums, dtype=np.int64),
            half,
            {pid: i for i, pid in enumerate(ids)},
        )
        if len(ids) <= EXACT_UP_TO:
            loaded.exact = half.astype(np.float32)
        else:
            loaded.basis = _main_directions(half)
            coarse = np.empty((len(ids), loaded.basis.shape[1]), dtype=np.float32)
            for start in range(0, len(ids), 8192):  # float32 only a slice at a time
                coarse[start : start + 8192] = (
                    half[start : start + 8192].astype(np.float32) @ loaded.basis
                )
            loaded.coarse = coarse
        self._loaded = loaded
        return loaded

    def _all_cosines(self, loaded: _Loaded, query: Matrix) -> Matrix:
        """Cosines of every product to the query (the best of its rows). A big catalog
        is scored on its main directions first (the rows' mean, one pass) and exactly
        only for the COARSE_KEEP best of those; the others get -2 (never nearest)."""
        q = np.atleast_2d(np.asarray(query, dtype=np.float32))
        key = q.tobytes()
        if self._last is not None and self._last[0] is loaded and self._last[1] == key:
            return self._last[2]
        if loaded.exact is not None:
            sims = _best(loaded.exact, q)
        else:
            assert loaded.coarse is not None and loaded.basis is not None
            # One pass for all the query's rows: their mean picks the candidates.
            approx = loaded.coarse @ (q.sum(axis=0) @ loaded.basis)
            keep = np.argpartition(-approx, COARSE_KEEP - 1)[:COARSE_KEEP]
            sims = np.full(len(loaded.ids), -2.0, dtype=np.float32)
            sims[keep] = _best(loaded.half[keep].astype(np.float32), q)
        self._last = (loaded, key, sims)
        return sims

    def count(self, model: str) -> int:
        """Products that have a vector of `model` (0: search by words alone)."""
        return len(self._load(model).ids)

    def cosines(self, model: str, query: Matrix, product_ids: Sequence[str]) -> dict[str, float]:
        """Cosine of the query to each of these products that has a vector (several
        query vectors, one per row: the best of them)."""
        loaded = self._load(model)
        rows = [loaded.row_of[p] for p in product_ids if p in loaded.row_of]
        if not rows:
            return {}
        sims = _best(loaded.half[rows].astype(np.float32), np.atleast_2d(query))
        return {loaded.ids[r]: float(s) for r, s in zip(rows, sims, strict=True)}

    def nearest(
        self,
        model: str,
        query: Matrix,
        filters: SearchFilters | None = None,
        *,
        limit: int = 10,
        min_cosine: float = -1.0,
    ) -> list[tuple[str, float]]:
        """The `limit` products nearest in meaning that pass the filters, nearest first,
        none under `min_cosine`: (product id, cosine). Several query vectors (one per
        row, e.g. a request and its content words): each product's best cosine."""
        loaded = self._load(model)
        n = len(loaded.ids)
        if n == 0 or limit <= 0:
            return []
        sims = self._all_cosines(loaded, query)
        where, params = _filter_sql(filters or SearchFilters())
        out: list[tuple[str, float]] = []
        done, k = 0, min(n, max(FIRST_ROUND, limit * 2))
        while True:
            order = np.argpartition(-sims, k - 1)[:k] if k < n else np.arange(n)
            chunk = order[np.argsort(-sims[order], kind="stable")][done:]
            below = sims[chunk] < min_cosine
            chunk = chunk[~below]  # sorted nearest first: after one is below, all are
            if len(chunk) and where:
                marks = json.dumps([int(x) for x in loaded.nums[chunk]])
                passed = {
                    r[0]
                    for r in self.conn.execute(
                        "SELECT p.num FROM products p WHERE p.num IN "
                        f"(SELECT value FROM json_each(?)){where}",
                        [marks, *params],
                    )
                }
                chunk = chunk[[int(loaded.nums[i]) in passed for i in chunk]]
            out += [(loaded.ids[int(i)], float(sims[int(i)])) for i in chunk]
            if len(out) >= limit or bool(below.any()) or k >= n:
                return out[:limit]
            done, k = k, min(n, k * 8)


def _best(matrix: Matrix, query: Matrix) -> Matrix:
    """Cosines of every row of `matrix` to the query's rows, the best of them. One
    matrix-vector product per query row: BLAS does those at memory speed, where a
    product with a 2-column matrix took 3-4x as long."""
    q = np.atleast_2d(np.asarray(query, dtype=np.float32))
    sims: Matrix = matrix @ q[0]
    for row in q[1:]:
        np.maximum(sims, matrix @ row, out=sims)
    return sims


def _main_directions(half: npt.NDArray[np.float16]) -> Matrix:
    """The COARSE_DIM directions that carry most of the vectors (SVD of a sample, not
    centred, so dot products are kept): scoring on them reads a quarter of the memory."""
    rng = np.random.default_rng(0)
    rows = rng.choice(len(half), size=min(len(half), 8000), replace=False)
    sample = half[np.sort(rows)].astype(np.float32)
    _, _, vt = np.linalg.svd(sample, full_matrices=False)
    basis: Matrix = np.ascontiguousarray(vt[:COARSE_DIM].T)
    return basis

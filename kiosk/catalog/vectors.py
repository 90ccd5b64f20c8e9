"""Product vectors kept with the catalog, and the nearest products to a query vector.

SQLite stays the one record: each product's sentence vector is a float16 blob in
`product_vectors`, with the embedding model's name and a hash of the text it embedded,
so after an import only new or changed products (or all of them, for another model)
are embedded again. This module only stores and searches vectors; making them needs
the model, which lives in a layer above (`kiosk.assistant.meaning`).

Search keeps the matrix in memory, loaded once per change of `vector_state` (moved by
triggers whenever a vector is written or removed) or of the products. It is held as
float32: numpy has no BLAS for float16, and a 100k x 384 product in float16 took
133 ms against 7.7 ms in float32 on the 2-core machine (float16 on disk: 76.8 MB for
100k products; float32 in memory: 153.6 MB). Filters (price, stock, colour, size,
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


def store(
    conn: sqlite3.Connection, model: str, items: Sequence[Pending], vectors: Matrix
) -> int:
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
    products = int(conn.execute("SELECT count(*) FROM products").fetchone()[0])
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
    matrix: Matrix  # (n, dim), rows L2-normalized
    row_of: dict[str, int]


class VectorIndex:
    """The catalog's product vectors of one model, in memory, for cosine top-k."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._loaded: _Loaded | None = None
        # The last query's cosines: one turn asks several times (a kind check, each
        # relaxed attempt, the nearby offer) and at 100k products each costs ~8 ms.
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
        matrix = (
            np.frombuffer(b"".join(blobs), dtype=np.float16).reshape(len(ids), dim)
            if ids
            else np.zeros((0, 1), dtype=np.float16)
        ).astype(np.float32)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        matrix /= norms
        self._loaded = _Loaded(
            stamp,
            model,
            ids,
            np.asarray(nums, dtype=np.int64),
            matrix,
            {pid: i for i, pid in enumerate(ids)},
        )
        return self._loaded

    def _all_cosines(self, loaded: _Loaded, query: Matrix) -> Matrix:
        key = np.ascontiguousarray(query, dtype=np.float32).tobytes()
        if self._last is not None and self._last[0] is loaded and self._last[1] == key:
            return self._last[2]
        sims = _best(loaded.matrix, query)
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
        sims = _best(loaded.matrix[rows], query)
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
    """Cosines of every row of `matrix` to a query vector, or the best of several."""
    q = np.asarray(query, dtype=np.float32)
    if q.ndim == 1:
        return matrix @ q
    sims: Matrix = (matrix @ q.T).max(axis=1)
    return sims

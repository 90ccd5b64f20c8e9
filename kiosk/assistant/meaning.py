"""Search by meaning: product vectors made with the embedding model, queries against them.

The catalog stores the vectors and finds the nearest (`kiosk.catalog.vectors`); this
module holds the model's side: `catch_up` embeds what is new or changed after an
import (in batches, each committed, so an interrupted catch-up keeps what it did),
and `Meaning` embeds a shopper's request and picks the sentence of a product's own
text closest to it, the "why it fits" a reply quotes (after the quote check).
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from kiosk.assistant.quote import Held, quotable
from kiosk.catalog import vectors
from kiosk.catalog.records import Product
from kiosk.catalog.repository import Catalog
from kiosk.catalog.search import SearchFilters
from kiosk.errors import KioskError
from kiosk.llm.embed import Embedder, Vectors

log = logging.getLogger(__name__)

# Products per embedding call and per committed batch of a catch-up.
CATCH_UP_BATCH = 64
# A store this small is caught up inside a shopper's turn (name and category embed at
# ~500 products/s on 2 cores: 0.4 s once after an import); a bigger one waits for
# `kiosk vectors`, the import or the screen's background worker, and answers by words.
INLINE_CATCH_UP = 200
# Sentences of a description worth quoting: long enough to say something, short
# enough to be said.
MIN_QUOTE_WORDS, MAX_QUOTE_CHARS = 5, 220
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")
_WHY_CACHE = 512  # products whose sentence vectors are kept

Progress = Callable[[int, int], None]  # (done, total)


@dataclass(frozen=True)
class CatchUp:
    embedded: int
    total: int  # products in the catalog
    seconds: float

    @property
    def rate(self) -> float:
        return self.embedded / self.seconds if self.seconds > 0 else 0.0


def catch_up(
    catalog: Catalog,
    embedder: Embedder,
    *,
    progress: Progress | None = None,
    batch: int = CATCH_UP_BATCH,
    limit: int | None = None,
) -> CatchUp:
    """Embed the products whose vector is missing, stale or from another model.

    `limit` stops after that many (a shopper's turn catches up a small store inline;
    a big one is left to `kiosk vectors` or the screen's background worker)."""
    started = time.perf_counter()
    todo = vectors.pending(catalog.conn, embedder.name)
    if limit is not None:
        todo = todo[:limit]
    total = vectors.product_count(catalog.conn)
    done = 0
    for start in range(0, len(todo), batch):
        chunk = todo[start : start + batch]
        vecs = embedder.embed([p.text for p in chunk])
        vectors.store(catalog.conn, embedder.name, chunk, vecs)
        done += len(chunk)
        if progress is not None:
            progress(done, len(todo))
    return CatchUp(done, total, time.perf_counter() - started)


def sentences(text: str) -> list[str]:
    """A description's sentences that could be quoted whole."""
    out = []
    for s in _SENTENCE.split(" ".join(text.split())):
        s = s.strip()
        if len(s.split()) >= MIN_QUOTE_WORDS and len(s) <= MAX_QUOTE_CHARS:
            out.append(s)
    return out


class Meaning:
    """The embedding model over one catalog's product vectors."""

    def __init__(self, catalog: Catalog, embedder: Embedder) -> None:
        self.catalog = catalog
        self.embedder = embedder
        self._why: OrderedDict[tuple[str, str], tuple[list[str], Vectors]] = OrderedDict()
        self._lock = threading.Lock()
        self._checked: tuple[int, int] | None = None

    @property
    def model(self) -> str:
        return self.embedder.name

    def ready(self) -> bool:
        """Whether the catalog has vectors of this model (else: words alone)."""
        return self.catalog.vectors.count(self.model) > 0

    def query(self, *texts: str) -> Vectors:
        """The request's vectors, one row per distinct text (cached by the model; the
        ones it hasn't seen made in one decode)."""
        unique = list(dict.fromkeys(t for t in texts if t.strip()))
        return self.embedder.embed_queries(unique)

    def nearest(
        self,
        qvec: Vectors,
        filters: SearchFilters,
        *,
        limit: int,
        min_cosine: float = -1.0,
    ) -> list[tuple[str, float]]:
        return self.catalog.vectors.nearest(
            self.model, qvec, filters, limit=limit, min_cosine=min_cosine
        )

    def cosines(self, qvec: Vectors, ids: list[str]) -> dict[str, float]:
        return self.catalog.vectors.cosines(self.model, qvec, ids)

    def why(self, product: Product, qvec: Vectors, held: Held | None = None) -> str | None:
        """The product's own description sentence closest in meaning to the request, if
        one passes the quote check (catalog text is data, not truth); else None."""
        key = (product.id, vectors.text_hash(product.description))
        with self._lock:
            cached = self._why.get(key)
        if cached is None:
            said = sentences(product.description)
            vecs = self.embedder.embed(said) if said else np.zeros((0, 1), dtype=np.float32)
            cached = (said, vecs)
            with self._lock:
                self._why[key] = cached
                while len(self._why) > _WHY_CACHE:
                    self._why.popitem(last=False)
        said, vecs = cached
        if not said:
            return None
        held = held or Held.of(product)
        for i in np.argsort(-(vecs @ qvec.T).max(axis=1)):
            if quotable(said[int(i)], "description", held):
                return said[int(i)]
        return None


def current_meaning(meaning: Meaning) -> Meaning | None:
    """`meaning` once the catalog has vectors, or None (words alone).

    A small store's missing vectors are made here, once per catalog change; a failure
    (a read-only catalog, a full disk) costs meaning, never the answer."""
    conn = meaning.catalog.conn
    stamp = vectors.stamp_of(conn)
    if stamp != meaning._checked:
        if vectors.product_count(conn) <= INLINE_CATCH_UP:
            try:
                catch_up(meaning.catalog, meaning.embedder)
            except (KioskError, sqlite3.Error) as exc:
                log.warning("product vectors not made: %s", exc)
        meaning._checked = vectors.stamp_of(conn)
    return meaning if meaning.ready() else None

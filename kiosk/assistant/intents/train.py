"""Training the intent model: the shipped rows plus a store's own, in seconds.

Embedding the rows is the cost (about 2,500 shipped rows: ~10 s on 2 busy cores);
fitting takes under a second. A fifth of the rows (chosen by a hash of the text, so
every run holds out the same ones) is held out to measure accuracy; the model that
is saved is then fitted on every row, so no store example goes unlearnt. A store's
row replaces a shipped row with the same text, counts `STORE_WEIGHT` times as much,
and is recalled outright by a request that says nearly the same thing. The vectors
are cached in KIOSK_HOME, so a store's next run embeds only its new rows (seconds).
"""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kiosk.assistant.intents.examples import Example
from kiosk.assistant.intents.model import IntentModel, Vectors, fit
from kiosk.llm.embed import Embedder

STORE_WEIGHT = 3.0


@dataclass
class TrainReport:
    """What `kiosk train` prints."""

    rows: int
    store_rows: int
    held_out: int
    accuracy: float  # intent accuracy on the held-out rows, of a model fitted without them
    store_accuracy: float | None  # the same, on the store's held-out rows only
    embed_s: float
    fit_s: float
    embedded: int = 0  # rows embedded this run (the rest came from the cache)
    by_intent: dict[str, tuple[int, int]] = field(default_factory=dict)  # right, of

    def lines(self) -> list[str]:
        out = [
            f"trained on {self.rows:,} requests ({self.store_rows:,} the store's own) in "
            f"{self.embed_s + self.fit_s:.1f} s (embedding {self.embedded:,} new: "
            f"{self.embed_s:.1f} s)",
            f"held-out accuracy: {self.accuracy:.1%} of {self.held_out:,} requests "
            "(a fifth, kept out of a first fit)",
        ]
        if self.store_accuracy is not None:
            out.append(f"  the store's own held-out requests: {self.store_accuracy:.1%}")
        out += [
            f"  {intent:<17} {right:>4}/{total:<4}"
            for intent, (right, total) in sorted(self.by_intent.items())
        ]
        return out


def merge(shipped: list[Example], store: list[Example]) -> tuple[list[Example], int]:
    """Every row once; a store's row wins over a shipped one with the same text."""
    rows: dict[str, Example] = {}
    for e in shipped:
        rows.setdefault(e.text.lower(), e)
    mine = {e.text.lower(): e for e in store}  # the store's last word on a text stands
    rows.update(mine)
    return list(rows.values()), len(mine)


def embed_cached(embedder: Embedder, texts: list[str], cache: Path | None) -> tuple[Vectors, int]:
    """The texts' vectors, from `cache` (an .npz of earlier ones) where it has them, and
    how many had to be embedded.

    Embedding is nearly all of a training run; a store retrains many times on the same
    shipped rows, so after the first run only its new rows are embedded. A cache of
    another embedding model's vectors is ignored and replaced.
    """
    known: dict[str, Vectors] = {}
    if cache is not None and cache.is_file():
        try:
            with np.load(cache, allow_pickle=False) as f:
                if str(f["embedder"]) == embedder.name:
                    known = dict(zip((str(t) for t in f["texts"]), f["vectors"], strict=True))
        except (OSError, ValueError, KeyError, EOFError):
            known = {}  # unreadable: rebuilt below
    missing = sorted({t for t in texts if t not in known})
    if missing:
        known.update(zip(missing, embedder.embed(missing), strict=True))
        if cache is not None:
            with contextlib.suppress(OSError):  # no cache is only slower
                cache.parent.mkdir(parents=True, exist_ok=True)
                tmp = cache.with_name(cache.name + ".tmp.npz")
                keep = sorted(set(texts))
                np.savez(
                    tmp,
                    embedder=np.array(embedder.name),
                    texts=np.array(keep, dtype=str),
                    vectors=np.stack([known[t] for t in keep]),
                )
                tmp.replace(cache)
    out: Vectors = np.stack([known[t] for t in texts]).astype(np.float32)
    return out, len(missing)


def train(
    shipped: list[Example],
    store: list[Example],
    embedder: Embedder,
    *,
    cache: Path | None = None,
) -> tuple[IntentModel, TrainReport]:
    """Fit, measure on the held-out fifth, refit on everything; only `cache` is written."""
    rows, store_rows = merge(shipped, store)
    own = {e.text.lower() for e in store}
    started = time.perf_counter()
    vectors, embedded = embed_cached(embedder, [e.text for e in rows], cache)
    embed_s = time.perf_counter() - started
    started = time.perf_counter()
    labels = [e.label for e in rows]
    is_store = np.array([e.text.lower() in own for e in rows])
    weights = np.where(is_store, STORE_WEIGHT, 1.0)
    held = np.array([e.held_out for e in rows])
    keep = ~held

    def memory(mask: np.ndarray) -> tuple[np.ndarray, list[str]]:
        pick = mask & is_store
        return vectors[pick], [labels[i] for i in np.flatnonzero(pick)]

    first = fit(
        vectors[keep],
        [labels[i] for i in np.flatnonzero(keep)],
        embedder=embedder.name,
        weights=weights[keep],
        memory=memory(keep),
    )
    predicted = first.predict(vectors[held]) if held.any() else []
    truth = [rows[i] for i in np.flatnonzero(held)]
    right = [p.intent == e.intent for p, e in zip(predicted, truth, strict=True)]
    accuracy = float(np.mean(right)) if right else 0.0
    store_right = [r for r, e in zip(right, truth, strict=True) if e.text.lower() in own]
    by_intent: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    for r, e in zip(right, truth, strict=True):
        by_intent[e.intent] += r
        totals[e.intent] += 1
    model = fit(
        vectors,
        labels,
        embedder=embedder.name,
        accuracy=accuracy,
        weights=weights,
        memory=memory(np.ones(len(rows), dtype=bool)),
    )
    report = TrainReport(
        rows=len(rows),
        store_rows=store_rows,
        held_out=len(truth),
        accuracy=accuracy,
        store_accuracy=float(np.mean(store_right)) if store_right else None,
        embed_s=embed_s,
        fit_s=time.perf_counter() - started,
        embedded=embedded,
        by_intent={k: (by_intent[k], totals[k]) for k in totals},
    )
    return model, report

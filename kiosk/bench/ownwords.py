"""Own-words requests over the demo store, through the real assistant turn.

tests/data/search/own_words.json holds requests a shopper would say in their own
words ("a raincoat", "something to keep me warm at night when camping") with the
products that are right for each, and requests for things the store doesn't sell
(intent out_of_scope). A request counts as right when the turn's intent is the
labelled one and, for a product request, a right product is among those shown.
The set is split: thresholds and weights were picked on "tune"; "held" was not
looked at to pick anything.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from kiosk.assistant.pipeline import Assistant
from kiosk.assistant.session import Session
from kiosk.catalog.repository import Catalog
from kiosk.config import Config, load
from kiosk.llm.embed import Embedder

LABELS = Path(__file__).resolve().parents[2] / "tests" / "data" / "search"


def own_words() -> list[dict[str, object]]:
    data: list[dict[str, object]] = json.loads((LABELS / "own_words.json").read_text())["queries"]
    return data


@dataclass
class Score:
    """Right answers of one half of the set."""

    products: int = 0  # product requests
    product_hits: int = 0  # ... with a right product shown and intent find_product
    absent: int = 0  # requests for what the store doesn't sell
    absent_hits: int = 0  # ... labelled out_of_scope
    misses: list[str] = field(default_factory=list)

    @property
    def product_rate(self) -> float:
        return self.product_hits / self.products if self.products else 0.0

    @property
    def absent_rate(self) -> float:
        return self.absent_hits / self.absent if self.absent else 0.0


def bench_config() -> Config:
    """Templates only: the search and the intent are measured, not the phrasing."""
    return load(env={"KIOSK_LLM_BACKEND": "none", "KIOSK_ASSISTANT_PHRASING": "off"})


@contextmanager
def assistant_on(path: Path, embedder: Embedder | None) -> Iterator[Assistant]:
    """An assistant over the catalog at `path`: with meaning (`embedder`) or words alone."""
    cfg = bench_config()
    with Catalog.open(path) as catalog:
        a = Assistant(catalog, cfg, embedder=embedder)
        if embedder is None:
            a._embedder_tried = True  # words alone: never load the model
        yield a


def score(assistant: Assistant, items: list[dict[str, object]]) -> dict[str, Score]:
    """Each request in a fresh session; scored per split."""
    out: dict[str, Score] = {}
    for item in items:
        sc = out.setdefault(str(item["split"]), Score())
        reply = assistant.turn(Session(), str(item["query"]))
        shown = {c.id for c in reply.products}
        right = set(item["relevant"])  # type: ignore[call-overload]
        if item["intent"] == "out_of_scope":
            sc.absent += 1
            ok = str(reply.intent) == "out_of_scope"
            sc.absent_hits += ok
        else:
            sc.products += 1
            ok = str(reply.intent) == "find_product" and bool(shown & right)
            sc.product_hits += ok
        if not ok:
            sc.misses.append(f"{item['query']!r} -> {reply.intent} {sorted(shown)}")
    return out

"""What shoppers ask about together, from the request log.

"Shoppers who asked about X also asked about Y" counts pairs of products (and of
categories) shown within one anonymous visit token of the request log, each visit
counted once per pair, with lift so that two popular things aren't paired only
for being popular.

Accessories ("what goes with it") come from `kiosk.catalog.complements`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from kiosk.catalog.repository import Catalog
from kiosk.catalog.requestlog import LoggedTurn

MIN_SUPPORT = 2


@dataclass(frozen=True)
class Pair:
    a: str
    b: str
    a_label: str
    b_label: str
    sessions: int  # visits that asked about both
    lift: float

    def to_json(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "a_label": self.a_label,
            "b_label": self.b_label,
            "sessions": self.sessions,
            "lift": self.lift,
        }


def _pairs(baskets: list[set[str]], labels: dict[str, str], min_support: int) -> list[Pair]:
    baskets = [b for b in baskets if b]
    n = len(baskets)
    single: Counter[str] = Counter(x for b in baskets for x in b)
    both: Counter[tuple[str, str]] = Counter(
        pair for b in baskets for pair in combinations(sorted(b), 2)
    )
    out = [
        Pair(
            a,
            b,
            labels.get(a, a),
            labels.get(b, b),
            k,
            round(k * n / (single[a] * single[b]), 2),
        )
        for (a, b), k in both.items()
        if k >= min_support
    ]
    return sorted(out, key=lambda p: (-p.sessions, -p.lift, p.a_label, p.b_label))


def asked_together(
    catalog: Catalog,
    turns: Iterable[LoggedTurn],
    *,
    min_support: int = MIN_SUPPORT,
    limit: int = 10,
) -> dict[str, list[Pair]]:
    """Products and categories shown in the same visit, pairs seen in >= min_support visits."""
    rows = catalog.names_and_categories()
    products: dict[str, set[str]] = {}
    categories: dict[str, set[str]] = {}
    for t in turns:
        if not t.session:
            continue
        for pid in t.product_ids:
            if pid in rows:
                products.setdefault(t.session, set()).add(pid)
                if rows[pid][1]:
                    categories.setdefault(t.session, set()).add(rows[pid][1])
    names = {pid: name for pid, (name, _) in rows.items()}
    return {
        "products": _pairs(list(products.values()), names, min_support)[:limit],
        "categories": _pairs(list(categories.values()), {}, min_support)[:limit],
    }

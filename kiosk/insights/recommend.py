"""Recommendations: what shoppers ask about together, and accessories for past orders.

"Shoppers who asked about X also asked about Y" counts pairs of products (and of
categories) shown within one anonymous visit token of the request log, each visit
counted once per pair, with lift so that two popular things aren't paired only
for being popular.

Accessories for a loyalty customer (opt-in: only after they gave their number in
this session; nothing is stored) come from category complements computed from the
catalog's own orders table: customers who bought a tent also bought ... . The
Contoso orders are thin (12 customers, 33 order lines), so a hand-written mapping
of accessory categories fills in where a category has fewer than MIN_SUPPORT
co-buyers; every suggestion says which basis it came from.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from kiosk.catalog.repository import Catalog
from kiosk.insights.log import LoggedTurn

MIN_SUPPORT = 2
# Accessories by category, used only where the orders say too little. Keys and values
# are matched case-insensitively against the catalog's categories; missing ones are
# skipped, so a store without stoves is never offered one.
FALLBACK_COMPLEMENTS: dict[str, tuple[str, ...]] = {
    "tents": ("sleeping bags", "camping stoves", "camping tables", "footprints"),
    "sleeping bags": ("tents", "sleeping pads"),
    "camping tables": ("camping stoves", "camping chairs"),
    "camping stoves": ("camping tables", "cookware", "fuel"),
    "backpacks": ("hiking clothing", "hydration"),
    "hiking footwear": ("hiking clothing", "socks"),
    "hiking clothing": ("hiking footwear", "backpacks"),
}


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
    conn: sqlite3.Connection,
    turns: Iterable[LoggedTurn],
    *,
    min_support: int = MIN_SUPPORT,
    limit: int = 10,
) -> dict[str, list[Pair]]:
    """Products and categories shown in the same visit, pairs seen in >= min_support visits."""
    rows = {r[0]: (r[1], r[2]) for r in conn.execute("SELECT id, name, category FROM products")}
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


@dataclass(frozen=True)
class Complement:
    category: str
    other: str
    customers: int  # customers who bought both (0 for the hand-written mapping)
    confidence: float  # share of `category` buyers who also bought `other`
    basis: str  # 'orders' or 'mapping'


def category_complements(
    conn: sqlite3.Connection, *, min_support: int = MIN_SUPPORT, per_category: int = 3
) -> dict[str, list[Complement]]:
    """category -> what its buyers also buy, from orders; the mapping fills thin ones."""
    bought: dict[str, set[str]] = {}
    for customer, category in conn.execute(
        "SELECT DISTINCT o.customer_id, p.category FROM orders o "
        "JOIN products p ON p.id = o.product_id WHERE p.category != ''"
    ):
        bought.setdefault(category, set()).add(customer)
    categories = {
        r[0].lower(): r[0] for r in conn.execute("SELECT DISTINCT category FROM products")
    }
    out: dict[str, list[Complement]] = {}
    for cat in categories.values():
        buyers = bought.get(cat, set())
        found = [
            Complement(
                cat,
                other,
                len(buyers & theirs),
                round(len(buyers & theirs) / len(buyers), 2),
                "orders",
            )
            for other, theirs in bought.items()
            if other != cat and buyers and len(buyers & theirs) >= min_support
        ]
        found.sort(key=lambda c: (-c.customers, c.other))
        found = found[:per_category]
        if len(found) < per_category:
            have = {c.other for c in found} | {cat}
            for name in FALLBACK_COMPLEMENTS.get(cat.lower(), ()):
                real = categories.get(name)
                if real and real not in have and len(found) < per_category:
                    found.append(Complement(cat, real, 0, 0.0, "mapping"))
                    have.add(real)
        out[cat] = found
    return out


@dataclass(frozen=True)
class Suggestion:
    product_id: str
    name: str
    category: str
    because: str  # the owned category it complements
    basis: str  # 'orders: 3 of 5 Tents buyers' or 'mapping'

    def to_json(self) -> dict[str, str]:
        return {
            "product_id": self.product_id,
            "name": self.name,
            "category": self.category,
            "because": self.because,
            "basis": self.basis,
        }


def accessories_for(catalog: Catalog, customer_id: str, *, limit: int = 3) -> list[Suggestion]:
    """Accessories for a loyalty customer's past orders, best first.

    For each category they bought (most recent first), complementary categories
    they haven't bought; in each, the in-stock product with the best average rating.
    Call only for a customer who gave their number in this session.
    """
    customer = catalog.customer(customer_id)
    if customer is None:
        return []
    owned_products = catalog.products(
        list(dict.fromkeys(o.product_id for o in reversed(customer.orders)))
    )
    owned = list(dict.fromkeys(p.category for p in owned_products if p.category))
    return accessories_for_categories(catalog, owned, limit=limit)


def accessories_for_categories(
    catalog: Catalog, owned: Sequence[str], *, limit: int = 3
) -> list[Suggestion]:
    """For each category in `owned` (first first), the best in-stock product of each of
    its complementary categories not in `owned`: "a stove for a camping table"."""
    owned = list(owned)
    complements = category_complements(catalog.conn)
    rating = {
        r[0]: r[1]
        for r in catalog.conn.execute(
            "SELECT product_id, avg(rating) FROM reviews WHERE rating IS NOT NULL "
            "GROUP BY product_id"
        )
    }
    out: list[Suggestion] = []
    taken: set[str] = set(owned)
    for category in owned:
        for comp in complements.get(category, []):
            if comp.other in taken:
                continue
            candidates = [
                p
                for p in catalog.products(
                    [
                        r[0]
                        for r in catalog.conn.execute(
                            "SELECT id FROM products WHERE category = ?", (comp.other,)
                        )
                    ]
                )
                if p.in_stock
            ]
            if not candidates:
                continue
            best = max(candidates, key=lambda p: (rating.get(p.id, 0.0), -p.price_cents, p.id))
            basis = (
                f"orders: {comp.customers} buyers of {category} also bought {comp.other}"
                if comp.basis == "orders"
                else "mapping"
            )
            out.append(Suggestion(best.id, best.name, best.category, category, basis))
            taken.add(comp.other)
            if len(out) == limit:
                return out
    return out

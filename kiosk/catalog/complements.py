"""What goes with what, from the store's own orders: "buyers of tents also bought ...".

Accessories for a loyalty customer (opt-in: only after they gave their number in
this session; nothing is stored) and for the product on screen come from category
complements computed from the catalog's orders table. The Contoso orders are thin
(12 customers, 33 order lines), so a hand-written mapping of accessory categories
fills in where a category has fewer than MIN_SUPPORT co-buyers; every suggestion
says which basis it came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kiosk.catalog.repository import Catalog

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
class Complement:
    category: str
    other: str
    customers: int  # customers who bought both (0 for the hand-written mapping)
    confidence: float  # share of `category` buyers who also bought `other`
    basis: str  # 'orders' or 'mapping'


def category_complements(
    catalog: Catalog, *, min_support: int = MIN_SUPPORT, per_category: int = 3
) -> dict[str, list[Complement]]:
    """category -> what its buyers also buy, from orders; the mapping fills thin ones."""
    bought: dict[str, set[str]] = {}
    for customer, category in catalog.buyers_by_category():
        bought.setdefault(category, set()).add(customer)
    categories = {c.lower(): c for c in catalog.categories()}
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
    complements = category_complements(catalog)
    rating = catalog.average_ratings()
    out: list[Suggestion] = []
    taken: set[str] = set(owned)
    for category in owned:
        for comp in complements.get(category, []):
            if comp.other in taken:
                continue
            candidates = [
                p for p in catalog.products(catalog.ids_in_category(comp.other)) if p.in_stock
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

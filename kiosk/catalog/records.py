"""Plain, frozen records that cross the catalog's boundary.

Prices are integer cents everywhere inside the kiosk: a float price would let
'$249.99' become 249.98999 in a reply, and replies are checked against facts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any


def parse_price(text: str) -> int:
    """'249.99', '$1,249', '250.0' -> cents. Raises ValueError with the reason."""
    cleaned = text.strip().replace(",", "").lstrip("$").strip()
    if not cleaned:
        raise ValueError("price is empty")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"price {text!r} is not a number") from None
    if not value.is_finite():
        raise ValueError(f"price {text!r} is not a number")
    if value < 0:
        raise ValueError(f"price {text!r} is negative")
    cents = (value * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(cents)


def format_price(cents: int) -> str:
    """Cents -> '$249.99' (or '$250' when whole), the one spelling replies use."""
    dollars, rest = divmod(cents, 100)
    return f"${dollars:,}" if rest == 0 else f"${dollars:,}.{rest:02d}"


@dataclass(frozen=True)
class Variant:
    """One size/colour of a product, with its own stock (and price, if it differs)."""

    sku: str
    size: str = ""
    color: str = ""
    price_cents: int | None = None
    stock: int = 0


@dataclass(frozen=True)
class ProductRecord:
    """A product as an importer or editor hands it in.

    `stock`, `aisle` and `shelf` of None mean "keep what the catalog has": a
    supplier feed without stock must not wipe the counts staff entered.
    """

    id: str
    name: str
    price_cents: int
    brand: str = ""
    category: str = ""
    description: str = ""
    attributes: Mapping[str, Any] = field(default_factory=dict)
    stock: int | None = None
    aisle: str | None = None
    shelf: str | None = None
    variants: tuple[Variant, ...] = ()
    # Searchable text beyond the description (features, specs) for the index.
    extra_text: str = ""


@dataclass(frozen=True)
class Product:
    """A product as the kiosk shows it."""

    id: str
    name: str
    brand: str
    category: str
    price_cents: int
    description: str
    attributes: Mapping[str, Any]
    stock: int
    aisle: str
    shelf: str
    variants: tuple[Variant, ...] = ()

    @property
    def in_stock(self) -> bool:
        return self.stock > 0

    @property
    def price(self) -> str:
        return format_price(self.price_cents)

    @property
    def location(self) -> str:
        """'Aisle 4, shelf B', or '' when the store hasn't placed it."""
        if not self.aisle:
            return ""
        return f"Aisle {self.aisle}" + (f", shelf {self.shelf}" if self.shelf else "")


@dataclass(frozen=True)
class Document:
    """Text attached to a product (product_id set) or to the store (None)."""

    key: str
    kind: str
    title: str
    body: str
    product_id: str | None = None
    source: str = ""


@dataclass(frozen=True)
class Review:
    product_id: str
    position: int
    rating: int | None
    body: str


@dataclass(frozen=True)
class Order:
    order_id: str
    product_id: str
    quantity: int
    ordered_on: str = ""


@dataclass(frozen=True)
class Customer:
    """A loyalty customer: tier and orders only, no contact details."""

    id: str
    membership: str = "None"
    orders: tuple[Order, ...] = ()

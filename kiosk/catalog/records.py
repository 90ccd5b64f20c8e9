"""Plain, frozen records that cross the catalog's boundary.

Prices are integer cents everywhere inside the kiosk: a float price would let
'$249.99' become 249.98999 in a reply, and replies are checked against facts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

# Far above any shelf price, far below where sums of cents could overflow SQLite's
# 64-bit integers: a value past these is a slipped digit or a wrong column.
MAX_PRICE_CENTS = 10_000_000_000  # $100,000,000
MAX_STOCK = 1_000_000_000

# Digits (ASCII only), optionally grouped in thousands by commas, a decimal point,
# an exponent: '249.99', '1,249', '1,249.50', '2.5E+01'.
_PRICE = re.compile(
    r"[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)?(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?", re.ASCII
)
# '1.000' and '12.500': '.' as a thousands separator (1000, 12500) or 1.00 and 12.50?
_DOT_THOUSANDS = re.compile(r"[+-]?[1-9][0-9]{0,2}\.[0-9]{3}", re.ASCII)
_WHOLE = re.compile(r"[+-]?[0-9]+", re.ASCII)


def _shown(text: str) -> str:
    """The value as a message quotes it: repr (control characters visible), long ones cut."""
    if len(text) > 40:
        return repr(f"{text[:24]}...") + f" ({len(text):,} characters)"
    return repr(text)


def parse_price(text: str, *, plain: bool = False) -> int:
    """'249.99', '$1,249', '250.0' -> cents. Raises ValueError with the reason.

    Never guesses: a value that could be read two ways ('1.000,50', '12,50',
    '1.000') or that holds a fraction of a cent ('0.001') is refused rather than
    rounded or reinterpreted, since a wrong price on the shelf screen is worse
    than a rejected feed. `plain` says the text is a number whose '.' can only be
    a decimal point (a JSON number), so '19.999' is a fraction of a cent, not 19999.
    """
    cleaned = text.strip().removeprefix("$").strip()
    shown = _shown(text.strip())
    if not cleaned:
        raise ValueError("price is empty")
    european = "," in cleaned and "." in cleaned and cleaned.rfind(",") > cleaned.rfind(".")
    if european and not plain:
        raise ValueError(
            f"price {shown} uses ',' as the decimal mark; write it with a decimal point "
            "and no thousands separator (e.g. 1000.50)"
        )
    if _DOT_THOUSANDS.fullmatch(cleaned) and not plain:
        raise ValueError(
            f"price {shown} is ambiguous: is '.' a decimal point or a thousands separator? "
            "write cents with two digits (e.g. 1.00) or the whole number (e.g. 1000)"
        )
    if not _PRICE.fullmatch(cleaned) or not any(c.isdigit() for c in cleaned):
        if re.fullmatch(r"[+-]?[0-9.,]+", cleaned, re.ASCII) and "," in cleaned:
            raise ValueError(
                f"price {shown} has a comma that is not a thousands separator (a decimal "
                "comma?); write it with a decimal point (e.g. 12.50)"
            )
        raise ValueError(f"price {shown} is not a number")
    try:
        value = Decimal(cleaned.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern admits only what Decimal reads
        raise ValueError(f"price {shown} is not a number") from None
    if value < 0:
        raise ValueError(f"price {shown} is negative")
    if value > Decimal(MAX_PRICE_CENTS).scaleb(-2):  # compared, not multiplied: 1e999999
        raise ValueError(
            f"price {shown} is more than {format_price(MAX_PRICE_CENTS)}; "
            "is a digit or a separator wrong?"
        )
    cents = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if cents != value:
        raise ValueError(f"price {shown} has a fraction of a cent; prices are in whole cents")
    return int(cents * 100)


def parse_count(text: str, what: str = "stock", *, negative_ok: bool = False) -> int:
    """'12' -> 12: a whole number of items, 0 to MAX_STOCK. Raises ValueError with the reason.

    `negative_ok` reads a negative count (an oversold Shopify variant) as 0.
    """
    digits = text.strip()
    shown = _shown(digits)
    if not _WHOLE.fullmatch(digits):
        raise ValueError(f"{what} {shown} is not a whole number")
    if len(digits.lstrip("+-").lstrip("0")) > len(str(MAX_STOCK)) or abs(int(digits)) > MAX_STOCK:
        raise ValueError(f"{what} {shown} is more than {MAX_STOCK:,}; is a digit wrong?")
    number = int(digits)
    if number < 0:
        if negative_ok:
            return 0
        raise ValueError(f"{what} {shown} is negative")
    return number


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
class VariantRecord:
    """A variant as an importer hands it in; None: the feed doesn't say.

    On a re-import a field the feed doesn't give keeps the catalog's value (a new
    variant gets '' / the product's price / 0). `price_cents` is the variant's own
    price; the writer stores it as "same as the product" when it is.
    """

    sku: str
    size: str | None = None
    color: str | None = None
    price_cents: int | None = None
    stock: int | None = None


@dataclass(frozen=True)
class ProductRecord:
    """A product as an importer or editor hands it in.

    A field of None (an empty `attributes`, no `variants`) means "the feed doesn't
    say": an import merges, so a feed with only id, name and price changes only
    the name and price of a product the catalog already has, and a supplier feed
    without stock never wipes the counts staff entered. Given attributes and
    variants (by SKU) are merged into the stored ones. `CatalogWriter.upsert_product`
    with `replace=True` instead makes the record the whole product: what it
    leaves out is emptied (stock, aisle and shelf still stay when it has none).
    `translations` ({"zh": {"name": ...}}) replace the stored text of each (language,
    field) they give; the rest stay, even with `replace` (a store often imports its
    translations from a file of their own, see importers/translated.py).
    """

    id: str
    name: str
    price_cents: int
    brand: str | None = None
    category: str | None = None
    description: str | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)
    stock: int | None = None
    aisle: str | None = None
    shelf: str | None = None
    variants: tuple[VariantRecord, ...] = ()
    # Searchable text beyond the description (features, specs) for the index.
    extra_text: str | None = None
    # The product's price is "from" its cheapest variant (one feed row per variant):
    # the writer takes the minimum over the merged variants, and a stored variant the
    # feed doesn't mention keeps its own price.
    price_from_variants: bool = False
    # Other languages' words: {"zh": {"name": ..., "category": ...}}; only what is given.
    translations: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


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
    # Other languages' words for this product: {"zh": {"name": ..., "category": ...}}.
    translations: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def said(self, what: str, lang: str) -> str:
        """A field ('name', 'brand', 'category', 'description') in a language, or the
        catalog's own (English) words where the store gave none in that language."""
        text = self.translations.get(lang, {}).get(what, "") if lang != "en" else ""
        return text or str(getattr(self, what))

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
    lang: str = "en"


@dataclass
class TranslatedWords:
    """A catalog's words in another language: product name -> product id, brand and
    category -> the catalog's own (English) brand and category."""

    names: dict[str, str] = field(default_factory=dict)
    brands: dict[str, str] = field(default_factory=dict)
    categories: dict[str, str] = field(default_factory=dict)


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

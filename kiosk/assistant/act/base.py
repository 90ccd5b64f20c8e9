"""What every intent family's handler shares: the interface, the outcome, the helpers.

A handler turns an `Understanding` and the session into an `Outcome`: the template
reply (text built only from catalog facts) and the fact sheet the model's phrasing
will be checked against. The template text is always true on its own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Protocol

from kiosk.assistant.checker import FactSheet
from kiosk.assistant.meaning import Meaning
from kiosk.assistant.quote import Held, quotable
from kiosk.assistant.reply import Card, Intent, Reply, Source, SourceKind
from kiosk.assistant.session import Session
from kiosk.assistant.understand import Understanding, kind_of
from kiosk.catalog.lexicon import Lexicon
from kiosk.catalog.records import Product, format_price
from kiosk.catalog.repository import Catalog

WHAT_I_DO = (
    "I can find products and tell you their price, whether they're in stock and which aisle "
    "they're in, answer questions about them, explain store policies like returns, or call a "
    "member of staff."
)
EXAMPLES = 'For example: "tents under $300", "where are the sleeping bags?" or "talk to a person".'


@dataclass
class Outcome:
    reply: Reply
    facts: FactSheet = field(default_factory=FactSheet)


@dataclass(frozen=True)
class ActContext:
    """What a handler works with: one catalog snapshot's data and the store's settings."""

    catalog: Catalog
    lexicon: Lexicon
    limit: int  # products shown at most
    kiosk_id: str  # this kiosk's name on staff calls
    store_name: str
    # Search by meaning, asked for only by handlers that search (the model loads then);
    # None from it: words alone.
    meaning: Callable[[], Meaning | None] = lambda: None


class Handler(Protocol):
    """One intent family: the intents it answers, and how."""

    intents: ClassVar[frozenset[Intent]]

    def act(self, u: Understanding, s: Session) -> Outcome: ...


def stock_phrase(p: Product, size: str | None = None, color: str | None = None) -> str:
    """'in stock' / 'out of stock', or per variant when a size or colour was asked."""
    if (size or color) and p.variants:
        matching = [
            v
            for v in p.variants
            if (not size or v.size.lower() == size.lower())
            and (not color or v.color.lower() == color.lower())
        ]
        label = " ".join(x for x in (color, f"size {size}" if size else None) if x)
        if not matching:
            return f"not made in {label}"
        return (
            f"{label} in stock" if any(v.stock > 0 for v in matching) else f"{label} out of stock"
        )
    return "in stock" if p.in_stock else "out of stock"


def where(p: Product) -> str:
    return f"aisle {p.aisle}" + (f", shelf {p.shelf}" if p.shelf else "") if p.aisle else ""


def fact_sheet(products: list[Product], texts: list[str]) -> FactSheet:
    """The facts a reply about these products may state: their rows and the texts given."""
    sheet = FactSheet()
    for p in products:
        sheet.product_ids.add(p.id)
        sheet.names[p.id] = p.name
        sheet.prices[p.id] = {p.price_cents} | {
            v.price_cents for v in p.variants if v.price_cents is not None
        }
        sheet.stock[p.id] = p.stock
        sheet.aisles[p.id] = p.aisle
        sheet.shelves[p.id] = p.shelf
        # The row as words: how many are in stock is not something a reply says.
        sheet.add(
            f"{p.name} {p.brand} {p.category} {format_price(p.price_cents)} "
            f"aisle {p.aisle} shelf {p.shelf} {'in stock' if p.in_stock else 'out of stock'}"
        )
        sheet.in_stock_any |= p.in_stock
        sheet.out_of_stock_any |= not p.in_stock
    for t in texts:
        sheet.add(t)
    return sheet


def product_line(p: Product, u: Understanding | None = None) -> str:
    """'the SkyView 2-Person Tent, $200, in stock, aisle 1, shelf C'."""
    stock = stock_phrase(p, u.size if u else None, u.color if u else None)
    loc = where(p)
    return f"the {p.name}, {format_price(p.price_cents)}, {stock}" + (f", {loc}" if loc else "")


def cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def cards(products: list[Product], facts: dict[str, str] | None = None) -> list[Card]:
    return [Card.of(p, (facts or {}).get(p.id, key_fact(p))) for p in products]


def fit_cards(
    reply_cards: list[Card], products: list[Product], size: str | None, features: Sequence[str]
) -> None:
    """Cards say what was asked: the stock of the asked size (2 left in size 10, not 8
    over every size), and the fact about the asked feature."""
    by_id = {p.id: p for p in products}
    for i, card in enumerate(reply_cards):
        p = by_id.get(card.id)
        if p is None:
            continue
        if size:
            sized = [v for v in p.variants if v.size and v.size.lower() == size.lower()]
            if sized:
                card = dataclasses.replace(
                    card, stock=sum(v.stock for v in sized), variant=f"size {sized[0].size}"
                )
        if features:
            fact = key_fact(p, features)
            if fact and fact != card.fact:
                card = dataclasses.replace(card, fact=fact)
        reply_cards[i] = card


def product_source(p: Product) -> Source:
    return Source(SourceKind.PRODUCT, p.id, p.name)


def about(intent: Intent, text: str, products: list[Product]) -> Outcome:
    """A reply about some products: their cards, each as a source, and the fact sheet."""
    sources = [product_source(p) for p in products]
    return Outcome(Reply(intent, text, cards(products), sources), fact_sheet(products, [text]))


def key_fact(p: Product, features: Sequence[str] = ()) -> str:
    """One fact for a product card, from its specs (that pass the quote check): the
    one about what the shopper asked for ("waterproof": the rainfly's rating), else
    the product's defining one (capacity, temperature rating, weight)."""
    a = p.attributes
    for feature in features:
        stem = feature.lower().rstrip("s")[:6]
        for key, value in a.items():
            text = f"{key} {value}".lower()
            value_ok = str(value).strip() and quotable(str(value), "specs", Held.of(p))
            if stem and stem in text and value_ok:
                return f"{key.replace('_', ' ')}: {value}"
    for key in ("capacity", "temperature_rating", "rainfly_waterproof_rating", "weight"):
        if key in a and str(a[key]).strip() and quotable(str(a[key]), "specs", Held.of(p)):
            return f"{key.replace('_', ' ')}: {a[key]}"
    return ""


def targets(ctx: ActContext, u: Understanding, s: Session) -> list[Product]:
    """Which products a request is about: named, bought, pointed at, or on screen."""
    catalog = ctx.catalog
    if u.products:
        return catalog.products([m.product_id for m in u.products])
    if u.purchased and s.customer_id:
        customer = catalog.customer(s.customer_id)
        if customer:
            bought = catalog.products(list(dict.fromkeys(o.product_id for o in customer.orders)))
            if u.category:
                bought = [p for p in bought if p.category == u.category]
            if u.kind:
                bought = [p for p in bought if kind_of(p.name, u.kind)] or bought
            return bought[-1:] if bought else []
    if u.ordinal is not None and s.shown:
        i = u.ordinal if u.ordinal >= 0 else len(s.shown) + u.ordinal
        return catalog.products(s.shown[i : i + 1]) if 0 <= i < len(s.shown) else []
    if u.reference and (s.focus or s.shown):
        chosen = catalog.products(s.focus or s.shown)
        if u.category:
            chosen = [p for p in chosen if p.category == u.category] or chosen
        return chosen
    if u.category and s.shown and u.kind:
        shown = [p for p in catalog.products(s.shown) if kind_of(p.name, u.kind)]
        if len(shown) == 1:
            return shown
    return []

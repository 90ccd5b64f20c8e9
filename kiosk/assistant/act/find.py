"""find_product: search the catalog with every constraint, relax one at a time if needed.

Refinements ("cheaper ones?", "in size 10?") re-run the last search with one thing
changed; what was shown is kept in the session so "the second one" works next.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import replace
from typing import ClassVar

from kiosk.assistant.act.base import (
    ActContext,
    Outcome,
    about,
    cap,
    fact_sheet,
    product_line,
)
from kiosk.assistant.reply import Intent, Reply
from kiosk.assistant.session import Session
from kiosk.assistant.understand import FEATURE_WORDS, Understanding, kind_of
from kiosk.catalog.records import Product, format_price
from kiosk.catalog.search import SearchFilters
from kiosk.text.words import singular, words


class FindHandler:
    """find_product."""

    intents: ClassVar[frozenset[Intent]] = frozenset({Intent.FIND_PRODUCT})

    def __init__(self, ctx: ActContext) -> None:
        self.ctx = ctx

    def act(self, u: Understanding, s: Session) -> Outcome:
        return find(self.ctx, u, s)


def find(ctx: ActContext, u: Understanding, s: Session) -> Outcome:
    """Search with the request's constraints (a refinement re-runs the last search)."""
    refine = bool(
        (
            u.refinement
            or u.reference
            or u.size
            or u.color
            or u.capacity
            or u.max_price_cents
            or u.min_price_cents
            or u.sort
        )
        and not (u.category or u.brand or u.products or u.query)
        and (s.query or s.category or s.brand)
    )
    if refine:
        u = _merge(ctx, u, s)
    named = ctx.catalog.products([m.product_id for m in u.products])
    results, relaxed = search_relaxed(ctx, u)
    if named and not (u.max_price_cents or u.size or u.color or u.capacity):
        results = named + [p for p in results if p.id not in {n.id for n in named}]
    s.query, s.category, s.kind, s.brand = u.query, u.category, u.kind, u.brand
    s.min_price_cents, s.max_price_cents = u.min_price_cents, u.max_price_cents
    s.size, s.color, s.capacity, s.features = u.size, u.color, u.capacity, list(u.features)
    want = describe_request(u)
    if not results:
        sheet = fact_sheet([], [want])
        sheet.nothing_found = True
        # Echo what was asked when it names a kind of product; not a whole sentence.
        echo = bool(u.category or u.kind or u.brand) or len(words(u.query)) <= 3
        thing = want if echo else "that"
        text = (
            f"Sorry, we don't have {thing} in our catalog. "
            "I can call a member of staff if you'd like help."
        )
        return Outcome(Reply(Intent.FIND_PRODUCT, text), sheet)
    shown = results[: ctx.limit]
    s.shown = [p.id for p in shown]
    s.focus = [shown[0].id] if len(shown) == 1 else []
    lines = [product_line(p, u) for p in shown[:3]]
    if relaxed and u.refinement == "cheaper":
        head, shown, lines = _cheapest_said(ctx, u, shown)
        s.shown, s.focus = [p.id for p in shown], [shown[0].id]
    elif relaxed:
        head = f"We don't have {want}. The closest {'is' if len(shown) == 1 else 'are'}: "
    elif len(shown) == 1:
        head = "I found one: "
    else:
        head = f"I found {len(shown)}{' (showing the first 3)' if len(shown) > 3 else ''}: "
    text = head + "; ".join(lines) + "."
    if relaxed and u.refinement != "cheaper":
        text += " I can call a member of staff if you'd like more help."
    outcome = about(Intent.FIND_PRODUCT, cap(text), shown)
    outcome.facts.add(want)
    return outcome


def _cheapest_said(
    ctx: ActContext, u: Understanding, shown: list[Product]
) -> tuple[str, list[Product], list[str]]:
    """ "cheaper ones?" when nothing asked for is cheaper: say it is the cheapest (or the
    only) one that fits, and name the cheapest of its kind without the other asks ("a
    tent for 4": the only 4-person tent is $250; the cheapest tent is $200)."""
    first = min(shown, key=lambda p: p.price_cents)
    unpriced = replace(u, min_price_cents=None, max_price_cents=None, sort=None)
    fitting = _search_once(ctx, unpriced)
    want = describe_request(unpriced)
    loose = replace(unpriced, capacity=None, size=None, color=None, features=[])
    cheaper = [p for p in _search_once(ctx, loose) if p.price_cents < first.price_cents]
    if not cheaper or loose == unpriced:
        return "That's the least expensive we have: ", [first], [product_line(first, u)]
    alt = min(cheaper, key=lambda p: p.price_cents)
    want, kind = _one(want), _one(describe_request(loose))
    lead = f"That's our only {want}: " if len(fitting) <= 1 else f"That's our cheapest {want}: "
    said = f"{product_line(first, u)}. The cheapest {kind} we have is {product_line(alt, loose)}"
    return lead, [first, alt], [said]


def _one(phrase: str) -> str:
    """'tents for 4 people' -> 'tent for 4 people': one product is meant."""
    head, _, rest = phrase.partition(" ")
    return f"{singular(head)} {rest}".strip()


def _merge(ctx: ActContext, u: Understanding, s: Session) -> Understanding:
    """A refinement re-runs the last search with what changed."""
    merged = replace(
        u,
        query=s.query,
        category=s.category,
        kind=s.kind,
        brand=s.brand,
        min_price_cents=u.min_price_cents if u.min_price_cents is not None else s.min_price_cents,
        max_price_cents=u.max_price_cents if u.max_price_cents is not None else s.max_price_cents,
        size=u.size or s.size,
        color=u.color or s.color,
        capacity=u.capacity or s.capacity,
        features=u.features or s.features,
    )
    shown = ctx.catalog.products(s.shown)
    if u.refinement == "cheaper" and shown:
        # Cheaper than the middle of what was shown: "cheaper ones?" after three
        # tents means cheaper than most of them, not than the cheapest.
        merged.max_price_cents = statistics.median_low(p.price_cents for p in shown) - 1
        merged.min_price_cents = None
        merged.sort = "price_asc"
    elif u.refinement == "pricier" and shown:
        merged.min_price_cents = max(p.price_cents for p in shown) + 1
        merged.max_price_cents = None
        merged.sort = "price_desc"
    return merged


def search_relaxed(ctx: ActContext, u: Understanding) -> tuple[list[Product], bool]:
    """Search with every constraint; if nothing fits, relax one at a time."""
    attempts = [u]
    if u.features:
        attempts.append(replace(u, features=[]))
    if u.min_price_cents is not None or u.max_price_cents is not None:
        attempts.append(
            replace(attempts[-1], min_price_cents=None, max_price_cents=None, sort=None)
        )
    if u.size or u.color:
        attempts.append(replace(attempts[-1], size=None, color=None))
    if u.capacity:
        attempts.append(replace(attempts[-1], capacity=None))
    for i, attempt in enumerate(attempts):
        found = _search_once(ctx, attempt)
        if found:
            return found, i > 0
    return [], False


def _search_once(ctx: ActContext, u: Understanding) -> list[Product]:
    query = u.query
    if u.category and not query:
        query = u.category
    filters = SearchFilters(
        min_price_cents=u.min_price_cents,
        max_price_cents=u.max_price_cents,
        brand=u.brand if not u.products else None,
        category=u.category,
        color=u.color,
        size=u.size,
        in_stock=u.in_stock,
        sort=u.sort or "relevance",
    )
    hits = ctx.catalog.search(query, filters, limit=max(20, ctx.limit * 4))
    if not hits and u.category and query != u.category:
        # The words were only decoration ("some nice tents"): the category decides.
        hits = ctx.catalog.search("", filters, limit=max(20, ctx.limit * 4))
    products = ctx.catalog.products([h.product_id for h in hits])
    if not (u.category or u.brand or u.products or u.kind):
        products = _named_by(products, query, hits[0].corrections if hits else {})
    if u.kind:
        products = [p for p in products if kind_of(p.name, u.kind)] or (
            products if not u.category else []
        )
    if u.capacity:
        products = [p for p in products if _fits_capacity(p, u.capacity)]
    for feature in u.features:
        products = [p for p in products if _has_feature(p, feature)]
    return products


def describe_request(u: Understanding) -> str:
    """What the shopper asked for, in words, from the slots ("size 10 hiking boots")."""
    thing = (u.kind and (u.kind + "s")) or (u.category or "").lower() or u.query or "that"
    if u.query and u.kind and len(words(u.query)) <= 4:
        thing = u.query
    if u.products and not u.query:
        thing = u.products[0].name
    parts = []
    if u.features:
        parts.append(" ".join(f for f in u.features if f not in thing))
    if u.color:
        parts.append(u.color)
    parts.append(thing)
    if u.capacity:
        parts.append(f"for {u.capacity} people")
    if u.size:
        parts.append(f"in size {u.size}")
    if u.min_price_cents is not None and u.max_price_cents is not None:
        parts.append(
            f"between {format_price(u.min_price_cents)} and {format_price(u.max_price_cents)}"
        )
    elif u.max_price_cents is not None:
        parts.append(f"under {format_price(u.max_price_cents + (1 if u.refinement else 0))}")
    elif u.min_price_cents is not None:
        parts.append(f"over {format_price(u.min_price_cents)}")
    return " ".join(p for p in parts if p).strip()


# -- product_location ---------------------------------------------------------


def _named_by(products: list[Product], query: str, corrections: dict[str, str]) -> list[Product]:
    """Without a category, brand or product name, a match must name what was asked.

    Otherwise a request of unknown words ("ask not what your country can do")
    finds any product whose description shares one word with it.
    """
    asked = {singular(corrections.get(w, w)) for w in words(query)} - {
        singular(f) for f in FEATURE_WORDS
    }
    if not asked:
        return products
    return [
        p
        for p in products
        if asked & {singular(w) for w in words(f"{p.name} {p.brand} {p.category}")}
    ]


def _fits_capacity(p: Product, people: int) -> bool:
    cap = str(p.attributes.get("capacity", ""))
    m = re.search(r"(\d+)[\s-]*person", cap + " " + p.name, re.I)
    return m is not None and int(m.group(1)) == people


def _has_feature(p: Product, feature: str) -> bool:
    """A feature counts when a spec says yes or the product's text says it; a 'No' spec wins."""
    key = feature.replace("-", "_")
    value = str(p.attributes.get(key, "")).strip().lower()
    if value.startswith("no"):
        return False
    if value:
        return True
    text = f"{p.name} {p.description}".lower()
    return singular(feature) in {singular(w) for w in words(text)}

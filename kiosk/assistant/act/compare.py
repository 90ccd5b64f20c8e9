"""compare: two or three products side by side, from their rows and specs."""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from kiosk.assistant.act.base import (
    ActContext,
    Outcome,
    cards,
    fact_sheet,
    product_source,
    stock_phrase,
    where,
)
from kiosk.assistant.act.find import search_relaxed
from kiosk.assistant.quote import Held, quotable
from kiosk.assistant.reply import Intent, Reply, Source, SourceKind
from kiosk.assistant.session import Session
from kiosk.assistant.understand import Understanding
from kiosk.catalog.records import format_price

COMPARE_KEYS = (
    "capacity",
    "weight",
    "material",
    "waterproof",
    "temperature_rating",
    "season_rating",
    "rainfly_waterproof_rating",
    "dimensions",
    "color",
)


class CompareHandler:
    """compare: the named products, else what is on screen, else the category's first."""

    intents: ClassVar[frozenset[Intent]] = frozenset({Intent.COMPARE})

    def __init__(self, ctx: ActContext) -> None:
        self.ctx = ctx

    def act(self, u: Understanding, s: Session) -> Outcome:
        catalog = self.ctx.catalog
        products = catalog.products(
            [m.product_id for m in sorted(u.products, key=lambda m: m.position)]
        )
        if len(products) < 2:
            pool = catalog.products(s.shown)
            if u.category:
                pool = [p for p in pool if p.category == u.category] or pool
            products += [p for p in pool if p.id not in {q.id for q in products}]
        if len(products) < 2 and u.category:
            found, _ = search_relaxed(self.ctx, replace(u, query=""))
            products += [p for p in found if p.id not in {q.id for q in products}]
        products = products[:3]
        if len(products) < 2:
            text = "Which two products would you like to compare? Tell me their names."
            return Outcome(Reply(Intent.COMPARE, text, cards(products)))
        s.shown = [p.id for p in products]
        s.focus = []
        # Spec values are catalog text: one that fails the quote check is not shown.
        held = {p.id: Held.for_product(catalog, p) for p in products}
        specs = {
            p.id: {
                k: str(v)
                for k, v in p.attributes.items()
                if k in COMPARE_KEYS and quotable(str(v), "specs", held[p.id])
            }
            for p in products
        }
        keys = [k for k in COMPARE_KEYS if sum(1 for p in products if k in specs[p.id]) >= 2]
        table = [
            ["", *[p.name for p in products]],
            ["price", *[format_price(p.price_cents) for p in products]],
            ["stock", *[stock_phrase(p) for p in products]],
            ["where", *[where(p) or "-" for p in products]],
        ]
        table += [
            [k.replace("_", " "), *[specs[p.id].get(k, "-") for p in products]] for k in keys[:4]
        ]
        parts = []
        for p in products:
            said = ", ".join(
                f"{k.replace('_', ' ')} {specs[p.id][k]}" for k in keys[:3] if k in specs[p.id]
            )
            parts.append(
                f"The {p.name} is {format_price(p.price_cents)}, {stock_phrase(p)}"
                + (f", {said}" if said else "")
                + "."
            )
        cheaper = min(products, key=lambda p: p.price_cents)
        if len({p.price_cents for p in products}) > 1:
            parts.append(f"The {cheaper.name} is the cheaper one.")
        text = " ".join(parts)
        reply = Reply(
            Intent.COMPARE,
            text,
            cards(products),
            [product_source(p) for p in products]
            + [Source(SourceKind.SPECS, p.id, f"{p.name} specs") for p in products],
        )
        reply.table = table
        return Outcome(reply, fact_sheet(products, [text]))

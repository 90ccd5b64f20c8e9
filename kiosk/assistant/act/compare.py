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
from kiosk.assistant.facts import spec_label
from kiosk.assistant.phrases import Phrases
from kiosk.assistant.quote import Held, quotable
from kiosk.assistant.reply import Intent, Reply, Source, SourceKind
from kiosk.assistant.session import Session
from kiosk.assistant.understand import Understanding
from kiosk.catalog.records import format_price
from kiosk.text.language import EN, ZH

SAY_COMPARE = Phrases(
    "act.compare",
    {
        "which": {
            EN: "Which two products would you like to compare? Tell me their names.",
            ZH: "您想比较哪两件商品？请告诉我它们的名称。",
        },
        "is": {EN: "The {name} is {price}, {stock}.", ZH: "{name}：{price}，{stock}。"},
        "is_with": {
            EN: "The {name} is {price}, {stock}, {specs}.",
            ZH: "{name}：{price}，{stock}，{specs}。",
        },
        "spec": {EN: "{label} {value}", ZH: "{label} {value}"},
        "specs_and": {EN: ", ", ZH: "，"},
        "cheaper": {EN: "The {name} is the cheaper one.", ZH: "{name} 更便宜。"},
    },
)

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
        catalog, lang = self.ctx.catalog, u.lang
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
            text = SAY_COMPARE(lang, "which")
            return Outcome(Reply(Intent.COMPARE, text, cards(products, lang=lang), lang=lang))
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
            ["", *[p.said("name", lang) for p in products]],
            [spec_label("price", lang), *[format_price(p.price_cents) for p in products]],
            [spec_label("stock", lang), *[stock_phrase(p, lang=lang) for p in products]],
            [spec_label("where", lang), *[where(p, lang) or "-" for p in products]],
        ]
        table += [
            [spec_label(k, lang), *[specs[p.id].get(k, "-") for p in products]] for k in keys[:4]
        ]
        parts = []
        for p in products:
            said = SAY_COMPARE(lang, "specs_and").join(
                SAY_COMPARE(lang, "spec", label=spec_label(k, lang), value=specs[p.id][k])
                for k in keys[:3]
                if k in specs[p.id]
            )
            name, price = p.said("name", lang), format_price(p.price_cents)
            stock = stock_phrase(p, lang=lang)
            parts.append(
                SAY_COMPARE(lang, "is_with", name=name, price=price, stock=stock, specs=said)
                if said
                else SAY_COMPARE(lang, "is", name=name, price=price, stock=stock)
            )
        cheaper = min(products, key=lambda p: p.price_cents)
        if len({p.price_cents for p in products}) > 1:
            parts.append(SAY_COMPARE(lang, "cheaper", name=cheaper.said("name", lang)))
        text = (" " if lang == EN else "").join(parts)
        reply = Reply(
            Intent.COMPARE,
            text,
            cards(products, lang=lang),
            [product_source(p) for p in products]
            + [Source(SourceKind.SPECS, p.id, f"{p.name} specs") for p in products],
        )
        reply.table = table
        reply.lang = lang
        return Outcome(reply, fact_sheet(products, [text]))

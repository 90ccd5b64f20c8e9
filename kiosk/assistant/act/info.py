"""product_info and product_location: facts about one product, or where it is.

Facts come from the product row, its specs and its manual's passages, each with
its source; a question the data can't answer says so and offers staff.
"""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from kiosk.assistant.act.base import (
    ActContext,
    Outcome,
    about,
    cards,
    fact_sheet,
    product_source,
    stock_phrase,
    targets,
    where,
)
from kiosk.assistant.act.find import find, search_relaxed
from kiosk.assistant.facts import (
    Fact,
    description_fact,
    product_facts,
    review_summary,
    warranty_fact,
)
from kiosk.assistant.reply import Intent, Reply
from kiosk.assistant.session import Session
from kiosk.assistant.understand import Understanding
from kiosk.catalog.records import Product, format_price


class LocateHandler:
    """product_location: the aisle and shelf of a product, or of a whole category."""

    intents: ClassVar[frozenset[Intent]] = frozenset({Intent.PRODUCT_LOCATION})

    def __init__(self, ctx: ActContext) -> None:
        self.ctx = ctx

    def act(self, u: Understanding, s: Session) -> Outcome:
        limit = self.ctx.limit
        products = targets(self.ctx, u, s)
        if not products and (u.category or u.query or u.brand):
            products, _ = search_relaxed(
                self.ctx, replace(u, min_price_cents=None, max_price_cents=None)
            )
            if u.category and not u.products:
                aisles = sorted({p.aisle for p in products if p.aisle})
                if aisles and len(products) > 1:
                    text = (
                        f"{u.category} are in aisle {' and '.join(aisles)}: "
                        + "; ".join(
                            f"the {p.name} on shelf {p.shelf}" if p.shelf else f"the {p.name}"
                            for p in products[:4]
                        )
                        + "."
                    )
                    s.shown = [p.id for p in products[:limit]]
                    s.focus = []
                    return about(Intent.PRODUCT_LOCATION, text, products[:limit])
            products = products[:1]
        if not products:
            text = (
                "Which product are you looking for? Tell me its name or what it is, "
                "and I'll tell you where to find it."
            )
            return Outcome(Reply(Intent.PRODUCT_LOCATION, text))
        s.focus = [p.id for p in products]
        if not set(s.focus) <= set(s.shown):
            s.shown = list(s.focus)
        lines = []
        for p in products[:3]:
            if p.aisle:
                lines.append(f"The {p.name} is in {where(p)} ({stock_phrase(p, u.size, u.color)}).")
            else:
                lines.append(
                    f"The {p.name} has no aisle in our system yet; a member of staff can show you."
                )
        return about(Intent.PRODUCT_LOCATION, " ".join(lines), products)


class InfoHandler:
    """product_info: the spec, manual passage, warranty, reviews, price or stock asked."""

    intents: ClassVar[frozenset[Intent]] = frozenset({Intent.PRODUCT_INFO})

    def __init__(self, ctx: ActContext) -> None:
        self.ctx = ctx

    def act(self, u: Understanding, s: Session) -> Outcome:
        products = targets(self.ctx, u, s)
        if not products:
            if u.purchased and not s.customer_id:
                text = (
                    "If you enter your loyalty number, I can look up what you bought. "
                    "Or tell me the product's name."
                )
                return Outcome(Reply(Intent.PRODUCT_INFO, text))
            found = find(self.ctx, u, s)
            found.reply.intent = Intent.PRODUCT_INFO
            return found
        p = products[0]
        s.focus = [p.id]
        if p.id not in s.shown:
            s.shown = [p.id]
        facts = self._facts(u, p)
        if not facts:
            # Nothing quotable answers it: the structured facts, and staff for the rest.
            row = (
                f"{format_price(p.price_cents)}, {stock_phrase(p)}"
                + (f", {where(p)}" if p.aisle else "")
                + "."
            )
            text = (
                f"The {p.name} is {row} A member of staff can tell you more about it."
                if u.overview
                else f"I don't have that detail for the {p.name}. It is {row} "
                "A member of staff can tell you more."
            )
            reply = Reply(Intent.PRODUCT_INFO, text, cards([p]), [product_source(p)])
            return Outcome(reply, fact_sheet([p], [text]))
        text = " ".join(f.text for f in facts)
        if p.name.lower() not in text.lower():
            text = f"About the {p.name}: {text}"
        sources = [product_source(p)] + [f.source for f in facts]
        reply = Reply(Intent.PRODUCT_INFO, text, cards([p]), sources)
        return Outcome(reply, fact_sheet([p], [text]))

    def _facts(self, u: Understanding, p: Product) -> list[Fact]:
        """The facts that answer the question, by the topic understanding found."""
        catalog = self.ctx.catalog
        facts: list[Fact] = []
        if u.info_topic == "warranty":
            wf = warranty_fact(catalog, p)
            facts = [wf] if wf else []
        elif u.info_topic == "reviews":
            rf = review_summary(catalog, p)
            facts = [rf] if rf else []
        elif u.info_topic == "price":
            facts = [
                Fact(f"The {p.name} is {format_price(p.price_cents)}.", product_source(p), 5.0)
            ]
        elif u.info_topic == "stock":
            facts = [
                Fact(
                    f"The {p.name} is {stock_phrase(p, u.size, u.color)}"
                    + (f", {where(p)}." if p.aisle else "."),
                    product_source(p),
                    5.0,
                )
            ]
        if not facts:
            facts = product_facts(catalog, p, u.words)
        if not facts and u.overview:
            described = description_fact(catalog, p)
            facts = [described] if described else []
        return facts

"""product_info and product_location: facts about one product, or where it is.

Facts come from the product row, its specs and its manual's passages, each with
its source; a question the data can't answer says so and offers staff.
"""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from kiosk.assistant.act.base import (
    SAY,
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
from kiosk.assistant.phrases import Phrases
from kiosk.assistant.reply import Intent, Reply
from kiosk.assistant.session import Session
from kiosk.assistant.understand import Understanding
from kiosk.catalog.records import Product, format_price
from kiosk.text.language import EN, ZH

SAY_INFO = Phrases(
    "act.info",
    {
        "category_in": {
            EN: "{category} are in aisle {aisles}: {items}.",
            ZH: "{category}在 {aisles} 号通道：{items}。",
        },
        "aisles_and": {EN: " and ", ZH: "、"},
        "on_shelf": {EN: "the {name} on shelf {shelf}", ZH: "{name} 在 {shelf} 层"},
        "the": {EN: "the {name}", ZH: "{name}"},
        "which_one": {
            EN: "Which product do you mean? Tell me its name, or ask me to find something first.",
            ZH: "您指的是哪件商品？请告诉我商品名称，或者先让我帮您找一找。",
        },
        "which": {
            EN: "Which product are you looking for? Tell me its name or what it is, "
            "and I'll tell you where to find it.",
            ZH: "请问您要找哪件商品？告诉我商品名称或是什么东西，我来告诉您在哪里。",
        },
        "is_in": {EN: "The {name} is in {where} ({stock}).", ZH: "{name} 在 {where}（{stock}）。"},
        "no_aisle": {
            EN: "The {name} has no aisle in our system yet; a member of staff can show you.",
            ZH: "{name} 在系统里还没有登记通道；店员可以带您去找。",
        },
        "loyalty_first": {
            EN: "If you enter your loyalty number, I can look up what you bought. "
            "Or tell me the product's name.",
            ZH: "输入您的会员卡号，我就能查到您买过的商品。您也可以直接告诉我商品名称。",
        },
        "row": {EN: "{price}, {stock}.", ZH: "{price}，{stock}。"},
        "row_where": {EN: "{price}, {stock}, {where}.", ZH: "{price}，{stock}，{where}。"},
        "overview": {
            EN: "The {name} is {row} A member of staff can tell you more about it.",
            ZH: "{name}：{row}店员可以为您详细介绍。",
        },
        "no_detail": {
            EN: "I don't have that detail for the {name}. It is {row} "
            "A member of staff can tell you more.",
            ZH: "关于 {name}，我这里没有这项信息。它的情况：{row}更多详情请问店员。",
        },
        "about": {EN: "About the {name}: {text}", ZH: "关于 {name}：{text}"},
        "price": {EN: "The {name} is {price}.", ZH: "{name} 的价格是 {price}。"},
        "stock": {EN: "The {name} is {stock}.", ZH: "{name} 目前{stock}。"},
        "stock_where": {
            EN: "The {name} is {stock}, {where}.",
            ZH: "{name} 目前{stock}，在 {where}。",
        },
    },
)


class LocateHandler:
    """product_location: the aisle and shelf of a product, or of a whole category."""

    intents: ClassVar[frozenset[Intent]] = frozenset({Intent.PRODUCT_LOCATION})

    def __init__(self, ctx: ActContext) -> None:
        self.ctx = ctx

    def act(self, u: Understanding, s: Session) -> Outcome:
        limit, lang = self.ctx.limit, u.lang
        products = targets(self.ctx, u, s)
        if not products and (u.category or u.query or u.brand):
            products, _ = search_relaxed(
                self.ctx, replace(u, min_price_cents=None, max_price_cents=None)
            )
            if u.category and not u.products:
                aisles = sorted({p.aisle for p in products if p.aisle})
                if aisles and len(products) > 1:
                    category = u.category
                    if lang != EN:
                        same = [p for p in products if p.category == u.category]
                        category = same[0].said("category", lang) if same else category
                    items = SAY(lang, "list").join(
                        SAY_INFO(lang, "on_shelf", name=p.said("name", lang), shelf=p.shelf)
                        if p.shelf
                        else SAY_INFO(lang, "the", name=p.said("name", lang))
                        for p in products[:4]
                    )
                    text = SAY_INFO(
                        lang,
                        "category_in",
                        category=category,
                        aisles=SAY_INFO(lang, "aisles_and").join(aisles),
                        items=items,
                    )
                    s.shown = [p.id for p in products[:limit]]
                    s.focus = []
                    return about(Intent.PRODUCT_LOCATION, text, products[:limit], lang)
            products = products[:1]
        if not products:
            text = SAY_INFO(lang, "which")
            return Outcome(Reply(Intent.PRODUCT_LOCATION, text, lang=lang))
        s.focus = [p.id for p in products]
        if not set(s.focus) <= set(s.shown):
            s.shown = list(s.focus)
        lines = []
        for p in products[:3]:
            name = p.said("name", lang)
            if p.aisle:
                stock = stock_phrase(p, u.size, u.color, lang)
                lines.append(SAY_INFO(lang, "is_in", name=name, where=where(p, lang), stock=stock))
            else:
                lines.append(SAY_INFO(lang, "no_aisle", name=name))
        joiner = " " if lang == EN else ""
        return about(Intent.PRODUCT_LOCATION, joiner.join(lines), products, lang)


class InfoHandler:
    """product_info: the spec, manual passage, warranty, reviews, price or stock asked."""

    intents: ClassVar[frozenset[Intent]] = frozenset({Intent.PRODUCT_INFO})

    def __init__(self, ctx: ActContext) -> None:
        self.ctx = ctx

    def act(self, u: Understanding, s: Session) -> Outcome:
        lang = u.lang
        products = targets(self.ctx, u, s)
        if not products:
            if u.purchased and not s.customer_id:
                text = SAY_INFO(lang, "loyalty_first")
                return Outcome(Reply(Intent.PRODUCT_INFO, text, lang=lang))
            if (u.reference or u.ordinal is not None) and not (
                u.category or u.brand or u.kind or u.query
            ):
                # "how much is that one?" with nothing on screen: ask, don't search "how".
                text = SAY_INFO(lang, "which_one")
                return Outcome(Reply(Intent.PRODUCT_INFO, text, lang=lang))
            found = find(self.ctx, u, s)
            found.reply.intent = Intent.PRODUCT_INFO
            return found
        p = products[0]
        s.focus = [p.id]
        if p.id not in s.shown:
            s.shown = [p.id]
        facts = self._facts(u, p)
        name = p.said("name", lang)
        if not facts:
            # Nothing quotable answers it: the structured facts, and staff for the rest.
            price, stock = format_price(p.price_cents), stock_phrase(p, lang=lang)
            row = (
                SAY_INFO(lang, "row_where", price=price, stock=stock, where=where(p, lang))
                if p.aisle
                else SAY_INFO(lang, "row", price=price, stock=stock)
            )
            text = SAY_INFO(lang, "overview" if u.overview else "no_detail", name=name, row=row)
            reply = Reply(
                Intent.PRODUCT_INFO, text, cards([p], lang=lang), [product_source(p)], lang=lang
            )
            return Outcome(reply, fact_sheet([p], [text]))
        text = (" " if lang == EN else "").join(f.said(lang) for f in facts)
        if name.lower() not in text.lower():
            text = SAY_INFO(lang, "about", name=name, text=text)
        sources = [product_source(p)] + [f.source for f in facts]
        reply = Reply(Intent.PRODUCT_INFO, text, cards([p], lang=lang), sources, lang=lang)
        return Outcome(reply, fact_sheet([p], [text]))

    def _facts(self, u: Understanding, p: Product) -> list[Fact]:
        """The facts that answer the question, by the topic understanding found."""
        catalog, lang = self.ctx.catalog, u.lang
        name = p.said("name", lang)
        facts: list[Fact] = []
        if u.info_topic == "warranty":
            wf = warranty_fact(catalog, p)
            facts = [wf] if wf else []
        elif u.info_topic == "reviews":
            rf = review_summary(catalog, p, lang)
            facts = [rf] if rf else []
        elif u.info_topic == "price":
            price = format_price(p.price_cents)
            said = SAY_INFO(lang, "price", name=name, price=price)
            facts = [Fact(said, product_source(p), 5.0, lang)]
        elif u.info_topic == "stock":
            stock = stock_phrase(p, u.size, u.color, lang)
            said = (
                SAY_INFO(lang, "stock_where", name=name, stock=stock, where=where(p, lang))
                if p.aisle
                else SAY_INFO(lang, "stock", name=name, stock=stock)
            )
            facts = [Fact(said, product_source(p), 5.0, lang)]
        if not facts:
            facts = product_facts(catalog, p, u.words, lang=lang)
        if not facts and u.overview:
            described = description_fact(catalog, p, lang)
            facts = [described] if described else []
        return facts

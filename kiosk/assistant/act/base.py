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
from kiosk.assistant.facts import spec_label
from kiosk.assistant.meaning import Meaning
from kiosk.assistant.phrases import Phrases
from kiosk.assistant.quote import Held, quotable
from kiosk.assistant.reply import Card, Intent, Reply, Source, SourceKind
from kiosk.assistant.session import Session
from kiosk.assistant.understand import Understanding, kind_of
from kiosk.catalog.lexicon import Lexicon
from kiosk.catalog.records import Product, format_price
from kiosk.catalog.repository import Catalog
from kiosk.text.language import EN, ZH

SAY = Phrases(
    "act.base",
    {
        "what_i_do": {
            EN: "I can find products and tell you their price, whether they're in stock and "
            "which aisle they're in, answer questions about them, explain store policies like "
            "returns, or call a member of staff.",
            ZH: "我可以帮您找商品，告诉您价格、库存情况和所在通道，解答商品方面的问题，"
            "介绍退货等门店政策，或为您呼叫店员。",
        },
        "examples": {
            EN: 'For example: "tents under $300", "where are the sleeping bags?" or '
            '"talk to a person".',
            ZH: "例如：“$300 以下的帐篷”、“睡袋在哪里？”或“我想找店员”。",
        },
        "in_stock": {EN: "in stock", ZH: "有货"},
        "out_of_stock": {EN: "out of stock", ZH: "缺货"},
        "variant_in_stock": {EN: "{label} in stock", ZH: "{label}有货"},
        "variant_out_of_stock": {EN: "{label} out of stock", ZH: "{label}缺货"},
        "not_made_in": {EN: "not made in {label}", ZH: "没有{label}的款式"},
        "size": {EN: "size {size}", ZH: "{size} 码"},
        "color_size": {EN: "{color} {size}", ZH: "{color} {size}"},
        "aisle": {EN: "aisle {aisle}", ZH: "{aisle} 号通道"},
        "aisle_shelf": {EN: "aisle {aisle}, shelf {shelf}", ZH: "{aisle} 号通道 {shelf} 层"},
        "line": {EN: "the {name}, {price}, {stock}", ZH: "{name}，{price}，{stock}"},
        "line_where": {
            EN: "the {name}, {price}, {stock}, {where}",
            ZH: "{name}，{price}，{stock}，{where}",
        },
        "spec": {EN: "{label}: {value}", ZH: "{label}：{value}"},
        # Joining a reply's parts: lines of a list, and the end of a sentence.
        "list": {EN: "; ", ZH: "；"},
        "stop": {EN: ".", ZH: "。"},
    },
)
# Colours as a Chinese reply says them; a colour not here is said as the catalog has it.
COLORS_ZH = {
    "black": "黑色",
    "white": "白色",
    "grey": "灰色",
    "gray": "灰色",
    "brown": "棕色",
    "blue": "蓝色",
    "navy": "藏青色",
    "green": "绿色",
    "olive": "橄榄绿",
    "red": "红色",
    "orange": "橙色",
    "yellow": "黄色",
    "khaki": "卡其色",
    "beige": "米色",
    "purple": "紫色",
    "pink": "粉色",
    "silver": "银色",
}
WHAT_I_DO = SAY(EN, "what_i_do")
EXAMPLES = SAY(EN, "examples")


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


def stock_phrase(
    p: Product, size: str | None = None, color: str | None = None, lang: str = EN
) -> str:
    """'in stock' / 'out of stock', or per variant when a size or colour was asked."""
    if (size or color) and p.variants:
        matching = [
            v
            for v in p.variants
            if (not size or v.size.lower() == size.lower())
            and (not color or v.color.lower() == color.lower())
        ]
        label = variant_label(color, size, lang)
        if not matching:
            return SAY(lang, "not_made_in", label=label)
        in_stock = any(v.stock > 0 for v in matching)
        return SAY(lang, "variant_in_stock" if in_stock else "variant_out_of_stock", label=label)
    return SAY(lang, "in_stock" if p.in_stock else "out_of_stock")


def variant_label(color: str | None, size: str | None, lang: str = EN) -> str:
    """'Black size 10' ('黑色 10 码'): the variant a shopper asked for."""
    said_size = SAY(lang, "size", size=size) if size else ""
    said_color = color or ""
    if color and lang == ZH:
        said_color = COLORS_ZH.get(color.lower(), color)
    if said_color and said_size:
        return SAY(lang, "color_size", color=said_color, size=said_size)
    return said_color or said_size


def where(p: Product, lang: str = EN) -> str:
    if not p.aisle:
        return ""
    if p.shelf:
        return SAY(lang, "aisle_shelf", aisle=p.aisle, shelf=p.shelf)
    return SAY(lang, "aisle", aisle=p.aisle)


def fact_sheet(products: list[Product], texts: list[str]) -> FactSheet:
    """The facts a reply about these products may state: their rows and the texts given.

    A product's words in the store's other languages (its Chinese name and category)
    are facts too, so a reply in that language may name it as the store does."""
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
        for _lang, said in sorted(p.translations.items()):
            name, category = said.get("name", ""), said.get("category", "")
            if name and name != p.name:
                sheet.said_names.setdefault(p.id, []).append(name)
            if name or category:
                sheet.add(" ".join(x for x in (name, category) if x))
        sheet.in_stock_any |= p.in_stock
        sheet.out_of_stock_any |= not p.in_stock
    for t in texts:
        sheet.add(t)
    return sheet


def product_line(p: Product, u: Understanding | None = None, lang: str | None = None) -> str:
    """'the SkyView 2-Person Tent, $200, in stock, aisle 1, shelf C' (in the language of
    the request: 'SkyView 双人帐篷，$200，有货，1 号通道 C 层')."""
    lang = lang or (u.lang if u else EN)
    stock = stock_phrase(p, u.size if u else None, u.color if u else None, lang)
    loc = where(p, lang)
    name, price = p.said("name", lang), format_price(p.price_cents)
    if loc:
        return SAY(lang, "line_where", name=name, price=price, stock=stock, where=loc)
    return SAY(lang, "line", name=name, price=price, stock=stock)


def cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def cards(
    products: list[Product], facts: dict[str, str] | None = None, lang: str = EN
) -> list[Card]:
    """Product cards, their names, categories and key facts in the reply's language."""
    out = []
    for p in products:
        card = Card.of(p, (facts or {}).get(p.id, key_fact(p, lang=lang)))
        if lang != EN:
            card = dataclasses.replace(
                card, name=p.said("name", lang), category=p.said("category", lang)
            )
        out.append(card)
    return out


def fit_cards(
    reply_cards: list[Card],
    products: list[Product],
    size: str | None,
    features: Sequence[str],
    lang: str = EN,
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
                    card,
                    stock=sum(v.stock for v in sized),
                    variant=SAY(lang, "size", size=sized[0].size),
                )
        if features:
            fact = key_fact(p, features, lang)
            if fact and fact != card.fact:
                card = dataclasses.replace(card, fact=fact)
        reply_cards[i] = card


def product_source(p: Product) -> Source:
    return Source(SourceKind.PRODUCT, p.id, p.name)


def about(intent: Intent, text: str, products: list[Product], lang: str = EN) -> Outcome:
    """A reply about some products: their cards, each as a source, and the fact sheet."""
    sources = [product_source(p) for p in products]
    reply = Reply(intent, text, cards(products, lang=lang), sources, lang=lang)
    return Outcome(reply, fact_sheet(products, [text]))


def key_fact(p: Product, features: Sequence[str] = (), lang: str = EN) -> str:
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
                return SAY(lang, "spec", label=spec_label(key, lang), value=value)
    for key in ("capacity", "temperature_rating", "rainfly_waterproof_rating", "weight"):
        if key in a and str(a[key]).strip() and quotable(str(a[key]), "specs", Held.of(p)):
            return SAY(lang, "spec", label=spec_label(key, lang), value=a[key])
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

"""recommend: accessories for what a loyalty shopper owns, or for the product on screen.

Both come from the store's own data (`kiosk.catalog.complements`): what other
customers bought together, and the reviews' ratings. A loyalty customer's orders are
read only after they gave their number in this visit, and forgotten with the visit.
"""

from __future__ import annotations

from typing import ClassVar

from kiosk.assistant.act.base import SAY, ActContext, Outcome, about, product_line
from kiosk.assistant.facts import tier_name
from kiosk.assistant.phrases import Phrases
from kiosk.assistant.reply import Intent, Reply
from kiosk.assistant.session import Session
from kiosk.assistant.understand import Understanding
from kiosk.catalog.complements import accessories_for, accessories_for_categories
from kiosk.text.language import EN, ZH

SAY_SUGGEST = Phrases(
    "act.suggest",
    {
        "nothing": {
            EN: "Tell me what it's for, or ask about a product first, and I'll suggest what "
            "goes with it.",
            ZH: "告诉我您要用来做什么，或先问我一件商品，我就能推荐和它搭配的商品。",
        },
        "also_get": {
            EN: "Customers who buy {category} here often also get",
            ZH: "在本店买{category}的顾客常常也会买",
        },
        "bought_before": {
            EN: "These go well with what you've bought here before",
            ZH: "这些商品和您以前在本店买过的很搭配",
        },
        "intro": {EN: "{intro}: {lines}.", ZH: "{intro}：{lines}。"},
        "membership": {
            EN: "Thank you: your {tier} membership applies for this visit.",
            ZH: "谢谢：本次购物将使用您的{tier}会员资格。",
        },
        "membership_any": {
            EN: "Thank you: your membership applies for this visit.",
            ZH: "谢谢：本次购物将使用您的会员资格。",
        },
    },
)
NOTHING_TO_SUGGEST = SAY_SUGGEST(EN, "nothing")


class SuggestHandler:
    """recommend."""

    intents: ClassVar[frozenset[Intent]] = frozenset({Intent.RECOMMEND})

    def __init__(self, ctx: ActContext) -> None:
        self.ctx = ctx

    def act(self, u: Understanding, s: Session) -> Outcome:
        named = self.ctx.catalog.products([m.product_id for m in u.products[:1]])
        if named:  # "what goes with the TrailMaster?": that product is the focus now
            s.focus = [named[0].id]
        category = named[0].category if named else u.category
        outcome = suggest(
            self.ctx, s, category=category if u.products or u.category else None, lang=u.lang
        )
        if outcome is not None:
            s.shown = [c.id for c in outcome.reply.products]
            return outcome
        if u.loyalty_only:
            return Outcome(membership_reply(s, u.lang))
        return Outcome(Reply(Intent.RECOMMEND, SAY_SUGGEST(u.lang, "nothing"), lang=u.lang))


def suggest(
    ctx: ActContext, session: Session, category: str | None = None, lang: str = EN
) -> Outcome | None:
    """Accessories for a named category, else the loyalty customer's orders, else for the
    product in focus."""
    catalog = ctx.catalog
    if category:
        found = accessories_for_categories(catalog, [category], limit=ctx.limit)
        said = _category(ctx, category, lang)
        intro = SAY_SUGGEST(lang, "also_get", category=said)
    elif session.customer_id:
        found = accessories_for(catalog, session.customer_id, limit=ctx.limit)
        intro = SAY_SUGGEST(lang, "bought_before")
    else:
        focus = catalog.products(session.focus[:1] or session.shown[:1])
        if not focus or not focus[0].category:
            return None
        found = accessories_for_categories(catalog, [focus[0].category], limit=ctx.limit)
        said = focus[0].category.lower() if lang == EN else focus[0].said("category", lang)
        intro = SAY_SUGGEST(lang, "also_get", category=said)
    products = catalog.products([s.product_id for s in found])
    if not products:
        return None
    lines = SAY(lang, "list").join(product_line(p, lang=lang) for p in products)
    text = SAY_SUGGEST(lang, "intro", intro=intro, lines=lines)
    return about(Intent.RECOMMEND, text, products, lang)


def _category(ctx: ActContext, category: str, lang: str) -> str:
    """A category as a reply in `lang` names it ('tents', '帐篷')."""
    if lang == EN:
        return category.lower()
    said = {en: other for other, en in ctx.catalog.translated_words(lang).categories.items()}
    return said.get(category, category)


def membership_reply(session: Session, lang: str = EN) -> Reply:
    """The answer to a loyalty number alone, when there is nothing to suggest."""
    if session.membership:
        tier = tier_name(session.membership, lang)
        return Reply(Intent.RECOMMEND, SAY_SUGGEST(lang, "membership", tier=tier), lang=lang)
    return Reply(Intent.RECOMMEND, SAY_SUGGEST(lang, "membership_any"), lang=lang)

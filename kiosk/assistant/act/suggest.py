"""recommend: accessories for what a loyalty shopper owns, or for the product on screen.

Both come from the store's own data (`kiosk.catalog.complements`): what other
customers bought together, and the reviews' ratings. A loyalty customer's orders are
read only after they gave their number in this visit, and forgotten with the visit.
"""

from __future__ import annotations

from typing import ClassVar

from kiosk.assistant.act.base import ActContext, Outcome, about, product_line
from kiosk.assistant.reply import Intent, Reply
from kiosk.assistant.session import Session
from kiosk.assistant.understand import Understanding
from kiosk.catalog.complements import accessories_for, accessories_for_categories

NOTHING_TO_SUGGEST = (
    "Tell me what it's for, or ask about a product first, and I'll suggest what goes with it."
)


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
        outcome = suggest(self.ctx, s, category=category if u.products or u.category else None)
        if outcome is not None:
            s.shown = [c.id for c in outcome.reply.products]
            return outcome
        if u.loyalty_only:
            return Outcome(membership_reply(s))
        return Outcome(Reply(Intent.RECOMMEND, NOTHING_TO_SUGGEST))


def suggest(ctx: ActContext, session: Session, category: str | None = None) -> Outcome | None:
    """Accessories for a named category, else the loyalty customer's orders, else for the
    product in focus."""
    catalog = ctx.catalog
    if category:
        found = accessories_for_categories(catalog, [category], limit=ctx.limit)
        intro = f"Customers who buy {category.lower()} here often also get"
    elif session.customer_id:
        found = accessories_for(catalog, session.customer_id, limit=ctx.limit)
        intro = "These go well with what you've bought here before"
    else:
        focus = catalog.products(session.focus[:1] or session.shown[:1])
        if not focus or not focus[0].category:
            return None
        found = accessories_for_categories(catalog, [focus[0].category], limit=ctx.limit)
        intro = f"Customers who buy {focus[0].category.lower()} here often also get"
    products = catalog.products([s.product_id for s in found])
    if not products:
        return None
    text = f"{intro}: " + "; ".join(product_line(p) for p in products) + "."
    return about(Intent.RECOMMEND, text, products)


def membership_reply(session: Session) -> Reply:
    """The answer to a loyalty number alone, when there is nothing to suggest."""
    tier = f"your {session.membership} membership" if session.membership else "your membership"
    return Reply(Intent.RECOMMEND, f"Thank you: {tier} applies for this visit.")

"""Suggestions: accessories for what a loyalty shopper owns, or for the product on screen.

Both come from the store's own data: what other customers bought together (the
orders table) and the reviews' ratings. A loyalty customer's orders are read only
after they gave their number in this visit, and forgotten with the visit.
"""

from __future__ import annotations

import re

from kiosk.assistant.act import Outcome, _about, _product_line
from kiosk.assistant.reply import Intent, Reply
from kiosk.assistant.session import Session
from kiosk.catalog.repository import Catalog
from kiosk.words import GRAMMAR_WORDS

_ASKS = re.compile(
    r"\b(what else|anything else|accessor(?:y|ies)|go(?:es)? (?:well )?with|recommend\w*|"
    r"suggest\w*|add[- ]ons?|what do i need)\b",
    re.IGNORECASE,
)
_FILLER = GRAMMAR_WORDS | {"hi", "hello", "hey", "here", "thanks", "thank", "please", "ok"}


def asks_for_suggestions(text: str) -> bool:
    """'What else do I need?', 'any accessories?', 'what goes with it?'."""
    return bool(_ASKS.search(text))


def only_filler(text: str) -> bool:
    """Nothing asked besides what was already understood ('hi, my number is 7')."""
    return all(w in _FILLER for w in re.findall(r"[a-z']+", text.lower()))


def suggest(catalog: Catalog, session: Session, *, limit: int = 3) -> Outcome | None:
    """Accessories for the loyalty customer's orders, else for the product in focus."""
    from kiosk.insights.recommend import accessories_for, accessories_for_categories

    if session.customer_id:
        found = accessories_for(catalog, session.customer_id, limit=limit)
        intro = "These go well with what you've bought here before"
    else:
        focus = catalog.products(session.focus[:1] or session.shown[:1])
        if not focus or not focus[0].category:
            return None
        found = accessories_for_categories(catalog, [focus[0].category], limit=limit)
        intro = f"Customers who buy {focus[0].category.lower()} here often also get"
    products = catalog.products([s.product_id for s in found])
    if not products:
        return None
    text = f"{intro}: " + "; ".join(_product_line(p) for p in products) + "."
    return _about(Intent.RECOMMEND, text, products)


def membership_reply(session: Session) -> Reply:
    """The answer to a loyalty number alone, when there is nothing to suggest."""
    tier = f"your {session.membership} membership" if session.membership else "your membership"
    return Reply(Intent.RECOMMEND, f"Thank you: {tier} applies for this visit.")

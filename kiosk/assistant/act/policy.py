"""store_policy: returns (by product and membership tier), warranties, hours, payment.

The answer is the store's own text: a store document, or the product manual's
policy section. Without one, the kiosk says it doesn't know and offers staff; it
never makes a policy up, and never offers a discount or price match.
"""

from __future__ import annotations

import re
from typing import ClassVar

from kiosk.assistant.act.base import ActContext, Outcome, cards, fact_sheet, targets
from kiosk.assistant.facts import Fact, return_policy, store_policy, warranty_fact
from kiosk.assistant.reply import Intent, Reply
from kiosk.assistant.session import Session
from kiosk.assistant.understand import Understanding


class PolicyHandler:
    """store_policy."""

    intents: ClassVar[frozenset[Intent]] = frozenset({Intent.STORE_POLICY})

    def __init__(self, ctx: ActContext) -> None:
        self.ctx = ctx

    def act(self, u: Understanding, s: Session) -> Outcome:
        catalog = self.ctx.catalog
        tier = u.membership or s.membership
        if u.membership:
            s.membership = u.membership
        products = targets(self.ctx, u, s) if (u.products or u.purchased or u.reference) else []
        facts: list[Fact] = []
        topic = u.policy_topic
        if topic == "return_policy":
            facts = return_policy(catalog, products[0] if products else None, tier)
        elif topic == "warranty" and products:
            wf = warranty_fact(catalog, products[0])
            facts = [wf] if wf else []
        elif topic == "warranty":
            text = (
                "Warranties depend on the product. Tell me which product, and I'll tell "
                "you its warranty."
            )
            return Outcome(Reply(Intent.STORE_POLICY, text))
        else:
            facts = store_policy(catalog, u.words)
            if (
                topic == "price_match"
                and facts
                and not re.search(r"price\s*match|discount|coupon", facts[0].text, re.I)
            ):
                facts = []
        if not facts:
            if topic == "price_match":
                text = (
                    "Our prices are the ones shown in the catalog; I can't offer discounts "
                    "or price matches. A member of staff can answer questions about offers."
                )
            else:
                text = (
                    "I don't have that information here. I can call a member of staff who can help."
                )
            return Outcome(Reply(Intent.STORE_POLICY, text))
        lead = ""
        if topic == "return_policy" and products:
            lead = (
                f"For the {products[0].name}"
                + (f" and {tier if tier != 'None' else 'no'} membership" if tier else "")
                + ": "
            )
        elif topic == "return_policy" and tier:
            lead = "Without a membership: " if tier == "None" else f"For {tier} members: "
        text = lead + " ".join(f.text for f in facts)
        if topic == "return_policy" and not tier and not products:
            text += " Tell me your membership tier or the product for the exact terms."
        reply = Reply(Intent.STORE_POLICY, text, cards(products[:1]), [f.source for f in facts])
        return Outcome(reply, fact_sheet(products[:1], [text]))

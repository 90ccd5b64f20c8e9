"""store_policy: returns (by product and membership tier), warranties, hours, payment.

The answer is the store's own text: a store document, or the product manual's
policy section. Without one, the kiosk says it doesn't know and offers staff; it
never makes a policy up, and never offers a discount or price match.
"""

from __future__ import annotations

import re
from typing import ClassVar

from kiosk.assistant.act.base import ActContext, Outcome, cards, fact_sheet, targets
from kiosk.assistant.facts import (
    Fact,
    manual_return_policies,
    return_policy,
    return_window,
    store_policy,
    warranty_fact,
)
from kiosk.assistant.reply import Intent, Reply
from kiosk.assistant.session import Session
from kiosk.assistant.understand import Understanding
from kiosk.catalog.records import Product


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
        if topic == "return_policy" and not products and u.category:
            # "the return policy for tents": the tents' own manuals, where the store has
            # no policy of its own, or a window to check against ("after 40 days").
            in_category = [p for p in catalog.products(catalog.ids_in_category(u.category))]
            if u.days is not None or not catalog.documents(None, ["return_policy"]):
                from_manuals = self._from_manuals(u, in_category, tier)
                if from_manuals is not None:
                    return from_manuals
        if topic == "return_policy":
            facts = return_policy(catalog, products[0] if products else None, tier)
            if not facts and not products:
                with_manuals = catalog.products(catalog.ids_with_documents(["return_policy"]))
                from_manuals = self._from_manuals(u, with_manuals, tier)
                if from_manuals is not None:
                    return from_manuals
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
        if topic == "return_policy" and u.days is not None and tier:
            text = _in_window(u.days, facts[0].text, tier, products[0].name if products else "")
            text += " " + " ".join(f.text for f in facts)
        if topic == "return_policy" and not tier and not products:
            text += " Tell me your membership tier or the product for the exact terms."
        reply = Reply(Intent.STORE_POLICY, text, cards(products[:1]), [f.source for f in facts])
        return Outcome(reply, fact_sheet(products[:1], [text]))

    def _from_manuals(
        self, u: Understanding, products: list[Product], tier: str | None
    ) -> Outcome | None:
        """The return terms the products' manuals state, and whether they agree."""
        found = manual_return_policies(self.ctx.catalog, products, tier)
        if not found:
            return None
        texts = {_generic(f.text, p) for p, f in found}
        label = u.category.lower() if u.category else "our products"
        if len(texts) == 1:
            p, fact = found[0]
            text = f"For {label}, the manuals say: {fact.text}"
            if u.days is not None and tier:
                text = _in_window(u.days, fact.text, tier, label) + " " + text
            if not tier:
                text += " Tell me your membership tier for the exact terms."
            sources = [f.source for _, f in found]
            reply = Reply(Intent.STORE_POLICY, text, cards([p]), sources)
            return Outcome(reply, fact_sheet([p], [f.text for _, f in found] + [text]))
        lines = []
        for p, fact in found[:4]:
            window = return_window(fact.text)
            lines.append(
                f"the {p.name}: {window} days"
                if window is not None
                else f"the {p.name}: {fact.text}"
            )
        text = f"It differs by product: {'; '.join(lines)}. Tell me which one for the exact terms."
        shown = [p for p, _ in found[:4]]
        reply = Reply(Intent.STORE_POLICY, text, cards(shown), [f.source for _, f in found[:4]])
        return Outcome(reply, fact_sheet(shown, [f.text for _, f in found] + [text]))


def _generic(text: str, p: Product) -> str:
    """A policy text with the product's own words taken out, to see if two agree."""
    out = text.lower()
    for word in {p.name.lower(), *p.name.lower().split(), p.category.lower()}:
        if len(word) > 2:
            out = out.replace(word, "")
    return " ".join(out.split())


def _in_window(days: int, policy: str, tier: str, thing: str) -> str:
    """'Yes: ...' or 'No: ...' for "can I return it after N days?", from the policy's own
    window; nothing said when the policy states no window."""
    window = return_window(policy)
    who = "Without a membership you have" if tier == "None" else f"{tier} members have"
    if window is None:
        return ""
    what = f" to return {thing}" if thing else ""
    verdict = "Yes" if days <= window else "No"
    return f"{verdict}: {who} {window} days{what}."

"""store_policy: returns (by product and membership tier), warranties, hours, payment.

The answer is the store's own text: a store document, or the product manual's
policy section. Without one, the kiosk says it doesn't know and offers staff; it
never makes a policy up, and never offers a discount or price match.
"""

from __future__ import annotations

import re
from typing import ClassVar

from kiosk.assistant.act.base import SAY, ActContext, Outcome, cards, fact_sheet, targets
from kiosk.assistant.facts import (
    Fact,
    manual_return_policies,
    return_policy,
    return_window,
    store_policy,
    tier_name,
    warranty_fact,
)
from kiosk.assistant.phrases import Phrases
from kiosk.assistant.reply import Intent, Reply
from kiosk.assistant.session import Session
from kiosk.assistant.understand import Understanding
from kiosk.catalog.records import Product
from kiosk.text.language import EN, ZH

SAY_POLICY = Phrases(
    "act.policy",
    {
        "warranty_which": {
            EN: "Warranties depend on the product. Tell me which product, and I'll tell "
            "you its warranty.",
            ZH: "保修条款因商品而异。告诉我是哪件商品，我来告诉您它的保修条款。",
        },
        "no_price_match": {
            EN: "Our prices are the ones shown in the catalog; I can't offer discounts "
            "or price matches. A member of staff can answer questions about offers.",
            ZH: "本店价格以目录标价为准；我无法提供折扣或比价。有关优惠的问题，店员可以为您解答。",
        },
        "dont_know": {
            EN: "I don't have that information here. I can call a member of staff who can help.",
            ZH: "我这里没有这方面的信息。我可以为您呼叫店员来帮忙。",
        },
        "for_product": {EN: "For the {name}: ", ZH: "关于 {name}："},
        "for_product_tier": {
            EN: "For the {name} and {tier} membership: ",
            ZH: "关于 {name}（{tier}会员）：",
        },
        "no_tier": {EN: "no", ZH: "非"},
        "for_no_membership": {EN: "Without a membership: ", ZH: "非会员："},
        "for_members": {EN: "For {tier} members: ", ZH: "{tier}会员："},
        "ask_tier_or_product": {
            EN: " Tell me your membership tier or the product for the exact terms.",
            ZH: "告诉我您的会员等级或商品，我可以告诉您具体条款。",
        },
        "ask_tier": {
            EN: " Tell me your membership tier for the exact terms.",
            ZH: "告诉我您的会员等级，我可以告诉您具体条款。",
        },
        "manuals_say": {
            EN: "For {label}, the manuals say: {text}",
            ZH: "关于{label}，说明书写道：{text}",
        },
        "our_products": {EN: "our products", ZH: "本店商品"},
        "product_days": {EN: "the {name}: {days} days", ZH: "{name}：{days} 天"},
        "product_text": {EN: "the {name}: {text}", ZH: "{name}：{text}"},
        "differs": {
            EN: "It differs by product: {lines}. Tell me which one for the exact terms.",
            ZH: "各商品不同：{lines}。告诉我是哪一件，我可以告诉您具体条款。",
        },
        "yes": {EN: "Yes", ZH: "可以"},
        "no": {EN: "No", ZH: "不可以"},
        "who_none": {EN: "Without a membership you have", ZH: "非会员的退货期为"},
        "who_tier": {EN: "{tier} members have", ZH: "{tier}会员的退货期为"},
        "to_return": {EN: " to return {thing}", ZH: "（{thing}）"},
        "window": {
            EN: "{verdict}: {who} {days} days{what}.",
            ZH: "{verdict}：{who} {days} 天{what}。",
        },
    },
)


class PolicyHandler:
    """store_policy."""

    intents: ClassVar[frozenset[Intent]] = frozenset({Intent.STORE_POLICY})

    def __init__(self, ctx: ActContext) -> None:
        self.ctx = ctx

    def act(self, u: Understanding, s: Session) -> Outcome:
        catalog, lang = self.ctx.catalog, u.lang
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
            facts = return_policy(catalog, products[0] if products else None, tier, lang)
            if not facts and not products:
                with_manuals = catalog.products(catalog.ids_with_documents(["return_policy"]))
                from_manuals = self._from_manuals(u, with_manuals, tier)
                if from_manuals is not None:
                    return from_manuals
        elif topic == "warranty" and products:
            wf = warranty_fact(catalog, products[0])
            facts = [wf] if wf else []
        elif topic == "warranty":
            text = SAY_POLICY(lang, "warranty_which")
            return Outcome(Reply(Intent.STORE_POLICY, text, lang=lang))
        else:
            facts = store_policy(catalog, u.words, lang)
            if (
                topic == "price_match"
                and facts
                and not re.search(
                    r"price\s*match|discount|coupon|比价|折扣|优惠", facts[0].text, re.I
                )
            ):
                facts = []
        if not facts:
            text = SAY_POLICY(lang, "no_price_match" if topic == "price_match" else "dont_know")
            return Outcome(Reply(Intent.STORE_POLICY, text, lang=lang))
        lead = ""
        if topic == "return_policy" and products:
            name = products[0].said("name", lang)
            if tier:
                said = SAY_POLICY(lang, "no_tier") if tier == "None" else tier_name(tier, lang)
                lead = SAY_POLICY(lang, "for_product_tier", name=name, tier=said)
            else:
                lead = SAY_POLICY(lang, "for_product", name=name)
        elif topic == "return_policy" and tier:
            lead = (
                SAY_POLICY(lang, "for_no_membership")
                if tier == "None"
                else SAY_POLICY(lang, "for_members", tier=tier_name(tier, lang))
            )
        quoted = (" " if lang == EN else "").join(f.said(lang) for f in facts)
        text = lead + quoted
        if topic == "return_policy" and u.days is not None and tier:
            # The window is read from the English text (what `return_window` reads).
            window_text = facts[0].text
            if facts[0].lang != EN:
                english = return_policy(catalog, products[0] if products else None, tier)
                window_text = english[0].text if english else ""
            thing = products[0].said("name", lang) if products else ""
            text = _in_window(u.days, window_text, tier, thing, lang)
            text += (" " if lang == EN else "") + quoted
        if topic == "return_policy" and not tier and not products:
            text += SAY_POLICY(lang, "ask_tier_or_product")
        reply = Reply(
            Intent.STORE_POLICY,
            text,
            cards(products[:1], lang=lang),
            [f.source for f in facts],
            lang=lang,
        )
        return Outcome(
            reply, fact_sheet(products[:1], [f.text for f in facts if f.lang != lang] + [text])
        )

    def _from_manuals(
        self, u: Understanding, products: list[Product], tier: str | None
    ) -> Outcome | None:
        """The return terms the products' manuals state, and whether they agree."""
        lang = u.lang
        found = manual_return_policies(self.ctx.catalog, products, tier)
        if not found:
            return None
        texts = {_generic(f.text, p) for p, f in found}
        if u.category:
            label = u.category.lower()
            if lang != EN:
                same = [p for p, _ in found if p.category == u.category]
                label = same[0].said("category", lang) if same else u.category
        else:
            label = SAY_POLICY(lang, "our_products")
        if len(texts) == 1:
            p, fact = found[0]
            text = SAY_POLICY(lang, "manuals_say", label=label, text=fact.said(lang))
            if u.days is not None and tier:
                text = _in_window(u.days, fact.text, tier, label, lang) + " " + text
            if not tier:
                text += SAY_POLICY(lang, "ask_tier")
            sources = [f.source for _, f in found]
            reply = Reply(Intent.STORE_POLICY, text, cards([p], lang=lang), sources, lang=lang)
            return Outcome(reply, fact_sheet([p], [f.text for _, f in found] + [text]))
        lines = []
        for p, fact in found[:4]:
            window = return_window(fact.text)
            name = p.said("name", lang)
            lines.append(
                SAY_POLICY(lang, "product_days", name=name, days=window)
                if window is not None
                else SAY_POLICY(lang, "product_text", name=name, text=fact.said(lang))
            )
        text = SAY_POLICY(lang, "differs", lines=SAY(lang, "list").join(lines))
        shown = [p for p, _ in found[:4]]
        reply = Reply(
            Intent.STORE_POLICY,
            text,
            cards(shown, lang=lang),
            [f.source for _, f in found[:4]],
            lang=lang,
        )
        return Outcome(reply, fact_sheet(shown, [f.text for _, f in found] + [text]))


def _generic(text: str, p: Product) -> str:
    """A policy text with the product's own words taken out, to see if two agree."""
    out = text.lower()
    for word in {p.name.lower(), *p.name.lower().split(), p.category.lower()}:
        if len(word) > 2:
            out = out.replace(word, "")
    return " ".join(out.split())


def _in_window(days: int, policy: str, tier: str, thing: str, lang: str = EN) -> str:
    """'Yes: ...' or 'No: ...' for "can I return it after N days?", from the policy's own
    window; nothing said when the policy states no window."""
    window = return_window(policy)
    who = (
        SAY_POLICY(lang, "who_none")
        if tier == "None"
        else SAY_POLICY(lang, "who_tier", tier=tier_name(tier, lang))
    )
    if window is None:
        return ""
    what = SAY_POLICY(lang, "to_return", thing=thing) if thing else ""
    verdict = SAY_POLICY(lang, "yes" if days <= window else "no")
    return SAY_POLICY(lang, "window", verdict=verdict, who=who, days=window, what=what)

"""The service intents: call staff, feedback, greetings and what the kiosk doesn't do.

Staff calls and feedback are written to the catalog database (redacted: no phone
numbers, emails, card or loyalty numbers) for the staff console.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from kiosk.assistant.act.base import (
    SAY,
    ActContext,
    Outcome,
    cards,
    fact_sheet,
    targets,
)
from kiosk.assistant.facts import Fact, return_policy, warranty_fact
from kiosk.assistant.phrases import Phrases
from kiosk.assistant.reply import Action, ActionKind, Intent, Reply
from kiosk.assistant.session import Session
from kiosk.assistant.understand import Greeting, Understanding, kind_of
from kiosk.catalog.records import Product
from kiosk.catalog.repository import StaffCall
from kiosk.errors import StorageError
from kiosk.text.language import EN, ZH
from kiosk.text.privacy import redact

SAY_SERVICE = Phrases(
    "act.service",
    {
        "cant_help": {
            EN: "Sorry, I can't help with that here. {what_i_do}",
            ZH: "抱歉，这件事我在这里帮不上忙。{what_i_do}",
        },
        "call_failed": {
            EN: "I can't send the call from this kiosk right now. Please ask at the "
            "service desk, or any member of staff you see.",
            ZH: "这台自助机暂时无法发出呼叫。请到服务台，或向您看到的任何一位店员求助。",
        },
        "call_acknowledged": {
            EN: "A member of staff is already on the way; I've told them you're still waiting.",
            ZH: "店员已经在路上了；我已告诉他们您还在等候。",
        },
        "call_reminded": {
            EN: "I've already called a member of staff and reminded them; someone will come "
            "to this kiosk shortly.",
            ZH: "我已经呼叫过店员，并再次提醒了他们；很快会有人来这台自助机。",
        },
        "called": {
            EN: "I've called a member of staff; someone will come to this kiosk shortly. "
            "You can keep asking me things while you wait.",
            ZH: "我已为您呼叫店员，很快会有人来这台自助机。等候期间您可以继续问我问题。",
        },
        "feedback_thanks": {
            EN: "Thank you for your feedback. I've passed it on to the store.",
            ZH: "感谢您的反馈，我已转告门店。",
        },
        "sorry": {EN: "I'm sorry about the trouble.", ZH: "很抱歉给您带来了麻烦。"},
        "sorry_about": {
            EN: "I'm sorry about the trouble with the {name}.",
            ZH: "很抱歉，{name} 给您带来了麻烦。",
        },
        "staff_follow_up": {
            EN: "I've asked a member of staff to come and help you with it here.",
            ZH: "我已请店员过来这里帮您处理。",
        },
        "welcome": {
            EN: "You're welcome! Is there anything else I can help you find?",
            ZH: "不客气！还有什么需要我帮您找的吗？",
        },
        "bye": {EN: "Goodbye, and enjoy your day!", ZH: "再见，祝您愉快！"},
        "hello_again": {
            EN: "Hello again! What can I help you find?",
            ZH: "您好！需要我帮您找什么？",
        },
        "hello": {
            EN: "Hello, welcome to {store}! {what_i_do} {examples}",
            ZH: "您好，欢迎光临{store}！{what_i_do}{examples}",
        },
    },
)


class ServiceHandler:
    """call_staff, feedback, greeting and out_of_scope."""

    intents: ClassVar[frozenset[Intent]] = frozenset(
        {Intent.CALL_STAFF, Intent.FEEDBACK, Intent.GREETING, Intent.OUT_OF_SCOPE}
    )

    def __init__(self, ctx: ActContext) -> None:
        self.ctx = ctx

    def act(self, u: Understanding, s: Session) -> Outcome:
        if u.intent == Intent.CALL_STAFF:
            return self.call_staff(u, s)
        if u.intent == Intent.FEEDBACK:
            return self.feedback(u, s)
        if u.intent == Intent.GREETING:
            return self.greeting(u, s)
        found = self._by_meaning(u, s)
        if found is not None:
            return found
        lang = u.lang
        text = SAY_SERVICE(lang, "cant_help", what_i_do=SAY(lang, "what_i_do"))
        return Outcome(Reply(Intent.OUT_OF_SCOPE, text, lang=lang), fact_sheet([], [text]))

    def _by_meaning(self, u: Understanding, s: Session) -> Outcome | None:
        """A request in no catalog word that the rules couldn't place ("rucksack"):
        if products fit it in meaning, it was a product request after all; answered
        by the find handler. Otherwise (a joke, the weather) the kiosk says what it does."""
        if u.injection or not u.query or self.ctx.meaning() is None:
            return None
        from kiosk.assistant.act.find import find

        outcome = find(self.ctx, dataclasses.replace(u, intent=Intent.FIND_PRODUCT), s)
        if outcome.reply.intent == Intent.FIND_PRODUCT and outcome.reply.products:
            return outcome
        return None

    def call_staff(self, u: Understanding, s: Session) -> Outcome:
        """One open call per visit: asking again refreshes it (and says so).

        The reason staff see is this request when it says what is wanted ("help me find
        a tent for four"), else the one before it (the button after "show me tents").
        """
        catalog, lang = self.ctx.catalog, u.lang
        wanted = [p.name for p in catalog.products(s.focus or s.shown[:3])]
        asked = u.note if (u.products or u.category or u.kind) else redact(s.last_request)
        note = "; ".join(x for x in (asked, ", ".join(wanted)) if x) or "help at the kiosk"
        try:
            open_call, call_id = self._place_call(s, note)
        except StorageError:  # a full or read-only disk: the shopper still gets help
            text = SAY_SERVICE(lang, "call_failed")
            return Outcome(Reply(Intent.CALL_STAFF, text, lang=lang), fact_sheet([], [text]))
        if open_call is not None and open_call.status == "acknowledged":
            text = SAY_SERVICE(lang, "call_acknowledged")
        elif open_call is not None and open_call.status == "open":
            text = SAY_SERVICE(lang, "call_reminded")
        else:
            text = SAY_SERVICE(lang, "called")
        action = Action(ActionKind.STAFF_CALL, str(call_id), note)
        reply = Reply(Intent.CALL_STAFF, text, actions=[action], lang=lang)
        return Outcome(reply, fact_sheet([], [text]))

    def _place_call(self, s: Session, note: str) -> tuple[StaffCall | None, int]:
        """This visit's call: the open one refreshed with the new reason, else a new one."""
        catalog = self.ctx.catalog
        open_call = catalog.staff_call(s.staff_call) if s.staff_call is not None else None
        with catalog.write() as w:
            if open_call is not None and open_call.status != "closed":
                w.refresh_staff_call(open_call.id, note, lang=s.lang)
                call_id = open_call.id
            else:
                call_id = w.add_staff_call(note, self.ctx.kiosk_id, lang=s.lang)
        s.staff_call = call_id
        return open_call, call_id

    def feedback(self, u: Understanding, s: Session) -> Outcome:
        product = targets(self.ctx, u, s)[:1] if (u.products or u.reference) else []
        if u.complaint and not product:
            product = self._owned(u, s)
        with self.ctx.catalog.write() as w:
            fid = w.add_feedback(u.note, product[0].id if product else None)
        action = Action(ActionKind.FEEDBACK_SAVED, str(fid))
        if u.complaint:
            return self.complaint(u, s, product[0] if product else None, action)
        text = SAY_SERVICE(u.lang, "feedback_thanks")
        return Outcome(Reply(Intent.FEEDBACK, text, actions=[action], lang=u.lang))

    def _owned(self, u: Understanding, s: Session) -> list[Product]:
        """The product a complaint is about: the one of that kind on screen or bought,
        or the store's only product of that kind."""
        catalog = self.ctx.catalog
        pool = catalog.products(s.focus or s.shown)
        if s.customer_id:
            customer = catalog.customer(s.customer_id)
            if customer:
                pool += catalog.products([o.product_id for o in customer.orders])
        if u.category:
            pool += catalog.products(catalog.ids_in_category(u.category))
        fitting = [
            p
            for p in pool
            if kind_of(p.name, u.kind) and (not u.category or p.category == u.category)
        ]
        unique = list({p.id: p for p in fitting}.values())
        return unique[:1] if len(unique) == 1 else []

    def complaint(
        self, u: Understanding, s: Session, product: Product | None, saved: Action
    ) -> Outcome:
        """Sorry; the product's warranty and return terms; a member of staff to follow up
        (in the queue, marked as a complaint)."""
        catalog, lang = self.ctx.catalog, u.lang
        facts: list[Fact] = []
        if product is not None:
            warranty = warranty_fact(catalog, product)
            facts += [warranty] if warranty else []
            facts += return_policy(catalog, product, s.membership, lang)[:1]
        note = f"complaint (follow up): {u.note}"[:300]
        if product is not None:
            note += f"; {product.name}"
        _open, call_id = self._place_call(s, note)
        parts = [
            SAY_SERVICE(lang, "sorry_about", name=product.said("name", lang))
            if product is not None
            else SAY_SERVICE(lang, "sorry")
        ]
        parts += [f.said(lang) for f in facts]
        parts.append(SAY_SERVICE(lang, "staff_follow_up"))
        text = (" " if lang == EN else "").join(parts)
        sources = [f.source for f in facts]
        products = [product] if product is not None else []
        reply = Reply(
            Intent.FEEDBACK,
            text,
            cards(products, lang=lang),
            sources,
            actions=[saved, Action(ActionKind.STAFF_CALL, str(call_id), note)],
            lang=lang,
        )
        return Outcome(reply, fact_sheet(products, [text]))

    def greeting(self, u: Understanding, s: Session) -> Outcome:
        lang = u.lang
        if u.greeting == Greeting.THANKS:
            text = SAY_SERVICE(lang, "welcome")
        elif u.greeting == Greeting.BYE:
            text = SAY_SERVICE(lang, "bye")
        elif s.turns and not u.start_over:  # greeted already: not the whole speech again
            text = SAY_SERVICE(lang, "hello_again")
        else:
            text = SAY_SERVICE(
                lang,
                "hello",
                store=self.ctx.store_name,
                what_i_do=SAY(lang, "what_i_do"),
                examples=SAY(lang, "examples"),
            )
        return Outcome(Reply(Intent.GREETING, text, lang=lang), fact_sheet([], [text]))

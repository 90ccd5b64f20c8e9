"""The service intents: call staff, feedback, greetings and what the kiosk doesn't do.

Staff calls and feedback are written to the catalog database (redacted: no phone
numbers, emails, card or loyalty numbers) for the staff console.
"""

from __future__ import annotations

from typing import ClassVar

from kiosk.assistant.act.base import EXAMPLES, WHAT_I_DO, ActContext, Outcome, fact_sheet, targets
from kiosk.assistant.reply import Action, ActionKind, Intent, Reply
from kiosk.assistant.session import Session
from kiosk.assistant.understand import Greeting, Understanding
from kiosk.text.privacy import redact


class ServiceHandler:
    """call_staff, feedback, greeting and out_of_scope."""

    intents: ClassVar[frozenset[Intent]] = frozenset(
        {Intent.CALL_STAFF, Intent.FEEDBACK, Intent.GREETING, Intent.OUT_OF_SCOPE}
    )

    def __init__(self, ctx: ActContext) -> None:
        self.ctx = ctx

    def act(self, u: Understanding, s: Session) -> Outcome:
        if u.intent == Intent.CALL_STAFF:
            return self.call_staff(s)
        if u.intent == Intent.FEEDBACK:
            return self.feedback(u, s)
        if u.intent == Intent.GREETING:
            return self.greeting(u)
        text = f"Sorry, I can't help with that here. {WHAT_I_DO}"
        return Outcome(Reply(Intent.OUT_OF_SCOPE, text), fact_sheet([], [text]))

    def call_staff(self, s: Session) -> Outcome:
        catalog = self.ctx.catalog
        wanted = [p.name for p in catalog.products(s.focus or s.shown[:3])]
        note = "; ".join(x for x in (redact(s.last_request), ", ".join(wanted)) if x)
        with catalog.write() as w:
            call_id = w.add_staff_call(note or "help at the kiosk", self.ctx.kiosk_id)
        text = (
            "I've called a member of staff; someone will come to this kiosk shortly. "
            "You can keep asking me things while you wait."
        )
        action = Action(ActionKind.STAFF_CALL, str(call_id), note)
        return Outcome(Reply(Intent.CALL_STAFF, text, actions=[action]), fact_sheet([], [text]))

    def feedback(self, u: Understanding, s: Session) -> Outcome:
        product = targets(self.ctx, u, s)[:1] if (u.products or u.reference) else []
        with self.ctx.catalog.write() as w:
            fid = w.add_feedback(u.note, product[0].id if product else None)
        text = "Thank you for your feedback. I've passed it on to the store."
        action = Action(ActionKind.FEEDBACK_SAVED, str(fid))
        return Outcome(Reply(Intent.FEEDBACK, text, actions=[action]))

    def greeting(self, u: Understanding) -> Outcome:
        if u.greeting == Greeting.THANKS:
            text = "You're welcome! Is there anything else I can help you find?"
        elif u.greeting == Greeting.BYE:
            text = "Goodbye, and enjoy your day!"
        else:
            text = f"Hello, welcome to {self.ctx.store_name}! {WHAT_I_DO} {EXAMPLES}"
        return Outcome(Reply(Intent.GREETING, text), fact_sheet([], [text]))

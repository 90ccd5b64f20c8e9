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
            return self.call_staff(u, s)
        if u.intent == Intent.FEEDBACK:
            return self.feedback(u, s)
        if u.intent == Intent.GREETING:
            return self.greeting(u, s)
        text = f"Sorry, I can't help with that here. {WHAT_I_DO}"
        return Outcome(Reply(Intent.OUT_OF_SCOPE, text), fact_sheet([], [text]))

    def call_staff(self, u: Understanding, s: Session) -> Outcome:
        """One open call per visit: asking again refreshes it (and says so).

        The reason staff see is this request when it says what is wanted ("help me find
        a tent for four"), else the one before it (the button after "show me tents").
        """
        catalog = self.ctx.catalog
        wanted = [p.name for p in catalog.products(s.focus or s.shown[:3])]
        asked = u.note if (u.products or u.category or u.kind) else redact(s.last_request)
        note = "; ".join(x for x in (asked, ", ".join(wanted)) if x) or "help at the kiosk"
        open_call = catalog.staff_call(s.staff_call) if s.staff_call is not None else None
        with catalog.write() as w:
            if open_call is not None and open_call.status != "closed":
                w.refresh_staff_call(open_call.id, note)
                call_id = open_call.id
            else:
                call_id = w.add_staff_call(note, self.ctx.kiosk_id)
        if open_call is not None and open_call.status == "acknowledged":
            text = "A member of staff is already on the way; I've told them you're still waiting."
        elif open_call is not None and open_call.status == "open":
            text = (
                "I've already called a member of staff and reminded them; someone will come "
                "to this kiosk shortly."
            )
        else:
            text = (
                "I've called a member of staff; someone will come to this kiosk shortly. "
                "You can keep asking me things while you wait."
            )
        s.staff_call = call_id
        action = Action(ActionKind.STAFF_CALL, str(call_id), note)
        return Outcome(Reply(Intent.CALL_STAFF, text, actions=[action]), fact_sheet([], [text]))

    def feedback(self, u: Understanding, s: Session) -> Outcome:
        product = targets(self.ctx, u, s)[:1] if (u.products or u.reference) else []
        with self.ctx.catalog.write() as w:
            fid = w.add_feedback(u.note, product[0].id if product else None)
        text = "Thank you for your feedback. I've passed it on to the store."
        action = Action(ActionKind.FEEDBACK_SAVED, str(fid))
        return Outcome(Reply(Intent.FEEDBACK, text, actions=[action]))

    def greeting(self, u: Understanding, s: Session) -> Outcome:
        if u.greeting == Greeting.THANKS:
            text = "You're welcome! Is there anything else I can help you find?"
        elif u.greeting == Greeting.BYE:
            text = "Goodbye, and enjoy your day!"
        elif s.turns and not u.start_over:  # greeted already: not the whole speech again
            text = "Hello again! What can I help you find?"
        else:
            text = f"Hello, welcome to {self.ctx.store_name}! {WHAT_I_DO} {EXAMPLES}"
        return Outcome(Reply(Intent.GREETING, text), fact_sheet([], [text]))

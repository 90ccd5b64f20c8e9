"""Acting on an understood request, one handler per intent family.

Each family (find, info, compare, policy, service, suggest) is a `Handler`: the
intents it answers and `act(understanding, session) -> Outcome`. Adding an intent
means a rule in `understand` and a handler here; `Actor` routes by intent and
applies what a request changes in the session first (a loyalty number, "start over").
"""

from __future__ import annotations

from kiosk.assistant.act.base import ActContext, Handler, Outcome, fit_cards
from kiosk.assistant.act.compare import CompareHandler
from kiosk.assistant.act.find import FindHandler
from kiosk.assistant.act.info import InfoHandler, LocateHandler
from kiosk.assistant.act.policy import PolicyHandler
from kiosk.assistant.act.service import ServiceHandler
from kiosk.assistant.act.suggest import SuggestHandler
from kiosk.assistant.phrases import Phrases
from kiosk.assistant.reply import Action, ActionKind, Intent, Reply
from kiosk.assistant.session import Session
from kiosk.assistant.understand import Understanding
from kiosk.catalog.repository import Catalog
from kiosk.text.language import EN, ZH

HANDLERS: tuple[type[Handler], ...] = (
    FindHandler,
    LocateHandler,
    InfoHandler,
    CompareHandler,
    PolicyHandler,
    ServiceHandler,
    SuggestHandler,
)
SAY = Phrases(
    "act",
    {
        "unknown_loyalty": {
            EN: "I couldn't find that loyalty number. Please check it, or a member of staff "
            "can help with your membership.",
            ZH: "没有找到这个会员卡号。请核对一下，或请店员帮您处理会员事宜。",
        },
    },
)
UNKNOWN_LOYALTY = SAY(EN, "unknown_loyalty")

__all__ = ["HANDLERS", "ActContext", "Actor", "Handler", "Outcome", "apply_loyalty"]


class Actor:
    """Routes an understood request to its handler, over one catalog snapshot."""

    def __init__(self, ctx: ActContext) -> None:
        self.ctx = ctx
        self.handlers: dict[Intent, Handler] = {}
        for cls in HANDLERS:
            handler = cls(ctx)  # type: ignore[call-arg]
            for intent in cls.intents:
                if intent in self.handlers:
                    raise ValueError(f"two handlers for {intent}")
                self.handlers[intent] = handler

    def act(self, u: Understanding, s: Session) -> Outcome:
        """The template reply and its facts; the session changes as the request asks."""
        actions: list[Action] = []
        if u.loyalty_number is not None:
            if apply_loyalty(self.ctx.catalog, s, u.loyalty_number):
                actions.append(
                    Action(ActionKind.LOYALTY, "", "membership tier applied for this session")
                )
            elif u.loyalty_only:
                text = SAY(u.lang, "unknown_loyalty")
                return Outcome(Reply(Intent.RECOMMEND, text, lang=u.lang))
        if u.start_over and u.intent == Intent.GREETING:
            s.reset()
            actions.append(Action(ActionKind.SESSION_RESET))
        outcome = self.handlers[u.intent].act(u, s)
        outcome.reply.actions = actions + outcome.reply.actions
        outcome.reply.lang = u.lang
        if outcome.reply.products and (u.size or u.features):
            shown = self.ctx.catalog.products([c.id for c in outcome.reply.products])
            fit_cards(outcome.reply.products, shown, u.size, u.features, u.lang)
        if u.lang != EN:
            # A product the reply names in this language must be one of its own.
            outcome.facts.other_names = self.ctx.catalog.translated_words(u.lang).names
        return outcome


def apply_loyalty(catalog: Catalog, session: Session, number: str) -> bool:
    """Attach a loyalty customer to this session only; False if the number is unknown."""
    customer = catalog.customer(number.strip())
    if customer is None:
        return False
    session.customer_id = customer.id
    session.membership = customer.membership
    return True

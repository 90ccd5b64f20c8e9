"""One shopper turn: understand, act on the catalog, phrase, check, reply.

The template reply is built from facts first, so a true answer exists before any
model runs; the model's phrasing is accepted only if the fact check passes. A
model that is slow, down or wrong costs niceness, never truth.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from kiosk.assistant.act import Actor, Outcome
from kiosk.assistant.checker import check, covers
from kiosk.assistant.lexicon import Lexicon
from kiosk.assistant.reply import Action, Intent, Reply
from kiosk.assistant.session import Session
from kiosk.assistant.suggest import asks_for_suggestions, membership_reply, only_filler, suggest
from kiosk.assistant.understand import Understanding, understand
from kiosk.catalog.db import change_stamp
from kiosk.catalog.repository import Catalog
from kiosk.config import Config
from kiosk.errors import KioskError
from kiosk.privacy import redact

if TYPE_CHECKING:
    from kiosk.llm.base import ChatModel, Message

log = logging.getLogger(__name__)

SYSTEM_PROMPT = (
    "You open the answers of a shop's help kiosk with one short, warm sentence. The kiosk "
    "then gives the facts itself, so you never mention products, brands, prices, numbers, "
    "stock or aisles, and you never offer discounts, deals or promises. No questions."
)
# Few-shot pairs after the system prompt: constant, so their KV stays warm too.
LEAD_EXAMPLES = (
    ("do you have any backpacks? (found several)", "Good news, we have a few for you."),
    ("where is the camping stove? (location)", "Sure, here is where you'll find it."),
    ("do you sell kayaks? (nothing found)", "I'm sorry, we don't seem to carry that."),
    ("how warm is this sleeping bag? (product detail)", "Good question, here's what I know."),
    ("can I get someone to help me? (staff called)", "Of course, help is on the way."),
)
SITUATIONS = {
    "find_product": "found several",
    "product_location": "location",
    "product_info": "product detail",
    "compare": "comparison",
    "store_policy": "store policy",
    "call_staff": "staff called",
    "feedback": "feedback received",
    "out_of_scope": "not something the kiosk does",
    "recommend": "suggestions",
}
FULL_PROMPT = (
    "You are the voice of a shop's help kiosk. Rewrite the kiosk's answer so it sounds "
    "friendly and natural for the shopper. Use only the facts in the answer: every product "
    "name, price, number, stock status and aisle must be exactly as given. Never add "
    "discounts, deals, price matches or promises. At most three sentences."
)
_LOYALTY_IN_TEXT = re.compile(
    r"\b(?:loyalty|member(?:ship)?|customer|rewards?)\s*(?:card\s*)?(?:number|no\.?|#|id)\s*"
    r"(?:is\s*)?[:#]?\s*([A-Za-z]{0,3}\d{1,12})\b",
    re.IGNORECASE,
)

Chunk = Callable[[str], None]
NOTHING_TO_SUGGEST = (
    "Tell me what it's for, or ask about a product first, and I'll suggest what goes with it."
)


class Assistant:
    """The assistant for one catalog; safe to share between sessions on one thread."""

    def __init__(self, catalog: Catalog, cfg: Config, chat: ChatModel | None = None) -> None:
        self.catalog = catalog
        self.cfg = cfg
        self.chat = chat
        self._lexicon: Lexicon | None = None
        self._lexicon_stamp: tuple[int, int] | None = None
        self.llm_failures = 0
        # Shopper-facing fronts (the screen, `kiosk listen`, the text kiosk) turn this on:
        # each turn goes, redacted, into the anonymous request log for the insights.
        # `kiosk ask` leaves it off, so store scripts and checks don't count as demand.
        self.log_requests = False

    def lexicon(self) -> Lexicon:
        """The catalog's vocabulary, rebuilt only when the catalog changed."""
        stamp = change_stamp(self.catalog.conn)
        if self._lexicon is None or stamp != self._lexicon_stamp:
            self._lexicon = Lexicon.build(self.catalog)
            self._lexicon_stamp = stamp
        return self._lexicon

    def warm(self) -> None:
        """Evaluate the system prompt once so the first shopper doesn't wait for it."""
        if self.chat is not None and self.cfg.assistant.phrasing != "off":
            from kiosk.llm.base import Message

            try:
                if self.cfg.assistant.phrasing == "lead":
                    self.chat.warm(lead_prompt())
                else:
                    self.chat.warm([Message("system", FULL_PROMPT)])
            except KioskError as exc:
                log.warning("model warm-up failed: %s", exc)

    def set_loyalty(self, session: Session, number: str) -> bool:
        """Attach a loyalty customer to this session only; False if the number is unknown."""
        customer = self.catalog.customer(number.strip())
        if customer is None:
            return False
        session.customer_id = customer.id
        session.membership = customer.membership
        return True

    def turn(
        self,
        session: Session,
        text: str,
        *,
        on_chunk: Chunk | None = None,
        spoken: bool = False,
    ) -> Reply:
        """Answer one request. Never raises for anything a shopper can say.

        `spoken`: the reply will be read aloud from its facts at once (ReplyVoice), so a
        'lead' opener would only be seen, never heard, and on 2 cores the model would
        slow the voice down: a spoken turn skips it ('full' rewrites still run).
        """
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        if session.idle_for() > self.cfg.assistant.idle_timeout_s:
            session.reset()
        session.last_active = time.time()
        actions: list[Action] = []
        m = _LOYALTY_IN_TEXT.search(text)
        loyalty_only = False
        if m and self.set_loyalty(session, m.group(1)):
            actions.append(Action("loyalty", "", "membership tier applied for this session"))
            loyalty_only = only_filler(text[: m.start()] + " " + text[m.end() :])
        lex = self.lexicon()
        u = understand(text, lex)
        if u.intent == Intent.OUT_OF_SCOPE and self.cfg.assistant.llm_understanding:
            u.intent = self._llm_intent(text) or u.intent
        t1 = time.perf_counter()
        timings["understand"] = (t1 - t0) * 1000
        if u.start_over and u.intent == Intent.GREETING:
            session.reset()
            session.last_active = time.time()
            actions.append(Action("session_reset"))
        outcome = self._suggestions(u, session, text, loyalty_only) or self._act(u, session, lex)
        t2 = time.perf_counter()
        timings["act"] = (t2 - t1) * 1000
        reply = outcome.reply
        reply.actions = actions + reply.actions
        reply.slots = u.slots()
        self._phrase(text, u, outcome, lex, timings, on_chunk, spoken=spoken)
        session.turns += 1
        session.last_request = redact(text)[:200]
        timings["total"] = (time.perf_counter() - t0) * 1000
        reply.timings_ms = timings
        if self.log_requests and self.cfg.insights.enabled:
            self._log(session, text, reply)
        return reply

    def _log(self, session: Session, text: str, reply: Reply) -> None:
        """The request log never costs a shopper their answer: a failure is only logged."""
        from kiosk.insights.log import record_turn

        try:
            record_turn(
                self.catalog.conn,
                text=text,
                reply=reply,
                session_token=session.token,
                kiosk=self.cfg.assistant.kiosk_id,
            )
        except Exception as exc:  # disk full, database locked: the turn still stands
            log.warning("request not logged: %s", type(exc).__name__)

    def _suggestions(
        self, u: Understanding, s: Session, text: str, loyalty_only: bool
    ) -> Outcome | None:
        """A loyalty number alone, or 'what else do I need?' about nothing new: accessories."""
        asks = asks_for_suggestions(text) and not (u.products or u.category or u.kind)
        if not (loyalty_only or asks):
            return None
        outcome = suggest(self.catalog, s, limit=self.cfg.search.limit)
        if outcome is not None:
            s.shown = [c.id for c in outcome.reply.products]
            return outcome
        if loyalty_only:
            return Outcome(membership_reply(s))
        return Outcome(Reply(Intent.RECOMMEND, NOTHING_TO_SUGGEST))

    def _act(self, u: Understanding, s: Session, lex: Lexicon) -> Outcome:
        actor = Actor(self.catalog, lex, self.cfg.search.limit, self.cfg.assistant.kiosk_id)
        handlers: dict[Intent, Callable[[Understanding, Session], Outcome]] = {
            Intent.FIND_PRODUCT: actor.find,
            Intent.PRODUCT_LOCATION: actor.locate,
            Intent.PRODUCT_INFO: actor.info,
            Intent.COMPARE: actor.compare,
            Intent.STORE_POLICY: actor.policy,
            Intent.CALL_STAFF: actor.call_staff,
            Intent.FEEDBACK: actor.feedback,
            Intent.OUT_OF_SCOPE: actor.out_of_scope,
        }
        if u.intent == Intent.GREETING:
            return actor.greeting(u, s, self.cfg.store.name)
        return handlers[u.intent](u, s)

    # -- the model's part ---------------------------------------------------------
    def _phrase(
        self,
        request: str,
        u: Understanding,
        outcome: Outcome,
        lex: Lexicon,
        timings: dict[str, float],
        on_chunk: Chunk | None,
        *,
        spoken: bool = False,
    ) -> None:
        reply = outcome.reply
        mode = self.cfg.assistant.phrasing
        if mode == "lead" and spoken:
            mode = "off"
        if self.chat is None or mode == "off" or reply.intent in (Intent.GREETING,):
            if on_chunk:
                on_chunk(reply.text)
            return
        if on_chunk:  # the checked facts show at once; the model's phrasing follows
            on_chunk(reply.text)
        t = time.perf_counter()
        try:
            if mode == "lead":
                lead = self._lead(request, reply)
                first = _first_sentence(lead)
                problems = check(first, outcome.facts, lex) if first else ["empty"]
                problems += _lead_problems(first, reply, lex)
                if not problems:
                    reply.text = f"{first} {reply.text}"
                    reply.phrasing = "llm"
                else:
                    reply.phrasing = "llm_rejected"
                    log.info("lead rejected (%s): %r", "; ".join(problems), first)
            else:
                full = self._full(request, reply).strip()
                problems = check(full, outcome.facts, lex) if full else ["empty"]
                problems += covers(full, reply.text, outcome.facts, lex)
                if not problems:
                    reply.text = full.strip()
                    reply.phrasing = "llm"
                else:
                    reply.phrasing = "llm_rejected"
                    log.info("reply rejected (%s): %r", "; ".join(problems), full)
        except KioskError as exc:
            self.llm_failures += 1
            reply.phrasing = "template"
            log.warning("model unavailable, template reply [%s]: %s", exc.code, exc.message)
        timings["llm"] = (time.perf_counter() - t) * 1000
        if on_chunk:
            on_chunk(reply.text)

    def _lead(self, request: str, reply: Reply) -> str:
        """A short opener from the request and the kind of answer, never the answer itself.

        Given the answer's text, the bundled 135M model copies it (and gets it wrong);
        given only the situation it writes an opener, and the prompt stays short.
        """
        from kiosk.llm.base import Message

        assert self.chat is not None
        situation = SITUATIONS.get(str(reply.intent), "answer")
        if reply.intent == Intent.FIND_PRODUCT and not reply.products:
            situation = "nothing found"
        elif reply.intent == Intent.FIND_PRODUCT and len(reply.products) == 1:
            situation = "found one"
        return self.chat.complete(
            [*lead_prompt(), Message("user", f"{request[:160]} ({situation})")],
            max_tokens=20,
            temperature=0.2,
            stop=("\n",),
            timeout_s=self.cfg.llm.timeout_s,
        )

    def _full(self, request: str, reply: Reply) -> str:
        from kiosk.llm.base import Message

        assert self.chat is not None
        messages = [
            Message("system", FULL_PROMPT),
            Message(
                "user", f"Shopper: {request[:300]}\nKiosk answer: {reply.text}\nRewritten answer:"
            ),
        ]
        return self.chat.complete(
            messages, max_tokens=160, temperature=0.2, timeout_s=self.cfg.llm.timeout_s
        )

    def _llm_intent(self, text: str) -> Intent | None:
        """Grammar-constrained intent from the model, for what the rules couldn't place."""
        from kiosk.llm.base import Message

        if self.chat is None:
            return None
        grammar = "root ::= " + " | ".join(f'"{i.value}"' for i in Intent)
        try:
            out = self.chat.complete(
                [
                    Message(
                        "system",
                        "Classify the shop kiosk request. Answer with one intent: "
                        + ", ".join(i.value for i in Intent)
                        + ".",
                    ),
                    Message("user", text[:300]),
                ],
                max_tokens=24,
                temperature=0.0,
                grammar=grammar,
                timeout_s=self.cfg.llm.timeout_s,
            )
        except KioskError as exc:
            log.warning("model intent failed [%s]: %s", exc.code, exc.message)
            return None
        try:
            return Intent(out.strip().strip('"'))
        except ValueError:
            return None


def lead_prompt() -> list[Message]:
    from kiosk.llm.base import Message

    messages = [Message("system", SYSTEM_PROMPT)]
    for request, opener in LEAD_EXAMPLES:
        messages += [Message("user", request), Message("assistant", opener)]
    return messages


def _first_sentence(text: str) -> str:
    text = text.strip().strip('"').strip()
    m = re.match(r"(.+?[.!])(\s|$)", text)
    return (m.group(1) if m else text).strip()


_NEGATIVE = re.compile(r"\b(no|not|sorry|unfortunately|don'?t|can'?t|cannot|unable)\b", re.I)


def _lead_problems(lead: str, reply: Reply, lex: Lexicon) -> list[str]:
    """A lead is a complete, short sentence with no facts of its own.

    Facts (names, prices, numbers, aisles) are the template's job; a lead that
    repeats them is either redundant or, cut off at max_tokens, half a fact.
    """
    problems: list[str] = []
    if not re.search(r"[.!]$", lead):
        problems.append("not a complete sentence")
    if re.search(r"\d|\$|\baisles?\b|\bshelf\b", lead, re.I):
        problems.append("states a number, price or place")
    if lex.match_names(lead) or any(
        re.search(rf"\b{re.escape(b)}\b", lead.lower()) for b in lex.brands
    ):
        problems.append("names a product or brand")
    if "?" in lead:
        problems.append("asks a question")
    if len(lead.split()) > 16:
        problems.append("too long for a lead")
    negative_answer = bool(_NEGATIVE.search(reply.text[:60]))
    if _NEGATIVE.search(lead) and not negative_answer:
        problems.append("negative lead before a positive answer")
    if not re.search(r"[A-Za-z]", lead):
        problems.append("no words")
    return problems

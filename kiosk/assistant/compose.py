"""The compose and check stages: the model's phrasing of a reply, checked against its facts.

The template reply already exists (act built it from the facts), so a true answer
is there before any model runs. The model may add a short opener ('lead') or
rewrite the reply ('full'); the check stage accepts its words only if every price,
number, aisle, product and brand is in this turn's facts. A model that is slow,
down or wrong costs niceness, never truth.

A turn in a language the model isn't allowed to phrase (`assistant.phrasing_languages`,
English only by default: the bundled models can't write Chinese) gets the checked
template as it is.

Early speech is decided here too: with 'lead' or 'off' the checked facts stand as
they are, so a voice may start on them at once; with 'full' it waits for the rewrite.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import time
from collections.abc import Callable

from kiosk.assistant.act import Outcome
from kiosk.assistant.checker import check, covers, lead_problems, trace_problems
from kiosk.assistant.reply import Intent, Phrasing, Reply
from kiosk.assistant.stages import Stage, StageError
from kiosk.assistant.understand import Understanding
from kiosk.catalog.lexicon import Lexicon
from kiosk.config import Config, PhrasingMode
from kiosk.errors import KioskError
from kiosk.llm.base import ChatModel, Message

log = logging.getLogger(__name__)

Chunk = Callable[[str], None]

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


def turn_mode(mode: PhrasingMode, *, spoken: bool) -> PhrasingMode:
    """The phrasing one turn gets. A spoken turn skips the lead: read aloud from the
    facts at once, the opener would only be seen, never heard, and on 2 cores the
    model would slow the voice down ('full' rewrites are still waited for)."""
    return PhrasingMode.OFF if mode == PhrasingMode.LEAD and spoken else mode


def speaks_facts_early(mode: PhrasingMode) -> bool:
    """Whether a voice may start on the first checked text (the facts): with 'lead' or
    'off' they stand as they are; with 'full' the model rewrites them, so wait."""
    return mode != PhrasingMode.FULL


def lead_prompt() -> list[Message]:
    messages = [Message("system", SYSTEM_PROMPT)]
    for request, opener in LEAD_EXAMPLES:
        messages += [Message("user", request), Message("assistant", opener)]
    return messages


def first_sentence(text: str) -> str:
    text = text.strip().strip('"').strip()
    m = re.match(r"(.+?[.!])(\s|$)", text)
    return (m.group(1) if m else text).strip()


class Composer:
    """The model's part of a turn, for one chat model (or none: templates only)."""

    def __init__(self, cfg: Config, chat: ChatModel | None) -> None:
        self.cfg = cfg
        self.chat = chat
        self.failures = 0  # model calls that failed (templates answered instead)

    def warm(self) -> None:
        """Evaluate the system prompt once so the first shopper doesn't wait for it."""
        mode = self.cfg.assistant.phrasing
        if self.chat is None or mode == PhrasingMode.OFF:
            return
        try:
            if mode == PhrasingMode.LEAD:
                self.chat.warm(lead_prompt())
            else:
                self.chat.warm([Message("system", FULL_PROMPT)])
        except KioskError as exc:
            log.warning("model warm-up failed: %s", exc)

    def compose(
        self,
        u: Understanding,
        outcome: Outcome,
        lex: Lexicon,
        timings: dict[str, float],
        on_chunk: Chunk | None,
        *,
        spoken: bool = False,
    ) -> None:
        """Phrase and check `outcome.reply` in place; `on_chunk` gets each checked text."""
        reply = outcome.reply
        mode = turn_mode(self.cfg.assistant.phrasing, spoken=spoken)
        shown = time.perf_counter()
        if on_chunk:  # the checked facts show at once; the model's phrasing follows
            on_chunk(reply.text)
        if self.chat is None or mode == PhrasingMode.OFF or reply.intent == Intent.GREETING:
            return
        if u.lang not in self.cfg.assistant.phrasing_languages:
            return  # a model that can't write this language: the checked template stands
        started = time.perf_counter()
        try:
            text = (
                self._lead(u.request, reply) if mode == PhrasingMode.LEAD else self._full(u, reply)
            )
        except KioskError as exc:
            self.failures += 1
            reply.phrasing = Phrasing.TEMPLATE
            reply.errors.append(StageError(Stage.COMPOSE, exc.code, exc.message))
            log.warning("model unavailable, template reply [%s]: %s", exc.code, exc.message)
            text = None
        composed = time.perf_counter()
        timings[Stage.COMPOSE.value] = (composed - started) * 1000
        template = reply.text
        if text is not None:
            self._check(mode, text, outcome, lex)
        done = time.perf_counter()
        timings[Stage.CHECK.value] = (done - composed) * 1000
        timings["llm"] = (done - started) * 1000
        if on_chunk:
            if reply.phrasing == Phrasing.LLM and done - shown > self.cfg.assistant.phrasing_wait_s:
                # The shopper is already reading the facts: keep them still.
                reply.late_text, reply.text = reply.text, template
                reply.phrasing = Phrasing.LLM_LATE
            on_chunk(reply.text)

    def _check(self, mode: PhrasingMode, text: str, outcome: Outcome, lex: Lexicon) -> None:
        """The check stage: the model's words stand only if the facts hold every claim."""
        reply = outcome.reply
        # The template is true by construction (its quoted catalog text was checked too),
        # so what it says is part of what the model may say.
        facts = outcome.facts
        if reply.text not in facts.texts:
            facts = dataclasses.replace(facts, texts=[*facts.texts, reply.text])
        if mode == PhrasingMode.LEAD:
            first = first_sentence(text)
            problems = check(first, facts, lex) if first else ["empty"]
            problems += lead_problems(first, reply.text, lex, facts)
            candidate = f"{first} {reply.text}"
        else:
            first = text.strip()
            problems = check(first, facts, lex) if first else ["empty"]
            problems += covers(first, reply.text, facts, lex)
            problems += trace_problems(first, reply.text, facts, lex)
            candidate = first
        if problems:
            reply.phrasing = Phrasing.LLM_REJECTED
            log.info("%s rejected (%s): %r", mode, "; ".join(problems), first)
            return
        reply.text = candidate
        reply.phrasing = Phrasing.LLM

    def _lead(self, request: str, reply: Reply) -> str:
        """A short opener from the request and the kind of answer, never the answer itself.

        Given the answer's text, the bundled 135M model copies it (and gets it wrong);
        given only the situation it writes an opener, and the prompt stays short.
        """
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

    def _full(self, u: Understanding, reply: Reply) -> str:
        assert self.chat is not None
        messages = [
            Message("system", FULL_PROMPT),
            Message(
                "user",
                f"Shopper: {u.request[:300]}\nKiosk answer: {reply.text}\nRewritten answer:",
            ),
        ]
        return self.chat.complete(
            messages, max_tokens=160, temperature=0.2, timeout_s=self.cfg.llm.timeout_s
        )

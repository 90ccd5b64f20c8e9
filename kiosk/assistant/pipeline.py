"""One shopper turn as a pipeline of named stages: understand, act, compose, check.

(A spoken turn adds hear before and speak after: `kiosk.voice` runs those.) The
template reply is built from facts first, so a true answer exists before any model
runs; the model's phrasing is accepted only if the check passes. Each stage is
timed under its name, and a failure inside one is raised as a `StageError` that
says which.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from kiosk.assistant.act import ActContext, Actor, Outcome, apply_loyalty
from kiosk.assistant.compose import Chunk, Composer
from kiosk.assistant.intents.files import load_intent_model
from kiosk.assistant.intents.model import IntentModel
from kiosk.assistant.intents.route import classify, needed
from kiosk.assistant.meaning import Meaning, current_meaning
from kiosk.assistant.phrases import Phrases
from kiosk.assistant.record import record_turn
from kiosk.assistant.reply import Intent, Reply
from kiosk.assistant.session import Session
from kiosk.assistant.stages import Stage, StageError
from kiosk.assistant.understand import Understanding, model_intent, understand
from kiosk.assistant.zh.understand import ZhVocabulary, understand_zh
from kiosk.catalog.db import change_stamp
from kiosk.catalog.lexicon import Lexicon
from kiosk.catalog.repository import Catalog
from kiosk.config import Config
from kiosk.errors import KioskError
from kiosk.llm.base import ChatModel, Progress
from kiosk.llm.loader import Report, load_embedder_or_words, load_or_templates, model_wanted
from kiosk.text.language import EN, ZH, detect
from kiosk.text.privacy import redact

if TYPE_CHECKING:
    from kiosk.llm.embed import Embedder  # numpy: imported when the model loads

log = logging.getLogger(__name__)

# A request longer than this is read only this far (at a word boundary): what a shopper
# asks fits, and nothing long is ever echoed back whole.
MAX_REQUEST_CHARS = 400
SAY = Phrases(
    "pipeline",
    {
        "long_request": {
            EN: "That was a long request, so I went by its beginning; ask one thing at a time.",
            ZH: "您的问题比较长，我按开头部分来理解；请一次问一件事。",
        },
    },
)
LONG_REQUEST = SAY(EN, "long_request")


def cut_request(text: str, limit: int = MAX_REQUEST_CHARS) -> tuple[str, bool]:
    """The request as read, and whether it was cut."""
    text = text.strip()
    if len(text) <= limit:
        return text, False
    head = text[:limit]
    space = head.rfind(" ")
    return (head[:space] if space > limit // 2 else head).rstrip(), True


@contextmanager
def stage(name: Stage, timings: dict[str, float]) -> Iterator[None]:
    """Time one stage; anything that breaks inside it leaves as a StageError naming it."""
    started = time.perf_counter()
    try:
        yield
    except StageError:
        raise
    except KioskError as exc:
        raise StageError(name, exc.code, exc.message) from exc
    except Exception as exc:
        raise StageError(name, f"{name}_failed", f"{name} failed: {type(exc).__name__}") from exc
    finally:
        timings[name.value] = (time.perf_counter() - started) * 1000


class Assistant:
    """The assistant for one catalog; safe to share between sessions on one thread."""

    def __init__(
        self,
        catalog: Catalog,
        cfg: Config,
        chat: ChatModel | None = None,
        *,
        embedder: Embedder | None = None,
        report: Report | None = None,
    ) -> None:
        self.catalog = catalog
        self.cfg = cfg
        self.composer = Composer(cfg, chat)
        # The sentence-embedding model loads on the first turn that needs meaning
        # (0.05-0.15 s), not at start-up; None after a failed load: words alone.
        self._embedder = embedder
        self._embedder_tried = embedder is not None
        self._report = report
        self._intents: IntentModel | None = None
        self._intents_tried = False
        self._meaning: Meaning | None = None
        self._lexicon: Lexicon | None = None
        self._lexicon_stamp: tuple[int, int] | None = None
        self._zh: ZhVocabulary | None = None
        self._zh_stamp: tuple[int, int] | None = None
        # Shopper-facing fronts (the screen, `kiosk listen`, the text kiosk) turn this on:
        # each turn goes, redacted, into the anonymous request log for the insights.
        # `kiosk ask` leaves it off, so store scripts and checks don't count as demand.
        self.log_requests = False

    @property
    def chat(self) -> ChatModel | None:
        return self.composer.chat

    @chat.setter
    def chat(self, model: ChatModel | None) -> None:
        self.composer.chat = model

    @property
    def llm_failures(self) -> int:
        return self.composer.failures

    def lexicon(self) -> Lexicon:
        """The catalog's vocabulary, rebuilt only when the catalog changed."""
        stamp = change_stamp(self.catalog.conn)
        if self._lexicon is None or stamp != self._lexicon_stamp:
            self._lexicon = Lexicon.build(self.catalog)
            self._lexicon_stamp = stamp
        return self._lexicon

    def zh_vocabulary(self) -> ZhVocabulary:
        """The Chinese words a request is read by: the glossary and the catalog's own
        translated names and categories, rebuilt only when the catalog changed."""
        stamp = change_stamp(self.catalog.conn)
        if self._zh is None or stamp != self._zh_stamp:
            self._zh = ZhVocabulary.build(self.catalog)
            self._zh_stamp = stamp
        return self._zh

    @property
    def embedder(self) -> Embedder | None:
        """The embedding model, loaded on first use; None when it can't be (reported once)."""
        if not self._embedder_tried:
            self._embedder_tried = True
            # One thread: a shopper's request is ~9 tokens (p50 2.9 ms), and beside other
            # work two llama.cpp threads wait on each other (p95 8.7 ms, max 869 ms
            # against 5.2 and 10 ms with one, at load average 5).
            self._embedder = load_embedder_or_words(self.cfg, report=self._report, n_threads=1)
        return self._embedder

    @property
    def intent_model(self) -> IntentModel | None:
        """The intent classifier (the store's, else the shipped one); None: rules only."""
        if not self._intents_tried:
            self._intents_tried = True
            embedder = self.embedder if self.cfg.assistant.intent_classifier else None
            self._intents = load_intent_model(self.cfg, embedder.name) if embedder else None
        return self._intents

    def meaning(self) -> Meaning | None:
        """Search by meaning, or None (no model, or no product vectors yet: words alone)."""
        embedder = self.embedder
        if embedder is None:
            return None
        if self._meaning is None or self._meaning.embedder is not embedder:
            self._meaning = Meaning(self.catalog, embedder)
        return current_meaning(self._meaning)

    def close(self) -> None:
        """Free the models this assistant loaded itself (the chat model is its opener's)."""
        if self._embedder is not None:
            self._embedder.close()
            self._embedder = None

    def warm(self) -> None:
        """Evaluate the system prompt once so the first shopper doesn't wait for it."""
        self.composer.warm()

    def set_loyalty(self, session: Session, number: str) -> bool:
        """Attach a loyalty customer to this session only; False if the number is unknown."""
        return apply_loyalty(self.catalog, session, number)

    def _context(self, lex: Lexicon, lang: str = EN) -> ActContext:
        # The bundled embedding model reads English only: a request in another language
        # is found by its words (the catalog's translations), never ranked by a cosine
        # the model can't mean.
        return ActContext(
            self.catalog,
            lex,
            self.cfg.search.limit,
            self.cfg.assistant.kiosk_id,
            self.cfg.store.name,
            self.meaning if lang == EN else (lambda: None),
        )

    def turn(
        self,
        session: Session,
        text: str,
        *,
        on_chunk: Chunk | None = None,
        spoken: bool = False,
    ) -> Reply:
        """Answer one request. Never raises for anything a shopper can say.

        `on_chunk` gets the checked text as it is ready: the facts first, then the
        model's accepted phrasing. `spoken`: the reply will be read aloud from its
        facts at once, so a 'lead' opener is skipped (see `compose.turn_mode`).
        """
        timings: dict[str, float] = {}
        started = time.perf_counter()
        text, cut = cut_request(text)
        if session.idle_for() > self.cfg.assistant.idle_timeout_s:
            session.reset()
        session.last_active = time.time()
        with stage(Stage.UNDERSTAND, timings):
            lex = self.lexicon()
            u = self.understand(text, lex)
        session.lang = u.lang  # a staff call placed this turn carries it
        with stage(Stage.ACT, timings):
            outcome = self.act(u, session, lex)
        session.last_active = time.time()
        reply = outcome.reply
        reply.slots = u.slots()
        reply.lang = u.lang
        if cut:
            said = SAY(u.lang, "long_request")
            reply.text = f"{said}{' ' if u.lang == EN else ''}{reply.text}"
            outcome.facts.add(said)
        self._compose(u, outcome, lex, timings, on_chunk, spoken)
        session.turns += 1
        session.last_request = redact(text)[:200]
        timings["total"] = (time.perf_counter() - started) * 1000
        reply.timings_ms = timings
        if self.log_requests and self.cfg.insights.enabled:
            self._log(session, text, reply)
        return reply

    def understand(self, text: str, lex: Lexicon) -> Understanding:
        """The understand stage: rules; the intent classifier where they are unsure; then
        (if configured) the chat model for what neither can place. The language is
        read per turn: a Chinese request is read into the same slots by its own rules."""
        if detect(text) != EN:
            return understand_zh(text, lex, self.zh_vocabulary())
        u = understand(text, lex)
        if needed(u) is not None:  # the rules may be overruled: the classifier is asked
            model = self.intent_model
            if model is not None and self.embedder is not None:
                u = classify(u, model, self.embedder)
        if (
            u.intent == Intent.OUT_OF_SCOPE
            and self.cfg.assistant.llm_understanding
            and self.chat is not None
        ):
            u.intent = model_intent(self.chat, u, timeout_s=self.cfg.llm.timeout_s) or u.intent
        return u

    def act(self, u: Understanding, session: Session, lex: Lexicon | None = None) -> Outcome:
        """The act stage: the template reply and its facts; the session changes as asked."""
        return Actor(self._context(lex or self.lexicon(), u.lang)).act(u, session)

    def _compose(
        self,
        u: Understanding,
        outcome: Outcome,
        lex: Lexicon,
        timings: dict[str, float],
        on_chunk: Chunk | None,
        spoken: bool,
    ) -> None:
        """compose and check: a failure of the model's part never costs the answer."""
        try:
            self.composer.compose(u, outcome, lex, timings, on_chunk, spoken=spoken)
        except Exception as exc:  # a bug in phrasing: the template reply still stands
            log.exception("compose failed; template reply")
            outcome.reply.errors.append(
                StageError(Stage.COMPOSE, "compose_failed", f"compose failed: {exc!r}")
            )

    def _log(self, session: Session, text: str, reply: Reply) -> None:
        """The request log never costs a shopper their answer: a failure is only logged."""
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


@contextmanager
def open_assistant(
    cfg: Config,
    *,
    use_llm: bool = True,
    progress: Progress | None = None,
    report: Report | None = None,
) -> Iterator[Assistant]:
    """The catalog and (if configured and loadable) the model, closed on exit.

    A model that fails to load is reported once through `report`; the kiosk keeps
    answering from templates rather than not answering at all.
    """
    chat: ChatModel | None = None
    catalog = Catalog.open(cfg.catalog_path, create=False)
    try:
        if use_llm and model_wanted(cfg):
            chat = load_or_templates(cfg, progress=progress, report=report)
        assistant = Assistant(catalog, cfg, chat, report=report)
        assistant.warm()
        try:
            yield assistant
        finally:
            assistant.close()
    finally:
        if chat is not None:
            chat.close()
        catalog.close()

"""A spoken turn: audio -> catalog-aware transcript -> the assistant's reply.

Shared by `kiosk ask --audio`, `kiosk listen` and the shopper screen, so all three
hear the same way: Whisper prompted with the catalog's words, then the transcript
corrected to catalog names ("tennis" -> "tents"), with both texts kept in the
reply so a technician can see what was heard and what was understood.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from kiosk.assistant.assistant import Assistant, Chunk
from kiosk.assistant.lexicon import Lexicon
from kiosk.assistant.reply import Intent, Reply
from kiosk.assistant.session import Session
from kiosk.speech.asr import Transcriber, Transcript
from kiosk.speech.audio import Samples
from kiosk.speech.hints import CatalogTerms, correct_transcript, hints_from_vocabulary

NOT_HEARD = "I didn't hear a request. Please say it again, or type it."


class VoiceTurns:
    """Hearing tied to one assistant's catalog; hints and terms follow catalog changes."""

    def __init__(self, assistant: Assistant, ears: Transcriber) -> None:
        self.assistant = assistant
        self.ears = ears
        self._for: Lexicon | None = None
        self._hints: list[str] = []
        self._terms: CatalogTerms | None = None

    def _words(self) -> tuple[list[str], CatalogTerms]:
        lex = self.assistant.lexicon()  # rebuilt by the assistant when the catalog changes
        if lex is not self._for or self._terms is None:
            self._hints = hints_from_vocabulary(self.assistant.catalog.vocabulary())
            self._terms = CatalogTerms.from_lexicon(lex)
            self._for = lex
        return self._hints, self._terms

    def hear(self, audio: Samples) -> tuple[Transcript, str]:
        """What Whisper heard, and the request it is read as (catalog names corrected)."""
        hints, terms = self._words()
        heard = self.ears.transcribe(audio, hints=hints)
        if not heard.is_speech:
            return heard, ""
        started = time.perf_counter()
        request = correct_transcript(heard.text, terms)
        heard.timings_ms["correct"] = (time.perf_counter() - started) * 1000
        return heard, request

    def turn(
        self,
        session: Session,
        audio: Samples,
        *,
        on_heard: Callable[[str], None] | None = None,
        on_chunk: Chunk | None = None,
    ) -> Reply:
        """A whole turn from one utterance; silence or noise gives a 'not heard' reply.

        `on_heard` gets the transcript as soon as it exists (the screen shows it while
        the answer is found), `on_chunk` the reply's checked text as `Assistant.turn`.
        """
        heard, request = self.hear(audio)
        if not request:
            reply = Reply(Intent.OUT_OF_SCOPE, NOT_HEARD)
            reply.transcript = ""
            reply.timings_ms = dict(heard.timings_ms)
            return reply
        if on_heard is not None:
            on_heard(heard.text)
        reply = self.assistant.turn(session, request, on_chunk=on_chunk, spoken=True)
        reply.transcript = heard.text
        reply.heard_as = request
        reply.timings_ms = {**heard.timings_ms, **reply.timings_ms}
        return reply

"""The hear stage: audio -> catalog-aware transcript -> the request it is read as.

Shared by `kiosk ask --audio`, `kiosk listen` and the shopper screen, so all three
hear the same way: Whisper prompted with the catalog's words, then the transcript
corrected to catalog names ("tennis" -> "tents"), with both texts kept in the
reply so a technician can see what was heard and what was understood.
"""

from __future__ import annotations

import time

from kiosk.assistant.phrases import Phrases
from kiosk.assistant.pipeline import Assistant
from kiosk.assistant.stages import Stage
from kiosk.catalog.lexicon import Lexicon
from kiosk.speech.asr import Transcriber, Transcript
from kiosk.speech.audio import Samples
from kiosk.speech.hints import (
    CatalogTerms,
    correct_transcript,
    hints_from_vocabulary,
    translated_hints,
)
from kiosk.text.language import EN, ZH

HEARING = Phrases(
    "hearing",
    {
        "not_heard": {
            EN: "I didn't hear a request. Please say it again, or type it.",
            ZH: "我没有听清楚。请再说一遍，或者输入文字。",
        }
    },
)
NOT_HEARD = HEARING(EN, "not_heard")


class Hearing:
    """Whisper tied to one assistant's catalog; hints and terms follow catalog changes."""

    def __init__(self, assistant: Assistant, ears: Transcriber) -> None:
        self.assistant = assistant
        self.ears = ears
        self._for: Lexicon | None = None
        self._hints: dict[str, list[str]] = {}
        self._terms: CatalogTerms | None = None

    @classmethod
    def open(cls, assistant: Assistant) -> Hearing:
        """The one place the kiosk's transcriber is built (`speech.asr_device`, ...)."""
        return cls(assistant, Transcriber(assistant.cfg))

    def _words(self) -> tuple[dict[str, list[str]], CatalogTerms]:
        """Whisper's hints per language (the catalog's names in that language), and the
        terms transcripts are corrected to; both follow catalog changes."""
        lex = self.assistant.lexicon()  # rebuilt by the assistant when the catalog changes
        if lex is not self._for or self._terms is None:
            catalog = self.assistant.catalog
            self._hints = {EN: hints_from_vocabulary(catalog.vocabulary())}
            for lang in self.ears.languages:
                if lang != EN:
                    self._hints[lang] = translated_hints(catalog.translated_words(lang))
            self._terms = CatalogTerms.from_lexicon(lex)
            self._for = lex
        return self._hints, self._terms

    def hear(self, audio: Samples) -> tuple[Transcript, str]:
        """What Whisper heard (in which of `speech.languages`: `Transcript.language`),
        and the request it is read as ('' when nobody spoke).

        The transcript's timings gain `correct` (the catalog-name correction) and
        `hear` (the whole stage).
        """
        started = time.perf_counter()
        hints, terms = self._words()
        heard = self.ears.transcribe(audio, hints=hints)
        request = ""
        if heard.is_speech:
            corrected = time.perf_counter()
            request = correct_transcript(heard.text, terms)
            heard.timings_ms["correct"] = (time.perf_counter() - corrected) * 1000
        heard.timings_ms[Stage.HEAR.value] = (time.perf_counter() - started) * 1000
        return heard, request

"""The kiosk's voice on its speaker, interruptible: barge-in stops it mid-sentence.

Replies are spoken on a background thread, sentence by sentence as piper makes
them, so the screen (or the listen loop) stays responsive and a touch, the talk
key or typed input can cut the voice off within one playback block (~50 ms).
Without a speaker, or with speech turned off, `say` does nothing and the reply
is text only: a kiosk must never fail because its sound card did.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping

import numpy as np

from kiosk.config import Config
from kiosk.errors import ModelError
from kiosk.speech import devices
from kiosk.speech.audio import SpeechError
from kiosk.speech.tts import Pcm, Synthesizer
from kiosk.text.language import EN, LANGUAGES, NAMES


def device_setting(value: str) -> int | str | None:
    """Config's device string: '' is the default, digits an index, else a name."""
    if not value:
        return None
    return int(value) if value.isdigit() else value


def scaled(chunks: Iterator[Pcm], volume: float) -> Iterator[Pcm]:
    """Apply the configured volume (0.0-1.0) to int16 audio as it streams."""
    volume = min(max(volume, 0.0), 1.0)
    for chunk in chunks:
        if volume >= 1.0:
            yield chunk
        else:
            yield (chunk.astype(np.float32) * volume).astype(np.int16)


class Speaker:
    """Speaks one reply at a time; a new reply or `stop()` interrupts the last one.

    One voice per language (`speech.voices`; English: `models.tts`): a reply is spoken
    only by its own language's voice, so a language without one is text only, never
    read aloud by another language's voice.
    """

    def __init__(
        self,
        cfg: Config,
        voice: Synthesizer | None,
        *,
        voices: Mapping[str, Synthesizer] | None = None,
        on_state: Callable[[bool], None] | None = None,
    ) -> None:
        self.cfg = cfg
        self.voices: dict[str, Synthesizer] = dict(voices or {})
        if voice is not None:  # `voice` is the English one (before voices per language)
            self.voices.setdefault(EN, voice)
        self.voice = self.voices.get(EN)
        self.on_state = on_state  # called with True when speaking starts, False when done
        self.device = device_setting(cfg.speech.output_device)
        self.available = bool(
            self.voices and cfg.speech.speak_replies and devices.output_available()
        )
        self.problem = "" if self.available else self._why_not()
        self.voice_problems: list[str] = []  # a language whose voice would not load
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @classmethod
    def open(cls, cfg: Config, *, on_state: Callable[[bool], None] | None = None) -> Speaker:
        """The configured voices on the speaker; piper is loaded only if it can be heard.

        The English voice failing to load is an error (as before voices per language);
        another language's voice failing is noted in `voice_problems`, and that
        language is shown on screen only.
        """
        voices: dict[str, Synthesizer] = {}
        problems = []
        if cfg.speech.speak_replies and devices.output_available():
            for lang in LANGUAGES:
                try:
                    voice = Synthesizer.for_language(cfg, lang)
                except ModelError as exc:
                    if lang == EN:
                        raise
                    problems.append(f"no {NAMES[lang]} voice: {exc.message}")
                    continue
                if voice is not None:
                    voices[lang] = voice
        speaker = cls(cfg, None, voices=voices, on_state=on_state)
        speaker.voice_problems = problems
        return speaker

    def _why_not(self) -> str:
        if not self.voices or not self.cfg.speech.speak_replies:
            return "speaking is turned off"
        return "no speaker found: replies are shown as text only"

    def speaks(self, lang: str) -> bool:
        """There is a voice for `lang` and a speaker to hear it on."""
        return self.available and lang in self.voices

    @property
    def speaking(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def say(self, text: str, lang: str = EN) -> bool:
        """Start speaking `text` in `lang` (after stopping whatever was playing); False
        if there is no speaker, or no voice for `lang` (the reply is text only)."""
        voice = self.voices.get(lang)
        if not self.available or voice is None or not text.strip():
            return False
        with self._lock:
            self.stop()
            self._stop = threading.Event()
            thread = threading.Thread(
                target=self._run, args=(voice, text, self._stop), name="kiosk-speaker", daemon=True
            )
            self._thread = thread
            thread.start()
        return True

    def _run(self, voice: Synthesizer, text: str, stop: threading.Event) -> None:
        if self.on_state:
            self.on_state(True)
        try:
            chunks = scaled(voice.sentences(text, stop), self.cfg.speech.volume)
            devices.play(chunks, voice.sample_rate, stop, device=self.device)
        except SpeechError as exc:  # unplugged mid-reply: text only from now on
            self.available = False
            self.problem = exc.message
        finally:
            if self.on_state:
                self.on_state(False)

    def say_and_wait(self, text: str, poll_s: float = 0.05, lang: str = EN) -> bool:
        """Speak `text` and return when it has been said; False (and `problem` says why)
        when it couldn't be. For `kiosk say` and the console's speaker test."""
        if not self.say(text, lang):
            if not self.problem:
                self.problem = (
                    "nothing to say"
                    if not text.strip()
                    else f"no {NAMES.get(lang, lang)} voice (speech.voices)"
                    if lang not in self.voices
                    else "speaking is turned off"
                )
            return False
        while self.speaking:
            time.sleep(poll_s)
        return not self.problem

    def stop(self, wait_s: float = 1.0) -> None:
        """Barge-in: silence the voice now (the shopper is talking or touching)."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(wait_s)

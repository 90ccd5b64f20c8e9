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
from collections.abc import Callable, Iterator

import numpy as np

from kiosk.config import Config
from kiosk.speech import devices
from kiosk.speech.audio import SpeechError
from kiosk.speech.tts import Pcm, Synthesizer


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
    """Speaks one reply at a time; a new reply or `stop()` interrupts the last one."""

    def __init__(
        self,
        cfg: Config,
        voice: Synthesizer | None,
        *,
        on_state: Callable[[bool], None] | None = None,
    ) -> None:
        self.cfg = cfg
        self.voice = voice
        self.on_state = on_state  # called with True when speaking starts, False when done
        self.device = device_setting(cfg.speech.output_device)
        self.available = bool(
            voice is not None and cfg.speech.speak_replies and devices.output_available()
        )
        self.problem = "" if self.available else self._why_not()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @classmethod
    def open(cls, cfg: Config, *, on_state: Callable[[bool], None] | None = None) -> Speaker:
        """The configured voice on the speaker; piper is loaded only if it can be heard."""
        voice = None
        if cfg.speech.speak_replies and devices.output_available():
            voice = Synthesizer(cfg)
        return cls(cfg, voice, on_state=on_state)

    def _why_not(self) -> str:
        if self.voice is None or not self.cfg.speech.speak_replies:
            return "speaking is turned off"
        return "no speaker found: replies are shown as text only"

    @property
    def speaking(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def say(self, text: str) -> bool:
        """Start speaking `text` (after stopping whatever was playing); False if no speaker."""
        if not self.available or self.voice is None or not text.strip():
            return False
        with self._lock:
            self.stop()
            self._stop = threading.Event()
            thread = threading.Thread(
                target=self._run, args=(text, self._stop), name="kiosk-speaker", daemon=True
            )
            self._thread = thread
            thread.start()
        return True

    def _run(self, text: str, stop: threading.Event) -> None:
        assert self.voice is not None
        if self.on_state:
            self.on_state(True)
        try:
            chunks = scaled(self.voice.sentences(text, stop), self.cfg.speech.volume)
            devices.play(chunks, self.voice.sample_rate, stop, device=self.device)
        except SpeechError as exc:  # unplugged mid-reply: text only from now on
            self.available = False
            self.problem = exc.message
        finally:
            if self.on_state:
                self.on_state(False)

    def say_and_wait(self, text: str, poll_s: float = 0.05) -> bool:
        """Speak `text` and return when it has been said; False (and `problem` says why)
        when it couldn't be. For `kiosk say` and the console's speaker test."""
        if not self.say(text):
            if not self.problem:
                self.problem = "nothing to say" if not text.strip() else "speaking is turned off"
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

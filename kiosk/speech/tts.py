"""Text to speech with piper, one sentence at a time, numbers read as people say them.

Sentence by sentence so the first sound plays before the whole reply is
synthesized; "$249.99" becomes "249 dollars 99" because that is how a shop
assistant says it, and the voice would otherwise read the symbols.
"""

from __future__ import annotations

import io
import re
import threading
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt

from kiosk import provision
from kiosk.config import Config

_UNITS = {
    "mm": "millimeters",
    "cm": "centimeters",
    "m": "meters",
    "lbs": "pounds",
    "lb": "pounds",
    "oz": "ounces",
    "kg": "kilograms",
    "g": "grams",
    "l": "liters",
    "ft": "feet",
    "in": "inches",
}


def _price(m: re.Match[str]) -> str:
    dollars = m.group(1).replace(",", "")
    cents = m.group(2)
    if cents and int(cents):
        return f"{dollars} dollars {int(cents)}"
    return f"{dollars} dollar" + ("" if dollars == "1" else "s")


def _temperature(m: re.Match[str]) -> str:
    sign, value, unit = m.group(1), m.group(2), m.group(3)
    scale = "Fahrenheit" if unit == "F" else "Celsius"
    return f"{'minus ' if sign == '-' else ''}{value} degrees {scale}"


def speakable(text: str) -> str:
    """The reply as it should be read aloud."""
    text = re.sub(r"\$(\d[\d,]*)(?:\.(\d{2}))?", _price, text)
    text = re.sub(r"(\d+)F to (\d+)F", r"\1 to \2 degrees Fahrenheit", text)
    text = re.sub(r"(-?)(\d+(?:\.\d+)?)°?([FC])\b", _temperature, text)
    text = re.sub(
        r"(\d+(?:\.\d+)?)\s?(mm|cm|lbs|lb|oz|kg|ft)\b",
        lambda m: f"{m.group(1)} {_UNITS[m.group(2)]}",
        text,
    )
    text = re.sub(r"(\d+)-person", r"\1 person", text)
    text = re.sub(r"(\d+)/(\d+)", r"\1 out of \2", text)
    text = re.sub(r"\s*\(\s*", ", ", text)
    text = re.sub(r"\s*\)\s*", ", ", text)
    text = re.sub(r",\s*([.!?;])", r"\1", text)
    return re.sub(r"\s{2,}", " ", re.sub(r",\s*,", ",", text)).strip()


def sentences(text: str) -> list[str]:
    parts = re.split(r"(?<=[.!?;])\s+", text.strip())
    return [p for p in parts if re.search(r"\w", p)]


class Synthesizer:
    """One piper voice, loaded once; one lock around it."""

    def __init__(self, cfg: Config) -> None:
        from piper import PiperVoice

        self.path: Path = provision.resolve(cfg, "tts")
        self.voice = PiperVoice.load(str(self.path))
        self.sample_rate = int(self.voice.config.sample_rate)
        self._lock = threading.Lock()

    def stream(self, text: str) -> Iterator[npt.NDArray[np.int16]]:
        """Audio for each sentence as soon as it is ready."""
        for sentence in sentences(speakable(text)):
            with self._lock:
                chunks = [c.audio_int16_array for c in self.voice.synthesize(sentence)]
            if chunks:
                yield np.concatenate(chunks).astype(np.int16)

    def wav_bytes(self, text: str) -> bytes:
        """A whole reply as WAV, only for an explicit `kiosk say --out FILE`."""
        buf = io.BytesIO()
        with wave.open(buf, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(self.sample_rate)
            for chunk in self.stream(text):
                w.writeframes(chunk.tobytes())
        return buf.getvalue()

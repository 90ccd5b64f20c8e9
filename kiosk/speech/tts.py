"""Text to speech with piper, one sentence at a time, numbers read as people say them.

Sentence by sentence so the first sound plays before the whole reply is
synthesized (piper joe-medium: ~0.1 s for a short sentence on 2 cores); "$249.99"
becomes "249 dollars 99" because that is how a shop assistant says it, and the
voice would otherwise read the symbols. Audio stays in memory: a file is written
only when a technician asks for one (`kiosk say --out FILE.wav`).
"""

from __future__ import annotations

import io
import re
import threading
import wave
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt

from kiosk import models
from kiosk.config import Config
from kiosk.errors import ModelError

Pcm = npt.NDArray[np.int16]

# Unit abbreviations after a number; (singular, plural).
_UNITS: dict[str, tuple[str, str]] = {
    "mm": ("millimeter", "millimeters"),
    "cm": ("centimeter", "centimeters"),
    "m": ("meter", "meters"),
    "km": ("kilometer", "kilometers"),
    "lbs": ("pound", "pounds"),
    "lb": ("pound", "pounds"),
    "oz": ("ounce", "ounces"),
    "kg": ("kilogram", "kilograms"),
    "g": ("gram", "grams"),
    "l": ("liter", "liters"),
    "ml": ("milliliter", "milliliters"),
    "ft": ("foot", "feet"),
    "mph": ("mile per hour", "miles per hour"),
    "mah": ("milliamp hour", "milliamp hours"),
    "w": ("watt", "watts"),
    "v": ("volt", "volts"),
    "btu": ("BTU", "BTUs"),
}
_NUM = r"\d+(?:\.\d+)?"
# A temperature letter right after a number is a code, not a degree, after these.
_CODE_WORDS = re.compile(r"\b(aisle|shelf|bay|row|section|level|zone|size|model)\s*$", re.I)
_ABBREVIATIONS = {
    "e.g.": "for example",
    "i.e.": "that is",
    "approx.": "about",
    "w/": "with ",
    "&": " and ",
}


def _plural_unit(number: str, unit: str) -> str:
    one, many = _UNITS[unit.lower()]
    return f"{number} {one if number == '1' else many}"


def _price(m: re.Match[str]) -> str:
    dollars = m.group(1).replace(",", "")
    cents = int(m.group(2)) if m.group(2) else 0
    if int(dollars) == 0 and cents:
        return f"{cents} cent" + ("" if cents == 1 else "s")
    said = f"{dollars} dollar" + ("" if dollars == "1" else "s")
    if cents >= 10:
        return f"{said} {cents}"
    if cents:
        return f"{said} and {cents} cent" + ("" if cents == 1 else "s")
    return said


def _signed(value: str) -> str:
    return f"minus {value[1:]}" if value.startswith(("-", "\u2212")) else value


def _scale(letter: str) -> str:
    return "Fahrenheit" if letter.upper() == "F" else "Celsius"


def _temperature_range(m: re.Match[str]) -> str:
    low, high, letter = m.group("low"), m.group("high"), m.group("u")
    return f"{_signed(low)} to {_signed(high)} degrees {_scale(letter)}"


def _temperature(m: re.Match[str]) -> str:
    before = m.string[: m.start()]
    if not m.group("deg") and not m.group("value").startswith("-") and _CODE_WORDS.search(before):
        return m.group(0)  # "aisle 4C" is a place, not a temperature
    return f"{_signed(m.group('value'))} degrees {_scale(m.group('unit'))}"


def speakable(text: str) -> str:
    """The reply as it should be read aloud: prices, units, temperatures, ranges.

    Pure and total (any text in, text out), so it is tested case by case.
    """
    for short, said in _ABBREVIATIONS.items():
        text = text.replace(short, said)
    # Prices: "$1,299.00" -> "1299 dollars", "$249.99" -> "249 dollars 99".
    text = re.sub(r"\$\s?(\d[\d,]*)(?:\.(\d{2}))?\b", _price, text)
    # Temperature ranges, the unit said once: "20F to 60F", "-6°C to 15°C", "20 to 60F".
    text = re.sub(
        rf"(?<![\w.])(?P<low>[-\u2212]?{_NUM})\s?°?\s?(?P<u>[FC])\s?(?:to|-|\u2013)\s?"
        rf"(?P<high>[-\u2212]?{_NUM})\s?°?\s?(?P=u)\b",
        _temperature_range,
        text,
    )
    text = re.sub(
        rf"(?<![\w.])(?P<low>[-\u2212]?{_NUM})\s?(?:to|\u2013)\s?"
        rf"(?P<high>[-\u2212]?{_NUM})\s?°?\s?(?P<u>[FC])\b",
        _temperature_range,
        text,
    )
    # Single temperatures: "-6C", "20°F", "15 °C".
    text = re.sub(
        rf"(?<![\w.])(?P<value>[-\u2212]?{_NUM})\s?(?P<deg>°)?\s?(?P<unit>[FC])\b",
        _temperature,
        text,
    )
    text = re.sub(r"(?<=\d)\s?°", " degrees", text)
    # Units: "2000mm" -> "2000 millimeters", "12 lbs" -> "12 pounds", "1 lb" -> "1 pound".
    units = "|".join(sorted(_UNITS, key=len, reverse=True))
    text = re.sub(
        rf"(?<![\w.])({_NUM})\s?({units})\b(?!['\u2019-])",
        lambda m: _plural_unit(m.group(1), m.group(2)),
        text,
        flags=re.IGNORECASE,
    )
    text = re.sub(r"(\d)\s?%", r"\1 percent", text)
    text = re.sub(r"(\d)\s?(?:\"|″|in\.)(?=\s|$|[,;])", r"\1 inches", text)
    text = re.sub(r"(\d+)-(person|man|season|liter|day|pack)\b", r"\1 \2", text, flags=re.I)
    # Ratings "4.5/5" -> "4.5 out of 5"; number ranges "8-12" -> "8 to 12".
    text = re.sub(rf"({_NUM})\s?/\s?(5|10|100)\b", r"\1 out of \2", text)
    text = re.sub(r"(?<![\w.-])(\d{1,3})\s?[-\u2013]\s?(\d{1,3})(?!\.?\d|[\w-])", r"\1 to \2", text)
    # Brackets read as a pause: "(-6C to 15C)" -> ", ... ,".
    text = re.sub(r"\s*\(\s*", ", ", text)
    text = re.sub(r"\s*\)\s*", ", ", text)
    text = re.sub(r"^\s*,\s*", "", text)
    text = re.sub(r",\s*([.!?;:])", r"\1", text)
    text = re.sub(r",\s*,", ",", text)
    text = re.sub(r",\s*$", "", text)
    return re.sub(r"[ \t]{2,}", " ", text).strip()


# The first piece of a reply is cut short at a clause break: the voice starts sooner.
FIRST_CHUNK_CHARS = 40
_SENTENCE_END = re.compile(r"(?<=[.!?;])[\"')\]]*\s+|\n+")
_NO_SPLIT_AFTER = re.compile(r"\b(?:Mr|Mrs|Ms|Dr|St|No|vs|etc|approx|Inc|Ltd|Co)\.$", re.I)


def split_sentences(text: str, max_chars: int = 160, first_chars: int = 0) -> list[str]:
    """Sentences to synthesize one by one; a long one is cut at a comma.

    Piper's first sound waits for its whole first sentence, so a long first
    sentence would delay the reply (DESIGN: measured 80-180 ms for a short one).
    `first_chars` > 0 also cuts the first sentence at its first clause break
    (colon, comma, semicolon) past 12 characters and within that length, so the
    voice starts after "I found 2:" instead of after the whole list.
    """
    parts: list[str] = []
    pending = ""
    for piece in _SENTENCE_END.split(text.strip()):
        piece = piece.strip()
        if not piece:
            continue
        pending = f"{pending} {piece}".strip() if pending else piece
        if _NO_SPLIT_AFTER.search(pending):
            continue  # "St. Louis" is one sentence
        parts.append(pending)
        pending = ""
    if pending:
        parts.append(pending)
    out: list[str] = []
    for sentence in parts:
        while len(sentence) > max_chars:
            cut = sentence.rfind(", ", 0, max_chars)
            if cut < max_chars // 3:
                break
            out.append(sentence[: cut + 1])
            sentence = sentence[cut + 2 :].strip()
        out.append(sentence)
    if first_chars and out and len(out[0]) > first_chars:
        head = re.search(r"[:,;](?=\s)", out[0][12:first_chars])
        if head:
            cut = 12 + head.end()
            out[0:1] = [out[0][:cut], out[0][cut:].strip()]
    return [s for s in out if re.search(r"\w", s)]


def to_wav_bytes(chunks: Iterable[Pcm], sample_rate: int) -> bytes:
    """16-bit mono WAV in memory, for an explicit `--out` file or a test."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        for chunk in chunks:
            w.writeframes(np.asarray(chunk, dtype=np.int16).tobytes())
    return buf.getvalue()


def write_wav(path: Path | str, chunks: Iterable[Pcm], sample_rate: int) -> Path:
    """Write a WAV file; the only place speech audio ever reaches the disk."""
    path = Path(path)
    path.write_bytes(to_wav_bytes(chunks, sample_rate))
    return path


class Synthesizer:
    """One piper voice, loaded once; one lock around it (one ONNX session)."""

    def __init__(self, cfg: Config, path: Path | None = None) -> None:
        # The English voice (`models.tts`) unless a language's voice is given.
        self.path: Path = path or models.resolve(cfg, "tts")  # ModelError passes through
        try:
            from piper import PiperVoice
        except ImportError:
            raise ModelError(
                "speech output needs piper-tts: pip install 'kiosk[speech]'",
                code="speech_not_installed",
            ) from None
        try:
            self.voice = PiperVoice.load(str(self.path))
        except Exception as exc:  # onnxruntime/json errors for a damaged voice
            raise ModelError(
                f"piper voice {self.path} can't be loaded: {type(exc).__name__}: {exc}",
                code="model_unloadable",
            ) from None
        self.sample_rate = int(self.voice.config.sample_rate)
        self._lock = threading.Lock()

    @classmethod
    def for_language(cls, cfg: Config, lang: str) -> Synthesizer | None:
        """The voice `speech.voices` gives `lang` (English: `models.tts`); None: no voice."""
        path = models.resolve_voice(cfg, lang)
        return cls(cfg, path) if path is not None else None

    def sentences(self, text: str, stop: threading.Event | None = None) -> Iterator[Pcm]:
        """int16 audio for each sentence of `text`, each yielded as soon as it is ready.

        `stop` (barge-in) ends the stream before the next sentence is synthesized.
        """
        for sentence in split_sentences(speakable(text), first_chars=FIRST_CHUNK_CHARS):
            if stop is not None and stop.is_set():
                return
            with self._lock:
                chunks = [c.audio_int16_array for c in self.voice.synthesize(sentence)]
            if chunks:
                yield np.concatenate(chunks).astype(np.int16, copy=False)

    def synthesize(self, text: str) -> Pcm:
        """The whole reply as one array (tests, `--out`)."""
        chunks = list(self.sentences(text))
        return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)

    def wav_bytes(self, text: str) -> bytes:
        """A whole reply as WAV, only for an explicit `kiosk say --out FILE`."""
        return to_wav_bytes(self.sentences(text), self.sample_rate)

    def write_wav(self, path: Path | str, text: str) -> Path:
        """A whole reply into a WAV file, only for an explicit `--out`."""
        return write_wav(path, self.sentences(text), self.sample_rate)

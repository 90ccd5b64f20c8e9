"""Speech on the real models and real audio: recorded speech, piper -> whisper loopback."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from kiosk.assistant.assistant import Assistant
from kiosk.assistant.session import Session
from kiosk.catalog.repository import Catalog
from kiosk.config import Config, load
from kiosk.speech.asr import Transcriber
from kiosk.speech.audio import RATE, SpeechError, load_audio, to_16k_mono
from kiosk.speech.tts import Synthesizer, speakable
from tests.conftest import SHARED

SPEECH = SHARED / "data" / "speech"
JFK = (
    "And so my fellow Americans, ask not what your country can do for you, "
    "ask what you can do for your country."
)


def norm(text: str) -> list[str]:
    return re.sub(r"[^a-z0-9 ]", " ", text.lower()).split()


def wer(ref: str, hyp: str) -> float:
    r, h = norm(ref), norm(hyp)
    d = list(range(len(h) + 1))
    for i, rw in enumerate(r, 1):
        prev, d[0] = d[0], i
        for j, hw in enumerate(h, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (rw != hw))
    return d[len(h)] / len(r)


@pytest.fixture(scope="module")
def cfg() -> Config:
    return load(env={})


@pytest.fixture(scope="module")
def ears(cfg: Config) -> Transcriber:
    return Transcriber(cfg)


@pytest.fixture(scope="module")
def voice(cfg: Config) -> Iterator[Synthesizer]:
    yield Synthesizer(cfg)


@pytest.mark.slow
def test_jfk_word_error_rate(ears: Transcriber) -> None:
    heard = ears.transcribe(load_audio(SPEECH / "jfk.flac"))
    error = wer(JFK, heard.text)
    print(f"jfk.flac WER {error:.1%}: {heard.text!r} ({heard.timings_ms})")
    assert error <= 0.05


@pytest.mark.slow
def test_44k_input_is_converted(ears: Transcriber) -> None:
    heard = ears.transcribe(load_audio(SPEECH / "one-two-three.wav"))
    words = " ".join(norm(heard.text))
    assert words in ("one two three", "1 2 3", "123"), heard.text


@pytest.mark.slow
@pytest.mark.parametrize(
    ("request_text", "intent", "product"),
    [
        (
            "Do you have waterproof hiking boots under $100 in size 10?",
            "find_product",
            "TrekReady Hiking Boots",
        ),
        ("Where can I find the Alpine Explorer tent?", "product_location", "Alpine Explorer Tent"),
        (
            "What is the temperature rating of the CozyNights sleeping bag?",
            "product_info",
            "CozyNights Sleeping Bag",
        ),
    ],
)
def test_loopback_request_reaches_the_right_answer(
    ears: Transcriber,
    voice: Synthesizer,
    demo_catalog: Catalog,
    cfg: Config,
    request_text: str,
    intent: str,
    product: str,
) -> None:
    audio = np.concatenate(list(voice.stream(request_text)))
    samples = to_16k_mono(audio, voice.sample_rate)
    vocab = demo_catalog.vocabulary()
    heard = ears.transcribe(samples, hints=vocab["categories"] + vocab["brands"] + vocab["names"])
    print(f"{request_text!r} -> {heard.text!r}")
    reply = Assistant(demo_catalog, cfg).turn(Session(), heard.text)
    assert reply.intent == intent
    assert product in [c.name for c in reply.products]


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["silence", "noise", "tone"])
def test_no_request_is_invented(ears: Transcriber, kind: str) -> None:
    rng = np.random.default_rng(1)
    n = 3 * RATE
    audio = {
        "silence": np.zeros(n),
        "noise": rng.normal(0, 0.01, n),
        "tone": 0.2 * np.sin(2 * np.pi * 440 * np.arange(n) / RATE),
    }[kind].astype(np.float32)
    heard = ears.transcribe(audio)
    assert not heard.is_speech and heard.text == ""


@pytest.mark.slow
def test_speech_comes_sentence_by_sentence(voice: Synthesizer) -> None:
    chunks = list(voice.stream("The tents are in aisle 1. The stoves are in aisle 6."))
    assert len(chunks) == 2 and all(c.size > voice.sample_rate // 2 for c in chunks)


def test_corrupt_and_empty_files_are_clear_errors(tmp_path: Path) -> None:
    bad = tmp_path / "request.wav"
    bad.write_bytes(np.random.default_rng(2).bytes(4000))
    with pytest.raises(SpeechError, match=r"request\.wav"):
        load_audio(bad)
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(SpeechError, match=r"empty\.wav"):
        load_audio(empty)
    with pytest.raises(SpeechError, match=r"missing\.flac"):
        load_audio(tmp_path / "missing.flac")


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("It is $249.99.", "It is 249 dollars 99."),
        ("It is $250.", "It is 250 dollars."),
        (
            "rated 20F to 60F (-6C to 15C).",
            "rated 20 to 60 degrees Fahrenheit, minus 6 degrees Celsius to 15 degrees Celsius.",
        ),
        ("a 2000mm rainfly, 12 lbs", "a 2000 millimeters rainfly, 12 pounds"),
        ("aisle 4, shelf B", "aisle 4, shelf B"),
    ],
)
def test_numbers_read_naturally(text: str, spoken: str) -> None:
    assert speakable(text) == spoken


def test_resampling_keeps_duration() -> None:
    stereo = np.zeros((44100, 2), dtype=np.int16)
    assert to_16k_mono(stereo, 44100).shape == (RATE,)

"""Live listening as far as a machine without a sound card allows, all on real models.

`kiosk listen --file` runs the microphone's own endpointing (streaming Silero VAD)
over a piper recording of several requests, so the hands-free loop is tested end
to end; with no microphone here, the fallback to typing is the real path taken.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from kiosk.config import Config, load
from kiosk.speech import devices
from kiosk.speech.audio import RATE, to_16k_mono
from kiosk.speech.speaker import Speaker, scaled
from kiosk.speech.tts import Synthesizer, write_wav
from tests.conftest import kiosk, steady_speech


@pytest.fixture(scope="module")
def cfg() -> Config:
    return load(env={})


@pytest.fixture(scope="module")
def voice(cfg: Config) -> Synthesizer:
    return Synthesizer(cfg)


def recording(voice: Synthesizer, path: Path, *requests: str, pause_s: float = 1.2) -> Path:
    """Several requests as one recording, with pauses between them as a shopper makes."""
    pause = np.zeros(int(voice.sample_rate * pause_s), dtype=np.int16)
    chunks = [pause]
    for text in requests:
        chunks += [steady_speech(voice, text), pause]
    return write_wav(path, chunks, voice.sample_rate)


@pytest.mark.slow
def test_listen_hears_each_request_in_a_recording(
    tmp_path: Path, demo_db: Path, voice: Synthesizer
) -> None:
    (tmp_path / "catalog.sqlite3").write_bytes(demo_db.read_bytes())
    wav = recording(
        voice,
        tmp_path / "two.wav",
        "Where can I find tents?",
        "Do you have waterproof hiking boots under $100 in size 10?",
    )
    r = kiosk(tmp_path, "listen", "--file", str(wav), "--json", "--no-llm")
    assert r.returncode == 0, r.stderr
    turns = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(turns) == 2, r.stdout
    tents, boots = turns
    assert tents["intent"] == "product_location"
    assert "tents" in tents["heard_as"].lower()
    assert {"Alpine Explorer Tent", "TrailMaster X4 Tent"} <= {p["name"] for p in tents["products"]}
    assert boots["intent"] == "find_product"
    assert [p["name"] for p in boots["products"]] == ["TrekReady Hiking Boots"]
    assert boots["slots"]["max_price_cents"] == 10000
    for turn in turns:
        assert {"vad", "asr", "correct"} <= set(turn["timings_ms"])


def test_no_speech_in_a_recording_asks_nothing(tmp_path: Path, demo_db: Path) -> None:
    (tmp_path / "catalog.sqlite3").write_bytes(demo_db.read_bytes())
    noise = (np.random.default_rng(7).normal(0, 0.02, RATE * 3) * 32767).astype(np.int16)
    wav = write_wav(tmp_path / "noise.wav", [noise], RATE)
    r = kiosk(tmp_path, "listen", "--file", str(wav), "--json", "--no-llm")
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    assert "no speech in the recording" in r.stderr


def test_endpointing_splits_requests_at_pauses(voice: Synthesizer, tmp_path: Path) -> None:
    wav = recording(voice, tmp_path / "three.wav", "Tents.", "Sleeping bags.", "Stoves.")
    from kiosk.speech.audio import load_audio

    audio = load_audio(wav)
    found = list(devices.utterances(audio, silence_ms=700))
    assert len(found) == 3
    single = to_16k_mono(steady_speech(voice, "Sleeping bags."), voice.sample_rate)
    # Each piece holds about one request: its speech plus the padding either side.
    assert abs(found[1].size - single.size) < 0.8 * RATE


@pytest.mark.skipif(devices.input_available(), reason="this machine has a microphone")
def test_no_microphone_says_so_once_and_takes_typing(tmp_path: Path, demo_db: Path) -> None:
    (tmp_path / "catalog.sqlite3").write_bytes(demo_db.read_bytes())
    r = kiosk(tmp_path, "listen", "--json", "--no-llm", stdin="where are the tents?\ncall staff\n")
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    assert r.stderr.count("no microphone") == 1, r.stderr
    assert "type your request" in r.stderr
    intents = [json.loads(line)["intent"] for line in r.stdout.splitlines()]
    assert intents == ["product_location", "call_staff"]


@pytest.mark.skipif(devices.output_available(), reason="this machine has a speaker")
def test_no_speaker_means_text_only(cfg: Config, voice: Synthesizer, tmp_path: Path) -> None:
    speaker = Speaker(cfg, voice)
    assert not speaker.available
    assert "no speaker" in speaker.problem
    assert speaker.say("The tents are in aisle 4.") is False
    assert not speaker.speaking
    r = kiosk(tmp_path, "say", "hello")
    assert r.returncode == 2
    assert "no speaker" in r.stderr and "--out" in r.stderr
    assert "Traceback" not in r.stderr


def test_volume_scales_the_voice(voice: Synthesizer) -> None:
    loud = voice.synthesize("Aisle four.")
    quiet = np.concatenate(list(scaled(iter([loud]), 0.25)))
    assert quiet.dtype == np.int16
    ratio = np.abs(quiet).max() / np.abs(loud).max()
    assert 0.24 < ratio < 0.26
    assert np.array_equal(np.concatenate(list(scaled(iter([loud]), 1.0))), loud)

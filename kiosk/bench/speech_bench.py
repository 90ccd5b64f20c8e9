"""`kiosk bench speech`: ASR and TTS speed, and the voice turn stage by stage.

Medians of a few runs, printed; nothing is asserted. The voice turn is timed
from the end of the recorded speech (the file is complete) to the first
synthesized sentence of the reply.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import numpy as np

from kiosk.assistant.assistant import Assistant
from kiosk.assistant.session import Session
from kiosk.catalog.repository import Catalog
from kiosk.config import Config
from kiosk.speech.asr import Transcriber
from kiosk.speech.audio import RATE, load_audio, to_16k_mono
from kiosk.speech.tts import Synthesizer

SHARED_SPEECH = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "speech"
REQUESTS = [
    "Do you have waterproof hiking boots under $100 in size 10?",
    "Where can I find the sleeping bags?",
    "What is the temperature rating of the CozyNights sleeping bag?",
]


def _med(values: list[float]) -> float:
    return statistics.median(values) * 1000


def run(cfg: Config, *, runs: int = 3) -> int:
    ears, voice = Transcriber(cfg), Synthesizer(cfg)
    clips = {
        p.name: load_audio(p)
        for p in (SHARED_SPEECH / "one-two-three.wav", SHARED_SPEECH / "jfk.flac")
        if p.exists()
    }
    for name, audio in clips.items():
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            ears.transcribe(audio)
            times.append(time.perf_counter() - t)
        seconds = audio.size / RATE
        print(
            f"ASR {name} ({seconds:.1f} s): latency {_med(times):.0f} ms, "
            f"real-time factor {statistics.median(times) / seconds:.2f}"
        )
    for text in ("The tents are in aisle 1.", REQUESTS[0] + " " + REQUESTS[2]):
        first, total = [], []
        for _ in range(runs):
            t = time.perf_counter()
            chunks: list[np.ndarray] = []
            for chunk in voice.stream(text):
                if not chunks:
                    first.append(time.perf_counter() - t)
                chunks.append(chunk)
            total.append(time.perf_counter() - t)
        seconds = sum(c.size for c in chunks) / voice.sample_rate
        print(
            f"TTS {len(text)} chars: first audio {_med(first):.0f} ms, "
            f"real-time factor {statistics.median(total) / seconds:.2f}"
        )
    with Catalog.open(cfg.catalog_path, create=False) as catalog:
        bot = Assistant(catalog, cfg)
        vocab = catalog.vocabulary()
        hints = vocab["categories"] + vocab["brands"] + vocab["names"]
        stages: dict[str, list[float]] = {"asr": [], "turn": [], "tts_first": [], "total": []}
        for text in REQUESTS * runs:
            audio = to_16k_mono(np.concatenate(list(voice.stream(text))), voice.sample_rate)
            t0 = time.perf_counter()
            heard = ears.transcribe(audio, hints=hints)
            t1 = time.perf_counter()
            reply = bot.turn(Session(), heard.text)
            t2 = time.perf_counter()
            next(iter(voice.stream(reply.text)))
            t3 = time.perf_counter()
            for key, value in (
                ("asr", t1 - t0),
                ("turn", t2 - t1),
                ("tts_first", t3 - t2),
                ("total", t3 - t0),
            ):
                stages[key].append(value)
        total = sorted(stages["total"])
        print(
            f"voice turn, end of speech -> first audio: p50 {_med(total):.0f} ms, "
            f"p95 {total[min(len(total) - 1, int(0.95 * len(total)))] * 1000:.0f} ms "
            f"(target < 1200 ms on 2 cores)"
        )
        print(
            "  where the time goes (p50): "
            + ", ".join(f"{k} {_med(v):.0f} ms" for k, v in stages.items() if k != "total")
        )
    return 0

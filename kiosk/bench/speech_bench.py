"""`kiosk bench speech`: ASR and TTS speed stage by stage, and the voice turn.

Medians of a few runs, printed; nothing is asserted. ASR is timed on a 3 s and an
11 s recording (Whisper pads both to 30 s, so they cost about the same): the clips in
tests/data/speech when run from a source checkout, else the same words spoken by the
bundled piper voice (an installed package has no tests/); it prints which. TTS on a
short and a long reply, as time to first audio (what the shopper waits for) and
real-time factor (synthesis time / audio time). The voice turn is timed from the
end of the recorded speech (the file is complete) to the first synthesized
sentence of the reply.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np

from kiosk.bench.figures import pct
from kiosk.config import Config
from kiosk.speech.asr import Transcriber
from kiosk.speech.audio import RATE, Samples, load_audio, to_16k_mono
from kiosk.speech.tts import Synthesizer

# Recorded clips and what is said in them; piper says the same words where they are absent.
CLIPS = {
    "one-two-three.wav": "One, two, three.",
    "jfk.flac": (
        "And so my fellow Americans, ask not what your country can do for you, "
        "ask what you can do for your country."
    ),
}
SHORT_REPLY = "The tents are in aisle 1, shelf B."
LONG_REPLY = (
    "The Alpine Explorer Tent is $249.99 and there are 12 in stock in aisle 4, shelf B. "
    "It sleeps 4, weighs 12 lbs and has a 2000mm rainfly. "
    "For a lighter option, the SkyView 2-Person Tent is $179.99. "
    "Would you like to compare them?"
)
REQUESTS = [
    "Do you have waterproof hiking boots under $100 in size 10?",
    "Where can I find the sleeping bags?",
    "What is the temperature rating of the CozyNights sleeping bag?",
]
T = TypeVar("T")


def _ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def _timed(fn: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def recorded_clips_dir() -> Path | None:
    """tests/data/speech of the source checkout this package runs from, if it is one."""
    root = Path(__file__).resolve().parents[2]  # kiosk/bench/ -> the repo root
    speech = root / "tests" / "data" / "speech"
    if (root / "pyproject.toml").is_file() and all((speech / n).is_file() for n in CLIPS):
        return speech
    return None


def load_clips(voice: Synthesizer) -> dict[str, Samples]:
    """The recorded clips from a source checkout, else piper saying the same words."""
    clips: dict[str, Samples] = {}
    speech = recorded_clips_dir()
    if speech is not None:
        print(f"clips: recorded speech from {speech}")
        for name in CLIPS:
            start = time.perf_counter()
            clips[name] = load_audio(speech / name)
            took = time.perf_counter() - start
            print(f"load {name}: {took * 1000:.0f} ms (decode + resample to 16 kHz)")
        return clips
    print(
        f"clips: no source checkout (tests/data/speech), so the same words synthesized "
        f"by piper {voice.path.name}"
    )
    for name, text in CLIPS.items():
        clips[f"{Path(name).stem} (piper)"] = to_16k_mono(voice.synthesize(text), voice.sample_rate)
    return clips


def asr_figures(ears: Transcriber, clips: dict[str, Samples], runs: int) -> None:
    """Latency, real-time factor and where the time goes, per clip."""
    for name, audio in clips.items():
        seconds = audio.size / RATE
        total, vad, dec = [], [], []
        text = ""
        redone = False
        for _ in range(runs):
            start = time.perf_counter()
            heard = ears.transcribe(audio)
            took = time.perf_counter() - start
            total.append(took)
            vad.append(heard.timings_ms["vad"] / 1000)
            dec.append(heard.timings_ms.get("asr", 0.0) / 1000)
            text = heard.text
            redone = "asr_retry" in heard.timings_ms
        print(
            f"ASR {name} ({seconds:.1f} s): latency {_ms(total):.0f} ms "
            f"(vad {_ms(vad):.0f} + decode {_ms(dec):.0f}), "
            f"real-time factor {statistics.median(total) / seconds:.3f}  {text!r}"
            + ("  [the short window was unsure: redone on the full one]" if redone else "")
        )


def context_figures(ears: Transcriber, voice: Synthesizer, runs: int) -> None:
    """The encoder on a short window vs Whisper's full 30 s, same clips, same run."""
    clips = [to_16k_mono(voice.synthesize(t), voice.sample_rate) for t in REQUESTS]
    configured = ears.context_frames
    times: dict[int, list[float]] = {}
    texts: dict[int, list[str]] = {}
    for frames in (configured, 0):
        ears.context_frames = frames
        for _ in range(runs):
            for audio in clips:
                start = time.perf_counter()
                heard = ears.transcribe(audio)
                times.setdefault(frames, []).append(time.perf_counter() - start)
                texts.setdefault(frames, []).append(heard.text)
    ears.context_frames = configured
    if not configured:
        return
    same = sum(a == b for a, b in zip(texts[configured], texts[0], strict=True))
    print(
        f"ASR window {configured / 100:.0f} s vs 30 s on {len(REQUESTS)} piper requests: "
        f"{_ms(times[configured]):.0f} vs {_ms(times[0]):.0f} ms "
        f"({_ms(times[0]) / _ms(times[configured]):.2f}x faster), "
        f"same text {same}/{len(texts[0])}"
    )


def tts_figures(voice: Synthesizer, runs: int) -> None:
    """Time to first audio and real-time factor for a short and a long reply."""
    for label, text in (("short", SHORT_REPLY), ("long", LONG_REPLY)):
        first, total = [], []
        audio_s = 0.0
        sentences = 0
        for _ in range(runs):
            start = time.perf_counter()
            samples = 0
            sentences = 0
            for chunk in voice.sentences(text):
                if sentences == 0:
                    first.append(time.perf_counter() - start)
                sentences += 1
                samples += chunk.size
            total.append(time.perf_counter() - start)
            audio_s = samples / voice.sample_rate
        print(
            f"TTS {label} reply ({len(text)} chars, {sentences} sentences, {audio_s:.1f} s "
            f"of audio): first audio {_ms(first):.0f} ms, all {_ms(total):.0f} ms, "
            f"real-time factor {statistics.median(total) / audio_s:.3f}"
        )


def voice_turn(cfg: Config, ears: Transcriber, voice: Synthesizer, runs: int) -> None:
    """End of speech -> first audio through the assistant (needs the catalog database)."""
    if not cfg.catalog_path.exists():
        print(f"voice turn: skipped, no catalog at {cfg.catalog_path} (`kiosk import`)")
        return
    from kiosk.assistant.compose import speaks_facts_early
    from kiosk.assistant.pipeline import Assistant
    from kiosk.assistant.session import Session
    from kiosk.catalog.repository import Catalog
    from kiosk.voice.hearing import Hearing

    chat = None
    if cfg.assistant.phrasing != "off" and cfg.llm.backend != "none":
        from kiosk.llm.loader import load_chat_model

        chat = load_chat_model(cfg)
    with Catalog.open(cfg.catalog_path, create=False) as catalog:
        bot = Assistant(catalog, cfg, chat)
        bot.warm()
        print(f"voice turn phrasing: {cfg.assistant.phrasing if chat else 'off (templates)'}")
        hearing = Hearing(bot, ears)  # the kiosk's own hear stage: hints, then corrections
        stages: dict[str, list[float]] = {"asr": [], "facts": [], "tts_first": [], "total": []}
        early = speaks_facts_early(cfg.assistant.phrasing)  # as the voice session does
        for text in REQUESTS * runs:
            audio = to_16k_mono(voice.synthesize(text), voice.sample_rate)
            t0 = time.perf_counter()
            _heard, request = hearing.hear(audio)
            t1 = time.perf_counter()
            # The voice starts on its own thread when the checked facts arrive, while
            # the model (if any) goes on phrasing: the two share the 2 cores, as live.
            marks: dict[str, float] = {}
            threads: list[threading.Thread] = []

            def speak(words: str, marks: dict[str, float] = marks) -> None:
                marks["facts"] = time.perf_counter()
                next(iter(voice.sentences(words)), None)
                marks["audio"] = time.perf_counter()

            def chunk(words: str, threads: list[threading.Thread] = threads) -> None:
                if early and not threads:
                    threads.append(threading.Thread(target=speak, args=(words,)))
                    threads[0].start()

            reply = bot.turn(Session(), request, on_chunk=chunk, spoken=True)
            if threads:
                threads[0].join()
            else:
                speak(reply.text)
            for key, value in (
                ("asr", t1 - t0),
                ("facts", marks["facts"] - t1),
                ("tts_first", marks["audio"] - marks["facts"]),
                ("total", marks["audio"] - t0),
            ):
                stages[key].append(value)
        total = sorted(stages["total"])
        print(
            f"voice turn, end of speech -> first audio: p50 {_ms(total):.0f} ms, "
            f"p95 {pct(total, 0.95) * 1000:.0f} ms "
            f"(target < 1200 ms on 2 cores)"
        )
        print(
            "  where the time goes (p50): "
            + ", ".join(f"{k} {_ms(v):.0f} ms" for k, v in stages.items() if k != "total")
        )


def run(cfg: Config, *, runs: int = 5) -> int:
    """Print the speech figures; 0 when done (a missing model raises ModelError)."""
    ears, load_asr = _timed(lambda: Transcriber(cfg))
    voice, load_tts = _timed(lambda: Synthesizer(cfg))
    print(
        f"models: whisper {ears.path.name} on {ears.device} with {ears.threads} threads "
        f"loaded in {load_asr * 1000:.0f} ms; piper {voice.path.name} in {load_tts * 1000:.0f} ms"
    )
    clips = load_clips(voice)
    ears.transcribe(np.zeros(RATE, np.float32))  # warm the VAD session
    ears.transcribe(next(iter(clips.values())))  # warm the decoder
    asr_figures(ears, clips, runs)
    context_figures(ears, voice, runs)
    tts_figures(voice, runs)
    voice_turn(cfg, ears, voice, max(1, runs // 2))
    return 0

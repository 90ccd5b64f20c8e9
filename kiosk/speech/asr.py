"""Speech to text with faster-whisper, guarded against inventing requests.

Whisper is known to "hear" text in silence and noise, so Silero VAD runs first and
an utterance without speech never reaches the decoder; segments the decoder
itself thinks are not speech are dropped too. Catalog words go in as a prompt so
"tents" is not heard as "tennis".
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from kiosk import provision
from kiosk.config import Config
from kiosk.speech.audio import RATE, Samples

HALLUCINATIONS = frozenset(
    {"thank you.", "thanks for watching!", "thank you for watching.", "you", "bye.", "."}
)


@dataclass(frozen=True)
class Transcript:
    text: str
    is_speech: bool
    duration_s: float
    speech_s: float = 0.0
    no_speech_prob: float = 1.0
    avg_logprob: float = 0.0
    timings_ms: dict[str, float] = field(default_factory=dict)


class Transcriber:
    """One WhisperModel, one lock: the model is not safe to use from two threads at once."""

    def __init__(self, cfg: Config) -> None:
        from faster_whisper import WhisperModel

        self.path = provision.resolve(cfg, "asr")
        threads = cfg.llm.n_threads or os.cpu_count() or 1
        self.model = WhisperModel(
            str(self.path),
            device="cpu",
            compute_type="int8",
            cpu_threads=threads,
            local_files_only=True,
        )
        self._lock = threading.Lock()

    def transcribe(self, audio: Samples, *, hints: Sequence[str] = ()) -> Transcript:
        from faster_whisper.vad import VadOptions, get_speech_timestamps

        duration = audio.size / RATE
        t0 = time.perf_counter()
        spans = get_speech_timestamps(
            audio, VadOptions(threshold=0.5, min_speech_duration_ms=250), sampling_rate=RATE
        )
        speech_s = sum(s["end"] - s["start"] for s in spans) / RATE
        t1 = time.perf_counter()
        timings = {"vad": (t1 - t0) * 1000}
        if not spans:
            return Transcript("", False, duration, 0.0, timings_ms=timings)
        prompt = ", ".join(dict.fromkeys(hints))[:400] if hints else None
        with self._lock:
            segments, _info = self.model.transcribe(
                audio,
                language="en",
                beam_size=1,
                vad_filter=True,
                condition_on_previous_text=False,
                initial_prompt=prompt,
            )
            kept = [s for s in segments if not (s.no_speech_prob > 0.6 and s.avg_logprob < -1.0)]
        timings["asr"] = (time.perf_counter() - t1) * 1000
        text = " ".join(s.text.strip() for s in kept).strip()
        if text.lower() in HALLUCINATIONS and speech_s < 1.0:
            text = ""
        return Transcript(
            text,
            bool(text),
            duration,
            speech_s,
            min((s.no_speech_prob for s in kept), default=1.0),
            (sum(s.avg_logprob for s in kept) / len(kept)) if kept else 0.0,
            timings,
        )

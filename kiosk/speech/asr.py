"""Speech to text with faster-whisper, guarded against inventing requests.

Whisper "hears" text in silence and noise ("Thank you.", "Thanks for watching!"),
so Silero VAD runs first and audio without speech never reaches the decoder;
segments the decoder itself thinks are not speech are dropped, and so are the
known silence phrases when there was hardly any speech. Catalog words go in as
the prompt so "tents" is not heard as "tennis" (see `hints.py`).

Measured on 2 cores (base, int8): every utterance is padded to a 30 s window, so a
3 s request costs about what an 11 s one does: ~0.55 s encoder + ~8 ms a token.
`language="en"` saves the second encoder pass that language detection costs.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kiosk import models
from kiosk.config import Config
from kiosk.errors import ModelError
from kiosk.speech.audio import MAX_REQUEST_S, RATE, Samples, SpeechError
from kiosk.text.language import EN, HAN_CHARS, han_count

# What Whisper writes for silence or noise it was trained on (subtitles), normalized.
HALLUCINATIONS = frozenset(
    {
        "you",
        "thank you",
        "thank you very much",
        "thanks",
        "thanks for watching",
        "thank you for watching",
        "thanks for watching and see you next time",
        "please subscribe",
        "subscribe",
        "bye",
        "okay",
        "oh",
        "so",
        "hmm",
        "um",
        "uh",
        "subtitles by the amara org community",
    }
)
# What Whisper writes in Chinese for silence or noise (subtitle credits, "thanks for
# watching", "like and subscribe"), normalized; believed only from a sure decoder.
ZH_HALLUCINATIONS = frozenset(
    {
        "谢谢观看",
        "谢谢大家",
        "谢谢",
        "感谢观看",
        "请不吝点赞 订阅 转发 打赏支持明镜与点点栏目",
        "字幕由amara org社区提供",
        "字幕志愿者 李宗盛",
    }
)
# Sound annotations Whisper writes instead of words: "[Music]", "(coughs)", "*cough*", "♪".
_ANNOTATION = re.compile(r"\[[^\]]*\]|\([^)]*\)|\*[^*]*\*|[♪♫]+")

# Decoder guards, Whisper's own rule: a segment it thinks is not speech *and* is
# unsure of is dropped.
NO_SPEECH_MAX = 0.6
LOGPROB_MIN = -1.0
# A known silence phrase ("Thank you.") is believed only with this much speech
# behind it and a confident decoder: a spoken "thank you" measured 0.44 s of VAD
# speech, no_speech_prob 0.01, avg_logprob -0.17; a cough the VAD lets through is
# shorter and Whisper is unsure of it.
HALLUCINATION_MIN_SPEECH_S = 0.3
HALLUCINATION_NO_SPEECH = 0.3
HALLUCINATION_LOGPROB = -0.8
# Prompt budget in tokens (Whisper keeps at most 223). Measured on the piper ->
# whisper loopback of 66 shopper requests (demo catalog): no prompt 22 heard exactly,
# 100 tokens 42, 200 tokens 50; latency the same within noise (one batched prefill).
# Full product names help more than name fragments (a 136-token fragment list: 37).
PROMPT_TOKENS = 200
# Output that compresses this well (zlib) is a decoder loop, Whisper's own threshold.
COMPRESSION_MAX = 2.4
# A short-window decode below this average log-probability is redone on the full window.
RETRY_LOGPROB = -0.18
# A transcript made only of the prompt's catalog words ("Tent, TrailWalker Hiking") is
# Whisper reading its prompt back; believed only when the decoder is this sure of it.
# (A shopper saying "tents" is heard with an average log-probability around -0.2.)
ECHO_LOGPROB = -0.5


@dataclass(frozen=True)
class VadSettings:
    """Silero VAD: what counts as speech. Defaults measured on the test clips."""

    threshold: float = 0.5  # speech probability per 32 ms window
    min_speech_ms: int = 250  # shorter bursts (a click, a cough) are not speech
    pad_ms: int = 200  # kept before the first and after the last speech, so no sound is cut


@dataclass(frozen=True)
class Transcript:
    """What was heard. `text` is empty when nothing was said (then `is_speech` is False)."""

    text: str
    language: str = "en"
    no_speech_prob: float = 1.0
    avg_logprob: float = 0.0
    duration_s: float = 0.0
    speech_s: float = 0.0
    timings_ms: dict[str, float] = field(default_factory=dict)
    # How likely Whisper found `language` (among all it knows); 1.0 when it was fixed.
    language_probability: float = 1.0

    @property
    def is_speech(self) -> bool:
        return bool(self.text)


def cpu_cores() -> int:
    """Cores this process may run on (a container or taskset may allow fewer than exist)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def speech_spans(audio: Samples, vad: VadSettings | None = None) -> list[tuple[int, int]]:
    """(start, end) sample indices of speech at 16 kHz (unpadded), by Silero VAD on one thread.

    faster-whisper's VAD session is built with intra/inter-op threads = 1, so an
    always-listening kiosk does not keep every core busy (GLaDOS #187).
    """
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    vad = vad or VadSettings()
    if audio.size == 0:
        return []
    spans = get_speech_timestamps(
        audio,
        VadOptions(
            threshold=vad.threshold,
            min_speech_duration_ms=vad.min_speech_ms,
            speech_pad_ms=0,
            min_silence_duration_ms=500,
        ),
        sampling_rate=RATE,
    )
    return [(int(s["start"]), int(s["end"])) for s in spans]


class Transcriber:
    """One WhisperModel, one lock: the model is not safe to use from two threads at once.

    `device` is "cpu" (int8) or "cuda" (float16); None means `speech.asr_device`. CUDA
    needs the CUDA 12 cuBLAS that CTranslate2's wheel links against, so "cpu" is the
    default even on a GPU machine.
    """

    def __init__(
        self,
        cfg: Config,
        *,
        device: str | None = None,
        threads: int = 0,
        beam_size: int = 1,
        vad: VadSettings | None = None,
        context_s: float | None = None,
    ) -> None:
        device = cfg.speech.asr_device if device is None else device
        if device not in ("cpu", "cuda"):
            raise ModelError(f"ASR device {device!r} is not 'cpu' or 'cuda'", code="asr_device")
        self.path: Path = models.resolve(cfg, "asr")  # ModelError passes through as is
        try:
            import faster_whisper  # noqa: F401
        except ImportError:
            raise ModelError(
                "speech recognition needs faster-whisper: pip install 'kiosk[speech]'",
                code="speech_not_installed",
            ) from None
        context = cfg.speech.asr_context_s if context_s is None else context_s
        self.context_frames = int(context * 100) if 0 < context < 30 else 0
        self.device = device
        self.threads = threads or cpu_cores()
        self.beam_size = beam_size
        self.vad = vad or VadSettings()
        self.languages: tuple[str, ...] = tuple(cfg.speech.languages)
        try:
            self.model = _short_context_model(
                str(self.path),
                device=device,
                compute_type="int8" if device == "cpu" else "float16",
                cpu_threads=self.threads,
                local_files_only=True,
            )
        except (RuntimeError, ValueError, OSError) as exc:
            raise ModelError(
                f"whisper model {self.path} can't be loaded on {device}: {exc}",
                code="model_unloadable",
            ) from None
        self._lock = threading.Lock()
        self._prompts: dict[tuple[str | int, ...], str | None] = {}

    def prompt_for(self, hints: Sequence[str], max_tokens: int = PROMPT_TOKENS) -> str | None:
        """Hints joined into Whisper's prompt, cut at a whole hint within `max_tokens`.

        Hints come most useful first (`hint_words`), so the cut loses the least useful.
        """
        key: tuple[str | int, ...] = (*hints, max_tokens)
        if key in self._prompts:
            return self._prompts[key]
        encode = self.model.hf_tokenizer.encode
        kept: list[str] = []
        for hint in dict.fromkeys(h.strip() for h in hints if h.strip()):
            trial = ", ".join([*kept, hint]) + "."
            if len(encode(" " + trial, add_special_tokens=False).ids) > max_tokens:
                break
            kept.append(hint)
        prompt = ", ".join(kept) + "." if kept else None
        if len(self._prompts) > 32:  # catalogs change rarely; keep the cache small anyway
            self._prompts.clear()
        self._prompts[key] = prompt
        return prompt

    def transcribe(
        self,
        audio: Samples,
        *,
        hints: Sequence[str] | Mapping[str, Sequence[str]] = (),
        hotwords: bool = False,
        languages: Sequence[str] | None = None,
    ) -> Transcript:
        """Text of one utterance (16 kHz mono float32), or an empty Transcript if none.

        `languages` (default `speech.languages`) are those a shopper may speak: one is
        decoded as that language; of several, Whisper's likeliest is chosen for each
        request (`Transcript.language`). `hints` (catalog categories, brands, names)
        become the initial prompt, per language when given as {lang: hints}; or the
        hotwords when `hotwords` is set (measured the same; kept for comparison).
        """
        audio = np.asarray(audio, dtype=np.float32).reshape(-1)
        duration = audio.size / RATE
        t0 = time.perf_counter()
        spans = speech_spans(audio, self.vad)
        speech_s = sum(end - start for start, end in spans) / RATE
        t1 = time.perf_counter()
        timings = {"vad": (t1 - t0) * 1000}
        if not spans:
            return Transcript("", duration_s=duration, timings_ms=timings)
        # Decode only from the first to the last speech (plus a little): leading and
        # trailing silence is where Whisper invents words. It pads to 30 s anyway.
        pad = self.vad.pad_ms * RATE // 1000
        start = max(0, spans[0][0] - pad)
        # At most one request's worth: minutes of audio never cost minutes of decoding.
        end = min(spans[-1][1] + pad, start + int(MAX_REQUEST_S * RATE))
        clip = audio[start:end]
        allowed = tuple(languages or self.languages) or (EN,)
        options: dict[str, Any] = {
            "language": allowed[0],
            "beam_size": self.beam_size,
            "vad_filter": False,  # done above, once
            "condition_on_previous_text": False,
            "without_timestamps": True,
            "temperature": 0.0,  # no sampling fallback: bounded latency, guards below
        }
        # A short request needs little of Whisper's 30 s window: the encoder runs on
        # `context_s` (or the clip, if longer), ~2.3x faster at 15 s on 2 cores. Whisper
        # was trained on full windows: a decode that loops ("Do Do Do ...") or that the
        # decoder itself is unsure of is done again on the full window.
        frames = -(-(clip.size // 160 + 100) // 100) * 100  # the clip and 1 s, in 100s
        short = bool(self.context_frames) and frames < 3000
        options["max_new_tokens"] = min(200, 20 + 12 * int(clip.size / RATE))
        probability = 1.0
        try:
            with self._lock:
                self.model.frames = (
                    max(self.context_frames, -(-frames // 100) * 100) if short else 0
                )
                # Detection's encoder pass serves the decode (one pass, not two).
                self.model.remember = len(allowed) > 1
                self.model._last = None
                if len(allowed) > 1:
                    lang_started = time.perf_counter()
                    options["language"], probability = self._language(clip, allowed)
                    timings["language"] = (time.perf_counter() - lang_started) * 1000
                prompt = self.prompt_for(_hints_for(hints, options["language"]))
                if prompt:
                    options["hotwords" if hotwords else "initial_prompt"] = prompt
                segments, _info = self.model.transcribe(clip, **options)
                decoded = list(segments)  # the generator decodes lazily: stay in the lock
                if short and (_degenerate(decoded) or _unsure(decoded)):
                    timings["asr_retry"] = (time.perf_counter() - t1) * 1000
                    self.model.frames = 0
                    segments, _info = self.model.transcribe(clip, **options)
                    decoded = list(segments)
                if prompt and options["language"] != EN and _derailed(decoded):
                    # Measured on the one real Chinese clip here: a catalog prompt threw
                    # an everyday phrase off (a lone '\ufffd', log-prob -1.3); without it
                    # the phrase was heard (-0.41). English prompts are measured (above).
                    timings["asr_no_prompt"] = (time.perf_counter() - t1) * 1000
                    options.pop("hotwords", None)
                    options.pop("initial_prompt", None)
                    prompt = None
                    segments, _info = self.model.transcribe(clip, **options)
                    decoded = list(segments)
                self.model._last = None
        except RuntimeError as exc:  # CUDA libraries missing at first use, out of memory
            raise SpeechError(f"speech recognition failed: {exc}", code="asr_failed") from None
        timings["asr"] = (time.perf_counter() - t1) * 1000
        kept = [
            s
            for s in decoded
            if not (s.no_speech_prob > NO_SPEECH_MAX and s.avg_logprob < LOGPROB_MIN)
        ]
        text = " ".join(_ANNOTATION.sub(" ", s.text).strip() for s in kept)
        text = re.sub(r"\s{2,}", " ", text).strip()
        if not re.search(r"[A-Za-z0-9]", text) and not han_count(text):
            text = ""
        no_speech = max((s.no_speech_prob for s in kept), default=1.0)
        logprob = (sum(s.avg_logprob for s in kept) / len(kept)) if kept else 0.0
        if prompt and _echoes_prompt(text, prompt) and logprob < ECHO_LOGPROB:
            text = ""  # the catalog's own words read back from noise, without confidence
        if _normal(text) in HALLUCINATIONS and (
            speech_s < HALLUCINATION_MIN_SPEECH_S
            or no_speech > HALLUCINATION_NO_SPEECH
            or logprob < HALLUCINATION_LOGPROB
        ):
            text = ""
        if _normal(text) in ZH_HALLUCINATIONS and (
            no_speech > HALLUCINATION_NO_SPEECH or logprob < HALLUCINATION_LOGPROB
        ):
            text = ""
        return Transcript(
            text, options["language"], no_speech, logprob, duration, speech_s, timings, probability
        )

    def _language(self, clip: Samples, allowed: Sequence[str]) -> tuple[str, float]:
        """The likeliest of `allowed` for this clip, and its probability (among all).

        Whisper's language probabilities come from one encoder pass over the clip's
        features as `transcribe` will make them, so the decode reuses that pass.
        """
        model = self.model
        features = model.feature_extractor(clip)[..., :-1]  # as transcribe cuts them
        _top, _p, probs = model.detect_language(features=features)
        return choose_language(probs, allowed)


def choose_language(
    probs: Sequence[tuple[str, float]], allowed: Sequence[str]
) -> tuple[str, float]:
    """The likeliest language of `allowed` in Whisper's (language, probability) list;
    the first allowed one when Whisper gave none of them any weight."""
    best = max(((p, lang) for lang, p in probs if lang in allowed), default=None)
    return (best[1], best[0]) if best is not None else (allowed[0], 0.0)


def _hints_for(hints: Sequence[str] | Mapping[str, Sequence[str]], lang: str) -> list[str]:
    """The catalog hints for the language being decoded."""
    if isinstance(hints, Mapping):
        return list(hints.get(lang, ()))
    return list(hints) if lang == EN else []


def _echoes_prompt(text: str, prompt: str) -> bool:
    """Every word of the transcript is a word of the prompt (catalog names)."""
    said = set(re.findall(r"[a-z0-9]+", text.lower()))
    return bool(said) and said <= set(re.findall(r"[a-z0-9]+", prompt.lower()))


def _degenerate(segments: Sequence[Any]) -> bool:
    """Output of a decoder stuck in a loop: a word repeated, or text that compresses away."""
    text = " ".join(s.text for s in segments).strip()
    words = text.lower().split()
    if len(words) >= 6 and max(words.count(w) for w in set(words)) > len(words) // 2:
        return True
    return any(s.compression_ratio > COMPRESSION_MAX for s in segments)


def _short_context_model(path: str, **kwargs: Any) -> Any:
    """faster-whisper's model, encoding only the first `frames` mel frames when set.

    faster-whisper always pads the features to Whisper's 30 s (3000 frames); the
    CTranslate2 encoder accepts fewer, and attention over 10 s instead of 30 s is
    where the time goes (measured 105 vs 650 ms for the base encoder on 2 cores).
    """
    from faster_whisper import WhisperModel

    class ShortContextWhisper(WhisperModel):  # type: ignore[misc]
        frames = 0
        # Language detection encodes the clip's first window; the decode that follows
        # encodes the same features again. With `remember` set, the last encoding is
        # reused when the features are the same (compared by digest).
        remember = False
        _last: tuple[bytes, Any] | None = None

        def encode(self, features: Any) -> Any:
            if self.frames:
                features = features[..., : self.frames]
            if not self.remember:
                return super().encode(features)
            digest = (
                hashlib.blake2b(np.ascontiguousarray(features).tobytes(), digest_size=16).digest()
                + str(features.shape).encode()
            )
            if self._last is not None and self._last[0] == digest:
                return self._last[1]
            out = super().encode(features)
            self._last = (digest, out)
            return out

    return ShortContextWhisper(path, **kwargs)


def _derailed(segments: Sequence[Any]) -> bool:
    """A decode the prompt threw off: nothing, a broken character, or a decoder unsure
    of what it wrote."""
    text = "".join(s.text for s in segments).strip()
    scores = [s.avg_logprob for s in segments]
    return not text or "\ufffd" in text or sum(scores) / len(scores) < LOGPROB_MIN


def _unsure(segments: Sequence[Any]) -> bool:
    """A short-window decode less confident than any right one measured.

    On piper requests with catalog names, right short-window decodes scored an average
    log-probability of -0.12 or better, the misheard ones ("AlpineX4 tent" for "Alpine
    Explorer tent") -0.21 to -0.27; the full window heard all of those right.
    """
    scores = [s.avg_logprob for s in segments]
    return bool(scores) and sum(scores) / len(scores) < RETRY_LOGPROB


def _normal(text: str) -> str:
    return " ".join(re.sub(f"[^a-z0-9 {HAN_CHARS}]", " ", text.lower()).split())

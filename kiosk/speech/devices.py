"""Microphone and speaker through sounddevice (PortAudio), and hands-free endpointing.

A kiosk without a sound card, or without libportaudio, must still start: every
function here reports "no device" (False, or SpeechError 'no_microphone' /
'no_speaker') instead of raising whatever sounddevice raises. The endpointing
itself (`Endpointer`: streaming Silero VAD, "the shopper stopped talking") needs no
device, so it is tested on recorded audio.

Half-duplex: call `record_utterance` only while nothing is playing; an open
speaker is otherwise heard by its own microphone (DESIGN: GLaDOS #38, Pipecat #188).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from enum import StrEnum
from types import ModuleType
from typing import Any

import numpy as np

from kiosk.speech.audio import RATE, Samples, SpeechError, resample, to_16k_mono

_WINDOW = 512  # Silero's window at 16 kHz (32 ms)
_CONTEXT = 64  # samples of the previous window it sees


def _sounddevice() -> ModuleType | None:
    """sounddevice, or None when PortAudio is missing (it raises OSError on import)."""
    try:
        import sounddevice
    except (OSError, ImportError):
        return None
    module: ModuleType = sounddevice
    return module


def _has_device(kind: str) -> bool:
    sd = _sounddevice()
    if sd is None:
        return False
    try:
        info = sd.query_devices(kind=kind)
    except Exception:  # PortAudioError (no device), ValueError: never crash the kiosk
        return False
    key = "max_input_channels" if kind == "input" else "max_output_channels"
    return bool(info) and int(info.get(key, 0)) > 0


def input_available() -> bool:
    """Is there a microphone PortAudio can open?"""
    return _has_device("input")


def output_available() -> bool:
    """Is there a speaker PortAudio can open?"""
    return _has_device("output")


def describe() -> str:
    """One line for the technician: the default microphone and speaker, or why none."""
    sd = _sounddevice()
    if sd is None:
        return (
            "PortAudio is not installed (apt-get install libportaudio2): no microphone, no speaker"
        )
    try:
        found = list(sd.query_devices())
    except Exception as exc:  # PortAudioError: the host API itself failed
        return f"audio devices can't be listed: {exc}"
    if not found:
        return "no audio devices (no sound card found)"
    mics = [d["name"] for d in found if int(d.get("max_input_channels", 0)) > 0]
    speakers = [d["name"] for d in found if int(d.get("max_output_channels", 0)) > 0]
    return f"microphones: {', '.join(mics) or 'none'}; speakers: {', '.join(speakers) or 'none'}"


def play(
    chunks: Iterable[np.ndarray],
    sample_rate: int,
    stop_event: threading.Event | None = None,
    *,
    device: int | str | None = None,
    block_ms: int = 50,
) -> bool:
    """Play int16 (or float) mono chunks as they come; True if played to the end.

    Written in `block_ms` blocks and checked between them, so setting `stop_event`
    (a touch, push-to-talk: barge-in) silences the speaker within ~50 ms; the
    stream is aborted, dropping what PortAudio had buffered.
    """
    sd = _sounddevice()
    if sd is None or not output_available():
        raise SpeechError("no audio output device (speaker) found", code="no_speaker")
    stop = stop_event or threading.Event()
    block = max(1, sample_rate * block_ms // 1000)
    try:
        stream = sd.OutputStream(samplerate=sample_rate, channels=1, dtype="int16", device=device)
    except Exception as exc:
        raise SpeechError(f"the speaker can't be opened: {exc}", code="no_speaker") from None
    finished = True
    with stream:
        for chunk in chunks:
            data = np.asarray(chunk)
            if data.dtype != np.int16:
                data = (np.clip(data, -1.0, 1.0) * 32767).astype(np.int16)
            for start in range(0, data.size, block):
                if stop.is_set():
                    finished = False
                    break
                stream.write(data[start : start + block].reshape(-1, 1))
            if stop.is_set():
                finished = False
                break
        if finished:
            return True
        stream.abort()
    return False


class Heard(StrEnum):
    """Where an utterance stands after the audio fed so far."""

    WAITING = "waiting"  # no speech yet
    SPEAKING = "speaking"
    DONE = "done"  # speech, then `silence_ms` of silence (or `max_s` reached)
    TIMEOUT = "timeout"  # no speech within `start_timeout_s`


class Endpointer:
    """Streaming Silero VAD over 16 kHz audio: says when the shopper has finished.

    Feed blocks of any size; the model runs on whole 32 ms windows with its state
    carried over (identical to the one-shot `get_speech_timestamps` probabilities),
    on faster-whisper's single-threaded ONNX session.
    """

    def __init__(
        self,
        *,
        silence_ms: int = 700,
        threshold: float = 0.5,
        min_speech_ms: int = 250,
        max_s: float = 15.0,
        start_timeout_s: float = 8.0,
        pre_roll_ms: int = 300,
    ) -> None:
        from faster_whisper.vad import get_vad_model

        self._session: Any = get_vad_model().session
        self.silence_ms = silence_ms
        self.threshold = threshold
        self.neg_threshold = max(threshold - 0.15, 0.01)  # Silero's hysteresis
        self.min_speech_windows = max(1, min_speech_ms * RATE // 1000 // _WINDOW)
        self.max_samples = int(max_s * RATE)
        self.start_timeout = int(start_timeout_s * RATE)
        self.pre_roll = pre_roll_ms * RATE // 1000
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(_CONTEXT, dtype=np.float32)
        self._pending = np.zeros(0, dtype=np.float32)
        self._chunks: list[Samples] = []
        self._seen = 0  # samples fed through the model
        self._run = 0  # consecutive speech windows
        self._quiet = 0  # samples of silence since the last speech
        self._start: int | None = None  # sample where speech began
        self._end = 0
        self.state = Heard.WAITING

    def feed(self, samples: Samples) -> Heard:
        """Add 16 kHz mono float32 audio; returns the state after it."""
        if self.state in (Heard.DONE, Heard.TIMEOUT):
            return self.state
        data = np.asarray(samples, dtype=np.float32).reshape(-1)
        self._chunks.append(data)
        self._pending = np.concatenate([self._pending, data])
        n = self._pending.size // _WINDOW
        if n == 0:
            return self.state
        windows = self._pending[: n * _WINDOW].reshape(n, _WINDOW)
        self._pending = self._pending[n * _WINDOW :]
        batch = np.empty((n, _CONTEXT + _WINDOW), dtype=np.float32)
        context = self._context
        for k in range(n):
            batch[k, :_CONTEXT] = context
            batch[k, _CONTEXT:] = windows[k]
            context = windows[k, -_CONTEXT:]
        self._context = context.copy()
        probs, self._h, self._c = self._session.run(
            None, {"input": batch, "h": self._h, "c": self._c}
        )
        for p in np.asarray(probs).reshape(-1):
            self._step(float(p))
            if self.state in (Heard.DONE, Heard.TIMEOUT):
                break
        return self.state

    def _step(self, prob: float) -> None:
        at = self._seen
        self._seen += _WINDOW
        speaking = prob >= self.threshold or (self._run > 0 and prob >= self.neg_threshold)
        if self._start is None:
            self._run = self._run + 1 if speaking else 0
            if self._run >= self.min_speech_windows:
                self._start = at - (self._run - 1) * _WINDOW
                self._end = self._seen
                self.state = Heard.SPEAKING
            elif self._seen >= self.start_timeout:
                self.state = Heard.TIMEOUT
            return
        if speaking:
            self._run += 1
            self._quiet = 0
            self._end = self._seen
        else:
            self._run = 0
            self._quiet += _WINDOW
            if self._quiet * 1000 >= self.silence_ms * RATE:
                self.state = Heard.DONE
        if self._seen - self._start >= self.max_samples:
            self.state = Heard.DONE

    def span(self) -> tuple[int, int] | None:
        """(start, end) of the utterance in the samples fed, with `pre_roll_ms` each side."""
        if self._start is None:
            return None
        return max(0, self._start - self.pre_roll), self._end + self.pre_roll

    def audio(self) -> Samples:
        """The utterance: from a little before speech began to a little after it ended."""
        span = self.span()
        if span is None or not self._chunks:
            return np.zeros(0, dtype=np.float32)
        return np.concatenate(self._chunks)[span[0] : span[1]]


def record_utterance(
    *,
    silence_ms: int = 700,
    max_s: float = 15.0,
    start_timeout_s: float = 8.0,
    device: int | str | None = None,
    stop_event: threading.Event | None = None,
    on_speech: Callable[[], None] | None = None,
) -> Samples:
    """Listen until the shopper has spoken and then been quiet for `silence_ms`.

    Returns 16 kHz mono float32 (empty if nobody spoke before `start_timeout_s`
    or `stop_event` was set). `on_speech` is called once when speech starts (the
    state shows "listening", and with an echo-cancelling microphone the kiosk's
    voice stops: barge-in). No microphone: SpeechError 'no_microphone'.
    """
    sd = _sounddevice()
    if sd is None or not input_available():
        raise SpeechError(
            "no microphone found (no audio input device, or PortAudio is not installed); "
            "type the request instead",
            code="no_microphone",
        )
    info = sd.query_devices(device, kind="input")
    rate = int(info["default_samplerate"]) or RATE
    ears = Endpointer(silence_ms=silence_ms, max_s=max_s, start_timeout_s=start_timeout_s)
    raw: list[np.ndarray] = []
    stop = stop_event or threading.Event()
    try:
        with sd.InputStream(
            samplerate=rate, channels=1, dtype="float32", device=device, blocksize=rate // 10
        ) as stream:
            while not stop.is_set():
                block, _overflowed = stream.read(rate // 10)
                raw.append(np.asarray(block, dtype=np.float32).reshape(-1))
                # The VAD hears each block resampled on its own (edges don't matter to
                # it); the shopper's words are resampled once, whole, below.
                state = ears.feed(resample(raw[-1], rate, RATE))
                if state is Heard.SPEAKING and on_speech is not None:
                    on_speech()
                    on_speech = None
                if state in (Heard.DONE, Heard.TIMEOUT):
                    break
    except SpeechError:
        raise
    except Exception as exc:  # PortAudioError mid-stream: device unplugged
        raise SpeechError(f"the microphone stopped: {exc}", code="no_microphone") from None
    span = ears.span()
    if span is None:
        return np.zeros(0, dtype=np.float32)
    return to_16k_mono(np.concatenate(raw), rate)[span[0] : span[1]]


def utterances(
    audio: Samples,
    *,
    silence_ms: int = 700,
    max_s: float = 15.0,
    block_s: float = 0.1,
) -> Iterator[Samples]:
    """Each request in a 16 kHz recording, found as the live microphone would find them.

    The audio goes through `Endpointer` in microphone-sized blocks, so a file with
    several requests separated by pauses is heard as several turns (`kiosk listen
    --file`), by exactly the code that ends an utterance on a live microphone.
    """
    block = max(1, int(block_s * RATE))
    start = 0
    while start < audio.size:
        ears = Endpointer(silence_ms=silence_ms, max_s=max_s, start_timeout_s=1e9)
        fed = start
        state = Heard.WAITING
        while fed < audio.size and state is not Heard.DONE:
            state = ears.feed(audio[fed : fed + block])
            fed += block
        span = ears.span()
        if span is None:
            return
        yield audio[start + span[0] : start + span[1]]
        start = fed

"""Audio in: any file, rate or channel count becomes 16 kHz mono float32, the one format ASR takes.

Files are decoded by PyAV through faster-whisper (WAV, FLAC, MP3 and whatever else
FFmpeg reads) and never written anywhere. Live input (a microphone at 44.1 or 48 kHz,
stereo, int16) goes through `to_16k_mono`, a numpy-only band-limited resampler, so
the speech extra needs no scipy.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from kiosk.errors import KioskError

RATE = 16_000
# What a shopper says fits in this: a request's speech is cut here, so neither a long
# recording nor minutes of noise cost more than one Whisper window of time or memory.
MAX_REQUEST_S = 30.0
Samples = npt.NDArray[np.float32]

# Band-limited interpolation: a Kaiser-windowed sinc, 16 zero crossings each side.
_HALF_TAPS = 16
_KAISER_BETA = 8.6
_MAX_PHASES = 4_096  # beyond this the nearest phase is used (under 0.01 % of a sample off)
_BLOCK = 8_192  # output samples per vectorized block: bounds memory to a few MB


class SpeechError(KioskError):
    """Audio that can't be used: missing, empty, unreadable, or no device."""

    code = "speech_error"


def load_audio(path: Path | str, *, max_s: float | None = None) -> Samples:
    """WAV, FLAC or MP3 at any rate and channel count -> 16 kHz mono float32.

    `max_s`: decode at most this many seconds (the rest of the file is never read
    into memory). Every way a file can be unusable is a SpeechError naming the file,
    so `kiosk ask --audio` prints one line instead of an FFmpeg traceback.
    """
    path = Path(path)
    if not path.exists():
        raise SpeechError(f"audio file {path} does not exist", code="audio_missing")
    if not path.is_file():
        raise SpeechError(f"audio file {path} is not a file", code="audio_unreadable")
    if path.stat().st_size == 0:
        raise SpeechError(f"audio file {path} is empty (0 bytes)", code="audio_empty")
    try:
        data = _decode(path, None if max_s is None else int(max_s * RATE))
    except SpeechError:
        raise
    except Exception as exc:  # PyAV raises many error types (InvalidDataError, ValueError...)
        raise SpeechError(
            f"audio file {path} can't be read as WAV, FLAC or MP3 "
            f"({type(exc).__name__}: {str(exc).strip() or 'no detail'})",
            code="audio_unreadable",
        ) from None
    if data.size == 0:
        raise SpeechError(f"audio file {path} holds no sound (0 samples)", code="audio_empty")
    return data


def _decode(path: Path, limit: int | None) -> Samples:
    """16 kHz mono samples of the file, at most `limit` of them, decoded as they stream."""
    import av

    chunks: list[npt.NDArray[np.float32]] = []
    total = 0
    with av.open(str(path), metadata_errors="ignore") as container:
        if not container.streams.audio:
            raise SpeechError(f"audio file {path} has no audio stream", code="audio_unreadable")
        resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
        frames = container.decode(container.streams.audio[0])
        for frame in _with_flush(frames):
            for out in resampler.resample(frame):
                chunk = out.to_ndarray().reshape(-1).astype(np.float32) / 32768.0
                chunks.append(chunk)
                total += chunk.size
            if limit is not None and total >= limit:
                break
    data = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)
    return data[:limit] if limit is not None else data


def _with_flush(frames: Iterator[Any]) -> Iterator[Any]:
    """The decoded frames, then None: the resampler's own buffered tail comes out last."""
    yield from frames
    yield None


def _as_float(data: npt.NDArray[np.generic]) -> Samples:
    """PCM integers -> [-1, 1) floats; floats pass through."""
    if data.dtype == np.int16:
        return (data.astype(np.float32) / 32768.0).astype(np.float32)
    if data.dtype == np.int32:
        return (data.astype(np.float64) / 2147483648.0).astype(np.float32)
    if data.dtype == np.uint8:
        return ((data.astype(np.float32) - 128.0) / 128.0).astype(np.float32)
    if np.issubdtype(data.dtype, np.floating):
        return data.astype(np.float32)
    raise SpeechError(f"audio samples of type {data.dtype} are not supported", code="audio_format")


def to_16k_mono(
    samples: npt.NDArray[np.generic], rate: int, channels: int | None = None
) -> Samples:
    """Any rate, int16/int32/uint8/float, mono or multichannel -> 16 kHz mono float32.

    `samples` is (frames,), (frames, channels), or interleaved (frames * channels,)
    when `channels` > 1 is given. Channels are averaged.
    """
    if rate <= 0:
        raise SpeechError(f"sample rate {rate} is not valid", code="audio_format")
    data = _as_float(np.asarray(samples))
    if data.ndim == 1 and channels and channels > 1:
        if data.size % channels:
            raise SpeechError(
                f"{data.size} samples can't be split into {channels} channels",
                code="audio_format",
            )
        data = data.reshape(-1, channels)
    if data.ndim == 2:
        data = data.mean(axis=1, dtype=np.float32)
    elif data.ndim != 1:
        raise SpeechError(f"audio of shape {data.shape} is not (frames, channels)")
    return resample(data, rate, RATE)


def resample(data: Samples, rate_in: int, rate_out: int) -> Samples:
    """Band-limited (windowed-sinc) resampling of mono float32 at any rate ratio.

    Each output sample is a weighted sum of the input samples around its position,
    weighted by a Kaiser-windowed sinc whose cutoff sits just below the lower Nyquist
    frequency, so downsampling 44.1 kHz to 16 kHz does not fold hiss into speech.
    Polyphase: the ratio is rational (44100 -> 16000 is 441:160), so only that many
    distinct filters exist; they are computed once per call, not per sample.
    """
    data = np.ascontiguousarray(data, dtype=np.float32)
    if rate_in == rate_out or data.size == 0:
        return data
    g = math.gcd(rate_in, rate_out)
    up, down = rate_out // g, rate_in // g  # output n sits at input n * down / up
    cutoff = 0.97 * min(1.0, up / down)  # in units of the input Nyquist frequency
    reach = _HALF_TAPS / cutoff  # the filter spans the same number of zero crossings
    half = math.ceil(reach)
    taps = np.arange(-half + 1, half + 1)
    n_out = max(1, (data.size * up) // down)
    padded = np.concatenate([np.zeros(half, np.float32), data, np.zeros(half + 1, np.float32)])
    phases = min(up, _MAX_PHASES)
    frac = np.arange(phases) / phases  # fractional input position of each phase
    dist = frac[:, None] - taps[None, :]
    ratio = np.clip(dist / reach, -1.0, 1.0)
    window = np.i0(_KAISER_BETA * np.sqrt(1.0 - ratio * ratio)) / np.i0(_KAISER_BETA)
    table = (cutoff * np.sinc(cutoff * dist) * window).astype(np.float32)
    out = np.empty(n_out, dtype=np.float32)
    for start in range(0, n_out, _BLOCK):
        n = np.arange(start, min(n_out, start + _BLOCK), dtype=np.int64)
        base = (n * down) // up
        # Exact phase for ordinary rates; the nearest of _MAX_PHASES for odd ones.
        phase = ((n * down) % up) * phases // up
        idx = base[:, None] + taps[None, :] + half
        out[start : start + n.size] = np.einsum("ij,ij->i", padded[idx], table[phase])
    return out


def duration_s(samples: Samples) -> float:
    """Seconds of 16 kHz audio."""
    return float(samples.size) / RATE

"""Audio in: any file or rate becomes 16 kHz mono float32, the one format ASR takes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from kiosk.errors import KioskError

RATE = 16_000
Samples = npt.NDArray[np.float32]


class SpeechError(KioskError):
    """Audio that can't be used: missing, empty, unreadable, or no device."""

    code = "speech_error"


def load_audio(path: Path | str) -> Samples:
    """WAV, FLAC or MP3 (decoded by PyAV through faster-whisper) at 16 kHz mono."""
    path = Path(path)
    if not path.is_file():
        raise SpeechError(f"audio file {path} does not exist", code="audio_missing")
    if path.stat().st_size == 0:
        raise SpeechError(f"audio file {path} is empty", code="audio_empty")
    from faster_whisper.audio import decode_audio

    try:
        samples = decode_audio(str(path), sampling_rate=RATE)
    except Exception as exc:  # PyAV raises many error types for a bad file
        raise SpeechError(
            f"audio file {path} can't be read as WAV, FLAC or MP3 ({type(exc).__name__})",
            code="audio_unreadable",
        ) from None
    if samples.size == 0:
        raise SpeechError(f"audio file {path} holds no sound", code="audio_empty")
    return np.asarray(samples, dtype=np.float32)


def to_16k_mono(samples: npt.NDArray[np.generic], rate: int) -> Samples:
    """Any rate, int16 or float, mono or (frames, channels) -> 16 kHz mono float32."""
    data = np.asarray(samples)
    if data.dtype == np.int16:
        data = data.astype(np.float32) / 32768.0
    data = data.astype(np.float32)
    if data.ndim == 2:
        data = data.mean(axis=1)
    if rate == RATE or data.size == 0:
        return data
    # Linear interpolation after a short moving-average low-pass: enough for speech
    # recognition, and numpy only.
    if rate > RATE:
        width = max(1, round(rate / RATE))
        data = np.convolve(data, np.ones(width, dtype=np.float32) / width, mode="same")
    n = round(data.size * RATE / rate)
    positions = np.linspace(0, data.size - 1, n)
    return np.interp(positions, np.arange(data.size), data).astype(np.float32)

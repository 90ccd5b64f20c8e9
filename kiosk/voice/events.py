"""What a voice session reports, as plain values a screen or a terminal can show.

Events are delivered on the thread that runs the turn (a worker); the shopper
screen posts them to its event loop as Textual messages, `kiosk listen` prints them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from kiosk.assistant.reply import Reply


class VoiceState(StrEnum):
    READY = "ready"
    LISTENING = "listening"
    THINKING = "thinking"
    SPEAKING = "speaking"


@dataclass(frozen=True)
class StateChanged:
    state: VoiceState


@dataclass(frozen=True)
class Heard:
    """What the shopper said, as soon as it is transcribed (before the answer), and the
    language Whisper heard it in ('en', 'zh')."""

    transcript: str
    lang: str = "en"


@dataclass(frozen=True)
class ReplyText:
    """The reply's checked text so far: the facts first, the model's phrasing after."""

    text: str


@dataclass(frozen=True)
class Replied:
    """The turn is done: the whole reply (text, cards, timings)."""

    reply: Reply


@dataclass(frozen=True)
class MicrophoneLost:
    """The microphone is missing or failed; the kiosk goes on typed."""

    problem: str


VoiceEvent = StateChanged | Heard | ReplyText | Replied | MicrophoneLost
OnEvent = Callable[[VoiceEvent], None]

"""The voice session on the real models: events in order, early speech, fallbacks.

Speech is piper's steady rendering of a request, heard by the bundled Whisper; no
speaker or microphone exists here, so those paths are tested as far as "none".
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from kiosk.assistant.pipeline import Assistant
from kiosk.catalog.repository import Catalog
from kiosk.config import Config, load
from kiosk.speech import devices
from kiosk.speech.audio import RATE, to_16k_mono
from kiosk.speech.tts import Synthesizer
from kiosk.voice.events import (
    Heard,
    MicrophoneLost,
    Replied,
    ReplyText,
    StateChanged,
    VoiceEvent,
    VoiceState,
)
from kiosk.voice.hearing import NOT_HEARD, Hearing
from kiosk.voice.session import VoiceSession
from tests.conftest import steady_speech


@pytest.fixture(scope="module")
def cfg() -> Config:
    return load(env={"KIOSK_ASSISTANT_PHRASING": "off"})


@pytest.fixture(scope="module")
def piper(cfg: Config) -> Synthesizer:
    return Synthesizer(cfg)


@pytest.fixture
def bot(demo_catalog: Catalog, cfg: Config) -> Iterator[Assistant]:
    yield Assistant(demo_catalog, cfg)


def _kinds(events: list[VoiceEvent]) -> list[str]:
    return [type(e).__name__ for e in events]


def test_a_typed_turn_reports_thinking_text_reply_ready(bot: Assistant) -> None:
    events: list[VoiceEvent] = []
    voice = VoiceSession(bot, on_event=events.append)
    reply = voice.typed("where are the tents?")
    assert reply.intent == "product_location"
    assert events[0] == StateChanged(VoiceState.THINKING)
    texts = [e.text for e in events if isinstance(e, ReplyText)]
    assert texts and texts[0] == reply.text, "the checked facts are the first text"
    replied = [e for e in events if isinstance(e, Replied)]
    assert len(replied) == 1 and replied[0].reply is reply
    assert events[-1] == StateChanged(VoiceState.READY), "no speaker: ready, not speaking"
    assert voice.session.turns == 1


@pytest.mark.slow
def test_a_spoken_turn_is_heard_then_answered(bot: Assistant, piper: Synthesizer) -> None:
    events: list[VoiceEvent] = []
    voice = VoiceSession(bot, hearing=Hearing.open(bot), on_event=events.append)
    audio = to_16k_mono(steady_speech(piper, "Where can I find tents?"), piper.sample_rate)
    reply = voice.spoken(audio)
    kinds = _kinds(events)
    assert kinds.index("Heard") < kinds.index("ReplyText") < kinds.index("Replied")
    heard = next(e for e in events if isinstance(e, Heard))
    assert "tent" in heard.transcript.lower()
    assert reply.intent == "product_location" and "tents" in (reply.heard_as or "").lower()
    assert {"vad", "asr", "correct", "hear", "understand", "act"} <= set(reply.timings_ms)


@pytest.mark.slow
def test_silence_is_not_a_request(bot: Assistant) -> None:
    events: list[VoiceEvent] = []
    voice = VoiceSession(bot, hearing=Hearing.open(bot), on_event=events.append)
    reply = voice.spoken(np.zeros(RATE * 2, dtype=np.float32))
    assert reply.text == NOT_HEARD and reply.transcript == ""
    assert not any(isinstance(e, Heard) for e in events)
    assert voice.session.turns == 0, "nothing was asked"


@pytest.mark.skipif(devices.input_available(), reason="this machine has a microphone")
def test_no_microphone_is_reported_once_and_typing_goes_on(bot: Assistant) -> None:
    events: list[VoiceEvent] = []
    voice = VoiceSession(bot, on_event=events.append)
    voice.open_speech()
    assert not voice.microphone and any("microphone" in p for p in voice.problems)
    assert voice.listen_once() is None
    lost = [e for e in events if isinstance(e, MicrophoneLost)]
    assert len(lost) == 1
    voice.listen(hands_free=True)  # returns at once: nothing to listen with
    assert len([e for e in events if isinstance(e, MicrophoneLost)]) == 1, "said once"
    assert voice.typed("call staff").intent == "call_staff"


@pytest.mark.skipif(devices.output_available(), reason="this machine has a speaker")
def test_without_a_speaker_replies_are_text_only(bot: Assistant) -> None:
    voice = VoiceSession(bot)
    voice.open_speech(listen=False)
    assert voice.speaker is not None and not voice.speaker.available
    assert not voice.speaking
    assert voice.typed("show me tents").products
    assert not voice.speaking
    voice.barge_in()  # nothing to stop: no error
    voice.close()

"""Speech in the shopper's language: Whisper picks it per request from `speech.languages`,
catalog hints follow it, and a reply is spoken only by its own language's voice.

English audio: jfk.flac, one-two-three.wav and piper. No Chinese recording can be had
offline here (no Chinese voice ships in a PyPI wheel; espeak-ng's Mandarin comes out
as tone digits, which Whisper hears as English numbers), so the choice among the
store's languages is tested on the real model's probabilities for English audio, and
a Chinese spoken turn's plumbing with a stand-in transcriber that says so.
"""

from __future__ import annotations

import csv
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from kiosk import models
from kiosk.assistant.pipeline import Assistant
from kiosk.catalog.repository import Catalog
from kiosk.config import Config, load
from kiosk.ops.doctor import check_voices
from kiosk.speech import devices
from kiosk.speech.asr import Transcriber, Transcript, choose_language
from kiosk.speech.audio import load_audio
from kiosk.speech.speaker import Speaker
from kiosk.speech.tts import Synthesizer
from kiosk.text.language import EN, ZH, han_count
from kiosk.voice.events import Heard, VoiceEvent
from kiosk.voice.hearing import Hearing
from kiosk.voice.session import VoiceSession
from tests.conftest import DATA, ROOT

SPEECH = DATA / "speech"
JFK = (
    "and so my fellow americans ask not what your country can do for you "
    "ask what you can do for your country"
)


def add_chinese_names(catalog: Catalog) -> None:
    """The demo store's Chinese names and categories (kiosk/demo/translations-zh.csv),
    written straight into `translations` (importing them is the importer's work)."""
    with open(ROOT / "kiosk" / "demo" / "translations-zh.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    with catalog.conn:
        for row in rows:
            for field in ("name", "category"):
                catalog.conn.execute(
                    "INSERT OR REPLACE INTO translations (product_id, lang, field, text) "
                    "VALUES (?, 'zh', ?, ?)",
                    (row["id"], field, row[f"{field}_zh"]),
                )


@pytest.fixture(scope="module")
def cfg() -> Config:
    return load(env={"KIOSK_ASSISTANT_PHRASING": "off"})


@pytest.fixture(scope="module")
def ears(cfg: Config) -> Transcriber:
    return Transcriber(cfg)


@pytest.fixture
def bot(demo_catalog: Catalog, cfg: Config) -> Iterator[Assistant]:
    add_chinese_names(demo_catalog)
    yield Assistant(demo_catalog, cfg)


def _words(text: str) -> list[str]:
    return "".join(c if c.isalnum() else " " for c in text.lower()).split()


def test_the_default_languages_are_english_and_chinese(cfg: Config) -> None:
    assert cfg.speech.languages == (EN, ZH)


@pytest.mark.slow
@pytest.mark.parametrize("languages", [(EN,), (EN, ZH)])
def test_english_is_heard_right_with_or_without_chinese(
    ears: Transcriber, languages: tuple[str, ...]
) -> None:
    heard = ears.transcribe(load_audio(SPEECH / "jfk.flac"), languages=languages)
    assert heard.language == EN
    assert _words(heard.text) == JFK.split()
    one = ears.transcribe(load_audio(SPEECH / "one-two-three.wav"), languages=languages)
    assert one.language == EN and _words(one.text) in (["1", "2", "3"], ["one", "two", "three"])


@pytest.mark.slow
def test_the_choice_on_the_real_models_probabilities(ears: Transcriber) -> None:
    """Whisper's own ranking of real English speech, restricted to the store's languages."""
    features = ears.model.feature_extractor(load_audio(SPEECH / "jfk.flac"))[..., :-1]
    _lang, _p, probs = ears.model.detect_language(features=features)
    assert probs[0][0] == EN
    assert choose_language(probs, (EN, ZH))[0] == EN
    assert choose_language(probs, (ZH, EN))[0] == EN, "order doesn't decide, odds do"
    assert choose_language(probs, (ZH,))[0] == ZH  # one language allowed: that one
    # A language Whisper ranks below the top one is still chosen among the allowed.
    second = probs[1][0]
    assert choose_language(probs, (second, "xx"))[0] == second


def test_choose_language_picks_the_likeliest_allowed() -> None:
    probs = [("ja", 0.6), ("zh", 0.3), ("en", 0.1)]
    assert choose_language(probs, (EN, ZH)) == (ZH, 0.3)
    assert choose_language(probs, (EN,)) == (EN, 0.1)
    assert choose_language([], (EN, ZH)) == (EN, 0.0)


@pytest.mark.slow
def test_detection_and_decoding_share_one_encoder_pass(
    ears: Transcriber, monkeypatch: pytest.MonkeyPatch
) -> None:
    from faster_whisper import WhisperModel

    calls: list[Any] = []
    real = WhisperModel.encode

    def counted(self: Any, features: Any) -> Any:
        calls.append(features.shape)
        return real(self, features)

    monkeypatch.setattr(WhisperModel, "encode", counted)
    heard = ears.transcribe(load_audio(SPEECH / "one-two-three.wav"), languages=(EN, ZH))
    assert heard.language == EN and heard.text
    assert len(calls) == 1, calls


def test_chinese_hints_are_the_catalogs_chinese_names(bot: Assistant, cfg: Config) -> None:
    class Ears:
        languages = (EN, ZH)

    hints, _terms = Hearing(bot, Ears())._words()  # type: ignore[arg-type]
    assert "tents" in hints[EN] and "TrailMaster X4 Tent" in hints[EN]
    assert "帐篷" in hints[ZH] and "TrailMaster X4 四人帐篷" in hints[ZH]
    assert not any(han_count(h) for h in hints[EN])


class ChineseEars:
    """Stands in for Whisper hearing Mandarin: no Chinese recording can be had offline
    (see the module docstring). Returns what Whisper returns for a Chinese request."""

    languages = (EN, ZH)

    def transcribe(self, audio: np.ndarray, **_: Any) -> Transcript:
        return Transcript(
            "有没有帐篷",
            language=ZH,
            no_speech_prob=0.01,
            duration_s=1.0,
            speech_s=0.9,
            language_probability=0.97,
        )


def test_a_chinese_spoken_turn_reports_its_language(bot: Assistant) -> None:
    events: list[VoiceEvent] = []
    hearing = Hearing(bot, ChineseEars())  # type: ignore[arg-type]
    voice = VoiceSession(bot, hearing=hearing, on_event=events.append)
    reply = voice.spoken(np.zeros(16000, dtype=np.float32))
    heard = next(e for e in events if isinstance(e, Heard))
    assert heard.lang == ZH and heard.transcript == "有没有帐篷"
    assert reply.heard_lang == ZH and reply.lang == ZH
    assert reply.to_json()["heard_lang"] == ZH
    assert reply.products and "帐篷" in reply.text  # answered in Chinese, tents shown


# -- voices per language ---------------------------------------------------------------


class FakeVoice:
    """Stands in for a piper voice: remembers what it was asked to say."""

    sample_rate = 22050

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.said: list[str] = []

    def sentences(self, text: str, stop: threading.Event | None = None) -> Iterator[Any]:
        self.said.append(text)
        yield np.zeros(10, dtype=np.int16)


@pytest.fixture
def a_speaker(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A sound card that plays instantly; returns how many replies it played."""
    played: list[int] = []

    def play(chunks: Iterator[Any], rate: int, stop: Any, device: Any = None) -> None:
        played.append(sum(len(c) for c in chunks))

    monkeypatch.setattr(devices, "output_available", lambda: True)
    monkeypatch.setattr(devices, "play", play)
    return played


def _say(speaker: Speaker, text: str, lang: str) -> bool:
    started = speaker.say(text, lang)
    if speaker._thread is not None:
        speaker._thread.join(5)
    return started


def test_a_reply_is_spoken_only_by_its_languages_voice(cfg: Config, a_speaker: list[int]) -> None:
    en = FakeVoice(EN)
    speaker = Speaker(cfg, en)  # type: ignore[arg-type]
    assert speaker.speaks(EN) and not speaker.speaks(ZH)
    assert _say(speaker, "The tents are in aisle 4.", EN)
    assert not _say(speaker, "帐篷在4号通道。", ZH), "no Chinese voice: text only"
    assert en.said == ["The tents are in aisle 4."], "never read with the English voice"
    zh = FakeVoice(ZH)
    both = Speaker(cfg, en, voices={ZH: zh})  # type: ignore[arg-type,dict-item]
    assert _say(both, "帐篷在4号通道。", ZH)
    assert zh.said == ["帐篷在4号通道。"] and len(en.said) == 1
    assert not both.say_and_wait("你好", lang="fr") and "no fr voice" in both.problem


def test_the_voice_session_speaks_in_the_replys_language(
    bot: Assistant, cfg: Config, a_speaker: list[int]
) -> None:
    en, zh = FakeVoice(EN), FakeVoice(ZH)
    speaker = Speaker(cfg, en)  # type: ignore[arg-type]
    voice = VoiceSession(bot, speaker=speaker)
    chinese = voice.typed("有没有帐篷？")
    assert chinese.lang == ZH
    voice.typed("where are the tents?")
    speaker.stop()
    assert len(en.said) == 1 and "tent" in en.said[0].lower(), en.said
    speaker.voices[ZH] = zh  # a store that installed a Chinese voice
    voice.typed("有没有帐篷？")
    speaker.stop()
    assert len(zh.said) == 1 and len(en.said) == 1


def test_speech_voices_setting_loads_a_voice_per_language(
    tmp_path: Path, a_speaker: list[int]
) -> None:
    joe = models.resolve(load(env={}), "tts")
    cfg = load(env={"KIOSK_HOME": str(tmp_path), "KIOSK_SPEECH_VOICES": f"zh={joe}"})
    assert cfg.speech.voices == {ZH: str(joe)}
    speaker = Speaker.open(cfg)
    assert set(speaker.voices) == {EN, ZH} and speaker.voices[ZH].path == joe
    assert isinstance(speaker.voices[EN], Synthesizer)
    default = Speaker.open(load(env={"KIOSK_HOME": str(tmp_path)}))
    assert set(default.voices) == {EN}, "no Chinese voice ships: text only"
    broken = load(env={"KIOSK_HOME": str(tmp_path), "KIOSK_SPEECH_VOICES": "zh=/nope/zh.onnx"})
    kept = Speaker.open(broken)
    assert set(kept.voices) == {EN}
    assert any("speech.voices.zh" in p and "does not exist" in p for p in kept.voice_problems)


def test_the_doctor_says_which_languages_have_a_voice(tmp_path: Path) -> None:
    home = {"KIOSK_HOME": str(tmp_path)}
    [row] = check_voices(load(env=home))
    assert row.status == "ok"
    assert "English (en): en_US-joe-medium.onnx" in row.detail
    assert "shown on screen only, no voice: 中文 (zh)" in row.detail
    joe = models.resolve(load(env={}), "tts")
    [row] = check_voices(load(env={**home, "KIOSK_SPEECH_VOICES": f"zh={joe}"}))
    assert row.status == "ok" and "中文 (zh): en_US-joe-medium.onnx" in row.detail
    [row] = check_voices(load(env={**home, "KIOSK_SPEECH_VOICES": "zh=/nope/zh.onnx"}))
    assert row.status == "warn" and "speech.voices.zh" in row.detail and row.fix
    [row] = check_voices(load(env={**home, "KIOSK_SPEECH_SPEAK_REPLIES": "false"}))
    assert row.status == "ok" and "not used" in row.detail

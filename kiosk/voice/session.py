"""One shopper's spoken conversation: listen -> hear -> turn -> speak.

The one owner of the voice path, used by the shopper screen and `kiosk listen`:

- **half-duplex**: while the kiosk speaks it doesn't listen (an open speaker would be
  heard as a request), unless the microphone cancels echo (`speech.echo_cancelled`);
- **barge-in**: `barge_in()` (a key, a touch, the talk key, or the shopper's voice on
  an echo-cancelling microphone) stops the voice within one playback block;
- **early speech**: with phrasing 'lead' or 'off' the checked facts are spoken as
  soon as they exist; with 'full' the voice waits for the checked rewrite
  (`kiosk.assistant.compose.speaks_facts_early`);
- **fallbacks**: no speaker means text only, a missing or failing microphone is
  reported once (`MicrophoneLost`) and the conversation goes on typed.

Every step is reported as an event (`kiosk.voice.events`) on the calling thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from kiosk.assistant.compose import speaks_facts_early
from kiosk.assistant.pipeline import Assistant
from kiosk.assistant.reply import Intent, Reply
from kiosk.assistant.session import Session
from kiosk.config import Config
from kiosk.speech import devices
from kiosk.speech.audio import Samples, SpeechError
from kiosk.speech.speaker import Speaker, device_setting
from kiosk.text.language import EN, detect
from kiosk.voice.events import (
    Heard,
    MicrophoneLost,
    OnEvent,
    Replied,
    ReplyText,
    StateChanged,
    VoiceEvent,
    VoiceState,
)
from kiosk.voice.hearing import HEARING, Hearing

NO_MICROPHONE = (
    "no microphone found (no audio input device, or PortAudio missing: "
    "apt-get install libportaudio2)"
)


class ReplyVoice:
    """Speaks one reply once, as early as its words are final (`early`: on the facts),
    in the reply's language's voice; a language without a voice is text only."""

    def __init__(self, speaker: Speaker | None, early: bool, lang: str = EN) -> None:
        self.speaker = speaker
        self.early = early
        self.lang = lang  # the request's, as the assistant reads it (`language.detect`)
        self.spoken = False

    def chunk(self, text: str) -> None:
        """The first checked text of the reply (the facts)."""
        if self.early and not self.spoken:
            self.final(text, self.lang)

    def final(self, text: str, lang: str | None = None) -> bool:
        """The reply as it stands; spoken unless its facts already were. True if speaking."""
        if self.spoken:
            return False
        self.spoken = True  # decided, with or without a speaker: text only is the same turn
        return self.speaker is not None and self.speaker.say(text, lang or self.lang)


def _ignore(_event: VoiceEvent) -> None:
    return None


class VoiceSession:
    """A conversation with one shopper, typed or spoken, over one assistant."""

    def __init__(
        self,
        assistant: Assistant,
        session: Session | None = None,
        *,
        speaker: Speaker | None = None,
        hearing: Hearing | None = None,
        on_event: OnEvent | None = None,
    ) -> None:
        self.assistant = assistant
        self.cfg: Config = assistant.cfg
        self.session = session or Session()
        self.speaker = speaker
        self.hearing = hearing
        self.on_event: OnEvent = on_event or _ignore
        self.problems: list[str] = []  # why speech is partly or wholly off, for technicians
        self.stop_listening = threading.Event()
        self._lock = threading.Lock()  # one turn at a time, typed or spoken
        # The shopper's language so far (the last reply's), for what the session says
        # itself ("I didn't hear a request"); a new shopper starts in the store's.
        self.lang: str = self.cfg.store.language

    # -- devices ------------------------------------------------------------------
    def open_speech(self, *, listen: bool = True) -> None:
        """Load the voice (when a speaker can be heard) and, with a microphone, Whisper.

        Blocking (model loads): call it from a worker. What is missing goes to `problems`.
        """
        speaker = Speaker.open(self.cfg, on_state=self._speaking_changed)
        self.speaker = speaker
        if not speaker.available:
            self.problems.append(speaker.problem)
        self.problems += speaker.voice_problems
        if not listen:
            return
        if devices.input_available():
            self.hearing = Hearing.open(self.assistant)
        else:
            self.problems.append("no microphone found")

    @property
    def microphone(self) -> bool:
        return self.hearing is not None

    @property
    def speaking(self) -> bool:
        return self.speaker is not None and self.speaker.speaking

    def barge_in(self) -> None:
        """The shopper wants to talk (key, touch, talk key, their voice): stop the voice."""
        if self.speaker is not None and self.speaker.speaking:
            self.speaker.stop(wait_s=0)

    def close(self) -> None:
        self.stop_listening.set()
        if self.speaker is not None:
            self.speaker.stop(wait_s=0)

    def _speaking_changed(self, speaking: bool) -> None:
        self.on_event(StateChanged(VoiceState.SPEAKING if speaking else VoiceState.READY))

    # -- turns --------------------------------------------------------------------
    def typed(self, text: str) -> Reply:
        """A typed request: the reply is shown and, with a speaker, spoken."""
        with self._lock:
            self.on_event(StateChanged(VoiceState.THINKING))
            voice = self._voice(text)
            reply = self.assistant.turn(self.session, text, on_chunk=self._chunk(voice))
            return self._finish(reply, voice)

    def spoken(self, audio: Samples) -> Reply:
        """A whole turn from one utterance; silence or noise gives a 'not heard' reply."""
        with self._lock:
            return self._spoken(audio)

    def _spoken(self, audio: Samples) -> Reply:
        if self.hearing is None:
            raise SpeechError(NO_MICROPHONE, code="no_microphone")
        self.on_event(StateChanged(VoiceState.THINKING))
        heard, request = self.hearing.hear(audio)
        if not request:
            reply = Reply(Intent.OUT_OF_SCOPE, HEARING(self.lang, "not_heard"), lang=self.lang)
            reply.transcript = ""
            reply.timings_ms = dict(heard.timings_ms)
            self.on_event(Replied(reply))
            self.on_event(StateChanged(VoiceState.READY))
            return reply
        self.on_event(Heard(heard.text, heard.language))
        voice = self._voice(request)
        reply = self.assistant.turn(self.session, request, on_chunk=self._chunk(voice), spoken=True)
        reply.transcript = heard.text
        reply.heard_as = request
        reply.heard_lang = heard.language
        reply.timings_ms = {**heard.timings_ms, **reply.timings_ms}
        return self._finish(reply, voice)

    def _voice(self, request: str) -> ReplyVoice:
        """The reply's voice: early speech is in the request's language, as the assistant
        reads it; the whole reply is spoken in the language it came back in."""
        early = speaks_facts_early(self.cfg.assistant.phrasing)
        return ReplyVoice(self.speaker, early, detect(request))

    def _chunk(self, voice: ReplyVoice) -> Callable[[str], None]:
        def chunk(text: str) -> None:
            self.on_event(ReplyText(text))
            voice.chunk(text)  # the facts are spoken as soon as they are checked

        return chunk

    def _finish(self, reply: Reply, voice: ReplyVoice) -> Reply:
        self.lang = reply.lang
        voice.final(reply.text, reply.lang)
        self.on_event(Replied(reply))
        if not self.speaking:
            self.on_event(StateChanged(VoiceState.READY))
        return reply

    # -- listening ------------------------------------------------------------------
    def listen_once(self, *, hands_free: bool = False) -> Reply | None:
        """Record one request and answer it; None when nobody spoke or listening stopped.

        Hands-free waits while the kiosk speaks (half-duplex) unless the microphone
        cancels echo; then the shopper's voice is a barge-in. A microphone that fails
        is reported (`MicrophoneLost`) and turned off: the caller goes on typed.
        """
        if self.hearing is None:
            self._lost(NO_MICROPHONE)
            return None
        echo_cancelled = self.cfg.speech.echo_cancelled
        while hands_free and self.speaking and not echo_cancelled:
            if self.stop_listening.wait(0.05):
                return None
        self.on_event(StateChanged(VoiceState.LISTENING))
        try:
            audio = devices.record_utterance(
                silence_ms=self.cfg.speech.silence_ms,
                max_s=self.cfg.speech.max_utterance_s,
                device=device_setting(self.cfg.speech.input_device),
                stop_event=self.stop_listening,
                on_speech=self.barge_in if echo_cancelled else None,
            )
        except SpeechError as exc:
            self._lost(exc.message)
            return None
        if audio.size == 0:
            self.on_event(StateChanged(VoiceState.READY))
            return None
        return self.spoken(audio)

    def listen(self, *, hands_free: bool) -> None:
        """One request (push-to-talk), or request after request (hands-free) until
        `stop_listening` is set or the microphone is lost."""
        self.stop_listening.clear()
        while not self.stop_listening.is_set() and self.hearing is not None:
            self.listen_once(hands_free=hands_free)
            if not hands_free:
                return

    def _lost(self, problem: str) -> None:
        self.hearing = None
        self.problems.append(problem)
        self.on_event(MicrophoneLost(problem))
        self.on_event(StateChanged(VoiceState.READY))

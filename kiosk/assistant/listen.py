"""`kiosk listen`: live spoken turns from the microphone, or from a recording.

Push-to-talk on a terminal (Enter starts listening, voice activity detection ends
the request; typed text is a request too), hands-free otherwise (`speech.mode`).
Replies are printed and spoken; Enter, typing or the shopper's voice (only with an
echo-cancelling microphone, `speech.echo_cancelled`) interrupts the voice. No
microphone, or one that fails: said once, then the session goes on typed.
`--file` runs the same endpointing over a recording, one turn per request in it.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

from kiosk.assistant.assistant import Assistant
from kiosk.assistant.cli import _emit, _status, open_assistant, repl
from kiosk.assistant.reply import Reply
from kiosk.assistant.session import Session
from kiosk.assistant.voice import VoiceTurns
from kiosk.config import Config
from kiosk.speech import devices
from kiosk.speech.asr import Transcriber
from kiosk.speech.audio import SpeechError, load_audio
from kiosk.speech.speaker import ReplyVoice, Speaker, device_setting

Emit = Callable[[Reply], None]


def _speaker(cfg: Config, *, quiet: bool) -> Speaker:
    """The voice, or a silent Speaker (text only) when there is none to speak with."""
    speaker = Speaker.open(cfg)
    if not speaker.available and not quiet:
        _status(f"kiosk: {speaker.problem}")
    return speaker


def from_file(cfg: Config, turns: VoiceTurns, session: Session, path: str, emit: Emit) -> int:
    """One turn per request found in the recording, endpointed like the microphone."""
    audio = load_audio(path)
    count = 0
    for utterance in devices.utterances(
        audio, silence_ms=cfg.speech.silence_ms, max_s=cfg.speech.max_utterance_s
    ):
        emit(turns.turn(session, utterance))
        count += 1
    if count == 0:
        _status("kiosk: no speech in the recording; nothing was asked")
    return 0


def live(
    cfg: Config,
    assistant: Assistant,
    turns: VoiceTurns,
    session: Session,
    emit: Emit,
    *,
    quiet: bool,
) -> int:
    """Turns from the microphone until end of input (push-to-talk) or Ctrl+C."""
    if not devices.input_available():
        _status(
            "kiosk: no microphone found (no audio input device, or PortAudio missing: "
            "apt-get install libportaudio2); type your request instead"
        )
        return repl(assistant, session, as_json=quiet)
    speaker = _speaker(cfg, quiet=quiet)
    push_to_talk = cfg.speech.mode == "push_to_talk" and sys.stdin.isatty()
    barge_in = speaker.stop if cfg.speech.echo_cancelled else None
    if not quiet:
        _status(
            "Press Enter and speak (or type a request); Ctrl+D to leave."
            if push_to_talk
            else "Listening; speak a request. Ctrl+C to leave."
        )
    while True:
        if push_to_talk:
            try:
                line = input("> ")
            except EOFError:
                speaker.stop()
                return 0
            speaker.stop()  # pressing the talk key interrupts the voice
            if line.strip():
                voice = ReplyVoice(speaker, cfg.assistant.phrasing)
                reply = assistant.turn(session, line, on_chunk=voice.chunk)
                emit(reply)
                voice.final(reply.text)
                continue
        elif speaker.speaking and barge_in is None:
            time.sleep(0.05)  # half-duplex: an open speaker would be heard as a request
            continue
        if push_to_talk and not quiet:
            _status("listening ...")
        try:
            audio = devices.record_utterance(
                silence_ms=cfg.speech.silence_ms,
                max_s=cfg.speech.max_utterance_s,
                device=device_setting(cfg.speech.input_device),
                on_speech=barge_in,
            )
        except SpeechError as exc:
            _status(f"kiosk: {exc.message}; type your request instead")
            speaker.stop()
            return repl(assistant, session, as_json=quiet)
        if audio.size == 0:
            continue
        voice = ReplyVoice(speaker, cfg.assistant.phrasing)
        reply = turns.turn(session, audio, on_chunk=voice.chunk)
        emit(reply)
        voice.final(reply.text)


def listen(cfg: Config, args: argparse.Namespace) -> int:
    """The `kiosk listen` command."""
    quiet = bool(args.json)
    with open_assistant(cfg, use_llm=not args.no_llm, quiet=quiet) as assistant:
        assistant.log_requests = not args.file  # a recording is a test, not a shopper
        session = Session()
        ears = Transcriber(cfg, device=cfg.speech.asr_device)
        turns = VoiceTurns(assistant, ears)

        def emit(reply: Reply) -> None:
            if not quiet and reply.transcript:
                print(f"(heard: {reply.transcript})")
            _emit(reply, bool(args.json))
            sys.stdout.flush()

        if args.file:
            return from_file(cfg, turns, session, args.file, emit)
        try:
            return live(cfg, assistant, turns, session, emit, quiet=quiet)
        except KeyboardInterrupt:
            return 0

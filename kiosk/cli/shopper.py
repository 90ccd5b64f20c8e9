"""The shopper's commands: `kiosk` (the screen), `kiosk ask`, `kiosk listen`, `kiosk say`."""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.cli.common import emit, report, say_read_only, status
from kiosk.config import Config
from kiosk.errors import KioskError, storage_error

if TYPE_CHECKING:  # imported where used, so `kiosk --help` and `kiosk import` stay instant
    from kiosk.assistant.pipeline import Assistant
    from kiosk.assistant.reply import Reply
    from kiosk.assistant.session import Session, SessionStore
    from kiosk.voice.session import VoiceSession

    Show = Callable[[Reply | None], None]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    s = sub.add_parser(
        "ask",
        help="one assistant turn (or an interactive text session)",
        description="A request may start with '-' (\"-tent\"): anything that isn't one of "
        "the options below is the request.",
    )
    s.add_argument("text", nargs="*", help="the shopper's request; none: interactive session")
    s.add_argument("--json", action="store_true", help="print one JSON object per turn")
    s.add_argument("--session", help="session id: carries a conversation across calls")
    s.add_argument("--no-llm", action="store_true", help="template replies, no model")
    s.add_argument("--loyalty", help="loyalty number for membership-tier answers")
    s.add_argument("--audio", metavar="FILE", help="a WAV/FLAC/MP3 recording of the request")
    s.add_argument(
        "--batch",
        metavar="FILE",
        help="one request per line from FILE (- for stdin); one JSON object per line out "
        "(each line a new conversation, or --session's)",
    )
    s.set_defaults(func=cmd_ask)

    s = sub.add_parser("listen", help="live spoken turns from the microphone (or --file RECORDING)")
    s.add_argument("--file", metavar="FILE", help="a recording: one turn per request in it")
    s.add_argument("--json", action="store_true", help="print one JSON object per turn")
    s.add_argument("--no-llm", action="store_true", help="template replies, no model")
    s.set_defaults(func=cmd_listen)

    s = sub.add_parser("say", help="speak a text with the bundled voice")
    s.add_argument("text", nargs="+")
    s.add_argument("--out", metavar="FILE.wav", help="write the speech to this WAV file")
    s.set_defaults(func=cmd_say)


def _open(cfg: Config, *, use_llm: bool, quiet: bool) -> AbstractContextManager[Assistant]:
    """The assistant as the CLI opens it: loading said on stderr unless `quiet` (JSON)."""
    from kiosk.assistant.pipeline import open_assistant

    return open_assistant(cfg, use_llm=use_llm, progress=None if quiet else status, report=report)


def cmd_ask(cfg: Config, args: argparse.Namespace) -> int:
    from kiosk.assistant.session import Session, SessionStore

    store = SessionStore(cfg.home_path / "sessions", cfg.assistant.idle_timeout_s)
    with contextlib.suppress(OSError):  # expired sessions go next time the home is writable
        store.sweep()
    with _open(cfg, use_llm=not args.no_llm, quiet=args.json) as assistant:
        say_read_only(assistant.catalog)
        session = _load_session(store, args.session) if args.session else Session()
        if args.loyalty and not assistant.set_loyalty(session, args.loyalty):
            raise KioskError("that loyalty number is not in the catalog", code="loyalty_unknown")
        if args.batch:
            if args.audio or args.text:
                raise KioskError("--batch reads the requests from its file", code="batch_and_text")
            batch(assistant, args.batch, session if args.session else None, args.loyalty)
            if args.session:
                _save_session(store, session)
            return 0
        if args.audio or args.text:
            if args.audio:
                reply = _audio_turn(assistant, session, args.audio)
            else:
                reply = assistant.turn(session, " ".join(args.text))
            emit(reply, args.json)
            if args.session:
                _save_session(store, session)
            return 0
        return repl(assistant, session, as_json=args.json)


def _load_session(store: SessionStore, session_id: str) -> Session:
    from kiosk.assistant.session import Session

    try:
        return store.load(session_id)
    except ValueError as exc:  # an id that isn't a plain name: never a path
        raise KioskError(str(exc), code="session_id_invalid") from None
    except OSError as exc:
        why = _why(exc, store.directory / f"{session_id}.json")
        report(f"session {session_id} couldn't be read ({why}); a new one starts")
        return Session(id=session_id)


def _save_session(store: SessionStore, session: Session) -> None:
    """The answer has been given; a session that can't be kept is said, not raised."""
    try:
        store.save(session)
    except OSError as exc:
        report(
            f"the session couldn't be saved ({_why(exc, store.directory / f'{session.id}.json')}); "
            f"the next `--session {session.id}` starts a new conversation"
        )


def _why(exc: OSError, file: Path) -> str:
    problem = storage_error(exc, file)
    return problem.message if problem is not None else (exc.strerror or str(exc))


def _audio_turn(assistant: Assistant, session: Session, path: str) -> Reply:
    """A full turn from a recording: hear it (catalog words as hints), then answer."""
    from kiosk.speech.audio import MAX_REQUEST_S, RATE, load_audio
    from kiosk.voice.hearing import Hearing
    from kiosk.voice.session import VoiceSession

    started = time.perf_counter()
    # One request: what a shopper says fits in MAX_REQUEST_S; leave room for silence first.
    longest = 2 * MAX_REQUEST_S
    audio = load_audio(path, max_s=longest)
    if audio.size >= longest * RATE:
        report(f"only the first {longest:.0f} s of {path} were heard (one request)")
    loaded = time.perf_counter()
    hearing = Hearing.open(assistant)
    ready = time.perf_counter()
    reply = VoiceSession(assistant, session, hearing=hearing).spoken(audio)
    reply.timings_ms = {
        "load_audio": (loaded - started) * 1000,
        "load_asr": (ready - loaded) * 1000,
        **reply.timings_ms,
    }
    return reply


def batch(assistant: Assistant, path: str, session: Session | None, loyalty: str | None) -> None:
    """`kiosk ask --batch`: one request per line, one JSON object per line, one process.

    The models and the catalog load once. Each line is a new conversation (with the
    loyalty number, if given), or `session`'s turn when one was named. Blank lines
    are skipped; a line that isn't UTF-8 or whose turn fails yields an error object
    (`{"line": N, "error": {"code": ..., "message": ...}}`) and the next line goes on.
    """
    from kiosk.assistant.session import Session
    from kiosk.cli.common import json_text

    try:
        source = sys.stdin.buffer if path == "-" else open(path, "rb")  # noqa: SIM115
    except OSError as exc:
        raise KioskError(
            f"can't read {path}: {exc.strerror or exc}", code="batch_unreadable"
        ) from None
    with source:
        for n, raw in enumerate(source, 1):
            try:
                line = raw.decode("utf-8").strip()
                if not line:
                    continue
                turn_session = session
                if turn_session is None:
                    turn_session = Session()
                    if loyalty:
                        assistant.set_loyalty(turn_session, loyalty)
                out = assistant.turn(turn_session, line).to_json()
            except UnicodeDecodeError:
                out = _error(n, "not_utf8", "the line is not UTF-8 text")
            except KioskError as exc:
                out = _error(n, exc.code, exc.message)
            except Exception as exc:  # one bad turn never costs the rest of the batch
                out = _error(n, "turn_failed", f"the turn failed: {type(exc).__name__}")
            print(json_text(out), flush=True)


def _error(line: int, code: str, message: str) -> dict[str, object]:
    return {"line": line, "error": {"code": code, "message": message}}


def repl(assistant: Assistant, session: Session, *, as_json: bool) -> int:
    """The interactive text session: one request per line until end of input."""
    interactive = sys.stdin.isatty()
    if interactive and not as_json:
        greeting = assistant.turn(session, "hello")
        print(greeting.text + "\n(Ctrl+D to leave)")
    while True:
        try:
            line = input("> " if interactive else "")
        except EOFError:
            return 0
        if not line.strip():
            continue
        started = time.perf_counter()
        reply = assistant.turn(session, line)
        emit(reply, as_json)
        if interactive and not as_json:
            print(f"  ({(time.perf_counter() - started) * 1000:.0f} ms)")


def cmd_listen(cfg: Config, args: argparse.Namespace) -> int:
    """Live spoken turns: push-to-talk on a terminal (Enter, then speak; typed text is a
    request too), hands-free otherwise (`speech.mode`). No microphone, or one that
    fails: said once, then the session goes on typed. `--file` runs the microphone's
    own endpointing over a recording, one turn per request in it."""
    from kiosk.assistant.session import Session
    from kiosk.speech import devices
    from kiosk.voice.events import MicrophoneLost, StateChanged, VoiceEvent, VoiceState
    from kiosk.voice.session import VoiceSession

    quiet = bool(args.json)
    push_to_talk = cfg.speech.mode == "push_to_talk" and sys.stdin.isatty()

    def on_event(event: VoiceEvent) -> None:
        if isinstance(event, MicrophoneLost):
            status(f"kiosk: {event.problem}; type your request instead")
        elif (
            isinstance(event, StateChanged)
            and event.state == VoiceState.LISTENING
            and push_to_talk
            and not quiet
        ):
            status("listening ...")

    with _open(cfg, use_llm=not args.no_llm, quiet=quiet) as assistant:
        assistant.log_requests = not args.file  # a recording is a test, not a shopper
        voice = VoiceSession(assistant, Session(), on_event=on_event)

        def show(reply: Reply | None) -> None:
            if reply is None:
                return
            if not quiet and reply.transcript:
                print(f"(heard: {reply.transcript})")
            emit(reply, quiet)

        if args.file:
            return _from_file(cfg, voice, args.file, show)
        if not devices.input_available():
            status(
                "kiosk: no microphone found (no audio input device, or PortAudio missing: "
                "apt-get install libportaudio2); type your request instead"
            )
            return repl(assistant, voice.session, as_json=quiet)
        voice.open_speech()
        if voice.speaker is not None and not voice.speaker.available and not quiet:
            status(f"kiosk: {voice.speaker.problem}")
        if not quiet:
            status(
                "Press Enter and speak (or type a request); Ctrl+D to leave."
                if push_to_talk
                else "Listening; speak a request. Ctrl+C to leave."
            )
        try:
            while voice.microphone:
                if push_to_talk:
                    try:
                        line = input("> ")
                    except EOFError:
                        voice.close()
                        return 0
                    voice.barge_in()  # pressing the talk key interrupts the voice
                    if line.strip():
                        show(voice.typed(line))
                        continue
                show(voice.listen_once(hands_free=not push_to_talk))
        except KeyboardInterrupt:
            voice.close()
            return 0
        return repl(assistant, voice.session, as_json=quiet)


def _from_file(cfg: Config, voice: VoiceSession, path: str, show: Show) -> int:
    """One turn per request found in the recording, endpointed like the microphone."""
    from kiosk.speech import devices
    from kiosk.speech.audio import load_audio
    from kiosk.voice.hearing import Hearing

    audio = load_audio(path)
    voice.hearing = Hearing.open(voice.assistant)
    count = 0
    for utterance in devices.utterances(
        audio, silence_ms=cfg.speech.silence_ms, max_s=cfg.speech.max_utterance_s
    ):
        show(voice.spoken(utterance))
        count += 1
    if count == 0:
        status("kiosk: no speech in the recording; nothing was asked")
    return 0


def cmd_say(cfg: Config, args: argparse.Namespace) -> int:
    from kiosk.ops.staff import speak

    text = " ".join(args.text)
    if args.out:  # the one place speech audio reaches the disk: a technician asked
        from kiosk.speech.tts import Synthesizer

        Synthesizer(cfg).write_wav(args.out, text)
        print(f"wrote {args.out}")
        return 0
    problem = speak(cfg, text)
    if problem:
        raise KioskError(f"{problem}; use --out FILE.wav", code="no_speaker")
    return 0


def run_kiosk(cfg: Config) -> int:
    """The shopper screen on a terminal; the text session when there is none (a pipe)."""
    from kiosk.assistant.session import Session
    from kiosk.catalog.repository import Catalog

    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        with _open(cfg, use_llm=True, quiet=False) as assistant:
            assistant.log_requests = True  # the text kiosk serves shoppers too
            return repl(assistant, Session(), as_json=False)
    from kiosk.ui.shopper import ShopperApp

    with Catalog.open(cfg.catalog_path, create=False) as catalog:
        app = ShopperApp(
            cfg, catalog, load_llm=cfg.llm.backend != "none", speech=cfg.speech.enabled
        )
        app.run()
    return 0


def request_first(parser: argparse.ArgumentParser, tokens: list[str]) -> list[str]:
    """`kiosk ask` tokens with the options first and the request after '--'.

    argparse would read a request word like "-tent" as an unknown option; a shopper's
    words are never options, so anything that isn't one of the command's own options
    (or an option's value) is request text, in the order given.
    """
    options: list[str] = []
    text: list[str] = []
    takes_value = {
        flag: action.nargs != 0
        for flag, action in parser._option_string_actions.items()  # argparse's own table
    }
    i = 0
    while i < len(tokens):
        token = tokens[i]
        flag = token.split("=", 1)[0]
        if token == "--":
            text += tokens[i + 1 :]
            break
        if flag in takes_value:
            options.append(token)
            if takes_value[flag] and "=" not in token and i + 1 < len(tokens):
                options.append(tokens[i + 1])
                i += 1
        else:
            text.append(token)
        i += 1
    return [*options, "--", *text] if text else options

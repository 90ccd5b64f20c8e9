"""`kiosk ask` and the interactive text session: the assistant without a screen."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from kiosk.assistant.assistant import Assistant
from kiosk.assistant.reply import Reply
from kiosk.assistant.session import Session, SessionStore
from kiosk.catalog.records import format_price
from kiosk.catalog.repository import Catalog
from kiosk.config import Config
from kiosk.errors import KioskError

if TYPE_CHECKING:
    from kiosk.llm.base import ChatModel


def _status(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextmanager
def open_assistant(
    cfg: Config, *, use_llm: bool = True, quiet: bool = False
) -> Iterator[Assistant]:
    """The catalog and (if configured and loadable) the model, closed on exit.

    A model that fails to load is reported once; the kiosk keeps answering from
    templates rather than not answering at all.
    """
    chat: ChatModel | None = None
    catalog = Catalog.open(cfg.catalog_path, create=False)
    try:
        if use_llm and cfg.llm.backend != "none" and cfg.assistant.phrasing != "off":
            from kiosk.llm.base import load_chat_model

            try:
                chat = load_chat_model(cfg, progress=None if quiet else _status)
            except KioskError as exc:
                _status(
                    f"kiosk: model not loaded [{exc.code}]: {exc.message}; answering from templates"
                )
        assistant = Assistant(catalog, cfg, chat)
        assistant.warm()
        yield assistant
    finally:
        if chat is not None:
            chat.close()
        catalog.close()


def render(reply: Reply) -> str:
    """Plain-text rendering for a terminal: the reply, then the cards."""
    lines = [reply.text]
    for c in reply.products:
        stock = f"{c.stock} in stock" if c.stock > 0 else "out of stock"
        where = f"aisle {c.aisle}{', shelf ' + c.shelf if c.shelf else ''}" if c.aisle else ""
        lines.append(
            f"  - {c.name}: {format_price(c.price_cents)}, {stock}"
            + (f", {where}" if where else "")
        )
    for a in reply.actions:
        if a.kind == "staff_call":
            lines.append(f"  [staff called, request #{a.ref}]")
    return "\n".join(lines)


def _emit(reply: Reply, as_json: bool) -> None:
    if as_json:
        print(json.dumps(reply.to_json(), ensure_ascii=False), flush=True)
    else:
        print(render(reply), flush=True)


def ask(cfg: Config, args: argparse.Namespace) -> int:
    store = SessionStore(cfg.home_path / "sessions", cfg.assistant.idle_timeout_s)
    store.sweep()
    with open_assistant(cfg, use_llm=not args.no_llm, quiet=args.json) as assistant:
        session = store.load(args.session) if args.session else Session()
        if args.loyalty and not assistant.set_loyalty(session, args.loyalty):
            raise KioskError("that loyalty number is not in the catalog", code="loyalty_unknown")
        if args.audio:
            reply = _audio_turn(cfg, assistant, session, args.audio)
            _emit(reply, args.json)
            if args.session:
                store.save(session)
            return 0
        if args.text:
            reply = assistant.turn(session, " ".join(args.text))
            _emit(reply, args.json)
            if args.session:
                store.save(session)
            return 0
        return repl(assistant, session, as_json=args.json)


def _audio_turn(cfg: Config, assistant: Assistant, session: Session, path: str) -> Reply:
    """A full turn from a recording: transcribe (catalog words as hints), then answer."""
    from kiosk.assistant.voice import VoiceTurns
    from kiosk.speech.asr import Transcriber
    from kiosk.speech.audio import load_audio

    started = time.perf_counter()
    audio = load_audio(path)
    loaded = time.perf_counter()
    ears = Transcriber(cfg, device=cfg.speech.asr_device)
    ready = time.perf_counter()
    reply = VoiceTurns(assistant, ears).turn(session, audio)
    reply.timings_ms = {
        "load_audio": (loaded - started) * 1000,
        "load_asr": (ready - loaded) * 1000,
        **reply.timings_ms,
    }
    return reply


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
        _emit(reply, as_json)
        if interactive and not as_json:
            print(f"  ({(time.perf_counter() - started) * 1000:.0f} ms)")

"""The one entry point, `kiosk`: every feature of the UI is reachable from a script.

Commands are grouped by who uses them: `shopper` (the screen, ask, listen, say),
`catalog` (import, demo, search, sync), `staff` (console, calls, edit, describe,
insights, pin) and `ops` (models, doctor, config, bench). Heavy libraries
(llama_cpp, faster_whisper, piper, textual) are imported inside the command that
needs them, so `kiosk --help` and `kiosk import` start instantly. Errors a person
can cause print one line (code and sentence) and exit 2; no traceback reaches a
shopper or a store script.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from kiosk import __version__
from kiosk.cli import catalog, ops, shopper, staff
from kiosk.config import Config, load
from kiosk.errors import KioskError


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="kiosk",
        description="Offline in-store shopping assistant. Without a command: the shopper kiosk.",
    )
    p.add_argument("--version", action="version", version=f"kiosk {__version__}")
    p.add_argument("--config", help="config file (default: $KIOSK_CONFIG)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for group in (shopper, catalog, staff, ops):
        group.register(sub)
    return p


def _requests_are_text(parser: argparse.ArgumentParser, argv: list[str]) -> list[str]:
    """`kiosk [--config F] ask ...`: the request's words are never read as options."""
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for i, token in enumerate(argv):
        if token == "ask":
            return [*argv[: i + 1], *shopper.request_first(sub.choices["ask"], argv[i + 1 :])]
        if token in sub.choices or not token.startswith("-"):
            return argv  # another command
        if token == "--config" and "=" not in token:
            continue  # its value follows
    return argv


def _configure_logging(cfg: Config, command: str | None) -> None:
    """journald under systemd, else a rotating file; never onto a Textual screen."""
    from kiosk.ops.logsetup import configure_logging

    screen = command in (None, "staff") and sys.stdin.isatty() and sys.stdout.isatty()
    configure_logging(cfg, tui=screen)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(
        _requests_are_text(parser, list(sys.argv[1:] if argv is None else argv))
    )
    try:
        if args.command == "doctor":  # reports a broken config instead of failing on it
            return ops.cmd_doctor(None, args)
        cfg = load(args.config)
        _configure_logging(cfg, args.command)
        if args.command is None:
            return shopper.run_kiosk(cfg)
        result: int = args.func(cfg, args)
        return result
    except KioskError as exc:
        print(f"kiosk: error [{exc.code}]: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `kiosk ... | head`: the reader left; not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0

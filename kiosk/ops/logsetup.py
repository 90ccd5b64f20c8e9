"""Where log records go, with personal data redacted from every one of them.

- Under systemd, not the UI (`kiosk sync`, `kiosk-llm`): stderr with `<N>` syslog
  priority prefixes, which journald reads into PRIORITY= (SyslogIdentifier= is in
  the unit).
- Under systemd, the shopper UI: Textual draws on stdout *and* stderr (its driver
  writes to fd 2), so both are the tty and a log line there would scribble over the
  shopper's screen. Records go straight to journald's native socket instead.
- Outside systemd: a rotating file, `<home>/logs/kiosk.log` (1 MB x 3); plus
  warnings on stderr for command-line use, never for the UI.

Every record passes `RedactFilter` (emails, phone, card and loyalty numbers become
placeholders) before any handler formats it, tracebacks included.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import os
import socket
import struct
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from kiosk.config import Config
from kiosk.errors import storage_error
from kiosk.text.privacy import redact

JOURNAL_SOCKET = "/run/systemd/journal/socket"
LOG_MAX_BYTES = 1_000_000
LOG_BACKUPS = 3
_FILE_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_JOURNAL_MAX = 48 * 1024  # datagrams beyond ~200 KB need memfd passing; we truncate instead
_OURS = "_kiosk_handler"  # marks handlers this module installed, so a second call replaces them


def syslog_priority(levelno: int) -> int:
    """Python level -> syslog priority (journald's PRIORITY=): 7 debug ... 2 critical."""
    if levelno >= logging.CRITICAL:
        return 2
    if levelno >= logging.ERROR:
        return 3
    if levelno >= logging.WARNING:
        return 4
    if levelno >= logging.INFO:
        return 6
    return 7


class RedactFilter(logging.Filter):
    """Replace a record's message (and traceback) with its redacted text, once."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_kiosk_redacted", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a bad %-format in some library's call: keep what we can
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        record.__dict__["_kiosk_redacted"] = True
        return True


class PriorityFormatter(logging.Formatter):
    """`<4>kiosk.catalog: text` on every line, so journald keeps tracebacks at their level."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        prefix = f"<{syslog_priority(record.levelno)}>"
        return "\n".join(prefix + line for line in text.splitlines() or [""])


class JournalHandler(logging.Handler):
    """journald's native protocol over its AF_UNIX datagram socket; no dependency.

    Each record is one datagram of fields: `KEY=value\\n`, or for values with a
    newline `KEY\\n` + 64-bit little-endian length + value + `\\n`.
    """

    def __init__(self, identifier: str = "kiosk", address: str = JOURNAL_SOCKET) -> None:
        super().__init__()
        self.identifier = identifier
        self.address = address
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)

    @staticmethod
    def _field(key: str, value: str) -> bytes:
        data = value.encode("utf-8", errors="replace")
        if b"\n" in data:
            return key.encode() + b"\n" + struct.pack("<Q", len(data)) + data + b"\n"
        return key.encode() + b"=" + data + b"\n"

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = self.format(record)[:_JOURNAL_MAX]
            fields = [
                ("MESSAGE", message),
                ("PRIORITY", str(syslog_priority(record.levelno))),
                ("SYSLOG_IDENTIFIER", self.identifier),
                ("LOGGER", record.name),
                ("CODE_FILE", record.pathname),
                ("CODE_LINE", str(record.lineno)),
                ("CODE_FUNC", record.funcName),
            ]
            self._sock.sendto(b"".join(self._field(k, v) for k, v in fields), self.address)
        except Exception:
            self.handleError(record)

    def close(self) -> None:
        self._sock.close()
        super().close()


def under_systemd(env: Mapping[str, str]) -> bool:
    """Started by systemd: it sets INVOCATION_ID for every unit, JOURNAL_STREAM when
    stdout or stderr goes to the journal."""
    return bool(env.get("JOURNAL_STREAM") or env.get("INVOCATION_ID"))


def _is_journal_stream(fd: int, env: Mapping[str, str]) -> bool:
    """Does `fd` go to journald? JOURNAL_STREAM is 'device:inode' of that stream."""
    dev, _, ino = env.get("JOURNAL_STREAM", "").partition(":")
    try:
        st = os.fstat(fd)
        return (st.st_dev, st.st_ino) == (int(dev), int(ino))
    except (OSError, ValueError):
        return False


def _dup_stream(fd: int) -> TextIO:
    """Our own handle on fd 1/2: Textual swaps sys.stdout/sys.stderr while it runs."""
    return open(os.dup(fd), "w", encoding="utf-8", errors="replace", buffering=1)


def _tag(handler: logging.Handler) -> logging.Handler:
    setattr(handler, _OURS, True)
    handler.addFilter(RedactFilter())
    return handler


class LogFile(logging.handlers.RotatingFileHandler):
    """The rotating log file, for a disk that fills up or turns read-only: a record
    that can't be written is dropped (no traceback per record on stderr), said once
    on stderr when `say` (never under a screen), and the file is tried again after
    `RETRY_S`."""

    RETRY_S = 60.0

    def __init__(self, path: Path, *, say: bool) -> None:
        super().__init__(path, maxBytes=LOG_MAX_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8")
        self.say = say
        self.failing_since: float | None = None
        self.said = False

    def emit(self, record: logging.LogRecord) -> None:
        if self.failing_since is not None:
            if time.monotonic() - self.failing_since < self.RETRY_S:
                return
            self.failing_since = None
        super().emit(record)

    def handleError(self, record: logging.LogRecord) -> None:
        exc = sys.exc_info()[1]
        if not isinstance(exc, OSError):
            super().handleError(record)
            return
        self.failing_since = time.monotonic()
        with contextlib.suppress(Exception):  # a half-written line must not stay open
            self.close()
        if self.say and not self.said:
            self.said = True
            problem = storage_error(exc, self.baseFilename)
            why = problem.message if problem is not None else (exc.strerror or str(exc))
            with contextlib.suppress(Exception):
                print(
                    f"kiosk: the log file {self.baseFilename} can't be written ({why}); "
                    "records are dropped until it can",
                    file=sys.stderr,
                    flush=True,
                )


def _file_handler(home: Path, *, say: bool = False) -> logging.Handler | None:
    try:
        logs = home / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        handler = LogFile(logs / "kiosk.log", say=say)
    except OSError:
        return None  # read-only home: the caller decides where else to log
    handler.setFormatter(logging.Formatter(_FILE_FORMAT))
    return handler


def configure_logging(
    cfg: Config,
    *,
    tui: bool,
    level: int = logging.INFO,
    env: Mapping[str, str] | None = None,
    journal_socket: str = JOURNAL_SOCKET,
) -> None:
    """Install the root handlers for this process (replacing earlier ones).

    `tui=True`: no record is ever written to stdout or stderr, whoever logs it, so
    library logs and warnings can't reach the shopper's screen.
    """
    env = os.environ if env is None else env
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
        if getattr(old, _OURS, False):
            with contextlib.suppress(Exception):
                old.close()

    handlers: list[logging.Handler] = []
    if under_systemd(env):
        if not tui or _is_journal_stream(2, env):  # the UI's stderr is normally its tty
            with contextlib.suppress(OSError):  # fd 2 closed: fall through to the file
                stream = logging.StreamHandler(_dup_stream(2))
                stream.setFormatter(PriorityFormatter("%(name)s: %(message)s"))
                handlers.append(stream)
        elif Path(journal_socket).exists():
            journal = JournalHandler("kiosk", journal_socket)
            journal.setFormatter(logging.Formatter("%(name)s: %(message)s"))
            handlers.append(journal)
    if not handlers:
        file = _file_handler(cfg.home_path, say=not tui)
        if file is not None:
            handlers.append(file)
        if not tui:
            console = logging.StreamHandler(sys.stderr)
            console.setLevel(logging.WARNING if file is not None else level)
            console.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
            handlers.append(console)
    if not handlers:
        handlers.append(logging.NullHandler())  # tui, nowhere writable: drop, never the screen

    for handler in handlers:
        root.addHandler(_tag(handler))
    root.setLevel(level)
    logging.captureWarnings(True)
    if tui:
        # Python's fallbacks write to stderr: the handler of last resort, "No handlers
        # could be found", and tracebacks of a handler's own errors (disk full).
        logging.lastResort = logging.NullHandler()
        logging.raiseExceptions = False
        root.manager.emittedNoHandlerWarning = True
        # A worker thread's uncaught exception is printed on stderr by default: log it.
        threading.excepthook = _log_thread_exception


def _log_thread_exception(args: threading.ExceptHookArgs) -> None:
    """threading.excepthook for the UI: the traceback goes to the log, not over the screen."""
    if args.exc_type is SystemExit:
        return
    name = args.thread.name if args.thread is not None else "?"
    logging.getLogger("kiosk.thread").critical(
        "uncaught exception in thread %s",
        name,
        exc_info=(args.exc_type, args.exc_value or args.exc_type(), args.exc_traceback),
    )

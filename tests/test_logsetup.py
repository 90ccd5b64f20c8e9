"""Logging: nothing personal reaches a log, and nothing at all reaches the UI's screen."""

from __future__ import annotations

import logging
import socket
import struct
import subprocess
import sys
import textwrap
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.config import load
from kiosk.ops.logsetup import JournalHandler, configure_logging

EMAIL = "jane.doe@example.com"
PHONE = "555-867-5309"
CARD = "4111 1111 1111 1111"  # a Luhn-valid test card number
PLANTED = f"call me at {PHONE} or {EMAIL}, card {CARD}"
SECRETS = (EMAIL, PHONE, CARD, "4111111111111111", "867-5309")


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """configure_logging changes process-wide state; put it back for the next test."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level, logging.lastResort, logging.raiseExceptions)
    saved_hook = threading.excepthook
    yield
    threading.excepthook = saved_hook
    for h in list(root.handlers):
        root.removeHandler(h)
        if h not in saved[0]:
            h.close()
    for h in saved[0]:
        root.addHandler(h)
    root.setLevel(saved[1])
    logging.lastResort, logging.raiseExceptions = saved[2], saved[3]
    logging.captureWarnings(False)


def _plant(logger: logging.Logger) -> None:
    logger.info("shopper said: %s", PLANTED)
    logger.warning(PLANTED)
    try:
        raise ValueError(f"could not parse {PLANTED}")
    except ValueError:
        logger.exception("turn failed for %s", EMAIL)


def _assert_clean(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} leaked into: {text}"


def test_planted_personal_data_never_reaches_the_log_file(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    cfg = load(env={"KIOSK_HOME": str(tmp_path)})
    configure_logging(cfg, tui=True, env={})
    _plant(logging.getLogger("kiosk.assistant"))
    for h in logging.getLogger().handlers:
        h.flush()
    log = (tmp_path / "logs" / "kiosk.log").read_text(encoding="utf-8")
    _assert_clean(log)
    assert "[email]" in log and "[phone]" in log and "[card]" in log
    assert "ValueError: could not parse" in log  # the traceback is kept, redacted
    out, err = capfd.readouterr()
    assert out == "" and err == ""  # tui: not a byte on the screen


def test_tui_mode_writes_nothing_to_stdout_or_stderr_in_a_real_process(tmp_path: Path) -> None:
    """Library loggers, loggers with no handler, warnings: all away from the terminal."""
    code = textwrap.dedent(
        f"""
        import logging, warnings
        from kiosk.config import load
        from kiosk.ops.logsetup import configure_logging
        configure_logging(load(env={{"KIOSK_HOME": {str(tmp_path)!r}}}), tui=True, env={{}})
        logging.getLogger("urllib3").error("library noise {PLANTED}")
        lonely = logging.getLogger("lonely")
        lonely.propagate = False
        lonely.error("no handler anywhere")
        warnings.warn("a library warning {EMAIL}")
        logging.getLogger("kiosk").critical("bad %d", 1)
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "" and proc.stderr == ""
    log = (tmp_path / "logs" / "kiosk.log").read_text(encoding="utf-8")
    _assert_clean(log)
    assert "library noise" in log and "a library warning [email]" in log and "bad 1" in log


def test_under_systemd_stderr_gets_syslog_priorities(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    cfg = load(env={"KIOSK_HOME": str(tmp_path)})
    configure_logging(cfg, tui=False, env={"INVOCATION_ID": "0123abcd"})
    log = logging.getLogger("kiosk.sync")
    log.info("imported 20 products")
    log.warning("feed %s", PLANTED)
    log.error("failed")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        log.exception("sync crashed")
    for h in logging.getLogger().handlers:
        h.flush()
    _out, err = capfd.readouterr()
    _assert_clean(err)
    lines = err.splitlines()
    assert "<6>kiosk.sync: imported 20 products" in lines
    assert any(ln.startswith("<4>kiosk.sync: feed call me at [phone]") for ln in lines)
    assert "<3>kiosk.sync: failed" in lines
    assert all(ln.startswith(("<6>", "<4>", "<3>")) for ln in lines), lines  # tracebacks too
    assert "<3>RuntimeError: boom" in lines
    assert not (tmp_path / "logs").exists()  # the journal keeps it, not a file


def test_ui_under_systemd_logs_to_the_journal_socket_not_the_tty(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """kiosk.service's stdout and stderr are tty1: records go over journald's own socket."""
    path = tmp_path / "journal.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as journal:
        journal.bind(str(path))
        journal.settimeout(2.0)
        cfg = load(env={"KIOSK_HOME": str(tmp_path)})
        configure_logging(
            cfg, tui=True, env={"INVOCATION_ID": "0123abcd"}, journal_socket=str(path)
        )
        logging.getLogger("kiosk.ui").warning("shopper typed %s", PLANTED)
        datagram = journal.recv(65536)
    fields = _parse_journal(datagram)
    assert fields["MESSAGE"].startswith("kiosk.ui: shopper typed call me at [phone]")
    _assert_clean(fields["MESSAGE"])
    assert fields["PRIORITY"] == "4"
    assert fields["SYSLOG_IDENTIFIER"] == "kiosk"
    assert fields["LOGGER"] == "kiosk.ui"
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def _parse_journal(data: bytes) -> dict[str, str]:
    """journald's native format: KEY=value\\n, or KEY\\n<u64 le length><value>\\n."""
    fields: dict[str, str] = {}
    i = 0
    while i < len(data):
        nl = data.index(b"\n", i)
        line = data[i:nl]
        if b"=" in line:
            key, _, value = line.partition(b"=")
            i = nl + 1
        else:
            key = line
            (size,) = struct.unpack("<Q", data[nl + 1 : nl + 9])
            value = data[nl + 9 : nl + 9 + size]
            assert data[nl + 9 + size : nl + 10 + size] == b"\n"
            i = nl + 10 + size
        fields[key.decode()] = value.decode()
    return fields


def test_journal_handler_sends_multiline_records_in_binary_form(tmp_path: Path) -> None:
    path = tmp_path / "journal.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as journal:
        journal.bind(str(path))
        journal.settimeout(2.0)
        handler = JournalHandler("kiosk", str(path))
        logger = logging.getLogger("kiosk.test.journal")
        logger.addHandler(handler)
        logger.propagate = False
        try:
            try:
                raise KeyError("sku-1")
            except KeyError:
                logger.exception("write failed")
            datagram = journal.recv(65536)
        finally:
            logger.removeHandler(handler)
            handler.close()
            logger.propagate = True
    fields = _parse_journal(datagram)
    assert fields["MESSAGE"].startswith("write failed\nTraceback")
    assert fields["MESSAGE"].endswith("KeyError: 'sku-1'")
    assert fields["PRIORITY"] == "3"
    assert fields["CODE_FUNC"] == "test_journal_handler_sends_multiline_records_in_binary_form"


def test_reconfiguring_replaces_our_handlers(tmp_path: Path) -> None:
    cfg = load(env={"KIOSK_HOME": str(tmp_path)})
    configure_logging(cfg, tui=True, env={})
    configure_logging(cfg, tui=True, env={})
    assert len(logging.getLogger().handlers) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn("captured", stacklevel=1)
    for h in logging.getLogger().handlers:
        h.flush()
    assert "captured" in (tmp_path / "logs" / "kiosk.log").read_text(encoding="utf-8")


def test_a_worker_thread_crash_is_logged_not_printed(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    configure_logging(load(env={"KIOSK_HOME": str(tmp_path)}), tui=True, env={})

    def crash() -> None:
        raise RuntimeError(f"worker died on {EMAIL}")

    t = threading.Thread(target=crash, name="asr-worker")
    t.start()
    t.join()
    for h in logging.getLogger().handlers:
        h.flush()
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    log = (tmp_path / "logs" / "kiosk.log").read_text(encoding="utf-8")
    assert "uncaught exception in thread asr-worker" in log
    assert "RuntimeError: worker died on [email]" in log

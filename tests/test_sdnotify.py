"""sd_notify against real AF_UNIX datagram sockets, as systemd's own notify socket is."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.ops.sdnotify import Notifier, notify, watchdog_loop


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    """A datagram socket bound in a tmp dir, and the $NOTIFY_SOCKET value naming it."""
    path = tmp_path / "notify"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(2.0)
    yield sock, str(path)
    sock.close()


def test_messages_arrive_byte_exact(notify_socket: tuple[socket.socket, str]) -> None:
    sock, path = notify_socket
    n = Notifier({"NOTIFY_SOCKET": path})
    assert n.enabled
    assert n.ready("catalog: 20 products")
    assert sock.recv(4096) == b"READY=1\nSTATUS=catalog: 20 products"
    assert n.ready()
    assert sock.recv(4096) == b"READY=1"
    assert n.status("loading models \u2026")
    assert sock.recv(4096) == "STATUS=loading models \u2026".encode()
    assert n.watchdog()
    assert sock.recv(4096) == b"WATCHDOG=1"
    assert n.stopping()
    assert sock.recv(4096) == b"STOPPING=1"
    assert notify("READY=1", "STATUS=x", env={"NOTIFY_SOCKET": path})
    assert sock.recv(4096) == b"READY=1\nSTATUS=x"


def test_abstract_namespace_socket() -> None:
    name = f"kiosk-test-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(2.0)
        assert Notifier({"NOTIFY_SOCKET": "@" + name}).ready("up")
        assert sock.recv(4096) == b"READY=1\nSTATUS=up"


def test_process_environment_is_the_default(
    notify_socket: tuple[socket.socket, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sock, path = notify_socket
    monkeypatch.setenv("NOTIFY_SOCKET", path)
    assert notify("WATCHDOG=1")
    assert sock.recv(4096) == b"WATCHDOG=1"


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"NOTIFY_SOCKET": ""},
        {"NOTIFY_SOCKET": "/nonexistent/kiosk/notify"},
        {"NOTIFY_SOCKET": "@kiosk-test-nobody-listens-" + uuid.uuid4().hex},
        {"NOTIFY_SOCKET": "vsock:2:1234"},
    ],
)
def test_not_under_systemd_is_false_not_an_exception(env: dict[str, str]) -> None:
    n = Notifier(env)
    assert n.ready("x") is False
    assert n.watchdog() is False
    assert n.stopping() is False
    assert notify("READY=1", env=env) is False


def test_a_socket_that_went_away_is_false(tmp_path: Path) -> None:
    """systemd restarted (or the socket file was removed) after we read the address."""
    path = tmp_path / "gone"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(path))
    n = Notifier({"NOTIFY_SOCKET": str(path)})
    assert n.watchdog() is False  # bound once, nobody listening now: ECONNREFUSED
    path.unlink()
    assert n.watchdog() is False  # ENOENT


def test_watchdog_interval_is_half_of_watchdog_usec() -> None:
    me = str(os.getpid())
    assert Notifier({"WATCHDOG_USEC": "30000000"}).watchdog_interval_s() == 15.0
    assert Notifier({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": me}).watchdog_interval_s() == (
        15.0
    )
    # Inherited from the real service process: not ours to ping.
    other = str(os.getpid() + 1)
    assert Notifier({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": other}).watchdog_interval_s() is (
        None
    )
    assert Notifier({}).watchdog_interval_s() is None
    assert Notifier({"WATCHDOG_USEC": "0"}).watchdog_interval_s() is None
    assert Notifier({"WATCHDOG_USEC": "soon"}).watchdog_interval_s() is None


class _Receiver:
    """Records when each datagram arrives, on a thread of its own (the listener's side)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.arrivals: list[tuple[float, bytes]] = []
        self._stop = threading.Event()
        sock.settimeout(0.02)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            self.arrivals.append((time.monotonic(), data))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2.0)

    def between(self, start: float, end: float) -> list[bytes]:
        return [data for at, data in self.arrivals if start <= at <= end]


async def test_watchdog_pings_stop_while_the_loop_is_blocked(
    notify_socket: tuple[socket.socket, str],
) -> None:
    """A frozen event loop sends no WATCHDOG=1: exactly how systemd detects a hung UI."""
    sock, path = notify_socket
    receiver = _Receiver(sock)
    interval = 0.05
    task = asyncio.create_task(watchdog_loop(Notifier({"NOTIFY_SOCKET": path}), interval))
    try:
        t0 = time.monotonic()
        await asyncio.sleep(0.5)  # the loop runs: pings flow
        t1 = time.monotonic()

        async def frozen() -> None:
            time.sleep(0.6)  # a blocking call on the loop (the bug the watchdog exists for)

        await frozen()
        t2 = time.monotonic()
        await asyncio.sleep(0.5)  # the loop runs again: pings resume
        t3 = time.monotonic()
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        receiver.close()

    running = receiver.between(t0, t1)
    assert len(running) >= 5, receiver.arrivals
    assert set(running) == {b"WATCHDOG=1"}
    # One ping sent just before the block may still be on its way; none are sent during it.
    assert receiver.between(t1 + 0.05, t2) == [], receiver.arrivals
    assert len(receiver.between(t2, t3)) >= 5, receiver.arrivals

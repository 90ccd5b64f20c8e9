"""sd_notify without a dependency: tell systemd the truth about readiness and health.

systemd gives a `Type=notify` service the address of a datagram socket in
`$NOTIFY_SOCKET`; each message is a few `KEY=value` lines. The kiosk sends
`READY=1` only once models and catalog are loaded (so `systemctl start` waits for a
usable screen), `WATCHDOG=1` from the UI's own event loop (so a frozen loop stops
the pings and systemd restarts the kiosk), and `STOPPING=1` on the way out.

Outside systemd every call is a cheap no-op that returns False.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Mapping


def _address(env: Mapping[str, str]) -> str | None:
    """The socket address from `$NOTIFY_SOCKET`: a path, or '@name' for the abstract namespace."""
    raw = env.get("NOTIFY_SOCKET", "")
    if raw.startswith("@"):
        return "\0" + raw[1:]
    if raw.startswith("/"):
        return raw
    return None  # unset, or a kind we don't speak (e.g. vsock: on a VM host)


def _send(address: str | None, states: tuple[str, ...]) -> bool:
    if address is None or not states:
        return False
    message = "\n".join(states).encode("utf-8")
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(message)
    except OSError:
        # systemd gone, socket path not reachable: health reporting must never crash the kiosk.
        return False
    return True


def notify(*states: str, env: Mapping[str, str] | None = None) -> bool:
    """Send `states` ('READY=1', 'STATUS=...') to systemd; False when not under systemd."""
    return _send(_address(os.environ if env is None else env), states)


class Notifier:
    """The service's side of the protocol, with the address read once at start.

    `env` defaults to the process environment; tests pass their own socket's address.
    """

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self._env = dict(os.environ if env is None else env)
        self._address = _address(self._env)

    @property
    def enabled(self) -> bool:
        """True when started by systemd with a notify socket."""
        return self._address is not None

    def send(self, *states: str) -> bool:
        return _send(self._address, states)

    def ready(self, status: str = "") -> bool:
        """Models and catalog are loaded: `systemctl start` returns, dependants start."""
        return self.send("READY=1", *([f"STATUS={status}"] if status else []))

    def status(self, text: str) -> bool:
        """One line shown by `systemctl status kiosk` (e.g. 'loading models')."""
        return self.send(f"STATUS={text}")

    def watchdog(self) -> bool:
        """'Still alive': must come more often than WatchdogSec= or systemd restarts us."""
        return self.send("WATCHDOG=1")

    def stopping(self) -> bool:
        """We are shutting down on purpose; not a hang."""
        return self.send("STOPPING=1")

    def watchdog_interval_s(self) -> float | None:
        """How often to ping: half of `WATCHDOG_USEC`, as sd_watchdog_enabled(3) advises.

        None when the watchdog is off, or when `WATCHDOG_PID` names another process
        (the variables were inherited from a parent that is the real service).
        """
        pid = self._env.get("WATCHDOG_PID", "")
        if pid and pid != str(os.getpid()):
            return None
        try:
            usec = int(self._env.get("WATCHDOG_USEC", ""))
        except ValueError:
            return None
        if usec <= 0:
            return None
        return usec / 2 / 1_000_000


async def watchdog_loop(notifier: Notifier, interval_s: float) -> None:
    """Ping `WATCHDOG=1` every `interval_s` from the caller's event loop, until cancelled.

    Runs as a task on the UI's own loop, not a thread: a thread would keep pinging
    while the loop is stuck, and systemd would never notice a frozen screen.
    """
    while True:
        notifier.watchdog()
        await asyncio.sleep(interval_s)

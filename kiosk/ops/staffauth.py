"""The staff PIN: stored only as a salted PBKDF2 hash, checked in constant time,
with a limit on wrong attempts so a shopper can't guess it at the kiosk.

The count of wrong attempts and the lockout are kept in a small file under
KIOSK_HOME (`staff-pin.json`, replaced atomically), so restarting the kiosk, or
crashing it, gives a guesser nothing. An attempt is counted before it is checked.
Where that file can't be written (a read-only home, a full disk) the gate fails
closed: PIN entry stays locked and `problem` says why; `kiosk staff` over SSH still
works.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import math
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.config import PIN_HASH_ITERATIONS, PIN_HASH_SCHEME, parse_pin_hash
from kiosk.errors import storage_error

if TYPE_CHECKING:
    from kiosk.config import Config

STATE_FILE = "staff-pin.json"
PIN_MIN_DIGITS = 4
PIN_MAX_DIGITS = 12


def pin_problem(pin: str) -> str:
    """'' for a PIN `kiosk pin` accepts (4-12 ASCII digits), else what is wrong.

    ASCII only: '²²²²' and '١٢٣٤' are digits to Python but can't be typed on the
    kiosk's keypad, and would lock staff out."""
    if not (pin.isascii() and pin.isdigit()):
        return "a staff PIN is digits 0-9 only"
    if not PIN_MIN_DIGITS <= len(pin) <= PIN_MAX_DIGITS:
        return f"a staff PIN is {PIN_MIN_DIGITS} to {PIN_MAX_DIGITS} digits"
    return ""


def hash_pin(pin: str, *, salt: bytes | None = None) -> str:
    """'pbkdf2_sha256$ITER$SALT$HASH', the form `ui.staff_pin_hash` takes."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode("utf-8"), salt, PIN_HASH_ITERATIONS)
    return f"{PIN_HASH_SCHEME}${PIN_HASH_ITERATIONS}${salt.hex()}${digest.hex()}"


def check_pin(pin: str, stored: str) -> bool:
    """True if `pin` matches; False for a wrong PIN and for a hash that isn't one we
    make (malformed, or fewer iterations than we hash with)."""
    try:
        parsed = parse_pin_hash(stored)
    except ValueError:
        return False
    got = hashlib.pbkdf2_hmac("sha256", pin.encode("utf-8"), parsed.salt, parsed.iterations)
    return hmac.compare_digest(got, parsed.digest)


@dataclass(frozen=True)
class PinState:
    """What `staff-pin.json` holds: wrong attempts since the last lockout or success,
    and until when (wall-clock seconds) the PIN screen is locked."""

    failures: int = 0
    locked_until: float = 0.0


def read_state(path: Path) -> PinState:
    """The stored state; none stored is a clean one. ValueError if it is damaged,
    OSError if it can't be read."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return PinState()
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    failures, until = data.get("failures"), data.get("locked_until")
    if not isinstance(failures, int) or isinstance(failures, bool) or failures < 0:
        raise ValueError(f"failures {failures!r}")
    if not isinstance(until, int | float) or isinstance(until, bool) or not math.isfinite(until):
        raise ValueError(f"locked_until {until!r}")
    return PinState(failures, float(until))


def write_state(path: Path, state: PinState) -> None:
    """Replace the state file in one step (write, fsync, rename): a crash leaves the
    old state or the new one, never half a file. Raises OSError."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    payload = json.dumps({"failures": state.failures, "locked_until": state.locked_until})
    try:
        # No secret in it; group-readable (the kiosk group, UMask=0007) for `kiosk doctor`.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o660)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    with contextlib.suppress(OSError):  # the rename itself durable, where the OS allows
        dfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


@dataclass
class PinGate:
    """Counts wrong PINs; after `attempts` of them, locks for `lockout_s` seconds.

    With `state_path` the count and the lockout live in that file and survive a
    restart; without it (tests, a screen with no home) they live in memory only.
    """

    stored: str
    attempts: int = 3
    lockout_s: float = 60.0
    state_path: Path | None = None
    failures: int = 0
    locked_until: float = 0.0
    clock: Callable[[], float] = field(default=time.time, repr=False)
    # Why PIN entry is refused although no one used up the attempts ('' when it isn't).
    problem: str = ""

    @classmethod
    def from_config(cls, cfg: Config) -> PinGate:
        """The gate the shopper screen uses: its state kept in KIOSK_HOME."""
        return cls(
            cfg.ui.staff_pin_hash,
            cfg.ui.pin_attempts,
            cfg.ui.pin_lockout_s,
            state_path=cfg.home_path / STATE_FILE,
        )

    def _now(self) -> float:
        return self.clock()

    @property
    def enabled(self) -> bool:
        return bool(self.stored)

    def _save(self, state: PinState) -> bool:
        """Keep `state`, in the file when there is one; False (and `problem` set, the
        gate locked) when the file can't be written."""
        if self.state_path is not None:
            try:
                write_state(self.state_path, state)
            except OSError as exc:
                why = storage_error(exc, self.state_path)
                self._fail_closed(
                    f"wrong PIN entries can't be recorded ({why or exc.strerror or exc}); "
                    "PIN entry stays locked: use `kiosk staff` on the kiosk's terminal or SSH"
                )
                return False
        self.failures, self.locked_until = state.failures, state.locked_until
        self.problem = ""
        return True

    def _fail_closed(self, problem: str) -> None:
        self.problem = problem
        self.locked_until = max(self.locked_until, self._now() + self.lockout_s)

    def _load(self) -> None:
        """Take the stored state; the larger of it and what this gate last saw wins,
        so deleting the file during a lockout doesn't end it."""
        if self.state_path is None:
            return
        try:
            state = read_state(self.state_path)
        except (OSError, ValueError) as exc:
            # Damaged or unreadable: fail closed, and start a clean lockout over it.
            problem = f"the PIN attempt record {self.state_path} was unreadable ({exc})"
            self._fail_closed(problem)
            if self._save(PinState(0, self.locked_until)):
                self.problem = problem + "; PIN entry is locked for one lockout"
            return
        self.failures = max(self.failures, state.failures)
        self.locked_until = max(self.locked_until, state.locked_until)

    def locked_for(self) -> float:
        """Seconds until a PIN may be tried again (0: now)."""
        self._load()
        now = self._now()
        left = self.locked_until - now
        if left > self.lockout_s:  # the clock was set back: never more than one lockout
            self.locked_until = now + self.lockout_s
            if self.state_path is not None:
                with contextlib.suppress(OSError):
                    write_state(self.state_path, PinState(self.failures, self.locked_until))
            left = self.lockout_s
        return max(0.0, left)

    def try_pin(self, pin: str) -> bool:
        if not self.enabled or self.locked_for() > 0:
            return False
        # Count the attempt before checking it: a kiosk killed during the (deliberately
        # slow) check has it counted, and a home that can't record it locks the gate.
        failures = self.failures + 1
        counted = (
            PinState(0, self._now() + self.lockout_s)
            if failures >= self.attempts
            else PinState(failures, 0.0)
        )
        if not self._save(counted):
            return False
        if check_pin(pin, self.stored):
            if self.state_path is not None:  # the right PIN: in, even if this isn't kept
                with contextlib.suppress(OSError):
                    write_state(self.state_path, PinState())
            self.failures, self.locked_until, self.problem = 0, 0.0, ""
            return True
        return False

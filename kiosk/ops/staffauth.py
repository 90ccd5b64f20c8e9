"""The staff PIN: stored only as a salted PBKDF2 hash, checked in constant time,
with a limit on wrong attempts so a shopper can't guess it at the kiosk."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

_ITERATIONS = 200_000


def hash_pin(pin: str, *, salt: bytes | None = None) -> str:
    """'pbkdf2_sha256$ITER$SALT$HASH', the form `ui.staff_pin_hash` takes."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode("utf-8"), salt, _ITERATIONS)
    return f"pbkdf2_sha256${_ITERATIONS}${salt.hex()}${digest.hex()}"


def check_pin(pin: str, stored: str) -> bool:
    try:
        scheme, iterations, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "pbkdf2_sha256":
        return False
    got = hashlib.pbkdf2_hmac("sha256", pin.encode("utf-8"), bytes.fromhex(salt), int(iterations))
    return hmac.compare_digest(got.hex(), digest)


@dataclass
class PinGate:
    """Counts wrong PINs; after `attempts` of them, locks for `lockout_s` seconds."""

    stored: str
    attempts: int = 3
    lockout_s: float = 60.0
    failures: int = 0
    locked_until: float = 0.0
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)

    def _now(self) -> float:
        return self.clock()

    @property
    def enabled(self) -> bool:
        return bool(self.stored)

    def locked_for(self) -> float:
        return max(0.0, self.locked_until - self._now())

    def try_pin(self, pin: str) -> bool:
        if not self.enabled or self.locked_for() > 0:
            return False
        if check_pin(pin, self.stored):
            self.failures = 0
            return True
        self.failures += 1
        if self.failures >= self.attempts:
            self.failures = 0
            self.locked_until = self._now() + self.lockout_s
        return False

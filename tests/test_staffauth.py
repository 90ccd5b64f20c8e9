"""The staff PIN: hashed, checked, and locked after too many wrong tries."""

from __future__ import annotations

from kiosk.ops.staffauth import PinGate, check_pin, hash_pin


def test_hash_round_trip_and_salt() -> None:
    stored = hash_pin("4321")
    assert stored.startswith("pbkdf2_sha256$") and "4321" not in stored
    assert check_pin("4321", stored) and not check_pin("1234", stored)
    assert hash_pin("4321") != stored, "a fresh salt each time"
    assert not check_pin("4321", "garbage")


def test_gate_locks_after_wrong_attempts() -> None:
    now = [1000.0]
    gate = PinGate(hash_pin("4321"), attempts=3, lockout_s=60, clock=lambda: now[0])
    assert not gate.try_pin("0000") and not gate.try_pin("1111") and not gate.try_pin("2222")
    assert gate.locked_for() == 60
    assert not gate.try_pin("4321"), "the right PIN is refused while locked"
    now[0] += 61
    assert gate.try_pin("4321")


def test_no_pin_configured_means_no_console() -> None:
    gate = PinGate("")
    assert not gate.enabled and not gate.try_pin("")


def test_kiosk_pin_prints_a_config_line() -> None:
    import subprocess
    import sys

    r = subprocess.run(
        [sys.executable, "-m", "kiosk", "pin"],
        input="4321\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0
    stored = r.stdout.split('"')[1]
    assert check_pin("4321", stored)

"""The staff PIN: hashed, checked, and locked after too many wrong tries, across restarts."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pty
import select
import signal
import subprocess
import sys
import termios
import textwrap
import time
from pathlib import Path

import pytest

from kiosk.config import PIN_HASH_MAX_ITERATIONS, load
from kiosk.ops.staffauth import STATE_FILE, PinGate, check_pin, hash_pin, read_state
from tests.faults import ROOT, remount_read_only, run_kiosk, small_fs, unprivileged_prefix


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


# ------------------------------------------------------------- the stored hash


def _hash_with(pin: str, iterations: int) -> str:
    salt = bytes(range(16))
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, iterations)
    return f"pbkdf2_sha256${iterations}${salt.hex()}${digest.hex()}"


def test_a_hash_weaker_than_ours_is_refused_even_with_the_right_pin() -> None:
    weak = _hash_with("4321", 1)
    assert not check_pin("4321", weak), "1 iteration: a stolen config is guessed at once"
    assert not check_pin("4321", _hash_with("4321", 199_999))
    assert check_pin("4321", _hash_with("4321", 200_000))
    assert not PinGate(weak).try_pin("4321")


@pytest.mark.parametrize(
    "stored",
    [
        "pbkdf2_sha256$abc$00$00",
        "pbkdf2_sha256$200000$zz$00",
        "pbkdf2_sha256$200000$" + "00" * 16 + "$nothex",
        "pbkdf2_sha256$$$",
        "$$$$",
        "pbkdf2_sha256$99999999999999999999$" + "00" * 16 + "$" + "ab" * 32,
    ],
)
def test_a_malformed_hash_never_raises_on_first_use(stored: str) -> None:
    """Config loading refuses these; a gate built around them still only says no."""
    assert not check_pin("4321", stored)
    assert not PinGate(stored).try_pin("4321")


# ------------------------------------------------- the count survives a restart


def test_wrong_attempts_and_the_lockout_survive_a_restart(tmp_path: Path) -> None:
    stored, state = hash_pin("4321"), tmp_path / STATE_FILE
    now = [1_000_000.0]

    def restart() -> PinGate:  # a new process: nothing carried over in memory
        return PinGate(stored, 3, 60, state_path=state, clock=lambda: now[0])

    assert not restart().try_pin("0000")
    assert not restart().try_pin("1111")
    assert read_state(state).failures == 2
    assert not restart().try_pin("2222")
    assert restart().locked_for() == 60
    assert not restart().try_pin("4321"), "locked after a restart too"
    now[0] += 61
    gate = restart()
    assert gate.try_pin("4321")
    assert read_state(state).failures == 0
    assert state.stat().st_mode & 0o007 == 0, "not for others"
    assert sorted(p.name for p in tmp_path.iterdir()) == [STATE_FILE], "no temporary files left"


GUESS = textwrap.dedent(
    """
    import sys
    from kiosk.config import load
    from kiosk.ops.staffauth import PinGate

    gate = PinGate.from_config(load())
    print(gate.try_pin(sys.argv[1]), round(gate.locked_for()), flush=True)
    """
)


def _guess(home: Path, pin: str, env: dict[str, str]) -> str:
    r = subprocess.run(
        [sys.executable, "-c", GUESS, pin],
        env={**os.environ, **env, "KIOSK_HOME": str(home), "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def test_a_guesser_restarting_the_kiosk_gains_nothing(tmp_path: Path) -> None:
    """Real processes, each one guess, as a shopper who crashes the screen between tries."""
    env = {"KIOSK_UI_STAFF_PIN_HASH": hash_pin("4321"), "KIOSK_UI_PIN_LOCKOUT_S": "600"}
    assert _guess(tmp_path, "0000", env) == "False 0"
    assert _guess(tmp_path, "1111", env) == "False 0"
    assert _guess(tmp_path, "2222", env) == "False 600"
    assert _guess(tmp_path, "4321", env) == "False 600", "the right PIN waits out the lockout"


SLOW_GUESS = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from kiosk.ops.staffauth import PinGate

    PinGate(sys.argv[1], 3, 60, state_path=Path(sys.argv[2])).try_pin("0000")
    """
)


def test_an_attempt_is_counted_before_it_is_checked(tmp_path: Path) -> None:
    """A kiosk killed during the (slow) check has the attempt counted already."""
    stored = _hash_with("4321", PIN_HASH_MAX_ITERATIONS)  # about a second to check
    state = tmp_path / STATE_FILE
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_GUESS, stored, str(state)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        deadline = time.monotonic() + 30
        while not state.exists() and time.monotonic() < deadline:
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(10)
    assert proc.returncode == -signal.SIGKILL, "the check was over before the kill"
    assert read_state(state).failures == 1


def test_a_damaged_record_locks_once_then_heals(tmp_path: Path) -> None:
    state, now = tmp_path / STATE_FILE, [5000.0]
    state.write_text("{not json")
    gate = PinGate(hash_pin("4321"), 3, 60, state_path=state, clock=lambda: now[0])
    assert not gate.try_pin("4321"), "fails closed"
    assert gate.locked_for() == 60 and "unreadable" in gate.problem
    assert json.loads(state.read_text())["locked_until"] == 5060.0, "rewritten whole"
    now[0] += 61
    assert gate.try_pin("4321")


def test_a_clock_set_back_locks_no_longer_than_one_lockout(tmp_path: Path) -> None:
    state, now = tmp_path / STATE_FILE, [10_000.0]
    gate = PinGate(hash_pin("4321"), 1, 60, state_path=state, clock=lambda: now[0])
    assert not gate.try_pin("0000") and gate.locked_for() == 60
    now[0] -= 3600  # someone set the clock back an hour
    assert gate.locked_for() == 60
    now[0] += 61
    assert gate.try_pin("4321")


def test_a_read_only_home_fails_closed(tmp_path: Path) -> None:
    """A real read-only mount: attempts can't be recorded, so the PIN is refused."""
    with small_fs(tmp_path / "home", 1024) as home:
        remount_read_only(home)
        cfg = load(env={"KIOSK_HOME": str(home), "KIOSK_UI_STAFF_PIN_HASH": hash_pin("4321")})
        gate = PinGate.from_config(cfg)
        assert gate.enabled
        assert not gate.try_pin("4321")
        assert gate.locked_for() > 0
        assert "read-only" in gate.problem and "kiosk staff" in gate.problem


def test_a_home_this_user_cant_write_fails_closed(tmp_path: Path) -> None:
    """No mount needed: a folder whose mode forbids writing, for a real unprivileged writer."""
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(0o555)
    script = GUESS.replace("flush=True)", "gate.problem, flush=True)")
    r = subprocess.run(
        [*unprivileged_prefix(), sys.executable, "-c", script, "4321"],
        env={
            **os.environ,
            "KIOSK_HOME": str(home),
            "KIOSK_UI_STAFF_PIN_HASH": hash_pin("4321"),
            "PYTHONPATH": str(ROOT),
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("False 60 "), r.stdout
    assert "not writable" in r.stdout


# -------------------------------------------------------------------- kiosk pin


def test_kiosk_pin_prints_a_config_line(tmp_path: Path) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text("")
    r = run_kiosk(tmp_path, "pin", stdin="4321\n", env={"KIOSK_CONFIG": str(config)})
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("[ui]\nstaff_pin_hash = ")
    stored = r.stdout.split('"')[1]
    assert check_pin("4321", stored)
    assert f"put this in your config file's [ui] section (KIOSK_CONFIG = {config})" in r.stderr
    r = run_kiosk(tmp_path, "pin", stdin="4321\n")
    assert "KIOSK_CONFIG is not set" in r.stderr


@pytest.mark.parametrize(
    "pin", ["²²²²", "١٢٣٤", "\uff14\uff13\uff12\uff11", "12a4", "123", "1234567890123"]
)
def test_kiosk_pin_takes_ascii_digits_only(tmp_path: Path, pin: str) -> None:
    r = run_kiosk(tmp_path, "pin", stdin=pin + "\n")
    assert r.returncode == 2 and r.stdout == ""
    assert "pin_invalid" in r.stderr and "Traceback" not in r.stderr


def _wait_for_echo_off(fd: int) -> None:
    end = time.monotonic() + 10
    while termios.tcgetattr(fd)[3] & termios.ECHO and time.monotonic() < end:
        time.sleep(0.01)
    time.sleep(0.05)


def _pin_on_a_terminal(home: Path, *typed: str) -> str:
    """`kiosk pin` on a real pseudo-terminal; each of `typed` answers one prompt."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    env.update({"KIOSK_HOME": str(home), "PYTHONPATH": str(ROOT)})
    pid, fd = pty.fork()
    if pid == 0:
        os.execvpe(sys.executable, [sys.executable, "-m", "kiosk", "pin"], env)
    seen = b""
    answers = list(typed)
    try:
        end = time.monotonic() + 60
        while time.monotonic() < end:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
            if answers and seen.rstrip().endswith(b":"):
                _wait_for_echo_off(fd)  # getpass has switched echo off: it is reading
                os.write(fd, answers.pop(0).encode() + b"\r")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)  # only if it is still waiting for an answer
        os.waitpid(pid, 0)
        os.close(fd)
    return seen.decode()


def test_kiosk_pin_asks_twice_on_a_terminal(tmp_path: Path) -> None:
    out = _pin_on_a_terminal(tmp_path, "4321", "4321")
    assert "new staff PIN:" in out and "the same PIN again:" in out
    assert "4321" not in out.replace(out.split('"')[1], ""), "the PIN is never echoed"
    assert check_pin("4321", out.split('"')[1])
    out = _pin_on_a_terminal(tmp_path, "4321", "4312")
    assert "the two PINs differ" in out and "staff_pin_hash" not in out

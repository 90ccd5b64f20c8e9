"""Real storage faults for the tests: a small filesystem filled to the last byte, a
filesystem remounted read-only, a folder this user can't write.

Mounting a tmpfs needs root (CAP_SYS_ADMIN); where it isn't allowed (CI as a normal
user, a container without the capability) `small_fs` skips the test and says why.
Root ignores file modes, so `unprivileged` runs a command as root without the
capabilities that bypass them: chmod then means what it says.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@functools.cache
def mount_problem() -> str:
    """'' when this process can mount a tmpfs, else why not (the skip reason)."""
    if shutil.which("mount") is None:
        return "no mount command"
    probe = Path(f"/tmp/kiosk-mount-probe-{uuid.uuid4().hex}")
    probe.mkdir()
    try:
        r = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(probe)],
            capture_output=True,
            text=True,
        )
        if r.returncode != 0:
            first = (r.stderr.strip().splitlines() or ["not root"])[0]
            return f"can't mount a tmpfs here ({first})"
        subprocess.run(["umount", str(probe)], check=True)
        return ""
    finally:
        probe.rmdir()


@contextlib.contextmanager
def small_fs(where: Path, size_kib: int = 8192) -> Iterator[Path]:
    """A real tmpfs of `size_kib` mounted at `where` (created), unmounted after."""
    why = mount_problem()
    if why:
        pytest.skip(f"needs a real small filesystem: {why}")
    where.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_kib}k,mode=0755", "tmpfs", str(where)],
        check=True,
    )
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def remount_read_only(where: Path) -> None:
    """The mount at `where` turns read-only, as ext4 does after a disk error."""
    subprocess.run(["mount", "-o", "remount,ro", str(where)], check=True)


def free_bytes(where: Path) -> int:
    st = os.statvfs(where)
    return st.f_bavail * st.f_frsize


def fill(where: Path, leave: int = 0) -> Path:
    """Write real bytes into `where` until at most `leave` bytes are free."""
    filler = where / "filler.bin"
    with filler.open("ab") as f:
        for chunk in (1 << 20, 1 << 16, 1 << 12, 1 << 9):
            while free_bytes(where) - leave >= chunk:
                try:
                    f.write(b"\0" * chunk)
                    f.flush()
                except OSError:
                    break
    assert free_bytes(where) <= max(leave, 0) + (1 << 12), free_bytes(where)
    return filler


def unprivileged_prefix() -> list[str]:
    """The command prefix that makes file modes bind this process's children: none
    for a normal user; for root, setpriv without the DAC override capabilities."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("root ignores file modes and setpriv isn't there to drop that")
    return ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"]


def run_kiosk(
    home: Path,
    *args: str,
    env: dict[str, str] | None = None,
    prefix: list[str] | None = None,
    stdin: str = "",
) -> subprocess.CompletedProcess[str]:
    """`kiosk ARGS` in a fresh process on its own KIOSK_HOME, optionally behind
    `prefix` (e.g. `unprivileged_prefix()`)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    full_env.update(
        {
            "KIOSK_HOME": str(home),
            "KIOSK_LLM_BACKEND": "none",
            "KIOSK_SPEECH_ENABLED": "false",
            "PYTHONPATH": str(ROOT),
            **(env or {}),
        }
    )
    return subprocess.run(
        [*(prefix or []), sys.executable, "-m", "kiosk", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=300,
        cwd=ROOT,
    )


def one_line(r: subprocess.CompletedProcess[str]) -> str:
    """The one stderr line a failing command prints; asserts there is no traceback."""
    assert "Traceback" not in r.stderr, r.stderr
    assert r.stderr.count("\n") == 1, r.stderr
    return r.stderr

"""Is a model file the one the manifest names? Its sha256, or a stamp that vouches for it.

A small stamp beside each file (size, mtime, sha256) lets every start skip re-hashing
hundreds of MB; `rehash=True` (`kiosk models --full`) hashes anyway. A file changed in
place gets a new mtime, so its stamp no longer matches and it is hashed again.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from kiosk.models.manifest import ModelFile


@dataclass
class FileCheck:
    """Result of checking one file; `actual` is filled only when it was hashed."""

    ok: bool
    problem: str = ""
    actual: str = ""
    exists: bool = True
    size: int = 0


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in blocks."""
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _stamp_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.sha256ok")


def _stamp_valid(path: Path, mf: ModelFile, st: os.stat_result) -> bool:
    """True when the stamp vouches for exactly this file (same size, mtime and hash)."""
    try:
        text = _stamp_path(path).read_text(encoding="ascii").split()
    except (OSError, UnicodeDecodeError):
        return False
    return text == [mf.sha256, str(st.st_size), str(st.st_mtime_ns)]


def write_stamp(path: Path, sha: str) -> None:
    """Best effort: a read-only models dir only costs a re-hash on the next start."""
    try:
        st = path.stat()
        stamp = _stamp_path(path)
        tmp = stamp.with_name(stamp.name + f".{os.getpid()}.tmp")
        tmp.write_text(f"{sha} {st.st_size} {st.st_mtime_ns}\n", encoding="ascii")
        os.replace(tmp, stamp)
    except OSError:
        pass


def check_file(path: Path, mf: ModelFile, *, rehash: bool) -> FileCheck:
    """Cheap when the stamp matches; otherwise hash, and stamp the file if it is right."""
    try:
        st = path.stat()
    except OSError:
        return FileCheck(False, "missing", exists=False)
    if not path.is_file():
        return FileCheck(False, "not a regular file", size=st.st_size)
    if st.st_size != mf.size:
        return FileCheck(False, f"size {st.st_size} bytes, expected {mf.size}", size=st.st_size)
    if not rehash and _stamp_valid(path, mf, st):
        return FileCheck(True, size=st.st_size)
    actual = sha256_file(path)
    if actual != mf.sha256:
        with contextlib.suppress(OSError):  # so a plain `kiosk models` rebuilds it
            _stamp_path(path).unlink(missing_ok=True)
        return FileCheck(
            False, f"sha256 {actual}, expected {mf.sha256}", actual=actual, size=st.st_size
        )
    write_stamp(path, actual)
    return FileCheck(True, actual=actual, size=st.st_size)

"""Errors with a machine code and a sentence a person can act on.

A shopper or technician sees `message`; logs get `code`. Every error a user can
cause (bad config, bad catalog row, missing model) is a `KioskError`, so the CLI
prints one clear line instead of a traceback.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Sequence
from pathlib import Path


class KioskError(Exception):
    """Base class: `code` is stable for scripts, `message` is for people."""

    code = "kiosk_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.message


class ConfigError(KioskError):
    """The config file or a KIOSK_* variable is wrong; the message names the key."""

    code = "config_error"


class ModelError(KioskError):
    """A model file is missing or corrupt; the message names the file and the fix."""

    code = "model_error"


class CatalogError(KioskError):
    """The catalog database can't be opened or is damaged."""

    code = "catalog_error"


def location(path: str = "", line: int | None = None, field: str | None = None) -> str:
    """'products.csv, line 3, field 'price'': where an import problem is, for people."""
    where = path
    if line is not None:
        where += f", line {line}"
    if field:
        where += f", field '{field}'"
    return where


class ImportError_(KioskError):
    """An import was rejected; nothing in the catalog changed.

    One problem, or (`ImportError_.of`) every problem an import found, so a store
    manager fixes a feed in one round: `problems` lists them (up to a cap) and
    `more` counts the rest. `path`, `line` and `field` are the first problem's.

    Named with a trailing underscore so it never shadows the builtin.
    """

    code = "import_error"

    def __init__(
        self,
        message: str,
        *,
        path: str = "",
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        where = location(path, line, field)
        super().__init__(f"{where}: {message}" if where else message)
        self.path = path
        self.line = line
        self.field = field
        self.reason = message
        self.problems: list[ImportError_] = [self]
        self.more = 0

    @classmethod
    def of(cls, problems: Sequence[ImportError_], *, more: int = 0) -> ImportError_:
        """One error for all of `problems` (and `more` not listed): a count, then a line each."""
        if not problems:
            raise ValueError("no problems")
        if len(problems) == 1 and not more:
            return problems[0]
        total = len(problems) + more
        lines = [f"{total} problems; nothing was imported, the catalog is unchanged:"]
        lines += [f"  {p.message}" for p in problems]
        if more:
            lines.append(f"  ... and {more} more")
        error = cls("\n".join(lines))
        first = problems[0]
        error.path, error.line, error.field = first.path, first.line, first.field
        error.reason = lines[0]
        error.problems = list(problems)
        error.more = more
        return error


class StorageError(KioskError):
    """The data folder can't be written: the disk is full, the filesystem is read-only,
    or the folder isn't this user's. `code` says which; the message names the folder."""

    code = "storage_error"


# Less free space than this on the data folder's filesystem counts as a full disk:
# SQLite needs a 32 KiB index beside a WAL catalog, and a commit needs room for its pages.
DISK_FULL_BELOW = 1 << 20


def _existing(path: Path) -> Path:
    """`path`, or the nearest folder above it that exists (what a new file would use)."""
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return probe


def storage_problem(folder: Path | str) -> StorageError | None:
    """Why nothing can be written in `folder` (or where it would be created), or None.

    Asked of the filesystem itself (statvfs, access), not guessed from an error: a
    read-only mount says so even to root, and free space is what this user may use.
    """
    probe = _existing(Path(folder))
    try:
        st = os.statvfs(probe)
    except OSError:
        return None
    if st.f_flag & os.ST_RDONLY:
        return StorageError(
            f"read-only: {probe} is on a read-only filesystem",
            code="read_only",
        )
    if not os.access(probe, os.W_OK):
        return StorageError(
            f"not writable: {probe} can't be written by this user", code="not_writable"
        )
    free = st.f_bavail * st.f_frsize
    if free < DISK_FULL_BELOW:
        return StorageError(
            f"disk full: {free // 1024} KiB left on the filesystem of {probe}", code="disk_full"
        )
    return None


_ERRNO_CODES = {
    errno.ENOSPC: "disk_full",
    errno.EDQUOT: "disk_full",
    errno.EROFS: "read_only",
    errno.EACCES: "not_writable",
    errno.EPERM: "not_writable",
}


def storage_error(exc: OSError, path: Path | str) -> StorageError | None:
    """The StorageError an OSError from writing `path` stands for, or None if it is
    something else (a missing folder, a bad name). The filesystem's own state is
    asked first, so the sentence says what is true now."""
    if exc.errno not in _ERRNO_CODES:
        return None
    found = storage_problem(Path(path).parent)
    if found is not None:
        return found
    code = _ERRNO_CODES[exc.errno]
    words = {
        "disk_full": "disk full",
        "read_only": "read-only",
        "not_writable": "not writable",
    }[code]
    return StorageError(f"{words}: {path} can't be written ({exc.strerror})", code=code)

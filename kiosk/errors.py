"""Errors with a machine code and a sentence a person can act on.

A shopper or technician sees `message`; logs get `code`. Every error a user can
cause (bad config, bad catalog row, missing model) is a `KioskError`, so the CLI
prints one clear line instead of a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence


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

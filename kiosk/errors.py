"""Errors with a machine code and a sentence a person can act on.

A shopper or technician sees `message`; logs get `code`. Every error a user can
cause (bad config, bad catalog row, missing model) is a `KioskError`, so the CLI
prints one clear line instead of a traceback.
"""

from __future__ import annotations


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


class ImportError_(KioskError):
    """An import was rejected; nothing in the catalog changed.

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
        where = path
        if line is not None:
            where += f", line {line}"
        if field:
            where += f", field '{field}'"
        super().__init__(f"{where}: {message}" if where else message)
        self.path = path
        self.line = line
        self.field = field
        self.reason = message

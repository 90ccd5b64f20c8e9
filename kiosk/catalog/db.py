"""Opening the catalog database with the settings that keep it safe.

WAL lets the shopper screen read while the staff console writes; synchronous=FULL
makes a committed import survive a power cut; foreign keys keep variants and
documents from outliving their product.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kiosk.catalog.schema import SCHEMA, SCHEMA_VERSION
from kiosk.errors import CatalogError


def connect(path: Path | str, *, create: bool = True, readonly: bool = False) -> sqlite3.Connection:
    """Open (and if needed create) the catalog at `path` with safe pragmas and the schema."""
    path = Path(path)
    if not create and not path.exists():
        raise CatalogError(
            f"catalog database {path} does not exist; run `kiosk import PATH` or `kiosk demo`",
            code="catalog_missing",
        )
    if create and not readonly:
        path.parent.mkdir(parents=True, exist_ok=True)
    uri = f"file:{path}?mode=ro" if readonly else f"file:{path}"
    try:
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA busy_timeout = 5000")
        conn.execute("PRAGMA foreign_keys = ON")
        if not readonly:
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise CatalogError(
                f"catalog {path} has schema version {version}, newer than this kiosk "
                f"({SCHEMA_VERSION}); upgrade kiosk",
                code="catalog_too_new",
            )
        if version < SCHEMA_VERSION and not readonly:
            with transaction(conn):
                for statement in _statements(SCHEMA):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except sqlite3.DatabaseError as exc:
        raise CatalogError(
            f"catalog database {path} can't be opened: {exc}", code="catalog_corrupt"
        ) from None
    return conn


def _statements(script: str) -> Iterator[str]:
    """Split the schema into statements so it runs inside our own transaction."""
    buf = ""
    for line in script.splitlines(keepends=True):
        if line.strip().startswith("--"):
            continue
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                yield buf.strip()
            buf = ""


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction: all of it lands, or (on any exception) none of it."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def change_stamp(conn: sqlite3.Connection) -> tuple[int, int]:
    """Changes whenever the catalog does: data_version moves on other connections'
    commits, total_changes on this connection's own. Caches keyed on it stay fresh."""
    return int(conn.execute("PRAGMA data_version").fetchone()[0]), conn.total_changes

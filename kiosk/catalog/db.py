"""Opening the catalog database with the settings that keep it safe.

WAL lets the shopper screen read while the staff console writes; synchronous=FULL
makes a committed import survive a power cut; foreign keys keep variants and
documents from outliving their product.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from kiosk.catalog.schema import COLUMNS, SCHEMA, SCHEMA_VERSION
from kiosk.errors import CatalogError, KioskError, StorageError, storage_error, storage_problem


class CatalogConnection(sqlite3.Connection):
    """A catalog connection. `read_only` is why it was opened read-only although it
    was asked for writing (a full disk, a read-only home), else None."""

    read_only: StorageError | None = None


def read_only_reason(conn: sqlite3.Connection) -> StorageError | None:
    """Why `conn` can't write although it was opened for writing; None when it can."""
    return getattr(conn, "read_only", None)


def connect(path: Path | str, *, create: bool = True, readonly: bool = False) -> sqlite3.Connection:
    """Open (and if needed create) the catalog at `path` with safe pragmas and the schema.

    When the catalog exists but its folder can't be written (disk full, read-only
    filesystem, someone else's folder), it is opened read-only instead: the shopper
    still gets answers, and `read_only_reason` says why nothing can be saved. A write
    then fails with that sentence (`transaction`). `readonly=True` never writes at all.
    """
    path = Path(path)
    exists = path.exists()
    if not create and not exists:
        raise CatalogError(
            f"catalog database {path} does not exist; run `kiosk import PATH` or `kiosk demo`",
            code="catalog_missing",
        )
    if readonly:
        return _open_read_only(path, None)
    if not exists:
        problem = storage_problem(path.parent)
        if problem is not None:
            raise _cant_write(path, problem)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _cant_write(path, storage_error(exc, path) or _os_error(path, exc)) from None
    try:
        return _open(path, _uri(path), writable=True)
    except sqlite3.OperationalError as exc:
        problem = storage_problem(path.parent)
        if problem is None or not exists:
            raise _open_error(path, exc) from None
    except sqlite3.DatabaseError as exc:  # not a database, malformed: damage
        raise _open_error(path, exc) from None
    return _open_read_only(path, problem)


def _uri(path: Path, query: str = "") -> str:
    return path.absolute().as_uri() + query  # percent-encoded: '?' or '#' in a name is safe


def _open(path: Path, uri: str, *, writable: bool, current: bool = False) -> sqlite3.Connection:
    """One connection with the pragmas; `writable` migrates an older schema, `current`
    (a read-only stand-in for a writable one) refuses it, as the queries need it."""
    conn = sqlite3.connect(
        uri,
        uri=True,
        isolation_level=None,
        check_same_thread=False,
        factory=CatalogConnection,
    )
    try:
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA busy_timeout = 5000")
        conn.execute("PRAGMA foreign_keys = ON")
        if writable:
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise CatalogError(
                f"catalog {path} has schema version {version}, newer than this kiosk "
                f"({SCHEMA_VERSION}); upgrade kiosk",
                code="catalog_too_new",
            )
        if version < SCHEMA_VERSION and writable:
            with transaction(conn):
                for statement in _statements(SCHEMA):
                    conn.execute(statement)
                _add_columns(conn)
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        elif version < SCHEMA_VERSION and current:
            raise CatalogError(
                f"catalog {path} has schema version {version} and needs the upgrade to "
                f"{SCHEMA_VERSION}, which can't be written now",
                code="catalog_needs_upgrade",
            )
    except UnicodeDecodeError as exc:  # SQLite's own message quotes the damaged bytes
        conn.close()
        raise sqlite3.DatabaseError(f"malformed (unreadable schema text: {exc.reason})") from None
    except BaseException:
        conn.close()
        raise
    return conn


def _open_read_only(path: Path, problem: StorageError | None) -> sqlite3.Connection:
    """The catalog opened for reading only. A WAL catalog wants a small index file
    beside it (-shm); where none can be made (read-only folder, full disk), the file
    is read as immutable, which is exact as long as no changes wait in its -wal (and
    no one can write while there is no room for that index). Such a connection reads
    the file as it was when opened: reopen it once the folder can be written again."""
    fallback = problem is not None
    try:
        try:
            conn = _open(path, _uri(path, "?mode=ro"), writable=False, current=fallback)
        except sqlite3.OperationalError as exc:
            problem = problem or storage_problem(path.parent)
            if problem is None:
                raise _open_error(path, exc) from None
            wal = Path(f"{path}-wal")
            if wal.exists() and wal.stat().st_size > 0:
                # Immutable would skip those changes: old prices shown as fact. Refuse.
                raise CatalogError(
                    f"catalog database {path} can't be read ({problem.message}): its latest "
                    f"changes wait in {wal.name} and can't be read without room for its "
                    "index; fix that and they are all there",
                    code=problem.code,
                ) from None
            conn = _open(path, _uri(path, "?mode=ro&immutable=1"), writable=False, current=fallback)
    except sqlite3.DatabaseError as exc:
        raise _open_error(path, exc) from None
    if problem is not None and isinstance(conn, CatalogConnection):
        conn.read_only = problem
    return conn


def _open_error(path: Path, exc: sqlite3.DatabaseError) -> KioskError:
    """An open that failed: damage (not a database, malformed) or something else."""
    if isinstance(exc, sqlite3.OperationalError):  # locked, can't open, I/O: not damage
        problem = sqlite_storage_error(path, exc)
        if problem is not None:
            return _cant_write(path, problem)
        return CatalogError(
            f"catalog database {path} can't be opened: {exc}", code="catalog_unavailable"
        )
    return CatalogError(f"catalog database {path} can't be opened: {exc}", code="catalog_corrupt")


def _cant_write(path: Path, problem: KioskError) -> StorageError:
    return StorageError(f"catalog database {path}: {problem.message}", code=problem.code)


def _os_error(path: Path, exc: OSError) -> KioskError:
    return KioskError(f"{path} can't be created: {exc.strerror or exc}")


_STORAGE_SQLITE = ("SQLITE_FULL", "SQLITE_READONLY", "SQLITE_IOERR", "SQLITE_CANTOPEN")


def sqlite_storage_error(path: Path, exc: sqlite3.Error) -> StorageError | None:
    """The StorageError behind an SQLite error writing the database at `path` (disk
    full, read-only folder), or None when it is something else (a lock, damage)."""
    name = str(getattr(exc, "sqlite_errorname", ""))
    if not name.startswith(_STORAGE_SQLITE):
        return None
    problem = storage_problem(path.parent)
    if problem is None and name == "SQLITE_FULL":
        problem = StorageError(f"disk full: {path} can't grow", code="disk_full")
    return problem


def _add_columns(conn: sqlite3.Connection) -> None:
    """Columns a newer schema added to an existing table, where this file lacks them."""
    for table, column, declaration in COLUMNS:
        have = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        if column not in have:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")


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
    """One write transaction: all of it lands, or (on any exception) none of it.

    A catalog that can't be written (disk full, read-only) raises StorageError, a
    sentence that says so and that nothing was saved, instead of SQLite's words.
    """
    reason = read_only_reason(conn)
    if reason is not None:
        raise StorageError(f"{reason.message}; nothing was saved", code=reason.code)
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:  # SQLite may have rolled back already (disk full)
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    except sqlite3.OperationalError as exc:
        problem = sqlite_storage_error(_db_path(conn), exc)
        if problem is None:
            raise
        if conn.in_transaction:
            with suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
        raise StorageError(f"{problem.message}; nothing was saved", code=problem.code) from exc


def _db_path(conn: sqlite3.Connection) -> Path:
    """The file behind `conn` (its folder is what a storage problem is asked about)."""
    for row in conn.execute("PRAGMA database_list"):
        if row[1] == "main" and row[2]:
            return Path(row[2])
    return Path(".")


def change_stamp(conn: sqlite3.Connection) -> tuple[int, int]:
    """Changes whenever the catalog does: data_version moves on other connections'
    commits, total_changes on this connection's own. Caches keyed on it stay fresh."""
    return int(conn.execute("PRAGMA data_version").fetchone()[0]), conn.total_changes

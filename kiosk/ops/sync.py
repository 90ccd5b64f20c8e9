"""`kiosk sync`: import the store's catalog feed when it changed, atomically.

The store drops its feed (a products file, a Shopify export, or a store folder)
at `sync.feed`; `kiosk-sync.timer` runs this every 15 minutes. An import is one
transaction (`import_paths`), so a malformed feed changes nothing and shoppers keep
the last good catalog. A small state file in the home directory remembers each feed
file's size, mtime and sha256 after the last good import, so an unchanged feed costs
a few `stat` calls and no database write; the same broken feed is not re-parsed
every 15 minutes either, but is still reported as a failure until someone fixes it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from kiosk.config import Config
from kiosk.errors import KioskError, StorageError, storage_error, storage_problem

log = logging.getLogger(__name__)

SyncStatus = Literal["nothing", "unchanged", "imported", "failed", "busy"]

STATE_FILE = "sync-state.json"
LOCK_FILE = "sync.lock"
FEED_SUFFIXES = (".csv", ".json", ".jsonl", ".ndjson")
SETTLE_S = 10.0  # a feed file modified more recently than this may still be being copied


@dataclass(frozen=True)
class SyncResult:
    """What one run did; `message` is the line for the journal and the staff console."""

    status: SyncStatus
    message: str
    products: int = 0
    documents: int = 0
    reviews: int = 0
    customers: int = 0
    files: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """Non-zero only on a failure: systemd marks kiosk-sync.service failed for it."""
        return 1 if self.status == "failed" else 0


# ------------------------------------------------------------------- feed files


def _store_dir(path: Path) -> bool:
    from kiosk.catalog.importers.contoso import is_store_dir

    return bool(is_store_dir(path))


def _visible(path: Path) -> bool:
    return not path.name.startswith((".", "~")) and not path.name.endswith((".tmp", ".part"))


def _importable(path: Path) -> bool:
    if path.is_dir():
        return _store_dir(path)
    return path.is_file() and path.suffix.lower() in FEED_SUFFIXES


def feed_paths(feed: Path) -> list[Path]:
    """What to import from `feed`: the file, a store folder, or the feed files in a folder."""
    if feed.is_file() or _store_dir(feed):
        return [feed]
    if feed.is_dir():
        return [c for c in sorted(feed.iterdir()) if _visible(c) and _importable(c)]
    return []


def _files_of(paths: list[Path]) -> Iterator[Path]:
    """Every regular file an import reads, for the fingerprint."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and _visible(child):
                    yield child
        else:
            yield path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def fingerprint(paths: list[Path], previous: dict[str, Any] | None = None) -> dict[str, Any]:
    """{file: {size, mtime_ns, sha256}}; a file whose size and mtime match `previous`
    keeps its recorded hash instead of being read again."""
    previous = previous or {}
    out: dict[str, Any] = {}
    for path in _files_of(paths):
        st = path.stat()
        key = str(path)
        old = previous.get(key)
        if isinstance(old, dict) and (old.get("size"), old.get("mtime_ns")) == (
            st.st_size,
            st.st_mtime_ns,
        ):
            sha = old.get("sha256", "")
        else:
            sha = _sha256(path)
        out[key] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": sha}
    return out


def _same_content(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Same files with the same hashes (a re-copied identical file is not a change)."""
    return a.keys() == b.keys() and all(a[k]["sha256"] == b[k].get("sha256") for k in a)


# ------------------------------------------------------------------------ state


def _read_state(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # missing or damaged: the next sync simply imports again
    return data if isinstance(data, dict) else {}


def _write_state(path: Path, state: dict[str, Any]) -> None:
    """Temp file, fsync, rename: a crash leaves the old state or the new, never half.
    A disk that filled up meanwhile keeps the old state (the next run looks again)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("w", encoding="utf-8") as fh:
            json.dump(state, fh, indent=1, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        log.warning("sync state not saved: %s", storage_error(exc, path) or exc)


@contextlib.contextmanager
def _lock(home: Path) -> Iterator[bool]:
    """True while we hold the sync lock; False if another sync (timer or by hand) runs."""
    with (home / LOCK_FILE).open("a") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


# ------------------------------------------------------------------------- sync


def sync_once(cfg: Config, *, settle_s: float = SETTLE_S, force: bool = False) -> SyncResult:
    """Import `cfg.sync.feed` if it changed since the last good sync.

    `force` imports even an unchanged feed. Files modified in the last `settle_s`
    seconds are left for the next run: they may still be being copied in.
    """
    if not cfg.sync.feed.strip():
        return SyncResult("nothing", "nothing to do: sync.feed is not set")
    feed = Path(cfg.sync.feed).expanduser()
    if not feed.exists():
        return SyncResult("failed", f"the feed {feed} (sync.feed) does not exist")
    paths = feed_paths(feed)
    if not paths:
        return SyncResult(
            "nothing", f"nothing to do: no feed files ({', '.join(FEED_SUFFIXES)}) in {feed}"
        )
    home = cfg.home_path
    blocked = storage_problem(home)
    if blocked is not None:  # a full or read-only home: not the feed's fault, try next run
        return SyncResult(
            "failed", f"can't import now, the catalog is unchanged: {blocked.message}", files=[]
        )
    home.mkdir(parents=True, exist_ok=True)
    with _lock(home) as held:
        if not held:
            return SyncResult("busy", "another sync is running; this one did nothing")
        return _sync_locked(cfg, feed, paths, settle_s=settle_s, force=force)


def _sync_locked(
    cfg: Config, feed: Path, paths: list[Path], *, settle_s: float, force: bool
) -> SyncResult:
    from kiosk.catalog.db import connect
    from kiosk.catalog.importers import import_paths

    state_path = cfg.home_path / STATE_FILE
    state = _read_state(state_path)
    names = [str(p) for p in paths]
    try:
        newest = max(p.stat().st_mtime for p in _files_of(paths))
        if settle_s > 0 and time.time() - newest < settle_s:
            return SyncResult(
                "unchanged", f"the feed changed in the last {settle_s:.0f} s; next run", files=names
            )
        prints = fingerprint(paths, state.get("files") if state.get("feed") == str(feed) else None)
    except OSError as exc:
        return SyncResult("failed", f"can't read the feed {feed}: {exc}", files=names)

    same_feed = state.get("feed") == str(feed)
    if not force and same_feed and _same_content(prints, state.get("files") or {}):
        if state.get("files") != prints:  # touched but identical: remember the new mtimes
            _write_state(state_path, {**state, "files": prints})
        return SyncResult("unchanged", f"the feed {feed} has not changed", files=names)
    failed = state.get("failed") or {}
    if not force and failed.get("feed") == str(feed) and _same_content(prints, failed["files"]):
        return SyncResult(
            "failed",
            f"the feed is still the one that failed at {failed.get('at', '?')}: "
            f"{failed.get('error', '?')}",
            files=names,
        )

    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    try:
        conn = connect(cfg.catalog_path)
        try:
            summary = import_paths(conn, paths)
        finally:
            conn.close()
    except KioskError as exc:
        if isinstance(exc, StorageError):  # the disk, not the feed: the next run tries again
            return SyncResult(
                "failed", f"import failed, the catalog is unchanged: {exc.message}", files=names
            )
        state["failed"] = {"feed": str(feed), "files": prints, "at": now, "error": exc.message}
        _write_state(state_path, state)
        return SyncResult(
            "failed", f"import failed, the catalog is unchanged: {exc.message}", files=names
        )
    _write_state(
        state_path,
        {
            "feed": str(feed),
            "files": prints,
            "last_success": now,
            "products": summary.products,
            "documents": summary.documents,
        },
    )
    return SyncResult(
        "imported",
        f"imported {summary.products} products, {summary.documents} documents from {feed}"
        + _vectors_note(cfg),
        products=summary.products,
        documents=summary.documents,
        reviews=summary.reviews,
        customers=summary.customers,
        files=names,
    )


def _vectors_note(cfg: Config) -> str:
    """Make the product vectors the import needs (one thread: shoppers may be asking
    meanwhile); a failure costs search by meaning until the next run, never the sync."""
    from kiosk.assistant.meaning import catch_up
    from kiosk.catalog.repository import Catalog
    from kiosk.llm.loader import load_embedder_or_words

    problems: list[str] = []
    embedder = load_embedder_or_words(cfg, report=problems.append, n_threads=1)
    if embedder is None:
        return f"; no product vectors ({problems[0] if problems else 'no model'})"
    try:
        with Catalog.open(cfg.catalog_path, create=False) as catalog:
            done = catch_up(catalog, embedder)
    except (KioskError, sqlite3.Error) as exc:
        return f"; product vectors not made: {getattr(exc, 'message', exc)}"
    finally:
        embedder.close()
    return f"; {done.embedded} product vectors made" if done.embedded else ""

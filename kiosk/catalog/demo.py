"""The demo store: Contoso Outdoors plus the aisles, stock and variants we made up,
and the Chinese names, categories, descriptions and store documents we wrote.

Built into a temporary file and moved into place in one step, so a kiosk that is
killed while seeding starts next time with no catalog (and seeds again), never a
half-built one.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
from collections.abc import Callable, Mapping
from importlib.resources import files
from pathlib import Path
from typing import Any

from kiosk.catalog import wordindex
from kiosk.catalog.db import connect, sqlite_storage_error, transaction
from kiosk.catalog.importers import import_paths
from kiosk.catalog.records import Document, Variant
from kiosk.catalog.writer import CatalogWriter
from kiosk.errors import StorageError, storage_error, storage_problem


def demo_dir() -> Path:
    return Path(str(files("kiosk") / "demo"))


def seed_demo(
    path: Path, *, reset: bool = False, progress: Callable[[int, int | None], None] | None = None
) -> bool:
    """Create the demo catalog at `path` if it has no products (or `reset`). True if seeded."""
    if path.exists() and not reset:
        conn = connect(path)
        try:
            if conn.execute("SELECT count(*) FROM products").fetchone()[0] > 0:
                return False
        finally:
            conn.close()
    blocked = storage_problem(path.parent)
    if blocked is not None:  # say so before making anything
        raise StorageError(f"the demo store can't be seeded: {blocked.message}", code=blocked.code)
    tmp = path.with_name(path.name + ".seeding")
    leftovers = (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm"), Path(f"{tmp}-journal"))
    tmp_words = Path(f"{tmp}{wordindex.SUFFIX}")  # the import builds its word index there
    try:
        _remove(leftovers)
        shutil.rmtree(tmp_words, ignore_errors=True)
        conn = connect(tmp)
        try:
            # Contoso's store, then our Chinese words for its products (one transaction).
            import_paths(
                conn,
                [demo_dir() / "contoso-outdoors", demo_dir() / "translations-zh.csv"],
                progress=progress,
            )
            apply_overlay(conn, json.loads((demo_dir() / "store.json").read_text(encoding="utf-8")))
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.execute("PRAGMA journal_mode = DELETE")  # one self-contained file to move
        finally:
            conn.close()
    except BaseException as exc:
        with contextlib.suppress(OSError):  # a failed seed (disk full) leaves nothing behind
            _remove(leftovers)
        shutil.rmtree(tmp_words, ignore_errors=True)
        problem: StorageError | None = None
        if isinstance(exc, OSError):
            problem = storage_error(exc, tmp)
        elif isinstance(exc, sqlite3.OperationalError):
            problem = sqlite_storage_error(tmp, exc)
        elif isinstance(exc, StorageError):
            problem = exc
        if problem is None:
            raise
        raise StorageError(
            f"the demo store can't be seeded ({problem.message}); the catalog is as it was",
            code=problem.code,
        ) from None
    for stale in (Path(f"{path}-wal"), Path(f"{path}-shm")):
        stale.unlink(missing_ok=True)
    os.replace(tmp, path)
    _adopt_words(tmp_words, Path(f"{path}{wordindex.SUFFIX}"))
    connect(path).close()  # back to WAL
    return True


def _remove(paths: tuple[Path, ...]) -> None:
    for p in paths:
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


def _adopt_words(seeded: Path, root: Path) -> None:
    """The seeded copy's word index moves with it (its generation names the new
    catalog's token), so the first search needn't build one; never left behind."""
    if seeded.is_dir():
        with contextlib.suppress(OSError):
            root.mkdir(exist_ok=True)
            for child in seeded.iterdir():
                if not (root / child.name).exists():
                    os.replace(child, root / child.name)
    shutil.rmtree(seeded, ignore_errors=True)


def apply_overlay(conn: sqlite3.Connection, overlay: Mapping[str, Any]) -> None:
    """Stock, aisles, variants and store documents from a store.json-shaped dict."""
    products: dict[str, dict[str, Any]] = overlay.get("products", {})
    documents: list[dict[str, str]] = overlay.get("documents", [])
    with transaction(conn):
        w = CatalogWriter(conn)
        for pid, spec in products.items():
            w.set_location(pid, str(spec.get("aisle", "")), str(spec.get("shelf", "")))
            if "variants" in spec:
                w.set_variants(
                    pid,
                    [
                        Variant(
                            v["sku"],
                            str(v.get("size", "")),
                            v.get("color", ""),
                            None,
                            int(v.get("stock", 0)),
                        )
                        for v in spec["variants"]
                    ],
                )
            else:
                w.set_stock(pid, int(spec.get("stock", 0)))
        for d in documents:
            w.upsert_document(
                Document(
                    d["key"],
                    d["kind"],
                    d["title"],
                    d["body"],
                    None,
                    "demo/store.json",
                    d.get("lang", "en"),
                )
            )

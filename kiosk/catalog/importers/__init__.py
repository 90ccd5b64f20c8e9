"""Importing catalog data: detect each path's format, validate all of it, write it once.

Every path is parsed and validated before the first write, and all of them are
written in one transaction: a bad row in the third file (or a crash, or a
power cut) leaves the catalog exactly as it was, never half-imported.

Accepted:
- a folder laid out like the Contoso Outdoors store (products.csv + manuals/,
  optionally customers/*.json);
- a Shopify product export (.csv whose header has Handle, Title, Variant Price);
- a generic products .csv, .json or .jsonl (id, name, price, ...).
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kiosk.catalog import wordindex
from kiosk.catalog.db import transaction
from kiosk.catalog.importers.base import TICK_EVERY, Batch, RowTick
from kiosk.catalog.importers.contoso import is_store_dir, parse_store
from kiosk.catalog.importers.csvfile import parse_csv
from kiosk.catalog.importers.jsonfile import parse_json, parse_jsonl
from kiosk.catalog.importers.shopify import is_shopify_header, parse_shopify
from kiosk.catalog.writer import CatalogWriter
from kiosk.errors import ImportError_

__all__ = ["ACCEPTED", "ImportSummary", "Progress", "detect_format", "import_paths"]

# (rows done, rows total or None while the total is not known yet)
Progress = Callable[[int, int | None], None]

ACCEPTED = (
    "a store folder with products.csv and manuals/ (Contoso layout), "
    "a Shopify product export .csv (Handle, Title, Variant Price, ...), "
    "or a products .csv/.json/.jsonl with id, name, price"
)

_PARSERS: dict[str, Callable[..., Batch]] = {
    "contoso": parse_store,
    "shopify": parse_shopify,
    "csv": parse_csv,
    "json": parse_json,
    "jsonl": parse_jsonl,
}


@dataclass(frozen=True)
class ImportSummary:
    """What one import wrote (skipped: Shopify drafts/archived products left out)."""

    products: int = 0
    documents: int = 0
    reviews: int = 0
    customers: int = 0
    formats: list[str] = field(default_factory=list)
    skipped: int = 0


def detect_format(path: Path) -> str:
    """'contoso', 'shopify', 'csv', 'json' or 'jsonl'; anything else is an ImportError_."""
    if not path.exists():
        raise ImportError_(f"no such file or folder; accepted: {ACCEPTED}", path=str(path))
    if path.is_dir():
        if is_store_dir(path):
            return "contoso"
        raise ImportError_(
            f"folder is not a store export (needs products.csv and manuals/); accepted: {ACCEPTED}",
            path=str(path),
        )
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "shopify" if is_shopify_header(_csv_header(path)) else "csv"
    if suffix == ".json":
        return "json"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    raise ImportError_(
        f"unsupported file type '{suffix or path.name}'; accepted: {ACCEPTED}", path=str(path)
    )


def _csv_header(path: Path) -> list[str]:
    """The first row, read leniently: the parser reports encoding errors properly."""
    try:
        with path.open("rb") as fh:
            head = fh.read(64 * 1024).decode("utf-8", errors="replace").removeprefix("\ufeff")
    except OSError as exc:
        raise ImportError_(f"can't read the file: {exc.strerror or exc}", path=str(path)) from None
    try:
        for row in csv.reader(io.StringIO(head, newline="")):
            if any(cell.strip() for cell in row):
                return row
    except csv.Error:
        pass
    return []


def import_paths(
    conn: sqlite3.Connection,
    paths: Sequence[Path],
    *,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import every path in one transaction; any error leaves the catalog unchanged.

    `progress(done, total)` is called every ~1000 rows: first while reading
    (total None), then while writing (total known), and once at the end.
    """
    if not paths:
        raise ImportError_(f"nothing to import; give {ACCEPTED}")
    batches: list[Batch] = []
    read = 0
    for raw in paths:
        path = Path(raw)
        fmt = detect_format(path)
        tick: RowTick | None = None
        if progress is not None:

            def tick(n: int, base: int = read, report: Progress = progress) -> None:
                report(base + n, None)

        batch = _PARSERS[fmt](path, tick=tick)
        read += batch.rows
        batches.append(batch)

    total = sum(_units(b) for b in batches)
    done = 0

    def advance(n: int = 1) -> None:
        nonlocal done
        before = done
        done += n
        if progress is not None and done // TICK_EVERY != before // TICK_EVERY:
            progress(done, total)

    writer = CatalogWriter(conn)
    try:
        with transaction(conn):
            for batch in batches:
                _write(writer, batch, advance)
    except sqlite3.OperationalError as exc:
        # e.g. another writer held the catalog past busy_timeout; nothing was written.
        raise ImportError_(
            f"the catalog could not be written, nothing was imported: {exc}"
        ) from None
    wordindex.refresh(conn)  # the word index follows the committed catalog
    if progress is not None:
        progress(total, total)
    return ImportSummary(
        products=sum(len(b.products) for b in batches),
        documents=sum(len(b.documents) for b in batches),
        reviews=sum(len(r) for b in batches for r in b.reviews.values()),
        customers=sum(len(b.customers) for b in batches),
        formats=[b.fmt for b in batches],
        skipped=sum(b.skipped for b in batches),
    )


def _units(batch: Batch) -> int:
    return len(batch.products) + len(batch.documents) + len(batch.reviews) + len(batch.customers)


def _write(writer: CatalogWriter, batch: Batch, advance: Callable[[int], None]) -> None:
    """Write one validated batch inside the caller's transaction."""
    conn = writer.conn
    for rec in batch.products:
        try:
            writer.upsert_product(rec, source=batch.source)
        except sqlite3.IntegrityError as exc:
            raise ImportError_(
                f"product '{rec.id}' conflicts with the catalog: {exc} (a SKU may already "
                "belong to another product)",
                path=batch.source,
                line=batch.lines.get(rec.id),
            ) from None
        advance(1)
    keys: dict[str, list[str]] = {}
    for doc in batch.documents:
        keys.setdefault(doc.product_id or "", []).append(doc.key)
    for pid, prefix in batch.doc_prefixes.items():
        # Sections dropped from a manual since the last import must not linger.
        conn.execute(
            "DELETE FROM documents WHERE product_id = ? AND substr(key, 1, ?) = ? "
            "AND key NOT IN (SELECT value FROM json_each(?))",
            (pid, len(prefix), prefix, json.dumps(keys.get(pid, []))),
        )
    for doc in batch.documents:
        writer.upsert_document(doc)
        advance(1)
    for pid, reviews in batch.reviews.items():
        writer.replace_reviews(pid, reviews)
        advance(1)
    for customer in batch.customers:
        writer.upsert_customer(customer)
        advance(1)
    writer.record_import(batch.source, batch.fmt, len(batch.products), len(batch.documents))

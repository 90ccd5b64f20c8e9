"""Importing catalog data: detect each path's format, validate all of it, write it once.

Every path is parsed and validated before the first write, and all of them are
written in one transaction: a bad row in the third file (or a crash, or a
power cut) leaves the catalog exactly as it was, never half-imported. Every
problem found is reported at once (up to MAX_PROBLEMS), so a feed is fixed in
one round.

An import merges: a column a file doesn't have (or an empty cell) leaves that
field of a product as it is; attributes and variants are merged by name and SKU.
`replace=True` (`kiosk import --replace`, or "replace": true in a JSON feed)
makes each product in the files the whole product instead. The summary says
which products are new, updated (and which fields) or unchanged.

Accepted:
- a folder laid out like the Contoso Outdoors store (products.csv + manuals/,
  optionally customers/*.json);
- a Shopify product export (.csv whose header has Handle, Title, Variant Price);
- a generic products .csv, .json or .jsonl (id, name, price, ...), with other
  languages' words as `name_zh`, `category_zh`, ... columns or keys (or, in JSON,
  "translations": {"zh": {"name": ...}});
- a translations .csv (id, name_zh, category_zh, ...): other languages' words for
  products the catalog has.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kiosk.catalog import wordindex
from kiosk.catalog.db import transaction
from kiosk.catalog.importers.base import (
    MAX_PROBLEMS,
    TICK_EVERY,
    Batch,
    Problems,
    RowTick,
    read_bytes,
)
from kiosk.catalog.importers.contoso import is_store_dir, parse_store
from kiosk.catalog.importers.csvfile import parse_csv
from kiosk.catalog.importers.jsonfile import parse_json, parse_jsonl
from kiosk.catalog.importers.shopify import is_shopify_header, parse_shopify
from kiosk.catalog.importers.translated import is_translations_header, parse_translations
from kiosk.catalog.writer import FIELDS, CatalogWriter, ProductChange
from kiosk.errors import ImportError_, KioskError

__all__ = [
    "ACCEPTED",
    "MAX_PROBLEMS",
    "ImportSummary",
    "Progress",
    "detect_format",
    "import_paths",
]

log = logging.getLogger(__name__)

# (rows done, rows total or None while the total is not known yet)
Progress = Callable[[int, int | None], None]

ACCEPTED = (
    "a store folder with products.csv and manuals/ (Contoso layout), "
    "a Shopify product export .csv (Handle, Title, Variant Price, ...), "
    "a products .csv/.json/.jsonl with id, name, price, "
    "or a translations .csv with id and name_zh, category_zh, ..."
)

_PARSERS: dict[str, Callable[..., Batch]] = {
    "contoso": parse_store,
    "shopify": parse_shopify,
    "csv": parse_csv,
    "json": parse_json,
    "jsonl": parse_jsonl,
    "translations": parse_translations,
}

# Updated products listed one by one in the report; the rest are counted.
MAX_LISTED = 10


@dataclass(frozen=True)
class ImportSummary:
    """What one import wrote (skipped: Shopify drafts/archived products left out).

    `new`, `updated` and `unchanged` count products; `fields` counts, per field,
    the updated products it changed in; `changes` lists the first updated ones
    as (id, name, fields with old -> new where short). `cleaned` counts text
    fields that had control characters removed, `cleaned_at` says where (first few).
    """

    products: int = 0
    documents: int = 0
    reviews: int = 0
    customers: int = 0
    # (language, field) texts a feed or translations file gave, counted per language.
    translations: dict[str, int] = field(default_factory=dict)
    formats: list[str] = field(default_factory=list)
    skipped: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    fields: dict[str, int] = field(default_factory=dict)
    changes: list[tuple[str, str, list[str]]] = field(default_factory=list)
    replaced: bool = False
    cleaned: int = 0
    cleaned_at: list[str] = field(default_factory=list)

    def report(self) -> list[str]:
        """What changed, for people: a line of counts, then the first updated products."""
        counts = [f"{n} {word}" for n, word in ((self.new, "new"), (self.updated, "updated")) if n]
        if self.updated:
            which = ", ".join(
                name if n == self.updated else f"{name} on {n}"
                for name, n in sorted(self.fields.items(), key=lambda kv: -kv[1])
            )
            counts[-1] += f" ({which})"
        if self.unchanged:
            counts.append(f"{self.unchanged} unchanged")
        lines = [f"products: {', '.join(counts) if counts else 'none'}"]
        if self.translations:
            lines.append(
                "translations given: "
                + ", ".join(f"{n} in {lang}" for lang, n in sorted(self.translations.items()))
            )
        if self.replaced:
            lines[0] += (
                "; replaced whole: fields the files don't give were emptied "
                "(stock, aisle and shelf kept)"
            )
        for pid, name, what in self.changes:
            lines.append(f"  {pid} {name}: {', '.join(what)}")
        if self.updated > len(self.changes):
            lines.append(f"  ... and {self.updated - len(self.changes)} more updated")
        if self.cleaned:
            listed = "; ".join(self.cleaned_at)
            more = self.cleaned - len(self.cleaned_at)
            lines.append(
                f"removed control characters or terminal escape codes from {self.cleaned} "
                f"field{'s' if self.cleaned != 1 else ''}: {listed}"
                + (f"; and {more} more" if more else "")
            )
        return lines


def detect_format(path: Path) -> str:
    """'contoso', 'shopify', 'csv', 'translations', 'json' or 'jsonl'; anything else is an
    ImportError_."""
    if not path.exists():
        raise ImportError_(f"no such file or folder; accepted: {ACCEPTED}", path=str(path))
    if path.is_dir():
        if is_store_dir(path):
            return "contoso"
        raise ImportError_(
            f"folder is not a store export (needs products.csv and manuals/); accepted: {ACCEPTED}",
            path=str(path),
        )
    if not path.is_file():
        # A FIFO would block the import until someone writes to it: never open one.
        raise ImportError_(
            "not a regular file (a pipe, socket or device); import a file or a store folder",
            path=str(path),
        )
    suffix = path.suffix.lower()
    if suffix == ".csv":
        header = _csv_header(path)
        if is_shopify_header(header):
            return "shopify"
        return "translations" if is_translations_header(header) else "csv"
    if suffix == ".json":
        return "json"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    raise ImportError_(
        f"unsupported file type '{suffix or path.name}'; accepted: {ACCEPTED}", path=str(path)
    )


def _csv_header(path: Path) -> list[str]:
    """The first row, read leniently: the parser reports encoding errors properly."""
    head = read_bytes(path, limit=64 * 1024)
    text = head.decode("utf-8", errors="replace").removeprefix("\ufeff")
    try:
        for row in csv.reader(io.StringIO(text, newline="")):
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
    replace: bool = False,
) -> ImportSummary:
    """Import every path in one transaction; any problem leaves the catalog unchanged.

    Merges into the products the catalog has (see the module's docstring);
    `replace` makes each imported product whole. Every problem in every path is
    collected and raised as one ImportError_ (its `problems`) before anything is
    written. `progress(done, total)` is called every ~1000 rows: first while
    reading (total None), then while writing (total known), and once at the end.
    """
    if not paths:
        raise ImportError_(f"nothing to import; give {ACCEPTED}")
    problems = Problems()
    batches: list[Batch] = []
    read = 0
    for raw in paths:
        path = Path(raw)
        tick: RowTick | None = None
        if progress is not None:

            def tick(n: int, base: int = read, report: Progress = progress) -> None:
                report(base + n, None)

        try:
            fmt = detect_format(path)
            batch = _PARSERS[fmt](path, tick=tick, problems=problems)
        except ImportError_ as exc:
            problems.add(exc)
            continue
        except Exception as exc:  # a bug, not the file: say which file, keep the trace
            log.exception("import of %s failed", path)
            problems.add(
                ImportError_(f"can't read it ({type(exc).__name__}: {exc})", path=str(path))
            )
            continue
        read += batch.rows
        batches.append(batch)
    problems.check()

    total = sum(_units(b) for b in batches)
    done = 0

    def advance(n: int = 1) -> None:
        nonlocal done
        before = done
        done += n
        if progress is not None and done // TICK_EVERY != before // TICK_EVERY:
            progress(done, total)

    writer = CatalogWriter(conn)
    changes: dict[str, tuple[ProductChange, str]] = {}
    try:
        with transaction(conn):
            for batch in batches:
                _write(writer, batch, advance, problems, changes, replace=replace)
            problems.check()  # a conflict only the catalog could see: roll it all back
    except KioskError:
        raise
    except sqlite3.OperationalError as exc:
        # e.g. another writer held the catalog past busy_timeout; nothing was written.
        raise ImportError_(
            f"the catalog could not be written, nothing was imported: {exc}"
        ) from None
    except Exception as exc:  # a bug, not the files: rolled back; keep the trace in the log
        log.exception("import of %s failed while writing", ", ".join(map(str, paths)))
        raise ImportError_(
            f"the catalog could not be written, nothing was imported ({type(exc).__name__}: {exc})"
        ) from None
    wordindex.refresh(conn)  # the word index follows the committed catalog
    if progress is not None:
        progress(total, total)
    return _summary(batches, changes, replaced=replace or any(b.replace for b in batches))


def _summary(
    batches: list[Batch], changes: dict[str, tuple[ProductChange, str]], *, replaced: bool
) -> ImportSummary:
    kinds = [c.kind for c, _name in changes.values()]
    fields: dict[str, int] = {}
    listed: list[tuple[str, str, list[str]]] = []
    for pid, (change, name) in changes.items():
        if change.kind != "updated":
            continue
        for f in change.fields:
            fields[f] = fields.get(f, 0) + 1
        if len(listed) < MAX_LISTED:
            what = [f"{f} {change.notes[f]}" if f in change.notes else f for f in change.fields]
            listed.append((pid, name, what))
    cleaned_at = [where for b in batches for where in b.cleaned_at]
    return ImportSummary(
        products=sum(len(b.products) for b in batches),
        documents=sum(len(b.documents) for b in batches),
        reviews=sum(len(r) for b in batches for r in b.reviews.values()),
        customers=sum(len(b.customers) for b in batches),
        translations=_translated(batches),
        formats=[b.fmt for b in batches],
        skipped=sum(b.skipped for b in batches),
        new=kinds.count("new"),
        updated=kinds.count("updated"),
        unchanged=kinds.count("unchanged"),
        fields={f: fields[f] for f in FIELDS if f in fields},
        changes=listed,
        replaced=replaced,
        cleaned=sum(b.cleaned for b in batches),
        cleaned_at=cleaned_at[:10],
    )


def _translated(batches: list[Batch]) -> dict[str, int]:
    """Texts given per language, from products' own columns and translations files."""
    out: dict[str, int] = {}
    given = [rec.translations for b in batches for rec in b.products]
    given += [words for b in batches for _line, _pid, words in b.translations]
    for words in given:
        for lang, fields in words.items():
            out[lang] = out.get(lang, 0) + len(fields)
    return out


def _units(batch: Batch) -> int:
    return (
        len(batch.products)
        + len(batch.documents)
        + len(batch.reviews)
        + len(batch.customers)
        + len(batch.translations)
    )


def _write(
    writer: CatalogWriter,
    batch: Batch,
    advance: Callable[[int], None],
    problems: Problems,
    changes: dict[str, tuple[ProductChange, str]],
    *,
    replace: bool,
) -> None:
    """Write one validated batch inside the caller's transaction.

    A product the catalog refuses (a SKU that belongs to another product) goes to
    `problems` and the rest is still written, to find every such conflict; the
    caller then rolls the whole transaction back.
    """
    conn = writer.conn
    for rec in batch.products:
        try:
            change = writer.upsert_product(
                rec, source=batch.source, replace=replace or batch.replace
            )
        except (ValueError, sqlite3.IntegrityError) as exc:
            problems.add(
                ImportError_(
                    f"product '{rec.id}' conflicts with the catalog: {exc}",
                    path=batch.source,
                    line=batch.lines.get(rec.id),
                )
            )
            advance(1)
            continue
        earlier = changes.get(rec.id)
        if earlier is not None:  # the same product in two files: one entry, both changes
            first, _name = earlier
            fields = tuple(dict.fromkeys(first.fields + change.fields))
            kind = first.kind if first.kind == "new" else ("updated" if fields else "unchanged")
            change = ProductChange(kind, fields, {**first.notes, **change.notes})
        changes[rec.id] = (change, rec.name)
        advance(1)
    for line, pid, words in batch.translations:
        _translate(writer, batch.source, line, pid, words, problems, changes)
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


def _translate(
    writer: CatalogWriter,
    source: str,
    line: int,
    pid: str,
    words: dict[str, dict[str, str]],
    problems: Problems,
    changes: dict[str, tuple[ProductChange, str]],
) -> None:
    """One translations-file row: onto a product the catalog has (written by now if an
    earlier path of this import brought it), else a problem naming the line."""
    row = writer.conn.execute("SELECT name FROM products WHERE id = ?", (pid,)).fetchone()
    if row is None:
        problems.add(
            ImportError_(
                f"no product with id '{pid}' in the catalog; a translations file adds words "
                "to products the catalog has (import the products first, or name their "
                "file before this one)",
                path=source,
                line=line,
                field="id",
            )
        )
        return
    changed = writer.set_translations(pid, words)
    earlier = changes.get(pid)
    if earlier is not None:
        first, _name = earlier
        if changed and "translations" not in first.fields:
            first = ProductChange(
                "new" if first.kind == "new" else "updated",
                (*first.fields, "translations"),
                first.notes,
            )
        changes[pid] = (first, str(row[0]))
        return
    change = ProductChange("updated", ("translations",)) if changed else ProductChange("unchanged")
    changes[pid] = (change, str(row[0]))

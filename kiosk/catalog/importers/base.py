"""What every importer shares: the Batch it returns and strict reading with line numbers.

Files are read as strict UTF-8 and CSV records keep the physical line they start on,
so every format can point a rejection at the line a store manager has to fix.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kiosk.catalog.records import Customer, Document, ProductRecord, Review
from kiosk.errors import ImportError_

# Called with the number of input rows read so far (for the CLI's progress line).
RowTick = Callable[[int], None]

TICK_EVERY = 1000


@dataclass
class Batch:
    """Everything parsed from one path, validated and ready to write."""

    source: str
    fmt: str
    products: list[ProductRecord] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    reviews: dict[str, list[Review]] = field(default_factory=dict)
    customers: list[Customer] = field(default_factory=list)
    # Product id -> line it starts on, to point write-time conflicts at the feed.
    lines: dict[str, int] = field(default_factory=dict)
    # Document key prefixes owned by this source: stale keys under them are removed.
    doc_prefixes: dict[str, str] = field(default_factory=dict)
    skipped: int = 0
    rows: int = 0


# -- reading -------------------------------------------------------------------


def read_text(path: Path, *, display: str | None = None) -> str:
    """The file as text; bad UTF-8 is reported with the line of the bad byte."""
    where = display or str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportError_(f"can't read the file: {exc.strerror or exc}", path=where) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        bad = data[exc.start : exc.start + 1].hex()
        raise ImportError_(
            f"not valid UTF-8 (byte 0x{bad} at column {column}); save the file as UTF-8",
            path=where,
            line=line,
        ) from None
    return text.removeprefix("\ufeff")


def csv_rows(text: str, where: str) -> Iterator[tuple[int, list[str]]]:
    """(physical line where the record starts, fields) for each CSV record.

    Strict quoting: an unterminated quote at the end of the file is a truncated
    file, not a field that silently swallows the rest of it.
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    start = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            reason = str(exc)
            if "unexpected end of data" in reason:
                reason = "the file ends inside a quoted field (unterminated quote; truncated file?)"
            elif "field larger than field limit" in reason:
                reason = f"{reason}; is a quote left open?"
            else:
                reason = f"malformed CSV: {reason}"
            raise ImportError_(reason, path=where, line=start) from None
        yield start, row
        start = reader.line_num + 1


def csv_header(rows: Iterator[tuple[int, list[str]]], where: str, expected: str) -> list[str]:
    """The header row, stripped; an empty file or blank/duplicate names are errors."""
    for _line, row in rows:
        if not any(cell.strip() for cell in row):
            continue
        names = [cell.strip() for cell in row]
        seen: set[str] = set()
        for i, name in enumerate(names, 1):
            if not name:
                raise ImportError_(
                    f"header column {i} has no name; expected columns: {expected}",
                    path=where,
                    line=_line,
                )
            if name.lower() in seen:
                raise ImportError_(
                    f"header names column '{name}' twice", path=where, line=_line, field=name
                )
            seen.add(name.lower())
        return names
    raise ImportError_(f"the file is empty; expected a header row with {expected}", path=where)


def snake(key: str) -> str:
    """'Rainfly Waterproof Rating' -> 'rainfly_waterproof_rating' (attribute keys)."""
    return re.sub(r"[^0-9a-z]+", "_", key.strip().lower()).strip("_")


def ticker(tick: RowTick | None) -> Callable[[], None]:
    """A per-row counter that calls `tick` every TICK_EVERY rows."""
    count = 0

    def step() -> None:
        nonlocal count
        count += 1
        if tick is not None and count % TICK_EVERY == 0:
            tick(count)

    return step


def row_dict(header: Sequence[str], row: Sequence[str]) -> dict[str, str]:
    """Header name -> cell, for CSV formats that look fields up by their exported name."""
    return dict(zip(header, row, strict=True))

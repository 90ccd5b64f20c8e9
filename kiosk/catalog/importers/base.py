"""What every importer shares: the Batch it returns, strict reading with line numbers,
and the list of problems an import collects.

Files are read as strict UTF-8 (regular files only: a FIFO would hang the import)
and CSV records keep the physical line they start on, so every format can point a
rejection at the line a store manager has to fix. Every text value is cleaned of
control characters and terminal escape sequences as it is read. A bad row doesn't
stop the reading: every problem is collected (up to MAX_PROBLEMS) and the import is
refused once, with all of them, before anything is written.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import stat
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.catalog.records import Customer, Document, ProductRecord, Review
from kiosk.errors import ImportError_, location
from kiosk.text.control import clean, has_control

# Called with the number of input rows read so far (for the CLI's progress line).
RowTick = Callable[[int], None]

TICK_EVERY = 1000
# Problems listed in one refusal; the rest are counted ("... and 12 more").
MAX_PROBLEMS = 50
# Places listed where control characters were removed; the rest are counted.
MAX_CLEANED_LISTED = 10
# JSON nested deeper than this is not a product feed (and would exhaust the stack).
MAX_JSON_DEPTH = 32


class Problems:
    """Every problem an import finds, so one pass reports them all (up to a cap)."""

    def __init__(self, limit: int = MAX_PROBLEMS) -> None:
        self.limit = limit
        self.listed: list[ImportError_] = []
        self.count = 0

    def add(self, error: ImportError_) -> None:
        for problem in error.problems:
            self.count += 1
            if len(self.listed) < self.limit:
                self.listed.append(problem)
        self.count += error.more

    def __bool__(self) -> bool:
        return self.count > 0

    def check(self) -> None:
        """Raise one ImportError_ for everything collected, if anything was."""
        if self.count:
            raise ImportError_.of(self.listed, more=self.count - len(self.listed))


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
    # A translations file's rows: (line, product id, {"zh": {"name": ...}}), for products
    # the catalog has (checked when written, in the import's transaction).
    translations: list[tuple[int, str, dict[str, dict[str, str]]]] = field(default_factory=list)
    # The feed asks for whole products to be replaced (JSON "replace": true).
    replace: bool = False
    # Fields that had control characters or escape sequences removed: count, first few.
    cleaned: int = 0
    cleaned_at: list[str] = field(default_factory=list)

    def note_cleaned(self, where: str) -> None:
        self.cleaned += 1
        if len(self.cleaned_at) < MAX_CLEANED_LISTED:
            self.cleaned_at.append(where)

    def clean(self, value: Any, where: str, line: int | None, label: str = "") -> Any:
        """`value` (text, or JSON lists and objects of it) with control characters removed.

        Each field that changed is noted for the import report. Keys are cleaned too.
        """
        if isinstance(value, str):
            if has_control(value):
                self.note_cleaned(location(where, line, label or None))
            return clean(value)
        if isinstance(value, list):
            return [self.clean(v, where, line, f"{label}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, dict):
            out: dict[Any, Any] = {}
            for k, v in value.items():
                key = self.clean(k, where, line, label) if isinstance(k, str) else k
                out[key] = self.clean(v, where, line, f"{label}.{key}" if label else str(key))
            return out
        return value


# -- reading -------------------------------------------------------------------


def read_bytes(path: Path, *, where: str | None = None, limit: int = -1) -> bytes:
    """The bytes of a regular file (up to `limit`); anything else is an ImportError_.

    Opened non-blocking and checked after opening, so a FIFO, socket or device
    (or a file swapped for one) is refused at once instead of hanging the import.
    """
    where = where or str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise ImportError_(f"can't read the file: {exc.strerror or exc}", path=where) from None
    with os.fdopen(fd, "rb") as fh:
        try:
            mode = os.fstat(fd).st_mode
            if not stat.S_ISREG(mode):
                kind = "a folder" if stat.S_ISDIR(mode) else "a pipe, socket or device"
                raise ImportError_(
                    f"not a regular file ({kind}); import a file or a store folder", path=where
                )
            return fh.read(limit)
        except OSError as exc:
            raise ImportError_(f"can't read the file: {exc.strerror or exc}", path=where) from None


def list_dir(path: Path) -> list[Path]:
    """A folder's entries, sorted; an unreadable folder is an ImportError_ (glob hides it)."""
    try:
        with os.scandir(path) as entries:
            return sorted(Path(e.path) for e in entries)
    except OSError as exc:
        raise ImportError_(
            f"can't read the folder: {exc.strerror or exc}", path=str(path)
        ) from None


def read_text(path: Path, *, display: str | None = None) -> str:
    """The file as text; bad UTF-8 is reported with the line of the bad byte."""
    where = display or str(path)
    data = read_bytes(path, where=where)
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


def csv_rows(text: str, where: str, batch: Batch | None = None) -> Iterator[tuple[int, list[str]]]:
    """(physical line where the record starts, fields) for each CSV record.

    Strict quoting: an unterminated quote at the end of the file is a truncated
    file, not a field that silently swallows the rest of it. With a `batch`, cells
    are cleaned of control characters (noted under the header's column names).
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
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
        if batch is not None:
            for i, cell in enumerate(row):
                if has_control(cell):
                    name = "header" if header is None else None
                    if header is not None:
                        name = header[i] if i < len(header) else f"column {i + 1}"
                    batch.note_cleaned(location(where, start, name))
                    row[i] = clean(cell)
            if header is None and any(cell.strip() for cell in row):
                header = [cell.strip() for cell in row]
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


def width_problem(
    row: Sequence[str], header: Sequence[str], where: str, line: int
) -> ImportError_ | None:
    """A CSV row with more or fewer fields than its header has columns, said as such."""
    if len(row) == len(header):
        return None
    return ImportError_(
        f"row has {len(row)} fields but the header has {len(header)} columns "
        f"({', '.join(header)}); is a comma unquoted or a field missing?",
        path=where,
        line=line,
    )


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


# -- JSON -------------------------------------------------------------------------


class DuplicateKey(Exception):
    """A JSON object names a key twice (json keeps one silently)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise DuplicateKey(key)
        out[key] = value
    return out


def _tolerant(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    return dict(pairs)


STRICT_DECODER = json.JSONDecoder(object_pairs_hook=_unique)
TOLERANT_DECODER = json.JSONDecoder(object_pairs_hook=_tolerant)


def duplicate_key_error(exc: DuplicateKey, where: str, line: int | None) -> ImportError_:
    return ImportError_(
        f"key '{clean(exc.key)}' appears twice in one object; JSON would silently keep only "
        "one of them: remove the other",
        path=where,
        line=line,
        field=clean(exc.key),
    )


def json_error(
    exc: json.JSONDecodeError, text: str, where: str, line: int | None = None
) -> ImportError_:
    at_end = not text[exc.pos :].strip()
    hint = "; the file ends in the middle of a value (truncated?)" if at_end else ""
    return ImportError_(
        f"invalid JSON: {exc.msg} (column {exc.colno}){hint}",
        path=where,
        line=line if line is not None else exc.lineno,
    )


def depth(value: Any) -> int:
    """How deeply lists and objects nest in `value` (without recursion)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            level += 1
            deepest = max(deepest, level)
            stack.extend((v, level) for v in item if isinstance(v, list | dict))
    return deepest


def load_json(text: str, where: str, *, line: int | None = None, strict_keys: bool = True) -> Any:
    """json.loads that turns every way it can fail into an ImportError_ naming the place.

    Refuses duplicate keys (`strict_keys`; else they are left for a later, per-object
    pass that knows their line), nesting deeper than MAX_JSON_DEPTH (a recursion
    bomb: RecursionError in the parser) and numbers too long for Python to read.
    """
    decoder = STRICT_DECODER if strict_keys else TOLERANT_DECODER
    try:
        value = decoder.decode(text)
    except json.JSONDecodeError as exc:
        raise json_error(exc, text, where, line) from None
    except DuplicateKey as exc:
        raise duplicate_key_error(exc, where, line) from None
    except RecursionError:
        raise ImportError_(
            f"JSON nested too deeply (more than {MAX_JSON_DEPTH} levels of lists and objects)",
            path=where,
            line=line,
        ) from None
    except ValueError as exc:  # an integer of more than 4300 digits
        reason = "a number has too many digits" if "digits" in str(exc) else str(exc)
        raise ImportError_(f"can't read a JSON value: {reason}", path=where, line=line) from None
    if depth(value) > MAX_JSON_DEPTH:
        raise ImportError_(
            f"JSON nested too deeply (more than {MAX_JSON_DEPTH} levels of lists and objects)",
            path=where,
            line=line,
        )
    return value

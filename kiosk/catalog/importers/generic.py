"""Generic product feeds: a products CSV, a JSON list, or JSON Lines.

Every row is validated before anything is written, and every rejection names the
file, the physical line where the record starts and the field, so a store
manager can fix the feed in a text editor without guessing.

This module also holds what the other importers share (`Batch`, strict UTF-8
reading with line numbers, CSV rows with their starting line), because the
importers package may only grow by its format modules.
"""

from __future__ import annotations

import bisect
import csv
import io
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from kiosk.catalog.records import Customer, Document, ProductRecord, Review, Variant, parse_price
from kiosk.errors import ImportError_

# Called with the number of input rows read so far (for the CLI's progress line).
RowTick = Callable[[int], None]

TICK_EVERY = 1000

REQUIRED = ("id", "name", "price")
# Columns with a place of their own in the catalog; the rest become attributes.
PRODUCT_FIELDS = ("brand", "category", "description", "stock", "aisle", "shelf")
VARIANT_FIELDS = ("sku", "size", "color", "stock", "price")
KNOWN_ATTRIBUTES = ("color", "size", "material", "capacity", "weight", "waterproof")
COLUMNS_HELP = (
    "required: id, name, price; optional: brand, category, description, stock, aisle, "
    "shelf, sku, " + ", ".join(KNOWN_ATTRIBUTES) + " and any other column as an attribute"
)


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


# -- field validation ---------------------------------------------------------


class _Bad(Exception):
    """A field-level problem; the caller adds path, line and field."""

    def __init__(self, reason: str, fld: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = fld


def _absent(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: Any, fld: str) -> str:
    if isinstance(value, bool | list | dict):
        raise _Bad(f"{fld} must be text, not {json.dumps(value)}", fld)
    return str(value).strip()


def _price(value: Any, fld: str) -> int:
    if isinstance(value, bool | list | dict):
        raise _Bad(f"price {json.dumps(value)} is not a number", fld)
    text = format(Decimal(str(value)), "f") if isinstance(value, int | float) else str(value)
    try:
        return parse_price(text)
    except ValueError as exc:
        raise _Bad(str(exc), fld) from None


def _stock(value: Any, fld: str) -> int:
    if isinstance(value, bool | list | dict | float):
        raise _Bad(f"stock {json.dumps(value)} is not a whole number", fld)
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip()
        if not re.fullmatch(r"[+-]?\d+", text):
            raise _Bad(f"stock '{text}' is not a whole number", fld)
        number = int(text)
    if number < 0:
        raise _Bad(f"stock '{value}' is negative", fld)
    return number


# -- rows -> products ---------------------------------------------------------


@dataclass
class _Row:
    """One input record with lower-cased keys; values are CSV text or JSON values."""

    line: int
    values: dict[str, Any]


@dataclass
class _Draft:
    line: int
    record: ProductRecord
    variants: list[tuple[int, Variant]]
    variant_mode: bool


def _record(row: _Row) -> tuple[ProductRecord, Variant | None, list[tuple[Variant, str]]]:
    """Validate one row: the product it describes, its own variant, nested variants."""
    v = row.values
    for name in REQUIRED:
        if _absent(v.get(name)):
            raise _Bad(f"{name} is empty", name)
    pid = _text(v["id"], "id")
    name = _text(v["name"], "name")
    if len(pid) > 200:
        raise _Bad("id is longer than 200 characters", "id")
    price = _price(v["price"], "price")
    sku = None if _absent(v.get("sku")) else _text(v["sku"], "sku")
    stock = None if _absent(v.get("stock")) else _stock(v["stock"], "stock")

    attributes: dict[str, Any] = {}
    nested = v.get("attributes")
    if nested is not None:
        if not isinstance(nested, dict):
            raise _Bad("attributes must be an object of name: value", "attributes")
        for key, value in nested.items():
            if not _absent(value):
                attributes[snake(str(key))] = value
    skip = {*REQUIRED, *PRODUCT_FIELDS, "sku", "attributes", "variants"}
    if sku is not None:
        skip |= {"size", "color", "colour"}
    for key, value in v.items():
        if key in skip or _absent(value):
            continue
        attr = "color" if key == "colour" else snake(key)
        if attr:
            attributes[attr] = value.strip() if isinstance(value, str) else value

    own: Variant | None = None
    if sku is not None:
        size = "" if _absent(v.get("size")) else _text(v["size"], "size")
        colour = v.get("color", v.get("colour"))
        color = "" if _absent(colour) else _text(colour, "color")
        own = Variant(sku=sku, size=size, color=color, price_cents=price, stock=stock or 0)

    nested_variants: list[tuple[Variant, str]] = []
    raw = v.get("variants")
    if raw is not None:
        if not isinstance(raw, list):
            raise _Bad("variants must be a list of {sku, size, color, price, stock}", "variants")
        for i, item in enumerate(raw):
            label = f"variants[{i}]"
            if not isinstance(item, dict):
                raise _Bad(f"{label} must be an object", label)
            item = {str(k).lower(): val for k, val in item.items()}
            if _absent(item.get("sku")):
                raise _Bad(f"{label}.sku is empty", f"{label}.sku")
            vprice = None if _absent(item.get("price")) else _price(item["price"], f"{label}.price")
            colour = item.get("color", item.get("colour"))
            nested_variants.append(
                (
                    Variant(
                        sku=_text(item["sku"], f"{label}.sku"),
                        size=""
                        if _absent(item.get("size"))
                        else _text(item["size"], f"{label}.size"),
                        color="" if _absent(colour) else _text(colour, f"{label}.color"),
                        price_cents=vprice,
                        stock=(
                            0
                            if _absent(item.get("stock"))
                            else _stock(item["stock"], f"{label}.stock")
                        ),
                    ),
                    label,
                )
            )

    def opt(key: str) -> str | None:
        return None if _absent(v.get(key)) else _text(v[key], key)

    record = ProductRecord(
        id=pid,
        name=name,
        price_cents=price,
        brand=opt("brand") or "",
        category=opt("category") or "",
        description=opt("description") or "",
        attributes=attributes,
        stock=stock if sku is None else None,
        aisle=opt("aisle"),
        shelf=opt("shelf"),
    )
    return record, own, nested_variants


def build_products(
    rows: Iterator[_Row], where: str, step: Callable[[], None]
) -> tuple[list[ProductRecord], dict[str, int], int]:
    """Group rows by id into products (rows with a sku are variants) and validate them."""
    drafts: dict[str, _Draft] = {}
    skus: dict[str, int] = {}
    count = 0
    for row in rows:
        count += 1
        step()
        try:
            record, own, nested = _record(row)
        except _Bad as bad:
            raise ImportError_(bad.reason, path=where, line=row.line, field=bad.field) from None
        variants: list[tuple[int, Variant, str]] = []
        if own is not None:
            variants.append((row.line, own, "sku"))
        variants += [(row.line, var, f"{label}.sku") for var, label in nested]

        draft = drafts.get(record.id)
        if draft is None:
            draft = _Draft(row.line, record, [], own is not None)
            drafts[record.id] = draft
        elif own is None or not draft.variant_mode:
            raise ImportError_(
                f"duplicate id '{record.id}' (first on line {draft.line}); give each "
                "variant row its own sku, or each product its own id",
                path=where,
                line=row.line,
                field="id",
            )
        elif record.name != draft.record.name:
            raise ImportError_(
                f"id '{record.id}' is named '{draft.record.name}' on line {draft.line} but "
                f"'{record.name}' here; variant rows of one product share its name",
                path=where,
                line=row.line,
                field="name",
            )
        for line, var, fld in variants:
            if var.sku in skus:
                raise ImportError_(
                    f"duplicate sku '{var.sku}' (first on line {skus[var.sku]})",
                    path=where,
                    line=line,
                    field=fld,
                )
            if len(var.sku) > 200:
                raise ImportError_(
                    "sku is longer than 200 characters", path=where, line=line, field=fld
                )
            for _l, other in draft.variants:
                if (other.size, other.color) == (var.size, var.color):
                    raise ImportError_(
                        f"sku '{var.sku}' has the same size '{var.size}' and color "
                        f"'{var.color}' as sku '{other.sku}' of product '{record.id}'",
                        path=where,
                        line=line,
                        field="size",
                    )
            skus[var.sku] = line
            draft.variants.append((line, var))

    products: list[ProductRecord] = []
    lines: dict[str, int] = {}
    for pid, draft in drafts.items():
        rec = draft.record
        if draft.variants:
            low = min(
                (v.price_cents for _l, v in draft.variants if v.price_cents is not None),
                default=rec.price_cents,
            )
            price = low if draft.variant_mode else rec.price_cents
            own_variants = tuple(
                Variant(
                    v.sku,
                    v.size,
                    v.color,
                    None if v.price_cents in (None, price) else v.price_cents,
                    v.stock,
                )
                for _l, v in draft.variants
            )
            rec = ProductRecord(
                id=rec.id,
                name=rec.name,
                price_cents=price,
                brand=rec.brand,
                category=rec.category,
                description=rec.description,
                attributes=rec.attributes,
                stock=None,
                aisle=rec.aisle,
                shelf=rec.shelf,
                variants=own_variants,
            )
        products.append(rec)
        lines[pid] = draft.line
    return products, lines, count


# -- CSV ------------------------------------------------------------------------


def parse_csv(path: Path, *, tick: RowTick | None = None) -> Batch:
    """A products CSV: UTF-8, header row, one product (or one variant) per row."""
    where = str(path)
    rows = csv_rows(read_text(path), where)
    header = csv_header(rows, where, COLUMNS_HELP)
    keys = [h.lower() for h in header]
    missing = [name for name in REQUIRED if name not in keys]
    if missing:
        raise ImportError_(
            f"missing required column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(repr(m) for m in missing)}; the header has {', '.join(header)}; "
            f"expected columns: {COLUMNS_HELP}",
            path=where,
            line=1,
            field=missing[0],
        )

    def records() -> Iterator[_Row]:
        for line, row in rows:
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(keys):
                raise ImportError_(
                    f"row has {len(row)} fields but the header has {len(keys)} columns "
                    f"({', '.join(header)}); is a comma unquoted or a field missing?",
                    path=where,
                    line=line,
                )
            yield _Row(line, dict(zip(keys, row, strict=True)))

    products, lines, count = build_products(records(), where, ticker(tick))
    return Batch(source=where, fmt="csv", products=products, lines=lines, rows=count)


# -- JSON / JSONL ---------------------------------------------------------------


def _json_error(
    exc: json.JSONDecodeError, text: str, where: str, line: int | None = None
) -> ImportError_:
    at_end = not text[exc.pos :].strip()
    hint = "; the file ends in the middle of a value (truncated?)" if at_end else ""
    return ImportError_(
        f"invalid JSON: {exc.msg} (column {exc.colno}){hint}",
        path=where,
        line=line if line is not None else exc.lineno,
    )


def _skip_ws(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    return i


def _array_items(text: str, i: int) -> Iterator[tuple[int, Any]]:
    """(offset, value) of each element of the (already validated) array at text[i]."""
    decoder = json.JSONDecoder()
    i = _skip_ws(text, i + 1)
    if text[i] == "]":
        return
    while True:
        value, end = decoder.raw_decode(text, i)
        yield i, value
        i = _skip_ws(text, end)
        if text[i] == "]":
            return
        i = _skip_ws(text, i + 1)  # the ','


def _products_offset(text: str) -> int | None:
    """Offset of the "products" array in a validated top-level object."""
    decoder = json.JSONDecoder()
    i = _skip_ws(text, _skip_ws(text, 0) + 1)
    while text[i] != "}":
        key, end = decoder.raw_decode(text, i)
        i = _skip_ws(text, _skip_ws(text, end) + 1)  # past ':'
        if key == "products" and text[i] == "[":
            return i
        _value, end = decoder.raw_decode(text, i)
        i = _skip_ws(text, end)
        if text[i] == ",":
            i = _skip_ws(text, i + 1)
    return None


def _object_row(value: Any, line: int, where: str, label: str) -> _Row:
    if not isinstance(value, dict):
        raise ImportError_(
            f"{label} is {type(value).__name__}, expected an object with id, name, price",
            path=where,
            line=line,
        )
    return _Row(line, {str(k).strip().lower(): v for k, v in value.items()})


def parse_json(path: Path, *, tick: RowTick | None = None) -> Batch:
    """A JSON list of product objects, or {"products": [...]}."""
    where = str(path)
    text = read_text(path)
    if not text.strip():
        raise ImportError_("the file is empty; expected a JSON list of products", path=where)
    try:
        top = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _json_error(exc, text, where) from None
    if isinstance(top, list):
        start = _skip_ws(text, 0)
    elif isinstance(top, dict) and isinstance(top.get("products"), list):
        found = _products_offset(text)
        if found is None:  # pragma: no cover - json.loads accepted it, so it is there
            raise ImportError_('can\'t locate the "products" list', path=where)
        start = found
    else:
        raise ImportError_(
            'expected a list of product objects, or an object with a "products" list',
            path=where,
            line=1,
        )
    newlines = [m.start() for m in re.finditer("\n", text)]

    def records() -> Iterator[_Row]:
        for n, (offset, value) in enumerate(_array_items(text, start)):
            line = bisect.bisect_left(newlines, offset) + 1
            yield _object_row(value, line, where, f"item {n + 1}")

    products, lines, count = build_products(records(), where, ticker(tick))
    return Batch(source=where, fmt="json", products=products, lines=lines, rows=count)


def parse_jsonl(path: Path, *, tick: RowTick | None = None) -> Batch:
    """JSON Lines: one product object per line (blank lines are ignored)."""
    where = str(path)
    text = read_text(path)

    def records() -> Iterator[_Row]:
        for line, raw in enumerate(text.splitlines(), 1):
            if not raw.strip():
                continue
            try:
                value = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise _json_error(exc, raw, where, line) from None
            yield _object_row(value, line, where, f"line {line}")

    products, lines, count = build_products(records(), where, ticker(tick))
    if count == 0:
        raise ImportError_("the file is empty; expected one product object per line", path=where)
    return Batch(source=where, fmt="jsonl", products=products, lines=lines, rows=count)


def row_dict(header: Sequence[str], row: Sequence[str]) -> dict[str, str]:
    """Header name -> cell, for CSV formats that look fields up by their exported name."""
    return dict(zip(header, row, strict=True))

"""Generic product feeds in JSON: a list (or {"products": [...]}) or JSON Lines.

A bad object is reported at the line it starts on (found from its offset in the text),
as in a CSV, so the store manager can go straight to it.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kiosk.catalog.importers.base import Batch, RowTick, read_text, ticker
from kiosk.catalog.importers.rows import Row, build_products
from kiosk.errors import ImportError_


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


def _object_row(value: Any, line: int, where: str, label: str) -> Row:
    if not isinstance(value, dict):
        raise ImportError_(
            f"{label} is {type(value).__name__}, expected an object with id, name, price",
            path=where,
            line=line,
        )
    return Row(line, {str(k).strip().lower(): v for k, v in value.items()})


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

    def records() -> Iterator[Row]:
        for n, (offset, value) in enumerate(_array_items(text, start)):
            line = bisect.bisect_left(newlines, offset) + 1
            yield _object_row(value, line, where, f"item {n + 1}")

    products, lines, count = build_products(records(), where, ticker(tick))
    return Batch(source=where, fmt="json", products=products, lines=lines, rows=count)


def parse_jsonl(path: Path, *, tick: RowTick | None = None) -> Batch:
    """JSON Lines: one product object per line (blank lines are ignored)."""
    where = str(path)
    text = read_text(path)

    def records() -> Iterator[Row]:
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

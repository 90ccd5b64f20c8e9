"""Generic product feeds in JSON: a list (or {"products": [...]}) or JSON Lines.

A bad object is reported at the line it starts on (found from its offset in the text),
as in a CSV, so the store manager can go straight to it.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kiosk.catalog.importers.base import (
    STRICT_DECODER,
    TOLERANT_DECODER,
    Batch,
    DuplicateKey,
    Problems,
    RowTick,
    duplicate_key_error,
    load_json,
    read_text,
    ticker,
)
from kiosk.catalog.importers.rows import Row, build_products
from kiosk.errors import ImportError_

# The top-level key of {"products": [...], "replace": true} that asks for whole products.
REPLACE_KEY = "replace"


def _skip_ws(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    return i


def _array_items(text: str, i: int) -> Iterator[tuple[int, Any]]:
    """(offset, value or the DuplicateKey found in it) of each element of the
    (already validated) array at text[i]."""
    i = _skip_ws(text, i + 1)
    if text[i] == "]":
        return
    while True:
        try:
            value, end = STRICT_DECODER.raw_decode(text, i)
        except DuplicateKey as exc:
            # Validated already, so the tolerant reading of it can't fail.
            yield i, exc
            _value, end = TOLERANT_DECODER.raw_decode(text, i)
        else:
            yield i, value
        i = _skip_ws(text, end)
        if text[i] == "]":
            return
        i = _skip_ws(text, i + 1)  # the ','


def _top_keys(text: str) -> Iterator[tuple[int, str, int]]:
    """(offset of the key, key, offset of its value) of each key of the validated
    top-level object, duplicates included."""
    i = _skip_ws(text, _skip_ws(text, 0) + 1)
    while text[i] != "}":
        key, end = TOLERANT_DECODER.raw_decode(text, i)
        value_at = _skip_ws(text, _skip_ws(text, end) + 1)  # past ':'
        yield i, key, value_at
        _value, end = TOLERANT_DECODER.raw_decode(text, value_at)
        i = _skip_ws(text, end)
        if text[i] == ",":
            i = _skip_ws(text, i + 1)


def _object_row(
    value: Any, line: int, where: str, label: str, batch: Batch, problems: Problems
) -> Row | None:
    if isinstance(value, DuplicateKey):
        problems.add(duplicate_key_error(value, where, line))
        return None
    if not isinstance(value, dict):
        problems.add(
            ImportError_(
                f"{label} is {type(value).__name__}, expected an object with id, name, price",
                path=where,
                line=line,
            )
        )
        return None
    value = batch.clean(value, where, line)
    values: dict[str, Any] = {}
    for k, v in value.items():
        key = str(k).strip().lower()
        if key in values:
            problems.add(
                ImportError_(
                    f"key '{key}' is given twice (in another case or with spaces); keep one",
                    path=where,
                    line=line,
                    field=key,
                )
            )
            return None
        values[key] = v
    return Row(line, values)


def parse_json(path: Path, *, problems: Problems, tick: RowTick | None = None) -> Batch:
    """A JSON list of product objects, or {"products": [...]} (with "replace": true to
    make each product in it the whole product, as `kiosk import --replace` does)."""
    where = str(path)
    batch = Batch(source=where, fmt="json")
    text = read_text(path)
    if not text.strip():
        raise ImportError_("the file is empty; expected a JSON list of products", path=where)
    # Duplicate keys are looked for object by object below, where their line is known.
    top = load_json(text, where, strict_keys=False)
    newlines = [m.start() for m in re.finditer("\n", text)]

    def line_at(offset: int) -> int:
        return bisect.bisect_left(newlines, offset) + 1

    if isinstance(top, list):
        start = _skip_ws(text, 0)
    elif isinstance(top, dict) and isinstance(top.get("products"), list):
        found: int | None = None
        seen: set[str] = set()
        for offset, key, value_at in _top_keys(text):
            if key in seen:
                raise duplicate_key_error(DuplicateKey(key), where, line_at(offset))
            seen.add(key)
            if key == "products":
                found = value_at
        if found is None:  # pragma: no cover - json.loads accepted it, so it is there
            raise ImportError_('can\'t locate the "products" list', path=where)
        start = found
        flag = top.get(REPLACE_KEY, False)
        if not isinstance(flag, bool):
            raise ImportError_(
                f'"{REPLACE_KEY}" must be true or false', path=where, field=REPLACE_KEY
            )
        batch.replace = flag
    else:
        raise ImportError_(
            'expected a list of product objects, or an object with a "products" list',
            path=where,
            line=1,
        )

    def records() -> Iterator[Row]:
        for n, (offset, value) in enumerate(_array_items(text, start)):
            line = line_at(offset)
            row = _object_row(value, line, where, f"item {n + 1}", batch, problems)
            if row is not None:
                yield row

    batch.products, batch.lines, batch.rows = build_products(
        records(), where, ticker(tick), problems
    )
    return batch


def parse_jsonl(path: Path, *, problems: Problems, tick: RowTick | None = None) -> Batch:
    """JSON Lines: one product object per line (blank lines are ignored)."""
    where = str(path)
    batch = Batch(source=where, fmt="jsonl")
    text = read_text(path)

    def records() -> Iterator[Row]:
        for line, raw in enumerate(text.splitlines(), 1):
            if not raw.strip():
                continue
            try:
                value = load_json(raw, where, line=line)
            except ImportError_ as exc:
                problems.add(exc)
                continue
            row = _object_row(value, line, where, f"line {line}", batch, problems)
            if row is not None:
                yield row

    batch.products, batch.lines, batch.rows = build_products(
        records(), where, ticker(tick), problems
    )
    if batch.rows == 0 and not problems:
        raise ImportError_("the file is empty; expected one product object per line", path=where)
    return batch

"""A translations file: `id` plus `<field>_<lang>` columns (name_zh, category_zh, ...).

It adds other languages' words to products the catalog already has (or that an
earlier path of the same import brings), so a store can keep its English feed as it
is and import a translator's file beside it. Like every importer, a problem anywhere
(an unknown id, a column that is not a translation, an over-long text) names the
line and the column, and nothing is imported.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from kiosk.catalog import translations as tr
from kiosk.catalog.importers.base import (
    Batch,
    Problems,
    RowTick,
    csv_header,
    csv_rows,
    read_text,
    ticker,
    width_problem,
)
from kiosk.catalog.schema import TRANSLATED_FIELDS
from kiosk.errors import ImportError_

COLUMNS_HELP = (
    "id, then one column per field and language: name_zh, brand_zh, category_zh, "
    "description_zh (<field>_<two-letter language code>)"
)


def is_translations_header(header: Sequence[str]) -> bool:
    """id and columns shaped like `<field>_<lang>`, without a product feed's name and
    price: a translations file (its columns are checked one by one when read)."""
    keys = [h.strip().lower() for h in header]
    rest = [k for k in keys if k != "id"]
    return (
        "id" in keys
        and "name" not in keys
        and "price" not in keys
        and bool(rest)
        and any(_looks_translated(k) for k in rest)
    )


def _looks_translated(key: str) -> bool:
    """`<field>_<something>` or `<something>_<two letters>`: meant as a translation
    column, even if misspelt (nmae_zh, name_xx1), so it is reported as one; a file of
    `product_name, cost` is a products feed missing its columns instead."""
    m = tr.COLUMN_SHAPE.fullmatch(key)
    return m is not None and (m[1] in TRANSLATED_FIELDS or len(m[2]) == 2)


def parse_translations(path: Path, *, problems: Problems, tick: RowTick | None = None) -> Batch:
    """Every row's translations, validated; a bad header column is one problem per
    column, a bad cell one per cell, all reported together."""
    where = str(path)
    batch = Batch(source=where, fmt="translations")
    rows = csv_rows(read_text(path), where, batch)
    header = csv_header(rows, where, COLUMNS_HELP)
    keys = [h.lower() for h in header]
    header_line = 1
    columns: list[tuple[str, str] | None] = []
    for key in keys:
        problem = None if key == "id" else tr.column_problem(key)
        if problem is not None:
            problems.add(
                ImportError_(
                    f"{problem}; expected columns: {COLUMNS_HELP}",
                    path=where,
                    line=header_line,
                    field=key,
                )
            )
        columns.append(None if key == "id" else tr.column(key))
    if problems:
        return batch
    step = ticker(tick)
    seen: dict[str, int] = {}
    for line, row in rows:
        if not any(cell.strip() for cell in row):
            continue
        step()
        batch.rows += 1
        wrong = width_problem(row, header, where, line)
        if wrong is not None:
            problems.add(wrong)
            continue
        pid = row[keys.index("id")].strip()
        if not pid:
            problems.add(ImportError_("id is empty", path=where, line=line, field="id"))
            continue
        if pid in seen:
            problems.add(
                ImportError_(
                    f"duplicate id '{pid}' (first on line {seen[pid]}); give each product one row",
                    path=where,
                    line=line,
                    field="id",
                )
            )
            continue
        seen[pid] = line
        words: dict[str, dict[str, str]] = {}
        for key, col, cell in zip(keys, columns, row, strict=True):
            text = cell.strip()
            if col is None or not text:
                continue
            problem = tr.value_problem(col[0], text)
            if problem is not None:
                problems.add(ImportError_(problem, path=where, line=line, field=key))
                continue
            words.setdefault(col[1], {})[col[0]] = text
        if words:
            batch.translations.append((line, pid, words))
            batch.lines[pid] = line
    return batch

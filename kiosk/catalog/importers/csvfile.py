"""A generic products CSV: a header row, then one product (or one variant) per row."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

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
from kiosk.catalog.importers.rows import COLUMNS_HELP, REQUIRED, Row, build_products
from kiosk.errors import ImportError_


def parse_csv(path: Path, *, problems: Problems, tick: RowTick | None = None) -> Batch:
    """A products CSV: UTF-8, header row, one product (or one variant) per row.

    Row problems go to `problems` (reading goes on); a problem with the file
    itself (unreadable, no header, broken quoting) is raised.
    """
    where = str(path)
    batch = Batch(source=where, fmt="csv")
    rows = csv_rows(read_text(path), where, batch)
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

    def records() -> Iterator[Row]:
        for line, row in rows:
            if not any(cell.strip() for cell in row):
                continue
            wrong = width_problem(row, header, where, line)
            if wrong is not None:
                problems.add(wrong)
                continue
            yield Row(line, dict(zip(keys, row, strict=True)))

    batch.products, batch.lines, batch.rows = build_products(
        records(), where, ticker(tick), problems
    )
    return batch

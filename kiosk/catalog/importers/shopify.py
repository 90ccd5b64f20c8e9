"""Shopify's product CSV export.

One product spans several rows sharing a Handle: the first carries the title,
body and vendor, later ones carry more variants, and some carry only an extra
image. Drafts and archived products are not on the shop floor, so they are
skipped (and counted) rather than offered to shoppers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from kiosk.catalog.importers.base import (
    Batch,
    Problems,
    RowTick,
    csv_header,
    csv_rows,
    read_text,
    row_dict,
    snake,
    ticker,
)
from kiosk.catalog.records import ProductRecord, VariantRecord, parse_count, parse_price
from kiosk.errors import ImportError_

REQUIRED = ("Handle", "Title", "Variant Price")
SIZE_NAMES = {"size"}
COLOR_NAMES = {"color", "colour"}
HIDDEN_STATUS = {"draft", "archived"}
BLOCK_TAGS = {
    "p",
    "br",
    "div",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "table",
    "section",
    "article",
    "blockquote",
}


def is_shopify_header(header: list[str]) -> bool:
    """Shopify exports always lead with Handle and Title."""
    names = {h.strip().lower() for h in header}
    return {"handle", "title"} <= names


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def strip_html(html: str) -> str:
    """Body (HTML) -> plain text for speech and search: tags out, paragraphs kept."""
    parser = _TextOnly()
    parser.feed(html)
    parser.close()
    text = unescape("".join(parser.parts))
    lines = (re.sub(r"[ \t\r\f\v\xa0]+", " ", line).strip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


@dataclass
class _Product:
    line: int
    handle: str
    title: str
    body: str
    vendor: str
    category: str
    tags: list[str]
    status: str
    option_names: list[str]
    # (line, option values, sku, price cents, stock or None)
    variants: list[tuple[int, list[str], str, int, int | None]] = field(default_factory=list)


def _qty(text: str, line: int, where: str) -> int | None:
    """Inventory; Shopify allows overselling (negative counts), which means none on hand."""
    if not text.strip():
        return None
    try:
        return parse_count(text, "inventory", negative_ok=True)
    except ValueError as exc:
        raise ImportError_(str(exc), path=where, line=line, field="Variant Inventory Qty") from None


def parse_shopify(path: Path, *, problems: Problems, tick: RowTick | None = None) -> Batch:
    """Read and validate a Shopify products export; nothing is written here.

    Row problems go to `problems` (reading goes on); a problem with the file itself
    is raised.
    """
    where = str(path)
    step = ticker(tick)
    batch = Batch(source=where, fmt="shopify")
    rows = csv_rows(read_text(path), where, batch)
    header = csv_header(rows, where, ", ".join(REQUIRED))
    by_lower = {h.lower(): h for h in header}
    missing = [name for name in REQUIRED if name.lower() not in by_lower]
    if missing:
        raise ImportError_(
            f"missing Shopify column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(repr(m) for m in missing)}; export products from Shopify admin "
            "(Products > Export > CSV for Excel, Numbers, or other spreadsheet programs)",
            path=where,
            line=1,
            field=missing[0],
        )
    # Look columns up by Shopify's own spelling, whatever case the file uses.
    header = [_canonical(h) for h in header]

    def bad(reason: str, line: int, fld: str | None = None) -> None:
        problems.add(ImportError_(reason, path=where, line=line, field=fld))

    products: dict[str, _Product] = {}
    broken: set[str] = set()  # handles with a bad row: not checked further
    count = 0
    for line, cells in rows:
        if not any(cell.strip() for cell in cells):
            continue
        count += 1
        step()
        if len(cells) != len(header):
            bad(f"row has {len(cells)} fields but the header has {len(header)} columns", line)
            continue
        row = row_dict(header, cells)
        handle = row["Handle"].strip()
        if not handle:
            bad("Handle is empty", line, "Handle")
            continue
        product = products.get(handle)
        if product is None:
            title = row["Title"].strip()
            if not title:
                bad(f"the first row of product '{handle}' has no Title", line, "Title")
                broken.add(handle)
                continue
            category = row.get("Type", "").strip() or (
                row.get("Product Category", "").split(">")[-1].strip()
            )
            body = strip_html(row.get("Body (HTML)", ""))
            product = _Product(
                line=line,
                handle=handle,
                title=title,
                # HTML entities (&#27;) can spell control characters too.
                body=batch.clean(body, where, line, "Body (HTML)"),
                vendor=row.get("Vendor", "").strip(),
                category=category,
                tags=[t.strip() for t in row.get("Tags", "").split(",") if t.strip()],
                status=row.get("Status", "").strip().lower(),
                option_names=[row.get(f"Option{i} Name", "").strip() for i in (1, 2, 3)],
            )
            products[handle] = product
        values = [row.get(f"Option{i} Value", "").strip() for i in (1, 2, 3)]
        sku = row.get("Variant SKU", "").strip()
        price_text = row.get("Variant Price", "").strip()
        if not (any(values) or sku or price_text):
            continue  # an image-only row
        if not price_text:
            bad(f"variant of '{handle}' has no price", line, "Variant Price")
            broken.add(handle)
            continue
        price: int | None = None
        qty: int | None = None
        try:
            price = parse_price(price_text)
        except ValueError as exc:
            bad(str(exc), line, "Variant Price")
        try:
            qty = _qty(row.get("Variant Inventory Qty", ""), line, where)
        except ImportError_ as exc:
            problems.add(exc)
            price = None
        if price is None:
            broken.add(handle)
            continue
        product.variants.append((line, values, sku, price, qty))

    batch.rows = count
    skus: dict[str, int] = {}
    for product in products.values():
        if product.status in HIDDEN_STATUS:
            batch.skipped += 1
            continue
        if product.handle in broken:
            continue
        try:
            batch.products.append(_record(product, skus, where))
        except ImportError_ as exc:
            problems.add(exc)
            continue
        batch.lines[product.handle] = product.line
    return batch


def _canonical(name: str) -> str:
    known = (
        "Handle",
        "Title",
        "Body (HTML)",
        "Vendor",
        "Product Category",
        "Type",
        "Tags",
        "Status",
        "Variant SKU",
        "Variant Price",
        "Variant Inventory Qty",
        *(f"Option{i} {part}" for i in (1, 2, 3) for part in ("Name", "Value")),
    )
    for canonical in known:
        if name.strip().lower() == canonical.lower():
            return canonical
    return name.strip()


def _record(product: _Product, skus: dict[str, int], where: str) -> ProductRecord:
    """Variants, options and price for one handle."""
    if not product.variants:
        raise ImportError_(
            f"product '{product.handle}' has no variant row with a price",
            path=where,
            line=product.line,
            field="Variant Price",
        )
    names = product.option_names
    attributes: dict[str, Any] = {}
    if product.tags:
        attributes["tags"] = product.tags
    low = min(v[3] for v in product.variants)

    single = len(product.variants) == 1 and (
        not any(product.variants[0][1]) or product.variants[0][1][0] == "Default Title"
    )
    if single:
        _line, _values, _sku, price, qty = product.variants[0]
        return ProductRecord(
            id=product.handle,
            name=product.title,
            price_cents=price,
            brand=product.vendor or None,
            category=product.category or None,
            description=product.body or None,
            attributes=attributes,
            stock=qty,
        )

    variants: list[VariantRecord] = []
    seen: dict[tuple[str, str], str] = {}
    for line, values, sku, price, qty in product.variants:
        size = color = ""
        others: list[str] = []
        for name, value in zip(names, values, strict=True):
            if not value:
                continue
            key = name.lower()
            if key in SIZE_NAMES:
                size = value
            elif key in COLOR_NAMES:
                color = value
            else:
                others.append(value)
                attr = snake(name) or "option"
                listed = attributes.setdefault(attr, [])
                if value not in listed:
                    listed.append(value)
        if (size, color) in seen and others:
            # Options beyond size/colour (e.g. Material) tell variants apart: keep them visible.
            size = " / ".join(filter(None, [size, *others]))
        sku = sku or f"{product.handle}/" + "/".join(v for v in values if v)
        if (size, color) in seen:
            raise ImportError_(
                f"variant '{sku}' repeats size '{size}' and color '{color}' of variant "
                f"'{seen[(size, color)]}' of product '{product.handle}'",
                path=where,
                line=line,
                field="Option1 Value",
            )
        if sku in skus:
            raise ImportError_(
                f"duplicate Variant SKU '{sku}' (first on line {skus[sku]})",
                path=where,
                line=line,
                field="Variant SKU",
            )
        seen[(size, color)] = sku
        skus[sku] = line
        variants.append(
            VariantRecord(
                sku=sku,
                # Every variant row names its options: an empty one means "none".
                size=size,
                color=color,
                price_cents=price,
                stock=qty,
            )
        )
    return ProductRecord(
        id=product.handle,
        name=product.title,
        price_cents=low,
        brand=product.vendor or None,
        category=product.category or None,
        description=product.body or None,
        attributes=attributes,
        variants=tuple(variants),
        price_from_variants=True,
    )

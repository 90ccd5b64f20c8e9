"""Generic product rows (CSV, JSON, JSONL) -> validated products with their variants.

Every row is validated before anything is written, and every rejection names the
file, the physical line where the record starts and the field, so a store
manager can fix the feed in a text editor without guessing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from kiosk.catalog.importers.base import snake
from kiosk.catalog.records import ProductRecord, Variant, parse_price
from kiosk.errors import ImportError_

REQUIRED = ("id", "name", "price")
# Columns with a place of their own in the catalog; the rest become attributes.
PRODUCT_FIELDS = ("brand", "category", "description", "stock", "aisle", "shelf")
VARIANT_FIELDS = ("sku", "size", "color", "stock", "price")
KNOWN_ATTRIBUTES = ("color", "size", "material", "capacity", "weight", "waterproof")
COLUMNS_HELP = (
    "required: id, name, price; optional: brand, category, description, stock, aisle, "
    "shelf, sku, " + ", ".join(KNOWN_ATTRIBUTES) + " and any other column as an attribute"
)


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
class Row:
    """One input record with lower-cased keys; values are CSV text or JSON values."""

    line: int
    values: dict[str, Any]


@dataclass
class _Draft:
    line: int
    record: ProductRecord
    variants: list[tuple[int, Variant]]
    variant_mode: bool


def _record(row: Row) -> tuple[ProductRecord, Variant | None, list[tuple[Variant, str]]]:
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
    rows: Iterator[Row], where: str, step: Callable[[], None]
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

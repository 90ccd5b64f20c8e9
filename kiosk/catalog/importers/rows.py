"""Generic product rows (CSV, JSON, JSONL) -> validated products with their variants.

Every row is validated before anything is written, and every rejection names the
file, the physical line where the record starts and the field, so a store
manager can fix the feed in a text editor without guessing.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, TypeVar

from kiosk.catalog import translations as tr
from kiosk.catalog.importers.base import Problems, snake
from kiosk.catalog.records import ProductRecord, VariantRecord, parse_count, parse_price
from kiosk.errors import ImportError_

T = TypeVar("T")

REQUIRED = ("id", "name", "price")
# Columns with a place of their own in the catalog; the rest become attributes.
PRODUCT_FIELDS = ("brand", "category", "description", "stock", "aisle", "shelf")
VARIANT_FIELDS = ("sku", "size", "color", "stock", "price")
KNOWN_ATTRIBUTES = ("color", "size", "material", "capacity", "weight", "waterproof")
COLUMNS_HELP = (
    "required: id, name, price; optional: brand, category, description, stock, aisle, "
    "shelf, sku, " + ", ".join(KNOWN_ATTRIBUTES) + ", other languages' words as "
    "<field>_<language> (name_zh, category_zh, description_zh, brand_zh) "
    "and any other column as an attribute"
)
# The JSON key of {"zh": {"name": ...}}: other languages' words, nested.
TRANSLATIONS_KEY = "translations"


# -- field validation ---------------------------------------------------------


class _Bad(Exception):
    """A field-level problem; the caller adds path, line and field."""

    def __init__(self, reason: str, fld: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = fld


class _Many(Exception):
    """Every field-level problem of one row."""

    def __init__(self, bad: list[_Bad]) -> None:
        super().__init__(bad[0].reason)
        self.bad = bad


def _absent(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: Any, fld: str) -> str:
    if isinstance(value, bool | list | dict):
        raise _Bad(f"{fld} must be text, not {json.dumps(value)}", fld)
    return str(value).strip()


def _price(value: Any, fld: str) -> int:
    if isinstance(value, bool | list | dict):
        raise _Bad(f"price {json.dumps(value)} is not a number", fld)
    if isinstance(value, float) and not math.isfinite(value):
        raise _Bad(f"price {value} is not a number", fld)
    number = isinstance(value, int | float)
    text = format(Decimal(str(value)), "f") if number else str(value)
    try:
        return parse_price(text, plain=number)
    except ValueError as exc:
        raise _Bad(str(exc), fld) from None


def _stock(value: Any, fld: str) -> int:
    if isinstance(value, bool | list | dict | float):
        raise _Bad(f"stock {json.dumps(value)} is not a whole number", fld)
    try:
        return parse_count(str(value))
    except ValueError as exc:
        raise _Bad(str(exc), fld) from None


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
    variants: list[tuple[int, VariantRecord]]
    variant_mode: bool


class _Fields:
    """Validates fields one by one and keeps every problem, so a row reports them all."""

    def __init__(self) -> None:
        self.bad: list[_Bad] = []

    def get(self, check: Callable[[Any, str], T], value: Any, fld: str) -> T | None:
        try:
            return check(value, fld)
        except _Bad as bad:
            self.bad.append(bad)
            return None

    def add(self, reason: str, fld: str) -> None:
        self.bad.append(_Bad(reason, fld))


def _opt(
    f: _Fields, values: dict[str, Any], key: str, check: Callable[[Any, str], T], under: str = ""
) -> T | None:
    """values[key] checked, or None when it is absent or empty ("the feed doesn't say")."""
    value = values.get(key)
    return None if _absent(value) else f.get(check, value, f"{under}.{key}" if under else key)


def _translations(f: _Fields, v: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Other languages' words of one row: `<field>_<lang>` keys, and a JSON row's
    {"translations": {"zh": {"name": ...}}}. An empty value says nothing."""
    out: dict[str, dict[str, str]] = {}

    def put(lang: str, fld: str, value: Any, label: str) -> None:
        if _absent(value):
            return
        text = f.get(_text, value, label)
        if text is None:
            return
        if fld in out.get(lang, {}):
            f.add(f"{fld} in '{lang}' is given twice; keep one", label)
            return
        problem = tr.value_problem(fld, text)
        if problem is not None:
            f.add(problem, label)
            return
        out.setdefault(lang, {})[fld] = text

    for key, value in v.items():
        found = tr.column(key)
        if found is not None:
            put(found[1], found[0], value, key)
    nested = v.get(TRANSLATIONS_KEY)
    if nested is None:
        return out
    if not isinstance(nested, dict):
        f.add('translations must be an object: {"zh": {"name": ...}}', TRANSLATIONS_KEY)
        return out
    for lang, words in nested.items():
        label = f"{TRANSLATIONS_KEY}.{lang}"
        if not isinstance(words, dict):
            f.add(f"{label} must be an object of field: text", label)
            continue
        for fld, value in words.items():
            problem = tr.column_problem(f"{fld}_{lang}")
            if problem is not None:
                f.add(problem, f"{label}.{fld}")
                continue
            put(str(lang), str(fld), value, f"{label}.{fld}")
    return out


def _record(row: Row) -> tuple[ProductRecord, VariantRecord | None, list[VariantRecord]]:
    """Validate one row: the product it describes, its own variant, nested variants.

    A field that is absent or empty is None in the record: "the feed doesn't say".
    """
    v = row.values
    f = _Fields()
    for required in REQUIRED:
        if _absent(v.get(required)):
            f.add(f"{required} is empty", required)
    pid = f.get(_text, v.get("id"), "id") if not _absent(v.get("id")) else None
    name = f.get(_text, v.get("name"), "name") if not _absent(v.get("name")) else None
    if pid is not None and len(pid) > 200:
        f.add("id is longer than 200 characters", "id")
    price = f.get(_price, v["price"], "price") if not _absent(v.get("price")) else None

    sku = _opt(f, v, "sku", _text)
    if sku is not None and len(sku) > 200:
        f.add("sku is longer than 200 characters", "sku")
    stock = _opt(f, v, "stock", _stock)

    attributes: dict[str, Any] = {}
    given_as: dict[str, str] = {}

    def attribute(key: str, value: Any, label: str) -> None:
        if key in given_as:
            f.add(
                f"attribute '{key}' is given twice (as '{given_as[key]}' and '{label}'); keep one",
                label,
            )
            return
        given_as[key] = label
        attributes[key] = value.strip() if isinstance(value, str) else value

    nested = v.get("attributes")
    if nested is not None:
        if not isinstance(nested, dict):
            f.add("attributes must be an object of name: value", "attributes")
        else:
            for key, value in nested.items():
                if not _absent(value) and snake(str(key)):
                    attribute(snake(str(key)), value, f"attributes.{key}")
    words = _translations(f, v)
    skip = {*REQUIRED, *PRODUCT_FIELDS, "sku", "attributes", "variants", TRANSLATIONS_KEY}
    skip |= {key for key in v if tr.column(key) is not None}
    if sku is not None:
        skip |= {"size", "color", "colour"}
    for key, value in v.items():
        if key in skip or _absent(value):
            continue
        attr = "color" if key == "colour" else snake(key)
        if attr:
            attribute(attr, value, key)

    own: VariantRecord | None = None
    if sku is not None:
        colour_key = "color" if not _absent(v.get("color")) else "colour"
        own = VariantRecord(
            sku=sku,
            size=_opt(f, v, "size", _text),
            color=_opt(f, v, colour_key, _text),
            price_cents=price,
            stock=stock,
        )

    nested_variants: list[VariantRecord] = []
    raw = v.get("variants")
    if raw is not None:
        if not isinstance(raw, list):
            f.add("variants must be a list of {sku, size, color, price, stock}", "variants")
            raw = []
        for i, item in enumerate(raw):
            label = f"variants[{i}]"
            if not isinstance(item, dict):
                f.add(f"{label} must be an object", label)
                continue
            keys: dict[str, Any] = {}
            for k, val in item.items():
                if str(k).lower() in keys:
                    f.add(f"{label} names '{str(k).lower()}' twice (in another case)", label)
                keys[str(k).lower()] = val
            item = keys
            if _absent(item.get("sku")):
                f.add(f"{label}.sku is empty", f"{label}.sku")
                continue

            vsku = _opt(f, item, "sku", _text, label)
            if vsku is not None and len(vsku) > 200:
                f.add("sku is longer than 200 characters", f"{label}.sku")
            colour = "color" if not _absent(item.get("color")) else "colour"
            if vsku is not None:
                nested_variants.append(
                    VariantRecord(
                        sku=vsku,
                        size=_opt(f, item, "size", _text, label),
                        color=_opt(f, item, colour, _text, label),
                        price_cents=_opt(f, item, "price", _price, label),
                        stock=_opt(f, item, "stock", _stock, label),
                    )
                )

    record = ProductRecord(
        id=pid or "",
        name=name or "",
        price_cents=price or 0,
        brand=_opt(f, v, "brand", _text),
        category=_opt(f, v, "category", _text),
        description=_opt(f, v, "description", _text),
        attributes=attributes,
        stock=stock if sku is None else None,
        aisle=_opt(f, v, "aisle", _text),
        shelf=_opt(f, v, "shelf", _text),
        translations=words,
    )
    if f.bad:
        raise _Many(f.bad)
    return record, own, nested_variants


def build_products(
    rows: Iterator[Row], where: str, step: Callable[[], None], problems: Problems
) -> tuple[list[ProductRecord], dict[str, int], int]:
    """Group rows by id into products (rows with a sku are variants) and validate them.

    Every problem goes to `problems` and reading goes on, so one pass finds them all;
    a row with a problem is left out of the checks that compare rows (duplicates).
    """
    drafts: dict[str, _Draft] = {}
    skus: dict[str, int] = {}
    count = 0

    def bad(reason: str, line: int, fld: str | None = None) -> None:
        problems.add(ImportError_(reason, path=where, line=line, field=fld))

    for row in rows:
        count += 1
        step()
        try:
            record, own, nested = _record(row)
        except _Many as many:
            for b in many.bad:
                bad(b.reason, row.line, b.field)
            continue
        variants: list[tuple[int, VariantRecord, str]] = []
        if own is not None:
            variants.append((row.line, own, "sku"))
        variants += [(row.line, var, f"variants[{i}].sku") for i, var in enumerate(nested)]

        draft = drafts.get(record.id)
        if draft is None:
            draft = _Draft(row.line, record, [], own is not None)
            drafts[record.id] = draft
        elif own is None or not draft.variant_mode:
            bad(
                f"duplicate id '{record.id}' (first on line {draft.line}); give each "
                "variant row its own sku, or each product its own id",
                row.line,
                "id",
            )
            continue
        elif record.name != draft.record.name:
            bad(
                f"id '{record.id}' is named '{draft.record.name}' on line {draft.line} but "
                f"'{record.name}' here; variant rows of one product share its name",
                row.line,
                "name",
            )
            continue
        if record.translations and draft.record is not record:
            # A variant row may carry the product's words in another language too.
            merged = {lang: dict(ws) for lang, ws in draft.record.translations.items()}
            for lang, ws in record.translations.items():
                merged.setdefault(lang, {}).update(ws)
            draft.record = replace(draft.record, translations=merged)
        for line, var, fld in variants:
            if var.sku in skus:
                bad(f"duplicate sku '{var.sku}' (first on line {skus[var.sku]})", line, fld)
                continue
            clash = next(
                (
                    other
                    for _l, other in draft.variants
                    if (other.size, other.color) == (var.size, var.color)
                    and (var.size is not None or var.color is not None)
                ),
                None,
            )
            if clash is not None:
                bad(
                    f"sku '{var.sku}' has the same size '{var.size or ''}' and color "
                    f"'{var.color or ''}' as sku '{clash.sku}' of product '{record.id}'",
                    line,
                    "size",
                )
                continue
            skus[var.sku] = line
            draft.variants.append((line, var))

    products: list[ProductRecord] = []
    lines: dict[str, int] = {}
    for pid, draft in drafts.items():
        rec = draft.record
        if draft.variants:
            if draft.variant_mode:
                # A product sold in variant rows costs "from" its cheapest variant.
                low = min(
                    (v.price_cents for _l, v in draft.variants if v.price_cents is not None),
                    default=rec.price_cents,
                )
                rec = replace(rec, price_cents=low, price_from_variants=True)
            rec = replace(rec, stock=None, variants=tuple(v for _l, v in draft.variants))
        products.append(rec)
        lines[pid] = draft.line
    return products, lines, count

"""Writes to the catalog, shared by importers, the demo seeder and the staff console.

Every method runs inside the caller's transaction (see `db.transaction`), so an
import of 10,000 rows is one commit and a failure at row 9,999 leaves nothing.
The search index is kept in step with each product write.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from kiosk.catalog.records import (
    Customer,
    Document,
    ProductRecord,
    Review,
    Variant,
    format_price,
)

# Attribute keys whose values become filterable facets.
FACET_KEYS = {
    "color": "color",
    "colour": "color",
    "colors": "color",
    "size": "size",
    "sizes": "size",
    "material": "material",
    "capacity": "capacity",
    "features": "feature",
}


def _facet_values(value: Any) -> Iterable[str]:
    items = value if isinstance(value, list | tuple) else [value]
    for item in items:
        text = str(item).strip().lower()
        if text:
            yield text


def _attribute_parts(attributes: Mapping[str, Any]) -> list[str]:
    parts: list[str] = []
    for key, value in sorted(attributes.items()):
        items = value if isinstance(value, list | tuple) else [value]
        parts.append(f"{key.replace('_', ' ')} " + " ".join(str(i) for i in items))
    return parts


def _flatten(attributes: Mapping[str, Any]) -> str:
    """Attributes as search text, keys sorted so an edit can find and replace them."""
    return ". ".join(_attribute_parts(attributes))


def _without_attributes(extra: str, attributes: Mapping[str, Any]) -> str:
    """The search row's extra text minus the attribute text (documents etc. stay)."""
    old = _flatten(attributes)
    if old and extra.startswith(old):
        return extra[len(old) :].strip()
    for part in _attribute_parts(attributes):  # written in another order by an older import
        extra = (
            extra.replace(part + ". ", "", 1)
            if part + ". " in extra
            else extra.replace(part, "", 1)
        )
    return extra.strip(" .")


# A stored variant: (size, colour, own price in cents or None, stock).
_VariantRow = tuple[str, str, int | None, int]

# The fields an import reports as changed, in the order it lists them.
FIELDS = (
    "name",
    "brand",
    "category",
    "price",
    "description",
    "attributes",
    "stock",
    "aisle",
    "shelf",
    "variants",
    "translations",
)


@dataclass(frozen=True)
class ProductChange:
    """What one upsert did: 'new', 'updated' (`fields` changed) or 'unchanged'.

    `notes` holds old -> new for the fields a report can show in a few characters
    (price, stock).
    """

    kind: Literal["new", "updated", "unchanged"]
    fields: tuple[str, ...] = ()
    notes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Attrs:
    """What `_facets` reads of a record, for an attributes-only edit."""

    id: str
    attributes: Mapping[str, Any]


class CatalogWriter:
    """Upserts keyed by product id / SKU / document key, so re-imports never duplicate."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def upsert_product(
        self, rec: ProductRecord, *, source: str = "", replace: bool = False
    ) -> ProductChange:
        """Insert or update one product, its variants, facets and search row.

        Merges by default: a field the record leaves as None (no attributes, no
        variants) keeps the catalog's value; given attributes and variants (by
        SKU) are merged into the stored ones. `replace` makes the record the whole
        product: brand, category, description, attributes and variants it leaves
        out are emptied (stock, aisle and shelf still stay when it has none).
        Writes nothing for a product that would not change. Raises ValueError for
        a SKU of another product or two variants with the same size and colour.
        """
        conn = self.conn
        row = conn.execute(
            "SELECT num, name, brand, category, price_cents, description, attributes, "
            "stock, aisle, shelf FROM products WHERE id = ?",
            (rec.id,),
        ).fetchone()
        fresh = row is None or replace

        def keep(given: str | None, column: str) -> str:
            if given is not None:
                return given.strip()
            return "" if fresh or row is None else str(row[column])

        old_attrs: dict[str, Any] = json.loads(row["attributes"]) if row else {}
        attributes = dict(rec.attributes) if fresh else {**old_attrs, **rec.attributes}
        old_variants = self._variants(rec.id) if row else {}
        old_price = int(row["price_cents"]) if row else rec.price_cents
        variants, price = self._merged_variants(rec, {} if fresh else old_variants, old_price)
        if rec.variants:
            stock = sum(v[3] for v in variants.values())
        elif rec.stock is not None:
            stock = rec.stock
        else:
            stock = int(row["stock"]) if row else 0
        new: dict[str, Any] = {
            "name": rec.name.strip(),
            "brand": keep(rec.brand, "brand"),
            "category": keep(rec.category, "category"),
            "price": price,
            "description": (
                rec.description if rec.description is not None else keep(None, "description")
            ),
            "attributes": attributes,
            "stock": stock,
            "aisle": rec.aisle if rec.aisle is not None else (str(row["aisle"]) if row else ""),
            "shelf": rec.shelf if rec.shelf is not None else (str(row["shelf"]) if row else ""),
            "variants": variants,
        }
        fts = (
            conn.execute("SELECT extra FROM product_fts WHERE rowid = ?", (row["num"],)).fetchone()
            if row
            else None
        )
        old_extra = str(fts["extra"] or "") if fts else ""
        if rec.extra_text is not None or fresh:
            rest = rec.extra_text or ""
        else:
            rest = _without_attributes(old_extra, old_attrs)
        extra = " ".join(filter(None, [_flatten(attributes), rest]))

        if row is None:
            change = ProductChange("new")
        else:
            old: dict[str, Any] = {
                "name": row["name"],
                "brand": row["brand"],
                "category": row["category"],
                "price": row["price_cents"],
                "description": row["description"],
                "attributes": old_attrs,
                "stock": row["stock"],
                "aisle": row["aisle"],
                "shelf": row["shelf"],
                "variants": old_variants,
            }
            fields = tuple(k for k in new if new[k] != old[k])
            if self.set_translations(rec.id, rec.translations):
                fields += ("translations",)
            if not fields and extra == old_extra:
                return ProductChange("unchanged")
            if fields == ("translations",) and extra == old_extra:
                return ProductChange("updated", fields)
            notes: dict[str, str] = {
                k: f"{format_price(old[k]) if k == 'price' else old[k]} -> "
                f"{format_price(new[k]) if k == 'price' else new[k]}"
                for k in ("price", "stock")
                if k in fields
            }
            change = ProductChange("updated" if fields else "unchanged", fields, notes)

        if variants != old_variants:
            self._check_variants(rec.id, variants)
        values = (
            new["name"],
            new["brand"],
            new["category"],
            price,
            new["description"],
            json.dumps(attributes, ensure_ascii=False, sort_keys=True),
            stock,
            new["aisle"],
            new["shelf"],
            source,
        )
        if row is None:
            cur = conn.execute(
                "INSERT INTO products (name, brand, category, price_cents, description, "
                "attributes, stock, aisle, shelf, source, id) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (*values, rec.id),
            )
            num = cur.lastrowid
            self.set_translations(rec.id, rec.translations)
        else:
            num = row["num"]
            if change.fields:
                conn.execute(
                    "UPDATE products SET name=?, brand=?, category=?, price_cents=?, "
                    "description=?, attributes=?, stock=?, aisle=?, shelf=?, source=?, "
                    "updated_at=strftime('%Y-%m-%dT%H:%M:%SZ','now') WHERE id=?",
                    (*values, rec.id),
                )
        if variants != old_variants:
            conn.execute("DELETE FROM variants WHERE product_id = ?", (rec.id,))
            conn.executemany(
                "INSERT INTO variants (sku, product_id, size, color, price_cents, stock) "
                "VALUES (?,?,?,?,?,?)",
                [
                    (sku, rec.id, size, color, own, n)
                    for sku, (size, color, own, n) in variants.items()
                ],
            )
        self._facets(_Attrs(rec.id, attributes))
        conn.execute("DELETE FROM product_fts WHERE rowid = ?", (num,))
        conn.execute(
            "INSERT INTO product_fts (rowid, name, brand, category, description, extra) "
            "VALUES (?,?,?,?,?,?)",
            (num, new["name"], new["brand"], new["category"], new["description"], extra),
        )
        return change

    def set_translations(
        self, product_id: str, translations: Mapping[str, Mapping[str, str]]
    ) -> bool:
        """Store the given (language, field) texts of a product, each replacing its old
        text; what isn't given stays. True if anything changed. An empty text removes
        that translation (the staff console's "clear"); imports never pass one."""
        if not translations:
            return False
        stored = {
            (r[0], r[1]): r[2]
            for r in self.conn.execute(
                "SELECT lang, field, text FROM translations WHERE product_id = ?", (product_id,)
            )
        }
        given = {(lang, f): t.strip() for lang, ws in translations.items() for f, t in ws.items()}
        changed = {key: text for key, text in given.items() if stored.get(key, "") != text}
        self.conn.executemany(
            "DELETE FROM translations WHERE product_id = ? AND lang = ? AND field = ?",
            [(product_id, lang, f) for (lang, f), text in changed.items() if not text],
        )
        self.conn.executemany(
            "INSERT INTO translations (product_id, lang, field, text) VALUES (?,?,?,?) "
            "ON CONFLICT (product_id, lang, field) DO UPDATE SET text = excluded.text",
            [(product_id, lang, f, text) for (lang, f), text in changed.items() if text],
        )
        return bool(changed)

    def _variants(self, product_id: str) -> dict[str, _VariantRow]:
        """sku -> (size, colour, own price in cents, stock), in the order they were written."""
        return {
            str(v["sku"]): (
                str(v["size"]),
                str(v["color"]),
                int(v["price_cents"]) if v["price_cents"] is not None else None,
                int(v["stock"]),
            )
            for v in self.conn.execute(
                "SELECT sku, size, color, price_cents, stock FROM variants "
                "WHERE product_id = ? ORDER BY rowid",
                (product_id,),
            )
        }

    @staticmethod
    def _merged_variants(
        rec: ProductRecord, stored: dict[str, _VariantRow], old_price: int
    ) -> tuple[dict[str, _VariantRow], int]:
        """The record's variants over the stored ones, and the product's price.

        A variant field the record leaves None keeps its value. A stored variant
        price of None means "the product's price". With `rec.price_from_variants`
        the product costs "from" its cheapest variant, so the price is the minimum
        over the merged set, and a stored variant the record doesn't mention keeps
        what it cost; otherwise the record's price stands and a given variant price
        equal to it is stored as None, to follow the product's next change.
        """
        if rec.price_from_variants and rec.variants:
            costs = {
                sku: (size, color, own if own is not None else old_price, stock)
                for sku, (size, color, own, stock) in stored.items()
            }
            for v in rec.variants:
                size, color, cost, stock = costs.get(v.sku, ("", "", rec.price_cents, 0))
                costs[v.sku] = (
                    v.size.strip() if v.size is not None else size,
                    v.color.strip() if v.color is not None else color,
                    v.price_cents if v.price_cents is not None else cost,
                    v.stock if v.stock is not None else stock,
                )
            price = min(c[2] or 0 for c in costs.values())
            return {
                sku: (size, color, None if cost == price else cost, stock)
                for sku, (size, color, cost, stock) in costs.items()
            }, price
        out = dict(stored)
        for v in rec.variants:
            size, color, own, stock = stored.get(v.sku, ("", "", None, 0))
            if v.price_cents is not None:
                own = None if v.price_cents == rec.price_cents else v.price_cents
            out[v.sku] = (
                v.size.strip() if v.size is not None else size,
                v.color.strip() if v.color is not None else color,
                own,
                v.stock if v.stock is not None else stock,
            )
        return out, rec.price_cents

    def _check_variants(self, product_id: str, variants: dict[str, _VariantRow]) -> None:
        """A clear sentence for what the variants table's constraints would refuse."""
        seen: dict[tuple[str, str], str] = {}
        for sku, (size, color, _price, _stock) in variants.items():
            owner = self.conn.execute(
                "SELECT product_id FROM variants WHERE sku = ?", (sku,)
            ).fetchone()
            if owner is not None and owner[0] != product_id:
                raise ValueError(f"sku '{sku}' already belongs to product '{owner[0]}'")
            other = seen.get((size, color))
            if other is not None:
                raise ValueError(
                    f"skus '{other}' and '{sku}' of product '{product_id}' would both be "
                    f"size '{size}' and color '{color}'"
                )
            seen[(size, color)] = sku

    def _facets(self, rec: ProductRecord | _Attrs) -> None:
        facets: set[tuple[str, str]] = set()
        for key, value in rec.attributes.items():
            facet = FACET_KEYS.get(key.lower())
            if facet:
                facets.update((facet, v) for v in _facet_values(value))
        # From the table, not `rec`: a record without variants keeps the stored ones.
        for size, color in self.conn.execute(
            "SELECT size, color FROM variants WHERE product_id = ?", (rec.id,)
        ):
            if size:
                facets.add(("size", size.strip().lower()))
            if color:
                facets.add(("color", color.strip().lower()))
        stored = {
            (f, v)
            for f, v in self.conn.execute(
                "SELECT facet, value FROM facets WHERE product_id = ?", (rec.id,)
            )
        }
        if facets == stored:
            return  # unchanged: the word index (which holds colours and sizes) stays current
        self.conn.execute("DELETE FROM facets WHERE product_id = ?", (rec.id,))
        self.conn.executemany(
            "INSERT INTO facets (product_id, facet, value) VALUES (?,?,?)",
            [(rec.id, f, v) for f, v in sorted(facets)],
        )

    def upsert_document(self, doc: Document) -> None:
        self.conn.execute(
            "INSERT INTO documents (key, product_id, kind, title, body, source, lang) "
            "VALUES (?,?,?,?,?,?,?) ON CONFLICT (key) DO UPDATE SET "
            "product_id=excluded.product_id, kind=excluded.kind, title=excluded.title, "
            "body=excluded.body, source=excluded.source, lang=excluded.lang",
            (doc.key, doc.product_id, doc.kind, doc.title, doc.body, doc.source, doc.lang),
        )

    def replace_reviews(self, product_id: str, reviews: Iterable[Review]) -> None:
        self.conn.execute("DELETE FROM reviews WHERE product_id = ?", (product_id,))
        self.conn.executemany(
            "INSERT INTO reviews (product_id, position, rating, body) VALUES (?,?,?,?)",
            [(r.product_id, r.position, r.rating, r.body) for r in reviews],
        )

    def upsert_customer(self, customer: Customer) -> None:
        """Tier and orders only; the caller has already dropped contact details."""
        self.conn.execute(
            "INSERT INTO customers (id, membership) VALUES (?, ?) "
            "ON CONFLICT (id) DO UPDATE SET membership = excluded.membership",
            (customer.id, customer.membership),
        )
        self.conn.execute("DELETE FROM orders WHERE customer_id = ?", (customer.id,))
        self.conn.executemany(
            "INSERT INTO orders (customer_id, order_id, product_id, quantity, ordered_on) "
            "VALUES (?,?,?,?,?) ON CONFLICT DO UPDATE SET quantity = quantity + excluded.quantity",
            [
                (customer.id, o.order_id, o.product_id, o.quantity, o.ordered_on)
                for o in customer.orders
            ],
        )

    def set_variants(self, product_id: str, variants: Iterable[Variant]) -> None:
        """Replace a product's variants; its stock becomes their sum, facets follow."""
        variants = list(variants)
        self.conn.execute("DELETE FROM variants WHERE product_id = ?", (product_id,))
        self.conn.executemany(
            "INSERT INTO variants (sku, product_id, size, color, price_cents, stock) "
            "VALUES (?,?,?,?,?,?)",
            [(v.sku, product_id, v.size, v.color, v.price_cents, v.stock) for v in variants],
        )
        self._update(product_id, "stock = ?", (sum(v.stock for v in variants),))
        wanted = {
            (facet, value.strip().lower())
            for v in variants
            for facet, value in (("size", v.size), ("color", v.color))
            if value.strip()
        }
        stored = {
            (f, v)
            for f, v in self.conn.execute(
                "SELECT facet, value FROM facets WHERE product_id = ? AND facet IN "
                "('size', 'color')",
                (product_id,),
            )
        }
        if wanted != stored:  # a stock edit changes no facet: the word index stays current
            self.conn.execute(
                "DELETE FROM facets WHERE product_id = ? AND facet IN ('size', 'color')",
                (product_id,),
            )
            self.conn.executemany(
                "INSERT OR IGNORE INTO facets (product_id, facet, value) VALUES (?,?,?)",
                [(product_id, f, v) for f, v in sorted(wanted)],
            )

    def set_attributes(self, product_id: str, attributes: Mapping[str, Any]) -> None:
        """Replace a product's attributes; its facets and search row follow."""
        conn = self.conn
        row = conn.execute(
            "SELECT num, attributes FROM products WHERE id = ?", (product_id,)
        ).fetchone()
        if row is None:
            raise KeyError(product_id)
        old_attributes = json.loads(row["attributes"])
        fts = conn.execute(
            "SELECT name, brand, category, description, extra FROM product_fts WHERE rowid = ?",
            (row["num"],),
        ).fetchone()
        self._update(
            product_id,
            "attributes = ?",
            (json.dumps(dict(attributes), ensure_ascii=False, sort_keys=True),),
        )
        self._facets(_Attrs(product_id, attributes))
        if fts is not None:
            rest = _without_attributes(str(fts["extra"] or ""), old_attributes)
            conn.execute("DELETE FROM product_fts WHERE rowid = ?", (row["num"],))
            conn.execute(
                "INSERT INTO product_fts (rowid, name, brand, category, description, extra) "
                "VALUES (?,?,?,?,?,?)",
                (
                    row["num"],
                    fts["name"],
                    fts["brand"],
                    fts["category"],
                    fts["description"],
                    " ".join(filter(None, [_flatten(attributes), rest])),
                ),
            )

    def set_description(self, product_id: str, text: str, *, source: str = "") -> None:
        """Replace a product's description; the old text goes to description_history.

        The search index row follows. Raises KeyError for an unknown product.
        """
        row = self.conn.execute(
            "SELECT num, description FROM products WHERE id = ?", (product_id,)
        ).fetchone()
        if row is None:
            raise KeyError(product_id)
        self.conn.execute(
            "UPDATE products SET description = ?, "
            "updated_at = strftime('%Y-%m-%dT%H:%M:%SZ','now') WHERE id = ?",
            (text, product_id),
        )
        self.conn.execute(
            "UPDATE product_fts SET description = ? WHERE rowid = ?", (text, row["num"])
        )
        self.conn.execute(
            "INSERT INTO description_history (product_id, old_text, new_text, source) "
            "VALUES (?,?,?,?)",
            (product_id, row["description"], text, source),
        )

    def set_location(self, product_id: str, aisle: str, shelf: str) -> None:
        self._update(product_id, "aisle = ?, shelf = ?", (aisle, shelf))

    def set_stock(self, product_id: str, stock: int) -> None:
        self._update(product_id, "stock = ?", (stock,))

    def set_price(self, product_id: str, price_cents: int) -> None:
        self._update(product_id, "price_cents = ?", (price_cents,))

    def _update(self, product_id: str, assignments: str, params: tuple[Any, ...]) -> None:
        cur = self.conn.execute(
            f"UPDATE products SET {assignments}, "
            "updated_at = strftime('%Y-%m-%dT%H:%M:%SZ','now') WHERE id = ?",
            (*params, product_id),
        )
        if cur.rowcount == 0:
            raise KeyError(product_id)

    def add_staff_call(self, looking_for: str, kiosk: str = "", lang: str = "en") -> int:
        """A shopper pressed "call staff"; the text must already be redacted, and stays in
        the shopper's words; `lang` is the language they asked in, for the queue."""
        cur = self.conn.execute(
            "INSERT INTO staff_calls (kiosk, looking_for, lang) VALUES (?, ?, ?)",
            (kiosk, looking_for, lang),
        )
        return int(cur.lastrowid or 0)

    def refresh_staff_call(self, call_id: int, looking_for: str, lang: str | None = None) -> None:
        """The shopper asked again: same call, newer time and reason (text redacted), and
        the language they asked in this time, when given."""
        self.conn.execute(
            "UPDATE staff_calls SET looking_for = ?, lang = coalesce(?, lang), "
            "at = strftime('%Y-%m-%dT%H:%M:%SZ','now'), "
            "updated_at = strftime('%Y-%m-%dT%H:%M:%SZ','now') WHERE id = ?",
            (looking_for, lang, call_id),
        )

    def set_staff_call_status(self, call_id: int, status: str) -> None:
        cur = self.conn.execute(
            "UPDATE staff_calls SET status = ?, "
            "updated_at = strftime('%Y-%m-%dT%H:%M:%SZ','now') WHERE id = ?",
            (status, call_id),
        )
        if cur.rowcount == 0:
            raise KeyError(call_id)

    def add_feedback(self, text: str, product_id: str | None = None) -> int:
        """A shopper's comment; the text must already be redacted."""
        cur = self.conn.execute(
            "INSERT INTO feedback (text, product_id) VALUES (?, ?)", (text, product_id)
        )
        return int(cur.lastrowid or 0)

    def record_import(self, source: str, fmt: str, products: int, documents: int) -> None:
        self.conn.execute(
            "INSERT INTO imports (source, format, products, documents) VALUES (?,?,?,?)",
            (source, fmt, products, documents),
        )

"""Reading the catalog: products, documents, customers and search.

One `Catalog` per process; the shopper screen and the staff console each open
their own on the same file and see each other's commits (WAL).
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from kiosk.catalog.db import change_stamp, connect, read_only_reason, transaction
from kiosk.catalog.records import (
    Customer,
    Document,
    Order,
    Product,
    Review,
    TranslatedWords,
    Variant,
)
from kiosk.catalog.search import SearchFilters, SearchHit
from kiosk.catalog.translations import has_unspaced
from kiosk.catalog.vectors import VectorIndex
from kiosk.catalog.wordsearch import WordSearcher
from kiosk.catalog.writer import CatalogWriter
from kiosk.errors import StorageError
from kiosk.text.language import ZH


@dataclass(frozen=True)
class CatalogStats:
    products: int
    variants: int
    documents: int
    reviews: int
    customers: int
    in_stock: int
    unplaced: int  # products without an aisle
    size_bytes: int


@dataclass(frozen=True)
class StaffCall:
    id: int
    at: str
    kiosk: str
    looking_for: str
    status: str
    lang: str = "en"  # the language the shopper asked in


class Catalog:
    """The store's data, read-mostly. Writes go through `write()` (one transaction)."""

    def __init__(self, conn: sqlite3.Connection, path: Path | None = None) -> None:
        self.conn = conn
        self.path = path
        self._searcher = WordSearcher(conn)
        # Product vectors for search by meaning (empty until they are made: words alone).
        self.vectors = VectorIndex(conn)
        self._translated: dict[str, tuple[tuple[int, int], TranslatedWords]] = {}

    @classmethod
    def open(cls, path: Path | str, *, create: bool = True) -> Catalog:
        return cls(connect(path, create=create), Path(path))

    def close(self) -> None:
        self.conn.close()

    @property
    def read_only(self) -> StorageError | None:
        """Why this catalog can't be written now (disk full, read-only home), or None.
        It still answers; a write raises StorageError with that sentence."""
        return read_only_reason(self.conn)

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writes ---------------------------------------------------------------
    def write(self) -> _WriteTx:
        """`with catalog.write() as w: w.set_price(...)` commits once, or not at all."""
        return _WriteTx(self.conn)

    # -- products -------------------------------------------------------------
    def product(self, product_id: str) -> Product | None:
        found = self.products([product_id])
        return found[0] if found else None

    def products(self, ids: Sequence[str]) -> list[Product]:
        """Products in the order of `ids` (unknown ids are skipped)."""
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = {
            r["id"]: r
            for r in self.conn.execute(f"SELECT * FROM products WHERE id IN ({marks})", ids)
        }
        variants: dict[str, list[Variant]] = {}
        for v in self.conn.execute(
            f"SELECT * FROM variants WHERE product_id IN ({marks}) ORDER BY rowid", ids
        ):
            variants.setdefault(v["product_id"], []).append(
                Variant(v["sku"], v["size"], v["color"], v["price_cents"], v["stock"])
            )
        words: dict[str, dict[str, dict[str, str]]] = {}
        for t in self.conn.execute(
            f"SELECT product_id, lang, field, text FROM translations WHERE product_id IN ({marks})",
            ids,
        ):
            words.setdefault(t[0], {}).setdefault(t[1], {})[t[2]] = t[3]
        return [_product(rows[i], variants.get(i, []), words.get(i, {})) for i in ids if i in rows]

    def all_products(self, *, limit: int | None = None, offset: int = 0) -> list[Product]:
        sql = "SELECT id FROM products ORDER BY category, name"
        params: tuple[int, ...] = ()
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params = (limit, offset)
        return self.products([r[0] for r in self.conn.execute(sql, params)])

    def search(
        self, query: str, filters: SearchFilters | None = None, *, limit: int = 5
    ) -> list[SearchHit]:
        """Products for a request's words, best first, that pass the filters. Words in
        Chinese find products by their Chinese name, category and description; a brand
        or category filter given in Chinese is read as the catalog's own."""
        filters = self._own_words(filters or SearchFilters())
        return self._searcher.search(query, filters, limit=limit)

    def _own_words(self, filters: SearchFilters) -> SearchFilters:
        """A Chinese brand or category filter -> the catalog's (English) one it stands for."""
        brand, category = filters.brand, filters.category
        if brand and has_unspaced(brand):
            brand = self._own_word("brand", brand)
        if category and has_unspaced(category):
            category = self._own_word("category", category)
        if (brand, category) == (filters.brand, filters.category):
            return filters
        return dataclasses.replace(filters, brand=brand, category=category)

    def _own_word(self, fld: str, text: str) -> str:
        """The catalog's own brand or category that `text` translates (itself if none):
        one indexed lookup, not the whole table."""
        row = self.conn.execute(
            f"SELECT p.{fld} FROM translations t JOIN products p ON p.id = t.product_id "
            f"WHERE t.lang = ? AND t.field = ? AND t.text = ? AND p.{fld} <> '' LIMIT 1",
            (ZH, fld, text.strip()),
        ).fetchone()
        return str(row[0]) if row else text

    def vocabulary(self) -> dict[str, list[str]]:
        """The catalog's own words (names, brands, categories, colours, sizes).

        Request understanding and speech hints match against these.
        """

        def col(sql: str) -> list[str]:
            return [r[0] for r in self.conn.execute(sql) if r[0]]

        return {
            "names": col("SELECT name FROM products ORDER BY name"),
            "brands": col("SELECT DISTINCT brand FROM products ORDER BY brand"),
            "categories": col("SELECT DISTINCT category FROM products ORDER BY category"),
            "colors": col("SELECT DISTINCT value FROM facets WHERE facet='color' ORDER BY value"),
            "sizes": col("SELECT DISTINCT value FROM facets WHERE facet='size' ORDER BY value"),
        }

    def names_and_categories(self) -> dict[str, tuple[str, str]]:
        """id -> (name, category) of every product, for labels and vocabularies."""
        return {
            r[0]: (r[1], r[2]) for r in self.conn.execute("SELECT id, name, category FROM products")
        }

    def categories(self) -> list[str]:
        """Every category the catalog has, once, sorted."""
        return [
            r[0]
            for r in self.conn.execute("SELECT DISTINCT category FROM products ORDER BY category")
        ]

    def ids_in_category(self, category: str) -> list[str]:
        return [
            r[0]
            for r in self.conn.execute(
                "SELECT id FROM products WHERE category = ? ORDER BY rowid", (category,)
            )
        ]

    def buyers_by_category(self) -> list[tuple[str, str]]:
        """(customer id, category) for every category a loyalty customer has bought from."""
        return [
            (r[0], r[1])
            for r in self.conn.execute(
                "SELECT DISTINCT o.customer_id, p.category FROM orders o "
                "JOIN products p ON p.id = o.product_id WHERE p.category != ''"
            )
        ]

    def average_ratings(self) -> dict[str, float]:
        """product id -> its reviews' average star rating (products with ratings only)."""
        return {
            r[0]: float(r[1])
            for r in self.conn.execute(
                "SELECT product_id, avg(rating) FROM reviews WHERE rating IS NOT NULL "
                "GROUP BY product_id"
            )
        }

    # -- documents ------------------------------------------------------------
    def documents(
        self, product_id: str | None, kinds: Iterable[str] | None = None, lang: str = "en"
    ) -> list[Document]:
        """Documents of a product, or the store's own when product_id is None, in a
        language: of each kind, the ones written in `lang`, else the English ones."""
        sql = "SELECT * FROM documents WHERE product_id IS ? AND lang IN (?, 'en')"
        params: list[object] = [product_id, lang]
        kinds = list(kinds or [])
        if kinds:
            sql += f" AND kind IN ({','.join('?' * len(kinds))})"
            params += kinds
        docs = [_document(r) for r in self.conn.execute(sql + " ORDER BY id", params)]
        translated = {d.kind for d in docs if d.lang == lang}
        return [d for d in docs if d.lang == lang or d.kind not in translated]

    def translated_words(self, lang: str) -> TranslatedWords:
        """The catalog's names, brands and categories in another language, each mapped
        to what it stands for: what a request in that language is read against. Read
        once per catalog change (at 100k products the read takes ~0.4 s; a turn in
        that language asks for it several times)."""
        stamp = change_stamp(self.conn)
        cached = self._translated.get(lang)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        words = self._read_translated_words(lang)
        self._translated[lang] = (stamp, words)
        return words

    def translation_counts(self, lang: str) -> dict[str, int]:
        """How many products have each field in `lang` ('name', 'category', ...)."""
        return {
            r[0]: int(r[1])
            for r in self.conn.execute(
                "SELECT field, count(*) FROM translations WHERE lang = ? GROUP BY field", (lang,)
            )
        }

    def translated_names(self, lang: str) -> list[tuple[str, str]]:
        """(name in `lang`, the catalog's own name) for every product that has one.
        (One join, not an IN list of ids: a big catalog has more than SQLite's limit.)"""
        return [
            (r[0], r[1])
            for r in self.conn.execute(
                "SELECT t.text, p.name FROM translations t JOIN products p "
                "ON p.id = t.product_id WHERE t.lang = ? AND t.field = 'name'",
                (lang,),
            )
        ]

    def _read_translated_words(self, lang: str) -> TranslatedWords:
        words = TranslatedWords()
        for pid, field, text, brand, category in self.conn.execute(
            "SELECT t.product_id, t.field, t.text, p.brand, p.category FROM translations t "
            "JOIN products p ON p.id = t.product_id WHERE t.lang = ? AND t.field <> "
            "'description' ORDER BY p.num",
            (lang,),
        ):
            if field == "name":
                words.names.setdefault(text, pid)
            elif field == "brand" and brand:
                words.brands.setdefault(text, brand)
            elif field == "category" and category:
                words.categories.setdefault(text, category)
        return words

    def ids_with_documents(self, kinds: Iterable[str]) -> list[str]:
        """Products that have documents of these kinds, by category and name: a question
        about manuals reads those few, not the whole catalog."""
        kinds = list(kinds)
        marks = ",".join("?" * len(kinds))
        return [
            r[0]
            for r in self.conn.execute(
                "SELECT id FROM products WHERE id IN (SELECT product_id FROM documents "
                f"WHERE product_id IS NOT NULL AND kind IN ({marks})) ORDER BY category, name",
                kinds,
            )
        ]

    def all_documents(self, kinds: Iterable[str] | None = None) -> Iterator[Document]:
        """Every document, the store's and the products', ordered by product."""
        sql = "SELECT * FROM documents"
        kinds = list(kinds or [])
        if kinds:
            sql += f" WHERE kind IN ({','.join('?' * len(kinds))})"
        for r in self.conn.execute(sql + " ORDER BY product_id, id", kinds):
            yield _document(r)

    def reviews(self, product_id: str) -> list[Review]:
        return [
            Review(r["product_id"], r["position"], r["rating"], r["body"])
            for r in self.conn.execute(
                "SELECT * FROM reviews WHERE product_id = ? ORDER BY position", (product_id,)
            )
        ]

    def customer(self, customer_id: str) -> Customer | None:
        row = self.conn.execute("SELECT * FROM customers WHERE id = ?", (customer_id,)).fetchone()
        if row is None:
            return None
        orders = tuple(
            Order(o["order_id"], o["product_id"], o["quantity"], o["ordered_on"])
            for o in self.conn.execute(
                "SELECT * FROM orders WHERE customer_id = ? ORDER BY ordered_on, order_id",
                (customer_id,),
            )
        )
        return Customer(row["id"], row["membership"], orders)

    def staff_calls(self, *, open_only: bool = True) -> list[StaffCall]:
        sql = "SELECT * FROM staff_calls"
        if open_only:
            sql += " WHERE status != 'closed'"
        return [_staff_call(r) for r in self.conn.execute(sql + " ORDER BY at, id")]

    def staff_call(self, call_id: int) -> StaffCall | None:
        r = self.conn.execute("SELECT * FROM staff_calls WHERE id = ?", (call_id,)).fetchone()
        return _staff_call(r) if r else None

    def feedback(self) -> list[tuple[str, str, str | None]]:
        """(when, text, product id) of every stored comment, oldest first."""
        return [
            (r["at"], r["text"], r["product_id"])
            for r in self.conn.execute("SELECT * FROM feedback ORDER BY id")
        ]

    def approved_descriptions(self) -> list[tuple[str, str, str]]:
        """(product id, text, source) of descriptions staff approved that are still the
        product's own (a later import may have replaced them), one per product."""
        if not self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'description_history'"
        ).fetchone():
            return []
        return [
            (r["product_id"], r["new_text"], r["source"])
            for r in self.conn.execute(
                "SELECT h.product_id, h.new_text, h.source FROM description_history h "
                "JOIN products p ON p.id = h.product_id AND p.description = h.new_text "
                "WHERE h.id = (SELECT MAX(id) FROM description_history "
                "WHERE product_id = h.product_id) ORDER BY h.product_id"
            )
        ]

    def stats(self) -> CatalogStats:
        def one(sql: str) -> int:
            return int(self.conn.execute(sql).fetchone()[0])

        size = self.path.stat().st_size if self.path and self.path.exists() else 0
        return CatalogStats(
            products=one("SELECT count(*) FROM products"),
            variants=one("SELECT count(*) FROM variants"),
            documents=one("SELECT count(*) FROM documents"),
            reviews=one("SELECT count(*) FROM reviews"),
            customers=one("SELECT count(*) FROM customers"),
            in_stock=one("SELECT count(*) FROM products WHERE stock > 0"),
            unplaced=one("SELECT count(*) FROM products WHERE aisle = ''"),
            size_bytes=size,
        )

    def integrity_check(self) -> str:
        return str(self.conn.execute("PRAGMA integrity_check").fetchone()[0])


class _WriteTx:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._cm = transaction(conn)

    def __enter__(self) -> CatalogWriter:
        self._cm.__enter__()
        return CatalogWriter(self._conn)

    def __exit__(self, *exc: object) -> None:
        self._cm.__exit__(*exc)  # type: ignore[arg-type]


def _document(r: sqlite3.Row) -> Document:
    return Document(
        r["key"], r["kind"], r["title"], r["body"], r["product_id"], r["source"], r["lang"]
    )


def _product(
    row: sqlite3.Row,
    variants: list[Variant],
    translations: dict[str, dict[str, str]] | None = None,
) -> Product:
    return Product(
        id=row["id"],
        name=row["name"],
        brand=row["brand"],
        category=row["category"],
        price_cents=row["price_cents"],
        description=row["description"],
        attributes=json.loads(row["attributes"]),
        stock=row["stock"],
        aisle=row["aisle"],
        shelf=row["shelf"],
        variants=tuple(variants),
        translations=translations or {},
    )


def _staff_call(r: sqlite3.Row) -> StaffCall:
    # A catalog not yet at schema 6 has no lang (sqlite3.Row: `in` reads values, not keys).
    lang = r["lang"] if "lang" in r.keys() else "en"  # noqa: SIM118
    return StaffCall(r["id"], r["at"], r["kiosk"], r["looking_for"], r["status"], lang)

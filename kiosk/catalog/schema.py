"""The catalog's SQL schema, versioned with `PRAGMA user_version`.

STRICT tables with CHECK constraints make the database itself refuse a negative
price or a stock of -1, whoever writes it (importer, staff console, a script).
"""

from __future__ import annotations

# 3: request_log and description_history (merchant insight). Every statement is
# CREATE ... IF NOT EXISTS, so `db.connect` upgrades a version-2 file in place.
# 4: search_state and its triggers: the word index (kiosk/catalog/wordindex.py) is
# derived from the catalog and knows it is stale when `generation` has moved.
# 5: product_vectors and vector_state: sentence vectors of products (kiosk/catalog/vectors.py),
# kept with the catalog and re-made only for products whose text changed.
# 6: other languages: `translations` holds a product's name, brand, category and
# description in another language (name_zh, ...), `documents.lang` a store document's
# language, and request_log/staff_calls keep the language a shopper used. Columns added
# to an older file come from COLUMNS (ALTER TABLE ... ADD COLUMN where missing).
# Changes to translations and to colour/size facets move search_state.generation (the
# word index holds them).
SCHEMA_VERSION = 6

# Columns added after their table was first shipped: (table, column, declaration).
COLUMNS = (
    ("documents", "lang", "TEXT NOT NULL DEFAULT 'en'"),
    ("request_log", "lang", "TEXT NOT NULL DEFAULT 'en'"),
    ("staff_calls", "lang", "TEXT NOT NULL DEFAULT 'en'"),
)

# Product fields that may carry other languages.
TRANSLATED_FIELDS = ("name", "brand", "category", "description")

# Document kinds a product or the store can carry. Policy answers and product
# facts are looked up by kind, so the set is closed.
DOC_KINDS = (
    "description",
    "features",
    "specs",
    "user_guide",
    "cautions",
    "warranty",
    "return_policy",
    "reviews",
    "faq",
    "policy",
    "other",
)

_kinds = ", ".join(f"'{k}'" for k in DOC_KINDS)

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS products (
    num         INTEGER PRIMARY KEY,  -- stable rowid, shared with product_fts
    id          TEXT NOT NULL UNIQUE CHECK (length(id) BETWEEN 1 AND 200),
    name        TEXT NOT NULL CHECK (length(trim(name)) > 0),
    brand       TEXT NOT NULL DEFAULT '',
    category    TEXT NOT NULL DEFAULT '',
    price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
    description TEXT NOT NULL DEFAULT '',
    attributes  TEXT NOT NULL DEFAULT '{{}}' CHECK (json_valid(attributes)
                                                   AND json_type(attributes) = 'object'),
    stock       INTEGER NOT NULL DEFAULT 0 CHECK (stock >= 0),
    aisle       TEXT NOT NULL DEFAULT '',
    shelf       TEXT NOT NULL DEFAULT '',
    source      TEXT NOT NULL DEFAULT '',
    updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
) STRICT;

CREATE INDEX IF NOT EXISTS products_category ON products (category COLLATE NOCASE, price_cents);
CREATE INDEX IF NOT EXISTS products_brand ON products (brand COLLATE NOCASE);
CREATE INDEX IF NOT EXISTS products_price ON products (price_cents);

-- A product sold in sizes/colours keeps stock per variant; products.stock is their sum.
CREATE TABLE IF NOT EXISTS variants (
    sku         TEXT PRIMARY KEY CHECK (length(sku) BETWEEN 1 AND 200),
    product_id  TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    size        TEXT NOT NULL DEFAULT '',
    color       TEXT NOT NULL DEFAULT '',
    price_cents INTEGER CHECK (price_cents IS NULL OR price_cents >= 0),
    stock       INTEGER NOT NULL DEFAULT 0 CHECK (stock >= 0),
    UNIQUE (product_id, size, color)
) STRICT;

CREATE INDEX IF NOT EXISTS variants_product ON variants (product_id);

-- Facet values (colour, size, ...) of products and their variants, lower-cased,
-- so filters are index lookups rather than JSON scans.
CREATE TABLE IF NOT EXISTS facets (
    product_id  TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    facet       TEXT NOT NULL CHECK (facet IN ('color', 'size', 'material', 'capacity', 'feature')),
    value       TEXT NOT NULL CHECK (length(value) > 0),
    PRIMARY KEY (facet, value, product_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX IF NOT EXISTS facets_product ON facets (product_id);

-- Manuals, warranty, return policy, reviews: attached to a product, or to the
-- store when product_id is NULL. `key` makes re-imports replace, not duplicate.
CREATE TABLE IF NOT EXISTS documents (
    id          INTEGER PRIMARY KEY,
    key         TEXT NOT NULL UNIQUE,
    product_id  TEXT REFERENCES products (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ({_kinds})),
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    source      TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX IF NOT EXISTS documents_product ON documents (product_id, kind);

-- A product's words in another language (`lang` a short code: 'zh'), one row per field.
-- The English row in `products` stays the record; a missing translation falls back to it.
CREATE TABLE IF NOT EXISTS translations (
    product_id  TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    lang        TEXT NOT NULL CHECK (length(lang) BETWEEN 2 AND 8 AND lang <> 'en'),
    field       TEXT NOT NULL CHECK (field IN ('name', 'brand', 'category', 'description')),
    text        TEXT NOT NULL CHECK (length(trim(text)) > 0),
    PRIMARY KEY (product_id, lang, field)
) STRICT;

CREATE INDEX IF NOT EXISTS translations_lang ON translations (lang, field);
-- A Chinese category or brand filter -> the catalog's own, one lookup (Catalog.search).
CREATE INDEX IF NOT EXISTS translations_text ON translations (lang, field, text);

-- Rated reviews, kept apart from their document so insight can read stars directly.
CREATE TABLE IF NOT EXISTS reviews (
    id          INTEGER PRIMARY KEY,
    product_id  TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL CHECK (position >= 1),
    rating      INTEGER CHECK (rating IS NULL OR rating BETWEEN 1 AND 5),
    body        TEXT NOT NULL,
    UNIQUE (product_id, position)
) STRICT;

-- Loyalty customers: only what personalization needs (tier, orders). Names,
-- emails, phones and addresses in a feed are deliberately not imported.
CREATE TABLE IF NOT EXISTS customers (
    id          TEXT PRIMARY KEY CHECK (length(id) > 0),
    membership  TEXT NOT NULL DEFAULT 'None'
) STRICT;

CREATE TABLE IF NOT EXISTS orders (
    customer_id TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    order_id    TEXT NOT NULL,
    product_id  TEXT NOT NULL,
    quantity    INTEGER NOT NULL CHECK (quantity > 0),
    ordered_on  TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (customer_id, order_id, product_id)
) STRICT;

CREATE TABLE IF NOT EXISTS imports (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    source      TEXT NOT NULL,
    format      TEXT NOT NULL,
    products    INTEGER NOT NULL CHECK (products >= 0),
    documents   INTEGER NOT NULL CHECK (documents >= 0)
) STRICT;

-- "Call staff" requests from shoppers, for the staff console's live queue.
-- `looking_for` is redacted (no phone numbers, emails, card or loyalty numbers).
CREATE TABLE IF NOT EXISTS staff_calls (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    kiosk       TEXT NOT NULL DEFAULT '',
    looking_for TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'acknowledged', 'closed')),
    updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
) STRICT;

CREATE INDEX IF NOT EXISTS staff_calls_status ON staff_calls (status, at);

-- Shoppers' comments (the feedback intent), redacted, tied to no session or person.
CREATE TABLE IF NOT EXISTS feedback (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    text        TEXT NOT NULL CHECK (length(text) > 0),
    product_id  TEXT
) STRICT;

-- One row per shopper turn, for the manager's insight report (kiosk/insights).
-- `text` is redacted before it is written; `session` is a random token that is
-- rotated when the shopper's session is wiped, never derived from anything personal,
-- so requests can be counted together per visit but no visit can be tied to a person.
-- `at` is local time to the minute; rows older than insights.retention_days are deleted.
CREATE TABLE IF NOT EXISTS request_log (
    id          INTEGER PRIMARY KEY,
    day         TEXT NOT NULL CHECK (length(day) = 10),
    at          TEXT NOT NULL,
    kiosk       TEXT NOT NULL DEFAULT '',
    intent      TEXT NOT NULL,
    text        TEXT NOT NULL DEFAULT '',
    query       TEXT NOT NULL DEFAULT '',
    found       INTEGER NOT NULL DEFAULT 0 CHECK (found >= 0),
    top_score   REAL CHECK (top_score IS NULL OR top_score BETWEEN 0 AND 1),
    product_ids TEXT NOT NULL DEFAULT '',
    answered    INTEGER NOT NULL DEFAULT 1 CHECK (answered IN (0, 1)),
    session     TEXT NOT NULL DEFAULT '',
    -- Stage timings in ms as JSON (asr, understand, act, llm, total): the technician
    -- view of a console in another process shows the kiosk's last turns from here.
    timings     TEXT NOT NULL DEFAULT '{{}}'
) STRICT;

CREATE INDEX IF NOT EXISTS request_log_day ON request_log (day);
CREATE INDEX IF NOT EXISTS request_log_session ON request_log (session);

-- Descriptions staff approved (kiosk describe / the Insights screen), with the text
-- they replaced, so an approved draft can be undone.
CREATE TABLE IF NOT EXISTS description_history (
    id          INTEGER PRIMARY KEY,
    product_id  TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    old_text    TEXT NOT NULL,
    new_text    TEXT NOT NULL,
    source      TEXT NOT NULL DEFAULT ''
) STRICT;

-- Full-text search with BM25. Porter stemming makes 'tents' find 'tent'.
-- `extra` holds attribute values, features and specs text; rowid = products.num.
CREATE VIRTUAL TABLE IF NOT EXISTS product_fts USING fts5 (
    name, brand, category, description, extra,
    tokenize = 'porter unicode61 remove_diacritics 2'
);

CREATE VIRTUAL TABLE IF NOT EXISTS product_fts_vocab USING fts5vocab (product_fts, 'row');

-- The word index beside the catalog file (catalog.sqlite3.words/) is built from this
-- file. `generation` moves whenever searchable text does (a product added, removed,
-- renamed, re-described, re-categorised, its attributes changed), so every process sees
-- at once that the index it has is stale. Price, stock, aisle and shelf are not indexed
-- (search filters and sorts them in SQLite), so staff edits of those move nothing.
-- `token` tells one catalog file from another (a reset demo starts at 0 again).
CREATE TABLE IF NOT EXISTS search_state (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    token       TEXT NOT NULL,
    generation  INTEGER NOT NULL DEFAULT 0
) STRICT;

INSERT OR IGNORE INTO search_state (id, token, generation)
    VALUES (1, lower(hex(randomblob(8))), 0);

CREATE TRIGGER IF NOT EXISTS search_text_insert AFTER INSERT ON products BEGIN
    UPDATE search_state SET generation = generation + 1 WHERE id = 1;
END;

CREATE TRIGGER IF NOT EXISTS search_text_delete AFTER DELETE ON products BEGIN
    UPDATE search_state SET generation = generation + 1 WHERE id = 1;
END;

CREATE TRIGGER IF NOT EXISTS search_text_update
    AFTER UPDATE OF name, brand, category, description, attributes ON products
    WHEN NEW.name IS NOT OLD.name OR NEW.brand IS NOT OLD.brand
        OR NEW.category IS NOT OLD.category OR NEW.description IS NOT OLD.description
        OR NEW.attributes IS NOT OLD.attributes
BEGIN
    UPDATE search_state SET generation = generation + 1 WHERE id = 1;
END;

-- Colour and size facets are in the index too (a filter there is a term, not a walk
-- over candidates in SQLite); the writer rewrites a product's facets only when they
-- changed, so an import of the same feed moves nothing.
CREATE TRIGGER IF NOT EXISTS search_facet_insert AFTER INSERT ON facets
    WHEN NEW.facet IN ('color', 'size')
BEGIN
    UPDATE search_state SET generation = generation + 1 WHERE id = 1;
END;

CREATE TRIGGER IF NOT EXISTS search_facet_delete AFTER DELETE ON facets
    WHEN OLD.facet IN ('color', 'size')
BEGIN
    UPDATE search_state SET generation = generation + 1 WHERE id = 1;
END;

-- Specs and features text of a product's documents is searchable too.
CREATE TRIGGER IF NOT EXISTS search_doc_insert AFTER INSERT ON documents
    WHEN NEW.product_id IS NOT NULL
BEGIN
    UPDATE search_state SET generation = generation + 1 WHERE id = 1;
END;

CREATE TRIGGER IF NOT EXISTS search_doc_delete AFTER DELETE ON documents
    WHEN OLD.product_id IS NOT NULL
BEGIN
    UPDATE search_state SET generation = generation + 1 WHERE id = 1;
END;

CREATE TRIGGER IF NOT EXISTS search_doc_update AFTER UPDATE ON documents
    WHEN NEW.body IS NOT OLD.body OR NEW.title IS NOT OLD.title
        OR NEW.product_id IS NOT OLD.product_id
BEGIN
    UPDATE search_state SET generation = generation + 1 WHERE id = 1;
END;

-- Other languages' words are searchable too (pairs of characters, see translations.py).
CREATE TRIGGER IF NOT EXISTS search_translation_insert AFTER INSERT ON translations BEGIN
    UPDATE search_state SET generation = generation + 1 WHERE id = 1;
END;

CREATE TRIGGER IF NOT EXISTS search_translation_delete AFTER DELETE ON translations BEGIN
    UPDATE search_state SET generation = generation + 1 WHERE id = 1;
END;

CREATE TRIGGER IF NOT EXISTS search_translation_update AFTER UPDATE ON translations
    WHEN NEW.text IS NOT OLD.text OR NEW.product_id IS NOT OLD.product_id
        OR NEW.lang IS NOT OLD.lang OR NEW.field IS NOT OLD.field
BEGIN
    UPDATE search_state SET generation = generation + 1 WHERE id = 1;
END;

-- Sentence vectors of products (float16, `dim` numbers), one per product, for search by
-- meaning. `model` names the embedding model and `text_hash` the text it embedded, so a
-- catch-up re-embeds only products that are new, changed or embedded by another model.
-- The catalog answers by words alone until they exist.
CREATE TABLE IF NOT EXISTS product_vectors (
    product_id  TEXT PRIMARY KEY REFERENCES products (id) ON DELETE CASCADE,
    model       TEXT NOT NULL CHECK (length(model) > 0),
    text_hash   TEXT NOT NULL,
    dim         INTEGER NOT NULL CHECK (dim > 0),
    vector      BLOB NOT NULL CHECK (length(vector) = 2 * dim)
) STRICT;

-- Moves whenever a vector is written or removed, so a process holding the matrix in
-- memory knows at once that it is stale (one row read per search, not a count).
CREATE TABLE IF NOT EXISTS vector_state (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    generation  INTEGER NOT NULL DEFAULT 0
) STRICT;

INSERT OR IGNORE INTO vector_state (id, generation) VALUES (1, 0);

CREATE TRIGGER IF NOT EXISTS vectors_insert AFTER INSERT ON product_vectors BEGIN
    UPDATE vector_state SET generation = generation + 1 WHERE id = 1;
END;

CREATE TRIGGER IF NOT EXISTS vectors_update AFTER UPDATE ON product_vectors BEGIN
    UPDATE vector_state SET generation = generation + 1 WHERE id = 1;
END;

CREATE TRIGGER IF NOT EXISTS vectors_delete AFTER DELETE ON product_vectors BEGIN
    UPDATE vector_state SET generation = generation + 1 WHERE id = 1;
END;
"""

"""The Contoso Outdoors store folder: products.csv, manuals/, customers/.

The manuals are hand-written Markdown whose headings drift from file to file
("## Caution", "## Cautions:", "## Caution Information", "## Technical
Specifications", extra usage sections), so sections are classified by keywords
rather than matched exactly. Specs become attributes (what filters and answers
use); every section is also kept as a document so policy answers quote the
manual's own words.

Customer files carry names, emails, phones and addresses; only the id, the
membership tier and the orders are read, so contact details never reach the
catalog file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from kiosk.catalog.importers.base import (
    Batch,
    Problems,
    RowTick,
    csv_header,
    csv_rows,
    list_dir,
    load_json,
    read_text,
    snake,
    ticker,
)
from kiosk.catalog.records import (
    MAX_STOCK,
    Customer,
    Document,
    Order,
    ProductRecord,
    Review,
    parse_price,
)
from kiosk.errors import ImportError_

PRODUCT_COLUMNS = ("id", "name", "price", "category", "brand", "description")
MANUAL_NAME = re.compile(r"product_info_(?P<id>[^/\\]+)\.md$")
# Sections that only repeat products.csv.
IGNORED_SECTIONS = {"brand", "category"}
# Spec keys that would contradict the catalog's own columns if kept as attributes.
IGNORED_SPECS = {"price", "brand", "product_category"}
TIER_LINE = re.compile(
    r'^\s*[-*]\s*\*\*If Membership status\s*"(?P<tier>[^"]*)"\s*:?\*\*:?\s*(?P<text>.*)$'
)
SPEC_BOLD = re.compile(r"^\s*(?:[-*]\s+)?\*\*(?P<key>[^*]+?)\*\*\s*:*\s*(?P<value>.*?)\s*$")
SPEC_PLAIN = re.compile(
    r"^\s*(?:[-*]\s+)?(?P<key>[A-Za-z][A-Za-z0-9 ()/&'.-]{0,48}?)\s*:\s+(?P<value>\S.*?)\s*$"
)


def is_store_dir(path: Path) -> bool:
    """A folder laid out like the Contoso Outdoors sample store."""
    return path.is_dir() and (path / "products.csv").is_file() and (path / "manuals").is_dir()


@dataclass(frozen=True)
class Section:
    heading: str
    body: str


def _classify(heading: str) -> str | None:
    """Heading text -> document kind (None: a section that only repeats products.csv)."""
    h = re.sub(r"^[\d.\s]+", "", heading).strip().rstrip(":").strip().lower()
    if h in IGNORED_SECTIONS:
        return None
    rules = (
        ("feature", "features"),
        ("spec", "specs"),
        ("caution", "cautions"),
        ("warrant", "warranty"),
        ("return", "return_policy"),
        ("review", "reviews"),
        ("faq", "faq"),
        ("question", "faq"),
        ("contact", "other"),
    )
    for word, kind in rules:
        if re.search(rf"\b{word}", h):
            return kind
    guide_words = (
        "guide",
        "usage",
        "use",
        "wearing",
        "care",
        "maintenance",
        "adjust",
        "setup",
        "set up",
        "assembly",
        "instruction",
        "fit",
        "sizing",
    )
    if any(re.search(rf"\b{word}", h) for word in guide_words):
        return "user_guide"
    return "other"


def _title(heading: str) -> str:
    return re.sub(r"^[\d.\s]+", "", heading).strip().rstrip(":").strip()


def split_sections(text: str) -> tuple[str, list[Section]]:
    """The text before the first '## ' heading, and each level-2 section."""
    preamble: list[str] = []
    sections: list[Section] = []
    heading: str | None = None
    body: list[str] = []
    for raw in text.splitlines():
        match = re.match(r"^##(?!#)\s*(.*?)\s*$", raw)
        if match:
            if heading is not None:
                sections.append(Section(heading, "\n".join(body).strip()))
            heading, body = match.group(1), []
        elif heading is None:
            preamble.append(raw)
        else:
            body.append(raw)
    if heading is not None:
        sections.append(Section(heading, "\n".join(body).strip()))
    return "\n".join(preamble), sections


def _plain(text: str) -> str:
    """Markdown emphasis off, for attribute values and search text."""
    return re.sub(r"\*\*|__", "", text).strip()


def parse_specs(body: str) -> dict[str, str]:
    """'**Rainfly Waterproof Rating**: 2000mm' lines -> {'rainfly_waterproof_rating': '2000mm'}.

    Tolerates '- **Key**: v', '**Key:** v', '**Key:**: v', '**Key** v' and 'Key: v';
    the first value of a repeated key wins. Chatty lines ('Sure! Here are...') are skipped.
    """
    specs: dict[str, str] = {}
    for line in body.splitlines():
        match = SPEC_BOLD.match(line) or SPEC_PLAIN.match(line)
        if not match:
            continue
        key = snake(match.group("key").rstrip(":"))
        value = _plain(match.group("value").lstrip(":").strip())
        if key and value and key not in specs and key not in IGNORED_SPECS:
            specs[key] = value
    return specs


def parse_bullets(body: str) -> list[str]:
    return [_plain(m.group(1)) for m in re.finditer(r"^\s*[-*]\s+(.+?)\s*$", body, re.M)]


def parse_tiers(body: str) -> dict[str, str]:
    """Return policy bullets per membership tier: {'None': ..., 'Gold': ..., 'Platinum': ...}."""
    tiers: dict[str, str] = {}
    current: str | None = None
    for line in body.splitlines():
        match = TIER_LINE.match(line)
        if match:
            current = match.group("tier").strip() or "None"
            tiers[current] = match.group("text").strip()
        elif current is not None and line.strip():
            tiers[current] = f"{tiers[current]}\n{line.strip()}"
    return tiers


def _rating(text: str) -> int | None:
    """'5' -> 5; half stars ('4.5') round half up, as the schema keeps whole stars."""
    try:
        value = Decimal(text).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return None
    return int(value) if 1 <= value <= 5 else None


def parse_reviews(pid: str, body: str) -> list[Review]:
    """Numbered '1) **Rating:** 5 / **Review:** text' items -> Review rows."""
    items = re.split(r"^\s*\d+[).]\s*", body, flags=re.M)
    reviews: list[Review] = []
    for item in items:
        if not item.strip():
            continue
        rating = re.search(r"\*\*\s*Rating\s*:?\s*(?:\*\*)?\s*:?\s*([0-9.]+)", item)
        review = re.search(r"\*\*\s*Review\s*:?\s*(?:\*\*)?\s*:?\s*(.*)", item, re.S)
        text = " ".join((review.group(1) if review else item).split())
        if not text and rating is None:
            continue
        reviews.append(
            Review(
                pid, len(reviews) + 1, _rating(rating.group(1)) if rating else None, _plain(text)
            )
        )
    return reviews


@dataclass
class Manual:
    documents: list[Document]
    reviews: list[Review]
    specs: dict[str, str]
    features: list[str]


def parse_manual(pid: str, text: str, source: str) -> Manual:
    """One product_info_N.md -> documents, reviews, spec attributes and features."""
    _preamble, sections = split_sections(text)
    documents: dict[str, Document] = {}
    reviews: list[Review] = []
    specs: dict[str, str] = {}
    features: list[str] = []

    def add(kind: str, title: str, body: str) -> None:
        key = f"contoso:{pid}:{kind}:{title}"
        old = documents.get(key)
        if old is not None:
            body = f"{old.body}\n\n{body}"
        documents[key] = Document(
            key=key, kind=kind, title=title, body=body, product_id=pid, source=source
        )

    for section in sections:
        kind = _classify(section.heading)
        if kind is None or not section.body:
            continue
        title = _title(section.heading)
        if kind == "features":
            features += parse_bullets(section.body)
            add(kind, "Features", section.body)
        elif kind == "specs":
            specs.update({k: v for k, v in parse_specs(section.body).items() if k not in specs})
            add(kind, "Technical specs", section.body)
        elif kind == "return_policy":
            add(kind, "Return policy", section.body)
            for tier, tier_text in parse_tiers(section.body).items():
                add(kind, f"Return policy ({tier})", tier_text)
        elif kind == "reviews":
            reviews = parse_reviews(pid, section.body)
            add(kind, "Reviews", section.body)
        elif kind == "faq":
            add(kind, "FAQ", section.body)
        elif kind == "cautions":
            add(kind, "Cautions", section.body)
        elif kind == "warranty":
            add(kind, "Warranty", section.body)
        else:
            add(kind, title, section.body)
    return Manual(list(documents.values()), reviews, specs, features)


def _iso_date(text: str) -> str:
    """'2/10/2023' -> '2023-02-10' so orders sort by date; other spellings are kept."""
    for fmt in ("%m/%d/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text.strip(), fmt).date().isoformat()
        except ValueError:
            continue
    return text.strip()


CONTACT_KEYS = ("email", "phone", "address")


def parse_customer(path: Path, batch: Batch) -> tuple[Customer, set[str]]:
    """Tier and orders only; names, emails, phones and addresses are never kept.

    The contact strings are returned (not stored) so other text in the same
    import can be checked for them.
    """
    where = str(path)
    data: Any = load_json(read_text(path), where)
    if not isinstance(data, dict):
        raise ImportError_("expected a customer object", path=where, line=1)

    def text(value: Any, label: str) -> str:
        return str(batch.clean(str(value), where, None, label)).strip()

    cid = data.get("id")
    if cid is None or isinstance(cid, bool) or not str(cid).strip():
        raise ImportError_("customer id is missing", path=where, field="id")
    membership = text(data.get("membership") or "", "membership")
    if membership.lower() in ("", "nan", "null", "none"):
        membership = "None"
    raw_orders = data.get("orders") or []
    if not isinstance(raw_orders, list):
        raise ImportError_("orders must be a list", path=where, field="orders")
    orders: list[Order] = []
    for i, raw in enumerate(raw_orders):
        label = f"orders[{i}]"
        if not isinstance(raw, dict):
            raise ImportError_(f"{label} must be an object", path=where, field=label)
        order_id, product_id, quantity = raw.get("id"), raw.get("productId"), raw.get("quantity")
        if order_id is None or product_id is None:
            raise ImportError_(f"{label} needs id and productId", path=where, field=label)
        if (
            isinstance(quantity, bool)
            or not isinstance(quantity, int)
            or not 0 < quantity <= MAX_STOCK
        ):
            raise ImportError_(
                f"quantity {str(quantity)[:40]} is not a whole number from 1 to {MAX_STOCK:,}",
                path=where,
                field=f"{label}.quantity",
            )
        orders.append(
            Order(
                text(order_id, f"{label}.id"),
                text(product_id, f"{label}.productId"),
                quantity,
                _iso_date(text(raw.get("date") or "", f"{label}.date")),
            )
        )
    contacts = {str(data[k]).strip() for k in CONTACT_KEYS if isinstance(data.get(k), str)}
    customer = Customer(id=text(cid, "id"), membership=membership, orders=tuple(orders))
    return customer, {c for c in contacts if len(c) >= 6}


def scrub(text: str, contacts: set[str]) -> str:
    """Drop lines that contain a customer's email, phone or address.

    The sample manuals list a support line that is digit-for-digit a customer's
    phone; the catalog file must never hold a customer's contact details, so
    such a line is left out (the other support contact lines remain).
    """
    if not contacts or not any(c in text for c in contacts):
        return text
    return "\n".join(line for line in text.split("\n") if not any(c in line for c in contacts))


def _product_rows(
    path: Path, batch: Batch, problems: Problems
) -> Iterator[tuple[int, dict[str, str]]]:
    where = str(path)
    rows = csv_rows(read_text(path), where, batch)
    header = [h.lower() for h in csv_header(rows, where, ", ".join(PRODUCT_COLUMNS))]
    missing = [c for c in ("id", "name", "price") if c not in header]
    if missing:
        raise ImportError_(
            f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}; "
            f"expected columns: {', '.join(PRODUCT_COLUMNS)}",
            path=where,
            line=1,
            field=missing[0],
        )
    for line, row in rows:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.add(
                ImportError_(
                    f"row has {len(row)} fields but the header has {len(header)} columns",
                    path=where,
                    line=line,
                )
            )
            continue
        yield line, dict(zip(header, row, strict=True))


def _given(row: dict[str, str], key: str) -> str | None:
    """A column's text, or None when the file has no such column or the cell is empty."""
    value = row.get(key, "").strip()
    return value or None


def parse_store(root: Path, *, problems: Problems, tick: RowTick | None = None) -> Batch:
    """Read and validate the whole store folder; nothing is written here.

    Problems with rows, manuals and customer files go to `problems` and reading
    goes on; a folder or products.csv that can't be read at all is raised.
    """
    step = ticker(tick)
    csv_path = root / "products.csv"
    where = str(csv_path)
    batch = Batch(source=str(root), fmt="contoso")
    base: dict[str, tuple[int, dict[str, str], int]] = {}
    listed: set[str] = set()  # every id in products.csv, its row good or not
    for line, row in _product_rows(csv_path, batch, problems):
        step()
        batch.rows += 1
        listed.add(row["id"].strip())
        ok = True
        for name in ("id", "name", "price"):
            if not row.get(name, "").strip():
                problems.add(ImportError_(f"{name} is empty", path=where, line=line, field=name))
                ok = False
        pid = row["id"].strip()
        if pid and pid in base:
            problems.add(
                ImportError_(
                    f"duplicate id '{pid}' (first on line {base[pid][0]})",
                    path=where,
                    line=line,
                    field="id",
                )
            )
            continue
        price = 0
        if row["price"].strip():
            try:
                price = parse_price(row["price"])
            except ValueError as exc:
                problems.add(ImportError_(str(exc), path=where, line=line, field="price"))
                ok = False
        if ok:
            base[pid] = (line, row, price)

    # Customers first: their contact details must be kept out of the manuals' text too.
    contacts: set[str] = set()
    customers_dir = root / "customers"
    if customers_dir.is_dir():
        seen: dict[str, Path] = {}
        for path in list_dir(customers_dir):
            if path.suffix != ".json" or path.name.startswith("."):
                continue
            step()
            batch.rows += 1
            try:
                customer, found = parse_customer(path, batch)
            except ImportError_ as exc:
                problems.add(exc)
                continue
            if customer.id in seen:
                problems.add(
                    ImportError_(
                        f"customer id '{customer.id}' is also in {seen[customer.id].name}",
                        path=str(path),
                        field="id",
                    )
                )
                continue
            seen[customer.id] = path
            contacts |= found
            batch.customers.append(customer)

    manuals: dict[str, Manual] = {}
    for md in list_dir(root / "manuals"):
        if not md.is_file() or md.name.startswith("."):
            continue
        match = MANUAL_NAME.match(md.name)
        if not match:
            if md.suffix.lower() == ".md":
                problems.add(
                    ImportError_(
                        "manual names must be product_info_<id>.md, <id> from products.csv",
                        path=str(md),
                    )
                )
            continue
        pid = match.group("id")
        if pid not in listed:
            problems.add(
                ImportError_(
                    f"manual for product id '{pid}', which is not in products.csv",
                    path=str(md),
                )
            )
            continue
        if pid not in base:
            continue  # its row in products.csv has a problem, already reported
        step()
        batch.rows += 1
        try:
            text = batch.clean(read_text(md), str(md), None)
        except ImportError_ as exc:
            problems.add(exc)
            continue
        manuals[pid] = parse_manual(pid, scrub(text, contacts), f"manuals/{md.name}")

    for pid, (line, row, price) in base.items():
        manual = manuals.get(pid)
        extra: list[str] = []
        attributes: dict[str, Any] = {}
        if manual is not None:
            attributes.update(manual.specs)
            extra += manual.features
            extra += [f"{k.replace('_', ' ')}: {v}" for k, v in manual.specs.items()]
            batch.documents += manual.documents
            batch.reviews[pid] = manual.reviews
            batch.doc_prefixes[pid] = f"contoso:{pid}:"
        description = _given(row, "description")
        batch.products.append(
            ProductRecord(
                id=pid,
                name=row["name"].strip(),
                price_cents=price,
                brand=_given(row, "brand"),
                category=_given(row, "category"),
                description=scrub(description, contacts) if description is not None else None,
                attributes=attributes,
                extra_text=". ".join(extra) if manual is not None else None,
            )
        )
        batch.lines[pid] = line

    return batch

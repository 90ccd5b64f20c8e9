"""What one turn produces: text, product cards, sources, actions and timings.

`to_json()` is the `kiosk ask --json` contract that store scripts and outside
checks rely on: fields are added, never renamed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from kiosk.assistant.stages import StageError
from kiosk.catalog.records import Product


class Intent(StrEnum):
    FIND_PRODUCT = "find_product"
    PRODUCT_INFO = "product_info"
    PRODUCT_LOCATION = "product_location"
    COMPARE = "compare"
    STORE_POLICY = "store_policy"
    CALL_STAFF = "call_staff"
    FEEDBACK = "feedback"
    GREETING = "greeting"
    RECOMMEND = "recommend"  # accessories: for a loyalty shopper's orders, or what's on screen
    OUT_OF_SCOPE = "out_of_scope"


class Phrasing(StrEnum):
    """How a reply's text was made (`phrasing` in the JSON)."""

    TEMPLATE = "template"  # built from the facts; no model, or the model failed
    LLM = "llm"  # the model's phrasing, checked against the facts and accepted
    LLM_REJECTED = "llm_rejected"  # the model's text failed the check; template used
    # The model's text passed the check but was ready too long after the facts were
    # shown (assistant.phrasing_wait_s): dropped rather than reflow a reply being read.
    LLM_LATE = "llm_late"


class ActionKind(StrEnum):
    """Something a turn did besides answering."""

    STAFF_CALL = "staff_call"
    FEEDBACK_SAVED = "feedback_saved"
    SESSION_RESET = "session_reset"
    LOYALTY = "loyalty"


class SourceKind(StrEnum):
    """Where a fact came from: the product row, or one of the catalog's document kinds
    (`kiosk.catalog.schema.DOC_KINDS`, a closed set the schema enforces)."""

    PRODUCT = "product"
    DESCRIPTION = "description"
    FEATURES = "features"
    SPECS = "specs"
    USER_GUIDE = "user_guide"
    CAUTIONS = "cautions"
    WARRANTY = "warranty"
    RETURN_POLICY = "return_policy"
    REVIEWS = "reviews"
    FAQ = "faq"
    POLICY = "policy"
    OTHER = "other"


@dataclass(frozen=True)
class Card:
    """A product card: what the screen shows and the reply may mention."""

    id: str
    name: str
    price_cents: int
    stock: int
    aisle: str
    shelf: str
    brand: str = ""
    category: str = ""
    fact: str = ""  # one key fact for the card, e.g. "4-person, 2000mm rainfly"
    variant: str = ""  # the asked size its stock is for ("size 10"); "" = every size

    @classmethod
    def of(cls, p: Product, fact: str = "") -> Card:
        return cls(
            p.id, p.name, p.price_cents, p.stock, p.aisle, p.shelf, p.brand, p.category, fact
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "price": self.price_cents / 100,
            "stock": self.stock,
            "in_stock": self.stock > 0,
            "aisle": self.aisle,
            "shelf": self.shelf,
            "brand": self.brand,
            "category": self.category,
            "fact": self.fact,
        } | ({"variant": self.variant} if self.variant else {})


@dataclass(frozen=True)
class Source:
    """Where a fact in the reply came from: a product row or a document."""

    kind: SourceKind
    ref: str  # product id or document key
    title: str = ""

    def to_json(self) -> dict[str, str]:
        return {"kind": str(self.kind), "ref": self.ref, "title": self.title}


@dataclass(frozen=True)
class Action:
    """Something the turn did besides answering, e.g. a staff call placed."""

    kind: ActionKind
    ref: str = ""
    detail: str = ""

    def to_json(self) -> dict[str, str]:
        return {"kind": str(self.kind), "ref": self.ref, "detail": self.detail}


@dataclass
class Reply:
    intent: Intent
    text: str
    products: list[Card] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    phrasing: Phrasing = Phrasing.TEMPLATE
    slots: dict[str, Any] = field(default_factory=dict)
    transcript: str | None = None
    # The request the transcript was read as, catalog names corrected ("tennis" -> "tents").
    heard_as: str | None = None
    # The language Whisper heard the request in (a spoken turn: 'en', 'zh').
    heard_lang: str | None = None
    # Side-by-side rows for a comparison: [["", name A, name B], ["price", ...], ...].
    table: list[list[str]] = field(default_factory=list)
    # What went wrong in a stage the turn survived (the model timed out in compose, ...).
    errors: list[StageError] = field(default_factory=list)
    # The checked phrasing that came too late to show (Phrasing.LLM_LATE), for benches.
    late_text: str | None = None
    # The products shown were ranked by meaning and fit the request by the model's
    # measure (a request in own words: "a raincoat" shares no word with a jacket's name).
    by_meaning: bool = False
    # Asked for a product the store doesn't sell, with nothing near to offer (the
    # insights count it as unmet demand; an off-topic "can't help" is not).
    not_sold: bool = False
    # The language the reply is in: the request's, detected per turn ('en', 'zh').
    lang: str = "en"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "intent": str(self.intent),
            "text": self.text,
            "products": [c.to_json() for c in self.products],
            "sources": [s.to_json() for s in self.sources],
            "actions": [a.to_json() for a in self.actions],
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
            "phrasing": str(self.phrasing),
            "slots": self.slots,
            "lang": self.lang,
        }
        if self.table:
            out["compare"] = self.table
        if self.transcript is not None:
            out["transcript"] = self.transcript
        if self.heard_as is not None:
            out["heard_as"] = self.heard_as
        if self.heard_lang is not None:
            out["heard_lang"] = self.heard_lang
        if self.errors:
            out["errors"] = [e.to_json() for e in self.errors]
        return out

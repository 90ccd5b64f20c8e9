"""Shelf and kiosk description drafts from a product's specs, checked like a reply.

The model sees only the specs (name, brand, category, spec values, the specs
document) and writes one or two sentences. The assistant's own fact check
(`kiosk.assistant.checker.check`) then rejects any number, price, name, brand,
stock claim or promise that isn't in those specs; on top of it this module
rejects materials and feature claims ("waterproof", "lightweight", "the best")
the specs don't state. A rejected or missing draft falls back to a plain
description built from the specs, with the reasons, so staff always get
something true to approve, edit or discard. Nothing is saved until
`save_description` is called.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kiosk.assistant.checker import FactSheet, check
from kiosk.assistant.understand import FEATURE_WORDS
from kiosk.catalog.lexicon import Lexicon
from kiosk.catalog.records import Product
from kiosk.catalog.repository import Catalog
from kiosk.errors import KioskError
from kiosk.text.words import singular, words

if TYPE_CHECKING:
    from kiosk.llm.base import ChatModel

SYSTEM_PROMPT = (
    "You write short shelf descriptions for an outdoor shop. Write one or two plain "
    "sentences about the product using only the specs given. Do not mention prices, "
    "stock, discounts or anything not in the specs. No lists, no questions."
)
MAX_WORDS = 60
MAX_SENTENCES = 2
MATERIALS = frozenset(
    """
    aluminum aluminium steel stainless titanium carbon fiberglass plastic nylon polyester
    cotton wool merino down feather leather suede canvas rubber silicone neoprene mesh
    fleece spandex elastane gore-tex goretex ripstop cordura kevlar bamboo wood wooden
    synthetic foam gel pvc polyurethane polypropylene acrylic denim linen hemp
    """.split()
)
# Claims a description may only make when the specs make them.
CLAIMS = frozenset(FEATURE_WORDS) | frozenset(
    """
    waterproof water-resistant windproof fireproof uv ultralight lightweight insulated
    breathable durable warm warmest lightest strongest toughest best ultimate premium
    professional eco-friendly sustainable recycled organic handmade lifetime warranty
    rated certified tested award luxury luxurious leading world-class finest unbeatable
    revolutionary unmatched unrivalled unrivaled
    """.split()
)
_NEGATED = re.compile(r"\b(not|no|non)[\s-]+$", re.I)
_QUANTITY = re.compile(
    r"(\d+(?:\.\d+)?)\s*-?\s*(lbs?|pounds?|oz|ounces?|kg|grams?|g|mm|cm|inch(?:es)?|in|ft|"
    r"feet|foot|liters?|litres?|l|°\s*f|°\s*c|degrees?|person|people|season|years?|months?|"
    r"square\s+feet|sq\s*ft)\b",
    re.I,
)
_UNITS = {
    "lbs": "lb",
    "pound": "lb",
    "pounds": "lb",
    "ounce": "oz",
    "ounces": "oz",
    "gram": "g",
    "grams": "g",
    "inches": "in",
    "inch": "in",
    "feet": "ft",
    "foot": "ft",
    "liter": "l",
    "liters": "l",
    "litre": "l",
    "litres": "l",
    "people": "person",
    "years": "year",
    "months": "month",
    "degrees": "degree",
    "square feet": "sq ft",
    "sqft": "sq ft",
}


@dataclass
class Draft:
    """A description for staff to approve, edit or discard."""

    product_id: str
    text: str
    source: str  # 'model' (checked and accepted) or 'template' (built from the specs)
    rejected_reasons: list[str] = field(default_factory=list)
    model_text: str = ""  # what the model wrote, when it was rejected

    def to_json(self) -> dict[str, object]:
        return {
            "product_id": self.product_id,
            "text": self.text,
            "source": self.source,
            "rejected_reasons": self.rejected_reasons,
            "model_text": self.model_text,
        }


def _label(key: str) -> str:
    return key.replace("_", " ")


def spec_lines(catalog: Catalog, product: Product) -> list[str]:
    """The product's specs as lines: what a draft may say and nothing more."""
    lines = [f"{product.name}. Brand: {product.brand}. Category: {product.category}."]
    for key, value in product.attributes.items():
        items = value if isinstance(value, list | tuple) else [value]
        lines.append(f"{_label(key)}: {', '.join(str(i) for i in items)}")
    for doc in catalog.documents(product.id, ["specs"]):
        lines.append(re.sub(r"\*\*", "", doc.body))
    return lines


def spec_sheet(catalog: Catalog, product: Product) -> FactSheet:
    """A FactSheet of the specs only: no price, stock or aisle, so a draft can't state them.

    A description outlives a price change; the shelf tag carries the price.
    """
    sheet = FactSheet()
    sheet.product_ids.add(product.id)
    for line in spec_lines(catalog, product):
        sheet.add(line)
    return sheet


def _denied(product: Product) -> set[str]:
    """Spec words the specs answer "No" to ("Waterproof: No")."""
    out: set[str] = set()
    for key, value in product.attributes.items():
        if str(value).strip().lower() in ("no", "none", "n/a", "not included"):
            out.update(singular(w) for w in words(_label(key)))
    return out


def claim_problems(text: str, sheet: FactSheet, product: Product) -> list[str]:
    """Materials and feature claims in `text` that the specs don't make."""
    corpus = {singular(w) for w in words(sheet.corpus)}
    low_corpus = sheet.corpus.lower()
    denied = _denied(product)
    problems: list[str] = []
    for m in re.finditer(r"[a-z]+(?:-[a-z]+)*", text.lower()):
        w = m.group(0)
        s = singular(w)
        negated = bool(_NEGATED.search(text.lower()[: m.start()]))
        if w in MATERIALS and s not in corpus and w not in low_corpus:
            problems.append(f"material {w!r} is not in the specs")
        elif w in CLAIMS and not negated:
            if s in denied:
                problems.append(f"claims {w!r}; the specs say no")
            elif s not in corpus and w not in low_corpus:
                problems.append(f"claim {w!r} is not in the specs")
    return problems


def quantities(text: str) -> set[tuple[float, str]]:
    """(value, unit) pairs: "12 lbs" -> (12.0, "lb"), "4-person" -> (4.0, "person")."""
    out: set[tuple[float, str]] = set()
    for num, unit in _QUANTITY.findall(text):
        u = re.sub(r"\s+", " ", unit.lower().replace("° ", "°"))
        out.add((float(num), _UNITS.get(u, u)))
    return out


def quantity_problems(text: str, sheet: FactSheet) -> list[str]:
    """A number with a unit must be that number with that unit in the specs.

    The assistant's check accepts any number that appears anywhere in the facts, so
    "weighs 9 lbs" would pass on a tent with 9mm poles; a description is held to
    the pair.
    """
    allowed = quantities(sheet.corpus)
    return [
        f"{value:g} {unit} is not in the specs"
        for value, unit in sorted(quantities(text))
        if (value, unit) not in allowed
    ]


def shape_problems(text: str) -> list[str]:
    problems: list[str] = []
    if not text.strip():
        return ["empty"]
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]
    if len(sentences) > MAX_SENTENCES:
        problems.append(f"{len(sentences)} sentences; at most {MAX_SENTENCES}")
    if len(words(text)) > MAX_WORDS:
        problems.append(f"longer than {MAX_WORDS} words")
    if not re.search(r"[.!]$", text.strip()):
        problems.append("not a complete sentence")
    if "?" in text:
        problems.append("asks a question")
    return problems


def check_description(
    catalog: Catalog, product: Product, text: str, lexicon: Lexicon | None = None
) -> list[str]:
    """Every reason `text` can't describe `product`; [] means staff may approve it.

    The assistant's fact check first (numbers, prices, names, brands, stock,
    promises), then materials and claims, then length.
    """
    sheet = spec_sheet(catalog, product)
    lex = lexicon or Lexicon.build(catalog)
    # What the specs themselves seem to name ("4-person" reads as the SkyView 2-Person
    # Tent's word "person") may be said again; any other product may not.
    sheet.product_ids |= {m.product_id for m in lex.match_names(sheet.corpus)}
    problems = check(text, sheet, lex)
    problems += quantity_problems(text, sheet)
    problems += claim_problems(text, sheet, product)
    problems += shape_problems(text)
    return list(dict.fromkeys(problems))


def template_description(product: Product) -> str:
    """One or two true sentences from the specs alone, shelf-label style."""
    # "Approx. 8 lbs" would end a sentence at the abbreviation's dot.
    a = {
        k.lower(): re.sub(r"\bapprox\.\s*", "approximately ", str(v).strip(), flags=re.I)
        for k, v in product.attributes.items()
    }
    head = f"The {product.name}" + (f" by {product.brand}" if product.brand else "")
    traits: list[str] = []
    capacity = a.get("capacity", "")
    if re.fullmatch(r"\d+-person|\d+\s*(liters?|litres?|l)", capacity, re.I):
        traits.append(capacity)
    season = a.get("season_rating") or a.get("seasons")
    if season and len(words(season)) <= 2:
        traits.append(season)
    material = a.get("material") or a.get("shell_material")
    if material and len(words(material)) <= 5:
        traits.append(material[:1].lower() + material[1:])
    if a.get("waterproof", "").lower().startswith("yes"):
        traits.append("waterproof")
    fuel = a.get("fuel_type", "")
    if fuel and len(words(fuel)) <= 3 and not re.search(r"[()]|compatible", fuel, re.I):
        traits.append(f"burns {a['fuel_type'].lower()}")
    first = head + (": " + ", ".join(traits) if traits else f", {product.category.lower()}") + "."
    weight = next((k for k in ("weight", "packed_weight") if a.get(k)), None)
    details = [
        f"{_label(key)} {a[key]}"
        for key in ("temperature_rating", "rainfly_waterproof_rating", weight)
        if key and a.get(key) and len(words(a[key])) <= 4
    ]
    return first if not details else f"{first} {_cap(', '.join(details))}."


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def draft_description(
    catalog: Catalog, product_id: str, model: ChatModel | None, *, timeout_s: float = 20.0
) -> Draft:
    """The model's checked draft, or the template with the reasons it was used.

    Raises KeyError for an unknown product id.
    """
    product = catalog.product(product_id)
    if product is None:
        raise KeyError(product_id)
    lex = Lexicon.build(catalog)
    template = template_description(product)
    if model is None:
        return Draft(product_id, template, "template", ["no model configured"])
    from kiosk.llm.base import Message

    specs = "\n".join(spec_lines(catalog, product))
    try:
        raw = model.complete(
            [
                Message("system", SYSTEM_PROMPT),
                Message("user", f"Specs:\n{specs[:1500]}\n\nShelf description:"),
            ],
            max_tokens=90,
            temperature=0.2,
            timeout_s=timeout_s,
        )
    except KioskError as exc:
        return Draft(product_id, template, "template", [_in_staff_words(exc)])
    text = " ".join(raw.strip().strip('"').split())
    problems = check_description(catalog, product, text, lex)
    if problems:
        return Draft(product_id, template, "template", problems, model_text=text)
    return Draft(product_id, text, "model")


def _in_staff_words(exc: KioskError) -> str:
    """Why the model wrote no draft, as staff would say it (the code stays in the log)."""
    if exc.code == "llm_timeout":
        return (
            f"the writing model took longer than {_timeout_words(exc)} and was stopped; "
            "this is the draft from the specs (try again when the kiosk is quiet)"
        )
    return "the writing model is not available right now; this is the draft from the specs"


def _timeout_words(exc: KioskError) -> str:
    m = re.search(r"(\d+(?:\.\d+)?) ?s\b", exc.message)
    return f"{m.group(1)} seconds" if m else "its time limit"


def save_description(catalog: Catalog, product_id: str, text: str, *, source: str = "") -> None:
    """Store an approved description in products.description, in one transaction.

    The search index row is updated with it (as CatalogWriter does for every
    product write), and the replaced text goes to description_history. Note: a
    later import of a feed that carries descriptions overwrites it again.
    Raises KeyError for an unknown product, ValueError for an empty text.
    """
    text = text.strip()
    if not text:
        raise ValueError("description is empty")
    with catalog.write() as w:
        w.set_description(product_id, text, source=source)

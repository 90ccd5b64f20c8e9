"""Looking facts up in the store's data: product specs, manual passages, policies.

Every fact carries its source (the product or document it came from), and its text
is the store's own words or a spec value, so the reply can be checked against it.
Those words come from files anyone at HQ may edit, so each passage passes the quote
check (`kiosk.assistant.quote`) before it is used: one that claims a price, offer,
promise or instruction the structured facts don't hold is left out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kiosk.assistant.quote import STORE, Held, quotable
from kiosk.assistant.reply import Source, SourceKind
from kiosk.catalog.records import Document, Product
from kiosk.catalog.repository import Catalog
from kiosk.text.words import GRAMMAR_WORDS, singular, words

# Question words that point at a spec even when the spec's name doesn't contain them.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "weigh": ("weight",),
    "heavy": ("weight",),
    "light": ("weight",),
    "weight": ("weight",),
    "warm": ("temperature",),
    "cold": ("temperature",),
    "temperature": ("temperature",),
    "degree": ("temperature",),
    "rated": ("rating",),
    "people": ("capacity", "person"),
    "person": ("capacity",),
    "sleep": ("capacity",),
    "fit": ("capacity",),
    "big": ("dimension", "size", "capacity"),
    "size": ("dimension",),
    "tall": ("height",),
    "high": ("height",),
    "long": ("length", "dimension"),
    "made": ("material",),
    "fabric": ("material",),
    "material": ("material",),
    "colour": ("color",),
    "wash": ("care", "washable", "wash"),
    "washable": ("care", "wash"),
    "clean": ("care", "clean"),
    "liter": ("capacity",),
    "litre": ("capacity",),
    "water": ("waterproof",),
    "rain": ("waterproof", "rainfly"),
    "waterproof": ("waterproof",),
    "burn": ("burn", "fuel"),
    "fuel": ("fuel",),
    "battery": ("battery",),
}
STOP = GRAMMAR_WORDS | frozenset(
    "bought how if no not rating should so their them they use used using will yes".split()
)
_FAQ = re.compile(r"^\s*\d+\)\s*(?P<q>.+?)\n(?P<a>(?:(?!\s*\d+\)).*\n?)+)", re.M)


@dataclass(frozen=True)
class Fact:
    """One thing the kiosk may say, with where it came from."""

    text: str
    source: Source
    score: float = 0.0


def _terms(text: str | Sequence[str], exclude: Iterable[str] = ()) -> set[str]:
    """Singular content words (and what they point at), from a text or its words."""
    drop = STOP | {singular(w) for w in exclude}
    out: set[str] = set()
    for w in words(text) if isinstance(text, str) else text:
        s = singular(w)
        if s in drop or len(s) < 3:
            continue
        out.add(s)
        out.update(SYNONYMS.get(s, ()))
    return out


def _clean(text: str) -> str:
    text = re.sub(r"\*\*(.+?)\*\*", r"\1", text).replace("**", "")
    return re.sub(r"\s+", " ", text).strip()


def faq_pairs(doc: Document) -> list[tuple[str, str]]:
    return [(_clean(m["q"]), _clean(m["a"])) for m in _FAQ.finditer(doc.body + "\n")]


def _sentences(text: str) -> list[str]:
    out: list[str] = []
    for line in text.splitlines():
        line = _clean(line.lstrip("-*0123456789.) "))
        if len(line) < 12:
            continue
        out += [s for s in re.split(r"(?<=[.!?])\s+", line) if len(s) >= 12]
    return out


def product_facts(
    catalog: Catalog, product: Product, question: Sequence[str], limit: int = 2
) -> list[Fact]:
    """The spec values and manual passages that best answer a question (its words)."""
    name_words = words(product.name) + words(product.brand) + words(product.category)
    asked = _terms(question, exclude=name_words)
    if not asked:
        return []
    held = Held.for_product(catalog, product)
    scored: list[Fact] = []
    src = Source(SourceKind.SPECS, product.id, f"{product.name} specs")
    for key, value in product.attributes.items():
        key_terms = _terms(key.replace("_", " "))
        overlap = len(asked & key_terms)
        if overlap and quotable(str(value), "specs", held):
            # Short spec names that match fully beat long ones that match a word.
            score = 3.0 * overlap + (1.0 if key_terms <= asked else 0.0)
            label = key.replace("_", " ")
            text = f"The {product.name} {label}: {value}."
            scored.append(Fact(text, src, score))
    for doc in catalog.documents(product.id):
        dsrc = Source(SourceKind(doc.kind), doc.key, doc.title)
        if doc.kind == "faq":
            for q, a in faq_pairs(doc):
                overlap = len(asked & _terms(q, exclude=name_words))
                if overlap and quotable(a, doc.kind, held):
                    scored.append(Fact(a, dsrc, 2.5 * overlap + 0.5))
        elif doc.kind in ("warranty", "user_guide", "features", "cautions", "other"):
            for sentence in _sentences(doc.body):
                overlap = len(asked & _terms(sentence, exclude=name_words))
                if overlap >= max(1, min(2, len(asked))) and quotable(sentence, doc.kind, held):
                    scored.append(Fact(sentence, dsrc, 1.0 * overlap))
    scored.sort(key=lambda f: -f.score)
    best: list[Fact] = []
    for fact in scored:
        if all(fact.text != b.text for b in best):
            best.append(fact)
        if len(best) == limit:
            break
    return best


def warranty_fact(catalog: Catalog, product: Product) -> Fact | None:
    """The sentence of a product's warranty that says how long it lasts."""
    held = Held.for_product(catalog, product)
    for doc in catalog.documents(product.id, ["warranty", "faq"]):
        for sentence in _sentences(doc.body):
            if (
                re.search(r"warranty", sentence, re.I)
                and re.search(
                    r"\b(\d+|one|two|three|five|lifetime)[- ](year|month|day)s?|lifetime",
                    sentence,
                    re.I,
                )
                and quotable(sentence, doc.kind, held)
            ):
                return Fact(sentence, Source(SourceKind(doc.kind), doc.key, doc.title), 5.0)
    return None


def review_summary(catalog: Catalog, product: Product) -> Fact | None:
    ratings = [r.rating for r in catalog.reviews(product.id) if r.rating]
    if not ratings:
        return None
    avg = sum(ratings) / len(ratings)
    return Fact(
        f"The {product.name} has an average rating of {avg:.1f} out of 5 from "
        f"{len(ratings)} reviews.",
        Source(SourceKind.REVIEWS, product.id, f"{product.name} reviews"),
        4.0,
    )


TIER_TITLES = {"None": "None", "Base": "None", "Gold": "Gold", "Platinum": "Platinum"}


def return_policy(catalog: Catalog, product: Product | None, tier: str | None) -> list[Fact]:
    """The return policy for a product (and tier, if known), else the store's own."""
    docs = catalog.documents(product.id if product else None, ["return_policy"])
    if product and not docs:
        docs = catalog.documents(None, ["return_policy"])
        product = None
    tier = TIER_TITLES.get(tier or "")
    held = Held.for_product(catalog, product) if product else STORE
    tiered: list[Fact] = []
    general: list[Fact] = []
    for doc in docs:
        match = re.search(r"\((\w+)\)\s*$", doc.title)
        source = Source(SourceKind(doc.kind), doc.key, doc.title)
        if match and tier and match.group(1) == tier:
            body = _clean(doc.body)
            if quotable(body, doc.kind, held):
                tiered.append(Fact(body, source, 5.0))
        elif not match:
            body = _clean(doc.body) if product is None else _tier_summary(doc.body)
            if quotable(body, doc.kind, held):
                general.append(Fact(body, source, 3.0))
    return (tiered or general)[:1]


def _tier_summary(body: str) -> str:
    """The per-tier return policy section as one readable paragraph per tier."""
    parts = []
    for m in re.finditer(r'\*\*If Membership status "(\w+)\s*":\*\*\s*(.+)', body):
        tier = "Without a membership" if m.group(1) == "None" else f"{m.group(1)} members"
        parts.append(f"{tier}: {_clean(m.group(2))}")
    return " ".join(parts) if parts else _clean(body)


def store_policy(catalog: Catalog, question: Sequence[str]) -> list[Fact]:
    """Store-level documents (hours, payment, ...) that answer a question (its words)."""
    asked = _terms(question) | {
        w for w in ("hour", "open", "pay", "staff") if any(w in q for q in question)
    }
    extra = {
        "hour": {"opening", "hours", "open", "close", "time"},
        "pay": {"payment", "card", "cash", "pay"},
    }
    for key, more in extra.items():
        if asked & more:
            asked.add(key)
    facts = []
    for doc in catalog.documents(None):
        terms = _terms(doc.title + " " + doc.body) | {singular(w) for w in words(doc.title)}
        overlap = len(asked & terms)
        if overlap and quotable(doc.body, doc.kind, STORE):
            facts.append(
                Fact(_clean(doc.body), Source(SourceKind(doc.kind), doc.key, doc.title), overlap)
            )
    facts.sort(key=lambda f: -f.score)
    return facts[:1]


_WINDOW = re.compile(r"\bwithin\s+(\d+)\s+days\b", re.IGNORECASE)
_RETURN_WINDOW = re.compile(
    r"\breturns?\s+(?:are\s+|is\s+)?(?:accepted|allowed|possible)\s+within\s+(\d+)\s+days\b"
    r"|\breturn\w*\s+(?:\w+\s+){0,4}within\s+(\d+)\s+days\b",
    re.IGNORECASE,
)


def return_window(text: str) -> int | None:
    """The days a return policy text allows ("accepted within 60 days"), if it says one
    window only (a text that names several, per tier, decides nothing on its own)."""
    stated = {int(m.group(1) or m.group(2)) for m in _RETURN_WINDOW.finditer(text)}
    if len(stated) == 1:  # "Returns are accepted within 60 days" (other windows: claims)
        return stated.pop()
    windows = {int(m.group(1)) for m in _WINDOW.finditer(text)}
    return windows.pop() if len(windows) == 1 and not stated else None


def manual_return_policies(
    catalog: Catalog, products: Sequence[Product], tier: str | None
) -> list[tuple[Product, Fact]]:
    """Each product's own return policy from its manual (for the tier, if known).

    A store whose policy lives only in its product manuals still answers "what is
    your return policy for tents?" from the tents' manuals.
    """
    found = []
    have = set(catalog.ids_with_documents(["return_policy"]))
    for p in products:
        if p.id not in have:
            continue
        facts = return_policy(catalog, p, tier)
        if facts and facts[0].source.ref != "":
            found.append((p, facts[0]))
    return found


def description_fact(catalog: Catalog, product: Product) -> Fact | None:
    """The first two sentences of a product's description, if they may be quoted."""
    first = " ".join(re.split(r"(?<=[.!?])\s+", product.description.strip())[:2])
    if not first or not quotable(first, "description", Held.for_product(catalog, product)):
        return None
    return Fact(first, Source(SourceKind.DESCRIPTION, product.id, product.name), 1.0)

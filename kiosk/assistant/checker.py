"""The fact check a model's phrasing must pass before a shopper sees or hears it.

Every price, number, aisle, product name and brand in the text must be in this
turn's facts; no stock claim the facts contradict; no discount, price match or
promise the store didn't write. A failed check means the template reply is used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kiosk.catalog.lexicon import Lexicon
from kiosk.text.words import words

PROMISES = re.compile(
    r"\b(discount\w*|\d+\s*%|percent|coupon\w*|promo\w*|on\s+sale|sale\s+price|deals?|"
    r"price[\s-]match\w*|match\s+(any|the|their)\s+price|free\b|gift|guarantee\w*|promise\w*|"
    r"special\s+offer|offer|bargain|clearance|bogo|half\s+price|cheaper\s+elsewhere|"
    r"lowest\s+price|best\s+price|reduced|markdown)",
    re.IGNORECASE,
)
NEGATIVE_STOCK = re.compile(
    r"\b(out\s+of\s+stock|sold\s+out|unavailable|not\s+available|don'?t\s+have|do\s+not\s+have|"
    r"no\s+longer|none\s+left|can'?t\s+find|couldn'?t\s+find)\b",
    re.IGNORECASE,
)
POSITIVE_STOCK = re.compile(
    r"\b(in\s+stock|available|we\s+have|we've\s+got|on\s+the\s+shelf)\b", re.IGNORECASE
)
_PRICE = re.compile(
    r"\$\s?(\d[\d,]*(?:\.\d{1,2})?)|(\d[\d,]*(?:\.\d{1,2})?)\s*(?:dollars?|bucks)", re.IGNORECASE
)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_AISLE = re.compile(r"\baisle\s+(\w+)", re.IGNORECASE)
_CAPITALIZED = re.compile(r"\b[A-Z][a-z]+[A-Z]\w*|\b[A-Z]{2,}\w*")
# A capitalized word that doesn't start a sentence: a name, which must be in the facts.
_MID_CAPITAL = re.compile(r"(?<![.!?:;]\s)(?<!^)(?<!\n)\b([A-Z][a-z]+)\b")
_CLAUSE = re.compile(r"(?<=[.!?;])\s+|\n+")
_ROLE_LABEL = re.compile(r"\b(shopper|kiosk|assistant|user|system)\s*:", re.I)


@dataclass
class FactSheet:
    """Everything this turn may say: the texts of its facts and what they name."""

    texts: list[str] = field(default_factory=list)
    product_ids: set[str] = field(default_factory=set)
    # Per product: its prices (product and variants), stock and aisle, so a clause
    # that names one product can't borrow another's price or stock.
    prices: dict[str, set[int]] = field(default_factory=dict)
    stock: dict[str, int] = field(default_factory=dict)
    aisles: dict[str, str] = field(default_factory=dict)
    in_stock_any: bool = False
    out_of_stock_any: bool = False
    nothing_found: bool = False

    def add(self, text: str) -> None:
        self.texts.append(text)

    @property
    def corpus(self) -> str:
        return "\n".join(self.texts)


def _cents(text: str) -> int:
    return round(float(text.replace(",", "")) * 100)


def check(text: str, facts: FactSheet, lexicon: Lexicon) -> list[str]:
    """Problems with `text` against `facts`; an empty list means it may be shown."""
    problems: list[str] = []
    corpus = facts.corpus
    low_corpus = corpus.lower()
    allowed_prices = {_cents(a or b) for a, b in _PRICE.findall(corpus)}
    for a, b in _PRICE.findall(text):
        if _cents(a or b) not in allowed_prices:
            problems.append(f"price {a or b} is not in the facts")
    allowed_numbers = {n.replace(",", ".") for n in _NUMBER.findall(corpus)}
    allowed_numbers |= {n.rstrip("0").rstrip(".") for n in allowed_numbers if "." in n}
    for n in _NUMBER.findall(text):
        norm = n.replace(",", ".")
        if norm not in allowed_numbers and norm.rstrip("0").rstrip(".") not in allowed_numbers:
            problems.append(f"number {n} is not in the facts")
    allowed_aisles = {a.lower() for a in _AISLE.findall(corpus)}
    for aisle in _AISLE.findall(text):
        if aisle.lower() not in allowed_aisles:
            problems.append(f"aisle {aisle} is not in the facts")
    for match in lexicon.match_names(text):
        if match.product_id not in facts.product_ids:
            problems.append(f"product {match.name!r} is not in this turn's facts")
    for brand_low, brand in lexicon.brands.items():
        if re.search(rf"\b{re.escape(brand_low)}\b", text.lower()) and brand_low not in low_corpus:
            problems.append(f"brand {brand} is not in this turn's facts")
    for word in _CAPITALIZED.findall(text) + _MID_CAPITAL.findall(text):
        if word.lower() not in low_corpus and word not in ("I", "OK"):
            problems.append(f"name {word!r} is not in the facts")
    if _ROLE_LABEL.search(text):
        problems.append("contains a prompt role label")
    problems += _clause_problems(text, facts, lexicon)
    for m in PROMISES.finditer(text):
        if m.group(0).lower() not in low_corpus:
            problems.append(f"{m.group(0)!r} is a promise the store didn't make")
    if NEGATIVE_STOCK.search(text) and not (facts.out_of_stock_any or facts.nothing_found):
        problems.append("says something is unavailable; the facts don't")
    if (
        POSITIVE_STOCK.search(text)
        and not facts.in_stock_any
        and (facts.out_of_stock_any or facts.nothing_found)
    ):
        problems.append("says something is available; the facts don't")
    if len(words(text)) > 120:
        problems.append("too long")
    return problems


def _clause_problems(text: str, facts: FactSheet, lexicon: Lexicon) -> list[str]:
    """In a clause naming exactly one product, price, stock and aisle must be that product's."""
    problems: list[str] = []
    for clause in _CLAUSE.split(text):
        named = {m.product_id for m in lexicon.match_names(clause)} & facts.product_ids
        if len(named) != 1:
            continue
        pid = next(iter(named))
        for a, b in _PRICE.findall(clause):
            if facts.prices.get(pid) and _cents(a or b) not in facts.prices[pid]:
                problems.append(f"price {a or b} is not this product's price")
        stock = facts.stock.get(pid)
        if stock is not None:
            if stock == 0 and POSITIVE_STOCK.search(clause) and not NEGATIVE_STOCK.search(clause):
                problems.append("says an out-of-stock product is in stock")
            if (
                stock > 0
                and NEGATIVE_STOCK.search(clause)
                and not re.search(r"\bsize\b|\bin\s+\w+\s+out\s+of\s+stock", clause)
            ):
                problems.append("says an in-stock product is unavailable")
        aisle = facts.aisles.get(pid)
        for said in _AISLE.findall(clause):
            if aisle is not None and said.lower() != aisle.lower():
                problems.append(f"aisle {said} is not this product's aisle")
    return problems


def covers(text: str, template: str, facts: FactSheet, lexicon: Lexicon) -> list[str]:
    """A full rewrite must keep what the template said: its products, prices and bad news."""
    problems: list[str] = []
    said = {m.product_id for m in lexicon.match_names(text)}
    for m in lexicon.match_names(template):
        if m.product_id in facts.product_ids and m.product_id not in said:
            problems.append(f"drops {m.name}")
    kept = {_cents(a or b) for a, b in _PRICE.findall(text)}
    for a, b in _PRICE.findall(template):
        if _cents(a or b) not in kept:
            problems.append(f"drops the price {a or b}")
    if len(NEGATIVE_STOCK.findall(text)) < len(NEGATIVE_STOCK.findall(template)):
        problems.append("drops an out-of-stock or not-found statement")
    if len(words(text)) > 2 * len(words(template)) + 20:
        problems.append("much longer than the facts")
    return problems


_NEGATIVE = re.compile(r"\b(no|not|sorry|unfortunately|don'?t|can'?t|cannot|unable)\b", re.I)


def lead_problems(lead: str, template: str, lex: Lexicon) -> list[str]:
    """A lead is a complete, short sentence with no facts of its own.

    Facts (names, prices, numbers, aisles) are the template's job; a lead that
    repeats them is either redundant or, cut off at max_tokens, half a fact.
    """
    problems: list[str] = []
    if not re.search(r"[.!]$", lead):
        problems.append("not a complete sentence")
    if re.search(r"\d|\$|\baisles?\b|\bshelf\b", lead, re.I):
        problems.append("states a number, price or place")
    if lex.match_names(lead) or any(
        re.search(rf"\b{re.escape(b)}\b", lead.lower()) for b in lex.brands
    ):
        problems.append("names a product or brand")
    if "?" in lead:
        problems.append("asks a question")
    if len(lead.split()) > 16:
        problems.append("too long for a lead")
    negative_answer = bool(_NEGATIVE.search(template[:60]))
    if _NEGATIVE.search(lead) and not negative_answer:
        problems.append("negative lead before a positive answer")
    if not re.search(r"[A-Za-z]", lead):
        problems.append("no words")
    return problems

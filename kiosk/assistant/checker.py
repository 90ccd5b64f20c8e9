"""The fact check a model's phrasing must pass before a shopper sees or hears it.

Every price, number, aisle, product name and brand in the text must be in this
turn's facts; no stock claim the facts contradict; no discount, price match or
promise the store didn't write. A failed check means the template reply is used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kiosk.assistant.lexicon import Lexicon, words

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
_CAPITALIZED = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+[A-Z]\w*|\b[A-Z]{2,}\w*")


@dataclass
class FactSheet:
    """Everything this turn may say: the texts of its facts and what they name."""

    texts: list[str] = field(default_factory=list)
    product_ids: set[str] = field(default_factory=set)
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
    for word in _CAPITALIZED.findall(text):
        if word.lower() not in low_corpus:
            problems.append(f"name {word!r} is not in the facts")
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

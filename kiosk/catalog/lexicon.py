"""The catalog's own words, for understanding requests without a model.

Built from the catalog (product names, brands, categories, colours, sizes), so a
store with different products gets different words without code changes. Product
names are matched by their distinctive words ("TrailMaster", "CozyNights"), with
fuzzy matching for typos and run-together or split words ("trail master").
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from kiosk.catalog.repository import Catalog
from kiosk.text.words import COLORS, singular, words

# Words that say what kind of thing a product is but not which one.
GENERIC = frozenset(
    [
        "the",
        "a",
        "an",
        "and",
        "of",
        "for",
        "with",
        "pro",
        "x",
        "tent",
        "tents",
        "backpack",
        "backpacks",
        "bag",
        "bags",
        "jacket",
        "jackets",
        "boots",
        "boot",
        "shoes",
        "shoe",
        "sandals",
        "sandal",
        "pants",
        "table",
        "tables",
        "chair",
        "chairs",
        "stove",
        "stoves",
        "sleeping",
        "hiking",
        "camping",
        "person",
        "daypack",
        "folding",
        "dining",
        "camp",
        "outdoor",
        "gear",
    ]
)


@dataclass(frozen=True)
class NameMatch:
    product_id: str
    name: str
    score: float  # matched characters of distinctive words; higher is surer
    position: int  # where in the request it was named (for "compare X and Y" order)


@dataclass
class Lexicon:
    """Matchers over one catalog snapshot; rebuilt when the catalog changes."""

    names: dict[str, str] = field(default_factory=dict)  # product id -> name
    brands: dict[str, str] = field(default_factory=dict)  # lower -> Brand
    categories: dict[str, str] = field(default_factory=dict)  # lower -> Category
    # Head nouns of product names and category words -> category ("boots" -> Footwear).
    kind_to_category: dict[str, str] = field(default_factory=dict)
    colors: frozenset[str] = COLORS
    sizes: frozenset[str] = frozenset()
    # distinctive word -> product ids whose name has it
    name_words: dict[str, set[str]] = field(default_factory=dict)
    distinctive: dict[str, list[str]] = field(default_factory=dict)  # id -> its words

    @classmethod
    def build(cls, catalog: Catalog) -> Lexicon:
        vocab = catalog.vocabulary()
        lex = cls()
        lex.brands = {b.lower(): b for b in vocab["brands"]}
        lex.categories = {c.lower(): c for c in vocab["categories"]}
        lex.colors = COLORS | frozenset(vocab["colors"])
        lex.sizes = frozenset(vocab["sizes"])
        kinds: dict[str, set[str]] = defaultdict(set)
        for cat in vocab["categories"]:
            for w in words(cat):
                kinds[singular(w)].add(cat)
        name_words: dict[str, set[str]] = defaultdict(set)
        for pid, name, category in catalog.conn.execute("SELECT id, name, category FROM products"):
            lex.names[pid] = name
            ws = words(name)
            if ws and category:
                kinds[singular(ws[-1])].add(category)  # the head noun: "...Hiking Boots"
            mine = [w for w in ws if w not in GENERIC and not w.isdigit()]
            lex.distinctive[pid] = mine
            for w in mine:
                name_words[w].add(pid)
        # A kind word names a category only when it is unambiguous.
        lex.kind_to_category = {k: next(iter(v)) for k, v in kinds.items() if len(v) == 1}
        lex.name_words = dict(name_words)
        return lex

    # -- product names --------------------------------------------------------
    def _candidates(self, text: str) -> list[tuple[str, int]]:
        """Request words and adjacent pairs run together ("trail master" -> "trailmaster")."""
        ws = words(text)
        out = [(w, i) for i, w in enumerate(ws)]
        out += [(ws[i] + ws[i + 1], i) for i in range(len(ws) - 1)]
        return out

    def match_names(self, text: str) -> list[NameMatch]:
        """Products the request names, best first; a name needs its distinctive words."""
        found: dict[str, dict[str, int]] = defaultdict(dict)  # pid -> word -> position
        keys = list(self.name_words)
        for cand, pos in self._candidates(text):
            if cand in GENERIC or len(cand) < 3:
                continue
            hits = [cand] if cand in self.name_words else []
            if not hits and len(cand) >= 5:
                best = process.extractOne(cand, keys, scorer=fuzz.ratio, score_cutoff=85)
                if best is not None:
                    hits = [best[0]]
            for w in hits:
                for pid in self.name_words[w]:
                    found[pid].setdefault(w, pos)
        matches: list[NameMatch] = []
        for pid, got in found.items():
            mine = self.distinctive.get(pid, [])
            if not mine:
                continue
            unique = [w for w in got if len(self.name_words[w]) == 1 and len(w) >= 6]
            # All distinctive words, or one long word no other product has.
            if set(mine) <= set(got) or unique:
                score = sum(len(w) for w in got) + (5 if set(mine) <= set(got) else 0)
                matches.append(NameMatch(pid, self.names[pid], score, min(got.values())))
        matches.sort(key=lambda m: (-m.score, m.position))
        return matches

    # -- brands, categories, colours -------------------------------------------
    def match_brand(self, text: str) -> str | None:
        for cand, _ in self._candidates(text):
            if cand in self.brands:
                return self.brands[cand]
            if len(cand) >= 6:
                best = process.extractOne(
                    cand, list(self.brands), scorer=fuzz.ratio, score_cutoff=88
                )
                if best is not None:
                    return self.brands[best[0]]
        return None

    def match_category(self, text: str) -> tuple[str | None, str | None]:
        """(category, the kind word that named it): "hiking boots" -> (Footwear, "boot")."""
        low = text.lower()
        for lower, cat in sorted(self.categories.items(), key=lambda kv: -len(kv[0])):
            if re.search(rf"\b{re.escape(lower)}\b", low) or re.search(
                rf"\b{re.escape(lower.rstrip('s'))}\b", low
            ):
                return cat, None
        for w in words(text):
            kind = singular(w)
            if kind in self.kind_to_category:
                return self.kind_to_category[kind], kind
        return None, None

    def match_color(self, text: str) -> str | None:
        for w in words(text):
            if w in self.colors:
                if w == "gray" and "grey" in self.colors:
                    return "grey"
                return w
        return None

"""The words of product names that understanding matches requests against, stored.

Reading every product name to build these took 1.1 s at 100,000 products, in every
process, on its first turn (issue 16). They are now derived once per catalog change,
in the same pass that builds the word index (wordindex.py), and kept beside it as
`names.json` in the index's generation folder: a process loads a few thousand words
instead of reading 100,000 names. Which products carry a word is asked of SQLite
when a request names it (lexicon.py).
"""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from kiosk.text.words import singular, words

NAMES_FILE = "names.json"

# Words that say what kind of thing a product is but not which one.
GENERIC = frozenset(
    """
    the a an and of for with pro x tent tents backpack backpacks bag bags jacket jackets
    boots boot shoes shoe sandals sandal pants table tables chair chairs stove stoves
    sleeping hiking camping person daypack folding dining camp outdoor gear
    """.split()
)


def distinctive(name: str) -> list[str]:
    """A name's words that tell one product from another ("trailmaster", "x4" is not)."""
    return [w for w in words(name) if w not in GENERIC and not w.isdigit()]


@dataclass
class NameVocabulary:
    """Distinctive name words with how many products use each, and kind words."""

    counts: dict[str, int] = field(default_factory=dict)
    # head nouns of names and category words -> the one category they name; words that
    # name more than one category are left out ("bag": sleeping bags and backpacks)
    kinds: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(
        cls, products: Iterable[tuple[str, str | None]], categories: Iterable[str]
    ) -> NameVocabulary:
        """From (name, category) pairs and the catalog's categories."""
        kinds: dict[str, set[str]] = defaultdict(set)
        for cat in categories:
            for w in words(cat):
                kinds[singular(w)].add(cat)
        counts: Counter[str] = Counter()
        for name, category in products:
            ws = words(name or "")
            if ws and category:
                kinds[singular(ws[-1])].add(category)  # the head noun: "...Hiking Boots"
            counts.update(set(distinctive(name or "")))
        one = {k: next(iter(v)) for k, v in kinds.items() if len(v) == 1}
        return cls(dict(counts), one)

    def save(self, folder: Path) -> None:
        """Written whole or not at all: another process may be reading the folder."""
        tmp = folder / f".{NAMES_FILE}.{os.getpid()}"
        tmp.write_text(json.dumps({"counts": self.counts, "kinds": self.kinds}), "utf-8")
        os.replace(tmp, folder / NAMES_FILE)

    @classmethod
    def load(cls, folder: Path) -> NameVocabulary | None:
        """The stored vocabulary, or None when this folder has none (an older index)."""
        try:
            raw = json.loads((folder / NAMES_FILE).read_text("utf-8"))
            return cls(dict(raw["counts"]), dict(raw["kinds"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

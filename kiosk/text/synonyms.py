"""Shoppers' words for the things a catalog names otherwise: "rucksack" for backpack,
"trousers" for pants, "raincoat" for jacket.

A request word the catalog doesn't use is read as the first of its catalog words that
the catalog does use (`Lexicon.catalog_word`), so the words side and the category
match see the store's own word, and a catalog that does say "rucksack" keeps it. The
list is British and American English and common garment and gear names, not a
thesaurus: a word here means the same thing in a shop.
"""

from __future__ import annotations

from typing import Final

SYNONYMS: Final[dict[str, tuple[str, ...]]] = {
    # bags
    "rucksack": ("backpack", "daypack"),
    "knapsack": ("backpack", "daypack"),
    "daysack": ("daypack", "backpack"),
    "haversack": ("backpack",),
    "bookbag": ("backpack",),
    # jackets and coats
    "anorak": ("jacket",),
    "parka": ("jacket",),
    "cagoule": ("jacket",),
    "kagoule": ("jacket",),
    "windbreaker": ("jacket",),
    "windcheater": ("jacket",),
    "raincoat": ("jacket",),
    "mac": ("jacket",),
    "shell": ("jacket",),
    "coat": ("jacket",),
    # legwear
    "trousers": ("pants",),
    "trouser": ("pants",),
    "slacks": ("pants",),
    # footwear
    "trainers": ("shoes", "sneakers"),
    "sneakers": ("shoes", "trainers"),
    "flipflops": ("sandals",),
    # cooking and furniture
    "cooker": ("stove",),
    "hob": ("stove",),
    "stool": ("chair",),
    # shelter and sleep
    "bivvy": ("tent",),
    "bivouac": ("tent",),
    "torch": ("flashlight", "lantern"),
}

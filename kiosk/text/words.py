"""Words and word lists shared by search, understanding, speech and insights.

One tokenizer, one light stemmer and one list of words without product meaning, so
"what's the price" is read the same way by every part of a turn.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def words(text: str) -> list[str]:
    """Lower-case words and numbers, with inner hyphens kept ("water-resistant")."""
    return _WORD.findall(text.lower())


def singular(word: str) -> str:
    """A light stemmer for matching head nouns: boots -> boot, tents -> tent."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("es") and word[-3] in "sxz":
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


# Articles, pronouns, auxiliaries and question words.
GRAMMAR_WORDS = frozenset(
    """
    a about am an and any are at be by can could did do does for from get got had has have
    i in is it its many me more much my of on or our please tell than that the there these
    this to us we what which who with would you your
    """.split()
)

# Shopping talk around the product words: "show me", "under ... dollars", "in stock".
SHOPPING_WORDS = frozenset(
    """
    above available below between bucks buy cheap cheaper cheapest color colour cost costs
    dollar dollars expensive find hello here hey hi item items just kiosk less like look
    looking most need one ones over price really see sell sells shop show size sizes some
    something stock store thank thanks thing things those under very want whats where
    without yours
    """.split()
)

# Colour words a request may use as a filter, before the catalog adds its own.
COLORS = frozenset(
    """
    black white red blue green yellow orange purple pink grey gray brown khaki silver
    navy tan beige olive teal maroon gold
    """.split()
)

"""Words that carry no product meaning, shared by search, understanding and fact lookup.

One list, so "what's the price" is read the same way by every part of a turn.
"""

from __future__ import annotations

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

"""Request text reduced to the words that say what a shopper wanted.

"Do you have any kayaks?", "a kayak for two" and "inflatable kayak" all come down to
content words around the head noun "kayak", so they can be counted as one wish.
"""

from __future__ import annotations

from collections.abc import Collection

from kiosk.text.words import COLORS, GRAMMAR_WORDS, SHOPPING_WORDS, singular, words

# Request talk beyond kiosk.text.words: verbs of asking and wanting, politeness, quantities.
FILLER_WORDS = frozenset(
    """
    able anything carry carries else got go good great help hello im i'm it's
    kind kinds let maybe nice pack packs pair pairs piece pieces plz pls sort stuff
    suggest recommend searching search shopping sure type types us wanna wondering
    interested looking trying choose pick prefer include also additionally
    would love like i'd id ok okay new best quality high how why when whose whom
    one two three four five six seven eight nine ten dozen couple few lot lots set sets
    """.split()
)
# Words after which the request qualifies the thing it named ("a kayak for two").
BREAK_WORDS = frozenset(
    "for with in that which to under over from of on without by at near than who as made "
    "used designed".split()
)
# Placeholders `kiosk.text.privacy.redact` writes; never content.
PLACEHOLDERS = frozenset("email phone card loyalty number".split())
STOP = GRAMMAR_WORDS | SHOPPING_WORDS | FILLER_WORDS | PLACEHOLDERS
_MODIFIERS = COLORS | frozenset(
    """
    small medium large big little light lightweight heavy cheap waterproof warm cold
    black white red blue green brown grey gray pink dark long short men women mens womens
    kid kids size xl xs
    """.split()
)


# Adjectives a request puts before "to ..." or after a noun: never the thing itself.
_NOT_HEADS = frozenset(
    """
    easy simple hard ready safe quick free suitable compatible perfect able great good
    resistant proof friendly low machine washable long lasting
    """.split()
)


def content_words(text: str) -> list[str]:
    """Lower-case, singular content words in order, without grammar or shopping talk."""
    out: list[str] = []
    for w in words(text):
        w = w.replace("\u2019", "'")
        if w.endswith("'s"):
            w = w[:-2]
        if w in STOP or w.isdigit() or len(w) < 2 or any(c.isdigit() for c in w):
            continue
        s = singular(w)
        if s in STOP:
            continue
        out.append(s)
    return out


def head_noun(text: str, known: Collection[str] = ()) -> str:
    """The thing asked for: the last content word before the first qualifier.

    "waterproof hiking boots for winter" -> "boot"; "a kayak for two" -> "kayak";
    colours and sizes are skipped ("tent green" -> "tent"), and so is a phrase that
    ends in an adjective ("easy to carry cosmetic box" -> "box"). A word in `known`
    (the catalog's own kinds of product, e.g. "table") wins wherever it stands:
    "wood table dark cognac brown" -> "table".
    """
    chunks: list[list[str]] = [[]]
    for w in words(text):
        if w in BREAK_WORDS:
            if chunks[-1]:
                chunks.append([])
            continue
        chunks[-1] += content_words(w)
    chunks = [c for c in chunks if c]
    if not chunks:
        return ""
    for chunk in chunks:
        kinds = [w for w in chunk if w in known]
        if kinds:
            return kinds[-1]
    for chunk in chunks:
        nouns = [w for w in chunk if w not in _MODIFIERS and w not in _NOT_HEADS]
        if nouns:
            return nouns[-1]
    return chunks[0][-1]


def normalize(text: str) -> str:
    """The query as stored in request_log: content words joined by spaces."""
    return " ".join(dict.fromkeys(content_words(text)))

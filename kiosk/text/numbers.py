"""Spoken numbers to digits: "a hundred and fifty dollars" -> "150 dollars".

Speech recognition and shoppers both write numbers as words; price, size and
capacity rules then only deal with digits.
"""

from __future__ import annotations

import re

_UNITS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_NUMBER_WORDS = set(_UNITS) | set(_TENS) | {"hundred", "thousand"}
_PIECE = re.compile(r"[A-Za-z]+|[^A-Za-z]+")


def _value(words: list[str]) -> int:
    total, current = 0, 0
    for w in words:
        if w in _UNITS:
            current += _UNITS[w]
        elif w in _TENS:
            current += _TENS[w]
        elif w == "hundred":
            current = max(current, 1) * 100
        elif w == "thousand":
            total += max(current, 1) * 1000
            current = 0
    return total + current


def words_to_digits(text: str) -> str:
    """Replace runs of number words with digits; everything else is kept as is.

    "and" joins only after hundred/thousand ("a hundred and fifty"), so "between
    eighty and one hundred" stays two numbers; "a hundred" is one hundred.
    """
    text = re.sub(r"\b[Aa] (hundred|thousand)\b", r"one \1", text)
    pieces = _PIECE.findall(text)
    out: list[str] = []
    i = 0
    while i < len(pieces):
        if pieces[i].lower() not in _NUMBER_WORDS:
            out.append(pieces[i])
            i += 1
            continue
        words = [pieces[i].lower()]
        j = i + 1
        while j + 1 < len(pieces) and pieces[j] in (" ", "-"):
            nxt = pieces[j + 1].lower()
            if nxt in _NUMBER_WORDS and not (words[-1] in _UNITS and nxt in _UNITS | _TENS):
                words.append(nxt)
                j += 2
            elif (
                nxt == "and"
                and words[-1] in ("hundred", "thousand")
                and j + 3 < len(pieces)
                and pieces[j + 2] == " "
                and pieces[j + 3].lower() in _UNITS.keys() | _TENS.keys()
            ):
                j += 2
            else:
                break
        # A lone "one" is usually a pronoun: "the blue one", "that one".
        out.append(pieces[i] if words == ["one"] else str(_value(words)))
        i = j
    return "".join(out)

"""A product's words in other languages: feed columns, limits, and the search grams.

A feed gives them as `<field>_<lang>` columns or keys (`name_zh`, `category_zh`,
`description_zh`, `brand_zh`): field one of TRANSLATED_FIELDS, lang a two-letter
ISO 639-1 code other than 'en' (English is the catalog's own columns). Two letters
only, so an attribute column such as `brand_new` or `name_old` stays an attribute.

Chinese is written without spaces and most of its words are two characters, so
neither the English word index nor FTS5's trigrams can find "帐篷" in "双人帐篷".
Search text in those scripts is cut into overlapping character pairs (and single
characters, for a one-character query); Latin words and numbers stay whole words.
The same cut is used for the index and the query, so a pair matches a pair.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Final

from kiosk.catalog.schema import TRANSLATED_FIELDS
from kiosk.text.language import HAN_CHARS

# The longest text a feed may give per field: past this it is a wrong column or a
# pasted document, not a shelf name.
MAX_CHARS: Final = {"name": 200, "brand": 200, "category": 200, "description": 5000}

# `<field>_<lang>`, the shape of a translation column (checked further by `column`).
COLUMN_SHAPE = re.compile(r"([a-z]+)_([a-z0-9]+)")
_LANG = re.compile(r"[a-z]{2}")
# Scripts written without spaces between words: Han (CJK ideographs), kana, Hangul.
_UNSPACED = f"\u3040-\u30ff{HAN_CHARS}\uac00-\ud7af"
_RUN = re.compile(rf"[{_UNSPACED}]+|[^\W_{_UNSPACED}]+")
_UNSPACED_RUN = re.compile(rf"[{_UNSPACED}]+")
# Chinese words that carry no product meaning in a request ("有没有…的…吗"): a query is
# cut at them, so their characters neither join a pair with a product word nor
# demand a match. Longest first.
FILLER: Final = tuple(
    sorted(
        "有没有 请问 你们 我们 我想 我要 想要 需要 哪里 哪儿 在哪 多少钱 多少 价格 "
        "一下 一个 一些 什么 怎么 可以 能不能 有吗 还有 便宜 以下 以内 以上 左右 "
        "的 吗 呢 吧 了 啊 和 或 有 要 买 找 在 是 我 请 块 元 钱".split(),
        key=len,
        reverse=True,
    )
)
_FILLER = re.compile("|".join(map(re.escape, FILLER)))


def column(key: str) -> tuple[str, str] | None:
    """'name_zh' -> ('name', 'zh'); None for a key that is not a translation column."""
    m = COLUMN_SHAPE.fullmatch(key)
    if m is None or m[1] not in TRANSLATED_FIELDS or not _LANG.fullmatch(m[2]) or m[2] == "en":
        return None
    return m[1], m[2]


def column_problem(key: str) -> str | None:
    """Why `key` can't be a translation column (for a translations file), or None."""
    if column(key) is not None:
        return None
    fields = ", ".join(TRANSLATED_FIELDS)
    m = COLUMN_SHAPE.fullmatch(key)
    if m is None:
        return f"column '{key}' is not <field>_<language> (e.g. name_zh); fields: {fields}"
    if m[1] not in TRANSLATED_FIELDS:
        return f"column '{key}': '{m[1]}' is not a field that can be translated ({fields})"
    if m[2] == "en":
        return f"column '{key}': English is the catalog's own '{m[1]}'; import it as '{m[1]}'"
    return f"column '{key}': '{m[2]}' is not a two-letter language code (e.g. zh)"


def value_problem(fld: str, text: str) -> str | None:
    """Why a translated value is refused (too long), or None."""
    limit = MAX_CHARS[fld]
    if len(text) > limit:
        return f"{fld} is {len(text):,} characters, more than {limit:,}"
    return None


def has_unspaced(text: str) -> bool:
    """The text holds Han (or kana, Hangul) characters: it is searched by pairs."""
    return _UNSPACED_RUN.search(text) is not None


def index_grams(text: str) -> str:
    """Search text for the index: each unspaced run as its single characters and its
    overlapping pairs, Latin words and numbers as lower-cased words."""
    return " ".join(_grams(text.lower(), singles=True))


def query_pieces(text: str) -> list[str]:
    """A query's pieces, in order, once each: its runs of unspaced script with filler
    words cut out, and its other words."""
    out: dict[str, None] = {}
    for part in _FILLER.split(text.lower()):
        for m in _RUN.finditer(part):
            out[m[0]] = None
    return list(out)


def pairs(piece: str) -> list[str]:
    """The overlapping pairs of a run of unspaced script (a one-character run is
    itself); any other word is itself."""
    if len(piece) < 2 or not _UNSPACED_RUN.fullmatch(piece):
        return [piece]
    return [piece[i : i + 2] for i in range(len(piece) - 1)]


def query_terms(
    text: str, known: Callable[[str], bool], known_single: Callable[[str], bool] | None = None
) -> list[str]:
    """The terms a query is searched by: each piece's pairs that the catalog has
    (`known`); a run none of whose pairs it has ("桌子" where the shelf says "餐桌")
    by its single characters that `known_single` has (default `known`: the search
    passes the names and categories only, so "泳衣" finds no jacket whose description
    says "雨衣"). Numbers are left to the price and size filters."""
    single = known_single or known
    out: dict[str, None] = {}
    for piece in query_pieces(text):
        if piece.isdigit():
            continue
        found = [g for g in pairs(piece) if known(g)]
        if not found and len(piece) > 1 and _UNSPACED_RUN.fullmatch(piece):
            found = [c for c in piece if single(c)]
        out.update(dict.fromkeys(found))
    return list(out)


def _grams(text: str, *, singles: bool) -> Iterator[str]:
    for m in _RUN.finditer(text):
        run = m[0]
        if not _UNSPACED_RUN.fullmatch(run):
            yield run
            continue
        if singles or len(run) == 1:
            yield from run
        yield from (run[i : i + 2] for i in range(len(run) - 1))

"""Which language a request is in, per turn: a shopper may switch mid-visit.

The kiosk speaks English and Mandarin (written in Chinese characters). A turn is
Chinese when Han characters carry its meaning: a request mixing a brand or a size
into Chinese ("有没有 SkyView 帐篷？", "10码的靴子") is still Chinese, while a single
Chinese word inside an English sentence is not. Nothing here guesses from Latin
letters: English is what a request is when it isn't Chinese.
"""

from __future__ import annotations

import re
from typing import Final

EN: Final = "en"
ZH: Final = "zh"
LANGUAGES: Final = (EN, ZH)
# What each language is called on screen and in the insights, in its own words.
NAMES: Final = {EN: "English", ZH: "中文"}

# CJK Unified Ideographs and Extension A, and the compatibility block: the characters
# that are Chinese, as a regex class's body (for patterns that mix them with others).
HAN_CHARS: Final = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
HAN: Final = re.compile(f"[{HAN_CHARS}]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def han_count(text: str) -> int:
    return len(HAN.findall(text))


def detect(text: str) -> str:
    """'zh' when Chinese characters outweigh English words (one Han character is about
    as much meaning as one short English word), else 'en'. Product and brand names are
    Latin inside Chinese ("TrailMaster 跟 Alpine Explorer 比哪个好"): four or more Han
    characters, at least as many as the Latin words, are Chinese too."""
    han = han_count(text)
    if han == 0:
        return EN
    latin = len(_LATIN_WORD.findall(text))
    return (
        ZH if han >= 2 * latin or (han >= 2 and latin <= 2) or (han >= 4 and han >= latin) else EN
    )


def supported(lang: str) -> str:
    """A language code the kiosk answers in, or English."""
    code = lang.strip().lower().split("-")[0].split("_")[0]
    return code if code in LANGUAGES else EN

"""Chinese numerals and the number phrases of a shopper's request, read into English.

"一百二十" -> 120, "两百" -> 200, "三百五" -> 350 (the spoken short form), "1千" ->
1000, "十" -> 10. The phrases around a number say what it is: a price ("三百块以内"
-> "under $300", "两百到三百之间" -> "between $200 and $300"), a size ("10码" ->
"size 10", "M号" -> "size M"), people ("四个人", "4人" -> "for 4 people"), an
ordinal ("第二个" -> "the second"), a loyalty number ("会员号是7"), or time since
buying ("30天" -> "30 days").
"""

from __future__ import annotations

import re
from typing import Final

_DIGIT: Final = {
    "零": 0,
    "\u3007": 0,  # ideographic zero
    "一": 1,
    "二": 2,
    "两": 2,
    "俩": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_UNIT: Final = {"十": 10, "百": 100, "千": 1000, "万": 10000, "k": 1000, "K": 1000}

# A number: Arabic digits (with a decimal part), Chinese numerals, or digits with a
# Chinese unit ("1千", "1.5万").
NUMBER: Final = "(?:\\d+(?:\\.\\d+)?[十百千万kK]?|[零\u3007一二两俩三四五六七八九十百千万]+)"


def to_int(text: str) -> int | None:
    """The value of one numeral; None when it isn't one."""
    text = text.strip()
    if not text:
        return None
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([十百千万kK]?)", text)
    if m:
        return round(float(m.group(1)) * _UNIT.get(m.group(2), 1))
    if any(c not in _DIGIT and c not in _UNIT for c in text):
        return None
    total, section, digit = 0, 0, None
    last_unit = 1
    for c in text:
        if c in _DIGIT:
            digit = _DIGIT[c] if digit is None else digit * 10 + _DIGIT[c]
        else:
            unit = _UNIT[c]
            if unit == 10000:
                total += (section + (digit or 0)) * unit
                section, digit, last_unit = 0, None, unit
                continue
            section += (1 if digit is None else digit) * unit
            digit, last_unit = None, unit
    if digit is not None:
        # "三百五": a trailing digit after a unit is the next unit down (350, not 305),
        # unless a zero came before it ("三百零五" = 305).
        spoken_short = last_unit >= 100 and "零" not in text and digit < 10
        section += digit * (last_unit // 10) if spoken_short else digit
    return total + section


_MONEY_UNIT = r"(?:块钱|块|元|美元|美金|刀|usd|\$)?"
_RANGE = re.compile(
    rf"(?:在)?({NUMBER}){_MONEY_UNIT}\s*(?:到|至|-|~|\u2014|\uff0d)\s*({NUMBER}){_MONEY_UNIT}"
    r"(?:之间|左右|以内|范围)?"
)
_UNDER_AFTER = re.compile(
    rf"({NUMBER})\s*{_MONEY_UNIT}\s*(?:以下|以内|之内|内|以下的|一下|封顶|为止)"
)
_UNDER_BEFORE = re.compile(
    rf"(?:不超过|不要超过|别超过|不高于|低于|少于|不到|最多|顶多|预算是?|预算在|预算|控制在)"
    rf"\s*({NUMBER})\s*{_MONEY_UNIT}(?:以内|以下|之内)?"
)
_OVER = re.compile(
    rf"(?:超过|高于|多于|至少)\s*({NUMBER})\s*{_MONEY_UNIT}|({NUMBER})\s*{_MONEY_UNIT}\s*(?:以上|起)"
)
# "两百块钱能买到什么", "我只有100元": money to spend is a budget, the most to pay.
_BUDGET = re.compile(
    rf"(?:只有|就有|带了|手上有)\s*({NUMBER})\s*(?:块钱|块|元|美元|美金|刀)"
    rf"|({NUMBER})\s*(?:块钱|块|元|美元|美金|刀)\s*(?:能|可以|够|可)\s*买"
)
_AROUND = re.compile(
    rf"({NUMBER})\s*{_MONEY_UNIT}\s*(?:左右|上下)|(?:大概|大约)\s*({NUMBER})\s*(?:块钱|块|元)"
)
_SIZE = re.compile(
    rf"({NUMBER})\s*(?:码|号)(?!人)|(?:尺码|尺寸|码数|size)\s*(?:是|为)?\s*({NUMBER}|xxl|xl|xs|s|m|l)(?![A-Za-z])"
    r"|(?<![A-Za-z])(xxl|xl|xs|s|m|l)\s*(?:码|号)",
    re.IGNORECASE,
)
_PEOPLE = re.compile(rf"(?:一家|全家)\s*({NUMBER})\s*口|({NUMBER})\s*(?:个|位)?\s*(?:人|口人)")
_ORDINAL = re.compile(rf"第\s*({NUMBER})\s*(?:个|款|件|双|顶|把|张|样)")
_LOYALTY = re.compile(
    r"(?:会员|积分|客户|顾客)(?:卡)?\s*(?:号码|卡号|编号|号|id|ID)\s*(?:是|为)?\s*[:：#]?\s*"
    r"([A-Za-z]{0,3}\d{1,12})"
)
_DAYS = re.compile(rf"({NUMBER})\s*(?:天|日|个星期|星期|周|个礼拜|礼拜|个月|月)")

_ORDINAL_WORDS: Final = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}


def _money(value: int | None) -> str:
    return f"${value}" if value is not None else ""


def read_numbers(text: str) -> tuple[str, list[tuple[int, str]], str | None]:
    """Number phrases found, each as (position, English); the text with them blanked
    out (so the glossary doesn't read their pieces), and a loyalty number said."""
    found: list[tuple[int, str]] = []
    loyalty: str | None = None

    def take(m: re.Match[str], english: str) -> None:
        nonlocal text
        found.append((m.start(), english))
        text = text[: m.start()] + " " * (m.end() - m.start()) + text[m.end() :]

    m = _LOYALTY.search(text)
    if m:
        loyalty = m.group(1)
        take(m, f"my loyalty number is {loyalty}")
    for m in list(_RANGE.finditer(text)):
        lo, hi = to_int(m.group(1)), to_int(m.group(2))
        if (
            lo is not None
            and hi is not None
            and not re.search(r"码|号|人", text[m.end() : m.end() + 1])
        ):
            take(m, f"between {_money(min(lo, hi))} and {_money(max(lo, hi))}")
    for pattern, word in ((_UNDER_AFTER, "under"), (_UNDER_BEFORE, "under")):
        for m in list(pattern.finditer(text)):
            value = to_int(m.group(1))
            if value is not None:
                take(m, f"{word} {_money(value)}")
    for m in list(_OVER.finditer(text)):
        value = to_int(m.group(1) or m.group(2))
        if value is not None:
            take(m, f"over {_money(value)}")
    for m in list(_BUDGET.finditer(text)):
        value = to_int(m.group(1) or m.group(2))
        if value is not None:
            take(m, f"under {_money(value)}")
    for m in list(_AROUND.finditer(text)):
        value = to_int(m.group(1) or m.group(2))
        if value is not None:
            take(m, f"around {_money(value)}")
    for m in list(_SIZE.finditer(text)):
        raw = next(g for g in m.groups() if g)
        value = to_int(raw)
        size = str(value) if value is not None else raw.upper()
        take(m, f"size {size}")
    for m in list(_ORDINAL.finditer(text)):
        value = to_int(m.group(1))
        if value in _ORDINAL_WORDS:
            take(m, f"the {_ORDINAL_WORDS[value]}")
    for m in list(_PEOPLE.finditer(text)):
        value = to_int(m.group(1) or m.group(2))
        if value is not None and 1 <= value <= 12:
            take(m, f"for {value} people")
    for m in list(_DAYS.finditer(text)):
        value = to_int(m.group(1))
        unit = m.group(0)[-1]
        if value is not None:
            word = "month" if unit == "月" else "week" if unit in "期周拜" else "day"
            take(m, f"{value} {word}s")
    return text, found, loyalty

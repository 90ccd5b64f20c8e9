"""Product-domain spelling of sizes and units, the same for titles and queries.

Catalogs and shoppers write one size many ways: "1-1/4 in.", "1 1/4 inch",
"1.25in"; "100W", "100-Watt", "100 watt"; "Sch 80", "Schedule 80". The word
index sees each of them as one token ("1p25in", "100w", "sch80"), so a query
finds a title however either was written. Titles also keep the bare number
("1p25"), so "1-1/4 pipe" still finds "1-1/4 in. pipe".
"""

from __future__ import annotations

import re
from fractions import Fraction

# Unit spellings -> the one written in the index. Longest first inside the regex.
_UNITS: dict[str, str] = {
    "inches": "in",
    "inch": "in",
    "in": "in",
    '"': "in",
    "\u2033": "in",
    "feet": "ft",
    "foot": "ft",
    "ft": "ft",
    "watts": "w",
    "watt": "w",
    "w": "w",
    "volts": "v",
    "volt": "v",
    "v": "v",
    "amps": "a",
    "amp": "a",
    "millimeters": "mm",
    "millimetres": "mm",
    "millimeter": "mm",
    "millimetre": "mm",
    "mm": "mm",
    "centimeters": "cm",
    "centimetres": "cm",
    "cm": "cm",
    "meters": "m",
    "metres": "m",
    "meter": "m",
    "metre": "m",
    "ounces": "oz",
    "ounce": "oz",
    "oz": "oz",
    "pounds": "lb",
    "pound": "lb",
    "lbs": "lb",
    "lb": "lb",
    "gallons": "gal",
    "gallon": "gal",
    "gal": "gal",
    "liters": "l",
    "litres": "l",
    "liter": "l",
    "litre": "l",
    "mah": "mah",
    "psi": "psi",
    "gauge": "ga",
    "ga": "ga",
    "person": "person",
}
# Short spellings that are also ordinary words ("a", "in", "m", "v") count as a unit
# only when written against the number ("10a", "3in") or as in. with its dot.
_LOOSE = {u for u in _UNITS if len(u) > 2 and u not in {"lbs", "gal", "mah", "psi"}} | {
    "ft",
    "mm",
    "cm",
    "oz",
    "lb",
    "lbs",
    "gal",
    "mah",
    "psi",
    "ga",
}

_NUM = r"(?:\d+\s*[- ]\s*\d+/\d+|\d+/\d+|\d+(?:\.\d+)?|\.\d+)"
_UNIT_ALT = "|".join(sorted((re.escape(u) for u in _UNITS), key=len, reverse=True))
_MEASURE = re.compile(
    rf"(?<![\w./])(?P<num>{_NUM})(?P<sep>\s*-\s*|\s+|)(?P<unit>{_UNIT_ALT})(?P<dot>\.)?(?![\w])",
    re.IGNORECASE,
)
_BARE = re.compile(r"(?<![\w./])(?P<num>\d+\s*[- ]\s*\d+/\d+|\d+/\d+|\d+\.\d+)(?![\w/])")
_SCHEDULE = re.compile(r"\b(?:schedule|sch)\.?\s*-?\s*(\d+)\b", re.IGNORECASE)
_DIMENSIONS = re.compile(r"\b(\d+)\s*[x\u00d7]\s*(\d+)\b", re.IGNORECASE)


def _value(text: str) -> Fraction | None:
    text = text.strip()
    m = re.fullmatch(r"(\d+)\s*[- ]\s*(\d+)/(\d+)", text)
    try:
        if m:
            whole, num, den = (int(g) for g in m.groups())
            if den == 0 or num >= den:
                return None
            return whole + Fraction(num, den)
        if "/" in text:
            num_s, den_s = text.split("/")
            return Fraction(int(num_s), int(den_s)) if int(den_s) else None
        return Fraction(text)
    except (ValueError, ZeroDivisionError):
        return None


def number_token(value: Fraction) -> str:
    """1.25 -> '1p25', 100 -> '100', 0.75 -> '0p75': one word for the tokenizer."""
    if value.denominator == 1:
        return str(value.numerator)
    text = f"{float(value):.4f}".rstrip("0").rstrip(".")
    return text.replace(".", "p")


def normalize(text: str, *, keep_number: bool = False) -> str:
    """Rewrite sizes and units into index tokens; everything else is left as written.

    keep_number (for titles): a measure also leaves its bare number, so a query that
    names the size without a unit still matches.
    """
    text = _SCHEDULE.sub(lambda m: f" sch{m.group(1)} ", text)
    text = _DIMENSIONS.sub(lambda m: f"{m.group(1)}x{m.group(2)}", text)

    def measure(m: re.Match[str]) -> str:
        unit_raw = m.group("unit")
        unit = _UNITS[unit_raw.lower()]
        sep = m.group("sep")
        loose = unit_raw.lower() in _LOOSE or (unit_raw.lower() == "in" and m.group("dot"))
        if sep and "-" not in sep and not loose:
            return m.group(0)  # "2 a day", "10 in stock": not a measure
        value = _value(m.group("num"))
        if value is None:
            return m.group(0)
        num = number_token(value)
        return f" {num}{unit} {num} " if keep_number else f" {num}{unit} "

    text = _MEASURE.sub(measure, text)

    def bare(m: re.Match[str]) -> str:
        value = _value(m.group("num"))
        return m.group(0) if value is None else f" {number_token(value)} "

    return _BARE.sub(bare, text)

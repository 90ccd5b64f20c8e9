"""Redaction of personal data before anything a shopper said is written down.

Staff-call notes, feedback, session files and the request log keep request text only
after this: emails, phone numbers, card numbers with their expiry and security code,
and loyalty numbers become placeholders.
"""

from __future__ import annotations

import re

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# 13-19 digits, optionally grouped by spaces or dashes: card numbers (checked by Luhn).
_CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
# Phone numbers: optional +country, optional (area), 7+ digits in groups.
_PHONE = re.compile(
    r"(?<![\w])(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?)?\d{3,4}[ .-]\d{3,4}(?:[ .-]\d{2,4})?(?!\d)"
)
_LOYALTY = re.compile(
    r"\b(loyalty|member(?:ship)?|customer|rewards?|card)\s*(?:number|no\.?|#|id)?\s*(?:is\s*)?"
    r"[:#]?\s*([A-Z]{0,3}\d{1,12})\b",
    re.IGNORECASE,
)
# Card expiry ("exp 12/29", "expires 03-2027", "valid thru 11/26") and security codes
# ("cvv 123", "security code: 4321"): said next to a card number, or alone, never kept.
_EXPIRY = re.compile(
    r"\b(?:exp(?:iry|iration|ires|\.)?(?:\s+date)?|valid\s+(?:thru|through|until))\s*"
    r"(?:is\s*)?[:#]?\s*(?:0?[1-9]|1[0-2])\s*[/-]\s*(?:\d{4}|\d{2})\b",
    re.IGNORECASE,
)
_CVV = re.compile(
    r"\b(?:cvv2?|cvc2?|csc|cid|security\s+code|card\s+code)\s*(?:is\s*)?[:#]?\s*\d{3,4}\b",
    re.IGNORECASE,
)
_LONG_NUMBER = re.compile(r"(?<![\d.$])\d{7,}(?![\d.])")


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return "[card]" if 13 <= len(digits) <= 19 and _luhn_ok(digits) else "[number]"


def redact(text: str) -> str:
    """The text with personal identifiers replaced; safe to log or store."""
    text = _EMAIL.sub("[email]", text)
    text = _EXPIRY.sub("[expiry]", text)
    text = _CVV.sub("[cvv]", text)
    text = _CARD.sub(_card, text)
    text = _PHONE.sub("[phone]", text)
    text = _LOYALTY.sub(lambda m: f"{m.group(1)} number [loyalty]", text)
    return _LONG_NUMBER.sub("[number]", text)


def without_secrets(text: str) -> str:
    """The text with what is never a product word taken out: emails, card numbers, card
    expiry and security codes. Understanding reads this, so no part of an email
    address ("jane doe gmail com") becomes a search word that a session file keeps.
    (Phone-like numbers stay: "100-200 dollars" is a price range.)"""
    text = _EMAIL.sub(" ", text)
    text = _EXPIRY.sub(" ", text)
    text = _CVV.sub(" ", text)
    return _CARD.sub(lambda m: " " if _card(m) == "[card]" else m.group(0), text)

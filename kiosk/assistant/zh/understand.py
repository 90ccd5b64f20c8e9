"""A Chinese request read into an `Understanding` (placeholder: the English rules)."""

from __future__ import annotations

from kiosk.assistant.understand import Understanding, understand
from kiosk.catalog.lexicon import Lexicon
from kiosk.text.language import ZH


def understand_zh(text: str, lex: Lexicon) -> Understanding:
    """The request's intent and slots, with `lang` set to 'zh'."""
    u = understand(text, lex)
    u.lang = ZH
    return u

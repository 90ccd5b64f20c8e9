"""Redaction: nothing personal is written down, prices and sizes survive."""

from __future__ import annotations

import pytest

from kiosk.privacy import redact


@pytest.mark.parametrize(
    ("text", "gone", "placeholder"),
    [
        ("call me at 555-123-4567", "555-123-4567", "[phone]"),
        ("my number is +1 (800) 123-4567", "123-4567", "[phone]"),
        ("email john.smith@example.com please", "john.smith@example.com", "[email]"),
        ("card 4111 1111 1111 1111", "4111", "[card]"),
        ("pay with 5500-0000-0000-0004", "5500", "[card]"),
        ("my loyalty number is 7", "is 7", "[loyalty]"),
        ("member id 12345", "12345", "[loyalty]"),
        ("account 98765432101", "98765432101", "[number]"),
    ],
)
def test_personal_data_is_replaced(text: str, gone: str, placeholder: str) -> None:
    out = redact(text)
    assert gone not in out
    assert placeholder in out


@pytest.mark.parametrize(
    "text",
    [
        "tents under $250.99 in size 10",
        "a 4-person tent with a 2000mm rainfly",
        "sleeping bag rated 20F to 60F",
        "boots between 80 and 100 dollars",
    ],
)
def test_shopping_words_survive(text: str) -> None:
    assert redact(text) == text

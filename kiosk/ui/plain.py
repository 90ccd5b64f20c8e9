"""Text from a shopper or the catalog, shown exactly as typed.

Textual reads strings as markup, so a request like "[/]" or a product named
"Zephyr [/] Lantern" would raise MarkupError and close the screen. Everything a
shopper typed or a catalog file holds goes on screen as a Rich `Text` (never parsed),
with terminal control sequences (ANSI/OSC escapes, NUL) removed.
"""

from __future__ import annotations

import re

from rich.text import Text

# ESC [ ... final byte (CSI), ESC ] ... BEL or ESC \ (OSC), other ESC pairs, C0/C1 controls.
_CONTROLS = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?|"
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f]"
)


def clean(text: str) -> str:
    """The text without terminal control sequences (newlines and tabs kept)."""
    return _CONTROLS.sub("", text)


def plain(text: str, style: str = "") -> Text:
    """`text` as it is, never read as markup."""
    return Text(clean(text), style=style)

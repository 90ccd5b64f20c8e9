"""Text from a shopper or the catalog, shown exactly as typed.

Textual reads strings as markup, so a request like "[/]" or a product named
"Zephyr [/] Lantern" would raise MarkupError and close the screen. Everything a
shopper typed or a catalog file holds goes on screen as a Rich `Text` (never parsed),
with terminal control sequences removed (`kiosk.text.control`, as on import).
"""

from __future__ import annotations

from rich.text import Text

from kiosk.text.control import clean


def plain(text: str, style: str = "") -> Text:
    """`text` as it is, never read as markup."""
    return Text(clean(text), style=style)

"""What every command group shares: status lines, progress, printing a reply."""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kiosk.catalog.records import format_price
from kiosk.text.control import printable

if TYPE_CHECKING:
    from kiosk.assistant.reply import Reply
    from kiosk.catalog.repository import Catalog


def status(message: str) -> None:
    """One line for the person at the terminal, on stderr (stdout is for results)."""
    print(message, file=sys.stderr, flush=True)


def report(message: str) -> None:
    """A problem the command survives (model not loaded, no speaker): said once."""
    status(f"kiosk: {message}")


def say_read_only(catalog: Catalog) -> None:
    """A catalog opened read-only (disk full, read-only home): answers still come from
    it as it is; what can't be saved is said once."""
    reason = catalog.read_only
    if reason is not None:
        report(f"{reason.message}: the catalog is open read-only (answers work; nothing is saved)")


def progress_printer(label: str, unit: str = "rows") -> Callable[[int, int | None], None]:
    """Progress on stderr: a live line on a terminal, a line every few seconds otherwise."""
    tty = sys.stderr.isatty()
    last = [0.0]

    def progress(done: int, total: int | None) -> None:
        now = time.monotonic()
        final = total is not None and done >= total
        if not final and now - last[0] < (0.2 if tty else 5.0):
            return
        last[0] = now
        pct = f" ({100 * done // total}%)" if total else ""
        text = f"{label}: {done:,}{'/' + format(total, ',') if total else ''} {unit}{pct}"
        if tty:
            sys.stderr.write("\r" + text + ("\n" if final else ""))
        else:
            sys.stderr.write(text + "\n")
        sys.stderr.flush()

    return progress


def render(reply: Reply) -> str:
    """Plain-text rendering for a terminal: the reply, then the cards.

    Names, aisles and the reply quote catalog text, which is data: any control
    character or escape sequence in it is shown as `\\x1b`, never sent raw.
    """
    lines = [printable(reply.text)]
    for c in reply.products:
        stock = f"{c.stock} in stock" if c.stock > 0 else "out of stock"
        where = f"aisle {c.aisle}{', shelf ' + c.shelf if c.shelf else ''}" if c.aisle else ""
        lines.append(
            printable(
                f"  - {c.name}: {format_price(c.price_cents)}, {stock}"
                + (f", {where}" if where else ""),
                newlines=False,
            )
        )
    for a in reply.actions:
        if a.kind == "staff_call":
            lines.append(f"  [staff called, request #{a.ref}]")
    return "\n".join(lines)


# C1 controls (U+0080-U+009F) and DEL: json.dumps leaves them raw with ensure_ascii=False,
# and some terminals obey U+009B as an escape. As \u escapes the JSON means the same.
_JSON_RAW = re.compile("[\x7f-\x9f]")


def json_text(value: Any) -> str:
    """JSON for stdout: UTF-8 as is, but no raw control character (even C1) in it."""
    text = json.dumps(value, ensure_ascii=False)
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def emit(reply: Reply, as_json: bool) -> None:
    """One reply on stdout: a JSON object per line, or the text and cards."""
    if as_json:
        print(json_text(reply.to_json()), flush=True)
    else:
        print(render(reply), flush=True)

"""Control characters and terminal escape sequences: out of imported text, visible on output.

A catalog file is data anyone at HQ may edit. An ESC sequence in a product name
(`ESC [2J` clears the screen, `ESC ] 8 ;;` makes a link, `ESC ] 52` writes the
clipboard) would be acted on by the terminal that prints it, and a NUL byte
ends the string for half the tools that read the database. So imported text is
cleaned with `clean` (the import report says where), and whatever reaches a
terminal goes through `printable`, which shows any control character that is
still there (an older catalog, a direct SQL edit) as a harmless `\\x1b`.
"""

from __future__ import annotations

import re

# Whole escape sequences go, not only the ESC: "[31m" left behind would be litter.
_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: ESC [ params intermediates final
    r"|\x1b[\]PX^_][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"  # OSC, DCS, SOS, PM, APC .. BEL/ST
    r"|\x1b[ -/]*[0-~]"  # two- and three-byte escapes (ESC c, ESC 7, ESC ( B)
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
    r"|[\x90\x98\x9d\x9e\x9f][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"  # 8-bit OSC, DCS, ...
)
# C0 controls but tab and newline, DEL, and the C1 controls.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_OUT_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def has_control(text: str) -> bool:
    """True if `clean` would change more than line endings."""
    if _CONTROL.search(text) is None:  # the common case, without copying the text
        return False
    return bool(_CONTROL.search(text.replace("\r\n", "\n")))


def clean(text: str) -> str:
    """Text with escape sequences and control characters removed.

    Tab and newline stay; Windows line ends become newlines, and so does a lone
    carriage return (which on a terminal would overwrite the line it ends).
    """
    text = text.replace("\r\n", "\n")
    if not _CONTROL.search(text):
        return text
    text = text.replace("\r", "\n")
    return _CONTROL.sub("", _SEQUENCE.sub("", text))


def _visible(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()):02x}"


def printable(text: str, *, newlines: bool = True) -> str:
    """Text that is safe to print on a terminal: every control character shown as `\\xNN`.

    With `newlines` (a reply, a description) line breaks and tabs stay as they
    are; without it (a name in a table row) they become spaces.
    """
    if newlines:
        return _CONTROL.sub(_visible, text.replace("\r\n", "\n"))
    text = re.sub(r"\r\n|[\n\t]", " ", text)
    return _OUT_LINE.sub(_visible, text)

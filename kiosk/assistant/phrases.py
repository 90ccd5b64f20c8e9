"""A reply's own words in each language the kiosk answers in.

Handlers build replies from facts; only the words around the facts change with the
language. Each module keeps its phrases in one `Phrases` table beside the code that
uses them, every phrase in every language with the same {fields}, so a fact can't be
dropped from one language's reply (tests/test_phrases.py holds every table to that).
"""

from __future__ import annotations

import string
from collections.abc import Mapping

from kiosk.text.language import EN, LANGUAGES

# Every Phrases table made, for the test that holds them all to the same fields.
TABLES: list[Phrases] = []


class Phrases:
    """key -> {lang: template}; `phrases(lang, key, **facts)` fills one in."""

    def __init__(self, name: str, table: Mapping[str, Mapping[str, str]]) -> None:
        self.name = name
        self.table = table
        TABLES.append(self)

    def __call__(self, lang: str, key: str, /, **facts: object) -> str:
        said = self.table[key]
        return said.get(lang, said[EN]).format(**facts)

    def problems(self) -> list[str]:
        """Phrases missing a language, or whose languages don't take the same facts."""
        out = []
        for key, said in self.table.items():
            missing = [lang for lang in LANGUAGES if lang not in said]
            if missing:
                out.append(f"{self.name}.{key}: no {', '.join(missing)}")
                continue
            fields = {lang: _fields(text) for lang, text in said.items()}
            if len({frozenset(f) for f in fields.values()}) > 1:
                out.append(f"{self.name}.{key}: fields differ {fields}")
        return out


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}

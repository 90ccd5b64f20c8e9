"""Labelled requests the classifier learns from: the shipped text and the store's own.

A label is a kiosk intent (`find_product`, `call_staff`, ...) or `intent:topic` where
the handler needs more (`store_policy:return_policy`, `feedback:complaint`,
`greeting:thanks`). The shipped rows are in `data/` (see data/README.md: where each
came from, with the licences); a store's rows come from a CSV (`text,intent`, a header
line) or JSONL (`{"text": ..., "intent": ...}`) file it keeps, and from staff
corrections of logged requests (`kiosk label`), appended to a CSV in KIOSK_HOME.
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from kiosk.assistant.reply import Intent
from kiosk.errors import KioskError

DATA = Path(__file__).resolve().parent / "data"
SHIPPED = (DATA / "bitext_webshop.csv", DATA / "written.csv")
TOPICS: dict[Intent, frozenset[str]] = {
    Intent.STORE_POLICY: frozenset(
        {"return_policy", "warranty", "hours", "payment", "price_match", "delivery", "membership"}
    ),
    Intent.FEEDBACK: frozenset({"complaint", "praise"}),
    Intent.GREETING: frozenset({"hello", "thanks", "bye"}),
}
MAX_TEXT = 400  # what the assistant reads of a request (pipeline.MAX_REQUEST_CHARS)


@dataclass(frozen=True)
class Example:
    """One labelled request, and where it came from (a file and line, for errors)."""

    text: str
    label: str
    source: str

    @property
    def intent(self) -> str:
        return self.label.split(":", 1)[0]

    @property
    def held_out(self) -> bool:
        """In the held-out fifth: decided by the text alone, so every run splits alike."""
        return hashlib.sha256(self.text.lower().encode()).digest()[0] % 5 == 0


def check_label(label: str) -> str:
    """The label normalized ('Call_Staff ' -> 'call_staff'); ValueError naming the valid ones."""
    label = label.strip().lower()
    intent, _, topic = label.partition(":")
    try:
        kind = Intent(intent)
    except ValueError:
        raise ValueError(
            f"unknown intent {intent!r}; one of: {', '.join(i.value for i in Intent)}"
        ) from None
    if topic and topic not in TOPICS.get(kind, frozenset()):
        known = ", ".join(sorted(TOPICS.get(kind, frozenset()))) or "none"
        raise ValueError(f"unknown topic {topic!r} for {intent} (topics: {known})")
    return label


def read_examples(path: Path) -> list[Example]:
    """The labelled rows of one CSV or JSONL file; KioskError naming the bad line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise KioskError(
            f"can't read {path}: {exc.strerror or exc}", code="examples_unreadable"
        ) from None
    rows: list[tuple[int, object, object]] = []
    if path.suffix.lower() in (".jsonl", ".json"):
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise KioskError(
                        f"{path} line {n}: not JSON ({exc.msg})", code="examples_invalid"
                    ) from None
                if not isinstance(obj, dict):
                    raise KioskError(
                        f'{path} line {n}: want {{"text": ..., "intent": ...}}',
                        code="examples_invalid",
                    )
                rows.append((n, obj.get("text"), obj.get("intent")))
    else:
        reader = csv.DictReader(text.splitlines())
        if not reader.fieldnames or not {"text", "intent"} <= set(reader.fieldnames):
            raise KioskError(
                f"{path}: the first line must name the columns text,intent",
                code="examples_invalid",
            )
        rows = [(n, r.get("text"), r.get("intent")) for n, r in enumerate(reader, 2)]
    out: list[Example] = []
    for n, said, label in rows:
        if not isinstance(said, str) or not isinstance(label, str) or not said.strip():
            raise KioskError(
                f"{path} line {n}: needs a text and an intent", code="examples_invalid"
            )
        try:
            out.append(
                Example(" ".join(said.split())[:MAX_TEXT], check_label(label), f"{path}:{n}")
            )
        except ValueError as exc:
            raise KioskError(f"{path} line {n}: {exc}", code="examples_invalid") from None
    return out


def shipped_examples() -> list[Example]:
    """The training rows that ship with the kiosk."""
    return [e for path in SHIPPED for e in read_examples(path)]


def append_correction(path: Path, text: str, label: str) -> None:
    """Add one staff correction (`text,intent`) to the store's corrections file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.exists() or path.stat().st_size == 0
    with path.open("a", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        if new:
            w.writerow(["text", "intent"])
        w.writerow([" ".join(text.split()), check_label(label)])

"""Redaction: nothing personal is written down, prices and sizes survive."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kiosk.text.privacy import redact
from tests.conftest import kiosk


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


# -- nothing personal lands on disk, end to end ------------------------------------------

PLANTED = {
    "email": "jane.planted@example.org",
    "phone": "555-867-5309",
    "card": "4111 1111 1111 1111",
    "loyalty": "loyalty number is 4477",
}


def _disk_bytes(home: Path) -> bytes:
    """Every byte the kiosk left in its home: database, WAL, logs, session files."""
    return b"".join(p.read_bytes() for p in sorted(home.rglob("*")) if p.is_file())


def test_planted_personal_data_never_reaches_the_disk(tmp_path: Path, demo_db: Path) -> None:
    (tmp_path / "catalog.sqlite3").write_bytes(demo_db.read_bytes())
    typed = "\n".join(
        [
            f"do you have tents? email me at {PLANTED['email']}",
            f"call staff, my phone is {PLANTED['phone']}",
            f"can I pay with {PLANTED['card']}",
            f"my {PLANTED['loyalty']}",
            f"the tent was great, call {PLANTED['phone']}",  # feedback
            "kayaks",
        ]
    )
    # The text kiosk serves shoppers (a pipe, no screen): it logs requests, staff calls
    # and feedback exactly as the shopper screen does.
    r = kiosk(tmp_path, env={"KIOSK_LLM_BACKEND": "none"}, stdin=typed + "\n")
    assert r.returncode == 0, r.stderr
    r = kiosk(tmp_path, "ask", "--session", "s1", f"tents, I'm {PLANTED['email']}", "--no-llm")
    assert r.returncode == 0, r.stderr
    with sqlite3.connect(tmp_path / "catalog.sqlite3") as conn:
        logged = conn.execute("SELECT count(*) FROM request_log").fetchone()[0]
        calls = conn.execute("SELECT count(*) FROM staff_calls").fetchone()[0]
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert logged == 6 and calls == 1, "the requests were written (redacted), not dropped"
    disk = _disk_bytes(tmp_path)
    for kind, value in PLANTED.items():
        assert value.encode() not in disk, f"{kind} found on disk"
    assert b"4477" not in disk and b"8675309" not in disk.replace(b"-", b"")

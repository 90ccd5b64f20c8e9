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


@pytest.mark.parametrize(
    ("text", "gone"),
    [
        ("card 4111 1111 1111 1111 exp 12/29 cvv 123", ("12/29", "123")),
        ("expires 03-2027, security code: 4321", ("03-2027", "4321")),
        ("valid thru 11/26 cvc 987", ("11/26", "987")),
    ],
)
def test_card_expiry_and_security_code_are_replaced(text: str, gone: tuple[str, ...]) -> None:
    out = redact(text)
    assert all(g not in out for g in gone), out


def test_session_files_and_the_log_keep_no_contact_or_card_details(
    tmp_path: Path, demo_db: Path
) -> None:
    """The leaks the trust issue found: a session file with the raw query (phone, email)
    and the customer id; the request log (and its WAL) with "exp 12/29 cvv 123"."""
    (tmp_path / "catalog.sqlite3").write_bytes(demo_db.read_bytes())
    r = kiosk(
        tmp_path,
        "ask",
        "--session",
        "s2",
        "--no-llm",
        "--loyalty",
        "7",
        "tents, call me at 555 123-4567 or mail jane.doe@gmail.com",
    )
    assert r.returncode == 0, r.stderr
    session = (tmp_path / "sessions" / "s2.json").read_text()
    for secret in ("123-4567", "jane", "gmail", '"customer_id": "7"'):
        assert secret not in session, secret
    assert '"membership"' in session, "the tier (which names no one) is kept"
    typed = "my card is 4111 1111 1111 1111 exp 12/29 cvv 123, do you have stoves?\n1234\n"
    r = kiosk(tmp_path, env={"KIOSK_LLM_BACKEND": "none"}, stdin=typed)
    assert r.returncode == 0, r.stderr
    with sqlite3.connect(tmp_path / "catalog.sqlite3") as conn:
        texts = [row[0] for row in conn.execute("SELECT text FROM request_log")]
    assert len(texts) == 1, "a request that is only a number (a PIN, say) is not logged"
    disk = _disk_bytes(tmp_path)
    for secret in (b"12/29", b"cvv 123", b"4111"):
        assert secret not in disk, secret

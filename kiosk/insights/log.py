"""The request log: one redacted row per shopper turn, and its retention.

What is kept: the request text after `kiosk.privacy.redact` (no emails, phone, card
or loyalty numbers), its content words, the intent, how many products were shown and
how well they matched, whether the kiosk could answer, the kiosk's name, the local
day and minute, and a random per-visit token. The token comes from `secrets`, not
from anything about the shopper, and is replaced when the session is wiped ("start
over", idle timeout): requests of one visit can be counted together, a visit can't
be tied to a person or to the next visit.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from kiosk.assistant.lexicon import singular, words
from kiosk.assistant.reply import Intent, Reply
from kiosk.assistant.session import Session
from kiosk.catalog.db import transaction
from kiosk.insights.text import normalize
from kiosk.privacy import redact

MAX_TEXT = 300
# A shown product whose name, brand and category share less than this share of the
# request's content words is a weak match ("wood table dark cognac" -> a camping table).
WEAK_SCORE = 0.5
# Intents whose request names something to find: no products, or weak ones, is unmet demand.
SEARCH_INTENTS = frozenset(
    {Intent.FIND_PRODUCT, Intent.PRODUCT_INFO, Intent.PRODUCT_LOCATION, Intent.COMPARE}
)
# Template words of a reply that relaxed the request ("We don't have X. The closest ...").
_RELAXED = ("we don't have", "the closest")


def new_session_token() -> str:
    """A fresh random token for one shopper visit (64 random bits, hex)."""
    return secrets.token_hex(8)


class SessionTokens:
    """Random per-visit tokens, rotated when the assistant wipes a session.

    Call `token(session)` after each `Assistant.turn`. A turn adds one to
    `session.turns`; after a wipe ("start over", idle) the count starts again, so a
    count that did not grow means a new visit and a new token. Nothing is derived
    from the session id or from the shopper.
    """

    def __init__(self) -> None:
        self._seen: dict[str, tuple[str, int]] = {}

    def token(self, session: Session) -> str:
        current = self._seen.get(session.id)
        if current is None or session.turns <= current[1]:
            current = (new_session_token(), session.turns)
        self._seen[session.id] = (current[0], session.turns)
        return current[0]

    def forget(self, session: Session) -> None:
        """The session was wiped outside a turn (kiosk idle screen): next turn, new token."""
        self._seen.pop(session.id, None)


@dataclass(frozen=True)
class LoggedTurn:
    """One request_log row as the insight modules read it."""

    id: int
    day: str
    at: str
    kiosk: str
    intent: str
    text: str
    query: str
    found: int
    top_score: float | None
    product_ids: tuple[str, ...]
    answered: bool
    session: str

    @property
    def weak(self) -> bool:
        return self.top_score is not None and self.top_score < WEAK_SCORE

    @property
    def unmet(self) -> bool:
        """A request for something the store didn't show, or showed only loosely."""
        return self.intent in SEARCH_INTENTS and bool(self.query) and (self.found == 0 or self.weak)


def local_time(now: datetime | None) -> datetime:
    """`now` in local time (naive datetimes are taken as local already)."""
    if now is None:
        return datetime.now()
    return now.astimezone().replace(tzinfo=None) if now.tzinfo else now


def match_score(query: str, conn: sqlite3.Connection, product_ids: list[str]) -> float | None:
    """How much of the request the best shown product names: 0..1, None if none shown.

    The share of the request's content words found in a product's name, brand,
    category or spec values (singular forms, so "boots" matches "Boots").
    """
    asked = set(query.split())
    if not product_ids:
        return None
    if not asked:
        return 1.0
    marks = ",".join("?" * len(product_ids))
    best = 0.0
    for row in conn.execute(
        f"SELECT name, brand, category, attributes FROM products WHERE id IN ({marks})",
        product_ids,
    ):
        have = {singular(w) for w in words(" ".join(str(v) for v in row))}
        best = max(best, len(asked & have) / len(asked))
    return round(best, 3)


def answered(reply: Reply) -> bool:
    """Could the kiosk answer? Read from the reply's structure, not its wording.

    The text may be rephrased by the model, so products and sources decide: a
    product question answered from facts cites a source beyond the product row; a
    policy answer cites its document; "which product?" shows nothing.
    """
    intent = reply.intent
    if intent == Intent.OUT_OF_SCOPE:
        return False
    if intent == Intent.FIND_PRODUCT:
        return bool(reply.products)
    if intent == Intent.PRODUCT_INFO:
        return bool(reply.products) and len(reply.sources) >= 2
    if intent == Intent.PRODUCT_LOCATION:
        return any(c.aisle for c in reply.products)
    if intent == Intent.COMPARE:
        return len(reply.products) >= 2
    if intent == Intent.STORE_POLICY:
        return bool(reply.sources)
    return True  # greeting, call_staff, feedback: handled


def record_turn(
    conn: sqlite3.Connection,
    *,
    text: str,
    reply: Reply,
    session_token: str,
    kiosk: str,
    now: datetime | None = None,
) -> None:
    """Log one shopper turn (redacted) in its own transaction.

    Call it after `Assistant.turn`, with a token from `SessionTokens` or
    `new_session_token`. `text` is what the shopper said or typed; it is redacted
    here, before anything is written.
    """
    when = local_time(now)
    clean = redact(text).strip()[:MAX_TEXT]
    query = normalize(clean)
    ids = [c.id for c in reply.products]
    if reply.slots.get("purchased") or any(a.kind == "loyalty" for a in reply.actions):
        # "The tent I bought": what was shown came from a loyalty customer's orders, and
        # orders + kiosk + minute could point at the customer. Keep the count only.
        ids = []
    # Only a search's results can match loosely; a named product in a question is exact.
    score = match_score(query, conn, ids) if reply.intent == Intent.FIND_PRODUCT else None
    low = reply.text.lower()
    if (
        score is not None
        and reply.intent == Intent.FIND_PRODUCT
        and all(m in low for m in _RELAXED)
    ):
        score = min(score, WEAK_SCORE / 2)  # the kiosk itself said it had only something close
    with transaction(conn):
        conn.execute(
            "INSERT INTO request_log (day, at, kiosk, intent, text, query, found, top_score, "
            "product_ids, answered, session, timings) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                when.strftime("%Y-%m-%d"),
                when.strftime("%Y-%m-%dT%H:%M"),
                kiosk,
                str(reply.intent),
                clean,
                query,
                len(reply.products),
                score,
                ",".join(ids),
                int(answered(reply)),
                session_token,
                json.dumps({k: round(v) for k, v in reply.timings_ms.items()}),
            ),
        )


def turns(
    conn: sqlite3.Connection, *, days: int | None = None, now: datetime | None = None
) -> list[LoggedTurn]:
    """Logged turns, oldest first; only the last `days` local days when given."""
    if not _has_table(conn, "request_log"):
        return []
    sql = "SELECT * FROM request_log"
    params: tuple[str, ...] = ()
    if days is not None:
        sql += " WHERE day > ?"
        params = ((local_time(now) - timedelta(days=days)).strftime("%Y-%m-%d"),)
    return [
        LoggedTurn(
            r["id"],
            r["day"],
            r["at"],
            r["kiosk"],
            r["intent"],
            r["text"],
            r["query"],
            r["found"],
            r["top_score"],
            tuple(p for p in r["product_ids"].split(",") if p),
            bool(r["answered"]),
            r["session"],
        )
        for r in conn.execute(sql + " ORDER BY id", params)
    ]


def apply_retention(conn: sqlite3.Connection, days: int, now: datetime | None = None) -> int:
    """Delete what shoppers said more than `days` days ago; returns rows deleted.

    Covers the request log (local day older than the last `days` days) and the
    `feedback` table too: a comment is shopper text like a request, kept under the
    same promise ("retention period configurable and enforced"), and the report
    reads it from there. Staff calls are left alone: they are the staff console's
    work queue, not analytics. `days` of 0 or less keeps nothing.
    """
    local = local_time(now)
    cutoff_day = (local - timedelta(days=max(days, 0))).strftime("%Y-%m-%d")
    # feedback.at is UTC ('...Z'): compare with the same instant in UTC.
    aware = (now if now is not None and now.tzinfo else local.astimezone()) - timedelta(
        days=max(days, 0)
    )
    cutoff_at = aware.astimezone(tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    deleted = 0
    with transaction(conn):
        if _has_table(conn, "request_log"):
            if days <= 0:
                deleted += conn.execute("DELETE FROM request_log").rowcount
            else:
                deleted += conn.execute(
                    "DELETE FROM request_log WHERE day <= ?", (cutoff_day,)
                ).rowcount
        deleted += conn.execute("DELETE FROM feedback WHERE at < ?", (cutoff_at,)).rowcount
    return deleted


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    """False on a read-only catalog still at schema version 2 (never upgraded)."""
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,))
    return row.fetchone() is not None


def recent_timings(conn: sqlite3.Connection, limit: int = 5) -> list[dict[str, float]]:
    """The stage timings of the last turns, newest last, for the technician view."""
    if not _has_table(conn, "request_log"):
        return []
    rows = conn.execute(
        "SELECT timings FROM request_log ORDER BY id DESC LIMIT ?", (limit,)
    ).fetchall()
    return [json.loads(r[0]) for r in reversed(rows)]

"""The request log's store: one redacted row per shopper turn, and its retention.

What is kept: the request text after `kiosk.text.privacy.redact` (no emails, phone,
card or loyalty numbers), its content words, the intent, how many products were shown
and how well they matched, whether the kiosk could answer, the kiosk's name, the local
day and minute, and a random per-visit token. The token comes from `secrets`, not
from anything about the shopper, and is replaced when the session is wiped ("start
over", idle timeout): requests of one visit can be counted together, a visit can't
be tied to a person or to the next visit.

The SQL lives here, beside the catalog; the assistant decides what a row says
(`kiosk.assistant.record`), the insights read the rows back (`turns`).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from rapidfuzz import fuzz, process

from kiosk.catalog.db import transaction
from kiosk.text.synonyms import SYNONYMS
from kiosk.text.words import singular, words

MAX_TEXT = 300
# A shown product whose name, brand and category share less than this share of the
# request's content words is a weak match ("wood table dark cognac" -> a camping table).
WEAK_SCORE = 0.5
# Intents whose request names something to find: no products, or weak ones, is unmet demand.
SEARCH_INTENTS = frozenset({"find_product", "product_info", "product_location", "compare"})


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
    lang: str = "en"  # the language the request was made in ('en', 'zh')

    @property
    def weak(self) -> bool:
        return self.top_score is not None and self.top_score < WEAK_SCORE

    @property
    def unmet(self) -> bool:
        """A request for something the store didn't show, or showed only loosely; or one
        for something it doesn't sell (out_of_scope: answered with what it has nearest
        in meaning, or with nothing near)."""
        if self.intent == "out_of_scope":
            # Offered what is nearest, or told the store has nothing like it (score 0);
            # not a question the kiosk doesn't take ("what's the weather").
            return bool(self.query) and (self.found > 0 or self.top_score == 0.0)
        return self.intent in SEARCH_INTENTS and bool(self.query) and (self.found == 0 or self.weak)


def local_time(now: datetime | None) -> datetime:
    """`now` in local time (naive datetimes are taken as local already)."""
    if now is None:
        return datetime.now()
    return now.astimezone().replace(tzinfo=None) if now.tzinfo else now


def match_score(query: str, conn: sqlite3.Connection, product_ids: list[str]) -> float | None:
    """How much of the request the best shown product names: 0..1, None if none shown.

    The share of the request's content words found in a product's name, brand,
    category or spec values (singular forms, so "boots" matches "Boots"; a typo the
    search corrected counts too, so "hikng bootz" that found the boots is not unmet).
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
        hit = sum(1 for w in asked if w in have or _misspelt(w, have) or _synonym(w, have))
        best = max(best, hit / len(asked))
    return round(best, 3)


def _synonym(word: str, have: set[str]) -> bool:
    """A shopper's word for one of the product's ("raincoat" for a jacket), as
    understanding reads it (kiosk/text/synonyms.py)."""
    return any(singular(w) in have for w in SYNONYMS.get(word, ()))


def _misspelt(word: str, have: set[str]) -> bool:
    """A typo of one of the product's words, as the search's correction reads it."""
    if len(word) < 4 or word.isdigit():
        return False
    best = process.extractOne(word, have, scorer=fuzz.ratio, score_cutoff=85)
    return best is not None


@dataclass(frozen=True)
class RequestRow:
    """One turn as it is written: already redacted and reduced by the caller."""

    when: datetime  # local time
    kiosk: str
    intent: str
    text: str  # redacted, at most MAX_TEXT characters
    query: str  # content words
    found: int
    top_score: float | None
    product_ids: tuple[str, ...]
    answered: bool
    session: str
    timings_ms: dict[str, float]
    lang: str = "en"  # the language the shopper asked in


def insert(conn: sqlite3.Connection, row: RequestRow) -> None:
    """Write one row in its own transaction."""
    with transaction(conn):
        conn.execute(
            "INSERT INTO request_log (day, at, kiosk, intent, text, query, found, top_score, "
            "product_ids, answered, session, timings, lang) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                row.when.strftime("%Y-%m-%d"),
                row.when.strftime("%Y-%m-%dT%H:%M"),
                row.kiosk,
                row.intent,
                row.text[:MAX_TEXT],
                row.query,
                row.found,
                row.top_score,
                ",".join(row.product_ids),
                int(row.answered),
                row.session,
                json.dumps({k: round(v) for k, v in row.timings_ms.items()}),
                row.lang,
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
    return [_logged(r) for r in conn.execute(sql + " ORDER BY id", params)]


def turn(conn: sqlite3.Connection, row_id: int) -> LoggedTurn | None:
    """One logged turn by its id (what `kiosk label` corrects); None if it is gone."""
    if not _has_table(conn, "request_log"):
        return None
    r = conn.execute("SELECT * FROM request_log WHERE id = ?", (row_id,)).fetchone()
    return _logged(r) if r is not None else None


def latest(conn: sqlite3.Connection, limit: int, intent: str | None = None) -> list[LoggedTurn]:
    """The newest logged turns, newest first; only one intent's when given."""
    if not _has_table(conn, "request_log"):
        return []
    where, params = ("WHERE intent = ?", (intent, limit)) if intent else ("", (limit,))
    sql = f"SELECT * FROM request_log {where} ORDER BY id DESC LIMIT ?"
    return [_logged(r) for r in conn.execute(sql, params)]


def _logged(r: sqlite3.Row) -> LoggedTurn:
    return LoggedTurn(
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
        r["lang"] if "lang" in r.keys() else "en",  # noqa: SIM118 (a log before schema 6)
    )


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

"""What one shopper turn leaves in the request log: redacted text and what was shown.

The assistant decides what a row says (it knows the reply's structure); the store
beside the catalog (`kiosk.catalog.requestlog`) writes it, and the insights read it.
Redaction happens here, before anything reaches the disk.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime

from kiosk.assistant.reply import ActionKind, Intent, Reply
from kiosk.catalog import requestlog
from kiosk.text.content import normalize
from kiosk.text.language import EN, HAN_CHARS
from kiosk.text.privacy import redact

# Template words of a reply that relaxed the request ("We don't have X. The closest ...").
_RELAXED = ("we don't have", "the closest")
# A request that is only a number (a PIN typed into the wrong box, a phone extension, a
# loyalty or order number) says nothing about demand and may be a secret: never logged.
_ONLY_A_NUMBER = re.compile(r"[\d\s#*+().,/-]*")
_WORD_RUNS = re.compile(f"[{HAN_CHARS}]+|[a-z0-9]+")


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
    """Log one shopper turn (redacted) in its own transaction; a bare number is not logged.

    `text` is what the shopper said or typed; it is redacted here, before anything
    is written. `session_token` is the visit's random token (`Session.token`).
    """
    if _ONLY_A_NUMBER.fullmatch(text.strip()):
        return
    clean = redact(text).strip()[: requestlog.MAX_TEXT]
    english = reply.lang == EN
    # Chinese has no spaces and none of the English content words: its query is the
    # request's own words (runs of Han characters, Latin words), so it is counted.
    query = normalize(clean) if english else " ".join(_WORD_RUNS.findall(clean.lower()))
    ids = [c.id for c in reply.products]
    if reply.slots.get("purchased") or any(a.kind == ActionKind.LOYALTY for a in reply.actions):
        # "The tent I bought": what was shown came from a loyalty customer's orders, and
        # orders + kiosk + minute could point at the customer. Keep the count only.
        ids = []
    # Only a search's results can match loosely; a named product in a question is exact.
    # (How much of a Chinese request a product's English name covers can't be measured
    # by shared words: a Chinese search that found products is taken as met.)
    score = (
        requestlog.match_score(query, conn, ids)
        if reply.intent == Intent.FIND_PRODUCT and english
        else None
    )
    if reply.not_sold:
        score = 0.0  # nothing the store has matched what was asked
    if score is not None and reply.by_meaning:
        score = max(score, requestlog.WEAK_SCORE)  # fits by meaning, not by shared words
    low = reply.text.lower()
    if score is not None and all(m in low for m in _RELAXED):
        score = min(score, requestlog.WEAK_SCORE / 2)  # the kiosk itself said "only close"
    requestlog.insert(
        conn,
        requestlog.RequestRow(
            when=requestlog.local_time(now),
            kiosk=kiosk,
            intent=str(reply.intent),
            text=clean,
            query=query,
            found=len(reply.products),
            top_score=score,
            product_ids=tuple(ids),
            answered=answered(reply),
            session=session_token,
            timings_ms=dict(reply.timings_ms),
            lang=reply.lang,
        ),
    )

"""One shopper's conversation: what was shown, so "cheaper ones?" and "where is it?" work.

Privacy: a session holds structured state (product ids, filters, tier), never audio,
and is wiped when the kiosk goes idle or the shopper says "start over". `kiosk ask
--session ID` keeps it between processes in $KIOSK_HOME/sessions/ID.json for at
most the idle timeout (an expired file is deleted on the next read); what the file
keeps is redacted, and a loyalty customer's id never goes into it (pass `--loyalty`
again for the purchase history; the membership tier is kept).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from kiosk.text.privacy import redact


def new_session_token() -> str:
    """A fresh random token for one shopper visit (64 random bits, hex)."""
    return secrets.token_hex(8)


@dataclass
class Session:
    id: str = "local"
    last_active: float = field(default_factory=time.time)
    # The last search, so refinements re-run it with one thing changed.
    query: str = ""
    category: str | None = None
    kind: str | None = None
    brand: str | None = None
    min_price_cents: int | None = None
    max_price_cents: int | None = None
    size: str | None = None
    color: str | None = None
    capacity: int | None = None
    features: list[str] = field(default_factory=list)
    shown: list[str] = field(default_factory=list)  # product ids on screen, in order
    focus: list[str] = field(default_factory=list)  # the product(s) "it" refers to
    membership: str | None = None  # from the loyalty number or what the shopper said
    customer_id: str | None = None  # loyalty customer, for "the tent I bought"
    turns: int = 0
    last_request: str = ""  # redacted, for the staff call note
    staff_call: int | None = None  # this visit's open staff call: one per visit
    lang: str = "en"  # the language of the shopper's last request ('en', 'zh')
    # Random, rotated with every new shopper: lets the anonymous request log count
    # what was asked together in one visit without tying a visit to a person.
    token: str = field(default_factory=new_session_token)

    def reset(self) -> None:
        """Forget everything about the shopper (idle, "start over")."""
        fresh = Session(id=self.id)
        self.__dict__.update(fresh.__dict__)

    def idle_for(self, now: float | None = None) -> float:
        return (now or time.time()) - self.last_active


_SAFE_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class SessionStore:
    """Sessions kept between `kiosk ask --session ID` calls, expiring after idle_s."""

    def __init__(self, directory: Path, idle_s: float) -> None:
        self.directory = directory
        self.idle_s = idle_s

    def _path(self, session_id: str) -> Path:
        if not _SAFE_ID.match(session_id):
            raise ValueError(
                f"session id {session_id!r}: use 1-64 letters, digits, '.', '_' or '-'"
            )
        return self.directory / f"{session_id}.json"

    def load(self, session_id: str) -> Session:
        path = self._path(session_id)
        try:
            data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
            session = Session(**data)
        except (FileNotFoundError, ValueError, TypeError):
            return Session(id=session_id)
        if session.idle_for() > self.idle_s:
            path.unlink(missing_ok=True)
            return Session(id=session_id)
        return session

    def save(self, session: Session) -> None:
        path = self._path(session.id)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        data = asdict(session)
        # Privacy: what reaches the disk is redacted, and a loyalty customer's id is kept
        # only in memory for the visit (the tier, which names no one, is kept).
        data["query"] = redact(session.query)
        data["last_request"] = redact(session.last_request)
        data["customer_id"] = None
        try:
            tmp.write_text(json.dumps(data), encoding="utf-8")
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)
        except OSError:
            tmp.unlink(missing_ok=True)  # a full disk leaves no half file behind
            raise

    def sweep(self) -> int:
        """Delete every expired session file; returns how many."""
        removed = 0
        if not self.directory.is_dir():
            return 0
        for path in self.directory.glob("*.json"):
            if time.time() - path.stat().st_mtime > self.idle_s:
                path.unlink(missing_ok=True)
                removed += 1
        return removed

"""`kiosk train` and `kiosk label`: a store teaches the kiosk how its shoppers talk.

Staff correct the intent of a logged request the kiosk misunderstood (`kiosk label
ID INTENT`, or the console); the correction is appended to the store's corrections
file. `kiosk train` then fits the classifier on the shipped rows, the store's own
labelled file and those corrections, prints held-out accuracy, and writes the model
to KIOSK_HOME, where it overrides the shipped one from the next turn on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kiosk.assistant.intents import files
from kiosk.assistant.intents.examples import (
    Example,
    append_correction,
    check_label,
    read_examples,
    shipped_examples,
)
from kiosk.assistant.intents.train import TrainReport, train
from kiosk.catalog import requestlog
from kiosk.catalog.repository import Catalog
from kiosk.config import Config
from kiosk.errors import KioskError
from kiosk.llm.base import Progress
from kiosk.llm.embed import load_embedder


@dataclass(frozen=True)
class Trained:
    report: TrainReport
    path: Path
    sources: tuple[str, ...]  # the store's files that were read


def store_examples(cfg: Config, extra: list[Path] | None = None) -> tuple[list[Example], list[str]]:
    """The store's labelled rows: its examples file, corrections, and files named."""
    paths = [files.store_examples(cfg), files.corrections(cfg), *(extra or [])]
    rows: list[Example] = []
    used: list[str] = []
    for i, path in enumerate(paths):
        # The configured file may not exist yet; a file named on the command line must.
        if i < 2 and not path.exists():
            continue
        rows += read_examples(path)
        used.append(str(path))
    return rows, used


def retrain(
    cfg: Config,
    *,
    extra: list[Path] | None = None,
    shipped_only: bool = False,
    out: Path | None = None,
    progress: Progress | None = None,
) -> Trained:
    """Train and write the model; `shipped_only` rebuilds the shipped one (developers)."""
    mine, used = ([], []) if shipped_only else store_examples(cfg, extra)
    target = out or (files.SHIPPED_MODEL if shipped_only else files.store_model(cfg))
    embedder = load_embedder(cfg, progress=progress)
    try:
        if progress:
            progress("embedding the labelled requests…")
        cache = None if shipped_only else files.store_dir(cfg) / "vectors.npz"
        model, report = train(shipped_examples(), mine, embedder, cache=cache)
    finally:
        embedder.close()
    try:
        model.save(target)
    except OSError as exc:
        raise KioskError(
            f"can't write {target}: {exc.strerror or exc}", code="train_unwritable"
        ) from None
    return Trained(report, target, tuple(used))


def label(cfg: Config, request_id: int, intent: str) -> str:
    """Correct one logged request's intent; the sentence says what was saved where."""
    try:
        label_ = check_label(intent)
    except ValueError as exc:
        raise KioskError(str(exc), code="bad_intent") from None
    with Catalog.open(cfg.catalog_path, create=False) as catalog:
        logged = requestlog.turn(catalog.conn, request_id)
    if logged is None:
        raise KioskError(f"no logged request #{request_id}", code="request_unknown")
    if not logged.text.strip():
        raise KioskError(f"request #{request_id} has no text to learn from", code="request_empty")
    path = files.corrections(cfg)
    try:
        append_correction(path, logged.text, label_)
    except OSError as exc:
        raise KioskError(
            f"can't write {path}: {exc.strerror or exc}", code="label_unwritable"
        ) from None
    return (
        f"#{request_id} {logged.text!r}: {logged.intent} -> {label_} (saved in {path}; "
        "`kiosk train` learns it)"
    )


def recent(cfg: Config, limit: int = 20, intent: str | None = None) -> list[requestlog.LoggedTurn]:
    """The newest logged requests, for staff to look over and correct."""
    with Catalog.open(cfg.catalog_path, create=False) as catalog:
        return latest_requests(catalog, limit, intent)


def latest_requests(
    catalog: Catalog, limit: int, intent: str | None = None
) -> list[requestlog.LoggedTurn]:
    """The same from an open catalog (the staff console's)."""
    return requestlog.latest(catalog.conn, limit, intent)

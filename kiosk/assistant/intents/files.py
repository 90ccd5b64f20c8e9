"""Where the intent model and the store's examples live, and loading the model.

The shipped model (`data/model.npz`, built by `kiosk train --shipped` from the
shipped rows) answers from the first turn; a store's `kiosk train` writes its own to
KIOSK_HOME/intents/model.npz, which then takes over (an unreadable one is passed
over for the shipped one). A model trained on another embedding model's vectors
would classify noise: it is not used.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

from kiosk.assistant.intents.examples import DATA
from kiosk.assistant.intents.model import IntentModel
from kiosk.config import Config

log = logging.getLogger(__name__)

SHIPPED_MODEL = DATA / "model.npz"


def store_dir(cfg: Config) -> Path:
    return cfg.home_path / "intents"


def store_model(cfg: Config) -> Path:
    """The store's trained model (written by `kiosk train`)."""
    return store_dir(cfg) / "model.npz"


def store_examples(cfg: Config) -> Path:
    """The store's own labelled requests (`assistant.intent_examples`)."""
    configured = cfg.assistant.intent_examples
    return Path(configured).expanduser() if configured else store_dir(cfg) / "examples.csv"


def corrections(cfg: Config) -> Path:
    """Staff corrections of logged requests (`kiosk label`), text,intent."""
    return store_dir(cfg) / "corrections.csv"


def candidates(cfg: Config) -> list[Path]:
    """The models to try, best first: the store's (if it has one), then the shipped one."""
    mine = store_model(cfg)
    return [mine, SHIPPED_MODEL] if mine.exists() else [SHIPPED_MODEL]


def open_model(path: Path, embedder: str) -> IntentModel:
    """One model file, checked: ValueError saying why it can't be used."""
    try:
        model = _load(path, path.stat().st_mtime_ns)
    except OSError as exc:
        raise ValueError(f"{path}: {exc.strerror or exc}") from None
    if model.embedder != embedder:
        raise ValueError(
            f"{path} was trained on {model.embedder} vectors, not {embedder}'s (run `kiosk train`)"
        )
    return model


def load_intent_model(cfg: Config, embedder: str) -> IntentModel | None:
    """The model for this kiosk: the store's, else (said in the log) the shipped one;
    None when the classifier is off or no model can be used (rules only)."""
    if not cfg.assistant.intent_classifier:
        return None
    for path in candidates(cfg):
        try:
            return open_model(path, embedder)
        except ValueError as exc:
            log.warning("intent model not used: %s", exc)
    return None


@lru_cache(maxsize=4)
def _load(path: Path, _stamp: int) -> IntentModel:
    """One read per file version (the stamp changes when `kiosk train` rewrites it)."""
    return IntentModel.load(path)

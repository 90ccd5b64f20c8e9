"""Where the intent model and the store's examples live, and loading the model.

The shipped model (`data/model.npz`, built by `kiosk train --shipped` from the
shipped rows) answers from the first turn; a store's `kiosk train` writes its own to
KIOSK_HOME/intents/model.npz, which then takes over. A model trained on another
embedding model's vectors would classify noise: it is not loaded.
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


def model_for(cfg: Config) -> Path:
    """The model the kiosk uses: the store's if it has one, else the shipped one."""
    mine = store_model(cfg)
    return mine if mine.is_file() else SHIPPED_MODEL


def load_intent_model(cfg: Config, embedder: str) -> IntentModel | None:
    """The model for this kiosk, or None (off, missing, unreadable, another embedder)."""
    if not cfg.assistant.intent_classifier:
        return None
    path = model_for(cfg)
    try:
        model = _load(path, path.stat().st_mtime_ns)
    except (OSError, ValueError) as exc:
        log.warning("intent model not loaded, rules only: %s", exc)
        return None
    if model.embedder != embedder:
        log.warning(
            "intent model %s was trained on %s vectors, not %s: rules only (run `kiosk train`)",
            path,
            model.embedder,
            embedder,
        )
        return None
    return model


@lru_cache(maxsize=4)
def _load(path: Path, _stamp: int) -> IntentModel:
    """One read per file version (the stamp changes when `kiosk train` rewrites it)."""
    return IntentModel.load(path)

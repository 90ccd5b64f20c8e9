"""Shared fixtures: real SQLite catalogs built from the real Contoso data."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from kiosk import models
from kiosk.catalog.demo import seed_demo
from kiosk.catalog.repository import Catalog
from kiosk.config import Config, load
from kiosk.llm.local import LocalLlama
from kiosk.speech.tts import Synthesizer

ROOT = Path(__file__).resolve().parent.parent
# Real data the tests read, kept in the repo with its licences (see data/README.md).
DATA = Path(__file__).resolve().parent / "data"
CONTOSO = DATA / "stores" / "contoso-outdoors"


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo store, seeded once per session; tests copy it before writing."""
    path = tmp_path_factory.mktemp("demo") / "catalog.sqlite3"
    assert seed_demo(path)
    # With its product vectors, as `kiosk demo` leaves it (search by meaning).
    from kiosk.assistant.meaning import catch_up
    from kiosk.llm.embed import load_embedder

    embedder = load_embedder(load(env={"KIOSK_LLM_N_THREADS": "1"}))
    try:
        with Catalog.open(path) as catalog:
            catch_up(catalog, embedder)
    finally:
        embedder.close()
    return path


@pytest.fixture
def demo_catalog(demo_db: Path, tmp_path: Path) -> Iterator[Catalog]:
    """A private, writable copy of the demo store."""
    path = tmp_path / "catalog.sqlite3"
    shutil.copy(demo_db, path)
    with Catalog.open(path) as catalog:
        yield catalog


@pytest.fixture(scope="session")
def llm_cfg() -> Config:
    """Defaults with 2 decode threads, as on the 2-core kiosk."""
    return load(env={"KIOSK_LLM_N_THREADS": "2"})


@pytest.fixture(scope="session")
def bundled_llm(llm_cfg: Config) -> Iterator[LocalLlama]:
    """The real bundled GGUF, loaded once for the whole run."""
    m = LocalLlama(models.resolve(llm_cfg, "llm"), llm_cfg)
    yield m
    m.close()


def kiosk(
    home: Path, *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`kiosk ARGS` in a fresh process as a store script runs it, on its own KIOSK_HOME."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    full_env.update({"KIOSK_HOME": str(home), **(env or {})})
    return subprocess.run(
        [sys.executable, "-m", "kiosk", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=300,
    )


def steady_speech(voice: Synthesizer, text: str) -> npt.NDArray[np.int16]:
    """Piper's speech for `text` with its random variation off: the same audio every run.

    Piper adds noise to each utterance (noise_scale 0.667 for this voice), so a word
    Whisper hears right nine times in ten fails a test the tenth; tests that assert
    what was heard use this steady rendering.
    """
    from piper import SynthesisConfig

    steady = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)
    chunks = [c.audio_int16_array for c in voice.voice.synthesize(text, steady)]
    return np.concatenate(chunks).astype(np.int16, copy=False)

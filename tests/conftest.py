"""Shared fixtures: real SQLite catalogs built from the real Contoso data."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk import provision
from kiosk.catalog.demo import seed_demo
from kiosk.catalog.repository import Catalog
from kiosk.config import Config, load
from kiosk.llm.local import LocalLlama

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CONTOSO = SHARED / "data" / "stores" / "contoso-outdoors"


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo store, seeded once per session; tests copy it before writing."""
    path = tmp_path_factory.mktemp("demo") / "catalog.sqlite3"
    assert seed_demo(path)
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
    m = LocalLlama(provision.resolve(llm_cfg, "llm"), llm_cfg)
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

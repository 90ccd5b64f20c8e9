"""Shared fixtures: real SQLite catalogs built from the real Contoso data."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.catalog.demo import seed_demo
from kiosk.catalog.repository import Catalog

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

"""The background catch-up of product vectors, on a real demo catalog and the real model."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from kiosk.config import load
from kiosk.ops.catchup import start_catch_up, vectors_missing
from kiosk.ops.doctor import run_checks


def _missing_vectors_home(tmp_path: Path, demo_db: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(demo_db, home / "catalog.sqlite3")
    conn = sqlite3.connect(home / "catalog.sqlite3")
    conn.execute("DELETE FROM product_vectors WHERE CAST(product_id AS INTEGER) > 5")
    conn.commit()
    conn.close()
    return home


@pytest.mark.slow
def test_missing_vectors_are_made_by_a_background_process(tmp_path: Path, demo_db: Path) -> None:
    cfg = load(path=None, env={"KIOSK_HOME": str(_missing_vectors_home(tmp_path, demo_db))})
    assert vectors_missing(cfg) == 15
    assert start_catch_up(cfg, above=15) is None  # not more than the threshold: left inline
    proc = start_catch_up(cfg)
    assert proc is not None
    assert proc.wait(timeout=120) == 0
    assert vectors_missing(cfg) == 0
    assert start_catch_up(cfg) is None  # nothing left to do: nothing started
    row = {c.name: c for c in run_checks(cfg)}["vectors"]
    assert row.status == "ok" and "20 of 20" in row.detail


def test_no_catalog_or_no_model_means_nothing_to_catch_up(tmp_path: Path) -> None:
    cfg = load(path=None, env={"KIOSK_HOME": str(tmp_path)})  # no catalog here
    assert vectors_missing(cfg) == 0 and start_catch_up(cfg) is None
    cfg = load(path=None, env={"KIOSK_HOME": str(tmp_path), "KIOSK_MODELS_EMBED": "/nope.gguf"})
    assert vectors_missing(cfg) == 0

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


@pytest.mark.slow
async def test_the_screen_starts_the_catch_up_for_a_big_catalog(tmp_path: Path) -> None:
    """A catalog over the inline limit imported without vectors: the shopper screen starts
    `kiosk vectors` beside itself at once, and shoppers are answered meanwhile."""
    import os
    import time

    from kiosk.assistant.meaning import INLINE_CATCH_UP
    from kiosk.catalog.db import connect
    from kiosk.catalog.importers import import_paths
    from kiosk.catalog.repository import Catalog
    from kiosk.ui.shopper import ShopperApp
    from tests.screens import screen_cfg, type_request

    n = INLINE_CATCH_UP + 20
    feed = tmp_path / "feed.csv"
    rows = [f"{i},Trail Lantern {i},{10 + i % 50},Lighting" for i in range(n)]
    feed.write_text("id,name,price,category\n" + "\n".join(rows) + "\n", encoding="utf-8")
    home = tmp_path / "home"
    home.mkdir()
    conn = connect(home / "catalog.sqlite3")
    import_paths(conn, [feed])  # no vectors: as `kiosk import --no-vectors`
    conn.close()
    cfg = screen_cfg(home)
    assert vectors_missing(cfg) == n
    with Catalog.open(cfg.catalog_path) as catalog:
        app = ShopperApp(cfg, catalog)
        async with app.run_test(size=(100, 30)) as pilot:
            await type_request(app, pilot, "lantern")  # answered while the vectors are made
            assert "Trail Lantern" in " ".join(c.card.name for c in app.query("ProductCard"))
    pid = int((home / "vectors-catch-up.pid").read_text())
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and os.waitpid(pid, os.WNOHANG) == (0, 0):
        time.sleep(0.2)  # (the screen's child: reaped here, so it can't linger as a zombie)
    assert vectors_missing(cfg) == 0

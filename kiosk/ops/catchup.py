"""The product vectors a big catalog still lacks, made beside the running kiosk.

A small store's missing vectors are made inline on a shopper's turn (meaning.py,
INLINE_CATCH_UP); a big one (an `import --no-vectors` of 100k products, a new
embedding model) would take minutes, so the shopper screen starts `kiosk vectors` as
a separate, lower-priority process: its own model and its own connection, nothing
shared with the screen's threads. Shoppers are answered by words meanwhile, and
each turn picks up what is ready (the vector generation moves on every batch).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

from kiosk.catalog import vectors
from kiosk.catalog.db import connect
from kiosk.config import Config
from kiosk.errors import KioskError
from kiosk.models.paths import resolve

log = logging.getLogger(__name__)

NICENESS = 10  # below the screen and speech: a shopper never waits on the catch-up


def vector_stats(cfg: Config) -> tuple[str, vectors.VectorStats]:
    """The configured embedding model's name and how far the catalog's vectors of it
    are (read-only). ModelError when there is no model, CatalogError when no catalog."""
    model = resolve(cfg, "embed").name
    conn = connect(cfg.catalog_path, create=False, readonly=True)
    try:
        return model, vectors.stats(conn, model)
    finally:
        conn.close()


def vectors_missing(cfg: Config) -> int:
    """Products without a current vector of the configured embedding model (0 when
    there is no model or no catalog: nothing a catch-up could do)."""
    try:
        return vector_stats(cfg)[1].missing
    except KioskError:
        return 0


def start_catch_up(cfg: Config, *, above: int = 0) -> subprocess.Popen[bytes] | None:
    """Start `kiosk vectors` in the background when more than `above` products lack
    vectors; None when none do or it can't start (logged: the kiosk answers by words)."""
    missing = vectors_missing(cfg)
    if missing <= above or _running(cfg):
        return None
    # The child reads the same config (KIOSK_CONFIG, KIOSK_* are inherited); the home
    # and the model are pinned so it writes the very catalog and model this kiosk reads.
    env = {
        **os.environ,
        "KIOSK_HOME": str(cfg.home_path),
        "KIOSK_MODELS_EMBED": str(resolve(cfg, "embed")),
        "KIOSK_LLM_N_THREADS": "1",
    }
    command = [sys.executable, "-m", "kiosk", "vectors", "--json"]
    nice = shutil.which("nice")  # (not preexec_fn: the screen has threads by now)
    if nice:
        command = [nice, "-n", str(NICENESS), *command]
    try:
        proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
    except OSError as exc:
        log.warning("product vectors not caught up in the background: %s", exc)
        return None
    _pid_file(cfg).write_text(str(proc.pid), encoding="utf-8")
    log.info("making %d product vectors in the background (pid %d)", missing, proc.pid)
    return proc


def _pid_file(cfg: Config) -> Path:
    return cfg.home_path / "vectors-catch-up.pid"


def _running(cfg: Config) -> bool:
    """A catch-up this kiosk started is still at it (a restarted screen doesn't start
    a second one embedding the same products)."""
    try:
        pid = int(_pid_file(cfg).read_text(encoding="utf-8").strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return False
    try:  # the pid may have been reused by something else since
        return b"vectors" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True

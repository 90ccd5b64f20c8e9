"""`kiosk bench startup`: how fast a kiosk answers its first request, and its memory.

Figures, never asserts (issue 16 sets the bars: `kiosk ask --no-llm` cold <= 0.8 s at
100,000 products; the screen's first turn <= 100 ms after "Ready"; every bundled model
resident < 1.5 GB). Three parts, on one catalog (the configured one, `--catalog PATH`,
or `--products N` generated and imported first, as a store's import would):

- cold `kiosk ask --no-llm`: a new process per request, as store scripts run it;
- the first and later turns in one process once the catalog is open (what the screen
  pays after "Ready"), without the chat model (it loads only when a turn needs it);
- resident memory with every bundled model loaded: chat, embeddings, ASR, voice.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from kiosk.assistant.pipeline import open_assistant
from kiosk.assistant.session import Session
from kiosk.bench.embed_bench import rss_mb
from kiosk.config import Config

REQUESTS = [
    "do you have tents?",
    "waterproof hiking boots under 100 dollars",
    "where can I find sleeping bags",
    "what is your return policy",
    "a red jacket in size M",
]


def _catalog(cfg: Config, products: int | None, catalog: str | None, tmp: Path) -> Path:
    if catalog:  # a kiosk home's catalog.sqlite3
        return Path(catalog)
    if not products:
        return cfg.catalog_path
    from kiosk.bench.search_bench import generate_csv
    from kiosk.catalog.db import connect
    from kiosk.catalog.importers import import_paths

    feed, db = tmp / "products.csv", tmp / "catalog.sqlite3"  # its KIOSK_HOME: tmp
    t = time.perf_counter()
    generate_csv(feed, products)
    conn = connect(db)
    import_paths(conn, [feed])
    conn.close()
    print(f"catalog: {products:,} generated products, imported in {time.perf_counter() - t:.1f} s")
    return db


def _cold_asks(db: Path, rounds: int) -> list[float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    env["KIOSK_HOME"] = str(db.parent)
    times = []
    for i in range(rounds):
        t = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "kiosk", "ask", "--no-llm", "--json", REQUESTS[i % 5]],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        times.append(time.perf_counter() - t)
        if proc.returncode != 0:
            print(f"  kiosk ask failed ({proc.returncode}): {proc.stderr.strip()[-300:]}")
            break
    return times


def _turns(cfg: Config) -> tuple[float, list[float], float]:
    t = time.perf_counter()
    with open_assistant(cfg, use_llm=False) as assistant:
        opened = (time.perf_counter() - t) * 1000
        session = Session()
        times = []
        for text in REQUESTS * 2:
            t = time.perf_counter()
            assistant.turn(session, text)
            times.append((time.perf_counter() - t) * 1000)
    return opened, times, rss_mb()


def _memory(cfg: Config) -> None:
    """Every bundled model loaded in this one process, the way a kiosk with voice runs."""
    from kiosk.errors import KioskError
    from kiosk.llm.embed import load_embedder
    from kiosk.llm.loader import load_chat_model
    from kiosk.speech.asr import Transcriber
    from kiosk.speech.tts import Synthesizer

    before = rss_mb()
    loaded: list[object] = []
    for name, load in (
        ("chat model", lambda: load_chat_model(cfg)),
        ("embeddings", lambda: load_embedder(cfg)),
        ("ASR (whisper)", lambda: Transcriber(cfg)),
        ("voice (piper)", lambda: Synthesizer(cfg)),
    ):
        try:
            loaded.append(load())
            print(f"  + {name:<15} RSS {rss_mb():7.0f} MB")
        except (KioskError, ImportError) as exc:
            print(f"  + {name:<15} not loaded: {exc}")
    total = rss_mb()
    print(
        f"resident memory with every model loaded: {total:.0f} MB "
        f"({total - before:.0f} MB for the models; target < 1,500 MB)"
    )


def run(cfg: Config, *, products: int | None, catalog: str | None = None, rounds: int = 5) -> int:
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as tmp:
        db = _catalog(cfg, products, catalog, Path(tmp))
        if not db.exists() or db.name != "catalog.sqlite3":
            print(f"no kiosk catalog at {db}: run `kiosk demo`, or give --products N")
            return 1
        cold = _cold_asks(db, max(3, rounds))
        if cold:
            print(
                "cold `kiosk ask --no-llm`, a new process each: "
                f"p50 {statistics.median(cold):.2f} s, max {max(cold):.2f} s "
                f"({len(cold)} runs; target <= 0.8 s at 100k products)"
            )
        opened, turns, rss = _turns(replace(cfg, home=str(db.parent)))
        print(
            f"in one process: catalog opened in {opened:.0f} ms; first turn {turns[0]:.1f} ms, "
            f"later turns p50 {statistics.median(turns[1:]):.1f} ms, max {max(turns[1:]):.1f} ms "
            f"(target: first turn <= 100 ms); RSS {rss:.0f} MB, no model loaded"
        )
    _memory(cfg)
    return 0

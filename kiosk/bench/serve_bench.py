"""`kiosk bench serve`: how many kiosks one shared model server serves, and how fast.

Starts the real kiosk-llm server (`python -m llama_cpp.server`, as
systemd/kiosk-llm.service runs it) on 127.0.0.1 with the configured model, then runs
N simulated kiosks at once: each its own Assistant (its own catalog connection and
session) with `llm.backend = "remote"` pointed at that server, taking shoppers' text
turns back to back. Prints, for each N, turn latency p50/p95 (what a shopper waits
for the whole reply, the model's phrasing included) and how many turns fell back to
templates because the server was too slow (`llm.timeout_s`) or failed. Bounded: a
few turns per kiosk and a time limit per level.

llama-cpp-python's server has one slot: it answers one request at a time, so N
kiosks queue. Its `interrupt_requests` (on by default) makes a new request cut the
one in progress; kiosk-llm.service turns it off, and so does this bench. A store
that needs more runs llama.cpp's own `llama-server --parallel N` or vLLM (both speak
the same API: set `llm.url`).
"""

from __future__ import annotations

import logging
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field, replace
from pathlib import Path

from kiosk import models
from kiosk.assistant.pipeline import Assistant
from kiosk.assistant.reply import Phrasing
from kiosk.assistant.session import Session
from kiosk.bench.figures import pct
from kiosk.catalog.demo import seed_demo
from kiosk.catalog.repository import Catalog
from kiosk.config import Config, PhrasingMode
from kiosk.llm.remote import RemoteChat

REQUESTS = [
    "do you have tents?",
    "waterproof hiking boots under 100 dollars",
    "where can I find sleeping bags",
    "what is your return policy",
    "I need a backpack for a day hike",
    "compare the TrailMaster and the SkyView",
    "is the CozyNights sleeping bag in stock",
    "a camping stove please",
]


@dataclass
class Level:
    kiosks: int
    latencies_ms: list[float] = field(default_factory=list)
    fallbacks: int = 0  # the model failed or timed out: templates answered
    rejected: int = 0  # the model answered but the fact check refused it
    seconds: float = 0.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(
    model: Path, threads: int, log: Path, *, n_ctx: int = 4096
) -> tuple[subprocess.Popen[bytes], str]:
    """The kiosk-llm server on loopback, as the systemd unit starts it; its URL."""
    port = _free_port()
    args = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        str(n_ctx),
        "--n_threads",
        str(threads),
        "--interrupt_requests",
        "False",
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(url + "/v1/models", timeout=2) as r:
                r.read()
            return proc, url
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                tail = log.read_text("utf-8", "replace")[-800:]
                raise RuntimeError(f"the model server did not start:\n{tail}") from None
            time.sleep(0.3)


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """Ask the server to stop; kill it if it won't within 10 s."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _kiosk(
    cfg: Config, db: Path, turns: int, index: int, level: Level, lock: threading.Lock
) -> None:
    with Catalog.open(db, create=False) as catalog:
        assistant = Assistant(catalog, cfg, RemoteChat(cfg))
        session = Session()
        for i in range(turns):
            text = REQUESTS[(index + i) % len(REQUESTS)]
            t = time.perf_counter()
            reply = assistant.turn(session, text)
            took = (time.perf_counter() - t) * 1000
            with lock:
                level.latencies_ms.append(took)
                if reply.errors:
                    level.fallbacks += 1
                elif reply.phrasing == Phrasing.LLM_REJECTED:
                    level.rejected += 1


def run_level(cfg: Config, db: Path, kiosks: int, turns: int, limit_s: float) -> Level:
    level, lock = Level(kiosks), threading.Lock()
    started = time.perf_counter()
    workers = [
        threading.Thread(target=_kiosk, args=(cfg, db, turns, i, level, lock), daemon=True)
        for i in range(kiosks)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=max(0.0, limit_s - (time.perf_counter() - started)))
    level.seconds = time.perf_counter() - started
    return level


def run(
    cfg: Config,
    *,
    kiosks: list[int],
    turns: int = 4,
    limit_s: float = 120.0,
    threads: int = 0,
) -> int:
    model = models.resolve(cfg, "llm")
    n_threads = threads or os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-serve-") as tmp:
        db = Path(tmp) / "catalog.sqlite3"
        seed_demo(db)
        proc, url = start_server(model, n_threads, Path(tmp) / "server.log")
        # Each fallback is counted in the table; its warning line would bury it.
        logging.getLogger("kiosk.assistant.compose").setLevel(logging.ERROR)
        try:
            # The bench is about the model: it phrases (`lead`) even where the store's
            # setting is templates.
            mode = cfg.assistant.phrasing
            mode = PhrasingMode.LEAD if mode == PhrasingMode.OFF else mode
            remote = replace(
                cfg,
                llm=replace(cfg.llm, backend="remote", url=url),
                assistant=replace(cfg.assistant, phrasing=mode),
            )
            print(
                f"server: llama_cpp.server on {url}, {model.name}, {n_threads} threads, "
                "one slot (requests queue), interrupt_requests off; kiosk timeout "
                f"{cfg.llm.timeout_s:g} s, phrasing '{mode}'"
            )
            _kiosk(remote, db, 1, 0, Level(1), threading.Lock())  # warm the server
            print("kiosks  turns  p50 ms  p95 ms  templates (slow/failed)  rejected  turns/s")
            for n in kiosks:
                level = run_level(remote, db, n, turns, limit_s)
                lat = level.latencies_ms
                done = len(lat)
                p50 = statistics.median(lat) if lat else float("nan")
                share = level.fallbacks / max(1, done)
                print(
                    f"{n:6}  {done:5}  {p50:6.0f}  {pct(lat, 0.95):6.0f}  "
                    f"{level.fallbacks:5} ({share:4.0%})            {level.rejected:5}  "
                    f"{done / level.seconds:7.2f}"
                    + ("  (time limit hit)" if done < n * turns else "")
                )
        finally:
            stop_server(proc)
    return 0

"""`kiosk bench assistant`: text turn latency with and without the model, in one run.

Turns alternate between the template-only assistant and the model-phrased one on
the same requests, so machine noise hits both; figures are printed, never asserted.
The engine's decode speed is compared with raw llama-cpp-python (kiosk.bench.llm_bench).
"""

from __future__ import annotations

import dataclasses
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from kiosk.assistant.pipeline import Assistant
from kiosk.assistant.session import Session
from kiosk.bench.figures import pct
from kiosk.catalog.demo import seed_demo
from kiosk.catalog.repository import Catalog
from kiosk.config import Config, PhrasingMode

REQUESTS = [
    "do you have waterproof hiking boots under 100 dollars in size 10?",
    "show me tents",
    "cheaper ones?",
    "where is it?",
    "what is the temperature rating of the cozynights sleeping bag?",
    "what is the waterproof rating of the TrailMaster X4 Tent's rainfly?",
    "compare the TrailMaster X4 and the Alpine Explorer tent",
    "what's your return policy for gold members?",
    "can I talk to a person",
    "backpacks under 100 dollars",
    "where are the camping stoves?",
    "what are your opening hours?",
]


def _stamper(into: list[float]) -> Callable[[str], None]:
    return lambda _chunk: into.append(time.perf_counter())


def run(cfg: Config, *, rounds: int = 3) -> int:
    from kiosk.llm.loader import load_chat_model

    with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as tmp:
        db = Path(tmp) / "catalog.sqlite3"
        if cfg.catalog_path.exists():
            shutil.copy(cfg.catalog_path, db)
        else:
            seed_demo(db)
        catalog = Catalog.open(db)
        t0 = time.perf_counter()
        chat = load_chat_model(cfg, progress=lambda m: print(f"  {m}"))
        load_s = time.perf_counter() - t0
        lead_cfg = dataclasses.replace(
            cfg, assistant=dataclasses.replace(cfg.assistant, phrasing=PhrasingMode.LEAD)
        )
        plain = Assistant(catalog, cfg, chat=None)
        phrased = Assistant(catalog, lead_cfg, chat=chat)
        t0 = time.perf_counter()
        phrased.warm()
        warm_s = time.perf_counter() - t0
        print(
            f"model: {getattr(chat, 'name', 'none')} on {getattr(chat, 'device', '-')}, "
            f"load {load_s:.2f} s, system prompt warm-up {warm_s:.2f} s"
        )
        times: dict[str, list[float]] = {"template": [], "model": []}
        first_text: list[float] = []
        accepted = 0
        for _ in range(rounds):
            sessions = {"template": Session(), "model": Session()}
            for text in REQUESTS:
                for label, bot in (("template", plain), ("model", phrased)):
                    started = time.perf_counter()
                    got: list[float] = []
                    reply = bot.turn(sessions[label], text, on_chunk=_stamper(got))
                    times[label].append((time.perf_counter() - started) * 1000)
                    if label == "model":
                        first_text.append(
                            ((got[0] if got else time.perf_counter()) - started) * 1000
                        )
                        accepted += reply.phrasing == "llm"
        n = len(times["model"])
        for label, ms in times.items():
            print(
                f"text turn, {label:8}: p50 {statistics.median(ms):7.1f} ms  "
                f"p95 {pct(ms, 0.95):7.1f} ms  ({len(ms)} turns)"
            )
        print(
            f"time to first reply text (model): p50 {statistics.median(first_text):.1f} ms, "
            f"p95 {pct(first_text, 0.95):.1f} ms"
        )
        print(
            f"model phrasing accepted by the fact check: {accepted}/{n} "
            f"({100 * accepted / max(1, n):.0f}%); the rest fell back to templates"
        )
        print("target: text turn p50 < 400 ms with the bundled model on 2 cores")
        catalog.close()
        if chat is not None:
            chat.close()
    if cfg.llm.backend == "local":
        from kiosk.bench import llm_bench

        llm_bench.run(cfg)
    return 0

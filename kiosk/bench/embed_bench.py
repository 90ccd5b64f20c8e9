"""`kiosk bench embed`: the sentence-embedding model's speed and memory, in one run.

Figures, never asserts: load time; resident memory (RSS) before and after the load;
one-text embedding p50/p95 on the demo store's product texts (name, category and the
description's start, as product vectors would be made) and on 50 requests phrased as
shoppers phrase them (first time, so no cache, then again from the cache); products/s
at batch sizes 1, 2, 4, 8 and 16, the sizes taking turns each round so machine noise
hits them all; products/s with more or less of the description in the text (the cost
grows with the tokens).
"""

from __future__ import annotations

import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from kiosk.bench.figures import pct
from kiosk.catalog.demo import seed_demo
from kiosk.catalog.records import Product
from kiosk.catalog.repository import Catalog
from kiosk.config import Config

BATCHES = (1, 2, 4, 8, 16)
DESCRIPTION_CHARS = (0, 100, 200, 400)
DIM_BYTES_F16 = 2

# Needs, not product names: how shoppers ask when they don't know what the store calls it.
REQUESTS = [
    "something to keep me warm at night when camping",
    "I need to cook dinner at the campsite",
    "a raincoat",
    "trousers for hiking",
    "a rucksack for a week in the mountains",
    "footwear for rocky trails",
    "a lightweight bag for short walks",
    "somewhere to sleep for two people in the woods",
    "my feet get wet on muddy paths",
    "what do I need for my first camping trip",
    "a jacket that packs small",
    "shoes for running on forest tracks",
    "something to carry water on a long hike",
    "a present for my dad who loves the outdoors",
    "gear for camping in the snow",
    "a shelter that stands up to strong wind",
    "I get cold easily in my tent",
    "a bag to carry my laptop and lunch on the trail",
    "boots that won't give me blisters",
    "a stove that's easy to carry",
    "something for a family of four to sleep in",
    "clothes that dry quickly",
    "what should I wear for a rainy hike",
    "a warm layer for autumn evenings",
    "I want to hike the Appalachian trail",
    "a small tent for backpacking alone",
    "stuff for cooking over a fire",
    "how do I stay dry when it pours",
    "a daypack with lots of pockets",
    "comfy shoes for walking all day",
    "kit for a weekend by the lake",
    "something light to sleep in during summer",
    "a coat for windy mountain tops",
    "I need pants that don't rip on rocks",
    "something to boil water quickly",
    "a good bag for carrying heavy loads",
    "shoes with good grip on wet stone",
    "gear for a teenager's scout camp",
    "an insulated jacket under 200 dollars",
    "a tent that's quick to put up",
    "what keeps my back from hurting with a heavy pack",
    "waterproof stuff for a canoe trip",
    "a sleeping bag for freezing nights",
    "a pack for a child",
    "breathable clothing for hot weather hikes",
    "cookware that doesn't weigh much",
    "trail shoes for wide feet",
    "something to sit on at camp",
    "I'm going trekking in Nepal, what do I need",
    "a windbreaker for cycling",
]


def product_text(p: Product, description: int = 400) -> str:
    """What a product's vector is made from: name, category, the description's start."""
    return ". ".join(x for x in (p.name, p.category, p.description[:description]) if x)


def rss_mb() -> float:
    """Resident memory of this process now (Linux), else its peak."""
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6
    except (OSError, ValueError, IndexError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / 1e6 if sys.platform == "darwin" else peak / 1e3


def _load() -> str:
    try:
        return " / ".join(f"{x:.1f}" for x in os.getloadavg()) + " (1/5/15 min)"
    except OSError:
        return "unknown"


def _one_by_one(texts: Sequence[str], embed: Callable[[str], object]) -> list[float]:
    times: list[float] = []
    for text in texts:
        t = time.perf_counter()
        embed(text)
        times.append((time.perf_counter() - t) * 1000)
    return times


def _line(label: str, ms: Sequence[float]) -> str:
    return f"  {label:<34} p50 {pct(ms, 0.5):6.2f} ms  p95 {pct(ms, 0.95):6.2f} ms  (n={len(ms)})"


def run(cfg: Config, *, rounds: int = 3, count: int = 200) -> int:
    """Print the figures; `count` texts per products/s figure."""
    from kiosk.llm.embed import load_embedder

    with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as tmp:
        db = Path(tmp) / "catalog.sqlite3"
        seed_demo(db)
        with Catalog.open(db) as catalog:
            products = catalog.all_products()
    texts = [product_text(p) for p in products]

    before = rss_mb()
    embedder = load_embedder(cfg)
    after = rss_mb()
    try:
        lengths = [len(embedder.tokens(t)) for t in texts]
        print(
            f"embed bench: {embedder.name}, {embedder.dim} dimensions, CPU x{embedder.n_threads} "
            f"threads, {len(texts)} demo products ({statistics.mean(lengths):.0f} tokens "
            f"on average, max {max(lengths)})"
        )
        print(f"  {'load':<34} {embedder.load_s * 1000:.0f} ms")
        print(f"  {'resident memory (RSS)':<34} {before:.0f} MB before the load, {after:.0f} after")

        embedder.embed(texts[:2])  # warm up
        one_product: list[float] = []
        cached: list[float] = []
        for _ in range(rounds):
            one_product += _one_by_one(texts, lambda t: embedder.embed([t]))
        fresh = _one_by_one(REQUESTS, embedder.embed_query)
        for _ in range(rounds):
            cached += _one_by_one(REQUESTS, embedder.embed_query)
        print(_line("one product text", one_product))
        print(_line(f"one shopper request ({len(REQUESTS)}), new", fresh))
        print(_line("the same requests, cached", cached))

        many = (texts * (1 + count // len(texts)))[:count]
        rates: dict[int, list[float]] = {b: [] for b in BATCHES}
        chosen = embedder.batch
        for _ in range(rounds):
            for b in BATCHES:
                embedder.batch = b
                t = time.perf_counter()
                embedder.embed(many)
                rates[b].append(len(many) / (time.perf_counter() - t))
        embedder.batch = chosen
        print(f"  products/s by batch size ({len(many)} texts, median of {rounds}):")
        for b in BATCHES:
            mark = "  <- Embedder default" if b == chosen else ""
            print(f"    batch {b:>2}: {statistics.median(rates[b]):6.0f} products/s{mark}")

        print(f"  products/s by how much of the description goes in (batch {chosen}):")
        for chars in DESCRIPTION_CHARS:
            some = [product_text(p, chars) for p in products]
            tokens = statistics.mean(len(embedder.tokens(t)) for t in some)
            batch = (some * (1 + count // len(some)))[:count]
            per_s = []
            for _ in range(rounds):
                t = time.perf_counter()
                embedder.embed(batch)
                per_s.append(len(batch) / (time.perf_counter() - t))
            label = f"name, category, description[:{chars}] (~{tokens:.0f} tokens)"
            print(f"    {label:<50} {statistics.median(per_s):6.0f} products/s")
        size = 100_000 * embedder.dim * DIM_BYTES_F16
        print(f"  100,000 product vectors in float16: {size / 1e6:.1f} MB")
        print(f"  machine load average: {_load()} (other work on these cores slows every figure)")
    finally:
        embedder.close()
    return 0

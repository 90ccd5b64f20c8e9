"""Search in Chinese at scale: a generated catalog whose products have Chinese names,
categories and descriptions (name_zh, ... columns of the feed), searched through the
word index (character pairs) and through the translations scan the FTS5 path uses.

`python -m kiosk.bench.zh_search_bench [--products N]`: import rate, index build
time and size with and without the Chinese words, top-5 precision (the share of hits
whose Chinese name holds the product word asked for) and p50/p95 per path.
"""

from __future__ import annotations

import argparse
import csv
import random
import shutil
import tempfile
import time
from pathlib import Path

from kiosk.bench.figures import pct
from kiosk.catalog import wordindex
from kiosk.catalog.db import connect
from kiosk.catalog.importers import import_paths
from kiosk.catalog.repository import Catalog
from kiosk.catalog.search import SearchFilters, SearchHit

# category -> (its Chinese name, [(kind, its Chinese word)])
KINDS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "Tents": ("帐篷", [("tent", "帐篷"), ("shelter", "天幕"), ("bivy", "露宿袋")]),
    "Footwear": (
        "鞋类",
        [("hiking boots", "登山靴"), ("trail shoes", "越野跑鞋"), ("sandals", "凉鞋")],
    ),
    "Backpacks": ("背包", [("backpack", "背包"), ("daypack", "日用背包"), ("hip pack", "腰包")]),
    "Sleeping": (
        "睡眠",
        [("sleeping bag", "睡袋"), ("sleeping pad", "防潮垫"), ("pillow", "枕头")],
    ),
    "Cooking": ("炊具", [("stove", "露营炉"), ("cook pot", "套锅"), ("mug", "水杯")]),
    "Clothing": (
        "服装",
        [("rain jacket", "雨衣"), ("fleece", "抓绒衣"), ("down jacket", "羽绒服")],
    ),
    "Lighting": ("照明", [("headlamp", "头灯"), ("lantern", "营地灯"), ("flashlight", "手电筒")]),
    "Furniture": (
        "桌椅",
        [("camp chair", "露营椅"), ("folding table", "折叠桌"), ("cot", "行军床")],
    ),
}
ADJ = [
    ("waterproof", "防水"),
    ("lightweight", "轻便"),
    ("insulated", "保暖"),
    ("compact", "便携"),
    ("durable", "耐用"),
    ("breathable", "透气"),
]
FILLER_ZH = [
    "适合周末露营",
    "耐磨面料",
    "做工结实",
    "收纳方便",
    "适合长途徒步",
    "防风设计",
    "重量轻",
    "寒冷夜晚也能用",
    "家庭出游",
    "城市通勤",
    "铝合金支架",
    "尼龙材质",
]
COLORS = ("black", "blue", "green", "red", "grey")
SIZES = ("S", "M", "L", "9", "10", "11")

# (query, filters, the word each hit's Chinese name should hold)
QUERIES: list[tuple[str, SearchFilters, str]] = [
    ("帐篷", SearchFilters(), "帐篷"),
    ("防水登山靴", SearchFilters(max_price_cents=30000, size="10"), "登山靴"),
    ("睡袋", SearchFilters(min_price_cents=5000, max_price_cents=20000), "睡袋"),
    ("轻便背包", SearchFilters(in_stock=True), "背包"),
    ("有没有便宜的头灯？", SearchFilters(sort="price_asc"), "头灯"),
    ("露营炉", SearchFilters(category="炊具"), "露营炉"),
    ("雨衣", SearchFilters(color="blue"), "雨衣"),
    ("保暖羽绒服", SearchFilters(size="M", in_stock=True), "羽绒服"),
    ("营地灯", SearchFilters(), "营地灯"),
    ("折叠桌", SearchFilters(sort="price_desc"), "折叠桌"),
]


def generate(path: Path, n: int, *, chinese: bool, seed: int = 7) -> None:
    rng = random.Random(seed)
    brands = [
        "".join(rng.choice("bcdfgklmnprstvz") + rng.choice("aeiou") for _ in range(3)).title()
        for _ in range(300)
    ]
    head = ["id", "name", "price", "brand", "category", "description", "stock", "color", "size"]
    zh_head = ["name_zh", "category_zh", "description_zh"] if chinese else []
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(head + zh_head)
        for i in range(1, n + 1):
            cat = rng.choice(list(KINDS))
            cat_zh, kinds = KINDS[cat]
            (kind, kind_zh), (adj, adj_zh) = rng.choice(kinds), rng.choice(ADJ)
            brand = rng.choice(brands)
            row = [
                f"P{i:07d}",
                f"{brand} {adj.title()} {kind.title()}",
                f"{rng.randint(5, 800)}.{rng.choice((0, 49, 99)):02d}",
                brand,
                cat,
                f"The {brand} {kind} is {adj}.",
                rng.choice((0, 1, 3, 12)),
                rng.choice(COLORS),
                rng.choice(SIZES),
            ]
            if chinese:
                desc = "，".join(rng.sample(FILLER_ZH, rng.randint(2, 5)))
                row += [
                    f"{brand} {adj_zh}{kind_zh}",
                    cat_zh,
                    f"{brand} 出品的{adj_zh}{kind_zh}，{desc}。",
                ]
            w.writerow(row)


def _import(db: Path, feed: Path) -> tuple[float, float, int]:
    """(import seconds, index build seconds, index bytes)."""
    conn = connect(db)
    t0 = time.perf_counter()
    import_paths(conn, [feed])
    seconds = time.perf_counter() - t0
    folder = wordindex.current_folder(conn)
    if folder is not None:
        shutil.rmtree(folder)  # time a build of its own, not the import's
    built = wordindex.ensure(conn)
    conn.close()
    return seconds, built.seconds, built.size_bytes


def run(*, products: int, rounds: int = 5) -> int:
    with tempfile.TemporaryDirectory(prefix="kiosk-zh-bench-") as tmp:
        root = Path(tmp)
        for chinese in (False, True):
            feed = root / f"feed-{chinese}.csv"
            generate(feed, products, chinese=chinese)
            took, build, size = _import(root / f"c-{chinese}.sqlite3", feed)
            print(
                f"{'with' if chinese else 'without'} Chinese: import {products / took:,.0f} "
                f"products/s, index build {build:.1f} s, {size / 2**20:.1f} MiB"
            )
        with Catalog.open(root / "c-True.sqlite3") as catalog:

            def words(q: str, f: SearchFilters) -> list[SearchHit]:
                return catalog.search(q, f, limit=5)

            def scan(q: str, f: SearchFilters) -> list[SearchHit]:
                return catalog._searcher.fallback.search(q, catalog._own_words(f), limit=5)

            paths = {"words (pairs index)": words, "scan (FTS5 fallback)": scan}
            for label, search in paths.items():
                search("帐篷", SearchFilters())  # warm: open the index
                times: list[float] = []
                good = total = 0
                for _ in range(rounds):
                    for query, filters, word in QUERIES:
                        t0 = time.perf_counter()
                        hits = search(query, filters)
                        times.append((time.perf_counter() - t0) * 1000)
                        zh = catalog.products([h.product_id for h in hits])
                        good += sum(word in p.said("name", "zh") for p in zh)
                        total += max(len(hits), 1)
                print(
                    f"{label}: top-5 precision {good / total:.0%}, p50 {pct(times, 0.5):.1f} ms, "
                    f"p95 {pct(times, 0.95):.1f} ms ({len(times)} searches)"
                )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--products", type=int, default=100_000)
    args = parser.parse_args()
    return run(products=args.products)


if __name__ == "__main__":
    raise SystemExit(main())

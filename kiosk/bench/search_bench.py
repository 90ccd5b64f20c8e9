"""`kiosk bench search`: import rate and search latency on a generated catalog.

The catalog is generated from a fixed seed (same products every run) with the
shape of a real outdoor store: categories, brands, colours, sizes, prices and
prose descriptions, so FTS posting lists are as long as a big store's would be.
Figures are printed, never asserted: these machines are shared and noisy.
"""

from __future__ import annotations

import csv
import random
import statistics
import tempfile
import time
from pathlib import Path

from kiosk.catalog.db import connect
from kiosk.catalog.importers import import_paths
from kiosk.catalog.repository import Catalog
from kiosk.catalog.search import SearchFilters

CATEGORIES = {
    "Tents": ["tent", "shelter", "dome tent", "tunnel tent"],
    "Backpacks": ["backpack", "daypack", "rucksack", "hydration pack"],
    "Hiking Footwear": ["hiking boots", "trail shoes", "sandals", "approach shoes"],
    "Hiking Clothing": ["jacket", "rain jacket", "fleece", "hiking pants", "base layer"],
    "Sleeping Bags": ["sleeping bag", "quilt", "sleeping pad", "liner"],
    "Camping Stoves": ["camping stove", "burner", "cook set", "fuel canister"],
    "Camping Furniture": ["camping chair", "folding table", "cot", "hammock"],
    "Climbing": ["harness", "carabiner", "climbing rope", "belay device", "chalk bag"],
    "Water Sports": ["kayak", "paddle", "life jacket", "dry bag"],
    "Navigation": ["compass", "gps watch", "headlamp", "map case"],
    "Cycling": ["bike helmet", "bike light", "cycling gloves", "pannier"],
    "Winter": ["snowshoes", "ski gloves", "thermal socks", "gaiters"],
}
ADJECTIVES = (
    "ultralight",
    "waterproof",
    "insulated",
    "breathable",
    "rugged",
    "compact",
    "packable",
    "windproof",
    "durable",
    "ventilated",
    "padded",
    "reflective",
)
MATERIALS = ("nylon", "polyester", "leather", "aluminum", "merino wool", "down", "canvas")
COLORS = ("black", "blue", "green", "red", "grey", "orange", "khaki", "yellow", "brown")
SIZES = ("S", "M", "L", "XL", "7", "8", "9", "10", "11", "12", "2-person", "4-person")
SYLLABLES = (
    "trail",
    "summit",
    "peak",
    "ridge",
    "alpine",
    "terra",
    "north",
    "wild",
    "cascade",
    "granite",
    "cedar",
    "storm",
    "sierra",
    "canyon",
    "glacier",
    "timber",
    "falcon",
)
FILLER = (
    "designed for",
    "built with",
    "perfect for",
    "ideal on",
    "tested in",
    "made from",
    "featuring",
    "with",
    "for long days",
    "weekend trips",
    "rough terrain",
    "wet weather",
    "cold nights",
    "mountain passes",
    "family camping",
    "thru-hikes",
    "city commutes",
)


def generate_csv(path: Path, n: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    brands = [rng.choice(SYLLABLES).title() + rng.choice(SYLLABLES) for _ in range(300)]
    cats = list(CATEGORIES)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "id",
                "name",
                "price",
                "brand",
                "category",
                "description",
                "stock",
                "aisle",
                "shelf",
                "color",
                "size",
                "material",
            ]
        )
        for i in range(1, n + 1):
            cat = rng.choice(cats)
            kind = rng.choice(CATEGORIES[cat])
            adj = rng.choice(ADJECTIVES)
            brand = rng.choice(brands)
            model = rng.choice(SYLLABLES).title() + rng.choice(("", " Pro", " X", " 2", " Lite"))
            desc = " ".join(
                [
                    f"The {brand} {model} {kind} is {adj} and",
                    *(rng.choice(FILLER) for _ in range(rng.randint(8, 20))),
                    f"{rng.choice(MATERIALS)}.",
                ]
            )
            w.writerow(
                [
                    f"P{i:07d}",
                    f"{model} {adj.title()} {kind.title()}",
                    f"{rng.randint(5, 800)}.{rng.choice((0, 49, 95, 99)):02d}",
                    brand,
                    cat,
                    desc,
                    rng.choice((0, 0, 1, 3, 5, 12, 40)),
                    str(cats.index(cat) + 1),
                    rng.choice("ABCDEF"),
                    rng.choice(COLORS),
                    rng.choice(SIZES),
                    rng.choice(MATERIALS),
                ]
            )


QUERIES: list[tuple[str, SearchFilters]] = [
    ("waterproof hiking boots", SearchFilters(max_price_cents=10000, size="10")),
    ("tent", SearchFilters(category="Tents", in_stock=True)),
    ("tents", SearchFilters(max_price_cents=30000)),
    ("backpak", SearchFilters()),
    ("rain jacket", SearchFilters(color="blue")),
    ("sleeping bag for cold nights", SearchFilters(min_price_cents=5000, max_price_cents=20000)),
    ("ultralight stove", SearchFilters(sort="price_asc")),
    ("kayak", SearchFilters(in_stock=True)),
    ("headlamp", SearchFilters(brand="Trailsummit")),
    ("", SearchFilters(category="Climbing", max_price_cents=5000)),
    ("insulated jacket", SearchFilters(size="M", in_stock=True)),
    ("carabiner", SearchFilters()),
]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(*, products: int, queries: int, keep: str | None = None) -> int:
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as tmp:
        feed = Path(tmp) / "products.csv"
        db = Path(keep) if keep else Path(tmp) / "catalog.sqlite3"
        t0 = time.perf_counter()
        generate_csv(feed, products)
        t_gen = time.perf_counter() - t0
        conn = connect(db)
        t0 = time.perf_counter()
        import_paths(conn, [feed])
        t_import = time.perf_counter() - t0
        conn.close()
        print(
            f"catalog: {products:,} generated products ({t_gen:.1f} s to generate), "
            f"{db.stat().st_size / 1e6:.0f} MB"
        )
        print(
            f"import: {t_import:.1f} s, {products / t_import:,.0f} products/s "
            "(one transaction, FTS index included)"
        )
        with Catalog.open(db) as catalog:
            for q, f in QUERIES:  # warm the page cache and the vocabulary
                catalog.search(q, f)
            per_query: dict[str, list[float]] = {}
            all_ms: list[float] = []
            for i in range(queries):
                q, f = QUERIES[i % len(QUERIES)]
                t = time.perf_counter()
                catalog.search(q, f, limit=5)
                ms = (time.perf_counter() - t) * 1000
                all_ms.append(ms)
                per_query.setdefault(q or f"<filters only: {f.category}>", []).append(ms)
        print(
            f"search: {queries} queries, p50 {_pct(all_ms, 0.5):.2f} ms, "
            f"p95 {_pct(all_ms, 0.95):.2f} ms, max {max(all_ms):.2f} ms (target p95 < 5 ms)"
        )
        for q, times in per_query.items():
            print(
                f"  {q!r:40} p50 {statistics.median(times):6.2f} ms  "
                f"p95 {_pct(times, 0.95):6.2f} ms"
            )
    return 0

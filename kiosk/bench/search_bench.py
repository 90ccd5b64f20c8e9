"""`kiosk bench search`: search quality and speed, the word index against FTS5, one run.

The catalog is generated from a fixed seed (same products every run) with the
shape of a real outdoor store: categories, brands, colours, sizes, prices and
prose descriptions, so posting lists are as long as a big store's would be.

Quality is recall@10 on two labelled sets kept in tests/data/search/:
- demo_queries.json: hand-written shopper queries over the real Contoso demo store,
  with the products that answer them;
- synthetic_100k.json: queries over the generated 100k catalog whose relevant
  products are known by construction (brand + kind, name, typos, extra words),
  made by `synthetic_labels()` below.
Both search paths answer every query on the same catalog file in the same run.

Words against words and meaning (`kiosk.bench.hybrid`): the find handler's own search
(what the screen, `kiosk ask` and voice show) with the embedding model and without,
scored on the same sets, plus the own-words requests over the demo store
(tests/data/search/own_words.json, tuning and held-back halves) through the whole turn.
At 100k products: the product vectors made from SQLite (products/s, MB stored), and
p50/p95 of the word side alone and of the whole find search, embedding a request never
seen before included.
Figures are printed, never asserted: these machines are shared and noisy.
"""

from __future__ import annotations

import csv
import json
import os
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from kiosk.bench import hybrid
from kiosk.bench.figures import pct
from kiosk.catalog import wordindex
from kiosk.catalog.db import connect
from kiosk.catalog.demo import demo_dir
from kiosk.catalog.importers import import_paths
from kiosk.catalog.search import Searcher, SearchFilters, SearchHit
from kiosk.catalog.wordsearch import WordSearcher

LABELS = Path(__file__).resolve().parents[2] / "tests" / "data" / "search"

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


def _kind_of(name: str, category: str) -> str:
    for kind in sorted(CATEGORIES[category], key=len, reverse=True):
        if name.endswith(kind.title()):
            return kind
    return ""


EXTRA_WORDS = ("for my daughter", "on sale", "gift", "for beginners", "cheap", "new season")


def synthetic_labels(feed: Path, n: int = 240, seed: int = 11) -> list[dict[str, object]]:
    """Queries over a generated catalog whose answers are known by construction."""
    rows = list(csv.DictReader(feed.open(encoding="utf-8")))
    by_brand_kind: dict[tuple[str, str], list[str]] = {}
    by_name: dict[str, list[str]] = {}
    by_adj_mat_kind: dict[tuple[str, str, str], list[str]] = {}
    for r in rows:
        kind = _kind_of(r["name"], r["category"])
        adj = r["name"][: -len(kind)].split()[-1].lower()
        by_brand_kind.setdefault((r["brand"].lower(), kind), []).append(r["id"])
        by_name.setdefault(r["name"].lower(), []).append(r["id"])
        by_adj_mat_kind.setdefault((adj, r["material"], kind), []).append(r["id"])
    rng = random.Random(seed)
    out: list[dict[str, object]] = []
    for i in range(n):
        r = rng.choice(rows)
        kind = _kind_of(r["name"], r["category"])
        adj = r["name"][: -len(kind)].split()[-1].lower()
        brand = r["brand"].lower()
        bk = by_brand_kind[(brand, kind)]
        style = i % 5
        if style == 0:
            q, rel, label = f"{brand} {kind}", bk, "brand+kind"
        elif style == 1:
            q, rel, label = f"{r['name'].lower()}s", by_name[r["name"].lower()], "name, plural"
        elif style == 2:
            q, rel = f"{brand} {kind} {rng.choice(EXTRA_WORDS)}", bk
            label = "brand+kind+extra words"
        elif style == 3:
            cut = rng.randrange(1, len(kind) - 1)
            typo = kind[:cut] + kind[cut + 1 :] if kind[cut] != " " else kind
            q, rel, label = f"{brand} {typo}", bk, "brand+kind, typo"
        else:
            q = f"{adj} {r['material']} {kind}"
            rel, label = by_adj_mat_kind[(adj, r["material"], kind)], "adjective+material+kind"
        out.append({"query": q, "style": label, "relevant": sorted(rel)})
    return out


def _recall(hits: list[SearchHit], relevant: set[str], k: int = 10) -> tuple[float, float]:
    top = [h.product_id for h in hits[:k]]
    found = len(relevant.intersection(top))
    return found / min(k, len(relevant)), 1.0 if found else 0.0


def _quality(
    searchers: dict[str, Searcher | WordSearcher], labelled: list[dict[str, object]]
) -> dict[str, tuple[float, float]]:
    out: dict[str, tuple[float, float]] = {}
    for name, s in searchers.items():
        recalls, hits = [], []
        for item in labelled:
            got = s.search(str(item["query"]), SearchFilters(), limit=10)
            r, h = _recall(got, set(item["relevant"]))  # type: ignore[call-overload]
            recalls.append(r)
            hits.append(h)
        out[name] = (statistics.fmean(recalls), statistics.fmean(hits))
    return out


def _print_quality(title: str, n: int, q: dict[str, tuple[float, float]]) -> None:
    print(f"{title} ({n} queries): recall@10 / a relevant product in the top 10")
    for name, (recall, hit) in q.items():
        print(f"  {name:6} recall@10 {recall:.3f}   hit@10 {hit:.3f}")


def _speed(
    s: Searcher | WordSearcher, queries: list[tuple[str, SearchFilters]], n: int
) -> list[float]:
    for q, f in queries:  # warm the page cache, the vocabulary and the index
        s.search(q, f, limit=5)
    times: list[float] = []
    for i in range(n):
        q, f = queries[i % len(queries)]
        t = time.perf_counter()
        s.search(q, f, limit=10)
        times.append((time.perf_counter() - t) * 1000)
    return times


def run(*, products: int, queries: int, keep: str | None = None) -> int:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"cores available: {cores} (the target is 2: `taskset -c 0,1 kiosk bench search`)")
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as tmp:
        # Quality on the real demo store first (small, both paths).
        demo = Path(tmp) / "demo.sqlite3"
        dconn = connect(demo)
        import_paths(dconn, [demo_dir() / "contoso-outdoors"])
        demo_set = json.loads((LABELS / "demo_queries.json").read_text())["queries"]
        q_demo = _quality({"fts5": Searcher(dconn), "words": WordSearcher(dconn)}, demo_set)
        dconn.close()
        _print_quality("demo store, hand-labelled", len(demo_set), q_demo)
        embedder = hybrid.bench_embedder()
        if embedder is not None:
            hybrid.demo_quality(demo, demo_set, embedder)

        feed = Path(tmp) / "products.csv"
        db = Path(keep) if keep else Path(tmp) / "catalog.sqlite3"
        t0 = time.perf_counter()
        generate_csv(feed, products)
        t_gen = time.perf_counter() - t0
        conn = connect(db)
        t0 = time.perf_counter()
        import_paths(conn, [feed])
        t_import = time.perf_counter() - t0
        print(
            f"catalog: {products:,} generated products ({t_gen:.1f} s to generate), "
            f"{db.stat().st_size / 1e6:.0f} MB"
        )
        print(
            f"import: {t_import:.1f} s, {products / t_import:,.0f} products/s "
            "(one transaction, FTS5 and the word index included)"
        )
        root = wordindex.index_root(conn)
        assert root is not None
        shutil.rmtree(root, ignore_errors=True)
        built = wordindex.ensure(conn)
        print(
            f"word index build from SQLite: {built.seconds:.2f} s "
            f"({built.products / built.seconds:,.0f} products/s), "
            f"{built.size_bytes / 1e6:.1f} MB on disk"
        )
        fts5, words = Searcher(conn), WordSearcher(conn)
        labels_file = LABELS / "synthetic_100k.json"
        if products == 100_000 and labels_file.exists():
            synth = json.loads(labels_file.read_text())["queries"]
            q_syn = _quality({"fts5": fts5, "words": words}, synth)
            _print_quality("generated 100k catalog, labelled by construction", len(synth), q_syn)
        else:
            synth = synthetic_labels(feed)
            print("(labelled set regenerated for this catalog size)")
            q_syn = _quality({"fts5": fts5, "words": words}, synth)
            _print_quality("generated catalog, labelled by construction", len(synth), q_syn)

        mix = QUERIES + [(str(item["query"]), SearchFilters()) for item in synth[:48]]
        for name, s in (("fts5", fts5), ("words", words)):
            times = _speed(s, mix, queries)
            print(
                f"search {name:5}: {queries} queries, p50 {pct(times, 0.5):.2f} ms, "
                f"p95 {pct(times, 0.95):.2f} ms, max {max(times):.2f} ms"
            )
        print(f"  (answered by: {words.last_path}; word-side target p95 <= 3 ms on 2 cores)")
        if embedder is not None:
            hybrid.at_scale(db, embedder, synth, mix, queries)
        for q, f in QUERIES:
            t_old = _speed(fts5, [(q, f)], 50)
            t_new = _speed(words, [(q, f)], 50)
            print(
                f"  {q or '<filters only>'!r:32} fts5 p50 {statistics.median(t_old):6.2f} ms"
                f"   words p50 {statistics.median(t_new):6.2f} ms"
            )
        conn.close()
        if embedder is not None:
            embedder.close()
    return 0

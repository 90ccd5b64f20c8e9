"""Words against words and meaning, for `kiosk bench search`: quality and speed.

The find handler's own search (`kiosk.assistant.act.find.ranked`: what the screen,
`kiosk ask` and voice show) is scored with the embedding model and without it on the
same labelled sets; the own-words requests go through the whole turn
(`kiosk.bench.ownwords`). At 100k products the vectors are made from SQLite as an
import makes them, and the whole find search is timed with a request the model has
never seen (its query cache emptied before each).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from kiosk.assistant.act.base import ActContext
from kiosk.assistant.act.find import loosen_kind, ranked
from kiosk.assistant.meaning import Meaning, catch_up
from kiosk.assistant.understand import understand
from kiosk.bench import ownwords
from kiosk.bench.figures import pct
from kiosk.catalog import vectors
from kiosk.catalog.demo import seed_demo
from kiosk.catalog.lexicon import Lexicon
from kiosk.catalog.repository import Catalog
from kiosk.catalog.search import SearchFilters
from kiosk.errors import KioskError
from kiosk.llm.embed import Embedder
from kiosk.models.paths import resolve

Labelled = list[dict[str, object]]


def bench_embedder() -> Embedder | None:
    """One llama.cpp thread: on a shared 2-core machine two threads wait on each other
    (a request's p95 8.7 ms and max 869 ms with 2, against 5.2 and 10 ms with 1, at
    load average 5)."""
    try:
        cfg = ownwords.bench_config()
        return Embedder(resolve(cfg, "embed"), cfg, n_threads=1)
    except KioskError as exc:
        print(f"no embedding model ({exc.message}): words alone, no hybrid figures")
        return None


def find_search(catalog: Catalog, meaning: Meaning | None) -> Callable[[str], list[str]]:
    """The find handler's search as a function of the request: product ids, best first."""
    lex = Lexicon.build(catalog)
    ctx = ActContext(catalog, lex, 10, "bench", "", lambda: meaning)

    def search(text: str) -> list[str]:
        u = loosen_kind(ctx, understand(text, lex))
        products, _ = ranked(ctx, u)
        return [p.id for p in products]

    return search


def timed_search(catalog: Catalog, meaning: Meaning | None) -> Callable[[str], tuple[float, float]]:
    """(ms to understand, ms to search) for one request; the search is the find handler's
    (words, and meaning with the request embedded), understanding the rules over the
    catalog's vocabulary, timed apart because at 100k products its name matching
    costs more than the search."""
    lex = Lexicon.build(catalog)
    ctx = ActContext(catalog, lex, 10, "bench", "", lambda: meaning)

    def run(text: str) -> tuple[float, float]:
        t0 = time.perf_counter()
        u = understand(text, lex)
        t1 = time.perf_counter()
        ranked(ctx, loosen_kind(ctx, u))
        t2 = time.perf_counter()
        return (t1 - t0) * 1000, (t2 - t1) * 1000

    return run


def recall(
    search: Callable[[str], list[str]], labelled: Labelled, k: int = 10
) -> tuple[float, float]:
    """recall@k and the share with a relevant product in the top k."""
    recalls, hits = [], []
    for item in labelled:
        top = search(str(item["query"]))[:k]
        relevant = set(item["relevant"])  # type: ignore[call-overload]
        found = len(relevant.intersection(top))
        recalls.append(found / min(k, len(relevant)))
        hits.append(1.0 if found else 0.0)
    return statistics.fmean(recalls), statistics.fmean(hits)


def _print_recall(title: str, n: int, rows: dict[str, tuple[float, float]]) -> None:
    print(f"{title} ({n} queries), the find handler's search: recall@10 / hit@10")
    for name, (r, h) in rows.items():
        print(f"  {name:6} recall@10 {r:.3f}   hit@10 {h:.3f}")


def demo_quality(demo: Path, demo_set: Labelled, embedder: Embedder) -> None:
    """The hand-labelled demo queries and the own-words requests, words vs hybrid."""
    with Catalog.open(demo) as catalog:
        catch_up(catalog, embedder)
        meaning = Meaning(catalog, embedder)
        rows = {
            "words": recall(find_search(catalog, None), demo_set),
            "hybrid": recall(find_search(catalog, meaning), demo_set),
        }
    _print_recall("demo store, hand-labelled", len(demo_set), rows)
    items = ownwords.own_words()
    with tempfile.TemporaryDirectory(prefix="kiosk-ownwords-") as tmp:
        path = Path(tmp) / "catalog.sqlite3"
        seed_demo(path)
        scores = {}
        for name, model in (("words", None), ("hybrid", embedder)):
            with ownwords.assistant_on(path, model) as assistant:
                scores[name] = ownwords.score(assistant, items)
    print(
        "own-words requests over the demo store, whole turn: right product shown with intent "
        "find_product / not-sold requests labelled out_of_scope"
    )
    for name, by_split in scores.items():
        for split in ("tune", "held"):
            sc = by_split[split]
            print(
                f"  {name:6} {split:4}  products {sc.product_hits}/{sc.products} "
                f"({sc.product_rate:.0%})   not sold {sc.absent_hits}/{sc.absent} "
                f"({sc.absent_rate:.0%})"
            )


def at_scale(
    db: Path,
    embedder: Embedder,
    synth: Labelled,
    mix: list[tuple[str, SearchFilters]],
    n: int,
) -> None:
    """Vectors for the generated catalog, recall words vs hybrid, and query speed."""
    with Catalog.open(db) as catalog:
        t0 = time.perf_counter()
        done = catch_up(catalog, embedder)
        made = time.perf_counter() - t0
        st = vectors.stats(catalog.conn, embedder.name)
        print(
            f"product vectors: {done.embedded:,} made from SQLite in {made:.1f} s "
            f"({done.embedded / made:,.0f} products/s, name and category, "
            f"{embedder.n_threads} threads), {st.stored_bytes / 1e6:.1f} MB stored (float16)"
        )
        meaning = Meaning(catalog, embedder)
        t0 = time.perf_counter()
        meaning.ready()
        print(
            f"  vectors into memory: {time.perf_counter() - t0:.2f} s (float16 as stored, and "
            "their main directions for the first pass)"
        )
        words = find_search(catalog, None)
        both = find_search(catalog, meaning)
        rows = {"words": recall(words, synth), "hybrid": recall(both, synth)}
        _print_recall("generated catalog, labelled by construction", len(synth), rows)
        texts = [q for q, _ in mix if q] + [str(i["query"]) for i in ownwords.own_words()]
        for name, model in (("words", None), ("hybrid", meaning)):
            run = timed_search(catalog, model)
            for text in texts[:20]:
                run(text)  # warm the index, the lexicon and the matrix
            read: list[float] = []
            times: list[float] = []
            for i in range(n):
                embedder.clear_cache()  # every request new to the model
                a, b = run(texts[i % len(texts)])
                read.append(a)
                times.append(b)
            print(
                f"find search {name:6}: {n} requests, p50 {pct(times, 0.5):.2f} ms, "
                f"p95 {pct(times, 0.95):.2f} ms, max {max(times):.2f} ms"
                + ("  (request embedded each time; target p95 <= 15 ms)" if model else "")
            )
        print(
            f"  understanding the request (rules over 100k names): p50 {pct(read, 0.5):.2f} ms, "
            f"p95 {pct(read, 0.95):.2f} ms"
        )

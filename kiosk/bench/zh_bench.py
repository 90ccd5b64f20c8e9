"""`kiosk bench zh`: Mandarin requests over the demo store, read by the kiosk.

tests/data/zh/requests.jsonl holds Mandarin requests written for this repo from the
demo store's data, each with the intent the kiosk should take and, where it matters,
the products that are right and the slots that must be read (README there). A request
counts as "intent" right when `Assistant.understand` gives the labelled intent, and as
"intent+products" right when besides that the labelled slots are read and the act
stage shows a right product first (`any`) or all the labelled ones (`all`). The set
is split: "tune" was developed against; "held" was written first and only scored.

Over the real demo catalog (seeded fresh, words alone: no embedding model, so the
figure is the rules'), each request in a fresh session. Also the understand stage's
p50/p95 for the Chinese requests.
"""

from __future__ import annotations

import importlib
import json
import logging
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.assistant.pipeline import Assistant
from kiosk.assistant.session import Session
from kiosk.assistant.zh.understand import _LATIN, ZhVocabulary
from kiosk.bench.figures import pct
from kiosk.catalog.db import change_stamp
from kiosk.catalog.demo import seed_demo
from kiosk.catalog.repository import Catalog
from kiosk.config import load

DATA = Path(__file__).resolve().parents[2] / "tests" / "data" / "zh" / "requests.jsonl"


def labelled(path: Path = DATA) -> list[dict[str, Any]]:
    """The labelled Mandarin requests; empty where the repo's tests/ isn't there."""
    if not path.is_file():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@dataclass
class Score:
    """One split's right answers."""

    n: int = 0
    intent: int = 0
    full: int = 0  # intent, slots and products right
    by_intent: Counter[str] = field(default_factory=Counter)
    by_intent_full: Counter[str] = field(default_factory=Counter)
    misses: list[str] = field(default_factory=list)

    def rate(self, hits: int) -> float:
        return hits / self.n if self.n else 0.0


def check(item: dict[str, Any], intent: str, slots: dict[str, Any], shown: list[str]) -> list[str]:
    """What is wrong with one answer (empty: right)."""
    wrong = []
    # What the store doesn't sell: nothing may be shown. With search by meaning the
    # kiosk labels it out_of_scope (unmet demand in the insights); by words alone it
    # is a find_product that found nothing. Either is the honest label.
    not_sold = {"find_product", "out_of_scope"} if item.get("none") else {item["intent"]}
    if intent not in not_sold:
        wrong.append(f"intent {intent}")
    for key, want in (item.get("slots") or {}).items():
        if slots.get(key) != want:
            wrong.append(f"{key}={slots.get(key)!r}")
    if item.get("any") and not (shown and shown[0] in item["any"]):
        wrong.append(f"shown {shown[:4]}")
    if item.get("none") and shown:
        wrong.append(f"shown {shown[:4]} for what isn't sold")
    if item.get("all") and not set(item["all"]) <= set(shown):
        wrong.append(f"shown {shown[:4]}")
    return wrong


def score(
    assistant: Assistant, items: list[dict[str, Any]], times_ms: list[float] | None = None
) -> dict[str, Score]:
    """Each request in a fresh session, scored per split."""
    out: dict[str, Score] = {}
    lex = assistant.lexicon()
    for item in items:
        sc = out.setdefault(str(item["split"]), Score())
        started = time.perf_counter()
        u = assistant.understand(item["text"], lex)
        if times_ms is not None:
            times_ms.append((time.perf_counter() - started) * 1000)
        outcome = assistant.act(u, Session(), lex)
        shown = [c.id for c in outcome.reply.products]
        wrong = check(item, str(u.intent), u.slots(), shown)
        sc.n += 1
        sc.by_intent[item["intent"]] += 1
        if not [w for w in wrong if w.startswith("intent ")]:
            sc.intent += 1
        if not wrong:
            sc.full += 1
            sc.by_intent_full[item["intent"]] += 1
        else:
            sc.misses.append(f"{item['text']} -> {u.text!r}: {', '.join(wrong)}")
    return out


def demo_assistant(home: str, *, meaning: bool = False) -> tuple[Catalog, Assistant]:
    """The demo store's assistant: words alone (the rules' own figure, no model loads),
    or with the embedding model as the kiosk runs (search by meaning)."""
    path = Path(home) / "catalog.sqlite3"
    if not path.exists():
        seed_demo(path)
    catalog = Catalog.open(path)
    cfg = load(
        env={"KIOSK_HOME": home, "KIOSK_LLM_BACKEND": "none", "KIOSK_ASSISTANT_PHRASING": "off"}
    )
    assistant = Assistant(catalog, cfg)
    if not meaning:
        assistant._embedder_tried = True
    return catalog, assistant


def report(name: str, scores: dict[str, Score], *, misses: bool) -> None:
    print(f"{name}:")
    for split in ("tune", "held", "blind", "probe"):
        sc = scores.get(split)
        if sc is None:
            continue
        print(
            f"  {split:<5} n={sc.n:<4} intent {sc.rate(sc.intent):6.1%}   "
            f"intent+slots+products {sc.rate(sc.full):6.1%}"
        )
        for intent, n in sorted(sc.by_intent.items()):
            print(f"        {intent:<17} {sc.by_intent_full[intent]:>3}/{n:<3}")
        if misses:
            for line in sc.misses:
                print(f"        miss: {line}")


def _rss_kib() -> int:
    """This process's resident memory (Linux), 0 where it can't be read."""
    try:
        return int(Path("/proc/self/statm").read_text().split()[1]) * 4
    except (OSError, IndexError, ValueError):
        return 0


def jieba_cut(
    vocab: ZhVocabulary,
) -> Callable[[str, ZhVocabulary], list[tuple[int, int, str]]] | None:
    """jieba's segmentation with every glossary and catalog word added, each word then
    looked up in the same glossary: the alternative measured against ours. None when
    jieba isn't installed (it isn't a dependency: see `run`)."""
    try:
        jieba = importlib.import_module("jieba")  # measured, not a dependency
    except ImportError:
        return None
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for word in vocab.gloss:
        tokenizer.add_word(word)

    def cut(text: str, vocab: ZhVocabulary) -> list[tuple[int, int, str]]:
        out: list[tuple[int, int, str]] = []
        for token, start, end in tokenizer.tokenize(text):
            if token in vocab.gloss:
                out.append((start, end, vocab.gloss[token]))
            elif _LATIN.fullmatch(token):
                out.append((start, end, token))
        return out

    return cut


def _compare_jieba(
    catalog: Catalog,
    assistant: Assistant,
    vocab: ZhVocabulary,
    items: list[dict[str, Any]],
    *,
    misses: bool,
) -> None:
    """The same requests with jieba's segmentation (when installed) instead of ours."""
    rss, started = _rss_kib(), time.perf_counter()
    cut = jieba_cut(vocab)
    if cut is None:
        print("jieba is not installed: only our segmenter measured")
        return
    print(
        f"  jieba: loaded with the same words in {time.perf_counter() - started:.2f} s, "
        f"+{(_rss_kib() - rss) // 1024} MiB"
    )
    vocab.cut = cut
    assistant._zh, assistant._zh_stamp = vocab, change_stamp(catalog.conn)
    times: list[float] = []
    report("jieba + the same glossary", score(assistant, items, times), misses=misses)
    print(
        f"understand (Chinese, jieba): p50 {pct(times, 0.5):.2f} ms  p95 {pct(times, 0.95):.2f} ms"
    )


def run(*, misses: bool = False) -> int:
    items = labelled()
    if not items:
        print("no labelled set (tests/data/zh/ is in the repository, not an installed kiosk)")
        return 1
    with tempfile.TemporaryDirectory(prefix="kiosk-zh-") as home:
        catalog, assistant = demo_assistant(home)
        try:
            times: list[float] = []
            scores = score(assistant, items, times)
            report("longest match over the glossary and the catalog's words", scores, misses=misses)
            print(
                f"understand (Chinese): p50 {pct(times, 0.5):.2f} ms  p95 {pct(times, 0.95):.2f} ms"
                f"  (n={len(times)})"
            )
            rss, started = _rss_kib(), time.perf_counter()
            vocab = ZhVocabulary.build(catalog)
            print(
                f"  our segmenter: vocabulary {len(vocab.gloss)} words, built in "
                f"{(time.perf_counter() - started) * 1000:.1f} ms, +{_rss_kib() - rss} KiB"
            )
            _compare_jieba(catalog, assistant, vocab, items, misses=misses)
        finally:
            assistant.close()
            catalog.close()
        catalog, assistant = demo_assistant(home, meaning=True)
        try:
            if assistant.embedder is None:
                print("as the kiosk runs: no embedding model (`kiosk models`), not measured")
            else:
                scores = score(assistant, items)
                report(
                    "as the kiosk runs (the embedding model loaded; it reads English only,"
                    " so a Chinese turn is found by words)",
                    scores,
                    misses=misses,
                )
        finally:
            assistant.close()
            catalog.close()
    return 0

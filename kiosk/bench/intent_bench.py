"""`kiosk bench intents`: rules alone against rules + classifier, and what it costs.

Figures, never asserts: intent accuracy on three labelled sets kept in tests/data/
(requests in shoppers' own words; Bitext rows the classifier never trained on; the
300-row Bitext customer-service sample), per intent on the own-words set; the
understand stage's p50/p95 with and without the classifier on the same requests
(each new to the embedding cache), and the classifier's load time. Over the demo
store, on a fresh home: the shipped model.
"""

from __future__ import annotations

import csv
import tempfile
import time
from collections import Counter
from pathlib import Path

from kiosk.assistant.pipeline import Assistant
from kiosk.catalog.demo import seed_demo
from kiosk.catalog.repository import Catalog
from kiosk.config import load

DATA = Path(__file__).resolve().parents[2] / "tests" / "data"
SAMPLE_MAP = {
    "contact_human_agent": "call_staff",
    "contact_customer_service": "call_staff",
    "check_refund_policy": "store_policy",
    "check_payment_methods": "store_policy",
    "complaint": "feedback",
    "review": "feedback",
}


def labelled_sets() -> dict[str, list[tuple[str, str]]]:
    """name -> (request, kiosk intent) pairs; empty where the repo's tests/ isn't there."""
    out: dict[str, list[tuple[str, str]]] = {}
    for name, file, text, label in (
        ("own words", DATA / "intents/own_words.csv", "text", "intent"),
        ("held-out Bitext", DATA / "intents/bitext_heldout.csv", "text", "intent"),
        (
            "Bitext sample",
            DATA / "requests/bitext_customer_support_sample.csv",
            "utterance",
            "intent",
        ),
    ):
        if file.is_file():
            with file.open(encoding="utf-8") as fh:
                out[name] = [
                    (r[text], SAMPLE_MAP.get(r[label], r[label]).split(":")[0])
                    for r in csv.DictReader(fh)
                ]
    return out


def run() -> int:
    sets = labelled_sets()
    if not sets:
        print("no labelled sets (tests/data/ is in the repository, not an installed kiosk)")
        return 1
    with tempfile.TemporaryDirectory() as home:
        path = Path(home) / "catalog.sqlite3"
        seed_demo(path)
        with Catalog.open(path) as catalog:
            bots = {
                on: Assistant(
                    catalog,
                    load(
                        env={
                            "KIOSK_HOME": home,
                            "KIOSK_ASSISTANT_INTENT_CLASSIFIER": "true" if on else "false",
                        }
                    ),
                )
                for on in (False, True)
            }
            started = time.perf_counter()
            if bots[True].intent_model is None:
                print("the intent classifier could not be loaded (see the log)")
                return 1
            print(
                f"classifier loaded with the embedding model in "
                f"{(time.perf_counter() - started) * 1000:.0f} ms"
            )
            timings: dict[bool, list[float]] = {False: [], True: []}
            seen: dict[bool, set[str]] = {False: set(), True: set()}
            for name, rows in sets.items():
                right: dict[bool, int] = {False: 0, True: 0}
                wrong: Counter[str] = Counter()
                totals: Counter[str] = Counter()
                for on, bot in bots.items():
                    lex = bot.lexicon()
                    for text, want in rows:
                        t = time.perf_counter()
                        got = bot.understand(text, lex).intent
                        if text not in seen[on]:  # a repeat would come from the cache
                            seen[on].add(text)
                            timings[on].append((time.perf_counter() - t) * 1000)
                        right[on] += got == want
                        if on:
                            totals[want] += 1
                            wrong[want] += got != want
                n = len(rows)
                print(
                    f"{name} ({n}): rules {right[False] / n:.1%}, "
                    f"rules + classifier {right[True] / n:.1%}"
                )
                if name == "own words":
                    for intent in sorted(totals):
                        ok = totals[intent] - wrong[intent]
                        print(f"  {intent:<17} {ok:>3}/{totals[intent]}")
            for on, ms in timings.items():
                ms.sort()
                label = "rules + classifier" if on else "rules only"
                print(
                    f"understand, {label}: p50 {ms[len(ms) // 2]:.1f} ms, "
                    f"p95 {ms[int(len(ms) * 0.95)]:.1f} ms ({len(ms)} requests)"
                )
            bots[True].close()
    return 0

"""`kiosk bench phrasing`: does a model's phrasing earn its place? Figures, not asserts.

Over a fixed set of turns from the demo store (at least 100: each product asked for,
located, priced and described; each category; policies, service, absent products),
for each model and mode (`lead`, `full`):

- accepted: the fact check let the model's text stand (else the template answered);
- misleading: accepted, yet a shopper would be misled (kiosk.assistant.judge: the
  tone of refusal or availability against the reply, promises no fact makes);
- omits: accepted, but a fact the template states (a price, an aisle, a shelf) is gone;
- added latency p50/p95: what phrasing and its check add to a turn;
- late: accepted, but ready more than `assistant.phrasing_wait_s` after the facts
  were shown, so the screen drops it rather than reflow the reply.

The bar for a mode to be on by default (issue 14): accepted >= 50% with 0 misleading
(and nothing the template said left out).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import statistics
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from kiosk.assistant.judge import judge_reply, omissions
from kiosk.assistant.pipeline import Assistant
from kiosk.assistant.reply import Phrasing
from kiosk.assistant.session import Session
from kiosk.bench.figures import pct
from kiosk.catalog.demo import seed_demo
from kiosk.catalog.repository import Catalog
from kiosk.config import Config, PhrasingMode
from kiosk.errors import KioskError
from kiosk.llm.base import ChatModel

BAR_ACCEPTED = 0.5
OTHER_TURNS = [
    "what is your return policy",
    "what's your return policy for gold members?",
    "can I return a tent after 40 days?",
    "what are your opening hours?",
    "do you take credit cards?",
    "can I talk to a person",
    "do you have kayaks?",
    "do you sell surfboards",
    "waterproof hiking boots under 100 dollars in size 10",
    "backpacks under 100 dollars",
    "the cheapest tent",
    "compare the TrailMaster X4 and the Alpine Explorer tent",
    "what goes with the SkyView tent?",
    "this stove broke after one trip",
    "thanks, bye",
]


def turn_set(catalog: Catalog) -> list[str]:
    """The bench's requests, from the catalog itself: the same store, the same set."""
    turns = []
    for p in catalog.all_products():
        turns += [
            f"do you have the {p.name}?",
            f"where can I find the {p.name}?",
            f"how much is the {p.name}?",
            f"tell me about the {p.name}",
        ]
    turns += [f"show me {c.lower()}" for c in catalog.categories()]
    return turns + OTHER_TURNS


@dataclass
class Figures:
    turns: int = 0
    accepted: int = 0
    misleading: list[tuple[str, str, list[str]]] = field(default_factory=list)
    omitting: int = 0  # accepted, but a fact of the template (price, aisle...) is gone
    failed: int = 0  # the model failed or timed out: templates answered
    late: int = 0
    added_ms: list[float] = field(default_factory=list)

    def line(self, label: str) -> str:
        n = max(1, self.turns)
        ok = self.accepted / n >= BAR_ACCEPTED and not self.misleading and not self.omitting
        added = self.added_ms or [float("nan")]
        p95 = pct(added, 0.95)
        return (
            f"{label:<44} {self.turns:5} {self.accepted / n:7.0%} "
            f"{len(self.misleading) / n:10.1%} {self.omitting / n:7.0%} "
            f"{statistics.median(added):8.0f} {p95:8.0f} "
            f"{self.late / n:6.0%} {self.failed:6}   {'meets' if ok else 'below'}"
        )


def measure(
    catalog: Catalog, cfg: Config, chat: ChatModel, mode: PhrasingMode, turns: list[str]
) -> Figures:
    mode_cfg = dataclasses.replace(cfg, assistant=dataclasses.replace(cfg.assistant, phrasing=mode))
    plain = Assistant(
        catalog,
        dataclasses.replace(
            cfg, assistant=dataclasses.replace(cfg.assistant, phrasing=PhrasingMode.OFF)
        ),
    )
    phrased = Assistant(catalog, mode_cfg, chat)
    phrased.warm()
    f = Figures()
    for text in turns:
        template = plain.turn(Session(), text).text
        # A front (screen, voice) shows the facts first: the late rule applies.
        reply = phrased.turn(Session(), text, on_chunk=lambda _text: None)
        f.turns += 1
        f.added_ms.append(reply.timings_ms.get("llm", 0.0))
        if reply.errors:
            f.failed += 1
        if reply.phrasing == Phrasing.LLM_LATE:
            f.late += 1
        if reply.phrasing in (Phrasing.LLM, Phrasing.LLM_LATE):
            f.accepted += 1
            text_out = reply.text if reply.phrasing == Phrasing.LLM else reply.late_text or ""
            judged = dataclasses.replace(reply, text=text_out)
            why = judge_reply(judged, template)
            if why:
                f.misleading.append((text, text_out, why))
            if omissions(text_out, template):
                f.omitting += 1
    return f


def seen_requests(train_file: str) -> set[str]:
    """The shoppers' requests in a `kiosk train-data` file: an adapter trained on it is
    judged only on the others."""
    seen = set()
    for line in Path(train_file).read_text(encoding="utf-8").splitlines():
        try:
            messages = json.loads(line)["messages"]
        except (ValueError, KeyError, TypeError):
            continue
        for m in messages:
            text = str(m.get("content", "")) if m.get("role") == "user" else ""
            if text.startswith("Shopper: "):
                seen.add(text.removeprefix("Shopper: ").split("\n", 1)[0].strip().lower())
    return seen


def run(
    cfg: Config,
    *,
    extra_models: list[str] | None = None,
    limit: int = 0,
    unseen: str | None = None,
) -> int:
    from kiosk.llm.loader import load_chat_model

    # A failed or slow phrasing is counted in the table; its warning line would bury it.
    logging.getLogger("kiosk.assistant.compose").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as tmp:
        db = Path(tmp) / "catalog.sqlite3"
        seed_demo(db)
        with Catalog.open(db) as catalog:
            turns = turn_set(catalog)
            if unseen:
                seen = seen_requests(unseen)
                turns = [t for t in turns if t.lower() not in seen]
                print(f"{len(seen)} requests in {unseen} left out: the adapter saw them")
            if limit:
                turns = turns[:limit]
            configs = [cfg] + [
                dataclasses.replace(cfg, models=dataclasses.replace(cfg.models, llm=m))
                for m in extra_models or []
            ]
            print(
                f"{len(turns)} turns over the demo store; bar: accepted >= {BAR_ACCEPTED:.0%} "
                f"with 0 misleading; late = ready more than {cfg.assistant.phrasing_wait_s:g} s "
                "after the facts were shown (dropped)"
            )
            print(
                f"{'model, mode':<44} {'turns':>5} {'accepted':>7} {'misleading':>10} {'omits':>7} "
                f"{'added p50':>8} {'p95 ms':>8} {'late':>6} {'failed':>6}   bar"
            )
            examples: list[tuple[str, str, list[str]]] = []
            for c in configs:
                try:
                    chat = load_chat_model(c)
                except KioskError as exc:
                    print(f"{c.models.llm or 'bundled model'}: not loaded: {exc.message}")
                    continue
                if chat is None:
                    print("llm.backend = none: nothing to measure")
                    return 1
                try:
                    for mode in (PhrasingMode.LEAD, PhrasingMode.FULL):
                        figures = measure(catalog, c, chat, mode, turns)
                        name = getattr(chat, "name", "?")
                        if c.llm.lora:
                            name += f" + {Path(c.llm.lora).name}"
                        print(figures.line(f"{name}, {mode}"), flush=True)
                        examples += figures.misleading[:3]
                finally:
                    chat.close()
            for request, said, why in examples[:6]:
                print(f"  misleading: {request!r} -> {said[:110]!r} ({'; '.join(why)})")
    return 0

"""`kiosk train-data`: chat-format training pairs from what the store already has.

A LoRA adapter (`llm.lora`) should learn this store's words and the kiosk's own way of
saying its facts, so the pairs come from the kiosk itself: demo-style requests over the
store's catalog (every product, category and brand) and requests shoppers made (the
request log, stored redacted), each answered by the real assistant's understand and
act stages, i.e. the template reply built from the facts, which is true by
construction; and the descriptions staff approved, against the specs they were
written from. The prompts are the ones the kiosk sends at run time (`full` phrasing,
shelf descriptions), so an adapter trained on them is asked the same way it learnt.

Written as JSONL, one `{"messages": [system, user, assistant]}` per line: the
conversational format TRL's SFTTrainer, Axolotl and llama.cpp's tools read.

Nothing personal passes: a pair any of whose texts the redaction would change (a
phone number, email, card or loyalty number) is left out whole rather than rewritten
(a rewritten price range would teach a wrong fact), and so are requests that would
write to the store (staff calls, feedback) and bare numbers. Staff corrections of
replies would be the best pairs of all; the console does not record any yet.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from kiosk.assistant.compose import FULL_PROMPT
from kiosk.assistant.pipeline import Assistant
from kiosk.assistant.reply import Intent
from kiosk.assistant.session import Session
from kiosk.catalog.repository import Catalog
from kiosk.catalog.requestlog import turns
from kiosk.config import Config, PhrasingMode
from kiosk.insights.describe import SYSTEM_PROMPT as DESCRIBE_PROMPT
from kiosk.insights.describe import spec_lines
from kiosk.text.privacy import redact

# Requests that change the store (a staff call, a comment) are never replayed.
_WRITES = frozenset({Intent.CALL_STAFF, Intent.FEEDBACK})
GENERAL_REQUESTS = (
    "hello",
    "what is your return policy?",
    "can I return something I bought last month?",
    "what are your opening hours?",
    "do you price match?",
    "do you sell kayaks?",
    "do you have surfboards?",
    "what's the weather like tomorrow?",
    "thanks, that's all",
)
MAX_LOG_REQUESTS = 500


@dataclass
class Export:
    """What `kiosk train-data` wrote, counted by where the pairs came from."""

    pairs: Counter[str] = field(default_factory=Counter)
    left_out: Counter[str] = field(default_factory=Counter)

    def summary(self, out: str) -> str:
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(self.pairs.items())) or "none"
        line = f"wrote {sum(self.pairs.values())} training pairs to {out} ({kinds})"
        if self.left_out:
            why = ", ".join(f"{n} {k}" for k, n in sorted(self.left_out.items()))
            line += f"; left out: {why}"
        return line + "; staff corrections of replies: none recorded yet"


def reply_messages(request: str, answer: str) -> list[dict[str, str]]:
    """The kiosk's `full` phrasing prompt (kiosk.assistant.compose) with the reply as
    the answer to learn. Keep in step with `Composer._full`."""
    return [
        {"role": "system", "content": FULL_PROMPT},
        {
            "role": "user",
            "content": f"Shopper: {request[:300]}\nKiosk answer: {answer}\nRewritten answer:",
        },
        {"role": "assistant", "content": answer},
    ]


def description_messages(specs: str, text: str) -> list[dict[str, str]]:
    """The shelf-description prompt (kiosk.insights.describe) with staff's approved text."""
    return [
        {"role": "system", "content": DESCRIBE_PROMPT},
        {"role": "user", "content": f"Specs:\n{specs[:1500]}\n\nShelf description:"},
        {"role": "assistant", "content": text},
    ]


def catalog_requests(catalog: Catalog) -> list[str]:
    """Demo-style requests over this store's own catalog, in a fixed order."""
    products = catalog.all_products()
    out: list[str] = []
    for p in products:
        out += [
            f"where is the {p.name}?",
            f"how much is the {p.name}?",
            f"tell me about the {p.name}",
            f"is the {p.name} in stock?",
        ]
    for category in catalog.categories():
        kind = category.lower()
        out += [f"do you have {kind}?", f"{kind} under 100 dollars", f"cheapest {kind}"]
        same = [p for p in products if p.category == category]
        if len(same) >= 2:
            out.append(f"compare the {same[0].name} and the {same[1].name}")
    for brand in sorted({p.brand for p in products if p.brand}):
        out.append(f"what do you have from {brand}?")
    return [*out, *GENERAL_REQUESTS]


def logged_requests(catalog: Catalog, limit: int = MAX_LOG_REQUESTS) -> list[str]:
    """What shoppers asked (stored redacted), most asked first; none that held anything
    the redaction replaced, and no bare numbers."""
    counts = Counter(" ".join(t.text.split()) for t in turns(catalog.conn))
    keep = [
        text
        for text, _n in counts.most_common()
        if text
        and "[" not in text
        and redact(text) == text
        and not re.fullmatch(r"[\d\s#-]+", text)
    ]
    return keep[:limit]


def _clean(messages: list[dict[str, str]]) -> bool:
    """True when every text is non-empty and nothing in it is personal data."""
    return all(m["content"].strip() and redact(m["content"]) == m["content"] for m in messages)


def pairs(
    cfg: Config, catalog: Catalog, export: Export, *, from_log: bool = True
) -> Iterator[list[dict[str, str]]]:
    """Every training pair, deduplicated; `export` counts them and what was left out."""
    import dataclasses

    quiet = dataclasses.replace(
        cfg, assistant=dataclasses.replace(cfg.assistant, phrasing=PhrasingMode.OFF)
    )
    bot = Assistant(catalog, quiet)  # no model: the template replies are the targets
    lex = bot.lexicon()
    seen: set[str] = set()

    def fresh(kind: str, messages: list[dict[str, str]]) -> bool:
        if not _clean(messages):
            export.left_out[f"{kind} with personal data or empty"] += 1
            return False
        key = json.dumps(messages, sort_keys=True)
        if key in seen:
            return False
        seen.add(key)
        export.pairs[kind] += 1
        return True

    sources: list[tuple[str, Iterable[str]]] = [("catalog requests", catalog_requests(catalog))]
    if from_log:
        sources.append(("shopper requests", logged_requests(catalog)))
    try:
        for kind, requests in sources:
            for request in requests:
                u = bot.understand(request, lex)
                if u.intent in _WRITES:
                    export.left_out[f"{kind} that write (staff call, feedback)"] += 1
                    continue
                reply = bot.act(u, Session(), lex).reply
                messages = reply_messages(request, reply.text)
                if fresh(kind, messages):
                    yield messages
        for product_id, text, _source in catalog.approved_descriptions():
            product = catalog.product(product_id)
            if product is None:
                continue
            messages = description_messages("\n".join(spec_lines(catalog, product)), text)
            if fresh("approved descriptions", messages):
                yield messages
    finally:
        bot.close()


def write_jsonl(cfg: Config, catalog: Catalog, out: TextIO, *, from_log: bool = True) -> Export:
    """Write every pair as one JSON object per line; returns the counts."""
    export = Export()
    for messages in pairs(cfg, catalog, export, from_log=from_log):
        out.write(json.dumps({"messages": messages}, ensure_ascii=False) + "\n")
    return export


def export_file(cfg: Config, path: Path, *, from_log: bool = True) -> Export:
    """`kiosk train-data --out PATH`: the store's catalog, read only, into PATH (replaced
    only once complete, so a failed export never leaves half a file)."""
    tmp = path.with_name(path.name + ".part")
    with Catalog.open(cfg.catalog_path, create=False) as catalog:
        try:
            with tmp.open("w", encoding="utf-8") as out:
                export = write_jsonl(cfg, catalog, out, from_log=from_log)
            tmp.replace(path)
        finally:
            tmp.unlink(missing_ok=True)
    return export

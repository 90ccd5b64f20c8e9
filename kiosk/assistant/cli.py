"""`kiosk ask` and the interactive text session: the assistant without a screen."""

from __future__ import annotations

import argparse
import json
import sys
import time

from kiosk.assistant.reply import Card, Intent, Reply, Source
from kiosk.catalog.records import format_price
from kiosk.catalog.repository import Catalog
from kiosk.config import Config


def answer(catalog: Catalog, text: str, limit: int = 5) -> Reply:
    """One turn from the catalog alone: search and list what was found."""
    t0 = time.perf_counter()
    hits = catalog.search(text, limit=limit)
    products = catalog.products([h.product_id for h in hits])
    t1 = time.perf_counter()
    if not products:
        reply_text = "Sorry, I couldn't find that in our catalog."
    else:
        parts = []
        for p in products:
            stock = "in stock" if p.in_stock else "out of stock"
            where = f", {p.location.lower()}" if p.location else ""
            parts.append(f"{p.name} at {format_price(p.price_cents)}, {stock}{where}")
        reply_text = "Here is what I found: " + "; ".join(parts) + "."
    return Reply(
        intent=Intent.FIND_PRODUCT,
        text=reply_text,
        products=[Card.of(p) for p in products],
        sources=[Source("product", p.id, p.name) for p in products],
        timings_ms={"search": (t1 - t0) * 1000, "total": (time.perf_counter() - t0) * 1000},
    )


def _print(reply: Reply, as_json: bool) -> None:
    if as_json:
        print(json.dumps(reply.to_json(), ensure_ascii=False))
    else:
        print(reply.text)


def ask(cfg: Config, args: argparse.Namespace) -> int:
    with Catalog.open(cfg.catalog_path, create=False) as catalog:
        if args.text:
            _print(answer(catalog, " ".join(args.text), cfg.search.limit), args.json)
            return 0
        return _repl(catalog, cfg, as_json=args.json)


def _repl(catalog: Catalog, cfg: Config, *, as_json: bool) -> int:
    interactive = sys.stdin.isatty()
    if interactive:
        print(f"Welcome to {cfg.store.name}. What are you looking for? (Ctrl+D to leave)")
    while True:
        try:
            line = input("> " if interactive else "")
        except EOFError:
            return 0
        if line.strip():
            _print(answer(catalog, line, cfg.search.limit), as_json)


def run_kiosk(cfg: Config) -> int:
    """The shopper kiosk; until the screen exists, the interactive text session."""
    with Catalog.open(cfg.catalog_path, create=False) as catalog:
        return _repl(catalog, cfg, as_json=False)

"""The catalog's commands: `kiosk import`, `kiosk vectors`, `kiosk demo`, `kiosk search`,
`kiosk sync`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kiosk.cli.common import json_text, progress_printer, say_read_only
from kiosk.config import Config
from kiosk.errors import KioskError
from kiosk.text.control import printable


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    s = sub.add_parser("import", help="import catalog files (one transaction)")
    s.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="products CSV/JSON/JSONL, a Shopify CSV export, or a store directory "
        "(products.csv + manuals/ + customers/)",
    )
    s.add_argument(
        "--replace",
        action="store_true",
        help="make each imported product whole: fields the files don't give are emptied "
        "(default: merge, a column a file doesn't have leaves that field as it is; "
        "stock, aisle and shelf are kept either way when the files have none)",
    )
    s.add_argument(
        "--no-vectors",
        action="store_true",
        help="don't make the product vectors for search by meaning now (the catalog answers "
        "by words until `kiosk vectors` makes them)",
    )
    s.set_defaults(func=cmd_import)

    s = sub.add_parser(
        "vectors",
        help="make the product vectors search by meaning needs: only products that are new, "
        "changed or embedded by another model",
    )
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_vectors)

    s = sub.add_parser(
        "demo", help="seed the demo store (Contoso Outdoors) if the catalog is empty"
    )
    s.add_argument("--reset", action="store_true", help="replace the catalog with the demo store")
    s.set_defaults(func=cmd_demo)

    s = sub.add_parser("search", help="search the catalog")
    s.add_argument("query", nargs="*")
    s.add_argument("--min-price")
    s.add_argument("--max-price")
    s.add_argument("--brand")
    s.add_argument("--category")
    s.add_argument("--color")
    s.add_argument("--size")
    s.add_argument("--in-stock", action="store_true")
    s.add_argument("--sort", choices=["relevance", "price_asc", "price_desc"], default="relevance")
    s.add_argument("--limit", type=int, default=10)
    s.add_argument("--json", action="store_true")
    s.add_argument(
        "--batch",
        metavar="FILE",
        help="one query per line from FILE (- for stdin); one JSON array per line out",
    )
    s.set_defaults(func=cmd_search)

    s = sub.add_parser("sync", help="import the configured catalog feed (sync.feed) if it changed")
    s.add_argument("--force", action="store_true", help="import even an unchanged feed")
    s.set_defaults(func=cmd_sync)


def cmd_import(cfg: Config, args: argparse.Namespace) -> int:
    from kiosk.catalog.db import connect
    from kiosk.catalog.importers import import_paths

    paths = [Path(p) for p in args.paths]
    conn = connect(cfg.catalog_path)
    try:
        summary = import_paths(
            conn, paths, progress=progress_printer("importing"), replace=args.replace
        )
    finally:
        conn.close()
    # The first line is what store scripts read; what changed follows it.
    print(
        f"imported {summary.products} products, {summary.documents} documents, "
        f"{summary.reviews} reviews, {summary.customers} customers"
        + (f" ({summary.skipped} skipped)" if summary.skipped else "")
        + f" into {cfg.catalog_path}"
    )
    for line in summary.report():
        print(printable(line))
    from kiosk.assistant.quote import flag_catalog, needs_a_look
    from kiosk.catalog.repository import Catalog

    with Catalog.open(cfg.catalog_path, create=False) as catalog:
        note = needs_a_look(flag_catalog(catalog))  # catalog text the kiosk won't quote
    if note:
        print(printable(note))
    if not args.no_vectors:
        make_vectors(cfg, quiet_if_current=True)
    return 0


def make_vectors(cfg: Config, *, quiet_if_current: bool = False) -> dict[str, object] | None:
    """Embed the products that need it, with progress; a missing or broken model is one
    line, not a failure: the catalog answers by words until the vectors exist.
    `quiet_if_current`: no line when nothing needed making (an import of prices)."""
    from kiosk.assistant.meaning import catch_up
    from kiosk.catalog import vectors
    from kiosk.catalog.repository import Catalog
    from kiosk.llm.loader import load_embedder_or_words

    problems: list[str] = []
    embedder = load_embedder_or_words(cfg, report=problems.append)
    if embedder is None:
        print(
            printable(
                f"{problems[0] if problems else 'no embedding model'}; "
                "run `kiosk vectors` once it is fixed"
            )
        )
        return None
    try:
        with Catalog.open(cfg.catalog_path, create=False) as catalog:
            done = catch_up(
                catalog, embedder, progress=progress_printer("embedding products", "products")
            )
            st = vectors.stats(catalog.conn, embedder.name)
    finally:
        embedder.close()
    rate = f" ({done.rate:,.0f} products/s)" if done.embedded else ""
    if not (quiet_if_current and done.embedded == 0 and st.missing == 0):
        print(
            f"product vectors: {done.embedded:,} made in {done.seconds:.1f} s{rate}; "
            f"{st.current:,} of {st.products:,} products current, "
            f"{st.stored_bytes / 1e6:.1f} MB ({embedder.name})"
        )
    return {
        "embedded": done.embedded,
        "seconds": round(done.seconds, 3),
        "products": st.products,
        "current": st.current,
        "bytes": st.stored_bytes,
        "model": embedder.name,
    }


def cmd_vectors(cfg: Config, args: argparse.Namespace) -> int:
    if args.json:
        import contextlib
        import io

        with contextlib.redirect_stdout(io.StringIO()):
            out = make_vectors(cfg)
        print(json_text(out if out is not None else {"error": "no embedding model"}))
        return 0 if out is not None else 1
    return 0 if make_vectors(cfg) is not None else 1


def cmd_demo(cfg: Config, args: argparse.Namespace) -> int:
    from kiosk.catalog.demo import seed_demo

    if seed_demo(cfg.catalog_path, reset=args.reset):
        print(f"demo store (Contoso Outdoors) seeded into {cfg.catalog_path}")
        make_vectors(cfg)
    else:
        print(f"catalog {cfg.catalog_path} already has products; --reset to replace it")
    return 0


def cmd_search(cfg: Config, args: argparse.Namespace) -> int:
    from kiosk.catalog.records import format_price, parse_price
    from kiosk.catalog.repository import Catalog
    from kiosk.catalog.search import SearchFilters, SearchHit

    def price(option: str, text: str | None) -> int | None:
        try:
            return parse_price(text) if text else None
        except ValueError as exc:
            raise KioskError(f"{option}: {exc}", code="bad_price") from None

    filters = SearchFilters(
        min_price_cents=price("--min-price", args.min_price),
        max_price_cents=price("--max-price", args.max_price),
        brand=args.brand,
        category=args.category,
        color=args.color,
        size=args.size,
        in_stock=args.in_stock,
        sort=args.sort,
    )

    def as_json(hits: list[SearchHit]) -> str:
        return json_text(
            [
                {
                    "id": h.product_id,
                    "name": h.name,
                    "price": h.price_cents / 100,
                    "stock": h.stock,
                    "aisle": h.aisle,
                    "shelf": h.shelf,
                    "score": round(h.score, 3),
                }
                for h in hits
            ]
        )

    with Catalog.open(cfg.catalog_path, create=False) as catalog:
        say_read_only(catalog)
        if args.batch:
            # One process for many queries: the index and vocabulary load once.
            source = sys.stdin if args.batch == "-" else open(args.batch, encoding="utf-8")  # noqa: SIM115
            with source:
                for line in source:
                    found = catalog.search(line.strip(), filters, limit=args.limit)
                    print(as_json(found), flush=True)
            return 0
        hits = catalog.search(" ".join(args.query), filters, limit=args.limit)
    if args.json:
        print(as_json(hits))
        return 0
    if not hits:
        print("no products found")
    for h in hits:
        # Catalog text is data: a control character in it is shown, never obeyed.
        where = f"aisle {h.aisle}{', shelf ' + h.shelf if h.shelf else ''}" if h.aisle else "-"
        print(
            printable(
                f"{h.product_id:>8}  {h.name:<34} {format_price(h.price_cents):>10}  "
                f"stock {h.stock:>4}  {where}",
                newlines=False,
            )
        )
    return 0


def cmd_sync(cfg: Config, args: argparse.Namespace) -> int:
    from kiosk.ops.sync import sync_once

    result = sync_once(cfg, force=args.force)
    print(result.message)
    return result.exit_code

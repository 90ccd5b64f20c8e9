"""Staff commands: `kiosk staff` (the console), `kiosk calls`, `kiosk edit`,
`kiosk describe`, `kiosk insights`, `kiosk pin`, `kiosk label`, `kiosk train`.

Every one of them calls the same core functions as the console (`kiosk.ops.staff`),
so whatever staff do on the screen a store script can do too.
"""

from __future__ import annotations

import argparse
import json
import sys

from kiosk.config import Config
from kiosk.errors import KioskError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    s = sub.add_parser("staff", help="the staff console (calls, catalog, technician)")
    s.set_defaults(func=cmd_staff)

    s = sub.add_parser("calls", help="the staff-call queue; --ack N or --close N answers one")
    s.add_argument("--ack", type=int, metavar="N", help="acknowledge call N (someone is going)")
    s.add_argument("--close", type=int, metavar="N", help="close call N (done)")
    s.add_argument("--json", action="store_true", help="print the queue as JSON")
    s.set_defaults(func=cmd_calls)

    s = sub.add_parser("edit", help="change a product's price, stock, place or an attribute")
    s.add_argument("product", help="product id or exact name")
    s.add_argument("--price")
    s.add_argument("--stock")
    s.add_argument("--aisle")
    s.add_argument("--shelf")
    s.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set an attribute (KEY= with no value removes it); repeatable",
    )
    s.set_defaults(func=cmd_edit)

    s = sub.add_parser("insights", help="what shoppers asked, didn't find, and think")
    s.add_argument("--days", type=int, default=30, help="look back this many days")
    s.add_argument("--json", action="store_true", help="print the report as JSON")
    s.add_argument("--csv", metavar="FILE", help="write the report as CSV for a spreadsheet")
    s.add_argument(
        "--html",
        metavar="FILE",
        help="write one self-contained page with the charts (opens offline, prints)",
    )
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

    s = sub.add_parser("pin", help="hash a staff PIN for the config (reads it from stdin)")
    s.set_defaults(func=cmd_pin)

    s = sub.add_parser(
        "label",
        help="list logged requests, or correct one's intent (ID INTENT) for `kiosk train`",
    )
    s.add_argument("id", nargs="?", type=int, help="the logged request's number (#N)")
    s.add_argument("intent", nargs="?", help="its right intent, e.g. call_staff or store_policy")
    s.add_argument("--intent", dest="only", help="list only requests taken as this intent")
    s.add_argument("--limit", type=int, default=20, help="how many to list (newest first)")
    s.set_defaults(func=cmd_label)

    s = sub.add_parser(
        "train", help="retrain the intent classifier on the shipped and the store's examples"
    )
    s.add_argument(
        "--examples",
        action="append",
        default=[],
        metavar="FILE",
        help="more labelled requests (CSV text,intent or JSONL); repeatable",
    )
    s.add_argument(
        "--shipped",
        action="store_true",
        help="rebuild the shipped model from the shipped rows only (for developers)",
    )
    s.add_argument("--out", metavar="FILE.npz", help="write the model here instead")
    s.set_defaults(func=cmd_train)


def cmd_staff(cfg: Config, args: argparse.Namespace) -> int:
    from kiosk.catalog.repository import Catalog
    from kiosk.ui.staff import StaffApp

    with Catalog.open(cfg.catalog_path, create=False) as catalog:
        StaffApp(cfg, catalog).run()
    return 0


def cmd_calls(cfg: Config, args: argparse.Namespace) -> int:
    from kiosk.catalog.repository import Catalog
    from kiosk.ops.staff import format_calls, open_calls, set_call_status

    with Catalog.open(cfg.catalog_path, create=False) as catalog:
        for call_id, status in ((args.ack, "acknowledged"), (args.close, "closed")):
            if call_id is not None:
                message = set_call_status(catalog, call_id, status)
                print(message, file=sys.stderr)
                if message.startswith("Not"):
                    return 1
        calls = open_calls(catalog)
    if args.json:
        print(
            json.dumps(
                [
                    {"id": c.id, "at": c.at, "kiosk": c.kiosk, "looking_for": c.looking_for,
                     "status": c.status, "lang": c.lang}
                    for c in calls
                ],
                ensure_ascii=False,
            )
        )  # fmt: skip
    elif calls:
        print("\n".join(format_calls(calls)))
    else:
        print("no open staff calls")
    return 0


def cmd_edit(cfg: Config, args: argparse.Namespace) -> int:
    from kiosk.catalog.repository import Catalog
    from kiosk.ops.staff import find_product, save_edit, set_attribute

    with Catalog.open(cfg.catalog_path, create=False) as catalog:
        product = find_product(catalog, args.product)
        messages: list[str] = []
        if any(v is not None for v in (args.price, args.stock, args.aisle, args.shelf)):
            messages.append(
                save_edit(
                    catalog,
                    product.id,
                    price=args.price or f"{product.price_cents / 100:.2f}",
                    stock=args.stock if args.stock is not None else str(product.stock),
                    aisle=args.aisle if args.aisle is not None else product.aisle,
                    shelf=args.shelf if args.shelf is not None else product.shelf,
                )
            )
        for item in args.set:
            key, sep, value = item.partition("=")
            if not sep:
                messages.append(f"Not saved: --set {item!r} is not KEY=VALUE.")
                continue
            messages.append(set_attribute(catalog, product.id, key, value))
    if not messages:
        raise KioskError(
            "nothing to change: give --price, --stock, --aisle, --shelf or --set KEY=VALUE",
            code="nothing_to_edit",
        )
    print("\n".join(messages))
    return 1 if any(m.startswith("Not saved") for m in messages) else 0


def cmd_insights(cfg: Config, args: argparse.Namespace) -> int:
    from kiosk.catalog.repository import Catalog
    from kiosk.insights.report import current_report, format_report, write_csv

    with Catalog.open(cfg.catalog_path, create=False) as catalog:
        report = current_report(catalog, cfg.insights.retention_days, days=args.days)
    if args.csv:
        rows = write_csv(report, args.csv)
        print(f"wrote {rows} rows to {args.csv}", file=sys.stderr)
    if args.html:
        from pathlib import Path

        from kiosk.insights.charts import html_page

        page = html_page(report, cfg.store.name)
        Path(args.html).write_text(page, encoding="utf-8")
        print(f"wrote {args.html} ({len(page) / 1000:.0f} KB, charts inside)", file=sys.stderr)
    if args.json:  # the shoppers' words as they wrote them, Chinese included
        print(json.dumps(report, indent=2, ensure_ascii=False))
    elif not args.csv and not args.html:
        print(format_report(report))
    return 0


def cmd_describe(cfg: Config, args: argparse.Namespace) -> int:
    import dataclasses

    from kiosk.catalog.repository import Catalog
    from kiosk.insights.describe import check_description
    from kiosk.ops.staff import Drafts, approve_description, find_product

    with Catalog.open(cfg.catalog_path, create=False) as catalog:
        product = find_product(catalog, args.product)
        if args.text:
            out: dict[str, object] = {
                "product_id": product.id,
                "text": args.text,
                "source": "staff",
                "rejected_reasons": check_description(catalog, product, args.text),
            }
        else:
            if args.no_llm:
                cfg = dataclasses.replace(cfg, llm=dataclasses.replace(cfg.llm, backend="none"))
            drafts = Drafts(cfg, catalog)
            try:
                out = drafts.draft(product.id).to_json()
            finally:
                drafts.close()
            if drafts.problem:
                print(f"kiosk: {drafts.problem}", file=sys.stderr)
        reasons = [str(r) for r in out["rejected_reasons"]]  # type: ignore[attr-defined]
        if args.json:
            print(json.dumps(out, indent=2))
        else:
            print(f"{product.name} ({product.id}), {out['source']} draft:\n{out['text']}")
            for reason in reasons:
                print(f"  rejected: {reason}")
        if args.save:
            if args.text and reasons and not args.force:
                raise KioskError(
                    "not saved: the text says what the specs don't (see above); "
                    "fix it, or --force to save it anyway",
                    code="description_rejected",
                )
            approve_description(
                catalog, product.id, str(out["text"]), source=str(out["source"]), force=True
            )
            print(f"saved as the description of {product.id}", file=sys.stderr)
    return 0


def cmd_pin(cfg: Config, args: argparse.Namespace) -> int:
    """Hash a new staff PIN. On a terminal it is asked twice, unseen; from a pipe, one
    line. The config lines go to stdout (for `>> kiosk.toml`), what to do with them
    to stderr."""
    import getpass
    import os

    from kiosk.ops.staffauth import hash_pin, pin_problem

    if sys.stdin.isatty():
        pin = getpass.getpass("new staff PIN: ").strip()
        problem = pin_problem(pin)
        if not problem and getpass.getpass("the same PIN again: ").strip() != pin:
            problem = "the two PINs differ; nothing was changed, run `kiosk pin` again"
    else:
        pin = sys.stdin.readline().strip()
        problem = pin_problem(pin)
    if problem:
        raise KioskError(problem, code="pin_invalid")
    where = args.config or os.environ.get("KIOSK_CONFIG") or ""
    print(f'[ui]\nstaff_pin_hash = "{hash_pin(pin)}"', flush=True)
    print(
        "kiosk: put this in your config file's [ui] section "
        + (
            f"(KIOSK_CONFIG = {where})"
            if where
            else "(KIOSK_CONFIG is not set: make a TOML file and point KIOSK_CONFIG at it, "
            "or set KIOSK_UI_STAFF_PIN_HASH)"
        )
        + ", then restart the kiosk",
        file=sys.stderr,
    )
    return 0


def cmd_label(cfg: Config, args: argparse.Namespace) -> int:
    from kiosk.ops.train import label, recent
    from kiosk.text.control import printable

    if args.id is None:
        for t in recent(cfg, args.limit, args.only):
            print(printable(f"#{t.id:<6} {t.at}  {t.intent:<17} {t.text}", newlines=False))
        return 0
    if not args.intent:
        raise KioskError(
            "give the request's right intent: kiosk label ID INTENT", code="bad_intent"
        )
    print(printable(label(cfg, args.id, args.intent)))
    return 0


def cmd_train(cfg: Config, args: argparse.Namespace) -> int:
    import os
    from pathlib import Path

    # The fit's matrices are small: OpenBLAS's threads only wait on each other, the more
    # so on a busy 2-core kiosk (one fit: 0.9 s with one thread, 13.5 s with OpenBLAS's
    # default at load average 7). Set before numpy loads, which is here.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

    from kiosk.cli.common import status
    from kiosk.ops.train import retrain

    trained = retrain(
        cfg,
        extra=[Path(p) for p in args.examples],
        shipped_only=args.shipped,
        out=Path(args.out) if args.out else None,
        progress=status,
    )
    for line in trained.report.lines():
        print(line)
    for source in trained.sources:
        print(f"read {source}")
    print(f"wrote {trained.path}")
    return 0

"""The manager's report: one JSON-ready dict, its terminal text, and one CSV.

`build_report` is what `kiosk insights [--json]` prints and what the staff
console's Insights screen shows; `write_csv` is the spreadsheet export.
"""

from __future__ import annotations

import csv
import sqlite3
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from kiosk.catalog.complements import category_complements
from kiosk.catalog.records import Review
from kiosk.catalog.repository import Catalog
from kiosk.catalog.requestlog import apply_retention, local_time, turns
from kiosk.insights.demand import (
    catalog_kinds,
    top_products,
    top_requests,
    unanswered,
    unmet_demand,
)
from kiosk.insights.recommend import asked_together
from kiosk.insights.sentiment import agreement, feedback_sentiment, product_sentiment
from kiosk.text.language import NAMES

CSV_FIELDS = ("section", "label", "count", "detail")


def build_report(
    source: Catalog | sqlite3.Connection,
    *,
    days: int = 30,
    now: datetime | None = None,
    retention_days: int | None = None,
    limit: int = 20,
) -> dict[str, Any]:
    """Everything the Insights screen shows, for the last `days` days of the request log."""
    catalog = source if isinstance(source, Catalog) else Catalog(source)
    conn = catalog.conn
    logged = turns(conn, days=days, now=now)
    kinds = catalog_kinds(catalog)
    products = catalog.all_products()
    all_reviews: list[Review] = []
    per_product = []
    for p in products:
        reviews = catalog.reviews(p.id)
        all_reviews += reviews
        if reviews:
            per_product.append(product_sentiment(p.id, p.name, reviews).to_json())
    per_product.sort(key=lambda r: (r["sentiment"], r["name"]))
    together = asked_together(catalog, logged)
    return {
        "generated_at": local_time(now).strftime("%Y-%m-%dT%H:%M"),
        "days": days,
        "retention_days": retention_days,
        "requests": len(logged),
        "sessions": len({t.session for t in logged if t.session}),
        # Which languages shoppers asked in: requests and share of all, most used first.
        "languages": _languages(logged),
        # For the charts (insights/charts.py): when shoppers ask.
        "by_hour": _by_hour(logged),
        "by_day": _by_day(logged, days, now),
        "unmet_demand": [g.to_json() for g in unmet_demand(logged, known=kinds, limit=limit)],
        "top_requests": [g.to_json() for g in top_requests(logged, known=kinds, limit=limit)],
        "top_products": top_products(catalog, logged, limit=limit),
        "unanswered": [g.to_json() for g in unanswered(logged, known=kinds, limit=limit)],
        "feedback": feedback_sentiment(text for _, text, _ in catalog.feedback()),
        "reviews": {
            "agreement": agreement(all_reviews).to_json(),
            "products": per_product,
        },
        "recommendations": {
            "asked_together": {k: [p.to_json() for p in v] for k, v in together.items()},
            "complements": {
                cat: [
                    {"category": c.other, "customers": c.customers, "basis": c.basis} for c in comps
                ]
                for cat, comps in category_complements(catalog).items()
            },
        },
    }


def _languages(logged: list[Any]) -> list[dict[str, Any]]:
    counts = Counter(t.lang for t in logged)
    total = sum(counts.values())
    return [
        {"lang": lang, "name": NAMES.get(lang, lang), "count": n, "share": round(n / total, 3)}
        for lang, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


def languages_line(report: dict[str, Any]) -> str:
    """'English 80% (40), 中文 20% (10)': the languages shoppers used, for one line."""
    return ", ".join(
        f"{x['name']} {x['share']:.0%} ({x['count']})" for x in report.get("languages", [])
    )


def _by_hour(logged: list[Any]) -> list[int]:
    """Requests in each hour of the day (0-23), over the report's days."""
    counts = [0] * 24
    for t in logged:
        try:  # at: local 'YYYY-MM-DDTHH:MM'
            counts[int(t.at[11:13])] += 1
        except (ValueError, IndexError):
            continue
    return counts


def _by_day(logged: list[Any], days: int, now: datetime | None) -> dict[str, int]:
    """Requests per day, every day of the window (quiet days are 0), oldest first."""
    today = local_time(now).date()
    counts = {str(today - timedelta(days=d)): 0 for d in range(days - 1, -1, -1)}
    for t in logged:
        if t.day in counts:
            counts[t.day] += 1
    return counts


def current_report(catalog: Catalog, retention_days: int, *, days: int = 30) -> dict[str, Any]:
    """The report as the manager should see it: old requests deleted first (retention)."""
    apply_retention(catalog.conn, retention_days)
    return build_report(catalog, days=days, retention_days=retention_days)


def _groups(title: str, groups: list[dict[str, Any]]) -> list[str]:
    lines = [f"\n{title}"]
    if not groups:
        lines.append("  (none)")
    for g in groups:
        examples = "; ".join(f'"{e}"' for e in g["examples"])
        lines.append(f"  {g['count']:>4}  {g['label']}  e.g. {examples}")
    return lines


def format_report(report: dict[str, Any]) -> str:
    """The report as plain terminal text."""
    lines = [
        f"Insights, last {report['days']} days (to {report['generated_at']}): "
        f"{report['requests']} requests in {report['sessions']} visits"
        + (
            f"; requests are kept {report['retention_days']} days"
            if report.get("retention_days") is not None
            else ""
        )
    ]
    if report.get("languages"):
        lines.append(f"\nLanguages shoppers used: {languages_line(report)}")
    lines += _groups("Asked for, not found (or only weak matches)", report["unmet_demand"])
    lines += _groups("Most asked for", report["top_requests"][:10])
    lines.append("\nProducts shown most")
    for p in report["top_products"][:10] or []:
        lines.append(f"  {p['count']:>4}  {p['name']}")
    if not report["top_products"]:
        lines.append("  (none)")
    lines += _groups("Questions the kiosk couldn't answer", report["unanswered"][:10])
    fb = report["feedback"]
    lines.append(
        f"\nShopper comments: {fb['comments']} (positive {fb['labels']['positive']}, "
        f"neutral {fb['labels']['neutral']}, negative {fb['labels']['negative']})"
    )
    for text in fb["most_negative"]:
        lines.append(f'  - "{text}"')
    rv = report["reviews"]
    a = rv["agreement"]
    lines.append(
        f"\nReviews, per product (sentiment -1..1; check against stars: {a['accuracy']:.0%} "
        f"agree vs {a['majority_baseline']:.0%} always '{a['majority_class']}', "
        f"ranking {a['pairwise']:.0%})"
    )
    for p in rv["products"]:
        aspects = ", ".join(f"{x['aspect']} +{x['good']}/-{x['bad']}" for x in p["aspects"])
        stars = f"{p['average_rating']:.1f}" if p["average_rating"] is not None else "-"
        lines.append(f"  {stars}*  {p['sentiment']:+.2f}  {p['name']}  [{aspects}]")
    rec = report["recommendations"]
    lines.append("\nAsked about together (same visit)")
    pairs = rec["asked_together"]["products"] or rec["asked_together"]["categories"]
    for pair in pairs[:10]:
        lines.append(
            f"  {pair['sessions']:>4}  {pair['a_label']} + {pair['b_label']} (lift {pair['lift']})"
        )
    if not pairs:
        lines.append("  (not enough visits yet)")
    lines.append("\nAccessories to suggest to past buyers")
    for cat, comps in rec["complements"].items():
        if comps:
            shown = ", ".join(
                c["category"] + (f" ({c['customers']} co-buyers)" if c["basis"] == "orders" else "")
                for c in comps
            )
            lines.append(f"  {cat}: {shown}")
    return "\n".join(lines) + "\n"


def csv_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []

    def groups(section: str, items: list[dict[str, Any]]) -> None:
        for g in items:
            days = ", ".join(f"{d}: {n}" for d, n in g["by_day"].items())
            rows.append(
                {
                    "section": section,
                    "label": g["label"],
                    "count": g["count"],
                    "detail": "; ".join(g["examples"]) + (f" | by day: {days}" if days else ""),
                }
            )

    for x in report.get("languages", []):
        rows.append(
            {
                "section": "language",
                "label": x["name"],
                "count": x["count"],
                "detail": f"{x['share']:.1%} of requests ({x['lang']})",
            }
        )
    groups("unmet demand", report["unmet_demand"])
    groups("top request", report["top_requests"])
    for p in report["top_products"]:
        rows.append(
            {"section": "top product", "label": p["name"], "count": p["count"], "detail": p["id"]}
        )
    groups("unanswered", report["unanswered"])
    fb = report["feedback"]
    for label, n in fb["labels"].items():
        rows.append(
            {"section": "feedback", "label": label, "count": n, "detail": f"mean {fb['mean']}"}
        )
    for p in report["reviews"]["products"]:
        aspects = "; ".join(f"{x['aspect']} good {x['good']} bad {x['bad']}" for x in p["aspects"])
        rows.append(
            {
                "section": "reviews",
                "label": p["name"],
                "count": p["reviews"],
                "detail": f"stars {p['average_rating']}; sentiment {p['sentiment']}; {aspects}",
            }
        )
    for kind, pairs in report["recommendations"]["asked_together"].items():
        for pair in pairs:
            rows.append(
                {
                    "section": f"asked together ({kind})",
                    "label": f"{pair['a_label']} + {pair['b_label']}",
                    "count": pair["sessions"],
                    "detail": f"lift {pair['lift']}",
                }
            )
    for cat, comps in report["recommendations"]["complements"].items():
        for c in comps:
            rows.append(
                {
                    "section": "accessories",
                    "label": f"{cat} -> {c['category']}",
                    "count": c["customers"],
                    "detail": c["basis"],
                }
            )
    return rows


def write_csv(report: dict[str, Any], path: Path | str) -> int:
    """One CSV (section, label, count, detail) a spreadsheet opens; returns rows written.

    UTF-8 with a byte-order mark, so Excel reads accents and the degree sign.
    """
    rows = csv_rows(report)
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=CSV_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)

"""Pictures of the insights: SVG for a page a manager opens or prints, bars for a terminal.

Managers look at charts rather than read tables (issue 15). Everything here is drawn
from the report `build_report` returns (requests by hour and by day, unmet demand,
review sentiment by product), with no charting library and nothing fetched: the HTML
page is one self-contained file (inline SVG and CSS) that opens offline and prints.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from kiosk.text.language import NAMES

BAR = "#2b6cb0"
WARN = "#c05621"
GOOD = "#2f855a"
BAD = "#c53030"
INK = "#1a202c"
MUTED = "#718096"


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def columns_svg(
    title: str, labels: Sequence[str], values: Sequence[float], *, width: int = 720
) -> str:
    """Vertical bars (requests per hour, per day), the value over each bar."""
    height, top, bottom, left = 240, 34, 40, 36
    n = max(1, len(values))
    peak = max(values, default=0) or 1
    slot = (width - left - 10) / n
    bar = max(2.0, slot * 0.7)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{_esc(title)}">',
        f'<text x="{left}" y="20" font-size="15" font-weight="bold" fill="{INK}">'
        f"{_esc(title)}</text>",
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" '
        f'stroke="{MUTED}"/>',
    ]
    inner = height - top - bottom
    every = max(1, n // 12)  # at most ~12 labels under the axis
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        h = inner * value / peak
        x = left + i * slot + (slot - bar) / 2
        y = height - bottom - h
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{BAR}">'
            f"<title>{_esc(label)}: {value:g}</title></rect>"
        )
        if value and n <= 31:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{y - 3:.1f}" font-size="10" '
                f'text-anchor="middle" fill="{INK}">{value:g}</text>'
            )
        if i % every == 0:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{height - bottom + 14}" font-size="10" '
                f'text-anchor="middle" fill="{MUTED}">{_esc(label)}</text>'
            )
    parts.append("</svg>")
    return "\n".join(parts)


def bars_svg(
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    *,
    width: int = 720,
    signed: bool = False,
    color: str = BAR,
) -> str:
    """Horizontal bars with their labels (unmet demand; sentiment from -1 to 1 when
    `signed`, green right of zero and red left of it)."""
    row, top, label_w = 22, 34, 260
    height = top + row * max(1, len(values)) + 12
    span = width - label_w - 60
    peak = max((abs(v) for v in values), default=0) or 1
    zero = label_w + (span / 2 if signed else 0)
    scale = (span / 2 if signed else span) / peak
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{_esc(title)}">',
        f'<text x="4" y="20" font-size="15" font-weight="bold" fill="{INK}">{_esc(title)}</text>',
    ]
    if not values:
        parts.append(f'<text x="4" y="{top + 14}" font-size="12" fill="{MUTED}">nothing yet</text>')
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = top + i * row
        w = abs(value) * scale
        x = zero - w if signed and value < 0 else zero
        fill = (GOOD if value >= 0 else BAD) if signed else color
        short = label if len(label) <= 38 else label[:37] + "…"
        parts += [
            f'<text x="{label_w - 8}" y="{y + 14}" font-size="12" text-anchor="end" '
            f'fill="{INK}">{_esc(short)}<title>{_esc(label)}</title></text>',
            f'<rect x="{x:.1f}" y="{y + 3}" width="{max(w, 1):.1f}" height="{row - 8}" '
            f'fill="{fill}"/>',
            f'<text x="{(x + w if not signed or value >= 0 else x) + 4:.1f}" y="{y + 14}" '
            f'font-size="11" fill="{MUTED}">{value:+.2f}</text>'
            if signed
            else f'<text x="{x + w + 4:.1f}" y="{y + 14}" font-size="11" fill="{MUTED}">'
            f"{value:g}</text>",
        ]
    if signed:
        parts.append(
            f'<line x1="{zero}" y1="{top - 2}" x2="{zero}" y2="{height - 8}" stroke="{MUTED}"/>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def charts(report: dict[str, Any]) -> list[tuple[str, str]]:
    """(id, SVG) for each chart of the report, in the order a manager reads them."""
    hours = report.get("by_hour") or [0] * 24
    days = report.get("by_day") or {}
    unmet = report.get("unmet_demand") or []
    products = (report.get("reviews") or {}).get("products") or []
    return [
        (
            "by-day",
            columns_svg(
                f"Requests per day, last {report.get('days', '?')} days",
                [d[5:] for d in days],
                [float(v) for v in days.values()],
            ),
        ),
        (
            "by-hour",
            columns_svg("Requests by hour of the day", [f"{h:02d}" for h in range(24)], hours),
        ),
        (
            "unmet",
            bars_svg(
                "Asked for, not found (unmet demand)",
                [what(g) for g in unmet[:12]],
                [float(g["count"]) for g in unmet[:12]],
                color=WARN,
            ),
        ),
        (
            "sentiment",
            bars_svg(
                "Review sentiment by product (-1 unhappy … +1 happy)",
                [str(p["name"]) for p in products],
                [float(p["sentiment"]) for p in products],
                signed=True,
            ),
        ),
    ]


def what(group: dict[str, Any]) -> str:
    """A group's name on a chart: its head noun; a group asked mostly in another
    language than English, its wording as shoppers wrote it."""
    langs = group.get("langs") or {"en": group["count"]}
    return str(group["head"] if langs.get("en", 0) * 2 >= group["count"] else group["label"])


def html_page(report: dict[str, Any], store: str) -> str:
    """One self-contained page: the charts, then the top tables; prints on A4."""
    unmet = report.get("unmet_demand") or []
    rows = "".join(
        f"<tr><td>{_esc(what(g))}</td><td>{g['count']}</td>"
        f"<td>{_esc('; '.join(g.get('examples', [])[:3]))}</td>"
        f"<td>{_esc(', '.join(NAMES.get(x, x) for x in g.get('langs', {})))}</td></tr>"
        for g in unmet[:15]
    )
    used = ", ".join(
        f"{x['name']} {x['share']:.0%} ({x['count']})" for x in report.get("languages", [])
    )
    figures = "\n".join(f'<figure id="{cid}">{svg}</figure>' for cid, svg in charts(report))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{_esc(store)}: what shoppers asked</title>
<style>
body {{ font-family: system-ui, sans-serif; color: {INK}; margin: 24px; max-width: 760px; }}
h1 {{ font-size: 22px; margin-bottom: 4px; }} p.meta {{ color: {MUTED}; margin-top: 0; }}
figure {{ margin: 18px 0; break-inside: avoid; }}
table {{ border-collapse: collapse; width: 100%; font-size: 13px; }}
td, th {{ border-bottom: 1px solid #e2e8f0; padding: 4px 6px; text-align: left; }}
@media print {{ body {{ margin: 0; }} }}
</style></head><body>
<h1>{_esc(store)}: what shoppers asked</h1>
<p class="meta">{report.get("requests", 0)} requests in {report.get("sessions", 0)} visits,
last {report.get("days", "?")} days; made {_esc(report.get("generated_at", ""))}.
Nothing here identifies a shopper.</p>
<p class="meta" id="languages">Languages shoppers used: {_esc(used or "none yet")}</p>
{figures}
<h2>Asked for, not found</h2>
<table><tr><th>what</th><th>times</th><th>as shoppers said it</th><th>language</th></tr>{rows}
</table>
</body></html>
"""


def text_bars(
    labels: Sequence[str], values: Sequence[float], *, width: int = 40, label_w: int = 18
) -> list[str]:
    """Bars of block characters for the terminal: one line per label."""
    peak = max((abs(v) for v in values), default=0) or 1
    lines = []
    for label, value in zip(labels, values, strict=True):
        n = round(abs(value) / peak * width)
        short = label if len(label) <= label_w else label[: label_w - 1] + "…"
        bar = "█" * n if value >= 0 else "▒" * n
        lines.append(f"{short:<{label_w}} {bar} {value:g}")
    return lines


def terminal_charts(report: dict[str, Any], width: int = 40) -> str:
    """The console's Insights tab: requests by hour, unmet demand, sentiment, as bars."""
    hours = report.get("by_hour") or [0] * 24
    busy = [(f"{h:02d}:00", v) for h, v in enumerate(hours) if v]
    unmet = report.get("unmet_demand") or []
    products = (report.get("reviews") or {}).get("products") or []
    out = ["Requests by hour"]
    out += text_bars([b[0] for b in busy], [b[1] for b in busy], width=width) or ["  none yet"]
    out += ["", "Asked for, not found"]
    out += text_bars(
        [what(g) for g in unmet[:8]], [float(g["count"]) for g in unmet[:8]], width=width
    ) or ["  none"]
    out += ["", "Review sentiment (▒ unhappy, █ happy)"]
    out += text_bars(
        [str(p["name"]) for p in products[:10]],
        [round(float(p["sentiment"]), 2) for p in products[:10]],
        width=width,
    ) or ["  no reviews"]
    return "\n".join(out)


def combined_svg(report: dict[str, Any], width: int = 720) -> str:
    """Every chart stacked in one SVG (for a README or a printout)."""
    y, parts = 0, []
    for _, svg in charts(report):
        h = int(svg.split('height="', 1)[1].split('"', 1)[0])
        parts.append(f'<g transform="translate(0,{y})">{svg}</g>')
        y += h + 10
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{y}" '
        f'viewBox="0 0 {width} {y}"><rect width="100%" height="100%" fill="white"/>'
        + "".join(parts)
        + "</svg>\n"
    )

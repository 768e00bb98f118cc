"""Small server-side SVG charts for the dashboard (no JavaScript, no chart library).

Layout rules, tested at 7, 14, 30 and 90 days (tests/ops/test_charts.py): day labels are
thinned to one every ``label_step`` days so that neighbours stay ``LABEL_GAP`` units
apart, counted back from the last day (which is always labelled); legend entries are
as wide as their text and wrap to a new row instead of running into each other; axis
values keep the decimal they need (2.5 %, not "2%").
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

PALETTE = (
    "#2563eb",
    "#0d9488",
    "#d97706",
    "#7c3aed",
    "#db2777",
    "#65a30d",
    "#0891b2",
    "#dc2626",
    "#4b5563",
    "#ca8a04",
)


LABEL_GAP = 46.0  # viewBox units between day labels ("MM-DD" at the axis font is ~32)
CHAR_W = 7.0  # legend font: average width of a character, in viewBox units
LEGEND_ROW = 24


def label_step(days: int, plot_width: float, gap: float = LABEL_GAP) -> int:
    """Label every n-th day so that labels are at least ``gap`` apart."""
    if days <= 0:
        return 1
    per_day = plot_width / days
    return max(1, int(-(-gap // per_day)))


def labelled(days: int, step: int) -> list[int]:
    """Indexes of the days that get a label: the last one and every ``step`` before it."""
    return sorted(range(days - 1, -1, -step))


def legend_layout(
    labels: Sequence[str], left: float, width: float
) -> tuple[list[tuple[float, int]], int]:
    """``(x, row)`` of each legend entry (swatch + text) and the number of rows."""
    places: list[tuple[float, int]] = []
    x, row = left, 0
    for text in labels:
        entry = 15 + CHAR_W * len(text) + 18
        if x > left and x + entry > width:
            x, row = left, row + 1
        places.append((x, row))
        x += entry
    return places, (row + 1 if labels else 0)


def axis_value(value: float, suffix: str = "") -> str:
    """An axis tick: no decimals unless it needs one (2.5 %)."""
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{text}{suffix}"


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if value <= step * 4:
            return float(step * 4)
    return float(value)


def stacked_bars(
    days: Sequence[str],
    series: dict[str, Sequence[int]],
    *,
    width: int = 720,
    height: int = 220,
    title: str = "",
) -> str:
    """A stacked bar chart (one bar per day, one colour per series) with a legend."""
    left, bottom, top = 36, 28, 12
    plot_w, plot_h = width - left - 8, height - bottom - top
    n = max(1, len(days))
    totals = [sum(s[i] for s in series.values()) for i in range(len(days))]
    ymax = _nice_max(max(totals, default=0))
    bar_w = plot_w / n * 0.7
    names = [name[:24] for name in series]
    places, rows = legend_layout(names, left, width - 8)
    shown = set(labelled(len(days), label_step(len(days), plot_w)))
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height + LEGEND_ROW * rows}" '
        f'role="img" aria-label="{escape(title)}">'
    ]
    for k in range(5):
        y = top + plot_h - plot_h * k / 4
        parts.append(
            f'<line x1="{left}" x2="{width - 8}" y1="{y:.1f}" y2="{y:.1f}" '
            f'class="grid"/><text x="{left - 6}" y="{y + 4:.1f}" class="axis" '
            f'text-anchor="end">{axis_value(ymax * k / 4)}</text>'
        )
    for i, day in enumerate(days):
        x = left + plot_w / n * i + (plot_w / n - bar_w) / 2
        y = top + plot_h
        for j, (name, values) in enumerate(series.items()):
            v = values[i]
            if not v:
                continue
            h = plot_h * v / ymax
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{PALETTE[j % len(PALETTE)]}"><title>{escape(name)} {day}: '
                f"{v}</title></rect>"
            )
        if i in shown:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 16}" class="axis" '
                f'text-anchor="middle">{escape(day[5:])}</text>'
            )
    for j, (name, (lx, row)) in enumerate(zip(names, places, strict=True)):
        ly = height + 8 + LEGEND_ROW * row
        parts.append(
            f'<rect x="{lx:.0f}" y="{ly}" width="10" height="10" rx="2" '
            f'fill="{PALETTE[j % len(PALETTE)]}"/><text x="{lx + 15:.0f}" y="{ly + 9}" '
            f'class="legend">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def rate_lines(
    days: Sequence[str],
    totals: Sequence[int],
    lines: dict[str, Sequence[int]],
    *,
    width: int = 720,
    height: int = 180,
    title: str = "",
) -> str:
    """Percentages per day (value / total) as lines with points, 0-100 % axis scaled."""
    left, bottom, top = 40, 28, 12
    plot_w, plot_h = width - left - 8, height - bottom - top
    n = max(1, len(days))
    rates = {
        name: [(v / t * 100 if t else 0.0) for v, t in zip(vals, totals, strict=False)]
        for name, vals in lines.items()
    }
    ymax = max(10.0, max((max(r, default=0.0) for r in rates.values()), default=0.0))
    ymax = _nice_max(ymax) if ymax > 10 else 10.0
    ymax = min(ymax, 100.0)
    colours = {"errors": "#dc2626", "exceptions": "#d97706"}
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height + 24}" role="img" '
        f'aria-label="{escape(title)}">'
    ]
    for k in range(5):
        y = top + plot_h - plot_h * k / 4
        parts.append(
            f'<line x1="{left}" x2="{width - 8}" y1="{y:.1f}" y2="{y:.1f}" '
            f'class="grid"/><text x="{left - 6}" y="{y + 4:.1f}" class="axis" '
            f'text-anchor="end">{axis_value(ymax * k / 4, "%")}</text>'
        )

    def xy(i: int, v: float) -> tuple[float, float]:
        return left + plot_w / n * (i + 0.5), top + plot_h - plot_h * min(v, ymax) / ymax

    for name, values in rates.items():
        colour = colours.get(name, PALETTE[0])
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(i, v) for i, v in enumerate(values)))
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>'
        )
        for i, v in enumerate(values):
            x, y = xy(i, v)
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"><title>'
                f"{escape(name)} {days[i]}: {v:.1f}%</title></circle>"
            )
    shown = set(labelled(len(days), label_step(len(days), plot_w)))
    for i, day in enumerate(days):
        if i in shown:
            x, _ = xy(i, 0)
            parts.append(
                f'<text x="{x:.1f}" y="{top + plot_h + 16}" class="axis" '
                f'text-anchor="middle">{escape(day[5:])}</text>'
            )
    places, _ = legend_layout([f"{name} rate" for name in rates], left, width - 8)
    for name, (lx, _row) in zip(rates, places, strict=True):
        parts.append(
            f'<rect x="{lx:.0f}" y="{height + 6}" width="10" height="10" rx="2" '
            f'fill="{colours.get(name, PALETTE[0])}"/><text x="{lx + 15:.0f}" '
            f'y="{height + 15}" class="legend">{escape(name)} rate</text>'
        )
    parts.append("</svg>")
    return "".join(parts)

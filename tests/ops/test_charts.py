"""Dashboard charts: readable axes at 7/14/30/90 days, legends that do not overlap,
rate ticks that keep their decimal (finding 9)."""

from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest

from gateway.api.charts import CHAR_W, rate_lines, stacked_bars

LABEL = re.compile(
    r'<text x="([\d.]+)" y="[\d.]+" class="axis" text-anchor="middle">([^<]*)</text>'
)
LEGEND = re.compile(r'<text x="([\d.]+)" y="([\d.]+)" class="legend">([^<]*)</text>')
TICK = re.compile(r'class="axis" text-anchor="end">([^<]*)</text>')


def _days(n: int) -> list[str]:
    start = dt.date(2026, 9, 1)
    return [(start + dt.timedelta(days=i)).isoformat() for i in range(n)]


@pytest.mark.parametrize("n", [7, 14, 30, 90])
def test_day_labels_never_overlap_and_the_last_day_is_labelled(n: int) -> None:
    days = _days(n)
    for svg in (
        stacked_bars(days, {"acme": [1] * n}),
        rate_lines(days, [10] * n, {"errors": [1] * n, "exceptions": [2] * n}),
    ):
        labels = [(float(x), text) for x, text in LABEL.findall(svg)]
        xs = [x for x, _ in labels]
        assert len(labels) >= min(n, 7), "enough labels to read the axis"
        assert all(b - a >= 40 for a, b in itertools.pairwise(xs)), (n, xs)
        assert labels[-1][1] == days[-1][5:]


def test_legend_entries_do_not_run_into_each_other() -> None:
    names = [f"partner-with-a-long-name-{i}" for i in range(9)]
    svg = stacked_bars(_days(30), {name: [1] * 30 for name in names})
    entries = [(float(x), float(y), text) for x, y, text in LEGEND.findall(svg)]
    assert len(entries) == 9
    rows: dict[float, list[tuple[float, str]]] = {}
    for x, y, text in entries:
        rows.setdefault(y, []).append((x, text))
    assert len(rows) > 1, "long names wrap to more rows"
    for row in rows.values():
        row.sort()
        for (x1, t1), (x2, _) in itertools.pairwise(row):
            assert x1 + CHAR_W * len(t1) <= x2, (t1, x1, x2)
        assert row[-1][0] + CHAR_W * len(row[-1][1]) <= 720
    height = int(re.search(r'viewBox="0 0 720 (\d+)"', svg).group(1))  # type: ignore[union-attr]
    assert max(y for _, y, _ in entries) < height


def test_rate_axis_keeps_the_decimal() -> None:
    svg = rate_lines(_days(7), [40] * 7, {"errors": [1] * 7, "exceptions": [0] * 7})
    assert TICK.findall(svg) == ["0%", "2.5%", "5%", "7.5%", "10%"]

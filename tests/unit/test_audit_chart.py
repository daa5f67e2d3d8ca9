"""No database: the step chart of the manufacturing total on the /audit page.

A ledger total stands until the next change set, so the line must go flat first and then
jump (a step *after* each point), be drawn in 亩, and be carried on to "now".
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from service.audit.chart import step_chart_svg

M2_PER_MU = 10000 / 15
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _paths(svg: str) -> list[str]:
    return re.findall(r'<path d="([^"]+)"', svg)


def _commands(path: str) -> list[tuple[str, list[float]]]:
    return [
        (c, [float(n) for n in args.split()]) for c, args in re.findall(r"([MHV])([^MHV]*)", path)
    ]


def test_each_total_holds_until_the_next_point_then_steps():
    series = {
        "全市 city": [
            (T0, 1000.0),
            (T0 + timedelta(days=1), 3000.0),
            (T0 + timedelta(days=2), 2000.0),
        ]
    }
    svg = step_chart_svg(series, now=T0 + timedelta(days=4))
    (path,) = _paths(svg)
    commands = _commands(path)
    assert [c for c, _ in commands] == ["M", "H", "V", "H", "V", "H"]
    (x0, y0), x1, y1, x2, y2, x_end = (
        commands[0][1],
        commands[1][1][0],
        commands[2][1][0],
        commands[3][1][0],
        commands[4][1][0],
        commands[5][1][0],
    )
    # equal time steps are equal widths; the line is carried on to now (two more days)
    assert abs((x1 - x0) - (x2 - x1)) < 0.2
    assert abs((x_end - x2) - 2 * (x1 - x0)) < 0.2
    # SVG y grows downwards: 3000 is above 2000 is above 1000, proportionally
    assert y1 < y2 < y0
    assert abs((y0 - y1) - 2 * (y0 - y2)) < 0.2


def test_every_series_gets_its_own_line_and_a_label_in_mu():
    series = {
        "全市 city": [(T0, 3 * M2_PER_MU * 1000)],
        "gaoxin": [(T0, 2 * M2_PER_MU * 1000)],
        "jiangtan": [(T0, M2_PER_MU * 1000)],
    }
    svg = step_chart_svg(series, now=T0 + timedelta(days=1))
    assert len(_paths(svg)) == 3
    for label in ("全市 city 3,000.0 亩", "gaoxin 2,000.0 亩", "jiangtan 1,000.0 亩"):
        assert label in svg
    assert svg.startswith("<svg") and svg.endswith("</svg>")


def test_series_names_are_escaped():
    svg = step_chart_svg({"<script>x</script>": [(T0, 1.0)]}, now=T0 + timedelta(hours=1))
    assert "<script>" not in svg and "&lt;script&gt;" in svg


def test_no_ledger_rows_gives_a_message_not_an_empty_chart():
    assert "No ledger rows yet" in step_chart_svg({}, now=T0)
    assert "No ledger rows yet" in step_chart_svg({"全市 city": []}, now=T0)

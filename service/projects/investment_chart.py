"""A key project's plan-vs-actual investment by month as inline SVG (drawn on the server:
no script, no external library; it works offline and in print, like the audit page's
step chart, :mod:`service.audit.chart`).

Per month a pair of bars, planned and completed (left axis, 万元 in the month), and the
two cumulative lines, planned and completed (right axis, 万元 since January). Every bar
and every point of a line carries a ``<title>`` (a tooltip, and what a screen reader
says), and the whole chart a ``<title>`` and a ``<desc>``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

#: Colours: planned in slate, completed in blue; the cumulative lines the same, darker.
PLANNED_BAR = "#b6c3d1"
COMPLETED_BAR = "#1f6fd1"
PLANNED_LINE = "#52606d"
COMPLETED_LINE = "#d35400"


def nice_ticks(top: float, count: int = 5) -> list[float]:
    """Axis ticks from 0 up to at least *top*, about *count* steps of 1, 2 or 5 × 10ⁿ."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    steps = math.ceil(top / step - 1e-9)
    return [round(i * step, 10) for i in range(steps + 1)]


def _wan(value: float) -> str:
    return f"{value:,.2f} 万元"


def _axis_label(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def investment_chart_svg(
    months: Sequence[Mapping[str, Any]],
    *,
    title: str = "计划与实际投资（按月）",
    width: int = 960,
    height: int = 340,
    id_prefix: str = "investment",
) -> str:
    """The chart of *months* (the ``investment.months`` of
    :func:`service.projects.summary.project_summary`: month 1..12, planned_wan,
    completed_wan (None: no report), cumulative_planned_wan, cumulative_completed_wan
    (None: not known yet)), all in 万元. A month without a report has no completed bar
    and the completed line stops at the last month known."""
    pad_l, pad_r, pad_t, pad_b = 78, 86, 40, 44
    plot_w, plot_h = width - pad_l - pad_r, height - pad_t - pad_b
    bars_top = max(
        [float(m["planned_wan"] or 0) for m in months]
        + [float(m["completed_wan"] or 0) for m in months]
        + [0.0]
    )
    lines_top = max(
        [float(m["cumulative_planned_wan"] or 0) for m in months]
        + [float(m["cumulative_completed_wan"] or 0) for m in months]
        + [0.0]
    )
    left_ticks, right_ticks = nice_ticks(bars_top), nice_ticks(lines_top)
    left_max, right_max = left_ticks[-1], right_ticks[-1]
    slot = plot_w / max(len(months), 1)
    bar_w = slot * 0.32

    def y_left(value: float) -> float:
        return pad_t + (1 - value / left_max) * plot_h

    def y_right(value: float) -> float:
        return pad_t + (1 - value / right_max) * plot_h

    def x_centre(index: int) -> float:
        return pad_l + slot * (index + 0.5)

    total_planned = sum(float(m["planned_wan"] or 0) for m in months)
    known = [m for m in months if m["cumulative_completed_wan"] is not None]
    total_completed = float(known[-1]["cumulative_completed_wan"]) if known else 0.0
    description = (
        f"柱：每月计划投资与实际完成投资（左轴，万元）；线：累计计划与累计完成（右轴，万元）。"
        f"全年计划 {_wan(total_planned)}，累计完成 {_wan(total_completed)}。"
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" class="investment-chart" aria-labelledby="{id_prefix}-title '
        f'{id_prefix}-desc">',
        f'<title id="{id_prefix}-title">{escape(title)}</title>',
        f'<desc id="{id_prefix}-desc">{escape(description)}</desc>',
    ]
    # Grid and the left axis (the month's amounts).
    for tick in left_ticks:
        yy = y_left(tick)
        parts.append(
            f'<line x1="{pad_l}" x2="{width - pad_r}" y1="{yy:.1f}" y2="{yy:.1f}" '
            'stroke="#e3e7ed"/>'
            f'<text x="{pad_l - 6}" y="{yy + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="#52606d">{_axis_label(tick)}</text>'
        )
    for tick in right_ticks:
        yy = y_right(tick)
        parts.append(
            f'<text x="{width - pad_r + 6}" y="{yy + 4:.1f}" font-size="11" '
            f'fill="{COMPLETED_LINE}">{_axis_label(tick)}</text>'
        )
    parts.append(
        f'<text x="14" y="{pad_t + plot_h / 2:.1f}" font-size="12" fill="#52606d" '
        f'text-anchor="middle" transform="rotate(-90 14 {pad_t + plot_h / 2:.1f})">'
        "当月投资（万元）</text>"
        f'<text x="{width - 12}" y="{pad_t + plot_h / 2:.1f}" font-size="12" '
        f'fill="{COMPLETED_LINE}" text-anchor="middle" '
        f'transform="rotate(90 {width - 12} {pad_t + plot_h / 2:.1f})">累计投资（万元）</text>'
        f'<line x1="{pad_l}" x2="{width - pad_r}" y1="{pad_t + plot_h}" y2="{pad_t + plot_h}" '
        'stroke="#9aa5b1"/>'
    )
    # The bars, with the month under each pair.
    for index, m in enumerate(months):
        centre = x_centre(index)
        month = int(m["month"])
        planned = float(m["planned_wan"] or 0)
        parts.append(
            f'<rect class="bar planned" x="{centre - bar_w:.1f}" y="{y_left(planned):.1f}" '
            f'width="{bar_w:.1f}" height="{y_left(0) - y_left(planned):.1f}" '
            f'fill="{PLANNED_BAR}"><title>{month}月 计划 {_wan(planned)}</title></rect>'
        )
        if m["completed_wan"] is not None:
            completed = float(m["completed_wan"])
            parts.append(
                f'<rect class="bar completed" x="{centre:.1f}" y="{y_left(completed):.1f}" '
                f'width="{bar_w:.1f}" height="{y_left(0) - y_left(completed):.1f}" '
                f'fill="{COMPLETED_BAR}"><title>{month}月 完成 {_wan(completed)}</title></rect>'
            )
        parts.append(
            f'<text x="{centre:.1f}" y="{pad_t + plot_h + 16}" text-anchor="middle" '
            f'font-size="11" fill="#52606d">{month}月</text>'
        )
    # The cumulative lines, each a point per month known.
    for key, colour, name, dash in (
        ("cumulative_planned_wan", PLANNED_LINE, "累计计划", ' stroke-dasharray="6 4"'),
        ("cumulative_completed_wan", COMPLETED_LINE, "累计完成", ""),
    ):
        points = [
            (x_centre(i), y_right(float(m[key])), int(m["month"]), float(m[key]))
            for i, m in enumerate(months)
            if m[key] is not None
        ]
        if not points:
            continue
        path = " ".join(
            f"{'M' if i == 0 else 'L'}{x:.1f} {y:.1f}" for i, (x, y, _, _) in enumerate(points)
        )
        css = "planned" if "planned" in key else "completed"
        parts.append(
            f'<path class="line {css}" d="{path}" fill="none" stroke="{colour}" '
            f'stroke-width="2"{dash}/>'
        )
        parts.extend(
            f'<circle class="point {css}" cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}">'
            f"<title>{month}月 {name} {_wan(value)}</title></circle>"
            for x, y, month, value in points
        )
    # The legend, over the plot.
    legend = [
        ("rect", PLANNED_BAR, "当月计划"),
        ("rect", COMPLETED_BAR, "当月完成"),
        ("dash", PLANNED_LINE, "累计计划"),
        ("line", COMPLETED_LINE, "累计完成"),
    ]
    x = pad_l
    for shape, colour, label in legend:
        if shape == "rect":
            parts.append(f'<rect x="{x}" y="12" width="14" height="12" fill="{colour}"/>')
        else:
            dash = ' stroke-dasharray="6 4"' if shape == "dash" else ""
            parts.append(
                f'<line x1="{x}" x2="{x + 18}" y1="18" y2="18" stroke="{colour}" '
                f'stroke-width="2"{dash}/>'
            )
        parts.append(f'<text x="{x + 22}" y="22" font-size="12" fill="#1d2733">{label}</text>')
        x += 110
    parts.append("</svg>")
    return "".join(parts)

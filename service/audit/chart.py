"""A step chart of the manufacturing total over time, as inline SVG (no script, works
offline and in print)."""

from __future__ import annotations

from datetime import datetime
from html import escape

from parks.units import M2_PER_MU

PALETTE = ["#1f3a5f", "#c0392b", "#27ae60", "#8e44ad", "#d35400", "#16a085", "#7f8c8d"]


def step_chart_svg(
    series: dict[str, list[tuple[datetime, float]]],
    *,
    width: int = 960,
    height: int = 320,
    now: datetime | None = None,
) -> str:
    """An SVG step chart of several named series of (time, m²) points, drawn in 亩.

    Each series holds its value until the next point (a ledger total stands until the next
    change set), and is carried to *now* (or its last point).
    """
    points = [p for values in series.values() for p in values]
    if not points:
        return '<p class="empty">还没有台账记录 No ledger rows yet.</p>'
    pad_l, pad_r, pad_t, pad_b = 90, 170, 16, 36
    t0 = min(t for t, _ in points)
    t1 = max([t for t, _ in points] + ([now] if now else []))
    span = max((t1 - t0).total_seconds(), 1.0)
    top = max(v for _, v in points) / M2_PER_MU * 1.08 or 1.0

    def x(t: datetime) -> float:
        return pad_l + (t - t0).total_seconds() / span * (width - pad_l - pad_r)

    def y(m2: float) -> float:
        return pad_t + (1 - m2 / M2_PER_MU / top) * (height - pad_t - pad_b)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="manufacturing land over time" class="step-chart">'
    ]
    for i in range(5):
        value = top * i / 4
        yy = y(value * M2_PER_MU)
        parts.append(
            f'<line x1="{pad_l}" x2="{width - pad_r}" y1="{yy:.1f}" y2="{yy:.1f}" '
            'stroke="#e3e7ed"/>'
            f'<text x="{pad_l - 6}" y="{yy + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="#555">{value:,.0f} 亩</text>'
        )
    for label, t in (("start", t0), ("end", t1)):
        anchor = "start" if label == "start" else "end"
        parts.append(
            f'<text x="{x(t):.1f}" y="{height - 12}" text-anchor="{anchor}" font-size="11" '
            f'fill="#555">{t:%Y-%m-%d %H:%M}</text>'
        )
    labels: list[tuple[float, str, str]] = []
    for index, (name, values) in enumerate(series.items()):
        if not values:
            continue
        colour = PALETTE[index % len(PALETTE)]
        first_t, first_v = values[0]
        d = [f"M{x(first_t):.1f} {y(first_v):.1f}"]
        d += [f"H{x(t):.1f} V{y(v):.1f}" for t, v in values[1:]]
        d.append(f"H{x(t1):.1f}")
        stroke = 2.5 if index == 0 else 1.5
        parts.append(
            f'<path d="{" ".join(d)}" fill="none" stroke="{colour}" stroke-width="{stroke}"/>'
        )
        last = values[-1][1]
        labels.append((y(last) + 4, colour, f"{escape(name)} {last / M2_PER_MU:,.1f} 亩"))
    # Labels at the line ends, pushed apart so that close totals stay readable.
    placed: list[float] = []
    for label_y, colour, label in sorted(labels):
        label_y = max(label_y, placed[-1] + 14) if placed else label_y
        placed.append(label_y)
        parts.append(
            f'<text x="{width - pad_r + 8}" y="{label_y:.1f}" font-size="12" '
            f'fill="{colour}">{label}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)

"""A key project's page (``/projects/{project_code}``, also served at
``/map/projects/{project_code}``): ``web/templates/key_project.html`` over the project's
summary (:func:`service.projects.summary.project_summary`) — the header with its status
and 包抓 officials, the plan-vs-actual investment chart by month (server-side SVG), the
milestone timeline planned vs actual with the delays in days, the open problems with
their owners and days overdue, the visits, the image-progress targets against the latest
report, and its parcels on a small Leaflet map, each with its history.

Every text from the data is escaped (Jinja's autoescape; the map's data as JSON in a
``<script type="application/json">``, which never runs). The page has no inline script:
the map is drawn by ``/static/projects/project_page.js`` with the Leaflet served from
``/static/vendor``, so it works under the Content-Security-Policy with or without the
request's nonce.
"""

from __future__ import annotations

from datetime import date
from html import escape
from typing import Any

from markupsafe import Markup

from maps.style import PARCEL_STATUSES, PROJECT_STATUSES
from parks.units import M2_PER_MU
from service.pages.templates import templates
from service.projects.investment_chart import investment_chart_svg
from service.projects.summary import MILESTONE_STATE_NAMES_ZH

DASH = "—"
#: Colours of the milestone timeline's marks by state.
TIMELINE_COLOURS = {
    "on_time": "#2e9a3e",
    "late": "#c81e1e",
    "overdue": "#c81e1e",
    "pending": "#7f8c99",
    "unplanned": "#1f6fd1",
}


def num(value: Any, digits: int = 2) -> str:
    """*value* with thousands separators and *digits* decimals; ``—`` when None."""
    if value is None or isinstance(value, bool):
        return DASH
    return f"{float(value):,.{digits}f}"


def milestone_timeline_svg(
    milestones: list[dict[str, Any]], *, year: int, as_of: date, width: int = 960
) -> str:
    """The milestones of *year* on one time axis (1 January to 31 December), a row each:
    the planned day a hollow diamond, the day reached a filled circle, joined by a line
    red when late; an overdue one's line runs red to *as_of* (a dashed line marks it). A
    milestone reached in an earlier year is said in words at the axis's start."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    pad_l, pad_r, row_h, top = 96, 24, 30, 30
    height = top + row_h * max(len(milestones), 1) + 28
    span = (last - first).days or 1

    def x(day: date) -> float:
        clipped = min(max(day, first), last)
        return pad_l + (clipped - first).days / span * (width - pad_l - pad_r)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        'class="milestone-timeline" aria-labelledby="timeline-title">'
        f'<title id="timeline-title">{year} 年节点计划与实际</title>'
    ]
    for month in range(1, 13):
        xx = x(date(year, month, 1))
        parts.append(
            f'<line x1="{xx:.1f}" x2="{xx:.1f}" y1="{top - 8}" y2="{height - 24}" '
            'stroke="#eef1f5"/>'
            f'<text x="{xx + 3:.1f}" y="{height - 10}" font-size="11" fill="#52606d">'
            f"{month}月</text>"
        )
    if first <= as_of <= last:
        xx = x(as_of)
        parts.append(
            f'<line x1="{xx:.1f}" x2="{xx:.1f}" y1="{top - 14}" y2="{height - 24}" '
            'stroke="#1d3557" stroke-dasharray="3 3"/>'
            f'<text x="{xx:.1f}" y="{top - 18}" font-size="11" text-anchor="middle" '
            f'fill="#1d3557">截至 {as_of.isoformat()}</text>'
        )
    for index, m in enumerate(milestones):
        y = top + row_h * index + row_h / 2
        colour = TIMELINE_COLOURS.get(m["state"], "#7f8c99")
        name = escape(m["name_zh"])
        parts.append(
            f'<text x="{pad_l - 10}" y="{y + 4:.1f}" font-size="12" text-anchor="end" '
            f'fill="#1d2733">{name}</text>'
        )
        planned, reached = m["planned_on"], m["reached_on"]
        if planned is not None and m["state"] in ("late", "overdue"):
            end = reached if reached is not None else as_of
            dash = ' stroke-dasharray="5 3"' if reached is None else ""
            parts.append(
                f'<line x1="{x(planned):.1f}" x2="{x(end):.1f}" y1="{y:.1f}" y2="{y:.1f}" '
                f'stroke="{colour}" stroke-width="3"{dash}><title>{name} 延误 '
                f"{m['delay_days']} 天</title></line>"
            )
        if planned is not None:
            xx = x(planned)
            parts.append(
                f'<path class="planned" d="M{xx:.1f} {y - 7:.1f} L{xx + 7:.1f} {y:.1f} '
                f'L{xx:.1f} {y + 7:.1f} L{xx - 7:.1f} {y:.1f} Z" fill="#fff" '
                f'stroke="{colour}" stroke-width="2"><title>{name} 计划 '
                f"{planned.isoformat()}</title></path>"
            )
        if reached is not None and reached < first:
            # Reached in an earlier year: said in words at the axis's start, not drawn.
            parts.append(
                f'<text class="reached-before" x="{pad_l + 4}" y="{y + 4:.1f}" font-size="11" '
                f'fill="{colour}">{reached.year} 年已完成（{reached.isoformat()}）</text>'
            )
        elif reached is not None:
            parts.append(
                f'<circle class="reached" cx="{x(reached):.1f}" cy="{y:.1f}" r="6" '
                f'fill="{colour}"><title>{name} 实际 {reached.isoformat()}'
                f"（{escape(MILESTONE_STATE_NAMES_ZH[m['state']])}）</title></circle>"
            )
    parts.append("</svg>")
    return "".join(parts)


def _map_data(parcels: list[dict[str, Any]]) -> dict[str, Any]:
    """The parcels as a GeoJSON FeatureCollection for the page's map (EPSG:4326)."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": p["shape"],
                "properties": {
                    "parcel_code": p["parcel_code"],
                    "status_zh": p["status_zh"],
                    "land_use": p["land_use"],
                    "land_use_name": p["land_use_name"],
                    "holder": p["holder"],
                    "area_mu": p["area_mu"],
                    "colour": PARCEL_STATUSES.get(p["status"], ("", "", "#777"))[2],
                    "history_url": p["parcel_history_url"],
                    "versions": len(p["history"]),
                },
            }
            for p in parcels
            if p.get("shape")
        ],
    }


def _quarter(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def project_page_html(summary: dict[str, Any], *, today: date, principal: Any = None) -> str:
    """The page of *summary* (made ``with_shapes``); *today* bounds the year picker;
    *principal* (the signed-in reader, if any) is named in the header."""
    project = summary["project"]
    investment = summary["investment"]
    as_of: date = summary["as_of"]
    dispatch_month = max(investment["through_month"], 1)
    return (
        templates()
        .get_template("key_project.html")
        .render(
            s=summary,
            p=project,
            inv=investment,
            status=PROJECT_STATUSES.get(project["status"], (project["status"], "", "#777", False)),
            chart=Markup(investment_chart_svg(investment["months"])),
            timeline=Markup(
                milestone_timeline_svg(summary["milestones"], year=summary["year"], as_of=as_of)
            ),
            map_data=_map_data(summary["parcels"]),
            site_m2=sum(p["area_m2"] for p in summary["parcels"]),
            m2_per_mu=M2_PER_MU,
            dispatch_month=f"{summary['year']:04d}-{dispatch_month:02d}",
            ranking_quarter=_quarter(as_of),
            this_year=today.year,
            principal=principal,
            num=num,
        )
    )


def project_not_found_html(project_code: str) -> str:
    """The 404 page of an unknown *project_code*."""
    return templates().get_template("key_project.html").render(missing=project_code, s=None)

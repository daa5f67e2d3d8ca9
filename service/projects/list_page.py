"""The key-project list as a page (``/projects``, 重点项目一览): ``web/templates/
project_list.html``, every text escaped, nothing from another origin; its one inline
script (carrying the request's CSP nonce) filters and sorts the table in the page and
keeps the totals and the address (the query string) in step.

The page holds every project of the month; the query string's filters and order are
applied here too (rows that don't pass are hidden, the order is the list's), so that the
page opens as asked, and works as a form without its script."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, text

from parks.vocabulary import PROJECT_STATUS_NAMES_ZH, ProjectStatus
from service.pages.templates import templates
from service.projects.progress import ProgressFilters

DASH = "—"

#: The sortable columns of the table: sort key -> (heading, the row's value kind). The keys
#: are the list's (``service.projects.progress.SORT_KEYS``).
SORTABLE: dict[str, tuple[str, str]] = {
    "code": ("项目编号", "text"),
    "name": ("项目名称", "text"),
    "park": ("园区", "text"),
    "status": ("状态", "rank"),
    "completion_of_year_pct": ("年度完成率", "number"),
    "completion_to_date_pct": ("序时完成率", "number"),
    "shortfall_share": ("序时缺口", "number"),
    "milestones_late": ("节点滞后", "number"),
    "open_problems": ("未解决问题", "number"),
    "overdue_problems": ("逾期问题", "number"),
    "last_visit_on": ("最近观摩", "text"),
}
#: The links to the rhythm's other pages.
RHYTHM_LINKS: tuple[tuple[str, str], ...] = (
    ("/projects/dispatch", "月调度"),
    ("/projects/ranking", "季评比"),
    ("/projects/assessment", "年考核"),
)


def num(value: Any, digits: int = 2) -> str:
    """*value* with thousands separators and *digits* decimals; ``—`` when not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return DASH
    return f"{value:,.{digits}f}"


def pct(value: Any) -> str:
    """A per-cent figure (``93.5`` → ``93.5%``); ``—`` when not a number."""
    text = num(value, 1)
    return text if text == DASH else f"{text}%"


def share(value: Any) -> str:
    """A fraction of 1 as per cent (``0.25`` → ``25.0%``); ``—`` when not a number."""
    return pct(value * 100) if isinstance(value, int | float) else DASH


def passes(row: Mapping[str, Any], filters: ProgressFilters) -> bool:
    """Whether *row* (a project of the list) passes *filters*, as the list's query has it."""
    codes = {o["official_code"] for o in row.get("officials") or ()}
    return (
        (filters.park is None or row["park"] == filters.park)
        and (filters.chain is None or row["industry_chain"] == filters.chain)
        and (not filters.statuses or row["status"] in filters.statuses)
        and (filters.official is None or filters.official in codes)
        and (filters.behind is None or bool(row["behind"]) == filters.behind)
        and (filters.overdue is None or (row["overdue_problems"] > 0) == filters.overdue)
    )


def totals(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The totals of *rows*, as the list's ``totals`` has them."""
    rows = list(rows)
    return {
        "projects": len(rows),
        "planned_year_wan": sum(r["planned_year_wan"] for r in rows),
        "planned_to_date_wan": sum(r["planned_to_date_wan"] for r in rows),
        "completed_to_date_wan": sum(r["completed_to_date_wan"] for r in rows),
        "behind": sum(1 for r in rows if r["behind"]),
        "milestones_late": sum(r["milestones_late"] for r in rows),
        "open_problems": sum(r["open_problems"] for r in rows),
        "overdue_problems": sum(r["overdue_problems"] for r in rows),
    }


def _officials(rows: Iterable[Mapping[str, Any]]) -> list[tuple[str, str]]:
    found: dict[str, str] = {}
    for row in rows:
        for o in row.get("officials") or ():
            found.setdefault(o["official_code"], o.get("name") or o["official_code"])
    return sorted(found.items())


def project_list_html(
    data: dict[str, Any],
    *,
    conn: Connection,
    filters: ProgressFilters,
    sort: str,
    order: str,
    csp_nonce: str,
    today: date,
    generated_at: datetime,
) -> str:
    """The page of *data* (:func:`service.projects.progress.project_progress`, every
    project in the order of *sort* and *order*), opened with *filters*: the rows that
    don't pass them hidden, the totals of those that do."""
    rows = data["projects"]
    shown = [passes(r, filters) for r in rows]
    parks = [tuple(r) for r in conn.execute(text("SELECT code, name_zh FROM park ORDER BY code"))]
    return (
        templates()
        .get_template("project_list.html")
        .render(
            d=data,
            rows=list(zip(rows, shown, strict=True)),
            totals=totals(r for r, ok in zip(rows, shown, strict=True) if ok),
            filters=filters,
            sort=sort,
            order=order,
            sortable=SORTABLE,
            parks=parks,
            chains=sorted({r["industry_chain"] for r in rows if r["industry_chain"]}),
            statuses=[(s.value, PROJECT_STATUS_NAMES_ZH[s]) for s in ProjectStatus],
            status_names={s.value: PROJECT_STATUS_NAMES_ZH[s] for s in ProjectStatus},
            status_rank={s.value: i for i, s in enumerate(ProjectStatus)},
            officials=_officials(rows),
            rhythm_links=RHYTHM_LINKS,
            month_value=f"{data['year']:04d}-{data['month']:02d}",
            current_month=f"{today.year:04d}-{today.month:02d}",
            generated_at=generated_at.strftime("%Y-%m-%d %H:%M %Z"),
            csp_nonce=csp_nonce,
            num=num,
            pct=pct,
            share=share,
        )
    )

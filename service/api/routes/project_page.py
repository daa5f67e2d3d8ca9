"""A key project's page (/projects/{project_code}) and its summary as JSON
(/api/projects/{project_code}). Included after every other project router: its path
parameter would otherwise take their fixed paths."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse

from parks.errors import NotFound
from parks.projects.periods import FIRST_YEAR
from service.api.deps import ReadConnDep, ReaderDep
from service.api.params import NOT_FOUND, READ_ERRORS, TodayDep
from service.projects.page import project_not_found_html, project_page_html
from service.projects.summary import project_summary

router = APIRouter(tags=["projects"], responses=READ_ERRORS)

#: An unknown project's page: a page that says so.
_PAGE_NOT_FOUND = {
    404: {
        "description": "no such project: a page that says so",
        "content": {"text/html": {"schema": {"type": "string"}}},
    }
}

ProjectCode = Annotated[str, Path(min_length=1, max_length=64, description="the project's code")]
Year = Annotated[
    int | None,
    Query(
        ge=FIRST_YEAR,
        le=2200,
        description="the plan's year, up to this year (default: the year of as_of, else this year)",
        examples=[2026],
    ),
]
AsOf = Annotated[
    date | None,
    Query(
        description="the day it is judged on, in the year and not after today (default: "
        "today in the current year, 31 December for a past year)",
        examples=["2026-10-31"],
    ),
]


@router.get("/api/projects/{project_code}", responses=NOT_FOUND)
def project_summary_json(
    conn: ReadConnDep,
    _reader: ReaderDep,
    project_code: ProjectCode,
    today: TodayDep,
    year: Year = None,
    as_of: AsOf = None,
) -> dict:
    """A key project's year as of `as_of`: `project` (with `status_zh`), `officials` (包抓
    领导, lead first), `investment` (per month 1..12 `planned_wan`, `completed_wan` — null
    without a report — and both cumulative; `planned_year_wan`, `through_month` — the last
    complete month as of `as_of` — `planned_to_date_wan`, `completed_to_date_wan`,
    `completion_of_year_pct` = completed to date ÷ the year's plan × 100, `behind_plan`),
    `milestones` (the year's planned milestones judged as of `as_of` — state on_time, late,
    overdue or pending, `delay_days` — and those reached without a plan entry, state
    unplanned; in the order a project reaches them), `progress` (image-progress targets by
    quarter and the latest report), `problems` (`open` most overdue first with their owner
    and `days_overdue`, `solved` with the clock stopped on the day solved, counts),
    `visits` of the year newest first, and `parcels` (current versions with
    `parcel_history_url` and their history). Money 万元, areas m² and 亩, `_pct` 0..100.
    404 for an unknown project."""
    return project_summary(conn, project_code=project_code, today=today, year=year, as_of=as_of)


@router.get("/projects/{project_code}", response_class=HTMLResponse, responses=_PAGE_NOT_FOUND)
def project_page(
    conn: ReadConnDep,
    reader: ReaderDep,
    project_code: ProjectCode,
    today: TodayDep,
    year: Year = None,
    as_of: AsOf = None,
) -> HTMLResponse:
    """A key project's page for `year` (Chinese labels): status and 包抓 officials, the
    plan-vs-actual investment chart by month, the milestone timeline with the delays in
    days, the open problems with their owners and days overdue, the visits, the
    image-progress targets against the latest report, and its parcels on a small map,
    each linking to its history. An unknown project is a 404 page."""
    try:
        summary = project_summary(
            conn,
            project_code=project_code,
            today=today,
            year=year,
            as_of=as_of,
            with_shapes=True,
        )
    except NotFound:
        return HTMLResponse(project_not_found_html(project_code), status_code=404)
    return HTMLResponse(project_page_html(summary, today=today, principal=reader))

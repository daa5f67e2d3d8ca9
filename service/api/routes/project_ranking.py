"""The quarterly ranking (季评比), the yearly assessment (年考核) and the weekly visit list
(周观摩): pages and JSON."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response
from pydantic import BeforeValidator
from sqlalchemy import text

from service.api.deps import ReadConnDep, ReaderDep, SettingsDep
from service.api.params import READ_ERRORS, TodayDep
from service.pages.csp import CspNonceDep
from service.projects.assessment import yearly_assessment
from service.projects.assessment_xlsx import assessment_xlsx_bytes
from service.projects.ranking import quarterly_ranking
from service.projects.ranking_page import assessment_page_html, ranking_page_html
from service.projects.visit_list import weekly_visit_list
from service.reads import queries as reads

router = APIRouter(tags=["projects"], responses=READ_ERRORS)

JSON = "application/json"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

QuarterQuery = Annotated[
    str | None,
    Query(
        max_length=16,
        description="the quarter, YYYYQn (or YYYY-Qn), not after the current one (default: "
        "the quarter of the last complete month)",
        examples=["2026Q3"],
    ),
]
YearQuery = Annotated[
    str | None,
    Query(
        max_length=16,
        description="the year, 1990 to the current year (default: the year of the last "
        "complete month)",
        examples=["2026"],
    ),
]
WeekQuery = Annotated[
    str | None,
    Query(
        max_length=16,
        description="the ISO week, YYYY-Www, at most the next week (default: this week)",
        examples=["2026-W44"],
    ),
]
ParkQuery = Annotated[str | None, Query(max_length=64, description="only this park (code)")]


def _lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def _park_names(conn) -> dict[str, str]:
    return dict(conn.execute(text("SELECT code, name_zh FROM park ORDER BY code")).all())


#: A JSON answer, encoded here (a city's ranking is megabytes: FastAPI's encoder walking
#: it would take longer than making it).
JSON_OK = {200: {"content": {JSON: {"schema": {"type": "object"}}}}}


def _json(answer: dict[str, Any]) -> Response:
    return Response(json.dumps(answer, ensure_ascii=False), media_type=JSON)


@router.get("/api/projects/ranking", response_class=Response, responses=JSON_OK)
def get_ranking(
    conn: ReadConnDep,
    _reader: ReaderDep,
    today: TodayDep,
    quarter: QuarterQuery = None,
    park: ParkQuery = None,
) -> Response:
    """The quarterly ranking (季评比) of `quarter`, judged as of its last day (today while
    it runs). Each project (`projects`, in city-rank order, unranked last, ties by code):
    its `score` (0..100, 2 decimals; null when no criterion applies: unranked),
    `city_rank` and `park_rank` (competition ranks: 1, 2, 2, 4), its officials and, per
    criterion in force, `weight`, whether it `applies`, `rate` (0..1), `points` (100 ×
    weight × rate ÷ Σ weights that apply) and the `basis` of the rate (investment
    `completed_wan`/`planned_wan` year to date through the quarter's last month;
    milestones and problems `due`/`on_time` in the quarter; visits `scored_visits`/
    `mean_score`). `parks`: each park's ranked list; `officials`: each lead official's
    ranked projects, mean score and rank; `criteria_in_force`: the weights (setting
    `ranking.criteria`). `park` narrows the lists to one park; ranks stay the city's."""
    park = reads.check_park(conn, park)
    return _json(quarterly_ranking(conn, quarter=quarter, today=today, park=park))


@router.get("/projects/ranking", response_class=HTMLResponse)
def ranking_page(
    conn: ReadConnDep,
    settings: SettingsDep,
    _reader: ReaderDep,
    nonce: CspNonceDep,
    today: TodayDep,
    quarter: QuarterQuery = None,
    park: ParkQuery = None,
) -> HTMLResponse:
    """The quarterly ranking of `quarter` as a page (重点项目季度评比): the city's ranking
    table, each park's, the officials' and, for each project, how its score was made."""
    park = reads.check_park(conn, park or None)
    ranking = quarterly_ranking(conn, quarter=quarter, today=today, park=park)
    return HTMLResponse(
        ranking_page_html(
            ranking,
            park_names=_park_names(conn),
            csp_nonce=nonce,
            generated_at=datetime.now(ZoneInfo(settings.timezone)),
        )
    )


@router.get(
    "/api/projects/assessment",
    response_class=Response,
    responses={
        200: {
            "description": "the assessment (JSON), or with format=xlsx its workbook",
            "content": {JSON: {"schema": {"type": "object"}}, XLSX: {}},
        }
    },
)
def get_assessment(
    conn: ReadConnDep,
    _reader: ReaderDep,
    today: TodayDep,
    year: YearQuery = None,
    format: Annotated[
        Literal["json", "xlsx"] | None,
        BeforeValidator(_lower),
        Query(description="json (default) or xlsx: the workbook, as a download"),
    ] = None,
) -> Response:
    """The yearly assessment (年考核) of `year`, judged as of its last day (today while it
    runs). Per park: `investment_target_wan` (the year's plans of its projects),
    `investment_completed_wan` (the year's reports up to the day judged), `completion_pct`,
    `projects_to_start`/`projects_started` (开工 planned in the year / reached by the day
    judged), `projects_to_produce`/`projects_producing` (投产, likewise), `quarters_ranked`
    (for each quarter begun: the park's mean score of its ranked projects and its
    competition rank among the parks) and `average_quarterly_rank`; `city`: the totals.
    With `format=xlsx`: the workbook (园区考核, 季度排名, 说明)."""
    result = yearly_assessment(conn, year=year, today=today)
    if format == "xlsx":
        return Response(
            assessment_xlsx_bytes(result),
            media_type=XLSX,
            headers={
                "Content-Disposition": f'attachment; filename="assessment-{result["year"]}.xlsx"'
            },
        )
    return _json(result)


@router.get("/projects/assessment", response_class=HTMLResponse)
def assessment_page(
    conn: ReadConnDep,
    settings: SettingsDep,
    _reader: ReaderDep,
    nonce: CspNonceDep,
    today: TodayDep,
    year: YearQuery = None,
) -> HTMLResponse:
    """The yearly assessment of `year` as a page (重点项目年度考核), with a link to its
    workbook."""
    result = yearly_assessment(conn, year=year, today=today)
    return HTMLResponse(
        assessment_page_html(
            result, csp_nonce=nonce, generated_at=datetime.now(ZoneInfo(settings.timezone))
        )
    )


@router.get("/api/projects/visit-list", response_class=Response, responses=JSON_OK)
def get_visit_list(
    conn: ReadConnDep, _reader: ReaderDep, today: TodayDep, week: WeekQuery = None
) -> Response:
    """The weekly visit list (周观摩) of `week`: the projects proposed for its site visits,
    judged as of the day before the week starts — behind plan through the last complete
    month (1 point per % of shortfall), overdue problems (15 each), overdue milestones
    (10 each), not visited for `visit_list.not_visited_days` days or more (1 point per 3
    days, up to 180; never visited counts 180) — highest `points` first, ties by code,
    the first `visit_list.size`. A project visited in the 7 days before the week is not
    proposed unless it has an overdue problem. Each proposal: `points`, `reasons` (in
    Chinese), `last_visit_on`, `officials` and the `basis` of its points."""
    return _json(weekly_visit_list(conn, week=week, today=today))

"""The key-project list (/projects, /api/projects/progress): every project's progress against
its year's plan, late milestones and open or overdue problems, filtered and sorted; and
the park map's marks on projects behind plan (/api/projects/alerts)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from service.api.deps import ReadConnDep, ReaderDep, SettingsDep
from service.api.params import READ_ERRORS, ProjectStatusList, TodayDep
from service.pages.csp import CspNonceDep
from service.projects import progress
from service.projects.list_page import project_list_html
from service.reads import queries as reads

router = APIRouter(tags=["projects"], responses=READ_ERRORS)

JSON = "application/json"
GEOJSON = "application/geo+json"


# --- the answer, as the document declares it ---------------------------------------------


class OfficialEntry(BaseModel):
    """An official assigned to the project (包抓领导): the lead first."""

    official_code: str
    name: str | None = Field(description="null when the official's record is ended")
    role: Literal["lead", "member"]


class ProjectProgress(BaseModel):
    """One project's progress through the month (money 万元)."""

    project_code: str
    name: str
    park: str
    park_name: str
    industry_chain: str | None
    status: str
    status_zh: str | None
    officials: list[OfficialEntry]
    planned_year_wan: float = Field(description="the year's plan: Σ of its 12 months")
    planned_to_date_wan: float = Field(description="Σ planned, months 1..month")
    completed_to_date_wan: float = Field(description="Σ reported investment, months 1..month")
    completion_of_year_pct: float | None = Field(
        description="completed to date ÷ the year's plan × 100 (null: nothing planned)"
    )
    completion_to_date_pct: float | None = Field(
        description="completed to date ÷ plan to date × 100 (null: nothing planned)"
    )
    shortfall_share: float = Field(
        description="(plan to date − completed) ÷ plan to date (0: nothing planned; "
        "negative: ahead of plan)"
    )
    behind: bool = Field(description="short of the plan to date by more than behind_share of it")
    milestones_late: int = Field(description="planned milestones of the year late or overdue")
    milestones_due: int = Field(description="planned milestones of the year due by as_of")
    open_problems: int = Field(description="problems raised by as_of and not solved by then")
    overdue_problems: int = Field(description="open problems past their due day")
    max_days_overdue: int | None = Field(description="the longest an open problem is overdue")
    last_visit_on: date | None
    page: str = Field(description="the project's page, /projects/{code}")


class ProgressTotals(BaseModel):
    """The totals of the projects listed."""

    projects: int
    planned_year_wan: float
    planned_to_date_wan: float
    completed_to_date_wan: float
    behind: int
    milestones_late: int
    open_problems: int
    overdue_problems: int


class ProgressList(BaseModel):
    """The key-project list of a month."""

    year: int
    month: int = Field(ge=1, le=12)
    as_of: date = Field(description="the day judged on: the month's last day, or today")
    behind_share: float = Field(description="progress.behind_share in force")
    projects: list[ProjectProgress]
    totals: ProgressTotals


# --- the parameters ---------------------------------------------------------------------


async def progress_month(
    today: TodayDep,
    year: Annotated[
        int | None,
        Query(ge=1990, le=2200, description="the plan's year (default: see month)"),
    ] = None,
    month: Annotated[
        str | None,
        Query(
            max_length=7,
            description="YYYY-MM, or a month number 1–12 of `year`; default: the last "
            "complete month (December of a past `year`)",
            examples=["2026-10", "10"],
        ),
    ] = None,
) -> progress.ProgressMonth:
    """``year`` and ``month`` (:func:`service.projects.progress.progress_month`)."""
    return progress.progress_month(year, month, today=today)


MonthDep = Annotated[progress.ProgressMonth, Depends(progress_month)]


def progress_park(
    conn: ReadConnDep,
    park: Annotated[str | None, Query(max_length=64, description="park code")] = None,
) -> str | None:
    """The park asked for, when it exists (None: every park; so is an empty value, as a
    page's form sends for "all")."""
    return reads.check_park(conn, park or None)


ParkDep = Annotated[str | None, Depends(progress_park)]


def progress_filters(
    conn: ReadConnDep,
    park: ParkDep,
    status: ProjectStatusList = None,
    chain: Annotated[str | None, Query(max_length=200, description="industry chain")] = None,
    official: Annotated[
        str | None,
        Query(max_length=40, description="an official's code: the projects they take charge of"),
    ] = None,
    behind: Annotated[
        bool | None, Query(description="true: only those behind plan; false: only the others")
    ] = None,
    overdue: Annotated[
        bool | None,
        Query(description="true: only those with an overdue problem; false: only the others"),
    ] = None,
) -> progress.ProgressFilters:
    """The list's filters (an empty value: not filtered); an unknown park or official is
    refused naming it."""
    return progress.ProgressFilters(
        park=park,
        chain=chain or None,
        statuses=tuple(status or ()),
        official=progress.check_official(conn, official or None),
        behind=behind,
        overdue=overdue,
    )


FiltersDep = Annotated[progress.ProgressFilters, Depends(progress_filters)]
SortParam = Annotated[
    Literal[progress.SORT_KEYS],  # type: ignore[valid-type]
    Query(description="what the list is sorted by (nulls last, then by code)"),
]
OrderParam = Annotated[Literal["asc", "desc"], Query(description="ascending or descending")]


# --- the routes -----------------------------------------------------------------------------


@router.get(
    "/api/projects/progress",
    response_model=ProgressList,
    responses={200: {"description": "the list, its totals and the month it is of"}},
)
def project_progress(
    conn: ReadConnDep,
    _reader: ReaderDep,
    when: MonthDep,
    filters: FiltersDep,
    sort: SortParam = "code",
    order: OrderParam = "asc",
) -> Response:
    """Every key project's progress through `month` of `year` against the year's plan,
    judged as of the month's last day (today while it runs): investment planned and
    completed (万元), the completion of the year's plan and of the plan to date (%), the
    shortfall, whether it is behind plan (short by more than `behind_share` of the plan
    to date), milestones late and due, open and overdue problems, its officials and last
    visit — of the projects passing the filters (`park`, `chain`, `status`, `official`,
    `behind`, `overdue`), sorted by `sort` in `order` (nulls last, ties by code), with
    their totals. `month` is YYYY-MM or a number 1–12 of `year`; by default the last
    complete month (December of a past `year`)."""
    body = progress.progress_json(conn, when=when, filters=filters, sort=sort, order=order)
    return Response(content=body, media_type=JSON)


@router.get(
    "/api/projects/alerts",
    response_class=Response,
    responses={
        200: {
            "description": "a GeoJSON FeatureCollection (EPSG:4326), a feature per project",
            "content": {GEOJSON: {"schema": {"type": "object"}}},
        }
    },
)
def project_alerts(
    conn: ReadConnDep, _reader: ReaderDep, when: MonthDep, park: ParkDep
) -> Response:
    """The key projects of `park` (every park when not given) behind plan or with an
    overdue problem in `month` of `year` (as `/api/projects/progress` takes them), as a
    GeoJSON FeatureCollection in EPSG:4326: each project's site (the union of its current
    parcels; null geometry without any) with `project_code`, `name`, `park`, `status`,
    `behind`, `planned_to_date_wan`, `completed_to_date_wan`, `completion_to_date_pct`,
    `shortfall_share`, `overdue_problems`, `max_days_overdue`, `milestones_late` and
    `page`; the collection says its `year`, `month`, `as_of` and `behind_share`. The park
    maps mark these (重点项目预警)."""
    return Response(content=progress.alerts_geojson(conn, when=when, park=park), media_type=GEOJSON)


@router.get("/projects", response_class=HTMLResponse)
def project_list_page(
    conn: ReadConnDep,
    settings: SettingsDep,
    _reader: ReaderDep,
    nonce: CspNonceDep,
    when: MonthDep,
    filters: FiltersDep,
    today: TodayDep,
    sort: SortParam = "code",
    order: OrderParam = "asc",
) -> HTMLResponse:
    """The key-project list as a page (重点项目一览): every project of the month with the
    columns of `/api/projects/progress`, filters (park, chain, status, official, behind
    only, overdue only) and sortable columns that work in the page, the totals of the
    projects shown, and links to each project's page and to 月调度, 季评比 and 年考核.
    The query string sets the month, the filters and the order the page opens with."""
    data = progress.project_progress(conn, when=when, sort=sort, order=order)
    return HTMLResponse(
        project_list_html(
            data,
            conn=conn,
            filters=filters,
            sort=sort,
            order=order,
            csp_nonce=nonce,
            today=today,
            generated_at=datetime.now(ZoneInfo(settings.timezone)),
        )
    )

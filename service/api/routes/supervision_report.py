"""The monthly supervision report (月调度): as JSON, and as a page an official can print."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse

from parks.supervision.months import report_month
from service.api.deps import ReadConnDep, ReaderDep, SettingsDep
from service.api.params import READ_ERRORS, TodayDep
from service.pages.csp import CspNonceDep
from service.supervision.report import monthly_report
from service.supervision.report_page import report_page_html

router = APIRouter(tags=["supervision"], responses=READ_ERRORS)


async def month_param(
    today: TodayDep,
    month: Annotated[
        str | None,
        Query(
            max_length=7,
            description="the report's month, YYYY-MM, up to the current month (default: the "
            "current month, as of today)",
            examples=["2026-10"],
        ),
    ] = None,
) -> str:
    """``month``: YYYY-MM from 1990-01 to the current month (in ``PARKS_TIMEZONE``)."""
    return report_month(month, today=today).month


MonthDep = Annotated[str, Depends(month_param)]


@router.get("/api/supervision/report")
def supervision_report(
    conn: ReadConnDep, _reader: ReaderDep, month: MonthDep, today: TodayDep
) -> dict:
    """The monthly supervision report of `month`: for the city (`city`) and each park
    (`parks`), idle land by stage (warning, idle_1y, idle_2y) with the days on each
    clock and the fee (万元), the changes since the last day of the month before (counts
    and areas by stage then and now, and the contracts that entered or left a stage),
    approval batches (those at risk of lapsing listed), 供而未用 and 用而未尽, contracts
    with an indicator short, contracts signed and starts reported in the month, and the
    亩均效益 grades of the latest year with figures. As of the month's last day (today in
    the current month). Areas m² (EPSG:4545) and 亩, money 万元, rates fractions of 1."""
    return monthly_report(conn, month=month, today=today)


@router.get("/supervision", response_class=HTMLResponse)
def supervision_page(
    conn: ReadConnDep,
    settings: SettingsDep,
    _reader: ReaderDep,
    nonce: CspNonceDep,
    month: MonthDep,
    today: TodayDep,
) -> HTMLResponse:
    """The monthly supervision report of `month` (default: the current month) as a page
    an official can print, with Chinese headings: 总览, then for the city and each park
    闲置土地, 较上月变化, 批而未供, 供而未用, 履约情况, 本月供地, 本月开工, 亩均效益."""
    report = monthly_report(conn, month=month, today=today)
    return HTMLResponse(
        report_page_html(
            report,
            csp_nonce=nonce,
            today=today,
            generated_at=datetime.now(ZoneInfo(settings.timezone)),
        )
    )

"""The monthly dispatch report (月调度): /projects/dispatch and /api/projects/dispatch, as a
page, JSON, xlsx or docx."""

from __future__ import annotations

import io
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, Response
from pydantic import BeforeValidator
from sqlalchemy import Connection, text

from parks.projects.periods import Period, last_complete_month_label, month_period
from service.api.deps import ReadConnDep, ReaderDep, SettingsDep
from service.api.params import READ_ERRORS, TodayDep
from service.pages.csp import CspNonceDep
from service.projects.dispatch import dispatch_report
from service.projects.dispatch_docx import write_docx
from service.projects.dispatch_page import dispatch_page_html
from service.projects.dispatch_xlsx import write_xlsx
from service.reads import queries as reads
from service.settings import Settings

router = APIRouter(tags=["projects"], responses=READ_ERRORS)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_BINARY = {"schema": {"type": "string", "format": "binary"}}


class DispatchFormat(StrEnum):
    """What ``/projects/dispatch`` answers with."""

    HTML = "html"
    XLSX = "xlsx"
    DOCX = "docx"


def _lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


async def dispatch_month(
    today: TodayDep,
    month: Annotated[
        str | None,
        Query(
            max_length=7,
            description="the month, YYYY-MM, up to the current month (default: the last "
            "complete month — the month before this one, or this one on its last day)",
            examples=["2026-10"],
        ),
    ] = None,
) -> Period:
    """``month`` as a period judged as of its last day (today while it runs); a month
    after the current one (in ``PARKS_TIMEZONE``) is refused naming ``month``."""
    return month_period(
        month if month is not None else last_complete_month_label(today), today=today
    )


def dispatch_park(
    conn: ReadConnDep,
    park: Annotated[
        str | None, Query(max_length=64, description="one park's code (default: every park)")
    ] = None,
) -> str | None:
    """The park asked for, when it exists (None or empty: every park)."""
    return reads.check_park(conn, park or None)


MonthDep = Annotated[Period, Depends(dispatch_month)]
DispatchParkDep = Annotated[str | None, Depends(dispatch_park)]


def _report(conn: Connection, settings: Settings, period: Period, park: str | None) -> dict:
    return dispatch_report(
        conn, period, park=park, generated_at=datetime.now(ZoneInfo(settings.timezone))
    )


@router.get("/api/projects/dispatch")
def project_dispatch(
    conn: ReadConnDep,
    settings: SettingsDep,
    _reader: ReaderDep,
    period: MonthDep,
    park: DispatchParkDep,
) -> dict:
    """The monthly dispatch report (月调度) of key projects for `month` (default: the last
    complete month), for the city or one `park`, judged as of the month's last day (today
    while it runs; `as_of`). `projects`: each project's investment planned and completed
    in the month and through the month (from January), its completion of the plan to date
    and of the year's plan (%), its shortfall (a fraction of the plan to date) and whether
    it is `behind` plan (short by more than `behind_share` of it), whether its report of
    the month stands, its lead officials, its milestones due in the month (and how many
    were met on time) and those planned earlier and still not reached, its problems raised
    in the month and those overdue (days overdue); projects behind plan first, the largest
    shortfall first, then by park and code. `totals`: per park, per industry chain and
    for the city (or the park): projects, investment, completion %, projects behind,
    milestones due/met/overdue, problems new/overdue, projects not reported. Money 万元."""
    return _report(conn, settings, period, park)


def _attachment(name: str, ascii_name: str) -> str:
    """A Content-Disposition naming the file *name* (RFC 5987, UTF-8) with *ascii_name*
    for clients that read only ``filename``."""
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


def _park_names(conn: Connection) -> list[tuple[str, str]]:
    return [
        (r.code, r.name_zh)
        for r in conn.execute(text("SELECT code, name_zh FROM park ORDER BY code"))
    ]


@router.get(
    "/projects/dispatch",
    response_class=HTMLResponse,
    responses={
        200: {
            "description": "the page, or the file as an attachment named like "
            "重点项目月调度-2026-10.xlsx (ASCII: project-dispatch-2026-10.xlsx)",
            "content": {XLSX: _BINARY, DOCX: _BINARY},
        }
    },
)
def project_dispatch_page(
    conn: ReadConnDep,
    settings: SettingsDep,
    _reader: ReaderDep,
    nonce: CspNonceDep,
    today: TodayDep,
    period: MonthDep,
    park: DispatchParkDep,
    format: Annotated[
        DispatchFormat,
        BeforeValidator(_lower),
        Query(description="html (the page, default), xlsx (a workbook) or docx (Word)"),
    ] = DispatchFormat.HTML,
) -> Response:
    """The monthly dispatch report (重点项目月调度) of `month` (default: the last complete
    month), for the city or one `park`: as a page an official can print (the totals per
    park and per industry chain, every project with those behind plan first and
    highlighted, the milestones due and overdue, the problems new and overdue, links to
    the files), or with `format=xlsx|docx` as a file to download."""
    report = _report(conn, settings, period, park)
    if format is DispatchFormat.HTML:
        return HTMLResponse(
            dispatch_page_html(report, csp_nonce=nonce, today=today, parks=_park_names(conn))
        )
    buffer = io.BytesIO()
    if format is DispatchFormat.XLSX:
        write_xlsx(report, buffer)
        media_type = XLSX
    else:
        write_docx(report, buffer)
        media_type = DOCX
    stem = report["month"] + (f"-{park}" if park else "")
    suffix = format.value
    return Response(
        buffer.getvalue(),
        media_type=media_type,
        headers={
            "Content-Disposition": _attachment(
                f"重点项目月调度-{stem}.{suffix}", f"project-dispatch-{stem}.{suffix}"
            )
        },
    )

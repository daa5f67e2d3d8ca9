"""Enterprises' yearly figures (亩均效益 data) brought in from a workbook or CSV.

``POST /api/figures?year=Y`` takes the file as the multipart form field ``file`` (as
``POST /api/imports`` takes a dataset) or as the request body itself (``text/csv``, or an
.xlsx as ``application/vnd.openxmlformats-officedocument.spreadsheetml.sheet``), checks
it, matches its rows to enterprises and — unless ``dry_run`` — stores it as one change
set of kind ``figures`` (``service.supervision.figures``). Who may: those who may write
change sets (an admin; an editor where ``PARKS_EDITORS_APPLY_DIRECTLY`` is set).
``GET /api/figures`` reads the standing figures (readers).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from parks.errors import InvalidParameter
from service.api.deps import ConnDep, EditorDep, EngineDep, ReaderDep
from service.api.params import (
    NOT_FOUND,
    READ_ERRORS,
    WRITE_ERRORS,
    ErrorBody,
    Page,
    ParkDep,
    error_answer,
    paging,
)
from service.imports.uploads import safe_name
from service.supervision.figures import import_figures, standing_figures

router = APIRouter(tags=["supervision"], responses=READ_ERRORS)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Body types taken as the file itself (besides a multipart form), and the name it gets.
RAW_BODIES = {"text/csv": "upload.csv", "text/plain": "upload.csv", XLSX: "upload.xlsx"}

#: The years the register keeps figures for.
FIRST_YEAR, LAST_YEAR = 1990, 2200

_REQUEST_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {
                        "type": "string",
                        "format": "binary",
                        "description": "the figures: an .xlsx workbook or a CSV file (UTF-8 "
                        "or GBK), a header row (Chinese or English names, any order) and "
                        "one row per enterprise",
                    }
                },
            }
        },
        "text/csv": {"schema": {"type": "string", "description": "the figures as CSV"}},
        XLSX: {"schema": {"type": "string", "format": "binary"}},
    },
}


class FiguresSummary(BaseModel):
    """What an import stored (201) or, dry or changing nothing, would store (200)."""

    model_config = ConfigDict(extra="allow")

    file: str
    year: int
    dry_run: bool
    stored: bool = Field(description="a change set was recorded")
    change_set_id: int | None
    message: str
    rows: int = Field(description="rows of figures (skipped total lines not counted)")
    matched: dict[str, int] = Field(description="by_code, by_name, new")
    land: dict[str, int] = Field(description="holding_land, leasing_floor, holding_nothing")
    enterprises_registered: int
    figures: dict[str, int] = Field(description="made (= new + replaced), new, replaced, unchanged")
    warnings: list[dict[str, Any]]
    enterprises: list[dict[str, Any]] = Field(
        description="per row: row, enterprise_code, name, matched_by, parcels, land_m2, "
        "land_mu, leased_floor_m2, parks, figures (new, replaced, unchanged), warnings"
    )


class FiguresRefusal(ErrorBody):
    """A figures file refused (invalid_figures_file: each problem names the row as a
    spreadsheet numbers it, the column and what is wrong; nothing is stored), or a
    parameter that is wrong (invalid_parameter, naming it)."""

    problems: list[dict[str, Any]] | None = None
    parameter: str | None = None


def _summary_answer(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": FiguresSummary.model_json_schema()}},
    }


_POST_ANSWERS: dict[int | str, dict[str, Any]] = {
    **WRITE_ERRORS,
    200: _summary_answer("a dry run, or a file that changes nothing: nothing was stored"),
    201: _summary_answer("stored as one change set (its id in change_set_id and Location)"),
    422: error_answer(
        "the file is refused (invalid_figures_file, with its problems) or a parameter is "
        "wrong (invalid_parameter, naming it)",
        FiguresRefusal,
    ),
}

YearQuery = Annotated[
    int, Query(ge=FIRST_YEAR, le=LAST_YEAR, description="the year the figures are for")
]
FiguresPageDep = Annotated[Page, Depends(paging(default=1000, most=10_000))]


async def _file_of(request: Request) -> tuple[str, bytes]:
    """The file sent: the multipart field ``file`` (its base name kept), or the body."""
    kind = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        form = await request.form()
        try:
            part = form.get("file")
            if isinstance(part, UploadFile):
                return safe_name(part.filename, default="upload"), await part.read()
            if isinstance(part, str) and part:
                return "upload.csv", part.encode("utf-8")
        finally:
            await form.close()
        raise InvalidParameter("file", "no file: send the figures as the form field 'file'")
    if kind in RAW_BODIES:
        return RAW_BODIES[kind], await request.body()
    raise InvalidParameter(
        "file",
        "send the figures as the multipart form field 'file', or as a text/csv (or .xlsx) "
        f"body; got {kind or 'no content type'}",
    )


@router.post(
    "/api/figures",
    status_code=201,
    responses=_POST_ANSWERS,
    openapi_extra={"requestBody": _REQUEST_BODY},
)
async def post_figures(
    request: Request,
    engine: EngineDep,
    principal: EditorDep,
    year: YearQuery,
    dry_run: Annotated[bool, Query(description="check and match only; store nothing")] = False,
    reason: Annotated[
        str | None,
        Query(
            max_length=500,
            description="the change set's reason (default: figures import <file> year <year>)",
        ),
    ] = None,
    document_no: Annotated[
        str | None, Query(max_length=200, description="the document the figures come with")
    ] = None,
) -> JSONResponse:
    """Bring in one year's figures per enterprise — 统一社会信用代码/enterprise_code,
    企业名称/name, 税收(万元)/tax_wan, 销售收入(万元)/revenue_wan, 工业增加值(万元),
    综合能耗(吨标准煤), 研发经费(万元), 从业人员 — each row matched to an enterprise (by code,
    else exact name, else registered) and to the parcels it holds and the floor it leases
    (in force on 31 December). A file with a problem is refused whole (422); 201 with the
    summary when stored as one change set; 200 for a dry run or a file that changes
    nothing (a re-import)."""
    file_name, data = await _file_of(request)
    body = await run_in_threadpool(
        import_figures,
        engine,
        data,
        file_name=file_name,
        year=year,
        actor=principal.name,
        dry_run=dry_run,
        reason=reason or None,
        document_no=document_no or None,
    )
    if body["change_set_id"] is None:
        return JSONResponse(body, status_code=200)
    return JSONResponse(
        body, status_code=201, headers={"Location": f"/api/change-sets/{body['change_set_id']}"}
    )


@router.get("/api/figures", responses=NOT_FOUND)
def get_figures(
    conn: ConnDep,
    _reader: ReaderDep,
    park: ParkDep,
    page: FiguresPageDep,
    year: Annotated[
        int | None, Query(ge=FIRST_YEAR, le=LAST_YEAR, description="one year (default: all)")
    ] = None,
    enterprise: Annotated[
        str | None,
        Query(min_length=1, max_length=200, description="an enterprise's code or exact name"),
    ] = None,
) -> dict:
    """The standing figures (one version per enterprise and year), newest year first, then
    by enterprise code: tax, revenue, added value and R&D in 万元, energy in tce,
    employees; the parcels each enterprise holds (land_m2 planar in EPSG:4545, land_mu)
    and the standard-factory floor it leases (m², in force on 31 December of the year).
    `park`: enterprises holding land or leasing floor there; `enterprise`: a code or exact
    name (404 when the register has neither)."""
    return standing_figures(
        conn,
        year=year,
        park=park,
        enterprise=enterprise,
        limit=page.limit,
        offset=page.offset,
    )

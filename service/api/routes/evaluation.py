"""The 亩均效益 evaluation: each enterprise's indicators, score and grade, per park, and the low-
efficiency land."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response
from pydantic import BeforeValidator

from parks.errors import InvalidParameter
from service.api.deps import ReadConnDep, ReaderDep, SettingsDep
from service.api.params import NOT_FOUND, READ_ERRORS
from service.reads import queries as reads
from service.supervision import evaluation

router = APIRouter(tags=["supervision"], responses=READ_ERRORS)

JSON = "application/json"
GEOJSON = "application/geo+json"
FIRST_YEAR, LAST_YEAR = 1990, 2200


def _upper(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


def _lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def evaluated_park(
    conn: ReadConnDep,
    park: Annotated[str | None, Query(max_length=64, description="park code")] = None,
) -> str | None:
    """The park asked for, when it exists (None: every park)."""
    return reads.check_park(conn, park)


YearQuery = Annotated[
    int | None,
    Query(
        ge=FIRST_YEAR,
        le=LAST_YEAR,
        description="the year evaluated (default: the latest year with figures)",
    ),
]
EvaluatedParkDep = Annotated[str | None, Depends(evaluated_park)]


def _year_or_latest(conn, year: int | None) -> int:
    if year is not None:
        return year
    latest = evaluation.latest_year(conn)
    if latest is None:
        raise InvalidParameter("year", "no enterprise figures are imported yet")
    return latest


@router.get(
    "/api/evaluation",
    response_class=Response,
    responses={
        200: {
            "description": "the evaluation (JSON), or with format=geojson the map layer",
            "content": {
                JSON: {"schema": {"type": "object"}},
                GEOJSON: {"schema": {"type": "object"}},
            },
        }
    },
)
def get_evaluation(
    conn: ReadConnDep,
    _reader: ReaderDep,
    settings: SettingsDep,
    park: EvaluatedParkDep,
    year: YearQuery = None,
    group: Annotated[
        str | None,
        Query(max_length=64, description="only this group's enterprises (land, leased_floor)"),
    ] = None,
    grade: Annotated[
        Literal["A", "B", "C", "D"] | None,
        BeforeValidator(_upper),
        Query(description="only the enterprises of this grade: A, B, C or D"),
    ] = None,
    format: Annotated[
        Literal["json", "geojson"] | None,
        BeforeValidator(_lower),
        Query(description="json (default) or geojson: the parcels by their holder's grade"),
    ] = None,
) -> Response:
    """The 亩均效益 evaluation of `year`: every enterprise with figures that year, with its
    land (parcels held and the land share of standard-factory floor leased on 31 December;
    m² in EPSG:4545 and 亩), its indicators (亩均税收 and 亩均销售收入 in 万元/亩, 单位能耗
    增加值 in 万元/吨标煤, R&D intensity as a share, labour productivity in 万元/人), points
    per indicator, score (Σ weight × points / 100), rank and grade (A/B/C/D by rank within
    its group: `land` or `leased_floor`); enterprises not graded and why (`ungraded`); per
    park the totals, 亩均 figures and grade counts; and the low-efficiency land (低效用地
    candidates: parcels of grade-D holders, completed below the contract's minimum plot
    ratio, or idle ≥ 1 year) with the reasons and area. `park`, `group` and `grade` narrow
    the lists (grades stay the city-wide ones). With `format=geojson`: the parcels of the
    graded enterprises, each with its holder's grade, as a GeoJSON FeatureCollection
    (EPSG:4326). A year without figures is 422 naming `year`."""
    year = _year_or_latest(conn, year)
    if format == "geojson":
        body = evaluation.evaluation_geojson(
            conn, year=year, park=park, group=group, grade=grade, zone=settings.timezone
        )
        return Response(body, media_type=GEOJSON)
    result = evaluation.evaluate(
        conn, year=year, park=park, group=group, grade=grade, zone=settings.timezone
    )
    return Response(json.dumps(result, ensure_ascii=False), media_type=JSON)


@router.get("/api/evaluation/{enterprise}", responses=NOT_FOUND)
def get_enterprise_evaluation(
    conn: ReadConnDep,
    _reader: ReaderDep,
    settings: SettingsDep,
    enterprise: Annotated[
        str, Path(min_length=1, max_length=200, description="enterprise code or exact name")
    ],
    year: YearQuery = None,
) -> dict[str, Any]:
    """One enterprise's evaluation in `year` (default: its latest year with figures), by
    its code or exact name: its indicators and points, how the score was made (each
    indicator's value, its group's min and max, the weight and the points), rank and
    grade, its land (parcels with their areas; leases with their floor, the building's
    plot ratio and the land share) and its figures of every year. 404 for an unknown
    enterprise; 422 naming `year` when it has no figures for the year."""
    if year is None:
        year = evaluation.latest_enterprise_year(conn, key=enterprise)
    return evaluation.enterprise_evaluation(conn, key=enterprise, year=year, zone=settings.timezone)

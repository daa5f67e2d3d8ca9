"""The 亩均效益 evaluation: each enterprise's indicators, score and grade, per park, and the low-
efficiency land; and its map layer, the parcels by their holder's grade (which the park
maps fetch when their 亩均效益 layer is switched on).

A year's evaluation grades the whole city, which is costly at a province's scale (seconds
for 100,000 parcels): the map layer is kept (:data:`GEOJSON_CACHE_SIZE` of them) per
database, year, park, group, grade, time zone and version of the data — the ledger's last
sequence (every write to parcels, enterprises, figures or settings is a change set, and
every change set appends a ledger row) and the epoch of the other tables, as the tile
cache reads it — so a layer is built once per change.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response
from pydantic import BeforeValidator
from sqlalchemy import Connection, text

from parks.errors import InvalidParameter
from service.api.deps import ReadConnDep, ReaderDep, SettingsDep
from service.api.params import NOT_FOUND, READ_ERRORS
from service.reads import queries as reads
from service.supervision import evaluation

router = APIRouter(tags=["supervision"], responses=READ_ERRORS)

JSON = "application/json"
GEOJSON = "application/geo+json"
FIRST_YEAR, LAST_YEAR = 1990, 2200
#: Map layers kept, and the most text they may hold together (a city-wide layer at
#: 100,000 parcels is some 35 MB; one larger than the bound is not kept).
GEOJSON_CACHE_SIZE = 16
GEOJSON_CACHE_CHARS = 200_000_000
_geojson_cache: OrderedDict[tuple, str] = OrderedDict()
_geojson_lock = threading.Lock()
_VERSION = "SELECT h.last_seq, e.epoch FROM ledger_head h CROSS JOIN map_data_epoch e"
#: The layer when no figures are imported at all: no year, no features.
NO_FIGURES_GEOJSON = json.dumps(
    {"type": "FeatureCollection", "year": None, "numberReturned": 0, "features": []}
)


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


def _data_version(conn: Connection) -> tuple:
    """The version of the data, as the tile cache reads it: the ledger's last sequence and
    the epoch of the other tables."""
    return tuple(conn.execute(text(_VERSION)).one())


def evaluation_layer(
    conn: Connection,
    *,
    year: int,
    park: str | None,
    group: str | None,
    grade: str | None,
    zone: str,
) -> str:
    """:func:`service.supervision.evaluation.evaluation_geojson` of *year* with the
    ``year`` beside the features, kept per database, arguments and version of the data."""
    database = conn.engine.url.render_as_string(hide_password=True)
    # The version is read before the layer is built: a write in between is then kept
    # under the older version, which no later request asks for.
    key = (database, year, park, group, grade, zone, _data_version(conn))
    with _geojson_lock:
        if key in _geojson_cache:
            _geojson_cache.move_to_end(key)
            return _geojson_cache[key]
    body = evaluation.evaluation_geojson(
        conn, year=year, park=park, group=group, grade=grade, zone=zone
    )
    # The database writes an object ('{"type" : ...}'): the year goes in front of its members.
    body = f'{{"year": {int(year)}, {body.lstrip()[1:]}'
    if len(body) <= GEOJSON_CACHE_CHARS:
        with _geojson_lock:
            _geojson_cache[key] = body
            while (
                len(_geojson_cache) > GEOJSON_CACHE_SIZE
                or sum(map(len, _geojson_cache.values())) > GEOJSON_CACHE_CHARS
            ):
                _geojson_cache.popitem(last=False)
    return body


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
    graded enterprises, each with its holder's grade, score and rank, as a GeoJSON
    FeatureCollection (EPSG:4326) with the `year` evaluated; the park map's 亩均效益 layer.
    A year without figures is 422 naming `year`; but with no year asked and no figures
    imported at all, the layer is an empty collection (`year` null), which a map shows
    as an empty layer."""
    if format == "geojson":
        if year is None:
            year = evaluation.latest_year(conn)
            if year is None:
                return Response(NO_FIGURES_GEOJSON, media_type=GEOJSON)
        body = evaluation_layer(
            conn, year=year, park=park, group=group, grade=grade, zone=settings.timezone
        )
        return Response(body, media_type=GEOJSON)
    year = _year_or_latest(conn, year)
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

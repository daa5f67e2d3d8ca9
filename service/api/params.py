"""The API's inputs, declared once: every query parameter and body a typed, reusable
dependency (or type), validated in one place, so that the OpenAPI document says what is
accepted and a route receives values it can use.

A bad value is refused 422 with ``{"error": "invalid_parameter", "parameter": <its name>,
"message": ...}`` — by FastAPI's validation (which ``service.api.errors`` words that way)
or by :class:`parks.errors.InvalidParameter` raised here. What needs the database (does
the park exist? the land-use class? the CRS?) is a dependency that takes the request's
connection.

(No ``from __future__ import annotations`` here: :func:`paging`'s dependency declares its
bounds from the enclosing call, which FastAPI must see as values, not as text.)

The answers a route may give besides its own are declared here too (:data:`READ_ERRORS`,
:data:`WRITE_ERRORS`), with the bodies they carry.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import Depends, Path, Query, Request
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from gis.tiles import MAX_ZOOM, MIN_ZOOM, Tile, TileError, check_tile
from parks.errors import InvalidParameter
from parks.vocabulary import ProjectStatus
from service.api.deps import ConnDep, SettingsDep
from service.audit import queries as audit
from service.planning.criteria import (
    Criteria,
    CriteriaQuery,
    LandUseCodes,
    ParcelStatuses,
    given_once,
    vocabulary_list,
)
from service.planning.supply import FIRST_YEAR, LAST_YEAR
from service.reads import queries as reads
from service.reads.queries import BBox

#: The largest offset a list takes (PostgreSQL's OFFSET is a bigint; past this nothing is
#: there anyway, and a larger number would fail in the database instead of being a 422).
MAX_OFFSET = 2**31 - 1

# --- the error answers ----------------------------------------------------------------------


class ErrorBody(BaseModel):
    """Every error answer: a machine-readable ``error`` and a sentence; some say more
    (a refusal's shortfall and parcels, a change set's problems)."""

    model_config = ConfigDict(extra="allow")

    error: str = Field(description="what went wrong, e.g. not_found, unauthorized")
    message: str
    request_id: str | None = Field(
        None, description="the request's id (its X-Request-ID), to find it in the logs"
    )


class ParameterErrorBody(ErrorBody):
    """A bad parameter (or body field), named."""

    error: Literal["invalid_parameter"]
    parameter: str = Field(description="the query, path or body parameter that is wrong")


class BadRequestBody(BaseModel):
    """A request the service can't read: a ``Content-Length`` that is not a number
    (``invalid_parameter``), or a body that is not UTF-8 (FastAPI's ``detail``)."""

    model_config = ConfigDict(extra="allow")

    error: str | None = None
    parameter: str | None = None
    message: str | None = None
    detail: str | None = None
    request_id: str | None = None


def error_answer(description: str, model: type[BaseModel] = ErrorBody) -> dict[str, Any]:
    """An error answer's declaration (for ``responses=``): JSON with *model*'s schema."""
    # The schema written out, not ``"model"``: FastAPI would declare a model under the
    # route's own media type — text/html for a page — while every error answer is JSON.
    return {
        "description": description,
        "content": {"application/json": {"schema": model.model_json_schema()}},
    }


#: What any route may answer instead of its own answer (the guards before the routes
#: answer some of these for every path): a request it can't read (a ``Content-Length``
#: that is not a number) or one too large, a bad parameter (a NUL byte in the query
#: included), a token that is needed (``PARKS_READS_NEED_TOKEN``) or lacks the role, no
#: turn to work in (503 with ``Retry-After``).
READ_ERRORS: dict[int | str, dict[str, Any]] = {
    400: error_answer("the request can't be read", BadRequestBody),
    401: error_answer("a token is needed (PARKS_READS_NEED_TOKEN) and none valid was sent"),
    403: error_answer("the token's role may not read this"),
    413: error_answer("the request (its Content-Length) is larger than the limit"),
    422: error_answer("a parameter is wrong; the body names it", ParameterErrorBody),
    503: error_answer("the service is saturated; retry after Retry-After seconds"),
}

#: What a write may answer besides: its body too slow, the token missing or not allowed.
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    **READ_ERRORS,
    401: error_answer("no valid bearer token"),
    403: error_answer("the token's role may not do this"),
    408: error_answer("the client stalled while sending the body"),
}

NOT_FOUND = {404: error_answer("there is no such thing; the message names it")}


# --- parks, land-use classes, statuses --------------------------------------------------------


def park_param(
    conn: ConnDep,
    park: Annotated[str | None, Query(max_length=64, description="park code")] = None,
) -> str | None:
    """The park asked for, when it exists (None: every park)."""
    return reads.check_park(conn, park)


ParkDep = Annotated[str | None, Depends(park_param)]


def land_use_param(
    conn: ConnDep,
    land_use: Annotated[
        LandUseCodes | None,
        Query(description="land-use class codes, comma-separated (06 includes 0601…)"),
    ] = None,
) -> list[str]:
    """The land-use classes asked for (``06,0701``), each one the class table has."""
    return reads.check_land_uses(conn, land_use)


LandUseListDep = Annotated[list[str], Depends(land_use_param)]

#: Parcel statuses, comma-separated (``reserve,ready``).
ParcelStatusList = Annotated[
    ParcelStatuses | None, Query(description="parcel statuses, comma-separated")
]
#: Key-project statuses, comma-separated.
ProjectStatusList = Annotated[
    vocabulary_list(ProjectStatus, name="status", description="project statuses") | None,
    Query(description="project statuses, comma-separated"),
]


# --- numbers -----------------------------------------------------------------------------------


def _finite(description: str) -> Any:
    return Query(ge=0, allow_inf_nan=False, description=description)


@dataclass(frozen=True, slots=True)
class AreaRange:
    """An area range in 亩 (either end open)."""

    min_mu: float | None = None
    max_mu: float | None = None


async def area_range(
    min_area_mu: Annotated[float | None, _finite("smallest area, 亩")] = None,
    max_area_mu: Annotated[float | None, _finite("largest area, 亩 (≥ min_area_mu)")] = None,
) -> AreaRange:
    """``min_area_mu`` and ``max_area_mu``: numbers ≥ 0, min not above max."""
    if min_area_mu is not None and max_area_mu is not None and min_area_mu > max_area_mu:
        raise InvalidParameter("min_area_mu", "must not be greater than max_area_mu")
    return AreaRange(min_area_mu, max_area_mu)


AreaRangeDep = Annotated[AreaRange, Depends(area_range)]

#: Free floor area wanted, m².
MinVacantM2 = Annotated[float | None, _finite("vacant floor area wanted, m²")]


@dataclass(frozen=True, slots=True)
class Page:
    """A page of a list."""

    limit: int
    offset: int


def paging(*, default: int, most: int) -> Callable[..., Page]:
    """A dependency reading ``limit`` (1…*most*, default *default*) and ``offset``."""

    async def page(
        limit: Annotated[int, Query(ge=1, le=most, description=f"1…{most} rows")] = default,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="rows to skip")] = 0,
    ) -> Page:
        return Page(limit, offset)

    return page


ParcelPageDep = Annotated[Page, Depends(paging(default=100, most=1000))]
AuditPageDep = Annotated[Page, Depends(paging(default=100, most=10_000))]


# --- places ---------------------------------------------------------------------------------


async def bbox_param(
    bbox: Annotated[
        str | None,
        Query(
            description="minlon,minlat,maxlon,maxlat (EPSG:4326)",
            examples=["107.55,34.28,107.62,34.34"],
        ),
    ] = None,
) -> BBox | None:
    """``bbox``: four finite numbers, longitudes within ±180 and latitudes within ±90, min
    below max on both axes."""
    if bbox is None:
        return None
    parts = [p.strip() for p in bbox.split(",")]
    if len(parts) != 4:
        raise InvalidParameter("bbox", "expected minlon,minlat,maxlon,maxlat (4 numbers)")
    try:
        minlon, minlat, maxlon, maxlat = (float(p) for p in parts)
    except ValueError:
        raise InvalidParameter("bbox", f"not numbers: {bbox!r}") from None
    if not all(map(math.isfinite, (minlon, minlat, maxlon, maxlat))):
        raise InvalidParameter("bbox", "coordinates must be finite")
    if not (-180 <= minlon <= 180 and -180 <= maxlon <= 180):
        raise InvalidParameter("bbox", "longitudes must be within -180..180")
    if not (-90 <= minlat <= 90 and -90 <= maxlat <= 90):
        raise InvalidParameter("bbox", "latitudes must be within -90..90")
    if minlon >= maxlon or minlat >= maxlat:
        raise InvalidParameter("bbox", "min must be less than max on both axes")
    return BBox(minlon, minlat, maxlon, maxlat)


BBoxDep = Annotated[BBox | None, Depends(bbox_param)]


def crs_param(
    conn: ConnDep,
    crs: Annotated[
        str | None,
        Query(
            max_length=200,
            description="output CRS, e.g. EPSG:4545 for exact cadastral coordinates",
        ),
    ] = None,
) -> int:
    """The EPSG code of ``crs`` (default 4326), one pyproj and PostGIS both know."""
    return reads.known_srid(conn, crs)


CrsDep = Annotated[int, Depends(crs_param)]


async def tile_param(
    z: Annotated[int, Path(ge=MIN_ZOOM, le=MAX_ZOOM, description=f"zoom, {MIN_ZOOM}..{MAX_ZOOM}")],
    x: Annotated[int, Path(ge=0, description="column, 0..2^z-1")],
    y: Annotated[int, Path(ge=0, description="row from the north, 0..2^z-1")],
) -> Tile:
    """The tile ``z/x/y``, when it exists."""
    try:
        return check_tile(z, x, y)
    except TileError as exc:
        raise InvalidParameter(exc.parameter, exc.message) from None


TileDep = Annotated[Tile, Depends(tile_param)]


# --- the availability search, downloads -----------------------------------------------------


async def availability_criteria(
    request: Request, query: Annotated[CriteriaQuery, Query()]
) -> Criteria:
    """The availability search's criteria (:class:`CriteriaQuery`), checked together; a
    criterion that may not repeat is given once."""
    for name in CriteriaQuery.model_fields.keys() - CriteriaQuery.REPEATABLE:
        given_once(name, request.query_params.getlist(name))
    return query.criteria()


AvailabilityCriteriaDep = Annotated[Criteria, Depends(availability_criteria)]


def _format_name(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


@dataclass(frozen=True, slots=True)
class OutputFormat:
    """How a search result is sent: ``geojson`` or ``csv``; a download (an attachment)
    when ``format`` was asked for."""

    name: Literal["geojson", "csv"] = "geojson"
    download: bool = False


async def output_format(
    format: Annotated[
        Literal["geojson", "csv"] | None,
        BeforeValidator(_format_name),
        Query(description="geojson (default) or csv; given, the answer is a download"),
    ] = None,
) -> OutputFormat:
    """``format``: geojson or csv (any case)."""
    return OutputFormat(format or "geojson", download=format is not None)


FormatDep = Annotated[OutputFormat, Depends(output_format)]


# --- time -------------------------------------------------------------------------------------


async def today_param(settings: SettingsDep) -> date:
    """Today in ``PARKS_TIMEZONE``."""
    return datetime.now(ZoneInfo(settings.timezone)).date()


TodayDep = Annotated[date, Depends(today_param)]


async def supply_year(
    settings: SettingsDep,
    year: Annotated[
        int | None,
        Query(ge=FIRST_YEAR, le=LAST_YEAR, description="default: this year"),
    ] = None,
) -> int:
    """``year`` (default: this year in ``PARKS_TIMEZONE``)."""
    return year if year is not None else datetime.now(ZoneInfo(settings.timezone)).year


SupplyYearDep = Annotated[int, Depends(supply_year)]

_MOMENT = "ISO 8601 date or time; without a zone, in PARKS_TIMEZONE"


async def as_of_param(
    settings: SettingsDep,
    as_of: Annotated[
        str | None, Query(max_length=64, description=f"{_MOMENT}; a date means its end")
    ] = None,
) -> datetime | None:
    """``as_of``: a moment (a date alone means the end of that day); None when not given."""
    return audit.parse_moment(as_of, parameter="as_of", zone=settings.timezone, end_of_day=True)


async def from_param(
    settings: SettingsDep,
    from_: Annotated[
        str | None, Query(alias="from", max_length=64, description=f"{_MOMENT}")
    ] = None,
) -> datetime | None:
    """``from``: a moment (a date alone means its start)."""
    return audit.parse_moment(from_, parameter="from", zone=settings.timezone)


async def to_param(
    settings: SettingsDep,
    to: Annotated[
        str | None, Query(max_length=64, description=f"{_MOMENT}; a date means its end")
    ] = None,
) -> datetime | None:
    """``to``: a moment (a date alone means the end of that day)."""
    return audit.parse_moment(to, parameter="to", zone=settings.timezone, end_of_day=True)


AsOfDep = Annotated[datetime | None, Depends(as_of_param)]
FromDep = Annotated[datetime | None, Depends(from_param)]
ToDep = Annotated[datetime | None, Depends(to_param)]


async def group_by_param(
    group_by: Annotated[
        str,
        Query(
            max_length=64,
            description="park, land_use, status or a comma list of them (park,land_use)",
        ),
    ] = "park",
) -> list[str]:
    """``group_by``: what the totals are grouped by."""
    return audit.parse_group_by(group_by)


GroupByDep = Annotated[list[str], Depends(group_by_param)]

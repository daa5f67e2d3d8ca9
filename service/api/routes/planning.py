"""The planners' API: context layers, the availability search, vacant factory floor,
the parks' targets and the yearly supply figure."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from parks.errors import InvalidParameter
from service.api.deps import AdminDep, ConnDep, EngineDep, ReaderDep, SettingsDep
from service.planning import availability, download, layers, supply, targets, vacancy
from service.reads import queries as reads

router = APIRouter(tags=["planning"])

GEOJSON = "application/geo+json"
CSV = "text/csv; charset=utf-8"
_FORMATS = ("geojson", "csv")


def _format(value: str | None) -> str:
    fmt = (value or "geojson").strip().lower()
    if fmt not in _FORMATS:
        raise InvalidParameter("format", f"one of {', '.join(_FORMATS)}, not {value!r}")
    return fmt


def _download(body: str, *, media_type: str, filename: str, attach: bool) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'} if attach else None
    return Response(content=body, media_type=media_type, headers=headers)


def _result(result: dict, *, format: str | None, name: str, to_csv) -> Response:
    """A search result as GeoJSON (a download when `format` was asked for) or as CSV."""
    if _format(format) == "csv":
        return _download(to_csv(result), media_type=CSV, filename=f"{name}.csv", attach=True)
    return _download(
        json.dumps(result, ensure_ascii=False),
        media_type=GEOJSON,
        filename=f"{name}.geojson",
        attach=format is not None,
    )


# --- context layers ----------------------------------------------------------------------


@router.get("/api/layers")
def list_layers(
    conn: ConnDep,
    _reader: ReaderDep,
    park: Annotated[str | None, Query(description="count only this park's features")] = None,
) -> list[dict]:
    """Every context layer: name, Chinese and English titles, how many features it has
    and the kinds of its features (a road's main/secondary, a utility's power/water/…)."""
    reads.check_park(conn, park)
    return layers.list_layers(conn, park=park)


@router.get(
    "/api/layers/{name}",
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}}}, 404: {}},
)
def get_layer(
    conn: ConnDep,
    _reader: ReaderDep,
    name: Annotated[str, Path(min_length=1, max_length=100)],
    park: Annotated[str | None, Query(description="only this park's features")] = None,
) -> Response:
    """One context layer as a GeoJSON FeatureCollection (EPSG:4326)."""
    reads.check_park(conn, park)
    return Response(layers.layer_geojson(conn, name, park=park), media_type=GEOJSON)


# --- availability --------------------------------------------------------------------------


def _query_lists(request: Request) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        out.setdefault(key, []).append(value)
    return out


@router.get(
    "/api/availability",
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}, "text/csv": {}}}, 422: {}},
)
def get_availability(
    request: Request,
    conn: ConnDep,
    settings: SettingsDep,
    _reader: ReaderDep,
    park: Annotated[str | None, Query(description="park code")] = None,
    min_area_mu: Annotated[str | None, Query(description="smallest area, 亩 (≥ 0)")] = None,
    max_area_mu: Annotated[str | None, Query(description="largest area, 亩 (≥ min)")] = None,
    land_use: Annotated[
        str | None, Query(description="land-use classes, comma-separated (06 includes 0601…)")
    ] = None,
    status: Annotated[
        str | None, Query(description="parcel statuses, comma-separated (default reserve,ready)")
    ] = None,
    within: Annotated[
        str | None,
        Query(description="GeoJSON Polygon/MultiPolygon in EPSG:4326; parcels inside it"),
    ] = None,
    near: Annotated[
        list[str] | None,
        Query(
            description="<layer>[/<kind>]:<metres> — within that distance of the nearest "
            "feature (repeatable), e.g. roads/main:500"
        ),
    ] = None,
    away: Annotated[
        list[str] | None,
        Query(
            description="<layer>[/<kind>]:<metres> — at least that far from every feature "
            "(repeatable), e.g. river:200"
        ),
    ] = None,
    combine: Annotated[
        str | None,
        Query(description="true: also groups of up to 3 touching parcels reaching min_area_mu"),
    ] = None,
    limit: Annotated[str | None, Query(description="1…1000 results (default 50)")] = None,
    format: Annotated[str | None, Query(description="geojson (default) or csv")] = None,
) -> Response:
    """Candidate parcels (and, with `combine=true`, groups of touching parcels) that meet
    every criterion, ranked by area fit and closeness to the `near` layers, as a GeoJSON
    FeatureCollection (EPSG:4326) with the criteria summarised, or as CSV. Distances are
    planar metres in EPSG:4545 from the parcel's edge to the nearest feature."""
    _format(format)  # a bad format is refused before the search runs
    criteria = availability.parse_criteria(_query_lists(request))
    result = availability.search(conn, criteria, storage_srid=settings.storage_srid)
    return _result(
        result,
        format=format,
        name=f"availability-{criteria.park or 'all'}",
        to_csv=download.availability_csv,
    )


# --- vacant factory floor ------------------------------------------------------------------


@router.get(
    "/api/buildings/vacancy",
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}, "text/csv": {}}}, 422: {}},
)
def get_vacancy(
    conn: ConnDep,
    _reader: ReaderDep,
    park: Annotated[str | None, Query(description="park code")] = None,
    min_vacant_m2: Annotated[
        float | None, Query(ge=0, description="free floor area wanted on one floor, m²")
    ] = None,
    storey: Annotated[int | None, Query(ge=1, le=100, description="only this floor")] = None,
    format: Annotated[str | None, Query(description="geojson (default) or csv")] = None,
) -> Response:
    """Standard factory buildings with a floor that has free area (at least
    `min_vacant_m2`), each with its matching floors and the leases in force today on
    them, as GeoJSON (footprints in EPSG:4326) or CSV (one row per floor)."""
    _format(format)  # a bad format is refused before the query runs
    result = vacancy.vacancy(conn, park=park, min_vacant_m2=min_vacant_m2, storey=storey)
    return _result(
        result, format=format, name=f"vacancy-{park or 'all'}", to_csv=download.vacancy_csv
    )


# --- targets ------------------------------------------------------------------------------


@router.get("/api/targets")
def get_targets(conn: ConnDep, _reader: ReaderDep) -> dict:
    """Per park: the minimum reserve land (亩, reserve + ready) and vacant factory floor
    (m²) it must keep, the actual figures, and whether each is met or short by how much."""
    return targets.targets_body(conn)


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw or b"null")
    except ValueError as exc:
        raise InvalidParameter("body", f"not JSON: {exc}") from None
    except RecursionError:
        raise InvalidParameter("body", "JSON nested too deeply") from None


_TARGET_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "min_reserve_mu": {"type": "number", "minimum": 0},
                        "min_vacant_floor_m2": {"type": "number", "minimum": 0},
                    },
                    "additionalProperties": False,
                }
            }
        },
    }
}


@router.put(
    "/api/targets/{park}",
    openapi_extra=_TARGET_BODY,
    responses={401: {}, 403: {}, 404: {}, 422: {}},
)
def put_target(
    principal: AdminDep,
    engine: EngineDep,
    park: Annotated[str, Path(min_length=1, max_length=64)],
    body: Annotated[Any, Depends(_json_body)],
) -> dict:
    """Set a park's targets (admin token): `min_reserve_mu` and/or `min_vacant_floor_m2`,
    numbers ≥ 0; a field left out keeps its value. Returns the park's status."""
    values = targets.parse_target_update(body)
    with engine.begin() as conn:
        return targets.set_target(conn, park, updated_by=principal.name, **values)


# --- supply ------------------------------------------------------------------------------


@router.get("/api/supply")
def get_supply(
    conn: ConnDep,
    settings: SettingsDep,
    _reader: ReaderDep,
    year: Annotated[
        int | None,
        Query(ge=supply.FIRST_YEAR, le=supply.LAST_YEAR, description="default: this year"),
    ] = None,
    park: Annotated[str | None, Query(description="park code")] = None,
) -> dict:
    """Land supplied in a year by park, class and mode (grant/allocate/lease), with the
    share that went to manufacturing."""
    if year is None:
        year = datetime.now(ZoneInfo(settings.timezone)).year
    return supply.supply_figures(conn, year=year, park=park)

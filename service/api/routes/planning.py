"""The planners' API: context layers, the availability search, vacant factory floor,
the parks' targets and the yearly supply figure."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from service.api.deps import AdminDep, ConnDep, EngineDep, ReadConnDep, ReaderDep, SettingsDep
from service.api.params import (
    NOT_FOUND,
    READ_ERRORS,
    WRITE_ERRORS,
    AvailabilityCriteriaDep,
    FormatDep,
    MinVacantM2,
    OutputFormat,
    ParkDep,
    SupplyYearDep,
)
from service.planning import availability, download, layers, supply, targets, vacancy
from service.planning.targets import TargetUpdate

router = APIRouter(tags=["planning"], responses=READ_ERRORS)

GEOJSON = "application/geo+json"
CSV = "text/csv; charset=utf-8"
#: A search result: GeoJSON, or CSV with ``format=csv``.
GEOJSON_OR_CSV = {
    200: {
        "content": {
            GEOJSON: {"schema": {"type": "object"}},
            "text/csv": {"schema": {"type": "string"}},
        }
    }
}


def _download(body: str, *, media_type: str, filename: str, attach: bool) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'} if attach else None
    return Response(content=body, media_type=media_type, headers=headers)


def _result(result: dict, *, format: OutputFormat, name: str, to_csv) -> Response:
    """A search result as GeoJSON (a download when `format` was asked for) or as CSV."""
    if format.name == "csv":
        return _download(to_csv(result), media_type=CSV, filename=f"{name}.csv", attach=True)
    return _download(
        json.dumps(result, ensure_ascii=False),
        media_type=GEOJSON,
        filename=f"{name}.geojson",
        attach=format.download,
    )


# --- context layers ----------------------------------------------------------------------


@router.get("/api/layers")
def list_layers(conn: ConnDep, _reader: ReaderDep, park: ParkDep) -> list[dict]:
    """Every context layer: name, Chinese and English titles, how many features it has
    (in `park`, when given) and the kinds of its features (a road's main/secondary, a
    utility's power/water/…)."""
    return layers.list_layers(conn, park=park)


@router.get(
    "/api/layers/{name}",
    response_class=Response,
    responses={200: {"content": {GEOJSON: {"schema": {"type": "object"}}}}, **NOT_FOUND},
)
def get_layer(
    conn: ConnDep,
    _reader: ReaderDep,
    name: Annotated[str, Path(min_length=1, max_length=100)],
    park: ParkDep,
) -> Response:
    """One context layer as a GeoJSON FeatureCollection (EPSG:4326); with `park`, only
    that park's features (and those belonging to no park)."""
    return Response(layers.layer_geojson(conn, name, park=park), media_type=GEOJSON)


# --- availability --------------------------------------------------------------------------


@router.get("/api/availability", response_class=Response, responses=GEOJSON_OR_CSV)
def get_availability(
    conn: ReadConnDep,
    settings: SettingsDep,
    _reader: ReaderDep,
    format: FormatDep,
    criteria: AvailabilityCriteriaDep,
) -> Response:
    """Candidate parcels (and, with `combine=true`, groups of touching parcels) that meet
    every criterion, ranked by area fit and closeness to the `near` layers, as a GeoJSON
    FeatureCollection (EPSG:4326) with the criteria summarised, or as CSV. Distances are
    planar metres in EPSG:4545 from the parcel's edge to the nearest feature."""
    result = availability.search(conn, criteria, storage_srid=settings.storage_srid)
    return _result(
        result,
        format=format,
        name=f"availability-{criteria.park or 'all'}",
        to_csv=download.availability_csv,
    )


# --- vacant factory floor ------------------------------------------------------------------


@router.get("/api/buildings/vacancy", response_class=Response, responses=GEOJSON_OR_CSV)
def get_vacancy(
    conn: ConnDep,
    _reader: ReaderDep,
    format: FormatDep,
    park: ParkDep,
    min_vacant_m2: MinVacantM2 = None,
    storey: Annotated[int | None, Query(ge=1, le=100, description="only this floor")] = None,
) -> Response:
    """Standard factory buildings with a floor that has free area (at least
    `min_vacant_m2`), each with its matching floors and the leases in force today on
    them, as GeoJSON (footprints in EPSG:4326) or CSV (one row per floor)."""
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


@router.put("/api/targets/{park}", responses={**WRITE_ERRORS, **NOT_FOUND})
def put_target(
    principal: AdminDep,
    engine: EngineDep,
    park: Annotated[str, Path(min_length=1, max_length=64)],
    update: TargetUpdate,
) -> dict:
    """Set a park's targets (admin token): `min_reserve_mu` and/or `min_vacant_floor_m2`,
    numbers ≥ 0; a field left out keeps its value. Returns the park's status."""
    with engine.begin() as conn:
        return targets.set_target(conn, park, updated_by=principal.name, **update.values())


# --- supply ------------------------------------------------------------------------------


@router.get("/api/supply")
def get_supply(conn: ConnDep, _reader: ReaderDep, year: SupplyYearDep, park: ParkDep) -> dict:
    """Land supplied in a year (default: this year) by park, class and mode
    (grant/allocate/lease), with the share that went to manufacturing."""
    return supply.supply_figures(conn, year=year, park=park)

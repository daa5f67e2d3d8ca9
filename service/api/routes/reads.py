"""The read API: parks, parcels, buildings, projects, figures."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response

from parks.errors import NotFound
from service.api.deps import ConnDep, ReaderDep, SettingsDep
from service.api.params import (
    NOT_FOUND,
    READ_ERRORS,
    AreaRangeDep,
    BBoxDep,
    CrsDep,
    LandUseListDep,
    MinVacantM2,
    ParcelPageDep,
    ParcelStatusList,
    ParkDep,
    ProjectStatusList,
)
from service.reads import queries as reads

router = APIRouter(tags=["read"], responses=READ_ERRORS)

GEOJSON = "application/geo+json"
#: A GeoJSON answer (the text PostGIS built), declared as such.
GEOJSON_OK = {200: {"content": {GEOJSON: {"schema": {"type": "object"}}}}}


def geojson(body: str) -> Response:
    """A GeoJSON text response (built by PostGIS; not parsed again here)."""
    return Response(content=body, media_type=GEOJSON)


@router.get("/api/parks")
def list_parks(conn: ConnDep, _reader: ReaderDep) -> list[dict]:
    """Every park: code, names, area, parcel count and manufacturing land."""
    return reads.list_parks(conn)


@router.get("/api/parcels", response_class=Response, responses=GEOJSON_OK)
def list_parcels(
    conn: ConnDep,
    settings: SettingsDep,
    _reader: ReaderDep,
    park: ParkDep,
    land_uses: LandUseListDep,
    area: AreaRangeDep,
    bbox: BBoxDep,
    page: ParcelPageDep,
    status: ParcelStatusList = None,
) -> Response:
    """Current parcels matching every filter, as a GeoJSON FeatureCollection (EPSG:4326)."""
    body = reads.parcels_geojson(
        conn,
        storage_srid=settings.storage_srid,
        park=park,
        land_uses=land_uses,
        statuses=list(status or ()),
        min_area_mu=area.min_mu,
        max_area_mu=area.max_mu,
        bbox=bbox,
        limit=page.limit,
        offset=page.offset,
    )
    return geojson(body)


@router.get(
    "/api/parcels/{parcel_code}", response_class=Response, responses={**GEOJSON_OK, **NOT_FOUND}
)
def get_parcel(
    conn: ConnDep,
    settings: SettingsDep,
    _reader: ReaderDep,
    parcel_code: Annotated[str, Path(min_length=1, max_length=64)],
    out_srid: CrsDep,
) -> Response:
    """The current version of one parcel as a GeoJSON Feature (EPSG:4326 unless `crs`)."""
    feature = reads.parcel_feature(
        conn, parcel_code, storage_srid=settings.storage_srid, out_srid=out_srid
    )
    if feature is None:
        raise NotFound(f"parcel_code: no current parcel {parcel_code!r}")
    return geojson(json.dumps(feature, ensure_ascii=False))


@router.get("/api/buildings", response_class=Response, responses=GEOJSON_OK)
def list_buildings(
    conn: ConnDep, _reader: ReaderDep, park: ParkDep, min_vacant_m2: MinVacantM2 = None
) -> Response:
    """Standard factory buildings with floor, leased and vacant area (leases in force today)."""
    return geojson(reads.buildings_geojson(conn, park=park, min_vacant_m2=min_vacant_m2))


@router.get("/api/projects", response_class=Response, responses=GEOJSON_OK)
def list_projects(
    conn: ConnDep, _reader: ReaderDep, park: ParkDep, status: ProjectStatusList = None
) -> Response:
    """Key projects with their sites (the union of their current parcels)."""
    return geojson(reads.projects_geojson(conn, park=park, statuses=list(status or ())))


@router.get("/api/stats")
def get_stats(conn: ConnDep, _reader: ReaderDep, park: ParkDep) -> dict:
    """Key figures per park and for the city: the same numbers as `parks stats --json`."""
    return reads.stats(conn, park=park)

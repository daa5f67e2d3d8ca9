"""The read API: parks, parcels, buildings, projects, figures."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from gis.crs import parse_crs
from gis.errors import GisError
from parks.errors import InvalidParameter, NotFound
from parks.vocabulary import ParcelStatus, ProjectStatus
from service.api.deps import ConnDep, ReaderDep, SettingsDep
from service.reads import queries as reads

router = APIRouter(tags=["read"])

GEOJSON = "application/geo+json"


def geojson(body: str) -> Response:
    """A GeoJSON text response (built by PostGIS; not parsed again here)."""
    return Response(content=body, media_type=GEOJSON)


@router.get("/api/parks")
def list_parks(conn: ConnDep, _reader: ReaderDep) -> list[dict]:
    """Every park: code, names, area, parcel count and manufacturing land."""
    return reads.list_parks(conn)


@router.get("/api/parcels", response_class=Response, responses={200: {"content": {GEOJSON: {}}}})
def list_parcels(
    conn: ConnDep,
    settings: SettingsDep,
    _reader: ReaderDep,
    park: Annotated[str | None, Query(description="park code")] = None,
    land_use: Annotated[
        str | None, Query(description="land-use class codes, comma-separated (06 includes 0601…)")
    ] = None,
    status: Annotated[str | None, Query(description="statuses, comma-separated")] = None,
    min_area_mu: Annotated[float | None, Query(ge=0, description="smallest area, 亩")] = None,
    max_area_mu: Annotated[float | None, Query(ge=0, description="largest area, 亩")] = None,
    bbox: Annotated[
        str | None, Query(description="minlon,minlat,maxlon,maxlat (EPSG:4326)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> Response:
    """Current parcels matching every filter, as a GeoJSON FeatureCollection (EPSG:4326)."""
    reads.check_park(conn, park)
    if min_area_mu is not None and max_area_mu is not None and min_area_mu > max_area_mu:
        raise InvalidParameter("min_area_mu", "must not be greater than max_area_mu")
    body = reads.parcels_geojson(
        conn,
        storage_srid=settings.storage_srid,
        park=park,
        land_uses=reads.check_land_uses(conn, land_use),
        statuses=reads.check_statuses(status, ParcelStatus),
        min_area_mu=min_area_mu,
        max_area_mu=max_area_mu,
        bbox=reads.BBox.parse(bbox) if bbox is not None else None,
        limit=limit,
        offset=offset,
    )
    return geojson(body)


@router.get(
    "/api/parcels/{parcel_code}",
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}}}, 404: {}},
)
def get_parcel(
    conn: ConnDep,
    settings: SettingsDep,
    _reader: ReaderDep,
    parcel_code: Annotated[str, Path(min_length=1, max_length=64)],
    crs: Annotated[
        str | None,
        Query(description="output CRS, e.g. EPSG:4545 for exact cadastral coordinates"),
    ] = None,
) -> Response:
    """The current version of one parcel as a GeoJSON Feature (EPSG:4326 unless `crs`)."""
    try:
        out_srid = parse_crs(crs)
    except GisError as exc:
        raise InvalidParameter("crs", str(exc)) from None
    if not reads.srid_known(conn, out_srid):
        raise InvalidParameter("crs", f"EPSG:{out_srid} is not in PostGIS's spatial_ref_sys")
    feature = reads.parcel_feature(
        conn, parcel_code, storage_srid=settings.storage_srid, out_srid=out_srid
    )
    if feature is None:
        raise NotFound(f"parcel_code: no current parcel {parcel_code!r}")
    return geojson(json.dumps(feature, ensure_ascii=False))


@router.get("/api/buildings", response_class=Response, responses={200: {"content": {GEOJSON: {}}}})
def list_buildings(
    conn: ConnDep,
    _reader: ReaderDep,
    park: str | None = None,
    min_vacant_m2: Annotated[float | None, Query(ge=0)] = None,
) -> Response:
    """Standard factory buildings with floor, leased and vacant area (leases in force today)."""
    reads.check_park(conn, park)
    return geojson(reads.buildings_geojson(conn, park=park, min_vacant_m2=min_vacant_m2))


@router.get("/api/projects", response_class=Response, responses={200: {"content": {GEOJSON: {}}}})
def list_projects(
    conn: ConnDep,
    _reader: ReaderDep,
    park: str | None = None,
    status: Annotated[str | None, Query(description="project statuses, comma-separated")] = None,
) -> Response:
    """Key projects with their sites (the union of their current parcels)."""
    reads.check_park(conn, park)
    statuses = reads.check_statuses(status, ProjectStatus)
    return geojson(reads.projects_geojson(conn, park=park, statuses=statuses))


@router.get("/api/stats")
def get_stats(conn: ConnDep, _reader: ReaderDep, park: str | None = None) -> dict:
    """Key figures per park and for the city: the same numbers as `parks stats --json`."""
    reads.check_park(conn, park)
    return reads.stats(conn, park=park)

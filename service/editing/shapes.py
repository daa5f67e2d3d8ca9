"""Reading the geometries the editor's helpers are given, and writing the ones they give
back: GeoJSON in any CRS PROJ knows, checked and taken to the storage CRS; GeoJSON out
both in EPSG:4326 (for the map) and in the storage CRS with every digit kept (for the
change set, so nothing is lost to reprojection on the way back)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import shapely
from shapely.geometry import LineString, mapping, shape
from shapely.geometry.base import BaseGeometry

from gis.crs import WGS84, check_plausible, parse_crs, transform
from gis.errors import GisError
from gis.geometry import drop_heights, parcel_geometry
from parks.limits import geojson_vertex_count
from parks.units import M2_PER_MU
from service.editing.errors import BadHelperGeometry


def epsg_of(crs: str, *, parameter: str = "crs") -> int:
    """The EPSG code *crs* names; 422 naming *parameter* when PROJ doesn't know it."""
    try:
        return parse_crs(crs)
    except GisError as exc:
        raise BadHelperGeometry(parameter, str(exc)) from None


def line_in_storage(obj: Any, *, src_epsg: int, storage_epsg: int, max_vertices: int) -> LineString:
    """A GeoJSON LineString (a Feature of one unwrapped; heights dropped) in *src_epsg*,
    as a 2D line in *storage_epsg*. Raises :class:`BadHelperGeometry` naming ``line``
    when it is not one, has fewer than two distinct positions or more than
    *max_vertices*, or has coordinates that cannot be meant in *src_epsg*."""
    if isinstance(obj, dict) and obj.get("type") == "Feature":
        obj = obj.get("geometry")
    if not isinstance(obj, dict) or obj.get("type") != "LineString":
        kind = str(obj.get("type"))[:40] if isinstance(obj, dict) else type(obj).__name__
        raise BadHelperGeometry("line", f"must be a GeoJSON LineString, not {kind}")
    coordinates = obj.get("coordinates")
    if isinstance(coordinates, list) and len(coordinates) > max_vertices:
        raise BadHelperGeometry(
            "line", f"has {len(coordinates)} positions; at most {max_vertices} are taken"
        )
    try:
        line = drop_heights(shape(obj))
    except Exception as exc:  # shapely raises several types for malformed coordinates
        raise BadHelperGeometry("line", f"has malformed coordinates: {exc}") from None
    if line.is_empty or not np.isfinite(shapely.get_coordinates(line)).all():
        raise BadHelperGeometry("line", "has no finite coordinates")
    if line.length == 0:
        raise BadHelperGeometry("line", "needs two distinct positions")
    try:
        check_plausible(line.bounds, src_epsg, what="line")
    except GisError as exc:
        raise BadHelperGeometry("line", str(exc)) from None
    return transform(line, src_epsg, storage_epsg)


def polygon_in_storage(
    obj: Any, *, src_epsg: int, storage_epsg: int, max_vertices: int, parameter: str
):
    """A GeoJSON Polygon or MultiPolygon in *src_epsg* as a valid MultiPolygon in
    *storage_epsg* (:func:`gis.geometry.parcel_geometry`); 422 naming *parameter* when it
    is not one, is invalid (never repaired) or has more than *max_vertices* positions."""
    count = geojson_vertex_count(obj)
    if count > max_vertices:
        raise BadHelperGeometry(
            parameter, f"has {count} positions; at most {max_vertices} are taken"
        )
    try:
        return parcel_geometry(obj, src_epsg=src_epsg, storage_epsg=storage_epsg, what=parameter)
    except GisError as exc:
        raise BadHelperGeometry(parameter, str(exc)) from None


def single_or_multi(geom: BaseGeometry) -> BaseGeometry:
    """A one-part MultiPolygon as its Polygon (what the map drew); anything else as is."""
    if geom.geom_type == "MultiPolygon" and len(geom.geoms) == 1:
        return geom.geoms[0]
    return geom


def as_geojson(geom: BaseGeometry) -> dict[str, Any]:
    """*geom* as a GeoJSON geometry dict, coordinates as plain floats with every digit
    (Python writes a float so that it reads back exactly)."""
    return json.loads(json.dumps(mapping(geom)))


def both_ways(geom: BaseGeometry, *, storage_epsg: int) -> dict[str, Any]:
    """*geom* (storage CRS) as ``geometry`` (EPSG:4326, for the map) and
    ``geometry_storage`` (the storage CRS, exact), with its planar area in m² and 亩."""
    area_m2 = float(shapely.area(geom))
    return {
        "geometry": as_geojson(transform(geom, storage_epsg, WGS84)),
        "geometry_storage": as_geojson(geom),
        "area_m2": round(area_m2, 4),
        "area_mu": round(area_m2 / M2_PER_MU, 6),
    }

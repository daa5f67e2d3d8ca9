"""Parcel geometry: GeoJSON in, validated planar (Multi)Polygons out.

Areas are planar areas in the CRS the geometry is in; call them on geometry in the
storage CRS (EPSG:4545 by default), never on longitudes and latitudes.

Parcels are 2D: a third number in a GeoJSON position (a height) is dropped when the
geometry is read; a fourth is refused as malformed.

The measures at the end (overlaps, how far parts are from covering a whole, which
geometries touch) are what the change rules (``parks.change_rules``) judge; they know
nothing of parcels or tolerances and take the distance they need as an argument.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry

from gis.crs import check_plausible, transform
from gis.errors import InvalidGeometry

POLYGONAL = ("Polygon", "MultiPolygon")


def from_geojson(obj: Any, *, what: str = "geometry") -> BaseGeometry:
    """Parse a GeoJSON geometry object (a dict) into 2D shapely, accepting only Polygon and
    MultiPolygon. A Feature is unwrapped to its geometry; heights are dropped
    (:func:`drop_heights`).

    Raises :class:`InvalidGeometry` naming *what* when it is not polygonal GeoJSON.
    """
    if isinstance(obj, dict) and obj.get("type") == "Feature":
        obj = obj.get("geometry")
    if not isinstance(obj, dict) or "type" not in obj:
        raise InvalidGeometry(f"{what} is not a GeoJSON geometry object")
    if obj["type"] not in POLYGONAL:
        kind = str(obj["type"])[:40]  # echo a little of what was sent, never megabytes
        raise InvalidGeometry(f"{what} must be a Polygon or MultiPolygon, not {kind}")
    try:
        geom = shape(obj)
    except Exception as exc:  # shapely raises several types for malformed coordinates
        raise InvalidGeometry(f"{what} has malformed coordinates: {exc}") from None
    if geom.is_empty:
        raise InvalidGeometry(f"{what} is empty")
    if not np.isfinite(shapely.get_coordinates(geom)).all():
        raise InvalidGeometry(f"{what} has coordinates that are not finite numbers")
    return drop_heights(geom)


def drop_heights(geom: BaseGeometry) -> BaseGeometry:
    """*geom* without z coordinates. A parcel is the 2D area it covers on the map and its
    area is planar, so a height (GeoJSON's optional third number, often an elevation or a
    0 a CAD export adds) says nothing about the parcel: it is dropped, not refused."""
    return shapely.force_2d(geom) if shapely.has_z(geom) else geom


def validity_reason(geom: BaseGeometry) -> str | None:
    """``None`` when *geom* is valid, else the reason (GEOS ``IsValidReason``)."""
    if shapely.is_valid(geom):
        return None
    return shapely.is_valid_reason(geom)


def ensure_valid(geom: BaseGeometry, *, what: str = "geometry") -> BaseGeometry:
    """Return *geom* when valid; raise :class:`InvalidGeometry` with the reason otherwise.

    Never repairs: a repaired parcel would silently have another area.
    """
    reason = validity_reason(geom)
    if reason is not None:
        raise InvalidGeometry(f"{what} is not valid: {reason}")
    return geom


def as_multipolygon(geom: BaseGeometry) -> MultiPolygon:
    """A Polygon as a one-part MultiPolygon; a MultiPolygon unchanged."""
    if isinstance(geom, MultiPolygon):
        return geom
    if isinstance(geom, Polygon):
        return MultiPolygon([geom])
    raise InvalidGeometry(f"expected a Polygon or MultiPolygon, got {geom.geom_type}")


def parcel_geometry(obj: Any, *, src_epsg: int, storage_epsg: int, what: str = "geometry"):
    """GeoJSON (in *src_epsg*) to a valid 2D MultiPolygon in *storage_epsg*.

    Coordinates implausible for *src_epsg* are refused first (:func:`gis.crs.check_plausible`
    raises :class:`ImplausibleCoordinates` naming the CRS). Validity is checked after the
    transform as well, because a ring that is valid in degrees can fold over itself once
    projected when its vertices are nearly collinear.
    """
    geom = from_geojson(obj, what=what)
    check_plausible(geom.bounds, src_epsg, what=what)
    geom = ensure_valid(geom, what=what)
    projected = transform(geom, src_epsg, storage_epsg)
    return as_multipolygon(ensure_valid(projected, what=what))


def area_m2(geom: BaseGeometry) -> float:
    """Planar area of *geom* in its own CRS units squared (m² for EPSG:4545)."""
    return float(shapely.area(geom))


# --- measures for the change rules (planar, in the geometry's own units) ----------------


class CoverMismatch(NamedTuple):
    """How far a set of parts is from covering a whole exactly."""

    uncovered_m2: float
    """Area of the whole that no part covers."""
    beyond_m2: float
    """Area of the parts outside the whole."""

    @property
    def total_m2(self) -> float:
        """Both together: the area of the symmetric difference of the whole and the parts."""
        return self.uncovered_m2 + self.beyond_m2


def overlap_area_m2(a: BaseGeometry, b: BaseGeometry) -> float:
    """Area *a* and *b* share (0 when they only touch or are apart)."""
    return float(shapely.area(shapely.intersection(a, b)))


def pairwise_overlap_m2(geoms: Sequence[BaseGeometry]) -> dict[tuple[int, int], float]:
    """The area each pair of *geoms* shares, keyed ``(i, j)`` with ``i < j``, for the pairs
    that share some (pairs that only touch or are apart are left out)."""
    if len(geoms) < 2:
        return {}
    array = _array(geoms)
    left, right = shapely.STRtree(array).query(array, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    areas = shapely.area(shapely.intersection(array[left], array[right]))
    return {
        (int(i), int(j)): float(area)
        for i, j, area in sorted(zip(left, right, areas, strict=True))
        if area > 0
    }


def cover_mismatch_m2(whole: BaseGeometry, parts: Sequence[BaseGeometry]) -> CoverMismatch:
    """How far *parts* are from covering *whole* exactly: the area of *whole* they leave
    uncovered and the area of theirs outside it."""
    union = shapely.union_all(_array(parts))
    return CoverMismatch(
        uncovered_m2=float(shapely.area(shapely.difference(whole, union))),
        beyond_m2=float(shapely.area(shapely.difference(union, whole))),
    )


def connected_groups(geoms: Sequence[BaseGeometry], *, within_m: float) -> list[list[int]]:
    """*geoms* (their indexes) in groups: two are in one group when a chain of them leads
    from one to the other, each no farther than *within_m* from the next. Groups come in
    the order of their first member, members in order."""
    array = _array(geoms)
    group_of = [-1] * len(array)
    groups: list[list[int]] = []
    for start in range(len(array)):
        if group_of[start] >= 0:
            continue
        group_of[start] = len(groups)
        members, frontier = [start], [start]
        while frontier:
            i = frontier.pop()
            near = np.flatnonzero(shapely.distance(array[i], array) <= within_m)
            for j in near:
                if group_of[j] < 0:
                    group_of[j] = group_of[start]
                    members.append(int(j))
                    frontier.append(int(j))
        groups.append(sorted(members))
    return groups


def _array(geoms: Sequence[BaseGeometry]) -> np.ndarray:
    """*geoms* as a 1-D numpy array of objects, for shapely's vectorised functions."""
    array = np.empty(len(geoms), dtype=object)
    array[:] = list(geoms)
    return array

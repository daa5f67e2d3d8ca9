"""A drawn boundary snapped onto its standing neighbours, so that a reshaped parcel or a
new one drawn by hand beside others leaves neither a sliver between them nor an overlap.

In the storage CRS (metres), within a tolerance:

1. the drawn vertices near a neighbour's vertex move onto it, and the neighbour's
   vertices near a drawn edge are put into that edge (GEOS's snapper, which is what
   PostGIS ``ST_Snap`` runs);
2. the drawn vertices still near a neighbour's edge move onto the edge (its closest point);
3. step 1 once more, for the neighbours' vertices near the edges step 2 moved.

The references are the boundaries of the standing parcels within the tolerance (but the
ones excluded: the parcel being reshaped) and of the park. The result is checked, never
repaired: a tolerance wider than the shape's own details that folds it is refused.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, text

from gis.geometry import validity_reason
from service.db.sqlfiles import sql
from service.editing.errors import SnapMadeInvalid, UnknownPark
from service.editing.shapes import both_ways, polygon_in_storage, single_or_multi

#: Moves shorter than this (metres) are the arithmetic's, not a snap.
_MOVE_EPSILON_M = 1e-9


def snap_to_neighbours(
    conn: Connection,
    *,
    geometry: Any,
    geometry_epsg: int,
    park: str,
    exclude: list[str],
    tolerance_m: float,
    storage_srid: int,
    max_vertices: int,
) -> dict[str, Any]:
    """*geometry* (GeoJSON Polygon or MultiPolygon in *geometry_epsg*) snapped onto the
    standing parcels near it (but *exclude*) and the boundary of *park*:
    ``{"geometry" (EPSG:4326), "geometry_storage", "crs_storage", "area_m2", "area_mu",
    "snapped_vertices" (drawn vertices that moved), "added_vertices" (neighbours'
    vertices put into the drawn edges), "neighbours" (how many boundaries were near)}``.

    Raises :class:`UnknownPark`, :class:`~service.editing.errors.BadHelperGeometry`
    (naming ``geometry``) and :class:`SnapMadeInvalid`.
    """
    known = conn.execute(text("SELECT 1 FROM park WHERE code = :p"), {"p": park}).first()
    if known is None:
        raise UnknownPark(park)
    drawn = polygon_in_storage(
        geometry,
        src_epsg=geometry_epsg,
        storage_epsg=storage_srid,
        max_vertices=max_vertices,
        parameter="geometry",
    )
    rows = conn.execute(
        text(sql("service.sql", "editing_snap_references.sql")),
        {
            "wkb": shapely.to_wkb(drawn),
            "srid": storage_srid,
            "exclude": list(exclude),
            "tolerance": tolerance_m,
            "park": park,
        },
    ).all()
    references = [shapely.from_wkb(r.wkb) for r in rows]
    snapped = snap_onto(drawn, references, tolerance_m=tolerance_m)
    reason = validity_reason(snapped)
    if reason is not None:
        raise SnapMadeInvalid(reason)
    before = _vertex_set(drawn)
    after = _vertex_set(snapped)
    return {
        **both_ways(single_or_multi(snapped), storage_epsg=storage_srid),
        "crs_storage": f"EPSG:{storage_srid}",
        "snapped_vertices": len(before - after),
        "added_vertices": len(after - before),
        "neighbours": len(references),
    }


def snap_onto(
    geom: BaseGeometry, references: list[BaseGeometry], *, tolerance_m: float
) -> BaseGeometry:
    """*geom* snapped onto *references* (lines, in the same planar CRS) within
    *tolerance_m*: vertices onto vertices, then the rest onto edges (the module's steps
    1–3). Without references, *geom* as it is."""
    if not references:
        return geom
    reference = shapely.union_all(references)
    first = shapely.snap(geom, reference, tolerance_m)
    onto_edges = shapely.transform(first, lambda xy: _onto_edges(xy, reference, tolerance_m))
    onto_edges = shapely.remove_repeated_points(onto_edges, 0.0)
    return shapely.snap(onto_edges, reference, tolerance_m)


def _onto_edges(xy: np.ndarray, reference: BaseGeometry, tolerance_m: float) -> np.ndarray:
    """Positions *xy* with those within *tolerance_m* of *reference* (but not on it)
    moved to their closest point on it."""
    points = shapely.points(xy)
    distance = shapely.distance(points, reference)
    near = (distance > _MOVE_EPSILON_M) & (distance <= tolerance_m)
    if not near.any():
        return xy
    out = xy.copy()
    # The shortest line from a point to the reference ends at the reference's closest point.
    ends = shapely.get_coordinates(shapely.shortest_line(points[near], reference))[1::2]
    out[near] = ends
    return out


def _vertex_set(geom: BaseGeometry) -> set[tuple[float, float]]:
    return {(float(x), float(y)) for x, y in shapely.get_coordinates(geom)}

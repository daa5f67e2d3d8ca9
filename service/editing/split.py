"""A standing parcel split by a line drawn across it, as the parts a split operation
takes: cut in the storage CRS by PostGIS (``ST_Split``), so the parts cover the parcel
exactly, and handed back in the storage CRS with every digit kept (and in EPSG:4326 for
the map). Nothing is stored."""

from __future__ import annotations

from typing import Any

import shapely
from sqlalchemy import Connection, text

from parks.units import M2_PER_MU
from service.db.sqlfiles import sql
from service.editing.errors import LineDoesNotSplit, UnknownParcel
from service.editing.shapes import both_ways, line_in_storage


def split_by_line(
    conn: Connection,
    *,
    parcel_code: str,
    line: Any,
    line_epsg: int,
    storage_srid: int,
    max_vertices: int,
) -> dict[str, Any]:
    """The parts the GeoJSON LineString *line* (in *line_epsg*) cuts the standing parcel
    *parcel_code* into: ``{"parcel_code", "area_m2", "parts": [{"geometry" (EPSG:4326),
    "geometry_storage", "area_m2", "area_mu"}], "crs_storage"}``, west to east.

    Every polygon the cut leaves is a part (a parcel of several polygons keeps the ones
    the line misses as parts of their own). Raises :class:`UnknownParcel` when no parcel
    *parcel_code* stands, :class:`LineDoesNotSplit` when the line leaves it whole (it
    must cross it from edge to edge), and
    :class:`~service.editing.errors.BadHelperGeometry` for a line that is not one.
    """
    cut = line_in_storage(
        line, src_epsg=line_epsg, storage_epsg=storage_srid, max_vertices=max_vertices
    )
    rows = conn.execute(
        text(sql("service.sql", "editing_split_parcel.sql")),
        {"code": parcel_code, "line": shapely.to_wkb(cut), "srid": storage_srid},
    ).all()
    if not rows:
        raise UnknownParcel(parcel_code)
    if len(rows) <= rows[0].parent_polygons:
        raise LineDoesNotSplit(
            f"the line does not cut parcel {parcel_code} in two: draw it across the parcel, "
            "from outside one edge to outside another"
        )
    parent_m2 = float(rows[0].parent_area_m2)
    parts = [both_ways(shapely.from_wkb(r.wkb), storage_epsg=storage_srid) for r in rows]
    return {
        "parcel_code": parcel_code,
        "area_m2": round(parent_m2, 4),
        "area_mu": round(parent_m2 / M2_PER_MU, 6),
        "parts": parts,
        "crs_storage": f"EPSG:{storage_srid}",
    }

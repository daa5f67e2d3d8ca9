"""Standard factory buildings as an export writes them: footprint, storeys, floor area, the
floor let by the leases in force today and what is vacant. Buildings and leases keep no
history, so this is always the present (an export refuses ``as_of`` for them)."""

from __future__ import annotations

import geopandas as gpd
from sqlalchemy import Connection

from service.db.sqlfiles import sql
from service.exports import frames
from service.exports.columns import column_names
from service.exports.options import ExportLayer, FieldNames


def buildings_frame(
    conn: Connection,
    *,
    srid: int,
    fields: FieldNames,
    park: str | None = None,
    short: bool = False,
) -> gpd.GeoDataFrame:
    """The buildings of *park* (None: every park), ordered by code, footprints in
    EPSG:*srid*, fields named in *fields*' language (*short*: a Shapefile's names)."""
    rows = frames.query_columns(
        conn, sql("service.sql", "export_buildings.sql"), {"srid": srid, "park": park}
    )
    columns = {
        "building_code": rows["building_code"],
        "park": rows["park"],
        "parcel_code": rows["parcel_code"],
        "name": rows["name"],
        "storeys": rows["storeys"],
        "floor_area_m2": frames.rounded(rows["floor_area_m2"]),
        "footprint_m2": frames.rounded(rows["footprint_m2"]),
        "leased_m2": frames.rounded(rows["leased_m2"]),
        "vacant_m2": frames.rounded(rows["vacant_m2"]),
    }
    names = column_names(ExportLayer.BUILDINGS, fields=fields, short=short)
    return frames.frame(columns, names, frames.geometries(rows["wkb"]), srid=srid)

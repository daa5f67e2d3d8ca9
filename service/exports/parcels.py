"""Parcels as an export writes them: as they stand now, or as they stood at a moment (from
their history), with the fields of :mod:`parks.fields` named in English or Chinese.

With Chinese names the values an import translates back are written in Chinese too: the
status (``储备`` …) and the supply mode (``出让`` …), and the land-use class's name. The
land-use code, the park's code and the holder are written as stored; the area is the planar
area in the storage CRS (m², 4 decimals, and 亩), whatever CRS the coordinates are in; the
time the version began (``valid_from``) is ISO 8601 text in the city's time zone, to the
microsecond, so that it can be given back as an ``as_of``.
"""

from __future__ import annotations

from datetime import datetime

import geopandas as gpd
from sqlalchemy import Connection

from parks.vocabulary import STATUS_NAMES_ZH, SUPPLY_MODE_NAMES_ZH
from service.db.sqlfiles import sql
from service.exports import frames
from service.exports.columns import column_names
from service.exports.options import ExportLayer, FieldNames

#: Which versions stand: now, or at :as_of (the two fragments of export_parcels.sql).
STANDING_NOW = "v.valid_to IS NULL"
STANDING_AT = (
    "v.valid_from <= CAST(:as_of AS timestamptz) "
    "AND (v.valid_to IS NULL OR v.valid_to > CAST(:as_of AS timestamptz))"
)


def parcels_query(*, as_of: datetime | None) -> str:
    """The SQL of the parcels standing now (*as_of* None) or at *as_of*."""
    standing = STANDING_NOW if as_of is None else STANDING_AT
    return sql("service.sql", "export_parcels.sql").replace("{standing}", standing)


def parcels_frame(
    conn: Connection,
    *,
    srid: int,
    fields: FieldNames,
    zone: str,
    as_of: datetime | None = None,
    park: str | None = None,
    short: bool = False,
) -> gpd.GeoDataFrame:
    """The parcels standing at *as_of* (None: now), of *park* (None: every park), ordered by
    code, in EPSG:*srid*, their fields named in *fields*' language (*short*: a Shapefile's
    names)."""
    params = {"srid": srid, "park": park} | ({} if as_of is None else {"as_of": as_of})
    rows = frames.query_columns(conn, parcels_query(as_of=as_of), params)
    zh = fields is FieldNames.ZH
    columns = {
        "parcel_code": rows["parcel_code"],
        "park": rows["park"],
        "land_use_code": rows["land_use_code"],
        "land_use_name": rows["land_use_name_zh" if zh else "land_use_name_en"],
        "status": frames.translated(rows["status"], STATUS_NAMES_ZH if zh else None),
        "holder": rows["holder"],
        "supply_mode": frames.translated(rows["supply_mode"], SUPPLY_MODE_NAMES_ZH if zh else None),
        "supplied_on": frames.iso_texts(rows["supplied_on"]),
        "area_m2": frames.rounded(rows["area_m2"]),
        "area_mu": frames.rounded(rows["area_mu"]),
        "valid_from": frames.iso_texts(rows["valid_from"], zone=zone),
    }
    names = column_names(ExportLayer.PARCELS, fields=fields, short=short)
    return frames.frame(columns, names, frames.geometries(rows["wkb"]), srid=srid)

"""An export request checked against the database — the park exists, PostGIS knows the CRS
and the CRS is meant for where the parks are — and against the rules between its
parameters (:func:`service.exports.options.export_request`). The API and the command line
both ask here, so the same input means the same thing to both."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, text

from gis.crs import AREA_OF_USE_MARGIN_DEG, area_of_use
from parks.errors import InvalidParameter
from service.db.sqlfiles import sql
from service.exports.options import (
    ExportFormat,
    ExportLayer,
    ExportRequest,
    FieldNames,
    TextEncoding,
    export_request,
)
from service.reads import queries as reads


def checked_request(
    conn: Connection,
    *,
    format: ExportFormat,
    storage_srid: int,
    layer: ExportLayer = ExportLayer.PARCELS,
    fields: FieldNames = FieldNames.EN,
    crs: str | None = None,
    encoding: TextEncoding | None = None,
    as_of: datetime | None = None,
    park: str | None = None,
    zipped: bool | None = None,
    now: datetime | None = None,
) -> ExportRequest:
    """The export asked for, every parameter checked (:class:`InvalidParameter` naming the
    first one that is wrong). *crs* is the text given (``EPSG:4490``, ``4490``; None: the
    format's default)."""
    park = reads.check_park(conn, park)
    srid = export_srid(conn, crs, park=park)
    return export_request(
        format=format,
        layer=layer,
        fields=fields,
        srid=srid,
        storage_srid=storage_srid,
        encoding=encoding,
        as_of=as_of,
        park=park,
        zipped=zipped,
        now=now,
    )


def export_srid(conn: Connection, crs: str | None, *, park: str | None = None) -> int | None:
    """The EPSG code of *crs* (None when not given): one pyproj and PostGIS know, horizontal,
    and meant for the place of the parks exported (within a degree of its area of use) —
    else the parks' coordinates would be meaningless or fail to transform."""
    if crs is None or crs.strip() == "":
        return None
    srid = reads.known_srid(conn, crs)
    area = area_of_use(srid)
    box = conn.execute(text(sql("service.sql", "export_extent.sql")), {"park": park}).one()
    if area is None or box.west is None:
        return srid
    west, south, east, north = area
    margin = AREA_OF_USE_MARGIN_DEG
    lon_ok = west > east or (west - margin <= box.west and box.east <= east + margin)
    lat_ok = south - margin <= box.south and box.north <= north + margin
    if not (lon_ok and lat_ok):
        raise InvalidParameter(
            "crs",
            f"EPSG:{srid} is meant for longitude {west:g} to {east:g}, latitude {south:g} to "
            f"{north:g}; the parks lie at longitude {box.west:.3f} to {box.east:.3f}, "
            f"latitude {box.south:.3f} to {box.north:.3f}",
        )
    return srid

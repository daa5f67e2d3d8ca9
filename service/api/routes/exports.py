"""The export API: parcels (now or as of a moment), factory buildings and key projects as a
file to download — GeoPackage, zipped Shapefile, GeoJSON, CSV or xlsx — the same files
``parks export`` writes (``service/exports``)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import FileResponse, Response
from pydantic import BeforeValidator
from starlette.background import BackgroundTask

from service.api.deps import ReadConnDep, ReaderDep, SettingsDep
from service.api.params import READ_ERRORS, AsOfDep, ParkDep
from service.exports.options import (
    MEDIA_TYPES,
    ZIP_MEDIA_TYPE,
    ExportFormat,
    ExportLayer,
    ExportRequest,
    FieldNames,
    TextEncoding,
)
from service.exports.requests import checked_request
from service.exports.writing import write_export

router = APIRouter(tags=["export"], responses=READ_ERRORS)

_BINARY = {"schema": {"type": "string", "format": "binary"}}
#: The files an export answers with, by media type.
EXPORT_OK: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the file, as an attachment named like parcels-caijiapo-2025-12-31.gpkg; "
        "its CRS in the Content-Crs header",
        "content": {
            MEDIA_TYPES[ExportFormat.GPKG]: _BINARY,
            ZIP_MEDIA_TYPE: _BINARY,
            MEDIA_TYPES[ExportFormat.GEOJSON]: {"schema": {"type": "object"}},
            "text/csv": {"schema": {"type": "string"}},
            MEDIA_TYPES[ExportFormat.XLSX]: _BINARY,
        },
    }
}


def _lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def _upper(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


class ExportQuery:
    """The export's own parameters (``park`` and ``as_of`` are the API's shared ones)."""

    def __init__(
        self,
        format: Annotated[
            ExportFormat,
            BeforeValidator(_lower),
            Query(description="gpkg (default), shp (zipped), geojson, csv (WKT) or xlsx"),
        ] = ExportFormat.GPKG,
        layer: Annotated[
            ExportLayer,
            BeforeValidator(_lower),
            Query(
                description="parcels (default), buildings, projects, or all: one GeoPackage or "
                "workbook with every layer, a zip of a file per layer for shp, geojson, csv"
            ),
        ] = ExportLayer.PARCELS,
        fields: Annotated[
            FieldNames,
            BeforeValidator(_lower),
            Query(description="field names (and status and supply-mode values): en or zh"),
        ] = FieldNames.EN,
        crs: Annotated[
            str | None,
            Query(
                max_length=200,
                description="CRS of the coordinates (default EPSG:4545, the storage CRS; "
                "geojson and xlsx are always EPSG:4326)",
            ),
        ] = None,
        encoding: Annotated[
            TextEncoding | None,
            BeforeValidator(_upper),
            Query(description="text encoding of shp and csv: UTF-8 (default) or GB18030"),
        ] = None,
    ) -> None:
        self.format = format
        self.layer = layer
        self.fields = fields
        self.crs = crs
        self.encoding = encoding


ExportQueryDep = Annotated[ExportQuery, Depends()]


@router.get("/api/export", response_class=Response, responses=EXPORT_OK)
def export(
    conn: ReadConnDep,
    settings: SettingsDep,
    _reader: ReaderDep,
    park: ParkDep,
    as_of: AsOfDep,
    query: ExportQueryDep,
) -> Response:
    """Parcels as they stand — or, with `as_of`, as they stood then (parcels only: factory
    buildings and projects keep no history) — factory buildings with their leased and
    vacant floor, or key projects with their sites, as a file to download. Areas are planar
    m² (4 decimals) and 亩 in EPSG:4545 whatever the CRS of the coordinates. Shapefiles come
    zipped with .prj and .cpg, their field names within 10 bytes; a CSV's geometry is WKT
    in its `WKT` column, UTF-8 with a byte-order mark unless `encoding=GB18030`."""
    request = checked_request(
        conn,
        format=query.format,
        storage_srid=settings.storage_srid,
        layer=query.layer,
        fields=query.fields,
        crs=query.crs,
        encoding=query.encoding,
        as_of=as_of,
        park=park,
    )
    return _file(conn, request, zone=settings.timezone)


def _file(conn, request: ExportRequest, *, zone: str) -> FileResponse:
    """The export written to a scratch folder and sent from there (the folder removed once
    it is sent)."""
    folder = Path(tempfile.mkdtemp(prefix="parks-export-"))
    try:
        name = request.file_name(zone=zone)
        result = write_export(conn, request, out=folder / name, zone=zone)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(
        result.path,
        media_type=request.media_type,
        filename=name,
        headers={"Content-Crs": f"<http://www.opengis.net/def/crs/EPSG/0/{request.srid}>"},
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )

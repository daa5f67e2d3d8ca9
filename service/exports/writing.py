"""Writing an export: each layer's rows read once (:mod:`service.exports.parcels`,
``buildings``, ``projects``), then written by GDAL (GeoPackage, Shapefile, GeoJSON, CSV;
:func:`gis.files.write_layer`) or openpyxl (xlsx), zipped when asked.

Everything is written into a scratch folder beside the destination first and moved into
place at the end, so a failed export leaves no half-written file behind.

* A CSV has the geometry as WKT in its first column, ``WKT``, and a ``.prj`` beside it
  (inside a zip too); a text a spreadsheet would run as a formula is written as text
  (:mod:`service.exports.cells`).
* A workbook holds no geometry: a sheet per layer with a point inside each feature
  (longitude/latitude, EPSG:4326), and a last sheet saying what the export is.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from sqlalchemy import Connection

from gis.files import write_layer
from parks.errors import InvalidParameter
from service.exports import cells
from service.exports.buildings import buildings_frame
from service.exports.columns import POINT_FIELDS, SHEET_TITLES, column_name
from service.exports.options import ExportFormat, ExportLayer, ExportRequest, FieldNames
from service.exports.parcels import parcels_frame
from service.exports.projects import projects_frame

#: GDAL's driver of each format written by GDAL.
DRIVERS: dict[ExportFormat, str] = {
    ExportFormat.GPKG: "GPKG",
    ExportFormat.SHP: "ESRI Shapefile",
    ExportFormat.GEOJSON: "GeoJSON",
    ExportFormat.CSV: "CSV",
}
GEOMETRY_TYPE = "MultiPolygon"
#: Files that belong to a Shapefile or a CSV of the same name and would be stale beside a new
#: one (a spatial index, an ArcGIS metadata file, a CSV's column types): removed with it.
COMPANIONS: dict[ExportFormat, tuple[str, ...]] = {
    ExportFormat.SHP: (".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".shp.xml"),
    ExportFormat.CSV: (".prj", ".csvt"),
}
#: Decimals of a workbook's longitude and latitude (1e-7 degree ≈ 1 cm).
POINT_DECIMALS = 7
#: The rows an Excel worksheet holds below its header.
XLSX_MAX_ROWS = 1_048_576 - 1

Progress = Callable[[str], None]


@dataclass
class ExportResult:
    """What was written: the file (a plain Shapefile's ``.shp``), every file (a Shapefile's
    parts, a CSV's ``.prj``), and the features of each layer."""

    path: Path
    files: list[Path] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def layer_frame(
    conn: Connection, layer: ExportLayer, request: ExportRequest, *, zone: str
) -> gpd.GeoDataFrame:
    """One layer's rows as *request* asks for them."""
    short = request.format is ExportFormat.SHP
    common = {"srid": request.srid, "fields": request.fields, "park": request.park, "short": short}
    if layer is ExportLayer.PARCELS:
        return parcels_frame(conn, zone=zone, as_of=request.as_of, **common)
    if layer is ExportLayer.BUILDINGS:
        return buildings_frame(conn, **common)
    return projects_frame(conn, **common)


def write_export(
    conn: Connection,
    request: ExportRequest,
    *,
    out: Path,
    zone: str,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> ExportResult:
    """Write the export *request* asks for to *out* (its name as given; a plain Shapefile's
    and a CSV's companions beside it), replacing what is there. *zone* is the city's time
    zone (times in the files, names of a zip's members)."""
    say = progress or (lambda _stage: None)
    now = now or datetime.now(UTC)
    out = Path(out)
    if out.is_dir():
        raise InvalidParameter("out", f"{out} is a folder; give the file to write")
    out.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".export-", dir=out.parent))
    try:
        layers: dict[ExportLayer, gpd.GeoDataFrame] = {}
        for layer in request.layers:
            say(f"reading {layer.value}")
            layers[layer] = layer_frame(conn, layer, request, zone=zone)
        say(f"writing {out.name}")
        target = scratch / out.name
        if request.format is ExportFormat.XLSX:
            write_workbook(layers, target, request=request, zone=zone, now=now)
        elif request.zipped:
            _write_zip(layers, target, request=request, zone=zone, now=now)
        else:
            for layer, frame in layers.items():
                _write_gdal(frame, target, layer=layer.value, request=request)
        if not request.zipped:
            for suffix in COMPANIONS.get(request.format, ()):
                (out.parent / f"{out.stem}{suffix}").unlink(missing_ok=True)
        files = []
        for made in sorted(p for p in scratch.iterdir() if p.is_file()):
            destination = out.parent / made.name
            made.replace(destination)
            files.append(destination)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return ExportResult(
        path=out, files=files, counts={layer.value: len(f) for layer, f in layers.items()}
    )


def _write_gdal(frame: gpd.GeoDataFrame, path: Path, *, layer: str, request: ExportRequest):
    if request.format is ExportFormat.CSV:
        frame = _csv_safe(frame)
    write_layer(
        frame,
        path,
        layer=layer,
        driver=DRIVERS[request.format],
        encoding=request.encoding.value,
        geometry_type=GEOMETRY_TYPE,
        bom=True,
    )


def _write_zip(
    layers: dict[ExportLayer, gpd.GeoDataFrame],
    path: Path,
    *,
    request: ExportRequest,
    zone: str,
    now: datetime,
) -> None:
    """One file (set) per layer, named like the export (``parcels-caijiapo-2025-12-31.shp``),
    zipped into *path*."""
    members = Path(tempfile.mkdtemp(prefix=".members-", dir=path.parent))
    try:
        for layer, frame in layers.items():
            stem = request.stem(zone=zone, layer=layer, now=now)
            _write_gdal(
                frame, members / f"{stem}.{request.format.value}", layer=stem, request=request
            )
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for member in sorted(members.iterdir()):
                archive.write(member, arcname=member.name)
    finally:
        shutil.rmtree(members, ignore_errors=True)


def _csv_safe(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """*frame* with every formula-like text of its text columns behind a quote."""
    frame = frame.copy()
    for name in frame.columns:
        if name != frame.geometry.name and not pd.api.types.is_numeric_dtype(frame[name]):
            frame[name] = frame[name].map(cells.csv_value, na_action="ignore")
    return frame


# --- the workbook ----------------------------------------------------------------------------


def write_workbook(
    layers: dict[ExportLayer, gpd.GeoDataFrame],
    path: Path,
    *,
    request: ExportRequest,
    zone: str,
    now: datetime,
) -> None:
    """A sheet per layer — the fields, then a point inside each feature (longitude and
    latitude, EPSG:4326) — and a last sheet saying what the export is. Formula-like texts
    are stored as text."""
    for layer, frame in layers.items():
        if len(frame) > XLSX_MAX_ROWS:
            raise InvalidParameter(
                "format",
                f"{len(frame):,} {layer.value}: a worksheet holds at most {XLSX_MAX_ROWS:,} "
                "rows; export them as gpkg or csv",
            )
    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    for layer, frame in layers.items():
        ws = wb.create_sheet(SHEET_TITLES[layer][request.fields])
        ws.freeze_panes = "A2"
        table = _table_with_points(frame, request.fields)
        header = []
        for name in table.columns:
            cell = WriteOnlyCell(ws, value=name)
            cell.font = bold
            header.append(cell)
        ws.append(header)
        for row in table.itertuples(index=False, name=None):
            ws.append([cells.write_only_value(ws, v) for v in row])
    about = wb.create_sheet("说明" if request.fields is FieldNames.ZH else "about")
    for label, value in _about(layers, request, zone=zone, now=now):
        about.append([cells.write_only_value(about, label), cells.write_only_value(about, value)])
    wb.save(path)


def _table_with_points(frame: gpd.GeoDataFrame, fields: FieldNames) -> pd.DataFrame:
    """*frame*'s fields (None for missing values) and a point inside each geometry."""
    geoms = frame.geometry.values
    points = shapely.point_on_surface(np.asarray(geoms, dtype=object))
    table = pd.DataFrame(frame.drop(columns=frame.geometry.name)).astype(object)
    lon, lat = (column_name(f, fields=fields) for f in POINT_FIELDS)
    table[lon] = np.round(shapely.get_x(points), POINT_DECIMALS)
    table[lat] = np.round(shapely.get_y(points), POINT_DECIMALS)
    return table.astype(object).where(table.notna(), None)


def _about(
    layers: dict[ExportLayer, gpd.GeoDataFrame], request: ExportRequest, *, zone: str, now
) -> list[tuple[str, Any]]:
    tz = ZoneInfo(zone)
    as_of = request.as_of.astimezone(tz).isoformat() if request.as_of else None
    counts = ", ".join(f"{layer.value} {len(frame)}" for layer, frame in layers.items())
    return [
        ("导出时间 Exported at", now.astimezone(tz).isoformat(timespec="seconds")),
        ("截至 As of", as_of or "当前 now"),
        ("园区 Park", request.park or "全部 all"),
        ("图层 Layers", counts),
        ("坐标 Points", "EPSG:4326 经纬度 longitude/latitude, a point inside each feature"),
        ("面积 Areas", f"平面面积 planar, EPSG:{request.storage_srid} (m² and 亩)"),
    ]

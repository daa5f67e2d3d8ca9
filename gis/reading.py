"""Reading one layer of a handed-over dataset (Shapefile, GeoPackage, GeoJSON, File
Geodatabase, DXF, KML, CSV with WKT) into a GeoDataFrame through GDAL (pyogrio), deciding
the text encoding and the CRS on the way, and saying how each was decided.

Geometry is kept as read, in the source CRS: nothing is repaired, reprojected or dropped
(curves come linearised by GDAL); an importer validates and transforms it. Nothing is
parsed by hand: the only bytes looked at directly are a DBF's, CSV's, GeoJSON's or DXF's,
to test whether their text decodes strictly in an encoding before GDAL reads it.

This module chooses the layer, reads it and decides the CRS; the encoding is decided in
:mod:`gis.text_encoding`, a DXF drawing becomes labelled polygons in :mod:`gis.dxf`, and
every GDAL call is made holding the one lock of :mod:`gis.gdal_lock`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
from pyproj import CRS
from pyproj.exceptions import CRSError

from gis.crs import epsg_of, guess_crs
from gis.dxf import DXF_LABEL_COLUMN, DXF_LAYER, read_dxf
from gis.errors import MissingCrs, SourceError, UnknownCRS
from gis.gdal_lock import gdal_locked
from gis.sources import find_dataset
from gis.text_encoding import (
    BYTE_FOR_BYTE,
    cut_field_names,
    decide_encoding,
    gdal_codec_name,
    recoded,
    undecodable,
)

__all__ = ["CSV_GEOMETRY_NAMES", "DXF_LABEL_COLUMN", "DXF_LAYER", "SourceLayer", "read_source"]

#: Names a CSV's WKT column may have (GDAL matches them case-insensitively).
CSV_GEOMETRY_NAMES = ("WKT", "wkt", "geometry", "geom", "the_geom", "shape")

#: Dataset suffixes and their formats' names (those :func:`gis.text_encoding.decide_encoding`
#: takes as *kind*).
_FORMATS = {
    ".shp": "Shapefile",
    ".gpkg": "GeoPackage",
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".gdb": "File Geodatabase",
    ".dxf": "DXF",
    ".kml": "KML",
    ".csv": "CSV",
}
_CSV_OPTIONS = {"GEOM_POSSIBLE_NAMES": ",".join(CSV_GEOMETRY_NAMES), "KEEP_GEOM_COLUMNS": "NO"}


@dataclass
class SourceLayer:
    """One layer as read from a handed-over file, and how it was read."""

    frame: gpd.GeoDataFrame
    """One row per feature, RangeIndex 0..n-1, attribute columns as read, geometry as read
    in the source CRS (``frame.crs`` set when known)."""
    rows: np.ndarray
    """1-based feature numbers, aligned with *frame*: the feature's position in the layer
    as GDAL reads it (for a DXF, among all the drawing's entities)."""
    layer: str
    driver: str
    encoding: str | None
    """Encoding of the attribute text; None when the format fixes it (GeoPackage,
    GeoJSON, File Geodatabase: UTF-8; KML: its XML declaration)."""
    encoding_source: str
    """``"cpg"``, ``"given"``, ``"utf-8"`` (tried, it decoded), ``"gb18030 (fallback)"`` or
    ``"format"``."""
    crs_epsg: int | None
    """EPSG code of the geometry's CRS, from the file or as given."""
    crs_source: str
    """``"file"`` or ``"given"``."""
    notes: list[str] = field(default_factory=list)
    """What a technician should know about how the file was read."""


def read_source(
    path: Path,
    *,
    layer: str | None = None,
    encoding: str | None = None,
    crs_epsg: int | None = None,
) -> SourceLayer:
    """Read one layer of *path* (what :func:`gis.sources.find_dataset` returned, or any
    supported file or ``.gdb`` folder) with its encoding and CRS decided.

    * layer: None reads the only layer (or the only one with geometry, e.g. beside QGIS's
      ``layer_styles`` table); several raise :class:`SourceError` listing them. A DXF has
      one layer of entities; a *layer* naming one of its CAD layers keeps only that CAD
      layer's polygons (labels may lie on any).
    * encoding: *encoding* given wins; else a Shapefile's ``.cpg``; else the text is tried
      as UTF-8 strictly and, if it does not decode, read as GB18030 (GBK files come without
      a .cpg). The same for CSV and DXF. Text that does not decode in the encoding decided
      raises :class:`SourceError`: nothing comes out as mojibake.
    * CRS: the file's (a .prj, the format's own), resolved to an EPSG code; *crs_epsg* when
      the file has none. Both present and different raises :class:`SourceError`; neither
      raises :class:`MissingCrs` with :func:`gis.crs.guess_crs`'s explanation. A GeoJSON
      without a ``crs`` member is WGS 84 (RFC 7946), unless its coordinates are not degrees,
      when it counts as having no CRS.
    * DXF: closed polylines become polygons with the parcel code from the TEXT, MTEXT or
      block attribute inside them in column ``label``; see :func:`gis.dxf.read_dxf`.
    """
    path, kind = _dataset(Path(path))
    given = _checked_epsg(crs_epsg)
    if kind == "DXF":
        return _read_dxf(path, layer=layer, encoding=encoding, crs_epsg=given)
    notes: list[str] = []
    name = _choose_layer(path, layer, notes)
    text = decide_encoding(path, kind, encoding, notes)
    options = _CSV_OPTIONS if kind == "CSV" else {}
    cut = cut_field_names(path, text.codec) if kind == "Shapefile" else []
    # pyogrio decodes names strictly: a cut one is read byte for byte and decoded here
    reading = BYTE_FOR_BYTE if cut else text.codec
    if cut:
        notes.append(
            f"{path.name}: field names longer than the DBF's 10 bytes were cut inside a "
            f"character; read as {', '.join(repr(c) for c in cut)}"
        )
    info = _info(path, name, reading, options)
    if not info["geometry_name"] and info["geometry_type"] is None:
        if kind == "CSV":
            raise SourceError(
                f"{path.name}: no column holds WKT geometry (it must be named one of "
                f"{', '.join(CSV_GEOMETRY_NAMES)}); found columns {', '.join(info['fields'])}"
            )
        raise SourceError(f"{path.name}: layer {name!r} holds no geometry")
    frame = _read(path, name, reading, options)
    if cut:
        frame = recoded(frame, text.codec)
    epsg, source = _decide_crs(frame, kind, given, notes, what=_what(path, name, kind))
    if source == "given":
        frame = frame.set_crs(epsg=epsg, allow_override=True)
    return SourceLayer(
        frame=frame,
        rows=np.arange(1, len(frame) + 1),
        layer=name,
        driver=info["driver"],
        encoding=text.reported,
        encoding_source=text.source,
        crs_epsg=epsg,
        crs_source=source,
        notes=notes,
    )


# --- format and layer ---------------------------------------------------------------------------


def _dataset(path: Path) -> tuple[Path, str]:
    """*path* (a folder: the one dataset in it) and its format's name."""
    if not path.exists():
        raise SourceError(f"{path}: no such file or folder")
    suffix = path.suffix.lower()
    if path.is_dir() and suffix != ".gdb" or suffix not in _FORMATS or suffix == ".shp":
        path = find_dataset(path)  # raises what is wrong: an archive, a missing .dbf ...
        suffix = path.suffix.lower()
    return path, _FORMATS[suffix]


def _checked_epsg(epsg: int | None) -> int | None:
    if epsg is None:
        return None
    try:
        crs = CRS.from_epsg(int(epsg))
    except (CRSError, ValueError, TypeError):
        raise UnknownCRS(f"EPSG:{epsg} is not a CRS pyproj knows") from None
    if not (crs.is_geographic or crs.is_projected):
        raise UnknownCRS(f"EPSG:{epsg} ({crs.name}) is not a horizontal CRS")
    return int(epsg)


def _choose_layer(path: Path, layer: str | None, notes: list[str]) -> str:
    try:
        with gdal_locked():
            listed = pyogrio.list_layers(path)
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise SourceError(f"{path.name}: cannot be read: {exc}") from None
    layers = [(str(name), kind) for name, kind in listed]
    names = [name for name, _ in layers]
    if layer is not None:
        if layer in names:
            return layer
        raise SourceError(
            f"{path.name}: has no layer {layer!r}; its layers are {_layer_list(layers)}"
        )
    if len(layers) == 1:
        return names[0]
    spatial = [name for name, kind in layers if kind is not None]
    if len(spatial) == 1:
        tables = ", ".join(name for name, kind in layers if kind is None)
        notes.append(
            f"{path.name}: read layer {spatial[0]!r}; tables without geometry were not: {tables}"
        )
        return spatial[0]
    if not layers:
        raise SourceError(f"{path.name}: holds no layer")
    raise SourceError(
        f"{path.name}: holds {len(layers)} layers ({_layer_list(layers)}); say which one to read"
    )


def _layer_list(layers: list[tuple[str, str | None]]) -> str:
    return ", ".join(f"{name} ({kind or 'no geometry'})" for name, kind in layers)


def _what(path: Path, layer: str, kind: str) -> str:
    single = kind in ("Shapefile", "CSV", "GeoJSON", "DXF")
    return path.name if single else f"{path.name}, layer {layer!r}"


def _info(path: Path, layer: str, codec: str | None, options: dict) -> dict:
    try:
        with gdal_locked():
            return pyogrio.read_info(path, layer=layer, encoding=gdal_codec_name(codec), **options)
    except UnicodeDecodeError as exc:
        raise undecodable(path, exc) from None
    except Exception as exc:
        raise SourceError(f"{path.name}: layer {layer!r} cannot be read: {exc}") from None


def _read(path: Path, layer: str, codec: str | None, options: dict) -> gpd.GeoDataFrame:
    try:
        with gdal_locked():
            frame = pyogrio.read_dataframe(
                path, layer=layer, encoding=gdal_codec_name(codec), **options
            )
    except UnicodeDecodeError as exc:
        raise undecodable(path, exc) from None
    except Exception as exc:
        raise SourceError(f"{path.name}: layer {layer!r} cannot be read: {exc}") from None
    return frame.reset_index(drop=True)


def _read_dxf(
    path: Path, *, layer: str | None, encoding: str | None, crs_epsg: int | None
) -> SourceLayer:
    """A DXF drawing's labelled polygons (:func:`gis.dxf.read_dxf`) in the CRS given."""
    parcels = read_dxf(path, layer=layer, encoding=encoding)
    notes = parcels.notes
    epsg, source = _decide_crs(parcels.frame, "DXF", crs_epsg, notes, what=path.name)
    return SourceLayer(
        frame=parcels.frame.set_crs(epsg=epsg, allow_override=True),
        rows=parcels.rows,
        layer=layer or DXF_LAYER,
        driver="DXF",
        encoding=parcels.encoding.reported,
        encoding_source=parcels.encoding.source,
        crs_epsg=epsg,
        crs_source=source,
        notes=notes,
    )


# --- CRS ---------------------------------------------------------------------------------------


def _decide_crs(
    frame, kind: str, given: int | None, notes: list[str], *, what: str
) -> tuple[int, str]:
    file_crs = frame.crs
    bounds = tuple(float(v) for v in frame.total_bounds) if len(frame) else None
    if (
        file_crs is not None
        and kind == "GeoJSON"
        and file_crs.is_geographic
        and bounds is not None
        and all(np.isfinite(bounds))
        and not _degrees(bounds)
    ):
        notes.append(
            f"{what}: GeoJSON without a CRS is longitude/latitude (RFC 7946), but these "
            f"coordinates are not degrees; its CRS counts as missing"
        )
        file_crs = None
    if file_crs is not None:
        file_epsg = epsg_of(file_crs)
        if file_epsg is None:
            raise SourceError(
                f"{what}: its CRS ({file_crs.name}) matches no EPSG code; save the file in "
                f"the EPSG CRS it is meant to be (e.g. EPSG:4545), or remove its CRS and "
                f"give the EPSG code"
            )
        if given is not None and given != file_epsg:
            raise SourceError(
                f"{what}: the file says its CRS is EPSG:{file_epsg} ({file_crs.name}) but "
                f"EPSG:{given} was given; they disagree — give no CRS if the file is right, "
                f"or correct the file's CRS (.prj) if it is wrong"
            )
        return file_epsg, "file"
    if given is not None:
        return given, "given"
    suggestion, why = guess_crs(bounds if bounds is not None else (np.nan,) * 4)
    missing = " (no .prj)" if kind == "Shapefile" else ""
    advice = f"give it, e.g. EPSG:{suggestion}" if suggestion else "give the CRS it is in"
    raise MissingCrs(
        f"{what}: has no CRS{missing} and none was given; {why}; {advice}",
        suggestion=f"EPSG:{suggestion}" if suggestion else None,
    )


def _degrees(bounds: tuple[float, float, float, float]) -> bool:
    minx, miny, maxx, maxy = bounds
    return -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90

"""Reading and writing layers of geodata files (GeoPackage, GeoJSON, Shapefile, CSV) with
geopandas and pyogrio."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from gis.errors import FileFormatError


def list_layers(path: Path) -> list[str]:
    """The names of the layers in *path* (a GeoPackage may hold many)."""
    try:
        return [str(name) for name, _ in pyogrio.list_layers(path)]
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise FileFormatError(f"{path}: cannot be read as a geodata file: {exc}") from None


def read_layer(path: Path, layer: str, *, to_epsg: int | None = None) -> pd.DataFrame:
    """One layer of *path*: a GeoDataFrame reprojected to *to_epsg* when it has geometry
    (pyproj, x/y order), a plain DataFrame when it is an attribute table."""
    try:
        frame = pyogrio.read_dataframe(path, layer=layer)
    except Exception as exc:
        raise FileFormatError(f"{path}: layer {layer!r} cannot be read: {exc}") from None
    if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame:
        if frame.geometry.isna().all() and frame.crs is None:
            return pd.DataFrame(frame.drop(columns=frame.geometry.name))
        if to_epsg is not None:
            if frame.crs is None:
                raise FileFormatError(f"{path}: layer {layer!r} has no CRS")
            if frame.crs.to_epsg() != to_epsg:
                frame = frame.to_crs(epsg=to_epsg)
    return frame


# --- writing ------------------------------------------------------------------------------

#: What each driver is told when a layer is written, beyond the caller's wishes:
#: a Shapefile's text fields shrunk to their longest value (GDAL makes them 254 bytes wide
#: otherwise); GeoJSON as RFC 7946 says (EPSG:4326, x/y order, exteriors counter-clockwise)
#: with coordinates to 1e-12 degree (GDAL's RFC 7946 default of 7 decimals moves a vertex
#: by up to 1 cm, and a parcel's area with it); CSV with the geometry as WKT in a first
#: column named ``WKT`` (GDAL's convention, read back as the geometry) and CRLF line ends
#: (RFC 4180).
WRITE_OPTIONS: dict[str, dict[str, str]] = {
    "ESRI Shapefile": {"RESIZE": "YES"},
    "GeoJSON": {"RFC7946": "YES", "COORDINATE_PRECISION": "12"},
    "CSV": {"GEOMETRY": "AS_WKT", "LINEFORMAT": "CRLF"},
}
#: Drivers whose files hold text in one encoding only, UTF-8.
UTF8_ONLY = frozenset({"GPKG", "GeoJSON"})
#: The longest field name a dBASE table (a Shapefile's .dbf) holds, in bytes.
DBF_NAME_BYTES = 10


def write_layer(
    frame: gpd.GeoDataFrame,
    path: Path,
    *,
    layer: str,
    driver: str,
    encoding: str | None = None,
    geometry_type: str | None = None,
    bom: bool = False,
) -> None:
    """Write *frame* as layer *layer* of *path* with GDAL's *driver* (``GPKG``, ``ESRI
    Shapefile``, ``GeoJSON``, ``CSV``). A GeoPackage that exists gains the layer; the other
    formats hold one layer and make a new file.

    * *encoding* (default UTF-8) is the text's encoding: a Shapefile names it in its .cpg
      (and its field names are encoded with it), a CSV is written in it; a GeoPackage and
      GeoJSON are UTF-8 whatever is asked.
    * *geometry_type* (e.g. ``MultiPolygon``) declares the layer's type, also when it is
      empty or every geometry is null.
    * *bom* puts a UTF-8 byte-order mark before a UTF-8 CSV (spreadsheets read the text as
      UTF-8 then).
    * A CSV with a CRS gets a ``.prj`` beside it (:func:`write_prj`), which GDAL reads back.

    Field names a Shapefile can't hold — longer than 10 bytes in its encoding — are refused
    (:class:`FileFormatError`) rather than cut short by GDAL.
    """
    encoding = encoding or "UTF-8"
    if driver in UTF8_ONLY and _codec(encoding) != "utf-8":
        raise FileFormatError(f"{driver} files are UTF-8; {encoding} can't be written")
    if driver == "ESRI Shapefile":
        too_long = [
            str(name)
            for name in frame.columns
            if name != frame.geometry.name
            and len(str(name).encode(_codec(encoding), errors="replace")) > DBF_NAME_BYTES
        ]
        if too_long:
            raise FileFormatError(
                f"Shapefile field names hold at most {DBF_NAME_BYTES} bytes ({encoding}): "
                f"{', '.join(too_long)}"
            )
    options = dict(WRITE_OPTIONS.get(driver, {}))
    if driver == "CSV" and bom and _codec(encoding) == "utf-8":
        options["WRITE_BOM"] = "YES"
    kwargs: dict = {"layer": layer, "driver": driver, "layer_options": options}
    if geometry_type is not None:
        kwargs["geometry_type"] = geometry_type
    if driver in ("ESRI Shapefile", "CSV"):
        kwargs["encoding"] = encoding
    try:
        pyogrio.write_dataframe(frame, path, **kwargs)
    except Exception as exc:  # pyogrio raises DataSourceError, FieldError and friends
        raise FileFormatError(f"{path}: layer {layer!r} cannot be written: {exc}") from None
    if driver == "CSV" and frame.crs is not None:
        write_prj(Path(path).with_suffix(".prj"), frame.crs)


def write_prj(path: Path, crs) -> None:
    """Write *crs* (anything pyproj takes: ``EPSG:4545``, a ``pyproj.CRS``) to a ``.prj``
    file as GDAL's WKT 1, with its EPSG code: GDAL reads a CSV's ``.prj`` back as that code
    (an ESRI WKT, as a Shapefile's ``.prj`` has, it would read without one)."""
    from pyproj import CRS
    from pyproj.enums import WktVersion

    Path(path).write_text(CRS.from_user_input(crs).to_wkt(WktVersion.WKT1_GDAL), encoding="utf-8")


def _codec(encoding: str) -> str:
    """Python's name of *encoding* (``UTF-8`` → ``utf-8``, ``GB18030`` → ``gb18030``)."""
    import codecs

    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise FileFormatError(f"unknown encoding {encoding!r}") from None

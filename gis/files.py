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

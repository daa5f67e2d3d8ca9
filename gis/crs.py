"""Coordinate reference systems: parsing user-given CRS names and transforming shapely
geometries between them.

Every transformer is built with ``always_xy=True``: EPSG:4545 (CGCS2000 / 3-degree
Gauss-Kruger CM 108E) declares its axes as northing, easting, and EPSG:4326/4490 as
latitude, longitude; we always mean x = easting/longitude, y = northing/latitude.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from gis.errors import UnknownCRS

WGS84 = 4326  # RFC 7946 GeoJSON output
CGCS2000 = 4490  # geographic CGCS2000
CGCS2000_GK_CM108 = 4545  # the default storage CRS: planar metres


def parse_crs(value: str | int | None, *, default: int = WGS84) -> int:
    """Return the EPSG code named by *value* (``"EPSG:4545"``, ``"4545"``, ``4545``,
    ``"urn:ogc:def:crs:EPSG::4545"`` or an OGC CRS84 URN); *default* when it is empty.

    Raises :class:`UnknownCRS` when pyproj doesn't know it or it has no EPSG code.
    """
    if value is None or value == "":
        return default
    text = str(value).strip()
    if text.upper() in {"CRS84", "OGC:CRS84", "URN:OGC:DEF:CRS:OGC:1.3:CRS84"}:
        return WGS84
    if text.isdigit():
        text = f"EPSG:{text}"
    try:
        crs = CRS.from_user_input(text)
    except CRSError as exc:
        raise UnknownCRS(f"unknown CRS {value!r}: {exc}") from None
    epsg = crs.to_epsg()
    if epsg is None:
        raise UnknownCRS(f"CRS {value!r} has no EPSG code")
    if not (crs.is_geographic or crs.is_projected) or crs.is_vertical:
        raise UnknownCRS(f"CRS {value!r} is not a horizontal (2D) coordinate system")
    return epsg


def area_of_use(epsg: int) -> tuple[float, float, float, float] | None:
    """The WGS84 bounds (west, south, east, north) where *epsg* is meant to be used, or
    None when PROJ doesn't say."""
    area = CRS.from_epsg(epsg).area_of_use
    return (area.west, area.south, area.east, area.north) if area else None


@lru_cache(maxsize=64)
def transformer(src_epsg: int, dst_epsg: int) -> Transformer:
    """A cached x/y-ordered transformer from *src_epsg* to *dst_epsg*."""
    return Transformer.from_crs(f"EPSG:{src_epsg}", f"EPSG:{dst_epsg}", always_xy=True)


def transform(geom, src_epsg: int, dst_epsg: int):
    """Transform a shapely geometry (or an array of them) from *src_epsg* to *dst_epsg*.

    Vertices only: edges are not densified, which is what cadastral data expects
    (parcel edges are straight in the planar CRS they were surveyed in).
    """
    if src_epsg == dst_epsg:
        return geom
    tr = transformer(src_epsg, dst_epsg)

    def _apply(coords: np.ndarray) -> np.ndarray:
        x, y = tr.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, _apply)


def lonlat_to_xy(lon: float, lat: float, dst_epsg: int = CGCS2000_GK_CM108) -> tuple[float, float]:
    """One WGS84 point to (easting, northing) in *dst_epsg*."""
    x, y = transformer(WGS84, dst_epsg).transform(lon, lat)
    return float(x), float(y)

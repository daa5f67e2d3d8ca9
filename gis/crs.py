"""Coordinate reference systems: parsing user-given CRS names and transforming shapely
geometries between them.

Every transformer is built with ``always_xy=True``: EPSG:4545 (CGCS2000 / 3-degree
Gauss-Kruger CM 108E) declares its axes as northing, easting, and EPSG:4326/4490 as
latitude, longitude; we always mean x = easting/longitude, y = northing/latitude.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError, ProjError

from gis.errors import ImplausibleCoordinates, UnknownCRS

WGS84 = 4326  # RFC 7946 GeoJSON output
CGCS2000 = 4490  # geographic CGCS2000
CGCS2000_GK_CM108 = 4545  # the default storage CRS: planar metres

#: How far (degrees) beyond the area PROJ says a CRS is meant for coordinates may lie and
#: still be taken as meant in it: a projection stays usable a little past its zone, and a
#: park near a zone's edge may be surveyed in the neighbouring zone's CRS.
AREA_OF_USE_MARGIN_DEG = 1.0
#: A zone-prefixed Gauss-Kruger easting is the zone number followed by a six-digit easting
#: (EPSG:4524, zone 36: 36,500,000 on the central meridian).
ZONE_PREFIX_M = 1_000_000


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


def check_plausible(
    bounds: tuple[float, float, float, float], epsg: int, *, what: str = "geometry"
) -> None:
    """Refuse coordinates that cannot be meant in *epsg*: raise
    :class:`ImplausibleCoordinates`, naming the CRS, when *bounds* (minx, miny, maxx, maxy;
    x = easting or longitude) are

    * in a geographic CRS: beyond longitude ±180 or latitude ±90 (metres sent as degrees);
    * in a projected CRS: all within ±180 and ±90 — longitudes and latitudes sent as metres
      (lon/lat declared ``EPSG:3857`` would land in the Gulf of Guinea);
    * in a zone-prefixed Gauss-Kruger CRS (false easting zone × 1,000,000 + 500,000, e.g.
      EPSG:4524): eastings without that zone number in front, or with another;
    * anywhere: transformed to WGS84, outside the area PROJ says the CRS is meant for,
      widened by :data:`AREA_OF_USE_MARGIN_DEG` (or nowhere on Earth at all).

    Whether a parcel lies in its park is not asked here: that is the placement rule's.
    """
    crs = _crs(epsg)
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    named = f"EPSG:{epsg} ({crs.name})"
    unit = crs.axis_info[0].unit_name if crs.axis_info else None
    if crs.is_geographic and unit == "degree":
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            raise ImplausibleCoordinates(
                f"{what} has coordinates x {_num(minx)} to {_num(maxx)}, y {_num(miny)} to "
                f"{_num(maxy)}: not the longitude (±180) and latitude (±90) {named} expects; "
                f'give the CRS they are in as "crs" (e.g. "EPSG:4545" for CGCS2000 / GK CM 108E)'
            )
    elif crs.is_projected:
        if max(abs(minx), abs(maxx)) <= 180 and max(abs(miny), abs(maxy)) <= 90:
            raise ImplausibleCoordinates(
                f"{what} has coordinates x {_num(minx)} to {_num(maxx)}, y {_num(miny)} to "
                f"{_num(maxy)}: they look like longitude/latitude, not the {unit}s of "
                f'{named}; send longitude/latitude with "crs": "EPSG:4326"'
            )
        if unit == "metre":
            _check_zone_prefix(crs, named, minx, maxx, what=what)
    _check_area_of_use(crs, epsg, named, (minx, miny, maxx, maxy), what=what)


@lru_cache(maxsize=64)
def _crs(epsg: int) -> CRS:
    return CRS.from_epsg(epsg)


def _zone(operation) -> int | None:
    """The zone number a zone-prefixed Gauss-Kruger (transverse Mercator) operation puts
    before its eastings (36 for EPSG:4524's), or None when its eastings carry no zone."""
    if operation is None or "transverse mercator" not in operation.method_name.lower():
        return None
    false_easting = next(
        (p.value for p in operation.params if p.name == "False easting" and p.unit_name == "metre"),
        None,
    )
    if false_easting is None or false_easting < ZONE_PREFIX_M:
        return None
    zone, rest = divmod(false_easting, ZONE_PREFIX_M)
    return int(zone) if rest == ZONE_PREFIX_M // 2 else None


def _check_zone_prefix(crs: CRS, named: str, minx: float, maxx: float, *, what: str) -> None:
    operation = crs.coordinate_operation
    zone = _zone(operation)
    eastings = f"eastings {_num(minx)} to {_num(maxx)}"
    if zone is not None:
        if zone * ZONE_PREFIX_M <= minx and maxx < (zone + 1) * ZONE_PREFIX_M:
            return
        given = int(minx // ZONE_PREFIX_M) if minx >= ZONE_PREFIX_M else None
        found = "lack it" if given is None else f"carry zone {given} instead"
        raise ImplausibleCoordinates(
            f"{what} has {eastings}; eastings in {named} carry the zone number {zone} in "
            f"front ({_num(zone * ZONE_PREFIX_M + ZONE_PREFIX_M // 2)} on the central "
            f"meridian), these {found}"
        )
    is_tm = operation is not None and "transverse mercator" in operation.method_name.lower()
    if is_tm and min(abs(minx), abs(maxx)) >= 10 * ZONE_PREFIX_M:
        raise ImplausibleCoordinates(
            f"{what} has {eastings}: they look zone-prefixed (zone "
            f"{int(minx // ZONE_PREFIX_M)}), but eastings in {named} carry no zone number; "
            f"send the CRS of that zone, or the eastings without it"
        )


def _check_area_of_use(
    crs: CRS, epsg: int, named: str, bounds: tuple[float, float, float, float], *, what: str
) -> None:
    area = crs.area_of_use
    if area is None:
        return
    try:
        west, south, east, north = transformer(epsg, WGS84).transform_bounds(
            *bounds, densify_pts=21
        )
    except ProjError:
        west = south = east = north = math.inf
    if not all(math.isfinite(v) for v in (west, south, east, north)):
        raise ImplausibleCoordinates(
            f"{what} has coordinates x {_num(bounds[0])} to {_num(bounds[2])}, y "
            f"{_num(bounds[1])} to {_num(bounds[3])} that are nowhere on Earth in {named}"
        )
    margin = AREA_OF_USE_MARGIN_DEG
    lon_ok = area.west > area.east or (  # an area across the antimeridian: latitude only
        area.west - margin <= west and east <= area.east + margin
    )
    lat_ok = area.south - margin <= south and north <= area.north + margin
    if not (lon_ok and lat_ok):
        raise ImplausibleCoordinates(
            f"{what} lies at about longitude {(west + east) / 2:.4f}, latitude "
            f"{(south + north) / 2:.4f}, outside the area {named} is meant for (longitude "
            f"{area.west:g} to {area.east:g}, latitude {area.south:g} to {area.north:g})"
        )


def _num(value: float) -> str:
    """A coordinate for a message: metres to the metre with separators, degrees as given."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.6g}"


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

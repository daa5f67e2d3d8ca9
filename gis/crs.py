"""Coordinate reference systems: parsing user-given CRS names and transforming shapely
geometries between them.

Every transformer is built with ``always_xy=True``: EPSG:4545 (CGCS2000 / 3-degree
Gauss-Kruger CM 108E) declares its axes as northing, easting, and EPSG:4326/4490 as
latitude, longitude; we always mean x = easting/longitude, y = northing/latitude.
"""

from __future__ import annotations

import math
import warnings
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


# --- guessing a missing CRS and checking coordinates against a CRS's area of use ----------------

#: Northings (metres from the equator) that Gauss-Kruger coordinates in China have: about
#: latitude 18°N (Hainan) to 54°N (Mohe).
CHINA_NORTHINGS_M = (1_900_000.0, 6_100_000.0)
#: Eastings within a Gauss-Kruger zone, false easting 500,000 included: a 3-degree zone is
#: about ±170 km wide at these latitudes, a 6-degree one ±340 km.
ZONE_EASTINGS_M = (150_000.0, 850_000.0)
#: CGCS2000 Gauss-Kruger EPSG codes: zone-prefixed 3-degree zones 25..45 (CM 75E..135E) are
#: EPSG:4513..4533, 6-degree zones 13..23 are EPSG:4491..4501; without the zone prefix, the
#: 3-degree CMs 75E..135E are EPSG:4534..4554 (so CM 108E is EPSG:4545).
GK3_ZONES = (25, 45)
GK6_ZONES = (13, 23)


def gk3_zone_epsg(zone: int) -> int:
    """EPSG code of CGCS2000 / 3-degree Gauss-Kruger zone *zone* (25..45, CM 3 × zone °E),
    whose eastings carry the zone number in front: 4513 for zone 25, 4524 for zone 36."""
    return 4513 + (zone - GK3_ZONES[0])


def gk6_zone_epsg(zone: int) -> int:
    """EPSG code of CGCS2000 / 6-degree Gauss-Kruger zone *zone* (13..23, CM 6 × zone − 3 °E),
    zone-prefixed eastings: 4491 for zone 13, 4497 for zone 19."""
    return 4491 + (zone - GK6_ZONES[0])


def gk3_cm_epsg(central_meridian_deg: int) -> int:
    """EPSG code of CGCS2000 / 3-degree Gauss-Kruger CM *central_meridian_deg* °E (75..135, a
    multiple of 3) without zone prefix: 4545 for 108."""
    if central_meridian_deg % 3 or not 75 <= central_meridian_deg <= 135:
        raise UnknownCRS(
            f"no 3-degree Gauss-Kruger zone has central meridian {central_meridian_deg}°E"
        )
    return 4534 + (central_meridian_deg - 75) // 3


def guess_crs(
    bounds: tuple[float, float, float, float], *, central_meridian_deg: int = 108
) -> tuple[int | None, str]:
    """The likely CRS of a layer that came without one, from its (minx, miny, maxx, maxy),
    and why: ``(epsg or None, explanation)``, the explanation a sentence for a technician.

    * eastings with a Gauss-Kruger zone number in front (36,4xx,xxx): CGCS2000 3-degree zone
      25..45 (EPSG:4513..4533) or 6-degree zone 13..23 (EPSG:4491..4501);
    * eastings 150,000..850,000 with northings of China: a 3-degree CRS without zone prefix,
      whose central meridian the numbers cannot tell: *central_meridian_deg* is assumed
      (108°E: EPSG:4545) and the explanation says so;
    * longitudes and latitudes: CGCS2000 geographic, EPSG:4490 (EPSG:4326 for WGS 84);
    * anything else: None.

    CGCS2000 is assumed throughout: Xian 1980 and Beijing 1954 coordinates look alike.
    """
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):
        return None, "cannot tell the CRS: the layer has no coordinates"
    extent = f"x {_num(minx)} to {_num(maxx)}, y {_num(miny)} to {_num(maxy)}"
    if -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90:
        return CGCS2000, (
            f"coordinates {extent} look like longitude/latitude; CGCS2000 geographic is "
            f"EPSG:{CGCS2000} (EPSG:{WGS84} for WGS 84)"
        )
    northings = CHINA_NORTHINGS_M[0] <= miny and maxy <= CHINA_NORTHINGS_M[1]
    zone, rest_min = divmod(minx, ZONE_PREFIX_M)
    zone_max, rest_max = divmod(maxx, ZONE_PREFIX_M)
    in_zone = ZONE_EASTINGS_M[0] <= rest_min and rest_max <= ZONE_EASTINGS_M[1]
    if northings and in_zone and zone == zone_max:
        zone = int(zone)
        eastings = f"eastings of {_prefixed(minx, maxx)}"
        if GK3_ZONES[0] <= zone <= GK3_ZONES[1]:
            epsg = gk3_zone_epsg(zone)
            return epsg, (
                f"{eastings} look like CGCS2000 3-degree Gauss-Krüger with zone prefix {zone} "
                f"— EPSG:{epsg} (central meridian {3 * zone}°E)"
            )
        if GK6_ZONES[0] <= zone <= GK6_ZONES[1]:
            epsg = gk6_zone_epsg(zone)
            return epsg, (
                f"{eastings} look like CGCS2000 6-degree Gauss-Krüger with zone prefix {zone} "
                f"— EPSG:{epsg} (central meridian {6 * zone - 3}°E)"
            )
        if zone == 0:
            epsg = gk3_cm_epsg(central_meridian_deg)
            return epsg, (
                f"eastings of {_num(minx)} to {_num(maxx)} with northings of {_num(miny)} to "
                f"{_num(maxy)} look like a 3-degree Gauss-Krüger CRS without zone prefix; "
                f"which central meridian cannot be told from them — for central meridian "
                f"{central_meridian_deg}°E (assumed) that is EPSG:{epsg} "
                f"({_crs(epsg).name}); for central meridian c°E it is EPSG:4534 + (c − 75)/3"
            )
    return None, (
        f"cannot tell the CRS from coordinates {extent}: they are neither longitude/latitude "
        f"nor Gauss-Krüger eastings and northings in China; give the CRS the survey used"
    )


def _prefixed(minx: float, maxx: float) -> str:
    """Zone-prefixed eastings as a technician reads them: zone and the hundred-kilometre
    digit kept, the rest masked (``36,4xx,xxx``); a range when the two differ."""

    def masked(value: float) -> str:
        text = f"{int(value):,}"
        return text[:4] + "".join("x" if c.isdigit() else c for c in text[4:])

    low, high = masked(minx), masked(maxx)
    return low if low == high else f"{low} to {high}"


def outside_area_of_use(epsg: int, xs, ys, *, margin_deg: float = 0.5) -> np.ndarray:
    """Which of the points (*xs*, *ys*: arrays in *epsg*'s own units, x = easting or
    longitude) lie outside the area PROJ says *epsg* is meant for, widened by *margin_deg*
    degrees on every side: a boolean array, vectorised. Points that cannot be transformed
    to longitude/latitude, or are not finite, count as outside. A CRS PROJ gives no area for
    is only checked for transformable points."""
    xs = np.asarray(xs, dtype=float).ravel()
    ys = np.asarray(ys, dtype=float).ravel()
    if xs.shape != ys.shape:
        raise ValueError(f"xs and ys differ in length ({xs.size} and {ys.size})")
    lon, lat = transformer(epsg, WGS84).transform(xs, ys, errcheck=False)
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    outside = ~(np.isfinite(lon) & np.isfinite(lat) & np.isfinite(xs) & np.isfinite(ys))
    outside |= (np.abs(lon) > 180 + margin_deg) | (np.abs(lat) > 90 + margin_deg)
    area = _crs(epsg).area_of_use
    if area is None:
        return outside
    west, east = area.west - margin_deg, area.east + margin_deg
    if area.west > area.east:  # the area crosses the antimeridian
        lon_ok = (lon >= west) | (lon <= east)
    else:
        lon_ok = (lon >= west) & (lon <= east)
    lat_ok = (lat >= area.south - margin_deg) & (lat <= area.north + margin_deg)
    with np.errstate(invalid="ignore"):
        return outside | ~(lon_ok & lat_ok)


def epsg_of(crs) -> int | None:
    """The EPSG code of *crs* (a pyproj CRS, WKT such as a .prj file's, or anything pyproj
    reads), or None when it has none.

    ESRI WKT as ArcGIS and QGIS write it (``CGCS2000_3_Degree_GK_CM_108E``) resolves at
    PROJ's usual confidence. WKT1 without axis order, as GDAL writes it, matches its EPSG
    entry only at low confidence, sometimes beside another one: a low-confidence candidate
    is taken only when its PROJ definition is the same as *crs*'s.
    """
    crs = CRS.from_user_input(crs)
    code = crs.to_epsg()
    if code is not None:
        return code
    if crs.to_authority(auth_name="OGC") == ("OGC", "CRS84"):
        return WGS84  # the same but for axis order, which always_xy makes moot
    definition = _proj_definition(crs)
    for match in crs.list_authority(auth_name="EPSG", min_confidence=20):
        try:
            candidate = _crs(int(match.code))
        except (CRSError, ValueError):
            continue
        if definition is not None and _proj_definition(candidate) == definition:
            return int(match.code)
    return None


def _proj_definition(crs: CRS) -> str | None:
    """*crs* as a PROJ string (datum, projection and parameters; no names, no axis order)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "you will likely lose important projection information"
        try:
            return crs.to_proj4()
        except CRSError:
            return None

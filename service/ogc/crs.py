"""The CRSs of the OGC API (Part 2): which are offered, how a ``crs``/``bbox-crs``/
``filter-crs`` value names one, and the axis order each defines.

Offered: CRS84 (longitude, latitude: the default, GeoJSON's), EPSG:4326 and EPSG:4490
(latitude, longitude), the storage CRS (``PARKS_STORAGE_SRID``, EPSG:4545 by default) and
EPSG:3857. Coordinates go out and bounding boxes come in in the axis order the CRS
itself defines, as OGC API – Features Part 2 says: EPSG:4326 and EPSG:4490 latitude
first; EPSG:4545 (CGCS2000 / 3-degree Gauss-Kruger CM 108E) defines its axes as X
northing, Y easting, so northing first; EPSG:3857 easting first. The order is read from
PROJ's definition (``pyproj.CRS.axis_info``), not listed by hand. Every spelling of an
EPSG CRS — URI, URN, ``EPSG:n`` — means that CRS with that order; only CRS84 is
longitude first. (The rest of the API, ``/api``, always writes x = easting/longitude.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from pyproj import CRS

from service.ogc.errors import BadOgcParameter

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/{}"
#: The EPSG CRSs offered besides CRS84 and the storage CRS.
OFFERED_EPSG = (4326, 4490, 4545, 3857)

_CRS84_NAMES = {
    CRS84.lower(),
    CRS84.lower().replace("http://", "https://"),
    "http://www.opengis.net/def/crs/ogc/0/crs84",
    "urn:ogc:def:crs:ogc:1.3:crs84",
    "urn:ogc:def:crs:ogc::crs84",
    "ogc:crs84",
    "crs84",
    "[ogc:crs84]",
}
_EPSG_FORMS = (
    re.compile(r"^https?://www\.opengis\.net/def/crs/epsg/0/(\d{1,6})$"),
    re.compile(r"^urn:ogc:def:crs:epsg:[0-9.]*:(\d{1,6})$"),
    re.compile(r"^\[?epsg:(\d{1,6})\]?$"),
)


@dataclass(frozen=True, slots=True)
class OgcCrs:
    """A CRS as the OGC API names and writes it."""

    uri: str
    #: The PostGIS SRID its coordinates are in (CRS84: 4326, written longitude first).
    srid: int
    #: Whether its first axis points north (latitude or northing): coordinates are then
    #: written (and bounding boxes read) with y first.
    north_first: bool
    #: Whether its coordinates are degrees (else metres).
    geographic: bool

    @property
    def precision(self) -> int:
        """Decimals written: 7 for degrees (about 1 cm), 3 for metres (1 mm)."""
        return 7 if self.geographic else 3

    @property
    def is_crs84(self) -> bool:
        return self.uri == CRS84


@cache
def _epsg(srid: int) -> OgcCrs:
    crs = CRS.from_epsg(srid)
    first = crs.axis_info[0].direction.lower() if crs.axis_info else "east"
    return OgcCrs(EPSG_URI.format(srid), srid, first in ("north", "south"), crs.is_geographic)


def crs84() -> OgcCrs:
    """CRS84: WGS 84 longitude, latitude (the default of every parameter)."""
    return OgcCrs(CRS84, 4326, north_first=False, geographic=True)


def offered(storage_srid: int) -> tuple[OgcCrs, ...]:
    """The CRSs a collection with geometry is served in: CRS84 first, then the EPSG ones
    (the storage CRS among them)."""
    srids = list(OFFERED_EPSG)
    if storage_srid not in srids:
        srids.insert(2, storage_srid)
    return (crs84(), *(_epsg(s) for s in srids))


def storage(storage_srid: int) -> OgcCrs:
    """The CRS geometry is stored (and areas measured) in."""
    return _epsg(storage_srid)


def parse(value: str, *, parameter: str, storage_srid: int) -> OgcCrs:
    """The offered CRS *value* names (a URI, URN, ``EPSG:n`` or ``CRS84``); 400 naming
    *parameter* for anything else."""
    text = value.strip().lower()
    if text in _CRS84_NAMES:
        return crs84()
    srid = next((int(m.group(1)) for form in _EPSG_FORMS if (m := form.match(text))), None)
    choices = offered(storage_srid)
    if srid is not None:
        for choice in choices:
            if choice.srid == srid and not choice.is_crs84:
                return choice
    names = ", ".join(c.uri for c in choices)
    raise BadOgcParameter(parameter, f"{value!r} is not a CRS offered here; use one of {names}")

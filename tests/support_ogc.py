"""Helpers of the OGC API tests (``tests/e2e/test_ogc_*.py``).

The answers are checked against our own account of the data: SQL written here over the
tables (not the service's queries), geometry read as WKB in the storage CRS and turned
with shapely and pyproj, URIs spelled out here.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import shapely
from pyproj import Transformer
from sqlalchemy import Connection, text

STORAGE_EPSG = 4545
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/{}"
FIXED_COLLECTIONS = ("parcels", "parcel_versions", "buildings", "leases", "projects", "parks")


def path_of(href: str) -> str:
    """A link's path and query (the test client takes them relative)."""
    parts = urlsplit(href)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def link(body: dict[str, Any], rel: str, media_type: str | None = None) -> dict | None:
    """The first link of *body* with *rel* (and *media_type*), or None."""
    for found in body.get("links", []):
        if found["rel"] == rel and (media_type is None or found["type"] == media_type):
            return found
    return None


def every_page(client, url: str, **params) -> tuple[list[dict], list[dict]]:
    """Every feature of *url* following the ``next`` links, and each page's body."""
    features: list[dict] = []
    pages: list[dict] = []
    response = client.get(url, params=params)
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body)
        assert body["numberReturned"] == len(body["features"])
        features += body["features"]
        following = link(body, "next")
        if following is None:
            return features, pages
        response = client.get(path_of(following["href"]))


def current_codes(conn: Connection, where: str = "TRUE", params: dict | None = None) -> set[str]:
    """The codes of the standing parcel versions matching *where* (over ``v``)."""
    rows = conn.execute(
        text(f"SELECT v.parcel_code FROM parcel_version v WHERE v.valid_to IS NULL AND ({where})"),
        params or {},
    )
    return set(rows.scalars())


def stored_geometry(conn: Connection, table_sql: str, params: dict | None = None):
    """A geometry in the storage CRS, read as WKB (``table_sql`` selects it as ``g``)."""
    wkb = conn.execute(text(f"SELECT ST_AsBinary(g) FROM ({table_sql}) t"), params or {}).scalar()
    return shapely.from_wkb(wkb)


def to_lonlat(geom, epsg: int = STORAGE_EPSG):
    """*geom* from *epsg* to longitude, latitude (pyproj, x/y order)."""
    forward = Transformer.from_crs(epsg, 4326, always_xy=True)
    return shapely.transform(geom, lambda xy: _stack(forward.transform(xy[:, 0], xy[:, 1])))


def from_lonlat(geom, epsg: int):
    """*geom* from longitude, latitude to *epsg* (x/y order)."""
    back = Transformer.from_crs(4326, epsg, always_xy=True)
    return shapely.transform(geom, lambda xy: _stack(back.transform(xy[:, 0], xy[:, 1])))


def swapped(geom):
    """*geom* with its two axes swapped."""
    return shapely.transform(geom, lambda xy: xy[:, ::-1].copy())


def _stack(xy):
    import numpy as np

    return np.column_stack(xy)


def max_distance(a, b) -> float:
    """The largest distance between corresponding vertices of two geometries of one shape."""
    import numpy as np

    ca, cb = shapely.get_coordinates(a), shapely.get_coordinates(b)
    assert ca.shape == cb.shape, (ca.shape, cb.shape)
    return float(np.abs(ca - cb).max())

"""Web-Mercator tile arithmetic for the vector tiles (XYZ scheme, y from the north).

Pure functions: which tiles exist, where a tile lies on the earth, which tiles cover an
area, and how much detail a tile at a zoom can show (its simplification tolerance).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from pyproj import CRS, Transformer

from gis.errors import GisError

MIN_ZOOM = 0
MAX_ZOOM = 22
#: Units across a tile of ST_AsMVT's output (the MVT default).
EXTENT = 4096
#: Units around a tile that are kept, so strokes continue across tile edges.
BUFFER = 64
#: Width of the Web-Mercator world (EPSG:3857) in metres.
WORLD_M = 2 * math.pi * 6378137.0
#: Latitude where Web Mercator ends.
MAX_LAT = 85.0511287798066


class TileError(GisError):
    """A tile address that does not exist; ``parameter`` names the wrong part."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.message = message


@dataclass(frozen=True, slots=True)
class Tile:
    """An XYZ tile."""

    z: int
    x: int
    y: int


def check_tile(z: int, x: int, y: int) -> Tile:
    """The tile ``z/x/y`` when it exists (z within 0..22, x and y within 0..2^z-1);
    :class:`TileError` naming ``z``, ``x`` or ``y`` otherwise."""
    if not MIN_ZOOM <= z <= MAX_ZOOM:
        raise TileError("z", f"zoom {z} is outside {MIN_ZOOM}..{MAX_ZOOM}")
    last = (1 << z) - 1
    if not 0 <= x <= last:
        raise TileError("x", f"column {x} is outside 0..{last} at zoom {z}")
    if not 0 <= y <= last:
        raise TileError("y", f"row {y} is outside 0..{last} at zoom {z}")
    return Tile(z, x, y)


def tile_size_m(z: int) -> float:
    """Width of a tile at zoom *z* in Web-Mercator metres."""
    return WORLD_M / (1 << z)


def simplify_tolerance_m(z: int, *, full_detail_zoom: int = 14) -> float:
    """How far (Web-Mercator metres) a tile at zoom *z* may move a vertex when it
    simplifies: one MVT unit below *full_detail_zoom*, nothing from there on (the MVT
    grid's own quantisation is all the simplification those tiles need)."""
    return 0.0 if z >= full_detail_zoom else tile_size_m(z) / EXTENT


def _lon(x: float, z: int) -> float:
    return x / (1 << z) * 360.0 - 180.0


def _lat(y: float, z: int) -> float:
    n = math.pi - 2.0 * math.pi * y / (1 << z)
    return math.degrees(math.atan(math.sinh(n)))


def tile_lonlat_bounds(tile: Tile, *, margin: float = 0.0) -> tuple[float, float, float, float]:
    """``(minlon, minlat, maxlon, maxlat)`` of *tile*, grown by *margin* (a fraction of the
    tile's width) on each side and clamped to the Web-Mercator world."""
    z = tile.z
    west, east = _lon(tile.x - margin, z), _lon(tile.x + 1 + margin, z)
    north, south = _lat(tile.y - margin, z), _lat(tile.y + 1 + margin, z)
    return (
        max(west, -180.0),
        max(south, -MAX_LAT),
        min(east, 180.0),
        min(north, MAX_LAT),
    )


def lonlat_to_tile(lon: float, lat: float, z: int) -> Tile:
    """The tile at zoom *z* that holds the point *lon*, *lat*."""
    lat = max(min(lat, MAX_LAT), -MAX_LAT)
    n = 1 << z
    x = int((lon + 180.0) / 360.0 * n)
    rad = math.radians(lat)
    y = int((1.0 - math.asinh(math.tan(rad)) / math.pi) / 2.0 * n)
    return Tile(z, min(max(x, 0), n - 1), min(max(y, 0), n - 1))


def tiles_covering(bounds: tuple[float, float, float, float], z: int) -> list[Tile]:
    """Every tile at zoom *z* that covers part of ``(minlon, minlat, maxlon, maxlat)``,
    row by row from the north-west."""
    minlon, minlat, maxlon, maxlat = bounds
    nw = lonlat_to_tile(minlon, maxlat, z)
    se = lonlat_to_tile(maxlon, minlat, z)
    return [Tile(z, x, y) for y in range(nw.y, se.y + 1) for x in range(nw.x, se.x + 1)]


def clip_bounds(
    a: tuple[float, float, float, float], b: tuple[float, float, float, float]
) -> tuple[float, float, float, float] | None:
    """The overlap of two lon/lat boxes, or None when they do not overlap."""
    box = (max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3]))
    return box if box[0] < box[2] and box[1] < box[3] else None


#: Degrees the tile search reaches beyond a storage CRS's area of use.
_AREA_SLACK_DEG = 5.0


@lru_cache(maxsize=16)
def crs_lonlat_extent(epsg: int) -> tuple[float, float, float, float]:
    """Where a CRS may meaningfully hold data: its area of use (lon/lat) grown by a few
    degrees, or the whole Web-Mercator world when pyproj does not say."""
    area = CRS.from_epsg(epsg).area_of_use
    if area is None:
        return (-180.0, -MAX_LAT, 180.0, MAX_LAT)
    s = _AREA_SLACK_DEG
    return (
        max(area.west - s, -180.0),
        max(area.south - s, -MAX_LAT),
        min(area.east + s, 180.0),
        min(area.north + s, MAX_LAT),
    )


def search_bounds(
    tile: Tile, storage_epsg: int, *, margin: float = BUFFER / EXTENT
) -> tuple[float, float, float, float] | None:
    """The lon/lat box to look for features of *tile* in (the tile with its buffer,
    clipped to where *storage_epsg* holds data); None when no feature can be there.

    Clipping keeps far-away corners of low-zoom tiles out of a planar CRS's
    transformation, where they would not transform at all."""
    return clip_bounds(tile_lonlat_bounds(tile, margin=margin), crs_lonlat_extent(storage_epsg))


@lru_cache(maxsize=8)
def _to_mercator(epsg: int) -> Transformer:
    return Transformer.from_crs(f"EPSG:{epsg}", "EPSG:3857", always_xy=True)


def tile_affine(tile: Tile, epsg: int) -> tuple[float, float, float, float, float, float]:
    """``(a, b, c, d, e, f)`` with ``u = a*x + b*y + c`` and ``v = d*x + e*y + f`` taking a
    point of CRS *epsg* to *tile*'s units (0..EXTENT, v up from the tile's south edge):
    the affine map that best fits the true projection over the tile (least squares on a
    5 x 5 grid). Over a tile of zoom 10 it is off by at most a few tile units — fine for
    binning parcels into overview cells, not for drawing them."""
    to_merc = _to_mercator(epsg)
    west, south, east, north = tile_lonlat_bounds(tile)
    back = Transformer.from_crs("EPSG:4326", f"EPSG:{epsg}", always_xy=True)
    size = tile_size_m(tile.z)
    left = -WORLD_M / 2 + tile.x * size
    bottom = WORLD_M / 2 - (tile.y + 1) * size
    rows, us, vs = [], [], []
    for i in range(5):
        for j in range(5):
            lon = west + (east - west) * i / 4
            lat = south + (north - south) * j / 4
            x, y = back.transform(lon, lat)
            mx, my = to_merc.transform(x, y)
            rows.append((x, y, 1.0))
            us.append((mx - left) / size * EXTENT)
            vs.append((my - bottom) / size * EXTENT)
    a = np.asarray(rows)
    # Centre the coordinates: planar metres are large numbers, the fit needs precision.
    mean = a[:, :2].mean(axis=0)
    a[:, :2] -= mean
    (pu, *_), (pv, *_) = (np.linalg.lstsq(a, np.asarray(t), rcond=None) for t in (us, vs))
    cu = pu[2] - pu[0] * mean[0] - pu[1] * mean[1]
    cv = pv[2] - pv[0] * mean[0] - pv[1] * mean[1]
    return float(pu[0]), float(pu[1]), float(cu), float(pv[0]), float(pv[1]), float(cv)

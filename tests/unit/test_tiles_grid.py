"""Web-Mercator tile arithmetic: which tiles exist, where they lie, how much they simplify."""

from __future__ import annotations

import math

import pytest

from gis.tiles import (
    MAX_ZOOM,
    Tile,
    TileError,
    check_tile,
    lonlat_to_tile,
    search_bounds,
    simplify_tolerance_m,
    tile_lonlat_bounds,
    tiles_covering,
)


@pytest.mark.parametrize(
    ("z", "x", "y", "parameter"),
    [
        (-1, 0, 0, "z"),
        (23, 0, 0, "z"),
        (0, 1, 0, "x"),
        (3, 8, 0, "x"),
        (3, -1, 0, "x"),
        (3, 7, 8, "y"),
        (14, 0, -1, "y"),
    ],
)
def test_a_tile_outside_the_pyramid_is_refused_naming_the_part(z, x, y, parameter) -> None:
    with pytest.raises(TileError) as err:
        check_tile(z, x, y)
    assert err.value.parameter == parameter
    assert str(err.value).startswith(f"{parameter}: ")


def test_every_corner_of_the_pyramid_exists() -> None:
    for z in (0, 1, 14, MAX_ZOOM):
        last = 2**z - 1
        for x, y in ((0, 0), (last, 0), (0, last), (last, last)):
            assert check_tile(z, x, y) == Tile(z, x, y)


def test_tile_zero_is_the_whole_mercator_world() -> None:
    west, south, east, north = tile_lonlat_bounds(Tile(0, 0, 0))
    assert (west, east) == (-180.0, 180.0)
    # Web Mercator ends where y = ±pi in projected units: atan(sinh(pi)).
    assert north == pytest.approx(math.degrees(math.atan(math.sinh(math.pi))))
    assert south == pytest.approx(-north)


def test_the_four_tiles_of_zoom_one_meet_at_the_origin() -> None:
    assert lonlat_to_tile(1e-9, 1e-9, 1) == Tile(1, 1, 0)
    assert lonlat_to_tile(-1e-9, -1e-9, 1) == Tile(1, 0, 1)
    assert tile_lonlat_bounds(Tile(1, 1, 1))[:2] == pytest.approx((0.0, -85.0511287798066))


def test_a_point_lies_in_the_tile_it_maps_to() -> None:
    for lon, lat in ((107.59, 34.315), (107.2, 34.35), (-73.98, 40.75), (151.2, -33.87)):
        for z in (3, 12, 14, 16, 22):
            tile = lonlat_to_tile(lon, lat, z)
            west, south, east, north = tile_lonlat_bounds(tile)
            assert west <= lon < east and south <= lat <= north


def test_tiles_covering_a_box_are_every_tile_it_touches() -> None:
    box = (107.57, 34.30, 107.62, 34.33)  # about 4.6 km by 3.3 km
    tiles = tiles_covering(box, 14)
    xs = {t.x for t in tiles}
    ys = {t.y for t in tiles}
    assert len(tiles) == len(xs) * len(ys)
    assert lonlat_to_tile(107.57, 34.33, 14) in tiles and lonlat_to_tile(107.62, 34.30, 14) in tiles
    # A z14 tile is 360/2^14 degrees wide: the box spans 0.05° of longitude.
    assert len(xs) in (math.floor(0.05 / (360 / 2**14)) + 1, math.floor(0.05 / (360 / 2**14)) + 2)


def test_simplification_stops_at_full_detail() -> None:
    world = 2 * math.pi * 6378137
    assert simplify_tolerance_m(12) == pytest.approx(world / 2**12 / 4096)
    assert simplify_tolerance_m(13) < simplify_tolerance_m(12)
    assert simplify_tolerance_m(14) == 0.0 and simplify_tolerance_m(18) == 0.0


def test_tiles_far_from_the_storage_crs_need_no_query() -> None:
    # EPSG:4545 is CGCS2000 GK zone CM 108E: China between 106.5 and 109.5 E.
    assert search_bounds(lonlat_to_tile(-73.98, 40.75, 10), 4545) is None
    here = search_bounds(lonlat_to_tile(107.59, 34.315, 14), 4545)
    assert here is not None and here[0] < 107.59 < here[2]
    # The whole world at zoom 0 is clipped to around the zone.
    west, south, east, north = search_bounds(Tile(0, 0, 0), 4545)
    assert 95 < west < 106.5 and 109.5 < east < 120


def test_the_search_box_carries_the_tile_buffer() -> None:
    tile = lonlat_to_tile(107.59, 34.315, 14)
    inner = tile_lonlat_bounds(tile)
    outer = search_bounds(tile, 4326)
    width = inner[2] - inner[0]
    assert outer[0] == pytest.approx(inner[0] - width * 64 / 4096)
    assert outer[2] == pytest.approx(inner[2] + width * 64 / 4096)

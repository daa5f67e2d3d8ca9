"""Coordinates that cannot be in the CRS they are sent in are refused, naming the CRS; and
heights (3D coordinates) are dropped by the documented rule.

Positions expected here are computed with our own pyproj transformers; areas with shapely
in EPSG:4545.
"""

from __future__ import annotations

import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import MultiPolygon, box, mapping

from gis.crs import check_plausible
from gis.errors import ImplausibleCoordinates, InvalidGeometry
from gis.geometry import from_geojson, parcel_geometry

CAIJIAPO = (107.59, 34.315)  # lon, lat
NEW_YORK = (-74.0, 40.7)


def _to(dst: int, lon: float, lat: float, src: int = 4326) -> tuple[float, float]:
    x, y = Transformer.from_crs(f"EPSG:{src}", f"EPSG:{dst}", always_xy=True).transform(lon, lat)
    return float(x), float(y)


def _square(x: float, y: float, size: float) -> tuple[float, float, float, float]:
    return (x, y, x + size, y + size)


# --- plausible coordinates pass -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("epsg", "size"),
    [(4326, 0.001), (4490, 0.001), (4545, 100.0), (3857, 100.0), (4524, 100.0), (32649, 100.0)],
)
def test_coordinates_near_the_park_are_plausible_in_every_crs_meant_for_it(epsg, size):
    x, y = _to(epsg, *CAIJIAPO)
    check_plausible(_square(x, y, size), epsg)  # no exception


def test_zone_prefixed_eastings_are_plausible_in_their_zone_crs():
    x, y = _to(4524, *CAIJIAPO)  # CGCS2000 / 3-degree GK zone 36: false easting 36,500,000
    assert 36_000_000 < x < 37_000_000
    check_plausible(_square(x, y, 50.0), 4524)


# --- implausible coordinates are refused, naming the CRS ------------------------------------------


def test_lonlat_sent_as_web_mercator_is_refused_naming_the_crs():
    lon, lat = CAIJIAPO
    with pytest.raises(ImplausibleCoordinates) as info:
        check_plausible(_square(lon, lat, 0.002), 3857)
    message = str(info.value)
    assert "EPSG:3857" in message
    assert "longitude/latitude" in message
    assert "EPSG:4326" in message  # what to send instead


def test_eastings_without_the_zone_prefix_are_refused_naming_the_crs_and_its_zone():
    x, y = _to(4545, *CAIJIAPO)  # ~462,000 — the same projection without the zone prefix
    with pytest.raises(ImplausibleCoordinates) as info:
        check_plausible(_square(x, y, 100.0), 4524)
    message = str(info.value)
    assert "EPSG:4524" in message
    assert "zone number 36" in message
    assert "36,500,000" in message


def test_zone_prefixed_eastings_sent_in_a_crs_without_the_prefix_are_refused():
    x, y = _to(4524, *CAIJIAPO)
    with pytest.raises(ImplausibleCoordinates) as info:
        check_plausible(_square(x, y, 100.0), 4545)
    message = str(info.value)
    assert "EPSG:4545" in message
    assert "zone" in message


def test_metres_sent_as_longitude_latitude_are_refused_naming_the_crs():
    x, y = _to(4545, *CAIJIAPO)
    with pytest.raises(ImplausibleCoordinates) as info:
        check_plausible(_square(x, y, 100.0), 4326)
    assert "EPSG:4326" in str(info.value)


@pytest.mark.parametrize("epsg", [4490, 4545])
def test_a_place_outside_the_area_the_crs_is_meant_for_is_refused(epsg):
    x, y = _to(epsg, *NEW_YORK) if epsg != 4490 else NEW_YORK
    with pytest.raises(ImplausibleCoordinates) as info:
        check_plausible(_square(x, y, 0.001 if epsg == 4490 else 100.0), epsg)
    message = str(info.value)
    assert f"EPSG:{epsg}" in message
    assert "area" in message


def test_new_york_in_longitude_latitude_is_plausible_for_wgs84_and_left_to_the_park_check():
    # EPSG:4326 is meant for the whole world: whether the parcel lies in its park is the
    # placement rule's question, not the CRS's.
    check_plausible(_square(*NEW_YORK, 0.001), 4326)


def test_parcel_geometry_refuses_lonlat_declared_as_web_mercator_before_projecting():
    lon, lat = CAIJIAPO
    obj = mapping(box(lon, lat, lon + 0.002, lat + 0.002))
    with pytest.raises(ImplausibleCoordinates, match="EPSG:3857"):
        parcel_geometry(obj, src_epsg=3857, storage_epsg=4545, what="geometry")


# --- heights: dropped ---------------------------------------------------------------------------


def _with_height(ring, z: float = 612.5):
    return [[x, y, z] for x, y in ring]


def test_heights_in_3d_coordinates_are_dropped():
    ring = [[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0], [0.0, 0.0]]
    geom = from_geojson({"type": "Polygon", "coordinates": [_with_height(ring)]})
    assert not geom.has_z
    assert [list(c) for c in geom.exterior.coords] == ring


@pytest.mark.parametrize("src", [4545, 4326])
def test_a_3d_parcel_becomes_the_2d_parcel_with_the_same_planar_area(src):
    x, y = _to(4545, *CAIJIAPO)
    flat = box(round(x), round(y), round(x) + 30, round(y) + 20)
    sent = flat if src == 4545 else shapely.transform(flat, lambda c: _transform(c, 4545, src))
    ring = [list(c) for c in sent.exterior.coords]
    geom = parcel_geometry(
        {"type": "Polygon", "coordinates": [_with_height(ring)]}, src_epsg=src, storage_epsg=4545
    )
    assert isinstance(geom, MultiPolygon)
    assert not geom.has_z
    expected = shapely.area(shapely.transform(sent, lambda c: _transform(c, src, 4545)))
    assert geom.area == pytest.approx(expected, abs=1e-6)
    if src == 4545:
        assert geom.area == 600.0


def test_a_position_with_a_fourth_number_is_refused():
    ring = [[0, 0, 1, 2], [1, 0, 1, 2], [1, 1, 1, 2], [0, 0, 1, 2]]
    with pytest.raises(InvalidGeometry, match="malformed coordinates"):
        from_geojson({"type": "Polygon", "coordinates": [ring]})


def _transform(coords, src: int, dst: int):
    import numpy as np

    tr = Transformer.from_crs(f"EPSG:{src}", f"EPSG:{dst}", always_xy=True)
    return np.column_stack(tr.transform(coords[:, 0], coords[:, 1]))

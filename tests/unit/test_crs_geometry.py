"""CRS parsing and transforms (always x = easting/longitude), and parcel geometry from
GeoJSON: polygonal only, valid only (with the reason), MultiPolygon in EPSG:4545."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Point, Polygon, box

from gis.crs import lonlat_to_xy, parse_crs, transform
from gis.errors import ImplausibleCoordinates, InvalidGeometry, UnknownCRS
from gis.geometry import (
    area_m2,
    as_multipolygon,
    ensure_valid,
    from_geojson,
    parcel_geometry,
    validity_reason,
)

CAIJIAPO = (107.59, 34.315)  # lon, lat near the Caijiapo park centre

# --- parse_crs ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["EPSG:4545", "epsg:4545", "4545", 4545, " EPSG:4545 ", "urn:ogc:def:crs:EPSG::4545"],
)
def test_parse_crs_reads_every_spelling_of_epsg_4545(value):
    assert parse_crs(value) == 4545


@pytest.mark.parametrize(
    "value", ["CRS84", "OGC:CRS84", "urn:ogc:def:crs:OGC:1.3:CRS84", "crs84", "EPSG:4326"]
)
def test_parse_crs_reads_crs84_as_wgs84(value):
    assert parse_crs(value) == 4326


def test_parse_crs_reads_geographic_cgcs2000():
    assert parse_crs("EPSG:4490") == 4490


@pytest.mark.parametrize("value", [None, ""])
def test_parse_crs_gives_the_default_when_nothing_is_named(value):
    assert parse_crs(value) == 4326
    assert parse_crs(value, default=4545) == 4545


@pytest.mark.parametrize(
    "value", ["EPSG:99999", "99999", "not a crs", "EPSG:", "urn:ogc:def:crs:EPSG::0"]
)
def test_parse_crs_refuses_what_pyproj_does_not_know(value):
    with pytest.raises(UnknownCRS, match="CRS"):
        parse_crs(value)


def test_parse_crs_refuses_a_crs_without_an_epsg_code():
    wkt_without_id = (
        'GEOGCRS["made up",DATUM["d",ELLIPSOID["e",6378137,298.257223563]],'
        'CS[ellipsoidal,2],AXIS["lat",north],AXIS["lon",east],ANGLEUNIT["degree",0.0174532925199433]]'
    )
    with pytest.raises(UnknownCRS, match="no EPSG code"):
        parse_crs(wkt_without_id)


# --- transforms ----------------------------------------------------------------------------


def _reference(src: int, dst: int) -> Transformer:
    return Transformer.from_crs(f"EPSG:{src}", f"EPSG:{dst}", always_xy=True)


def test_a_lonlat_point_lands_on_the_easting_and_northing_pyproj_computes():
    x_ref, y_ref = _reference(4326, 4545).transform(*CAIJIAPO)
    x, y = lonlat_to_xy(*CAIJIAPO)
    assert (x, y) == pytest.approx((x_ref, y_ref), abs=1e-6)
    moved = transform(Point(*CAIJIAPO), 4326, 4545)
    assert (moved.x, moved.y) == pytest.approx((x_ref, y_ref), abs=1e-6)


def test_x_is_easting_and_y_is_northing_whatever_the_crs_declares():
    x, y = lonlat_to_xy(*CAIJIAPO)
    # 107.59°E is ~38 km west of the 108°E central meridian (false easting 500 km) and
    # 34.315°N is ~3 800 km north of the equator.
    assert 455_000 < x < 470_000
    assert 3_790_000 < y < 3_810_000
    # EPSG:4545 itself declares (northing, easting): the authority order is the swap.
    northing, easting = Transformer.from_crs("EPSG:4326", "EPSG:4545").transform(
        CAIJIAPO[1], CAIJIAPO[0]
    )
    assert (x, y) == pytest.approx((easting, northing), abs=1e-6)


def test_a_point_goes_to_epsg4545_and_back_to_where_it_was():
    there = transform(Point(*CAIJIAPO), 4326, 4545)
    back = transform(there, 4545, 4326)
    assert (back.x, back.y) == pytest.approx(CAIJIAPO, abs=1e-9)


def test_a_hundred_metre_square_keeps_its_ten_thousand_m2_through_wgs84_and_back():
    x, y = lonlat_to_xy(*CAIJIAPO)
    square = box(x, y, x + 100, y + 100)
    in_degrees = transform(square, 4545, 4326)
    back = transform(in_degrees, 4326, 4545)
    assert shapely.area(back) == pytest.approx(10000, abs=0.01)
    assert shapely.equals_exact(back, square, tolerance=1e-6)
    # ...and in degrees it really is about 100 m on a side at this latitude.
    minx, miny, maxx, maxy = in_degrees.bounds
    assert (maxy - miny) * 111_000 == pytest.approx(100, rel=0.02)
    assert (maxx - minx) * 111_000 * math.cos(math.radians(34.315)) == pytest.approx(100, rel=0.02)


def test_transform_to_the_same_crs_returns_the_geometry_unchanged():
    square = box(0, 0, 1, 1)
    assert transform(square, 4545, 4545) is square


def test_transform_accepts_an_array_of_geometries():
    x, y = lonlat_to_xy(*CAIJIAPO)
    squares = [box(x, y, x + 10, y + 10), box(x + 20, y, x + 50, y + 10)]
    moved = transform(np.array(squares, dtype=object), 4545, 4326)
    assert len(moved) == 2
    ref = _reference(4545, 4326)
    for got, original in zip(moved, squares, strict=True):
        xs, ys = ref.transform(*np.asarray(original.exterior.coords).T)
        assert np.allclose(np.asarray(got.exterior.coords), np.column_stack([xs, ys]), atol=1e-12)


# --- from_geojson --------------------------------------------------------------------------


def _ring(x: float, y: float, size: float) -> list[list[float]]:
    return [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]


def test_from_geojson_reads_a_polygon_and_a_multipolygon_and_unwraps_a_feature():
    poly = {"type": "Polygon", "coordinates": [_ring(0, 0, 10)]}
    multi = {"type": "MultiPolygon", "coordinates": [[_ring(0, 0, 10)], [_ring(20, 0, 5)]]}
    assert from_geojson(poly).area == 100
    assert from_geojson(multi).area == 125
    assert from_geojson({"type": "Feature", "geometry": poly, "properties": {}}).area == 100


@pytest.mark.parametrize(
    ("obj", "reason"),
    [
        ({"type": "Point", "coordinates": [1, 2]}, "not Point"),
        ({"type": "LineString", "coordinates": [[0, 0], [1, 1]]}, "not LineString"),
        ({"type": "GeometryCollection", "geometries": []}, "not GeometryCollection"),
        ("POLYGON ((0 0, 1 0, 1 1, 0 0))", "not a GeoJSON geometry"),
        ([[0, 0], [1, 0], [1, 1]], "not a GeoJSON geometry"),
        ({"coordinates": [_ring(0, 0, 1)]}, "not a GeoJSON geometry"),
        (None, "not a GeoJSON geometry"),
        ({"type": "Feature", "geometry": None}, "not a GeoJSON geometry"),
        ({"type": "Polygon", "coordinates": "garbage"}, "malformed"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1]]]}, "malformed"),
        ({"type": "Polygon", "coordinates": []}, "empty"),
        ({"type": "MultiPolygon", "coordinates": []}, "empty"),
        (
            {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [float("nan"), 1], [0, 0]]]},
            "not finite",
        ),
        (
            {"type": "Polygon", "coordinates": [[[0, 0], [float("inf"), 0], [1, 1], [0, 0]]]},
            "not finite",
        ),
    ],
)
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_from_geojson_refuses_what_is_not_a_polygon_naming_what(obj, reason):
    with pytest.raises(InvalidGeometry) as caught:
        from_geojson(obj, what="operations[2].geometry")
    message = str(caught.value)
    assert message.startswith("operations[2].geometry ")
    assert reason in message


# --- validity ------------------------------------------------------------------------------

BOW_TIE = Polygon([(0, 0), (10, 10), (10, 0), (0, 10), (0, 0)])


def test_a_valid_polygon_has_no_validity_reason_and_passes_ensure_valid():
    square = box(0, 0, 10, 10)
    assert validity_reason(square) is None
    assert ensure_valid(square) is square


def test_ensure_valid_refuses_a_bow_tie_saying_self_intersection():
    assert "Self-intersection" in validity_reason(BOW_TIE)
    with pytest.raises(InvalidGeometry, match=r"^parcel GX-9999 is not valid: Self-intersection"):
        ensure_valid(BOW_TIE, what="parcel GX-9999")


def test_ensure_valid_never_repairs_the_geometry():
    with pytest.raises(InvalidGeometry):
        ensure_valid(BOW_TIE)
    assert not BOW_TIE.is_valid  # the caller's geometry is left as it was


def test_as_multipolygon_wraps_a_polygon_and_refuses_a_point():
    assert isinstance(as_multipolygon(box(0, 0, 1, 1)), MultiPolygon)
    multi = MultiPolygon([box(0, 0, 1, 1)])
    assert as_multipolygon(multi) is multi
    with pytest.raises(InvalidGeometry, match="Point"):
        as_multipolygon(Point(0, 0))


# --- parcel_geometry -----------------------------------------------------------------------


def test_parcel_geometry_from_wgs84_is_a_multipolygon_in_epsg4545_with_the_planar_area():
    lon, lat = CAIJIAPO
    ring = _ring(lon, lat, 0.002)
    geom = parcel_geometry(
        {"type": "Polygon", "coordinates": [ring]}, src_epsg=4326, storage_epsg=4545
    )
    assert isinstance(geom, MultiPolygon)
    ref = _reference(4326, 4545)
    expected = Polygon([ref.transform(x, y) for x, y in ring])
    assert area_m2(geom) == pytest.approx(expected.area, abs=0.01)
    # a 0.002° square at 34.3°N is about 184 m × 222 m
    assert 35_000 < area_m2(geom) < 45_000
    assert geom.bounds[0] == pytest.approx(ref.transform(lon, lat)[0], abs=1e-6)


def test_parcel_geometry_in_the_storage_crs_keeps_its_coordinates_and_area():
    ring = _ring(462_000, 3_798_000, 100)
    geom = parcel_geometry(
        {"type": "Polygon", "coordinates": [ring]}, src_epsg=4545, storage_epsg=4545
    )
    assert isinstance(geom, MultiPolygon)
    assert area_m2(geom) == 10000
    assert list(geom.geoms[0].exterior.coords) == [tuple(p) for p in ring]


def test_parcel_geometry_refuses_a_bow_tie_naming_what_and_why():
    lon, lat = CAIJIAPO
    bow = [[lon, lat], [lon + 0.001, lat + 0.001], [lon + 0.001, lat], [lon, lat + 0.001]]
    with pytest.raises(InvalidGeometry, match="new parcel is not valid: Self-intersection"):
        parcel_geometry(
            {"type": "Polygon", "coordinates": [[*bow, bow[0]]]},
            src_epsg=4326,
            storage_epsg=4545,
            what="new parcel",
        )


def test_parcel_geometry_refuses_metres_declared_as_degrees_naming_the_crs():
    # A surveyor's EPSG:4545 coordinates sent as EPSG:4326 are no longitudes and latitudes:
    # refused before they are projected (to infinity), naming the CRS they were sent in.
    ring = _ring(462_000, 3_798_000, 100)
    with pytest.raises(ImplausibleCoordinates, match="^parcel has coordinates .* EPSG:4326"):
        parcel_geometry(
            {"type": "Polygon", "coordinates": [ring]},
            src_epsg=4326,
            storage_epsg=4545,
            what="parcel",
        )

"""No database: a CRS is guessed from the coordinates of a layer that came without one, the
EPSG code of a .prj's WKT is found, and points outside a CRS's area of use are flagged.

Expected coordinates are made with pyproj transformers of our own (always_xy) from the
Caijiapo park's longitude/latitude; expected EPSG codes are checked against what pyproj
says the CRS is (central meridian, false easting), not against our own formula.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from pyproj import CRS, Transformer

from gis.crs import (
    epsg_of,
    gk3_cm_epsg,
    gk3_zone_epsg,
    gk6_zone_epsg,
    guess_crs,
    outside_area_of_use,
)

CAIJIAPO = (107.59, 34.315)  # lon, lat


def _to(epsg: int, lon: float, lat: float) -> tuple[float, float]:
    x, y = Transformer.from_crs("EPSG:4326", f"EPSG:{epsg}", always_xy=True).transform(lon, lat)
    return float(x), float(y)


def _around(epsg: int, size: float = 500.0) -> tuple[float, float, float, float]:
    x, y = _to(epsg, *CAIJIAPO)
    return (x, y, x + size, y + size)


def _tm(epsg: int) -> tuple[float, float]:
    """(central meridian, false easting) pyproj gives for *epsg*."""
    params = {p.name: p.value for p in CRS.from_epsg(epsg).coordinate_operation.params}
    return params["Longitude of natural origin"], params["False easting"]


# --- the EPSG codes of CGCS2000 Gauss-Kruger zones, as pyproj defines them ---------------------


@pytest.mark.parametrize("zone", [25, 36, 45])
def test_three_degree_zone_codes_are_the_zone_with_its_number_in_front(zone):
    assert _tm(gk3_zone_epsg(zone)) == (3.0 * zone, zone * 1_000_000 + 500_000)
    assert "3-degree" in CRS.from_epsg(gk3_zone_epsg(zone)).name


def test_zone_36_is_epsg_4524_with_central_meridian_108():
    assert gk3_zone_epsg(36) == 4524
    assert _tm(4524) == (108.0, 36_500_000.0)


@pytest.mark.parametrize("zone", [13, 18, 23])
def test_six_degree_zone_codes_are_the_zone_with_its_number_in_front(zone):
    assert _tm(gk6_zone_epsg(zone)) == (6.0 * zone - 3, zone * 1_000_000 + 500_000)


@pytest.mark.parametrize("cm", [75, 108, 135])
def test_unprefixed_three_degree_codes_have_their_central_meridian(cm):
    assert _tm(gk3_cm_epsg(cm)) == (float(cm), 500_000.0)
    assert "3-degree" in CRS.from_epsg(gk3_cm_epsg(cm)).name


# --- guessing ----------------------------------------------------------------------------------


def test_zone_prefixed_eastings_are_guessed_as_epsg_4524():
    bounds = _around(4524)
    assert 36_400_000 < bounds[0] < 36_500_000  # Caijiapo lies west of 108°E
    epsg, why = guess_crs(bounds)
    assert epsg == 4524
    assert "eastings of 36,4xx,xxx" in why
    assert "zone prefix 36" in why
    assert "EPSG:4524" in why


def test_six_degree_zone_prefixed_eastings_are_guessed_in_their_zone():
    epsg, why = guess_crs(_around(4496))  # 6-degree zone 18, CM 105°E
    assert epsg == 4496
    assert "zone prefix 18" in why and "6-degree" in why


def test_unprefixed_eastings_are_guessed_as_cm_108_saying_it_is_assumed():
    bounds = _around(4545)
    epsg, why = guess_crs(bounds)
    assert epsg == 4545
    assert "without zone prefix" in why
    assert "108°E" in why and "assumed" in why
    assert "EPSG:4545" in why


def test_unprefixed_eastings_use_the_central_meridian_given():
    epsg, why = guess_crs(_around(4546), central_meridian_deg=111)
    assert epsg == 4546
    assert _tm(4546)[0] == 111.0
    assert "111°E" in why


def test_degrees_are_guessed_as_cgcs2000_geographic_naming_wgs84_too():
    epsg, why = guess_crs((107.58, 34.30, 107.60, 34.32))
    assert epsg == 4490
    assert "longitude/latitude" in why
    assert "EPSG:4490" in why and "EPSG:4326" in why


@pytest.mark.parametrize(
    "bounds",
    [
        (1_000.0, 2_000.0, 1_500.0, 2_500.0),  # a local site grid
        (462_000.0, 100.0, 463_000.0, 900.0),  # eastings, but no northing of China
        (36_462_000.0, 3_798_000.0, 37_100_000.0, 3_799_000.0),  # two zones at once
        (12_000_000.0, 4_000_000.0, 12_001_000.0, 4_001_000.0),  # web mercator metres
    ],
)
def test_coordinates_of_no_known_kind_cannot_be_told(bounds):
    epsg, why = guess_crs(bounds)
    assert epsg is None
    assert why.startswith("cannot tell")


def test_a_layer_without_coordinates_cannot_be_told():
    assert guess_crs((np.nan,) * 4)[0] is None


# --- EPSG code of a .prj's WKT ------------------------------------------------------------------


@pytest.mark.parametrize("epsg", [4545, 4524, 4490, 2383])
@pytest.mark.parametrize("flavour", ["WKT1_ESRI", "WKT1_GDAL", "WKT2_2019"])
def test_wkt_as_arcgis_qgis_and_gdal_write_it_resolves_to_its_epsg_code(epsg, flavour):
    wkt = CRS.from_epsg(epsg).to_wkt(flavour)
    assert epsg_of(wkt) == epsg


@pytest.mark.parametrize("epsg", [4545, 4524])
def test_wkt_without_authority_resolves_to_its_epsg_code(epsg):
    wkt = re.sub(r',AUTHORITY\["EPSG","\d+"\]', "", CRS.from_epsg(epsg).to_wkt("WKT1_GDAL"))
    assert "AUTHORITY" not in wkt
    assert epsg_of(wkt) == epsg


def test_an_arcgis_prj_of_cgcs2000_cm_108_names_4545():
    prj = (
        'PROJCS["CGCS2000_3_Degree_GK_CM_108E",GEOGCS["GCS_China_Geodetic_Coordinate_System_'
        '2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM['
        '"Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],'
        'PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER['
        '"Central_Meridian",108.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_'
        'Origin",0.0],UNIT["Meter",1.0]]'
    )
    assert epsg_of(prj) == 4545


def test_a_crs_with_no_epsg_entry_has_no_code():
    assert epsg_of("+proj=tmerc +lon_0=108.25 +x_0=500000 +ellps=GRS80 +units=m") is None


# --- area of use --------------------------------------------------------------------------------


def test_points_near_the_park_are_inside_epsg_4545s_area_and_far_ones_outside():
    park = _to(4545, *CAIJIAPO)
    kashgar = _to(4545, 75.99, 39.47)  # transformable, but 32° west of the zone
    zone_prefixed = (park[0] + 36_000_000, park[1])  # 4524's numbers sent as 4545
    xs = [park[0], kashgar[0], zone_prefixed[0], np.nan]
    ys = [park[1], kashgar[1], zone_prefixed[1], 3_800_000.0]
    assert outside_area_of_use(4545, xs, ys).tolist() == [False, True, True, True]


def test_the_margin_widens_the_area_of_use():
    west_edge = CRS.from_epsg(4545).area_of_use.west  # 106.5°E
    x, y = _to(4545, west_edge - 0.3, 34.3)
    assert outside_area_of_use(4545, [x], [y]).tolist() == [False]
    assert outside_area_of_use(4545, [x], [y], margin_deg=0.1).tolist() == [True]


def test_longitudes_and_latitudes_out_of_range_are_outside_epsg_4326():
    xs = np.array([107.59, 200.0, 10.0, -179.9])
    ys = np.array([34.315, 10.0, 95.0, -89.0])
    assert outside_area_of_use(4326, xs, ys).tolist() == [False, True, True, False]


def test_metres_sent_as_degrees_are_outside_epsg_4326():
    x, y = _to(4545, *CAIJIAPO)
    assert outside_area_of_use(4326, [x], [y]).tolist() == [True]

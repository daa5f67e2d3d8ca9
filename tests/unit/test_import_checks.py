"""No database: which findings about an imported file's features are problems, of which
kind and severity, with which measure and place (``parks.imports.checks``, measuring with
``gis.quality``), on geometry built here in EPSG:4545 metres; expected areas come from the
construction."""

from __future__ import annotations

import pytest
from pyproj import Transformer
from shapely.geometry import LineString, Point, Polygon, box

import gis.quality
from parks.imports.checks import (
    check_features,
    code_retired_problem,
    crs_out_of_range_problem,
    invalid_value_problem,
    missing_field_problem,
    outside_park_problem,
    overlap_existing_problem,
    park_differs_problem,
    unknown_land_use_problem,
)
from parks.imports.problems import ProblemKind, Severity

X0, Y0 = 437_000.0, 3_800_000.0
TO_LONLAT = Transformer.from_crs("EPSG:4545", "EPSG:4326", always_xy=True).transform


def rect(x1: float, y1: float, x2: float, y2: float) -> Polygon:
    return box(X0 + x1, Y0 + y1, X0 + x2, Y0 + y2)


def check(geoms, codes=None, **options):
    codes = codes or [f"GX-{n:03d}" for n in range(1, len(geoms) + 1)]
    rows = list(range(1, len(geoms) + 1))
    return check_features(rows, codes, geoms, quality=gis.quality, to_lonlat=TO_LONLAT, **options)


def of_kind(problems, kind):
    return [p for p in problems if p.kind is kind]


def test_sound_neighbours_have_no_problem():
    assert check([rect(0, 0, 50, 100), rect(50, 0, 100, 100)]) == []


def test_bow_tie_is_blocking_with_the_self_intersection_point():
    bow_tie = Polygon([(X0, Y0), (X0 + 10, Y0 + 10), (X0 + 10, Y0), (X0, Y0 + 10)])
    (problem,) = check([rect(100, 0, 200, 100), bow_tie])
    assert problem.kind is ProblemKind.INVALID_GEOMETRY and problem.blocking
    assert (problem.row, problem.parcel_code) == (2, "GX-002")
    # The diagonals of the 10 m square cross at its centre, (X0 + 5, Y0 + 5).
    assert problem.message.startswith(
        f"Self-intersection at x={X0 + 5:.1f}, y={Y0 + 5:.1f} (EPSG:4545)"
    )
    lon, lat = TO_LONLAT(X0 + 5, Y0 + 5)
    assert (problem.lon, problem.lat) == pytest.approx((lon, lat))


def test_empty_geometry_is_blocking_and_has_no_place():
    (problem,) = check([rect(0, 0, 10, 10), None])
    assert problem.kind is ProblemKind.EMPTY_GEOMETRY and problem.blocking
    assert problem.row == 2 and problem.lon is None


def test_an_open_line_is_an_invalid_geometry_not_a_parcel():
    line = LineString([(X0, Y0), (X0 + 10, Y0), (X0 + 10, Y0 + 10)])
    (problem,) = check([line])
    assert problem.kind is ProblemKind.INVALID_GEOMETRY
    assert "LineString" in problem.message


def test_duplicate_code_is_blocking_on_every_row_after_the_first_naming_the_first():
    geoms = [rect(0, 0, 10, 10), rect(20, 0, 30, 10), rect(40, 0, 50, 10)]
    problems = check(geoms, codes=["A-1", "B-1", "A-1 "])
    (problem,) = problems
    assert problem.kind is ProblemKind.DUPLICATE_CODE and problem.blocking
    assert (problem.row, problem.parcel_code) == (3, "A-1")
    assert "row 1" in problem.message
    assert Point(TO_LONLAT(X0 + 45, Y0 + 5)).distance(Point(problem.lon, problem.lat)) < 1e-4


def test_overlap_of_0_3_m_between_features_is_blocking_with_its_area():
    geoms = [rect(0, 0, 50, 100), rect(49.7, 0, 100, 100)]
    (problem,) = check(geoms)
    assert problem.kind is ProblemKind.OVERLAP_IN_FILE and problem.blocking
    assert problem.measure == pytest.approx(0.3 * 100) and problem.unit == "m2"
    assert (problem.row, problem.other) == (2, "GX-001")
    lon, lat = problem.lon, problem.lat
    strip = Polygon([TO_LONLAT(x, y) for x, y in rect(49.7, 0, 50, 100).exterior.coords])
    assert strip.buffer(1e-9).contains(Point(lon, lat))


def test_overlap_within_the_area_tolerance_is_not_a_problem():
    geoms = [rect(0, 0, 50, 100), rect(49.99995, 0, 100, 100)]  # 0.005 m²
    assert check(geoms) == []


def test_sliver_gap_of_half_a_metre_between_neighbours_is_a_warning():
    geoms = [rect(0, 0, 50, 100), rect(50.5, 0, 100, 100)]
    (problem,) = check(geoms)
    assert problem.kind is ProblemKind.GAP and problem.severity is Severity.WARNING
    assert problem.measure == pytest.approx(0.5 * 100)
    assert (problem.row, problem.other) == (1, "GX-002")


def test_declared_area_five_percent_off_is_a_mismatch():
    computed = 100.0 * 100.0
    (problem,) = check([rect(0, 0, 100, 100)], declared_area_m2=[computed * 1.05])
    assert problem.kind is ProblemKind.AREA_MISMATCH and not problem.blocking
    assert problem.measure == pytest.approx(computed * 0.05)
    assert "10,500.00 m²" in problem.message and "10,000.00 m²" in problem.message


def test_declared_area_within_a_square_metre_of_a_small_parcel_is_no_mismatch():
    # 0.1 % of 400 m² is 0.4 m², less than the 1 m² always allowed.
    assert check([rect(0, 0, 20, 20)], declared_area_m2=[400.9]) == []
    assert len(check([rect(0, 0, 20, 20)], declared_area_m2=[401.1])) == 1


def test_declared_area_more_than_0_1_percent_off_a_large_parcel_is_a_mismatch():
    computed = 1000.0 * 1000.0  # 0.1 % of it is 1,000 m²
    assert check([rect(0, 0, 1000, 1000)], declared_area_m2=[computed + 999]) == []
    (problem,) = check([rect(0, 0, 1000, 1000)], declared_area_m2=[computed - 1001])
    assert problem.kind is ProblemKind.AREA_MISMATCH
    assert problem.measure == pytest.approx(1001)


def test_features_without_a_declared_area_are_not_compared():
    assert check([rect(0, 0, 10, 10)], declared_area_m2=[None]) == []


def test_parcel_smaller_than_a_square_metre_is_a_tiny_warning():
    (problem,) = check([rect(0, 0, 0.5, 1)])
    assert problem.kind is ProblemKind.TINY and not problem.blocking
    assert problem.measure == pytest.approx(0.5 * 1)


def test_an_invalid_geometry_is_not_also_measured_for_overlap_or_area():
    bow_tie = Polygon([(X0, Y0), (X0 + 10, Y0 + 10), (X0 + 10, Y0), (X0, Y0 + 10)])
    problems = check([bow_tie, rect(0, 0, 10, 10)], declared_area_m2=[5000.0, None])
    assert [p.kind for p in problems] == [ProblemKind.INVALID_GEOMETRY]


def test_problems_come_in_row_order_and_every_located_one_is_in_the_region():
    geoms = [rect(0, 0, 50, 100), rect(50.5, 0, 100, 100), rect(99.7, 0, 150, 100), None]
    problems = check(geoms)
    assert [(p.row, p.kind) for p in problems] == [
        (1, ProblemKind.GAP),
        (3, ProblemKind.OVERLAP_IN_FILE),
        (4, ProblemKind.EMPTY_GEOMETRY),
    ]
    for p in problems[:2]:
        assert 107 < p.lon < 108 and 34 < p.lat < 35


# --- the problems found elsewhere ----------------------------------------------------------


def test_overlap_with_a_standing_parcel_is_blocking_and_names_it():
    p = overlap_existing_problem(3, "GX-003", "GX-900", 12.5, (107.3, 34.3))
    assert p.kind is ProblemKind.OVERLAP_EXISTING and p.blocking
    assert (p.other, p.measure, p.unit, p.lon, p.lat) == ("GX-900", 12.5, "m2", 107.3, 34.3)
    assert "GX-900" in p.message and "12.50 m²" in p.message


def test_land_outside_the_park_is_blocking_with_its_area():
    p = outside_park_problem(2, "GX-002", "gaoxin", 250.0, None)
    assert p.kind is ProblemKind.OUTSIDE_PARK and p.blocking
    assert p.measure == 250.0 and "gaoxin" in p.message


def test_coordinates_outside_the_crs_are_blocking_and_point_at_crs_option():
    p = crs_out_of_range_problem("EPSG:4545", "eastings of 36,4xx,xxx look zone-prefixed")
    assert p.kind is ProblemKind.CRS_OUT_OF_RANGE and p.blocking and p.row is None
    assert "--crs" in p.message and "36,4xx,xxx" in p.message


def test_unknown_land_use_is_blocking_and_suggests_a_class_map():
    p = unknown_land_use_problem(4, "GX-004", "M1")
    assert p.kind is ProblemKind.UNKNOWN_LAND_USE and p.blocking
    assert "'M1'" in p.message and "--class-map" in p.message and p.other == "M1"


def test_invalid_value_names_the_field_the_value_and_the_reason():
    p = invalid_value_problem(5, "GX-005", "status", "在售", "not a status; accepted: ...")
    assert p.kind is ProblemKind.INVALID_VALUE and p.blocking
    assert p.message == "status '在售': not a status; accepted: ..."


def test_retired_code_is_blocking_because_codes_are_not_reused():
    p = code_retired_problem(6, "GX-006", retired_on="2025-01-01")
    assert p.kind is ProblemKind.CODE_RETIRED and p.blocking
    assert "2025-01-01" in p.message and "not reused" in p.message


def test_a_file_that_puts_a_standing_parcel_in_another_park_is_a_warning():
    p = park_differs_problem(7, "GX-007", "jiangtan", "gaoxin")
    assert p.kind is ProblemKind.PARK_DIFFERS and not p.blocking
    assert p.other == "gaoxin" and "jiangtan" in p.message


def test_a_missing_required_column_is_blocking_and_lists_the_files_columns():
    p = missing_field_problem("parcel_code", columns=["OBJECTID", "备注"])
    assert p.kind is ProblemKind.MISSING_FIELD and p.blocking and p.row is None
    assert "OBJECTID, 备注" in p.message and "--map COLUMN=parcel_code" in p.message


def test_an_empty_required_value_is_a_missing_field_of_its_row():
    p = missing_field_problem("land_use_code", row=8, code="GX-008")
    assert (p.kind, p.row, p.parcel_code) == (ProblemKind.MISSING_FIELD, 8, "GX-008")

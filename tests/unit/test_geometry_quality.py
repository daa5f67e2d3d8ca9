"""No database: how sound a set of polygons is (``gis.quality``) — invalid ones with GEOS's
reason and place, empty and non-polygonal ones, overlaps and narrow gaps between
neighbours — on geometry built here in EPSG:4545 metres, with the expected areas worked
out from the construction."""

from __future__ import annotations

import pytest
import shapely
from shapely.geometry import LineString, Point, Polygon, box

from gis.quality import (
    empty_indices,
    invalid_reasons,
    narrow_gaps,
    non_polygonal,
    overlaps_against,
    overlaps_within,
    reason_location,
    sound_mask,
)

X0, Y0 = 437_000.0, 3_800_000.0


def rect(x1: float, y1: float, x2: float, y2: float) -> Polygon:
    return box(X0 + x1, Y0 + y1, X0 + x2, Y0 + y2)


def bow_tie() -> Polygon:
    return Polygon([(X0, Y0), (X0 + 10, Y0 + 10), (X0 + 10, Y0), (X0, Y0 + 10)])


# --- validity -------------------------------------------------------------------------------


def test_bow_tie_is_invalid_with_geos_reason_and_the_crossing_point():
    ((index, reason, place),) = invalid_reasons([rect(0, 0, 10, 10), bow_tie()])
    assert index == 1
    assert reason.startswith("Self-intersection")
    # The diagonals of the 10 m square cross at its centre.
    assert place == pytest.approx((X0 + 5, Y0 + 5))


def test_valid_empty_and_missing_geometries_have_no_invalid_reason():
    assert invalid_reasons([rect(0, 0, 10, 10), None, Polygon()]) == []


def test_none_and_empty_geometries_are_empty():
    assert empty_indices([rect(0, 0, 1, 1), None, Polygon(), shapely.from_wkt("POINT EMPTY")]) == [
        1,
        2,
        3,
    ]


def test_lines_and_points_are_not_polygonal():
    geoms = [rect(0, 0, 1, 1), LineString([(X0, Y0), (X0 + 5, Y0)]), Point(X0, Y0), None]
    assert non_polygonal(geoms) == [(1, "LineString"), (2, "Point")]


def test_a_place_is_read_from_the_end_of_a_reason_when_it_names_one():
    assert reason_location("Self-intersection[437512.3 3801234.9]") == (437512.3, 3801234.9)
    assert reason_location("Too few points[nan nan]") is None
    assert reason_location("Valid Geometry") is None


def test_only_present_valid_polygons_are_sound():
    geoms = [rect(0, 0, 1, 1), bow_tie(), None, Polygon(), Point(X0, Y0)]
    assert sound_mask(geoms).tolist() == [True, False, False, False, False]


# --- overlaps -------------------------------------------------------------------------------


def test_overlap_of_0_3_m_along_100_m_is_found_with_its_area_and_a_point_inside():
    a, b = rect(0, 0, 50, 100), rect(49.7, 0, 100, 100)
    ((i, j, area, (x, y)),) = overlaps_within([a, b], min_area_m2=0.01)
    assert (i, j) == (0, 1)
    assert area == pytest.approx(0.3 * 100)  # the strip 49.7..50 × 0..100
    assert a.intersection(b).contains(Point(x, y))


def test_neighbours_that_only_touch_or_are_apart_do_not_overlap():
    geoms = [rect(0, 0, 50, 100), rect(50, 0, 100, 100), rect(200, 0, 300, 100)]
    assert overlaps_within(geoms, min_area_m2=0.01) == []


def test_overlap_smaller_than_the_minimum_is_left_out():
    geoms = [rect(0, 0, 50, 100), rect(49.99995, 0, 100, 100)]  # 0.00005 × 100 = 0.005 m²
    assert overlaps_within(geoms, min_area_m2=0.01) == []
    assert len(overlaps_within(geoms, min_area_m2=0.001)) == 1


def test_every_overlapping_pair_is_listed_once_in_index_order():
    geoms = [rect(0, 0, 10, 10), None, rect(5, 0, 15, 10), rect(8, 0, 20, 10)]
    pairs = [(i, j, round(area, 6)) for i, j, area, _ in overlaps_within(geoms, min_area_m2=0)]
    assert pairs == [(0, 2, 50.0), (0, 3, 20.0), (2, 3, 70.0)]


def test_invalid_geometries_are_not_measured_for_overlap():
    assert overlaps_within([bow_tie(), rect(0, 0, 10, 10)], min_area_m2=0.01) == []


def test_overlaps_against_a_second_set_name_an_index_in_each():
    mine = [rect(0, 0, 10, 10), rect(100, 0, 110, 10)]
    theirs = [rect(500, 0, 600, 10), rect(105, 0, 120, 10)]
    ((i, k, area, (x, y)),) = overlaps_against(mine, theirs, min_area_m2=0.01)
    assert (i, k) == (1, 1)
    assert area == pytest.approx(5 * 10)
    assert mine[1].intersection(theirs[1]).contains(Point(x, y))


# --- gaps -----------------------------------------------------------------------------------


def test_sliver_of_half_a_metre_between_neighbours_is_a_gap_with_its_area():
    a, b = rect(0, 0, 50, 100), rect(50.5, 0, 100, 100)
    ((area, (x, y), between),) = narrow_gaps([a, b], max_width_m=1.0)
    assert area == pytest.approx(0.5 * 100)  # the strip 50..50.5 × 0..100
    assert rect(50, 0, 50.5, 100).contains(Point(x, y))
    assert between == [0, 1]


def test_gap_neighbours_are_indexes_into_the_given_geometries_whatever_is_left_out():
    bow_tie = Polygon([(X0, Y0), (X0 + 10, Y0 + 10), (X0 + 10, Y0), (X0, Y0 + 10)])
    geoms = [None, bow_tie, rect(0, 0, 50, 100), Polygon(), rect(50.5, 0, 100, 100)]
    ((_, _, between),) = narrow_gaps(geoms, max_width_m=1.0)
    assert between == [2, 4]


def test_opening_wider_than_the_width_is_no_gap():
    geoms = [rect(0, 0, 50, 100), rect(55, 0, 100, 100)]  # a 5 m road between them
    assert narrow_gaps(geoms, max_width_m=1.0) == []


def test_neighbours_that_share_their_edge_leave_no_gap():
    geoms = [rect(0, 0, 50, 100), rect(50, 0, 100, 100), rect(0, 100, 100, 200)]
    assert narrow_gaps(geoms, max_width_m=1.0) == []


def test_a_narrow_notch_in_one_parcels_outer_edge_is_its_shape_not_a_gap():
    notched = rect(0, 0, 50, 100).difference(rect(20, 90, 20.5, 100))
    geoms = [notched, rect(50, 0, 100, 100)]
    assert narrow_gaps(geoms, max_width_m=1.0) == []


def test_a_hole_between_three_parcels_is_one_gap_between_all_three():
    # Three parcels around a 0.5 m × 10 m slot: left, right, and one below the slot.
    geoms = [rect(0, 10, 50, 100), rect(50.5, 10, 100, 100), rect(0, 0, 100, 10)]
    ((area, _, between),) = narrow_gaps(geoms, max_width_m=1.0)
    assert area == pytest.approx(0.5 * 90)
    assert between == [0, 1, 2]


def test_gaps_smaller_than_the_minimum_area_are_left_out():
    geoms = [rect(0, 0, 50, 1), rect(50.005, 0, 100, 1)]  # 0.005 m × 1 m = 0.005 m²
    assert narrow_gaps(geoms, max_width_m=1.0, min_area_m2=0.01) == []
    assert len(narrow_gaps(geoms, max_width_m=1.0, min_area_m2=0.001)) == 1


def test_a_gap_running_across_a_large_grid_is_found_once_whole():
    # 40 × 40 squares of 10 m (more than one search tile holds), the right half shifted
    # 0.5 m east: one sliver 0.5 m wide along the whole 400 m height.
    geoms = [
        rect(
            10 * i + (0.5 if i >= 20 else 0),
            10 * j,
            10 * i + 10 + (0.5 if i >= 20 else 0),
            10 * j + 10,
        )
        for i in range(40)
        for j in range(40)
    ]
    ((area, (x, _y), between),) = narrow_gaps(geoms, max_width_m=1.0)
    assert area == pytest.approx(0.5 * 400, rel=1e-6)
    assert X0 + 200 < x < X0 + 200.5
    assert between == sorted([19 * 40 + j for j in range(40)] + [20 * 40 + j for j in range(40)])

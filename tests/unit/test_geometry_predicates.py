"""No database: the measures the change rules judge (``gis.geometry``), on geometry built
here in EPSG:4545 metres, checked against what shapely computes directly."""

from __future__ import annotations

import pytest
import shapely
from shapely.geometry import MultiPolygon, box

from gis.geometry import (
    CoverMismatch,
    connected_groups,
    cover_mismatch_m2,
    overlap_area_m2,
    pairwise_overlap_m2,
)

X0, Y0 = 427_000.0, 3_802_000.0


def rect(x1: float, y1: float, x2: float, y2: float):
    return box(X0 + x1, Y0 + y1, X0 + x2, Y0 + y2)


def test_overlap_area_is_the_area_two_geometries_share():
    a, b = rect(0, 0, 60, 100), rect(40, 0, 100, 100)
    assert overlap_area_m2(a, b) == pytest.approx(a.intersection(b).area) == pytest.approx(2000)


def test_geometries_that_only_touch_or_are_apart_share_no_area():
    a = rect(0, 0, 50, 50)
    assert overlap_area_m2(a, rect(50, 0, 100, 50)) == 0.0
    assert overlap_area_m2(a, rect(80, 0, 100, 50)) == 0.0


def test_pairwise_overlaps_list_only_the_pairs_that_share_area_each_once():
    geoms = [rect(0, 0, 40, 100), rect(40, 0, 70, 100), rect(60, 0, 100, 100), rect(0, 0, 10, 10)]
    expected = {
        (i, j): geoms[i].intersection(geoms[j]).area
        for i in range(len(geoms))
        for j in range(i + 1, len(geoms))
        if geoms[i].intersection(geoms[j]).area > 0
    }
    assert set(expected) == {(0, 3), (1, 2)}
    assert pairwise_overlap_m2(geoms) == pytest.approx(expected)
    assert pairwise_overlap_m2(geoms[:1]) == {}


def test_cover_mismatch_is_the_area_left_uncovered_and_the_area_beyond():
    whole = rect(0, 0, 100, 100)
    parts = [rect(0, 0, 49, 100), MultiPolygon([rect(50, 0, 102, 100)])]
    union = shapely.union_all(parts)
    mismatch = cover_mismatch_m2(whole, parts)
    assert mismatch == CoverMismatch(
        uncovered_m2=pytest.approx(whole.difference(union).area),
        beyond_m2=pytest.approx(union.difference(whole).area),
    )
    assert (mismatch.uncovered_m2, mismatch.beyond_m2) == (pytest.approx(100), pytest.approx(200))
    assert mismatch.total_m2 == pytest.approx(whole.symmetric_difference(union).area)


def test_parts_that_cover_a_whole_exactly_miss_nothing():
    whole = rect(0, 0, 100, 100)
    assert cover_mismatch_m2(whole, [rect(0, 0, 50, 100), rect(50, 0, 100, 100)]) == (0.0, 0.0)


def test_connected_groups_follow_chains_within_the_distance():
    geoms = [
        rect(0, 0, 10, 10),
        rect(50, 0, 60, 10),
        rect(10, 0, 20, 10),  # touches 0
        rect(20.005, 0, 30, 10),  # 5 mm from 2
        rect(60.5, 0, 70, 10),  # 0.5 m from 1
    ]
    assert connected_groups(geoms, within_m=0.01) == [[0, 2, 3], [1], [4]]
    assert connected_groups(geoms, within_m=1.0) == [[0, 2, 3], [1, 4]]
    assert connected_groups(geoms, within_m=0.0) == [[0, 2], [1], [3], [4]]
    assert connected_groups([], within_m=1.0) == []

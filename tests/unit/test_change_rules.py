"""No database: the rules each operation of a change set keeps (``parks.change_rules``),
judged on what ``gis.geometry`` measures of geometry built here in EPSG:4545 metres. The
expected numbers are computed with shapely directly, not with the functions under test."""

from __future__ import annotations

from datetime import date

import pytest
import shapely
from shapely.affinity import translate
from shapely.geometry import box

from gis.geometry import connected_groups, cover_mismatch_m2, pairwise_overlap_m2
from parks.change_rules import (
    ParcelState,
    check_merge_touching,
    check_new_code,
    check_placement,
    check_split_parts,
    merged,
    rezoned,
    split_part,
    supplied,
    with_status,
)
from parks.errors import InvalidOperation
from parks.limits import InputLimits, area_problem
from parks.units import AREA_TOLERANCE_M2, TOUCH_TOLERANCE_M
from parks.vocabulary import AVAILABLE_STATUSES, ParcelStatus

#: A point in Caijiapo, EPSG:4545 (easting, northing in metres).
X0, Y0 = 456_000.0, 3_795_000.0


def square(x: float, y: float, side: float = 100.0):
    """A *side*-metre square whose south-west corner is *x*, *y* metres from the origin."""
    return box(X0 + x, Y0 + y, X0 + x + side, Y0 + y + side)


def parcel(code: str = "CJP-0001", **attrs) -> ParcelState:
    values = {
        "parcel_code": code,
        "park": "caijiapo",
        "land_use_code": "0601",
        "status": "reserve",
    }
    return ParcelState(**(values | attrs))


def judge_split(parent, parts: dict[str, object]) -> None:
    """The split rule on what gis measures of *parts* (code -> geometry) against *parent*."""
    geoms = list(parts.values())
    mismatch = cover_mismatch_m2(parent, geoms)
    check_split_parts(
        "CJP-0001",
        list(parts),
        overlaps_m2=pairwise_overlap_m2(geoms),
        uncovered_m2=mismatch.uncovered_m2,
        beyond_m2=mismatch.beyond_m2,
    )


def judge_merge(parts: dict[str, object]) -> None:
    """The merge adjacency rule on *parts* (code -> geometry), grouped by gis."""
    groups = connected_groups(list(parts.values()), within_m=TOUCH_TOLERANCE_M)
    check_merge_touching(list(parts), groups)


# --- split --------------------------------------------------------------------------------


def test_split_parts_that_cover_the_parent_exactly_are_accepted():
    parent = square(0, 0)
    judge_split(
        parent,
        {
            "CJP-0001-A": square(0, 0, 50) | square(0, 50, 50),
            "CJP-0001-B": box(X0 + 50, Y0, X0 + 100, Y0 + 100),
        },
    )


def test_split_parts_that_leave_a_gap_are_refused():
    parent = square(0, 0)
    west = box(X0, Y0, X0 + 49, Y0 + 100)  # a metre-wide strip left uncovered
    east = box(X0 + 50, Y0, X0 + 100, Y0 + 100)
    gap_m2 = parent.difference(shapely.union_all([west, east])).area
    assert gap_m2 == pytest.approx(100.0)
    with pytest.raises(InvalidOperation) as refused:
        judge_split(parent, {"CJP-0001-A": west, "CJP-0001-B": east})
    assert refused.value.message == (
        f"the parts do not cover parcel CJP-0001: they differ from it by {gap_m2:,.2f} m² "
        f"({gap_m2:,.2f} m² of it left uncovered, 0.00 m² beyond it; "
        f"allowed {AREA_TOLERANCE_M2} m²)"
    )


def test_split_parts_that_reach_beyond_the_parent_are_refused():
    parent = square(0, 0)
    west = box(X0, Y0, X0 + 50, Y0 + 100)
    east = box(X0 + 50, Y0, X0 + 103, Y0 + 100)  # three metres into the neighbour
    beyond_m2 = shapely.union_all([west, east]).difference(parent).area
    assert beyond_m2 == pytest.approx(300.0)
    with pytest.raises(InvalidOperation, match="do not cover parcel CJP-0001") as refused:
        judge_split(parent, {"CJP-0001-A": west, "CJP-0001-B": east})
    assert f"{beyond_m2:,.2f} m² beyond it" in refused.value.message


def test_split_parts_that_overlap_each_other_are_refused_naming_both():
    parent = square(0, 0)
    west = box(X0, Y0, X0 + 60, Y0 + 100)
    east = box(X0 + 40, Y0, X0 + 100, Y0 + 100)
    shared_m2 = west.intersection(east).area
    assert shared_m2 == pytest.approx(2000.0)
    with pytest.raises(InvalidOperation) as refused:
        judge_split(parent, {"CJP-0001-A": west, "CJP-0001-B": east})
    assert refused.value.message == (
        f"parts CJP-0001-A and CJP-0001-B overlap by {shared_m2:,.2f} m²"
    )


def test_split_parts_that_overlap_are_named_in_order_when_several_do():
    parent = square(0, 0)
    parts = {
        "A": box(X0, Y0, X0 + 40, Y0 + 100),
        "B": box(X0 + 40, Y0, X0 + 70, Y0 + 100),
        "C": box(X0 + 60, Y0, X0 + 100, Y0 + 100),  # overlaps B only
    }
    with pytest.raises(InvalidOperation, match=r"^parts B and C overlap by 1,000\.00 m²$"):
        judge_split(parent, parts)


def test_split_parts_off_by_less_than_the_tolerance_are_accepted():
    parent = square(0, 0)
    west = box(X0, Y0, X0 + 50, Y0 + 100)
    east = box(X0 + 50.00005, Y0, X0 + 100, Y0 + 100)  # a 0.005 m² sliver uncovered
    assert parent.difference(west | east).area < AREA_TOLERANCE_M2
    judge_split(parent, {"A": west, "B": east})


def test_split_parts_overlapping_by_less_than_the_tolerance_are_accepted():
    parent = square(0, 0)
    west = box(X0, Y0, X0 + 50.00005, Y0 + 100)
    east = box(X0 + 50, Y0, X0 + 100, Y0 + 100)
    assert 0 < west.intersection(east).area < AREA_TOLERANCE_M2
    judge_split(parent, {"A": west, "B": east})


def test_split_parts_keep_the_parents_status_holder_and_supply_and_class_unless_given_one():
    parent = parcel(
        status="supplied", holder="宝鸡某公司", supply_mode="grant", supplied_on=date(2025, 3, 1)
    )
    a = split_part(parent, parcel_code="CJP-0001-A")
    b = split_part(parent, parcel_code="CJP-0001-B", land_use_code="0604")
    assert a == ParcelState(
        "CJP-0001-A", "caijiapo", "0601", "supplied", "宝鸡某公司", "grant", date(2025, 3, 1)
    )
    assert (b.parcel_code, b.land_use_code, b.holder) == ("CJP-0001-B", "0604", "宝鸡某公司")


def test_a_split_part_below_the_minimum_area_is_refused():
    tiny = box(X0, Y0, X0 + 1.0, Y0 + 0.5)
    message = area_problem("CJP-0001-B", tiny.area, InputLimits())
    assert message == (
        "parcel CJP-0001-B has an area of 0.50 m²; a parcel needs at least 1 m² "
        "(PARKS_MIN_PARCEL_AREA_M2)"
    )
    assert area_problem("CJP-0001-B", box(X0, Y0, X0 + 1, Y0 + 1).area, InputLimits()) is None


# --- merge --------------------------------------------------------------------------------


def test_merge_of_parcels_that_touch_is_accepted():
    judge_merge({"A": square(0, 0), "B": square(100, 0)})


def test_merge_of_a_chain_of_touching_parcels_is_accepted_though_its_ends_do_not_touch():
    a, b, c = square(0, 0), square(100, 0), square(200, 0)
    assert a.distance(c) == pytest.approx(100.0)
    judge_merge({"A": a, "B": b, "C": c})


def test_merge_of_parcels_that_do_not_touch_is_refused():
    a, b = square(0, 0), square(300, 0)
    assert a.distance(b) == pytest.approx(200.0)
    with pytest.raises(InvalidOperation) as refused:
        judge_merge({"CJP-0001": a, "CJP-0002": b})
    assert refused.value.message == (
        "parcels CJP-0002 do not touch CJP-0001 or the parcels joined to it; "
        "only touching parcels can be merged"
    )


def test_merge_refusal_names_every_parcel_apart_from_the_first_ones_group():
    parts = {
        "A": square(0, 0),
        "B": square(500, 0),
        "C": square(100, 0),  # touches A
        "D": square(600, 0),  # touches B, not A's group
    }
    with pytest.raises(InvalidOperation, match=r"^parcels B, D do not touch A or"):
        judge_merge(parts)


def test_merge_of_parcels_a_hairline_apart_within_the_tolerance_is_accepted():
    a, b = square(0, 0), square(100.005, 0)
    assert a.distance(b) == pytest.approx(0.005)
    assert a.distance(b) <= TOUCH_TOLERANCE_M
    judge_merge({"A": a, "B": b})


def test_merge_of_parcels_two_centimetres_apart_is_refused():
    a, b = square(0, 0), square(100.02, 0)
    assert a.distance(b) == pytest.approx(0.02)
    with pytest.raises(InvalidOperation, match="do not touch"):
        judge_merge({"A": a, "B": b})


def test_merge_of_parcels_in_different_parks_is_refused():
    with pytest.raises(InvalidOperation) as refused:
        merged(
            [parcel("GX-0001", park="gaoxin"), parcel("JT-0001", park="jiangtan")],
            parcel_code="GX-0001-M",
        )
    assert refused.value.message == (
        "parcels GX-0001, JT-0001 lie in different parks (gaoxin, jiangtan)"
    )


def test_merge_of_parcels_of_different_classes_needs_the_class_of_the_merged_parcel():
    parcels = [parcel("A", land_use_code="0601"), parcel("B", land_use_code="0701")]
    with pytest.raises(InvalidOperation) as refused:
        merged(parcels, parcel_code="M")
    assert refused.value.message == (
        "the parcels have different classes (0601, 0701); give land_use_code for the merged parcel"
    )
    assert merged(parcels, parcel_code="M", land_use_code="0601").land_use_code == "0601"


def test_merge_of_parcels_of_different_statuses_is_refused():
    with pytest.raises(InvalidOperation, match=r"different statuses \(ready, reserve\)"):
        merged([parcel("A", status="reserve"), parcel("B", status="ready")], parcel_code="M")


def test_merge_keeps_holder_and_supply_only_where_all_parcels_agree():
    day = date(2025, 6, 30)
    common = {"status": "supplied", "holder": "某公司", "supply_mode": "grant"}
    same = merged(
        [parcel("A", **common, supplied_on=day), parcel("B", **common, supplied_on=day)],
        parcel_code="M",
    )
    assert same == ParcelState("M", "caijiapo", "0601", "supplied", "某公司", "grant", day)
    mixed = merged(
        [
            parcel("A", **common, supplied_on=day),
            parcel("B", status="supplied", holder="另一家", supply_mode="grant"),
        ],
        parcel_code="M",
    )
    assert (mixed.holder, mixed.supply_mode, mixed.supplied_on) == (None, "grant", None)


# --- supply, status, class ----------------------------------------------------------------


@pytest.mark.parametrize("status", sorted(AVAILABLE_STATUSES))
def test_reserve_or_ready_land_can_be_supplied_recording_holder_mode_and_day(status):
    day = date(2026, 1, 5)
    after = supplied(parcel(status=status), holder="宝鸡钛谷", mode="lease", on=day)
    assert after == ParcelState(
        "CJP-0001", "caijiapo", "0601", "supplied", "宝鸡钛谷", "lease", day
    )


def test_supplied_land_cannot_be_supplied_again():
    land = parcel(status="supplied", holder="宝鸡钛谷", supply_mode="grant")
    with pytest.raises(InvalidOperation) as refused:
        supplied(land, holder="另一家公司", mode="lease", on=date(2026, 1, 5))
    assert refused.value.message == (
        "parcel CJP-0001 is supplied to 宝鸡钛谷; only reserve or ready land can be supplied"
    )


@pytest.mark.parametrize(
    "status", sorted(set(ParcelStatus) - AVAILABLE_STATUSES - {ParcelStatus.SUPPLIED})
)
def test_land_built_on_operating_or_idle_cannot_be_supplied(status):
    with pytest.raises(InvalidOperation, match=f"^parcel CJP-0001 is {status}; only reserve"):
        supplied(parcel(status=status), holder="某公司", mode="grant", on=date(2026, 1, 5))


def test_rezoning_a_parcel_to_the_class_it_already_has_is_refused():
    with pytest.raises(InvalidOperation, match="^parcel CJP-0001 is already 0601$"):
        rezoned(parcel(land_use_code="0601"), "0601")
    assert rezoned(parcel(land_use_code="0601"), "0701").land_use_code == "0701"


def test_setting_the_status_a_parcel_already_has_is_refused():
    with pytest.raises(InvalidOperation, match="^parcel CJP-0001 is already operating$"):
        with_status(parcel(status="operating"), "operating")
    assert with_status(parcel(status="operating"), "idle").status == "idle"


# --- codes and placement ------------------------------------------------------------------


def test_a_new_parcel_may_not_take_the_code_of_a_standing_one():
    with pytest.raises(InvalidOperation, match="^parcel CJP-0001 already exists$"):
        check_new_code("CJP-0001", standing=True, used_before=True)


def test_a_code_used_before_is_not_reused():
    with pytest.raises(InvalidOperation, match="codes are not reused"):
        check_new_code("CJP-0001", standing=False, used_before=True)
    check_new_code("CJP-0001", standing=False, used_before=False)


def test_a_parcel_entirely_outside_its_park_is_refused():
    with pytest.raises(InvalidOperation, match="^parcel N lies entirely outside park caijiapo$"):
        check_placement("N", park="caijiapo", in_park=False, outside_m2=1e4, overlaps_m2={})


def test_a_parcel_outside_its_park_by_more_than_the_tolerance_is_refused_saying_how_much():
    park = square(0, 0, 1000)
    land = square(990, 0, 20)  # ten metres of it beyond the park's east edge
    outside_m2 = land.difference(park).area
    assert outside_m2 == pytest.approx(200.0)
    with pytest.raises(InvalidOperation, match="^parcel N lies 200.00 m² outside park gaoxin$"):
        check_placement("N", park="gaoxin", in_park=True, outside_m2=outside_m2, overlaps_m2={})
    check_placement("N", park="gaoxin", in_park=True, outside_m2=0.005, overlaps_m2={})


def test_a_parcel_overlapping_standing_parcels_is_refused_naming_them():
    new = square(0, 0)
    neighbours = {"CJP-0002": square(90, 0), "CJP-0003": square(0, 95)}
    overlaps_m2 = {code: new.intersection(g).area for code, g in neighbours.items()}
    assert overlaps_m2 == {"CJP-0002": pytest.approx(1000.0), "CJP-0003": pytest.approx(500.0)}
    with pytest.raises(InvalidOperation) as refused:
        check_placement("N", park="caijiapo", in_park=True, outside_m2=0, overlaps_m2=overlaps_m2)
    assert refused.value.message == (
        "parcel N overlaps existing parcel CJP-0002 (1,000.00 m²), CJP-0003 (500.00 m²)"
    )


def test_a_parcel_sharing_less_than_the_tolerance_with_a_neighbour_is_accepted():
    new = square(0, 0)
    neighbour = translate(square(0, 0), xoff=100 - 0.00005)
    shared = new.intersection(neighbour).area
    assert 0 < shared < AREA_TOLERANCE_M2
    check_placement("N", park="caijiapo", in_park=True, outside_m2=0, overlaps_m2={"X": shared})

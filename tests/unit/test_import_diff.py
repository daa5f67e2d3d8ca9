"""No database: how an imported file differs from the parcels as they stand
(``parks.imports.diff``) — new, changed by kind, unchanged, missing — and the operations
that would make the ledger say what the file says. Geometry in EPSG:4545 metres."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Polygon, box

from parks.imports.diff import (
    IncomingParcel,
    StandingParcel,
    compare,
    operations,
    same_shapes,
)

X0, Y0 = 437_000.0, 3_800_000.0


def rect(x1: float, y1: float, x2: float, y2: float) -> Polygon:
    return box(X0 + x1, Y0 + y1, X0 + x2, Y0 + y2)


def standing(code="GX-001", geom=None, **values) -> StandingParcel:
    geom = MultiPolygon([geom or rect(0, 0, 100, 100)])
    fields = {
        "park": "gaoxin",
        "land_use_code": "0601",
        "status": "reserve",
        "holder": None,
        "supply_mode": None,
        "supplied_on": None,
    }
    fields.update(values)
    return StandingParcel(parcel_code=code, geometry=geom, area_m2=geom.area, **fields)


def incoming(code="GX-001", geom=None, row=1, **values) -> IncomingParcel:
    fields = {"park": "gaoxin", "land_use_code": "0601"}
    fields.update(values)
    return IncomingParcel(
        row=row, parcel_code=code, geometry=geom or rect(0, 0, 100, 100), **fields
    )


def by_code(*parcels):
    return {p.parcel_code: p for p in parcels}


def only_change(diff):
    (changed,) = diff.changed
    return changed


# --- new, unchanged, missing ---------------------------------------------------------------


def test_a_code_that_does_not_stand_is_new():
    diff = compare([incoming("GX-002", rect(200, 0, 300, 100))], by_code(standing()))
    assert diff.new == ["GX-002"]
    assert diff.missing == ["GX-001"]


def test_a_parcel_the_file_repeats_exactly_is_unchanged():
    diff = compare([incoming()], by_code(standing()))
    assert (diff.new, diff.changed, diff.unchanged, diff.missing) == ([], [], ["GX-001"], [])


def test_standing_codes_absent_from_the_file_are_missing_in_code_order():
    parcels = by_code(standing("GX-009"), standing("GX-001"), standing("GX-005"))
    diff = compare([incoming("GX-005")], parcels)
    assert diff.missing == ["GX-001", "GX-009"]


def test_new_changed_and_unchanged_codes_keep_file_order():
    parcels = by_code(standing("B"), standing("D"))
    file = [
        incoming("D", row=1),
        incoming("C", row=2),
        incoming("B", row=3, land_use_code="0604"),
        incoming("A", row=4),
    ]
    diff = compare(file, parcels)
    assert diff.new == ["C", "A"]
    assert [c.parcel_code for c in diff.changed] == ["B"]
    assert diff.unchanged == ["D"]


def test_a_code_on_two_features_is_compared_once_on_its_first():
    diff = compare([incoming(row=1), incoming(row=2, land_use_code="0701")], by_code(standing()))
    assert diff.unchanged == ["GX-001"] and diff.changed == []


def test_values_the_file_does_not_give_keep_the_standing_ones():
    parcel = standing(status="supplied", holder="宝鸡钛业", supply_mode="grant")
    diff = compare([incoming(status=None, holder=None, supply_mode=None)], by_code(parcel))
    assert diff.unchanged == ["GX-001"]


# --- shapes ------------------------------------------------------------------------------------


def test_shape_reprojected_through_wgs84_is_unchanged():
    there = Transformer.from_crs("EPSG:4545", "EPSG:4326", always_xy=True)
    back = Transformer.from_crs("EPSG:4326", "EPSG:4545", always_xy=True)
    shape = Polygon(
        [(X0, Y0), (X0 + 80, Y0 + 5), (X0 + 95, Y0 + 70), (X0 + 30, Y0 + 110), (X0 - 10, Y0 + 40)]
    )

    def through(transformer, geom):
        return shapely.transform(
            geom, lambda c: np.column_stack(transformer.transform(c[:, 0], c[:, 1]))
        )

    again = through(back, through(there, shape))
    assert not shapely.equals_exact(again, shape, 0)  # it moved, a little
    diff = compare([incoming(geom=again)], by_code(standing(geom=shape)))
    assert diff.unchanged == ["GX-001"]


def test_rings_started_elsewhere_reversed_or_reordered_are_the_same_shape():
    hole = [(X0 + 40, Y0 + 40), (X0 + 60, Y0 + 40), (X0 + 60, Y0 + 60), (X0 + 40, Y0 + 60)]
    outer = [(X0, Y0), (X0 + 100, Y0), (X0 + 100, Y0 + 100), (X0, Y0 + 100)]
    shape = MultiPolygon([Polygon(outer, [hole]), rect(200, 0, 300, 100)])
    rotated_reversed = Polygon(list(reversed(outer[2:] + outer[:2])), [hole[1:] + hole[:1]])
    reordered = MultiPolygon([rect(200, 0, 300, 100), rotated_reversed])
    assert same_shapes([reordered], [shape], tolerance_m=0.01).tolist() == [True]


def test_a_polygon_and_its_one_part_multipolygon_are_the_same_shape():
    assert same_shapes(
        [rect(0, 0, 10, 10)], [MultiPolygon([rect(0, 0, 10, 10)])], tolerance_m=0.01
    )[0]


def test_a_vertex_added_in_the_middle_of_a_straight_edge_leaves_the_shape_unchanged():
    with_midpoint = Polygon(
        [(X0, Y0), (X0 + 50, Y0), (X0 + 100, Y0), (X0 + 100, Y0 + 100), (X0, Y0 + 100)]
    )
    assert same_shapes([with_midpoint], [rect(0, 0, 100, 100)], tolerance_m=0.01)[0]


def test_a_corner_moved_less_than_the_tolerance_is_unchanged_and_more_is_a_reshape():
    def moved(by):
        return Polygon([(X0, Y0), (X0 + 100, Y0), (X0 + 100 + by, Y0 + 100), (X0, Y0 + 100)])

    result = same_shapes([moved(0.005), moved(0.02)], [rect(0, 0, 100, 100)] * 2, tolerance_m=0.01)
    assert result.tolist() == [True, False]


def test_missing_or_empty_geometry_is_never_the_same_shape():
    result = same_shapes(
        [None, Polygon(), rect(0, 0, 1, 1)], [rect(0, 0, 1, 1)] * 3, tolerance_m=0.01
    )
    assert result.tolist() == [False, False, True]


def test_a_boundary_moved_half_a_metre_is_a_reshape_with_the_areas_before_and_after():
    diff = compare([incoming(geom=rect(0, 0, 100.5, 100))], by_code(standing()))
    changed = only_change(diff)
    assert changed.kinds == ("reshape",)
    assert changed.before == {"area_m2": pytest.approx(100 * 100)}
    assert changed.after == {"area_m2": pytest.approx(100.5 * 100)}


# --- attributes -------------------------------------------------------------------------------


def test_another_land_use_class_is_a_rezone_with_before_and_after():
    changed = only_change(compare([incoming(land_use_code="0604")], by_code(standing())))
    assert (changed.kinds, changed.before, changed.after) == (
        ("rezone",),
        {"land_use_code": "0601"},
        {"land_use_code": "0604"},
    )


def test_another_status_alone_is_a_status_change():
    changed = only_change(compare([incoming(status="ready")], by_code(standing())))
    assert (changed.kinds, changed.before, changed.after) == (
        ("set_status",),
        {"status": "reserve"},
        {"status": "ready"},
    )


def test_a_holder_on_land_in_reserve_is_a_supply_and_its_supplied_status_no_change_of_its_own():
    file = incoming(
        status="supplied", holder="宝鸡钛业", supply_mode="grant", supplied_on=date(2025, 3, 1)
    )
    changed = only_change(compare([file], by_code(standing())))
    assert changed.kinds == ("supply",)
    assert changed.before == {"holder": None, "supply_mode": None, "supplied_on": None}
    assert changed.after == {
        "holder": "宝鸡钛业",
        "supply_mode": "grant",
        "supplied_on": date(2025, 3, 1),
    }


def test_a_supply_with_the_parcel_already_operating_is_a_supply_and_a_status_change():
    file = incoming(status="operating", holder="宝鸡钛业", supply_mode="grant")
    changed = only_change(compare([file], by_code(standing())))
    assert changed.kinds == ("set_status", "supply")
    assert (changed.before["status"], changed.after["status"]) == ("reserve", "operating")


def test_another_supply_date_alone_is_a_supply_change():
    parcel = standing(
        status="supplied", holder="A", supply_mode="grant", supplied_on=date(2024, 1, 1)
    )
    changed = only_change(compare([incoming(supplied_on=date(2024, 2, 1))], by_code(parcel)))
    assert changed.kinds == ("supply",)
    assert changed.before == {"supplied_on": date(2024, 1, 1)}


def test_every_kind_at_once_is_counted_under_each():
    file = incoming(geom=rect(0, 0, 90, 100), land_use_code="0604", status="operating", holder="X")
    diff = compare(
        [file, incoming("NEW", rect(500, 0, 600, 100))], by_code(standing(), standing("OLD"))
    )
    assert diff.counts() == {
        "new": 1,
        "changed": {"total": 1, "rezone": 1, "reshape": 1, "set_status": 1, "supply": 1},
        "unchanged": 0,
        "missing": 1,
    }


# --- operations ---------------------------------------------------------------------------------


def test_operations_register_new_parcels_with_the_default_status_when_the_file_gives_none():
    file = [
        incoming("GX-002", rect(200, 0, 300, 100)),
        incoming("GX-003", rect(400, 0, 500, 100), status="ready", row=2),
    ]
    diff = compare(file, {}, default_status="ready")
    ops = operations(diff, by_code(*file), {})
    assert [(op["op"], op["parcel_code"], op["status"]) for op in ops] == [
        ("register", "GX-002", "ready"),
        ("register", "GX-003", "ready"),
    ]
    assert ops[0]["geometry"] is file[0].geometry and ops[0]["park"] == "gaoxin"


def test_operations_supply_before_they_set_the_status_the_file_gives():
    file = [incoming(status="operating", holder="宝鸡钛业", supply_mode="lease")]
    parcels = by_code(standing())
    ops = operations(compare(file, parcels), by_code(*file), parcels)
    assert ops == [
        {"op": "supply", "parcel_code": "GX-001", "holder": "宝鸡钛业", "mode": "lease"},
        {"op": "set_status", "parcel_code": "GX-001", "status": "operating"},
    ]


def test_a_supply_keeps_the_parcels_mode_when_the_file_names_only_a_new_holder():
    file = [incoming(holder="B公司")]
    parcels = by_code(standing(status="ready", holder="A公司", supply_mode="grant"))
    (op,) = operations(compare(file, parcels), by_code(*file), parcels)
    assert (op["op"], op["holder"], op["mode"]) == ("supply", "B公司", "grant")


def test_operations_retire_missing_parcels_only_when_asked_and_first():
    file = [incoming("GX-001", land_use_code="0604")]
    parcels = by_code(standing("GX-001"), standing("GX-002", rect(200, 0, 300, 100)))
    diff = compare(file, parcels)
    assert [op["op"] for op in operations(diff, by_code(*file), parcels)] == ["rezone"]
    ops = operations(diff, by_code(*file), parcels, retire_missing=True)
    assert [(op["op"], op["parcel_code"]) for op in ops] == [
        ("retire", "GX-002"),
        ("rezone", "GX-001"),
    ]


def test_reshapes_that_shrink_a_parcel_come_before_those_that_grow_one():
    # B gives 10 m to A: A grows into land B frees, so B's reshape must come first.
    parcels = by_code(standing("A", rect(0, 0, 50, 100)), standing("B", rect(50, 0, 100, 100)))
    file = [incoming("A", rect(0, 0, 60, 100)), incoming("B", rect(60, 0, 100, 100), row=2)]
    ops = operations(compare(file, parcels), by_code(*file), parcels)
    assert [(op["op"], op["parcel_code"]) for op in ops] == [("reshape", "B"), ("reshape", "A")]

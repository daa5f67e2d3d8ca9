"""The change-set schema: each operation with exactly its fields, and problems per index."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from parks.errors import Problem
from parks.operations import (
    ChangeSetRequest,
    Merge,
    Register,
    Reshape,
    Retire,
    Rezone,
    SetStatus,
    Split,
    Supply,
    problems_from_errors,
)

SQUARE = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}

VALID_OPS = {
    "register": (
        Register,
        {
            "op": "register",
            "parcel_code": "GX-9001",
            "park": "gaoxin",
            "land_use_code": "0601",
            "status": "reserve",
            "geometry": SQUARE,
        },
    ),
    "rezone": (Rezone, {"op": "rezone", "parcel_code": "GX-0001", "land_use_code": "0601"}),
    "reshape": (Reshape, {"op": "reshape", "parcel_code": "GX-0001", "geometry": SQUARE}),
    "split": (
        Split,
        {
            "op": "split",
            "parcel_code": "GX-0001",
            "parts": [
                {"parcel_code": "GX-0001A", "geometry": SQUARE},
                {"parcel_code": "GX-0001B", "geometry": SQUARE, "land_use_code": "0604"},
            ],
        },
    ),
    "merge": (
        Merge,
        {"op": "merge", "parcel_codes": ["GX-0001", "GX-0002"], "parcel_code": "GX-0001M"},
    ),
    "supply": (
        Supply,
        {"op": "supply", "parcel_code": "GX-0001", "holder": "某钛业有限公司", "mode": "grant"},
    ),
    "set_status": (
        SetStatus,
        {"op": "set_status", "parcel_code": "GX-0001", "status": "operating"},
    ),
    "retire": (Retire, {"op": "retire", "parcel_code": "GX-0001"}),
}

#: Fields an operation can do without.
OPTIONAL = {
    "register": {"crs", "holder"},
    "reshape": {"crs"},
    "split": {"crs"},
    "merge": {"land_use_code"},
    "supply": {"project"},
}


def _request(*ops, **fields):
    return {"kind": "rezone", "reason": "test", "operations": list(ops), **fields}


def _problems(body) -> list[Problem]:
    with pytest.raises(ValidationError) as info:
        ChangeSetRequest.model_validate(body)
    return problems_from_errors(info.value.errors())


@pytest.mark.parametrize("name", sorted(VALID_OPS))
def test_each_operation_parses_with_exactly_its_fields(name):
    cls, op = VALID_OPS[name]
    request = ChangeSetRequest.model_validate(_request(op))
    parsed = request.operations[0]
    assert type(parsed) is cls
    assert parsed.op == name


def test_register_defaults_to_wgs84_and_keeps_optional_holder():
    parsed = ChangeSetRequest.model_validate(_request(VALID_OPS["register"][1])).operations[0]
    assert parsed.crs == "EPSG:4326"
    assert parsed.holder is None
    op = {**VALID_OPS["register"][1], "crs": "EPSG:4545", "holder": "宝鸡钛业"}
    parsed = ChangeSetRequest.model_validate(_request(op)).operations[0]
    assert (parsed.crs, parsed.holder) == ("EPSG:4545", "宝鸡钛业")


@pytest.mark.parametrize("name", sorted(VALID_OPS))
def test_an_extra_field_in_an_operation_is_refused(name):
    op = {**VALID_OPS[name][1], "area_m2": 123.0}
    problems = _problems(_request(op))
    assert [p.operation for p in problems] == [0]
    assert "area_m2" in problems[0].message


@pytest.mark.parametrize(
    ("name", "field"),
    [
        (name, field)
        for name, (_, op) in sorted(VALID_OPS.items())
        for field in sorted(op)
        if field != "op" and field not in OPTIONAL.get(name, set())
    ],
)
def test_a_missing_required_field_is_refused_and_named(name, field):
    op = {k: v for k, v in VALID_OPS[name][1].items() if k != field}
    problems = _problems(_request(op))
    assert problems, f"{name} without {field} was accepted"
    assert {p.operation for p in problems} == {0}
    assert any(p.message.startswith(f"{field}: ") for p in problems)


def test_an_unknown_operation_is_refused():
    problems = _problems(_request({"op": "annex", "parcel_code": "GX-0001"}))
    assert [p.operation for p in problems] == [0]


def test_an_extra_field_in_the_change_set_is_refused():
    problems = _problems(_request(VALID_OPS["retire"][1], actor="mallory"))
    assert len(problems) == 1
    assert problems[0].operation is None
    assert "actor" in problems[0].message


@pytest.mark.parametrize("missing", ["kind", "reason", "operations"])
def test_a_change_set_without_kind_reason_or_operations_is_refused(missing):
    body = _request(VALID_OPS["retire"][1])
    del body[missing]
    problems = _problems(body)
    assert any(missing in p.message and p.operation is None for p in problems)


def test_a_change_set_with_no_operations_is_refused():
    assert _problems(_request())


def test_an_unknown_kind_is_refused():
    assert _problems({**_request(VALID_OPS["retire"][1]), "kind": "annex"})


def test_a_bad_status_is_refused():
    op = {**VALID_OPS["set_status"][1], "status": "abandoned"}
    problems = _problems(_request(op))
    assert [p.operation for p in problems] == [0]
    assert "status" in problems[0].message
    op = {**VALID_OPS["register"][1], "status": "demolished"}
    assert [p.operation for p in _problems(_request(op))] == [0]


def test_a_bad_supply_mode_is_refused():
    op = {**VALID_OPS["supply"][1], "mode": "sale"}
    problems = _problems(_request(op))
    assert [p.operation for p in problems] == [0]
    assert "mode" in problems[0].message


@pytest.mark.parametrize("mode", ["grant", "allocate", "lease"])
def test_the_three_supply_modes_are_accepted(mode):
    op = {**VALID_OPS["supply"][1], "mode": mode}
    assert ChangeSetRequest.model_validate(_request(op)).operations[0].mode == mode


def test_a_split_needs_at_least_two_parts():
    op = {**VALID_OPS["split"][1]}
    op["parts"] = op["parts"][:1]
    problems = _problems(_request(op))
    assert [p.operation for p in problems] == [0]
    assert "parts" in problems[0].message


def test_split_parts_need_distinct_codes():
    op = {**VALID_OPS["split"][1]}
    op["parts"] = [
        {"parcel_code": "GX-0001A", "geometry": SQUARE},
        {"parcel_code": "GX-0001A", "geometry": SQUARE},
    ]
    problems = _problems(_request(op))
    assert [p.operation for p in problems] == [0]
    assert "distinct" in problems[0].message


def test_a_split_part_with_an_extra_field_is_refused():
    op = {**VALID_OPS["split"][1]}
    op["parts"] = [
        {"parcel_code": "GX-0001A", "geometry": SQUARE, "status": "ready"},
        {"parcel_code": "GX-0001B", "geometry": SQUARE},
    ]
    problems = _problems(_request(op))
    assert [p.operation for p in problems] == [0]
    assert "status" in problems[0].message


def test_merge_needs_two_distinct_codes():
    op = {**VALID_OPS["merge"][1], "parcel_codes": ["GX-0001", "GX-0001"]}
    problems = _problems(_request(op))
    assert [p.operation for p in problems] == [0]
    assert "distinct" in problems[0].message
    op = {**VALID_OPS["merge"][1], "parcel_codes": ["GX-0001"]}
    assert [p.operation for p in _problems(_request(op))] == [0]


@pytest.mark.parametrize("code", ["", "GX 0001", "-GX", "GX/0001", "x" * 65])
def test_a_malformed_parcel_code_is_refused(code):
    op = {**VALID_OPS["retire"][1], "parcel_code": code}
    assert [p.operation for p in _problems(_request(op))] == [0]


@pytest.mark.parametrize("code", ["6", "0601a", "industrial", "060101"])
def test_a_malformed_land_use_code_is_refused(code):
    op = {**VALID_OPS["rezone"][1], "land_use_code": code}
    assert [p.operation for p in _problems(_request(op))] == [0]


def test_problems_name_the_index_of_each_bad_operation():
    ops = [
        VALID_OPS["retire"][1],
        {**VALID_OPS["set_status"][1], "status": "abandoned"},
        VALID_OPS["rezone"][1],
        {**VALID_OPS["supply"][1], "mode": "sale"},
        {"op": "retire"},
    ]
    problems = _problems(_request(*ops))
    assert sorted({p.operation for p in problems}) == [1, 3, 4]
    by_index = {p.operation: p.message for p in problems}
    assert "status" in by_index[1]
    assert "mode" in by_index[3]
    assert "parcel_code" in by_index[4]
    # The discriminator's tag (the op's name) is not part of the path a user reads.
    assert not any(m.startswith(("set_status.", "supply.", "retire.")) for m in by_index.values())


def test_problems_from_errors_maps_body_relative_locations():
    errors = [
        {"loc": ("operations", 2, "split", "parts", 1, "geometry"), "msg": "Field required"},
        {"loc": ("reason",), "msg": "Field required"},
        {"loc": ("operations", 0), "msg": "Input tag 'x' found using 'op' does not match"},
    ]
    problems = problems_from_errors(errors)
    assert problems == [
        Problem(2, "parts.1.geometry: Field required"),
        Problem(None, "reason: Field required"),
        Problem(0, "operation: Input tag 'x' found using 'op' does not match"),
    ]

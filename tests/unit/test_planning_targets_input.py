"""A target update (:class:`TargetUpdate`, the body of ``PUT /api/targets/{park}``),
checked without a database: numbers ≥ 0, finite, at least one given, nothing else; each
wrong field named."""

from __future__ import annotations

import json

import pytest

from parks.errors import InvalidParameter
from service.planning.targets import TargetUpdate


def test_both_fields_are_read_as_numbers():
    update = TargetUpdate.checked({"min_reserve_mu": 2500, "min_vacant_floor_m2": 40000.5})
    assert update.values() == {"min_reserve_mu": 2500.0, "min_vacant_floor_m2": 40000.5}


def test_one_field_alone_is_enough_and_zero_is_allowed():
    assert TargetUpdate.checked({"min_vacant_floor_m2": 0}).values() == {"min_vacant_floor_m2": 0.0}


def test_a_field_left_out_or_null_keeps_its_value():
    update = TargetUpdate.checked({"min_reserve_mu": 10, "min_vacant_floor_m2": None})
    assert update.values() == {"min_reserve_mu": 10.0}


@pytest.mark.parametrize(
    ("body", "parameter"),
    [
        ({"min_reserve_mu": -1}, "min_reserve_mu"),
        ({"min_vacant_floor_m2": -0.01}, "min_vacant_floor_m2"),
        ({"min_reserve_mu": "300"}, "min_reserve_mu"),
        ({"min_reserve_mu": True}, "min_reserve_mu"),
        ({"min_reserve_mu": [300]}, "min_reserve_mu"),
        (json.loads('{"min_reserve_mu": NaN}'), "min_reserve_mu"),
        (json.loads('{"min_vacant_floor_m2": Infinity}'), "min_vacant_floor_m2"),
        ({"min_reserve_mu": 1e12}, "min_reserve_mu"),
        ({"min_reserve_mu": 10, "max_reserve_mu": 20}, "max_reserve_mu"),
        ({}, "body"),
        ({"min_reserve_mu": None}, "body"),
        ([300, 40000], "body"),
        ("300", "body"),
        (None, "body"),
    ],
)
def test_a_bad_target_is_refused_naming_the_field(body, parameter):
    with pytest.raises(InvalidParameter) as caught:
        TargetUpdate.checked(body)
    assert caught.value.parameter == parameter


def test_the_documented_body_asks_for_at_least_one_number_and_nothing_else():
    schema = TargetUpdate.model_json_schema()
    assert schema["additionalProperties"] is False and schema["minProperties"] == 1
    for name in ("min_reserve_mu", "min_vacant_floor_m2"):
        assert schema["properties"][name]["type"] == "number"
        assert schema["properties"][name]["minimum"] == 0

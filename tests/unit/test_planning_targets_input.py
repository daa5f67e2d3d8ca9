"""A target update's body, checked without a database: numbers ≥ 0, each wrong field
named."""

from __future__ import annotations

import json

import pytest

from parks.errors import InvalidParameter
from service.planning.targets import parse_target_update


def test_both_fields_are_read_as_numbers():
    assert parse_target_update({"min_reserve_mu": 2500, "min_vacant_floor_m2": 40000.5}) == {
        "min_reserve_mu": 2500.0,
        "min_vacant_floor_m2": 40000.5,
    }


def test_one_field_alone_is_enough_and_zero_is_allowed():
    assert parse_target_update({"min_vacant_floor_m2": 0}) == {"min_vacant_floor_m2": 0.0}


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
        parse_target_update(body)
    assert caught.value.parameter == parameter

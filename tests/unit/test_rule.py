"""The rule as plain functions: parks.rule.judge and the refusal it returns."""

from __future__ import annotations

import re

import pytest

from parks.errors import ManufacturingLandWouldDecrease
from parks.rule import Standing, judge, refusal_from_database

M2_PER_MU = 10000.0 / 15.0


def _judge(deltas: dict[str, float], parks_of: dict[str, str], *, city=None, parks=None, **kw):
    """Judge per-parcel deltas; per-park deltas are summed here, independently."""
    by_park: dict[str, float] = {}
    for code, delta in deltas.items():
        by_park[parks_of[code]] = by_park.get(parks_of[code], 0.0) + delta
    return judge(
        city=city or Standing(1000.0, 1000.0),
        parks=parks or {"gaoxin": Standing(600.0, 600.0), "jiangtan": Standing(400.0, 400.0)},
        delta_by_park=by_park,
        delta_by_parcel=deltas,
        parcel_park=parks_of,
        **kw,
    )


PARKS_OF = {"GX-1": "gaoxin", "GX-2": "gaoxin", "GX-3": "gaoxin", "JT-1": "jiangtan"}


def test_a_gain_in_manufacturing_land_is_accepted():
    assert _judge({"GX-1": 250.0}, PARKS_OF) is None


def test_a_change_that_moves_no_manufacturing_land_is_accepted():
    assert _judge({}, PARKS_OF) is None


def test_a_net_loss_is_refused_for_the_city_with_its_shortfall():
    refusal = _judge({"GX-1": -30.0}, PARKS_OF)
    assert isinstance(refusal, ManufacturingLandWouldDecrease)
    assert refusal.scope == "city"
    assert refusal.total_before_m2 == pytest.approx(1000.0)
    assert refusal.total_after_m2 == pytest.approx(970.0)
    assert refusal.high_water_m2 == pytest.approx(1000.0)
    assert refusal.shortfall_m2 == pytest.approx(30.0)
    assert refusal.shortfall_mu == pytest.approx(30.0 / M2_PER_MU)
    assert refusal.parcels == ["GX-1"]


def test_the_refusal_names_the_losing_parcels_biggest_loss_first_and_not_the_gainers():
    refusal = _judge({"GX-1": -5.0, "GX-2": -50.0, "JT-1": -20.0, "GX-3": 10.0}, PARKS_OF)
    assert refusal is not None
    assert refusal.parcels == ["GX-2", "JT-1", "GX-1"]
    assert refusal.shortfall_m2 == pytest.approx(65.0)


def test_a_loss_compensated_in_the_same_change_set_is_accepted():
    assert _judge({"GX-1": -120.0, "JT-1": 120.0}, PARKS_OF) is None
    assert _judge({"GX-1": -120.0, "GX-2": 121.0}, PARKS_OF) is None


def test_an_undercompensated_loss_is_refused_for_the_net_shortfall():
    refusal = _judge({"GX-1": -120.0, "JT-1": 100.0}, PARKS_OF)
    assert refusal is not None
    assert refusal.shortfall_m2 == pytest.approx(20.0)
    assert refusal.parcels == ["GX-1"]


def test_a_loss_within_the_tolerance_of_a_hundredth_square_metre_is_accepted():
    assert _judge({"GX-1": -0.009}, PARKS_OF) is None
    assert _judge({"GX-1": -0.01}, PARKS_OF) is None


def test_a_loss_just_beyond_the_tolerance_is_refused():
    assert _judge({"GX-1": -0.011}, PARKS_OF) is not None


def test_ending_below_the_high_water_mark_is_refused_even_above_the_previous_total():
    # The ledger's high-water mark is 1100 though the last total is 1000 (a policy switch,
    # say): a gain that leaves the city at 1050 is still below the mark.
    refusal = _judge({"GX-1": 50.0}, PARKS_OF, city=Standing(total_m2=1000.0, high_water_m2=1100.0))
    assert refusal is not None
    assert refusal.scope == "city"
    assert refusal.total_after_m2 == pytest.approx(1050.0)
    assert refusal.shortfall_m2 == pytest.approx(50.0)


def test_reaching_the_high_water_mark_again_is_accepted():
    assert _judge({"GX-1": 100.0}, PARKS_OF, city=Standing(1000.0, 1100.0)) is None


def test_the_per_park_floor_refuses_a_parks_loss_even_when_the_city_gains():
    deltas = {"GX-1": -40.0, "JT-1": 100.0}
    assert _judge(deltas, PARKS_OF) is None  # the city alone: accepted
    refusal = _judge(deltas, PARKS_OF, per_park_floor=True)
    assert refusal is not None
    assert refusal.scope == "gaoxin"
    assert refusal.total_before_m2 == pytest.approx(600.0)
    assert refusal.total_after_m2 == pytest.approx(560.0)
    assert refusal.shortfall_m2 == pytest.approx(40.0)
    assert refusal.parcels == ["GX-1"]


def test_the_per_park_floor_names_only_the_refused_parks_parcels():
    deltas = {"GX-1": -40.0, "GX-2": 30.0, "JT-1": -5.0, "GX-3": 100.0}
    parks = {"gaoxin": Standing(600.0, 600.0), "jiangtan": Standing(400.0, 400.0)}
    refusal = _judge(deltas, PARKS_OF, parks=parks, per_park_floor=True)
    assert refusal is not None
    assert refusal.scope == "jiangtan"
    assert refusal.parcels == ["JT-1"]


def test_the_per_park_floor_accepts_a_parks_loss_compensated_inside_the_park():
    assert _judge({"GX-1": -40.0, "GX-2": 40.0}, PARKS_OF, per_park_floor=True) is None


def test_a_refusal_from_the_database_round_trips_into_the_same_domain_error():
    detail = {
        "scope": "city",
        "total_before_m2": 1000.0,
        "total_after_m2": 970.5,
        "high_water_m2": 1000.0,
        "shortfall_m2": 29.5,
        "parcels": ["GX-2", "GX-1"],
    }
    refusal = refusal_from_database(detail)
    assert refusal == ManufacturingLandWouldDecrease(
        scope="city",
        total_before_m2=1000.0,
        total_after_m2=970.5,
        high_water_m2=1000.0,
        shortfall_m2=29.5,
        parcels=["GX-2", "GX-1"],
    )
    body = refusal.body()
    assert body["error"] == "manufacturing_land_would_decrease"
    assert {k: body[k] for k in detail} == detail
    assert body["shortfall_mu"] == pytest.approx(29.5 / M2_PER_MU, abs=1e-6)
    assert body["message"] == refusal.message


def test_a_database_refusal_without_parcels_has_an_empty_list():
    refusal = refusal_from_database(
        {
            "scope": "gaoxin",
            "total_before_m2": 5,
            "total_after_m2": 4,
            "high_water_m2": 5,
            "shortfall_m2": 1,
            "parcels": None,
        }
    )
    assert refusal.parcels == []
    assert refusal.scope == "gaoxin"


def test_the_refusal_message_is_one_sentence_naming_the_shortfall_in_m2_and_mu():
    refusal = _judge({"GX-2": -1500.0, "GX-1": -33.0}, PARKS_OF, city=Standing(1e7, 1e7))
    assert refusal is not None
    message = refusal.message
    shortfall = 1533.0
    assert f"{shortfall:,.2f} m²" in message
    assert f"{shortfall / M2_PER_MU:,.2f} 亩" in message
    assert "GX-2" in message and "GX-1" in message
    # One sentence: a single terminator, at the very end (decimal points don't count).
    assert message.endswith(".")
    assert len(re.findall(r"[.!?。！？](?:\s|$)", message)) == 1
    assert "\n" not in message


def test_a_parks_refusal_message_names_the_park():
    refusal = _judge({"GX-1": -40.0, "JT-1": 100.0}, PARKS_OF, per_park_floor=True)
    assert refusal is not None
    assert "gaoxin" in refusal.message
    assert "40.00 m²" in refusal.message

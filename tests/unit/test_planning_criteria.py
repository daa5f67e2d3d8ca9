"""The availability search's criteria, parsed from query parameters without a database:
what they mean, and every bad one refused naming the criterion."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlencode

import pytest
import shapely
from shapely.geometry import box, mapping

from parks.errors import InvalidParameter
from service.planning.availability import Criteria, DistanceCriterion, parse_criteria

SQUARE = mapping(box(107.25, 34.35, 107.28, 34.38))


def test_no_criteria_means_reserve_and_ready_land_everywhere_50_at_most():
    criteria = parse_criteria({})
    assert criteria == Criteria()
    assert criteria.statuses == ("reserve", "ready")
    assert criteria.limit == 50 and not criteria.combine
    assert criteria.park is None and criteria.near == () and criteria.away == ()


def test_the_planners_example_parses_into_its_criteria():
    criteria = parse_criteria(
        {
            "park": "jiangtan",
            "min_area_mu": "60",
            "status": "reserve,ready",
            "near": "roads/main:500",
            "away": "river:200",
            "combine": "true",
        }
    )
    assert criteria.park == "jiangtan" and criteria.min_area_mu == 60.0
    assert criteria.near == (DistanceCriterion("near", "roads", "main", 500.0),)
    assert criteria.away == (DistanceCriterion("away", "river", None, 200.0),)
    assert criteria.near[0].key == "roads/main" and criteria.away[0].key == "river"
    assert criteria.combine


def test_near_and_away_repeat_and_take_comma_lists_and_a_metre_suffix():
    criteria = parse_criteria(
        {"near": ["roads:500", "utilities/power:300,rail:1000m"], "away": ["river:200 m"]}
    )
    assert [(c.layer, c.kind, c.metres) for c in criteria.near] == [
        ("roads", None, 500.0),
        ("utilities", "power", 300.0),
        ("rail", None, 1000.0),
    ]
    assert criteria.away[0].metres == 200.0
    assert [c.parameter for c in criteria.distances] == ["near", "near", "near", "away"]


def test_land_use_and_status_are_comma_lists_and_empty_values_are_not_given():
    criteria = parse_criteria({"land_use": "0601, 0604", "status": "ready", "park": ""})
    assert criteria.land_uses == ("0601", "0604")
    assert criteria.statuses == ("ready",)
    assert criteria.park is None


def test_within_is_kept_as_a_wgs84_polygon():
    criteria = parse_criteria({"within": json.dumps(SQUARE)})
    assert shapely.equals(criteria.within, box(107.25, 34.35, 107.28, 34.38))


def test_a_feature_wrapping_the_polygon_is_accepted_as_within():
    feature = {"type": "Feature", "properties": {}, "geometry": SQUARE}
    assert parse_criteria({"within": json.dumps(feature)}).within is not None


def test_the_query_pairs_repeat_the_same_search():
    criteria = parse_criteria(
        {
            "park": "caijiapo",
            "min_area_mu": "12.5",
            "max_area_mu": "80",
            "land_use": "0601",
            "status": "ready",
            "within": json.dumps(SQUARE),
            "near": ["roads/main:500", "utilities:250"],
            "away": "river:200",
            "combine": "yes",
            "limit": "7",
        }
    )
    again = parse_criteria(parse_qs(urlencode(criteria.query_pairs())))
    assert again == criteria
    assert shapely.equals(again.within, criteria.within)


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"min_area_mu": "-1"}, "min_area_mu"),
        ({"min_area_mu": "sixty"}, "min_area_mu"),
        ({"min_area_mu": "nan"}, "min_area_mu"),
        ({"max_area_mu": "inf"}, "max_area_mu"),
        ({"max_area_mu": "-0.5"}, "max_area_mu"),
        ({"min_area_mu": "60", "max_area_mu": "40"}, "min_area_mu"),
        ({"min_area_mu": ["10", "20"]}, "min_area_mu"),
        ({"park": ["gaoxin", "jiangtan"]}, "park"),
        ({"status": "reserve,sold"}, "status"),
        ({"near": "roads"}, "near"),
        ({"near": "roads:"}, "near"),
        ({"near": ":500"}, "near"),
        ({"near": "roads:-500"}, "near"),
        ({"near": "roads:far"}, "near"),
        ({"near": "roads:1e9"}, "near"),
        ({"near": "ro ads:500"}, "near"),
        ({"near": "roads/:500/x:3"}, "near"),
        ({"away": "river:-200"}, "away"),
        ({"away": "river"}, "away"),
        ({"away": "river:nan"}, "away"),
        ({"within": "not json"}, "within"),
        ({"within": json.dumps({"type": "Point", "coordinates": [107.2, 34.3]})}, "within"),
        ({"within": json.dumps({"type": "Polygon", "coordinates": [[[107.2, 34.3]]]})}, "within"),
        (
            {
                "within": json.dumps(
                    {
                        "type": "Polygon",
                        "coordinates": [
                            [
                                [107.2, 34.3],
                                [107.3, 34.4],
                                [107.3, 34.3],
                                [107.2, 34.4],
                                [107.2, 34.3],
                            ]
                        ],
                    }
                )
            },
            "within",
        ),
        ({"within": json.dumps(mapping(box(400000, 3800000, 401000, 3801000)))}, "within"),
        ({"within": json.dumps([1, 2, 3])}, "within"),
        ({"combine": "true"}, "combine"),
        ({"combine": "maybe", "min_area_mu": "60"}, "combine"),
        ({"limit": "0"}, "limit"),
        ({"limit": "5000"}, "limit"),
        ({"limit": "ten"}, "limit"),
    ],
)
def test_a_bad_criterion_is_refused_naming_it(params, parameter):
    with pytest.raises(InvalidParameter) as caught:
        parse_criteria(params)
    assert caught.value.parameter == parameter
    assert caught.value.body()["parameter"] == parameter
    assert caught.value.message.startswith(f"{parameter}: ")


def test_layer_names_are_data_and_may_be_chinese():
    criteria = parse_criteria({"near": "变电站/110kV:800"})
    assert criteria.near[0].layer == "变电站" and criteria.near[0].kind == "110kV"


def test_at_most_twelve_distance_criteria():
    with pytest.raises(InvalidParameter) as caught:
        parse_criteria({"near": [f"roads:{i}" for i in range(13)]})
    assert caught.value.parameter == "near"


def test_parameters_of_other_purposes_are_ignored():
    assert parse_criteria({"format": "csv", "lang": "zh"}) == Criteria()

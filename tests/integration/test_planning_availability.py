"""The availability search against the loaded sample, checked against an independent
geopandas computation on data/sample/parks.gpkg in EPSG:4545 (tests/support_planning.py):
the filters, the distances, the touching groups and the ranking."""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapely
import support_planning as sp
import support_reads as sr
from pyproj import Transformer
from shapely.geometry import box, mapping
from sqlalchemy import text

from parks.errors import InvalidParameter
from parks.operations import ChangeSetRequest
from service.changes.apply import apply_change_set
from service.db.engine import make_engine
from service.planning.availability import parse_criteria, search

pytestmark = pytest.mark.integration

C = sp.Criterion
TO_WGS84 = Transformer.from_crs("EPSG:4545", "EPSG:4326", always_xy=True)
TO_4545 = Transformer.from_crs("EPSG:4326", "EPSG:4545", always_xy=True)


def _search(url: str, params: dict) -> dict:
    with sr.connect(url) as conn:
        return search(conn, parse_criteria(params), storage_srid=sr.STORAGE_EPSG)


def _key(feature: dict) -> str:
    p = feature["properties"]
    return p["parcel_code"] if p["kind"] == "parcel" else "+".join(p["members"])


def assert_same_answer(got: dict, expected: sp.Expected) -> None:
    """Same sites (parcels on a criterion's borderline may go either way), same areas,
    distances and scores, and ranked by score then key."""
    keys = [_key(f) for f in got["features"]]
    assert len(keys) == len(set(keys))
    differ = set(keys) ^ set(expected.keys())
    assert all(set(k.split("+")) & expected.borderline for k in differ), differ
    wanted = expected.by_key()
    for feature in got["features"]:
        p, site = feature["properties"], wanted[_key(feature)]
        assert p["area_m2"] == pytest.approx(site["area_m2"], abs=0.01)
        assert p["area_mu"] == pytest.approx(site["area_m2"] / sr.M2_PER_MU, abs=1e-4)
        assert p["score"] == pytest.approx(site["score"], abs=1e-4)
        assert p["area_fit"] == pytest.approx(site["area_fit"], abs=1e-4)
        assert p["closeness"] == pytest.approx(site["closeness"], abs=1e-4)
        assert set(p["distances_m"]) == set(site["distances_m"])
        for layer, d in site["distances_m"].items():
            assert p["distances_m"][layer] == pytest.approx(d, abs=0.006)
    scores = [wanted[k]["score"] for k in keys]
    for i in range(len(keys) - 1):
        assert scores[i] >= scores[i + 1] - sp.SCORE_TOL, (keys[i], keys[i + 1])
        if abs(scores[i] - scores[i + 1]) <= 1e-12:
            assert keys[i] < keys[i + 1]
    assert [f["properties"]["rank"] for f in got["features"]] == list(range(1, len(keys) + 1))


# --- the planner's question ---------------------------------------------------------------


def test_a_60_mu_plant_in_jiangtan_near_a_main_road_away_from_the_river(sample_db_url):
    got = _search(
        sample_db_url,
        {
            "park": "jiangtan",
            "min_area_mu": "60",
            "land_use": "0601",
            "near": "roads/main:500",
            "away": "river:200",
            "limit": "1000",
        },
    )
    expected = sp.expected_search(
        park="jiangtan",
        min_area_mu=60,
        land_uses=("0601",),
        near=(C("roads", "main", 500),),
        away=(C("river", None, 200),),
    )
    assert len(expected.sites) >= 3  # the sample has an answer to give
    assert_same_answer(got, expected)
    assert got["numberMatched"] == got["parcelsMatched"] == len(got["features"])
    assert got["groupsMatched"] == 0
    for feature in got["features"]:
        p = feature["properties"]
        assert p["kind"] == "parcel" and "members" not in p
        assert p["park"] == "jiangtan" and p["land_use_code"] == "0601"
        assert p["status"] in {"reserve", "ready"}
        assert p["distances_m"]["roads/main"] <= 500 and p["distances_m"]["river"] >= 200


def test_with_combine_groups_of_touching_parcels_reaching_60_mu_are_offered_too(sample_db_url):
    params = {
        "park": "jiangtan",
        "min_area_mu": "60",
        "land_use": "0601",
        "near": "roads/main:500",
        "away": "river:200",
        "combine": "true",
        "limit": "1000",
    }
    got = _search(sample_db_url, params)
    expected = sp.expected_search(
        park="jiangtan",
        min_area_mu=60,
        land_uses=("0601",),
        near=(C("roads", "main", 500),),
        away=(C("river", None, 200),),
        combine=True,
    )
    sizes = {len(s["codes"]) for s in expected.sites}
    assert sizes == {1, 2, 3}  # singles, pairs and triples: the test covers each
    assert_same_answer(got, expected)
    assert got["groupsMatched"] == sum(1 for s in expected.sites if len(s["codes"]) > 1)
    for feature in got["features"]:
        p = feature["properties"]
        if p["kind"] == "group":
            assert "parcel_code" not in p and 2 <= len(p["members"]) <= 3
            assert p["members"] == sorted(p["members"])
            assert p["area_mu"] >= 60
            assert p["land_use_codes"] == ["0601"]


def test_every_search_criterion_together_city_wide_with_two_near_layers(sample_db_url):
    got = _search(
        sample_db_url,
        {
            "min_area_mu": "40",
            "max_area_mu": "90",
            "status": "reserve,ready,idle",
            "near": ["roads:300", "utilities/power:1500"],
            "away": "flood_zone:0,eco_redline:50",
            "combine": "true",
            "limit": "1000",
        },
    )
    expected = sp.expected_search(
        min_area_mu=40,
        max_area_mu=90,
        statuses=("reserve", "ready", "idle"),
        near=(C("roads", None, 300), C("utilities", "power", 1500)),
        away=(C("flood_zone", None, 0), C("eco_redline", None, 50)),
        combine=True,
    )
    assert len(expected.sites) > 20
    assert_same_answer(got, expected)
    parks = {f["properties"]["park"] for f in got["features"]}
    assert len(parks) > 1


def test_a_maximum_alone_ranks_by_closeness_to_the_rail(sample_db_url):
    got = _search(
        sample_db_url,
        {"park": "caijiapo", "max_area_mu": "30", "status": "ready", "near": "rail:800"},
    )
    expected = sp.expected_search(
        park="caijiapo", max_area_mu=30, statuses=("ready",), near=(C("rail", None, 800),)
    )
    assert expected.sites and all(s["area_fit"] == 1.0 for s in expected.sites)
    assert_same_answer(got, expected)


def test_within_keeps_only_parcels_that_lie_inside_the_drawn_polygon(sample_db_url):
    frame = sp.parcels()
    jiangtan = frame[frame["park"] == "jiangtan"]
    x0, y0, x1, y1 = jiangtan.total_bounds
    drawn = box(x0, y0, (x0 + x1) / 2, (y0 + y1) / 2).buffer(-30)  # the south-west quarter
    drawn_wgs84 = shapely.transform(drawn, lambda xy: np.column_stack(TO_WGS84.transform(*xy.T)))
    # what the parcels must lie in: the polygon sent, its vertices transformed back
    sent = shapely.transform(drawn_wgs84, lambda xy: np.column_stack(TO_4545.transform(*xy.T)))
    got = _search(
        sample_db_url,
        {"within": json.dumps(mapping(drawn_wgs84)), "status": "reserve,ready,operating"},
    )
    expected = sp.expected_search(within=sent, statuses=("reserve", "ready", "operating"))
    assert 0 < len(expected.sites) < len(jiangtan)
    got_all = _search(
        sample_db_url,
        {
            "within": json.dumps(mapping(drawn_wgs84)),
            "status": "reserve,ready,operating",
            "limit": "1000",
        },
    )
    assert_same_answer(got_all, expected)
    assert got["numberMatched"] == len(expected.sites)
    for feature in got_all["features"]:
        assert shapely.covered_by(frame.geometry[_key(feature)], sent)


def test_the_limit_returns_the_best_but_counts_every_match(sample_db_url):
    params = {"park": "gaoxin", "min_area_mu": "10", "near": "roads:400"}
    everything = _search(sample_db_url, {**params, "limit": "1000"})
    first = _search(sample_db_url, {**params, "limit": "5"})
    assert everything["numberMatched"] > 5
    assert first["numberMatched"] == everything["numberMatched"]
    assert first["numberReturned"] == len(first["features"]) == 5
    assert [_key(f) for f in first["features"]] == [_key(f) for f in everything["features"][:5]]


def test_geometry_is_wgs84_and_a_groups_geometry_is_its_members_union(sample_db_url):
    got = _search(
        sample_db_url,
        {
            "park": "jiangtan",
            "min_area_mu": "60",
            "land_use": "0601",
            "combine": "true",
            "limit": "1000",
        },
    )
    frame = sp.parcels()
    groups = [f for f in got["features"] if f["properties"]["kind"] == "group"]
    assert groups
    for feature in got["features"]:
        geom = shapely.geometry.shape(feature["geometry"])
        lon0, lat0, lon1, lat1 = geom.bounds
        assert 107 < lon0 < lon1 < 108 and 34 < lat0 < lat1 < 35
        back = shapely.transform(geom, lambda xy: np.column_stack(TO_4545.transform(*xy.T)))
        codes = feature["properties"].get("members") or [feature["properties"]["parcel_code"]]
        union = shapely.union_all(frame.geometry[codes].values)
        assert shapely.hausdorff_distance(back, union) < 0.05  # 7 decimals of a degree
        assert shapely.area(back) == pytest.approx(feature["properties"]["area_m2"], rel=1e-4)


def test_a_parcel_alone_reaching_the_minimum_is_never_grouped_and_groups_are_minimal(
    sample_db_url,
):
    got = _search(
        sample_db_url,
        {"park": "fengxiang", "min_area_mu": "45", "combine": "true", "limit": "1000"},
    )
    frame = sp.parcels()
    minimum = 45 * sr.M2_PER_MU
    groups = [f["properties"] for f in got["features"] if f["properties"]["kind"] == "group"]
    assert groups
    for p in groups:
        members = frame.loc[p["members"]]
        assert (members["file_area_m2"] < minimum).all()
        assert members["file_area_m2"].sum() >= minimum
        touching = sp.touching_pairs(members)
        assert len(touching) >= len(p["members"]) - 1  # connected
        for pair in touching:
            if len(p["members"]) == 3:
                assert sum(frame.loc[list(pair), "file_area_m2"]) < minimum


# --- the database is the truth ---------------------------------------------------------------


def test_a_parcel_supplied_by_a_change_set_drops_out_of_the_next_search(fresh_db_url):
    params = {"park": "jiangtan", "min_area_mu": "60", "land_use": "0601", "limit": "1000"}
    before = _search(fresh_db_url, params)
    best = before["features"][0]["properties"]["parcel_code"]
    engine = make_engine(fresh_db_url, pool_size=1, max_overflow=0)
    try:
        request = ChangeSetRequest.model_validate(
            {
                "kind": "supply",
                "reason": "传感器项目供地",
                "operations": [
                    {
                        "op": "supply",
                        "parcel_code": best,
                        "holder": "宝鸡芯感电子有限公司",
                        "mode": "grant",
                    }
                ],
            }
        )
        apply_change_set(engine, request, actor="planning-test", storage_srid=sr.STORAGE_EPSG)
    finally:
        engine.dispose()
    after = _search(fresh_db_url, params)
    assert best not in {_key(f) for f in after["features"]}
    assert after["numberMatched"] == before["numberMatched"] - 1


def test_a_layer_loaded_later_is_searchable_at_once(fresh_db_url):
    params = {"park": "gaoxin", "min_area_mu": "30", "near": "roads:500", "limit": "1000"}
    before = _search(fresh_db_url, params)  # the index now knows the layers as they were
    site = before["features"][-1]["properties"]["parcel_code"]
    with sr.connect(fresh_db_url) as conn:
        conn.execute(
            text(
                "INSERT INTO context_layer (name, title_zh, title_en) "
                "VALUES ('substations', '变电站', 'Substations')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO context_feature (layer, park, name, kind, geom) "
                "SELECT 'substations', 'gaoxin', '测试变电站', 'power', "
                "ST_PointOnSurface(geom) FROM parcel_version "
                "WHERE parcel_code = :code AND valid_to IS NULL"
            ),
            {"code": site},
        )
        conn.commit()
    got = _search(fresh_db_url, {**params, "near": "substations:1"})
    assert [_key(f) for f in got["features"]] == [site]
    assert got["features"][0]["properties"]["distances_m"] == {"substations": 0.0}


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"near": "rivers:200"}, "near"),
        ({"away": "roads/highway:50"}, "away"),
        ({"near": "river/main:50"}, "near"),
        ({"park": "xian"}, "park"),
        ({"land_use": "9999"}, "land_use"),
    ],
)
def test_what_the_database_does_not_know_is_refused_naming_the_criterion(
    sample_db_url, params, parameter
):
    with pytest.raises(InvalidParameter) as caught:
        _search(sample_db_url, params)
    assert caught.value.parameter == parameter

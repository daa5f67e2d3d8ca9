"""The planners' API over HTTP: context layers, the availability search (GeoJSON and CSV,
every bad criterion a 422 naming it), vacant floor, targets (admins set them), the yearly
supply figure — answers checked against the sample computed independently."""

from __future__ import annotations

import csv
import io
import json

import pytest
import shapely
import support_planning as sp
import support_reads as sr
from shapely.geometry import box, mapping, shape
from sqlalchemy import text

pytestmark = pytest.mark.e2e

PLANNER_QUERY = (
    "/api/availability?park=jiangtan&min_area_mu=60&land_use=0601&status=reserve,ready"
    "&near=roads/main:500&away=river:200&combine=true&limit=1000"
)


@pytest.fixture
def client(sample_db_url, make_client):
    return make_client(sample_db_url)


@pytest.fixture(scope="module")
def refusals_db_url(databases, loaded_template) -> str:
    """A copy of the loaded sample for the requests that must be refused (they store
    nothing, so they can share it)."""
    return sr.database_url(databases.create(template=loaded_template))


# --- layers ----------------------------------------------------------------------------------


def test_the_layer_list_names_every_context_layer_with_its_titles_and_size(client):
    response = client.get("/api/layers")
    assert response.status_code == 200
    layers = {layer["name"]: layer for layer in response.json()}
    expected = {"roads", "rail", "river", "flood_zone", "utilities", "eco_redline"}
    assert set(layers) == expected
    for name in expected:
        frame = sr.layer(name)
        assert layers[name]["features"] == int((~frame.geometry.is_empty).sum())  # empty: none
        assert layers[name]["title_zh"] and layers[name]["title_en"]
    assert layers["roads"]["title_zh"] == "道路" and layers["roads"]["kinds"] == [
        "main",
        "secondary",
    ]
    assert layers["utilities"]["kinds"] == ["gas", "power", "sewage", "water"]


def test_one_layer_of_one_park_is_geojson_in_wgs84(client):
    response = client.get("/api/layers/roads", params={"park": "jiangtan"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    body = response.json()
    roads = sr.layer("roads")
    mine = roads[roads["park"] == "jiangtan"]
    assert body["type"] == "FeatureCollection" and len(body["features"]) == len(mine)
    lengths = []
    for feature in body["features"]:
        p = feature["properties"]
        assert p["layer"] == "roads" and p["park"] == "jiangtan"
        assert p["kind"] in {"main", "secondary"} and p["kind"] == p["road_class"]
        lon0, lat0, lon1, lat1 = shape(feature["geometry"]).bounds
        assert 107.1 < lon0 <= lon1 < 107.4 and 34.3 < lat0 <= lat1 < 34.45
        lengths.append(p["name"])
    assert sorted(lengths) == sorted(mine["name"])


def test_an_unknown_layer_is_not_found_and_an_unknown_park_is_422(client):
    response = client.get("/api/layers/highways")
    assert response.status_code == 404 and "highways" in response.json()["message"]
    response = client.get("/api/layers/roads", params={"park": "xian"})
    assert response.status_code == 422 and response.json()["parameter"] == "park"


# --- availability ----------------------------------------------------------------------------


def test_the_planners_question_is_answered_as_ranked_geojson_with_the_criteria(client):
    response = client.get(PLANNER_QUERY)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    body = response.json()
    expected = sp.expected_search(
        park="jiangtan",
        min_area_mu=60,
        land_uses=("0601",),
        near=(sp.Criterion("roads", "main", 500),),
        away=(sp.Criterion("river", None, 200),),
        combine=True,
    )
    keys = [
        f["properties"].get("parcel_code") or "+".join(f["properties"]["members"])
        for f in body["features"]
    ]
    assert set(keys) == set(expected.keys()) and len(keys) == len(expected.sites)
    criteria = body["criteria"]
    assert criteria["park"] == "jiangtan" and criteria["min_area_mu"] == 60
    assert criteria["near"] == [{"layer": "roads", "kind": "main", "metres": 500}]
    assert criteria["away"] == [{"layer": "river", "kind": None, "metres": 200}]
    assert any("500" in line for line in criteria["lines_zh"])
    assert any("200 m" in line for line in criteria["lines_en"])
    again = client.get("/api/availability?" + criteria["query"]).json()
    assert [f["id"] for f in again["features"]] == [f["id"] for f in body["features"]]


def test_a_search_saved_as_csv_has_a_row_per_result(client):
    geojson = client.get(PLANNER_QUERY).json()
    response = client.get(PLANNER_QUERY + "&format=csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert ".csv" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert len(rows) == len(geojson["features"])
    for row, feature in zip(rows, geojson["features"], strict=True):
        p = feature["properties"]
        assert int(row["rank"]) == p["rank"]
        assert row["parcel_code"] == (p.get("parcel_code") or "+".join(p["members"]))
        assert float(row["distance_roads_main_m"]) == p["distances_m"]["roads/main"]
        assert float(row["distance_river_m"]) == p["distances_m"]["river"]
        assert (
            shape(feature["geometry"])
            .buffer(1e-7)
            .contains(shapely.Point(float(row["lon"]), float(row["lat"])))
        )


def test_a_search_saved_as_geojson_is_an_attachment(client):
    response = client.get(PLANNER_QUERY + "&format=geojson")
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    assert response.json()["type"] == "FeatureCollection"


def test_a_polygon_around_the_world_holds_every_candidate_and_one_far_away_none(client):
    everything = client.get("/api/availability", params={"limit": 1}).json()
    world = mapping(box(-180, -90, 180, 90))
    inside = client.get("/api/availability", params={"limit": 1, "within": json.dumps(world)})
    assert inside.status_code == 200
    assert inside.json()["numberMatched"] == everything["numberMatched"] > 0
    far = mapping(box(0, 0, 10, 10))
    outside = client.get("/api/availability", params={"within": json.dumps(far)})
    assert outside.status_code == 200 and outside.json()["numberMatched"] == 0


SELF_CROSSING = {
    "type": "Polygon",
    "coordinates": [
        [[107.25, 34.35], [107.28, 34.38], [107.28, 34.35], [107.25, 34.38], [107.25, 34.35]]
    ],
}


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("near=rivers:200", "near"),
        ("near=roads/highway:500", "near"),
        ("away=lakes:100", "away"),
        ("near=roads:-500", "near"),
        ("away=river:-1", "away"),
        ("near=roads", "near"),
        ("near=roads:five", "near"),
        ("min_area_mu=80&max_area_mu=60", "min_area_mu"),
        ("min_area_mu=-3", "min_area_mu"),
        ("max_area_mu=lots", "max_area_mu"),
        ("within=" + json.dumps(SELF_CROSSING), "within"),
        ("within={not json", "within"),
        ("within=" + json.dumps({"type": "Point", "coordinates": [107.26, 34.36]}), "within"),
        ("within=" + json.dumps(mapping(box(430000, 3800000, 431000, 3801000))), "within"),
        ("park=xian", "park"),
        ("land_use=9999", "land_use"),
        ("status=sold", "status"),
        ("combine=true", "combine"),
        ("combine=perhaps&min_area_mu=60", "combine"),
        ("limit=0", "limit"),
        ("limit=100000", "limit"),
        ("format=xlsx", "format"),
    ],
)
def test_every_bad_criterion_is_a_422_naming_it(client, query, parameter):
    response = client.get("/api/availability", params=_pairs(query))
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "invalid_parameter" and body["parameter"] == parameter
    assert body["message"]


def _pairs(query: str) -> list[tuple[str, str]]:
    return [tuple(item.split("=", 1)) for item in query.split("&")]


def test_a_criterion_given_twice_is_refused_but_near_and_away_repeat(client):
    twice = client.get("/api/availability", params=[("min_area_mu", "10"), ("min_area_mu", "20")])
    assert twice.status_code == 422 and twice.json()["parameter"] == "min_area_mu"
    repeated = client.get(
        "/api/availability",
        params=[("park", "jiangtan"), ("near", "roads/main:500"), ("near", "river:5000")],
    )
    assert repeated.status_code == 200, repeated.text
    assert [c["layer"] for c in repeated.json()["criteria"]["near"]] == ["roads", "river"]


@pytest.mark.parametrize(
    ("combine", "expected"), [("true", True), ("1", True), ("false", False), ("0", False)]
)
def test_combine_takes_true_false_1_and_0_and_an_empty_criterion_is_not_given(
    client, combine, expected
):
    response = client.get(
        "/api/availability",
        params={"park": "", "land_use": "06,0701", "min_area_mu": "60", "combine": combine},
    )
    assert response.status_code == 200, response.text
    criteria = response.json()["criteria"]
    assert criteria["combine"] is expected and criteria["park"] is None
    assert criteria["land_use"] == ["06", "0701"]


def test_format_is_read_in_any_case(client):
    response = client.get("/api/buildings/vacancy", params={"format": "CSV"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")


# --- vacancy -------------------------------------------------------------------------------


def test_buildings_with_2000_m2_free_on_one_floor(client, sample_db_url):
    with sr.connect(sample_db_url) as conn:
        today = conn.execute(text("SELECT current_date")).scalar_one()
    floors = sp.floors_today(today)
    wanted = floors[floors["vacant_m2"] >= 2000]
    response = client.get("/api/buildings/vacancy", params={"min_vacant_m2": 2000})
    assert response.status_code == 200
    got = {
        (f["properties"]["building_code"], fl["floor"])
        for f in response.json()["features"]
        for fl in f["properties"]["floors"]
    }
    assert got == {(r.building_code, r.floor) for r in wanted.itertuples()}
    csv_response = client.get(
        "/api/buildings/vacancy", params={"min_vacant_m2": 2000, "format": "csv"}
    )
    rows = list(csv.DictReader(io.StringIO(csv_response.text.lstrip("\ufeff"))))
    assert {(r["building_code"], int(r["floor"])) for r in rows} == got


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"min_vacant_m2": -1}, "min_vacant_m2"),
        ({"min_vacant_m2": "much"}, "min_vacant_m2"),
        ({"storey": 0}, "storey"),
        ({"storey": "ground"}, "storey"),
        ({"park": "xian"}, "park"),
        ({"format": "pdf"}, "format"),
    ],
)
def test_bad_vacancy_parameters_are_422_naming_them(client, params, parameter):
    response = client.get("/api/buildings/vacancy", params=params)
    assert response.status_code == 422
    assert response.json()["parameter"] == parameter


# --- targets -------------------------------------------------------------------------------


def test_targets_say_per_park_whether_met_or_short_by_how_much(client):
    response = client.get("/api/targets")
    assert response.status_code == 200
    body = response.json()
    parks = {p["park"]: p for p in body["parks"]}
    assert set(parks) == set(sr.PARK_CODES)
    reserve = sp.reserve_mu_by_park()
    for park, (min_reserve, _) in sp.sample_targets().items():
        short = max(0.0, min_reserve - reserve[park])
        assert parks[park]["reserve_short_mu"] == pytest.approx(short, abs=1e-4)
    assert body["short"] == [p for p in sr.PARK_CODES if not parks[p]["met"]]
    assert "jiangtan" in body["short"] and body["met"] is False


def test_an_admin_sets_a_target_and_is_recorded(fresh_db_url, make_client, make_token):
    client = make_client(fresh_db_url)
    headers = make_token(fresh_db_url, "admin", name="规划局管理员")
    response = client.put("/api/targets/jiangtan", json={"min_reserve_mu": 1500}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["park"] == "jiangtan" and body["min_reserve_mu"] == 1500
    assert body["reserve_met"] and body["updated_by"] == "规划局管理员"
    assert client.get("/api/targets").json()["met"] is True


@pytest.mark.parametrize("role", ["viewer", "planner", "editor", "auditor"])
def test_only_an_admin_may_set_targets(refusals_db_url, make_client, make_token, role):
    client = make_client(refusals_db_url)
    response = client.put(
        "/api/targets/jiangtan",
        json={"min_reserve_mu": 1},
        headers=make_token(refusals_db_url, role),
    )
    assert response.status_code == 403
    response = client.put("/api/targets/jiangtan", json={"min_reserve_mu": 1})
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("body", "parameter"),
    [
        ({"min_reserve_mu": -100}, "min_reserve_mu"),
        ({"min_vacant_floor_m2": "a lot"}, "min_vacant_floor_m2"),
        ({"min_reserve_mu": 100, "colour": "red"}, "colour"),
        ({}, "body"),
        ([1, 2], "body"),
    ],
)
def test_a_bad_target_is_a_422_naming_the_field(
    refusals_db_url, make_client, make_token, body, parameter
):
    client = make_client(refusals_db_url)
    response = client.put(
        "/api/targets/jiangtan", json=body, headers=make_token(refusals_db_url, "admin")
    )
    assert response.status_code == 422
    assert response.json()["parameter"] == parameter


def test_a_target_body_that_is_not_json_is_a_422_and_an_unknown_park_a_404(
    refusals_db_url, make_client, make_token
):
    client = make_client(refusals_db_url)
    headers = {**make_token(refusals_db_url, "admin"), "Content-Type": "application/json"}
    response = client.put("/api/targets/jiangtan", content=b"{min_reserve_mu:", headers=headers)
    assert response.status_code == 422 and response.json()["parameter"] == "body"
    response = client.put("/api/targets/xian", json={"min_reserve_mu": 1}, headers=headers)
    assert response.status_code == 404
    with sr.connect(refusals_db_url) as conn:
        stored = conn.execute(text("SELECT min_reserve_mu FROM target WHERE park = 'jiangtan'"))
        assert stored.scalar_one() == sp.sample_targets()["jiangtan"][0]  # nothing changed


# --- supply ------------------------------------------------------------------------------


def test_the_yearly_supply_figure(client):
    response = client.get("/api/supply", params={"year": 2024})
    assert response.status_code == 200
    body = response.json()
    expected = sp.supplied_in(2024)
    assert body["year"] == 2024 and body["total"]["parcels"] == len(expected)
    assert body["total"]["area_m2"] == pytest.approx(expected["file_area_m2"].sum(), abs=0.05)
    assert 0 < body["total"]["manufacturing_share"] <= 1
    assert {e["supply_mode"] for e in body["by_mode"]} == set(expected["supply_mode"])


@pytest.mark.parametrize("year", ["twenty", "1800", "3000"])
def test_a_bad_year_is_a_422_naming_it(client, year):
    response = client.get("/api/supply", params={"year": year})
    assert response.status_code == 422 and response.json()["parameter"] == "year"

"""GET /api/supervision/idle over HTTP: the idle-land list of the hand-computed sites
(tests/support_idle.py) written onto real sample parcels — stages, fees and the parcels'
areas in 亩 checked against the sample file; the map layer as GeoJSON in EPSG:4326; every
bad parameter a 422 naming it; an admin's setting changes the stage."""

from __future__ import annotations

import pytest
import shapely
import support_idle as si
import support_reads as sr
from shapely.geometry import shape
from support_roles import app_url

from service.db.engine import make_engine

pytestmark = pytest.mark.e2e

URL = "/api/supervision/idle"


@pytest.fixture(scope="module")
def idle_db_url(databases, loaded_template) -> str:
    """A copy of the sample with the hand-computed sites written (reads only after)."""
    url = app_url(databases.create(template=loaded_template))
    engine = make_engine(url)
    try:
        si.write_sites(engine)
    finally:
        engine.dispose()
    return url


@pytest.fixture
def client(idle_db_url, make_client):
    return make_client(idle_db_url)


def _ours(body: dict) -> dict[str, dict]:
    return {p["contract_no"]: p for p in body["parcels"] if p["contract_no"].startswith("IDLE-")}


def test_the_list_gives_each_idle_contract_its_stage_days_fee_and_parcel(client):
    response = client.get(URL, params={"as_of": "2022-07-01"})
    assert response.status_code == 200 and response.headers["content-type"].startswith(
        "application/json"
    )
    body = response.json()
    assert body["as_of"] == "2022-07-01"
    ours = _ours(body)
    stall = ours["IDLE-STALL"]
    assert (stall["clock"], stall["stage"], stall["days_on_clock"]) == ("stalled", "idle_1y", 365)
    assert stall["clock_started_on"] == "2021-07-01" and stall["idle_on"] == "2022-07-01"
    assert stall["actual_start_on"] == "2021-03-01" and stall["fee_wan"] == 122.47
    assert stall["for_decision"] is False and stall["developed_share"] == 0.3
    assert (
        ours["IDLE-DELAY-OPEN"]["stage"] == "warning" and ours["IDLE-DELAY-OPEN"]["fee_wan"] is None
    )
    assert "IDLE-RESUMED" not in ours and "IDLE-COMPLETED" not in ours
    # the parcel's standing area, from the sample file
    frame = sr.parcels().set_index("parcel_code")
    area_m2 = float(frame.loc[stall["parcel_code"], "file_area_m2"])
    assert stall["area_m2"] == pytest.approx(area_m2, abs=sr.AREA_TOL_M2)
    assert stall["area_mu"] == pytest.approx(area_m2 / sr.M2_PER_MU, abs=1e-4)
    assert stall["land_area_m2"] == 30_000.0 and stall["land_area_mu"] == 45.0
    # the summaries are of the parcels listed
    stages = ("warning", "idle_1y", "idle_2y")
    assert body["counts"] == {s: sum(p["stage"] == s for p in body["parcels"]) for s in stages}
    assert body["fee_wan_total"] == pytest.approx(
        sum(p["fee_wan"] or 0 for p in body["parcels"]), abs=1e-6
    )
    assert body["area_m2_by_stage"]["idle_1y"] == pytest.approx(
        sum(p["land_area_m2"] for p in body["parcels"] if p["stage"] == "idle_1y")
    )
    assert body["settings"]["idle.no_start_days"] == 365


def test_two_years_not_started_is_for_decision(client):
    body = client.get(URL, params={"as_of": "2023-03-01", "stage": "idle_2y"}).json()
    assert {p["stage"] for p in body["parcels"]} == {"idle_2y"}
    ns = _ours(body)["IDLE-NS"]
    assert ns["for_decision"] is True and ns["fee_wan"] == 122.47
    assert ns["days_on_clock"] == 730 and ns["recovery_on"] == "2023-03-01"
    assert body["counts"]["warning"] == 0 and body["counts"]["idle_2y"] == len(body["parcels"])


def test_the_list_keeps_to_the_park_asked_for(client):
    every = client.get(URL, params={"as_of": "2022-07-01"}).json()["parcels"]
    park = every[0]["park"]
    body = client.get(URL, params={"as_of": "2022-07-01", "park": park}).json()
    assert body["parcels"] == [p for p in every if p["park"] == park] and body["park"] == park


def test_the_map_layer_is_geojson_in_wgs84_with_the_rows_as_properties(client):
    plain = client.get(URL, params={"as_of": "2022-07-01"}).json()
    response = client.get(URL, params={"as_of": "2022-07-01", "format": "geojson"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    layer = response.json()
    assert layer["type"] == "FeatureCollection" and layer["counts"] == plain["counts"]
    assert [f["properties"] for f in layer["features"]] == plain["parcels"]
    frame = sr.parcels().set_index("parcel_code").to_crs(4326)
    for feature in layer["features"]:
        assert feature["id"] == feature["properties"]["contract_no"]
        geometry = shape(feature["geometry"])
        lon0, lat0, lon1, lat1 = geometry.bounds
        assert 107.0 < lon0 <= lon1 < 107.8 and 34.2 < lat0 <= lat1 < 34.6
        expected = frame.loc[feature["properties"]["parcel_code"], "geometry"]
        assert shapely.hausdorff_distance(geometry, expected) < 1e-6  # degrees, ~0.1 m


def test_a_far_day_is_answered(client):
    response = client.get(URL, params={"as_of": "9999-12-31"})
    assert response.status_code == 200
    open_delay = _ours(response.json())["IDLE-DELAY-OPEN"]
    assert open_delay["days_on_clock"] == 306 and open_delay["idle_on"] is None


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"stage": "idle"}, "stage"),
        ({"stage": ""}, "stage"),
        ({"as_of": "2022-13-01"}, "as_of"),
        ({"as_of": "2022-02-30"}, "as_of"),
        ({"as_of": "20220101"}, "as_of"),
        ({"as_of": "10000-01-01"}, "as_of"),
        ({"as_of": "yesterday"}, "as_of"),
        ({"park": "xian"}, "park"),
        ({"format": "kml"}, "format"),
    ],
)
def test_a_bad_parameter_is_refused_naming_it(client, params, parameter):
    response = client.get(URL, params=params)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "invalid_parameter" and body["parameter"] == parameter


def test_reads_needing_a_token_refuse_an_anonymous_caller(idle_db_url, make_client, make_token):
    client = make_client(idle_db_url, reads_need_token=True)
    assert client.get(URL).status_code == 401
    headers = make_token(idle_db_url, "viewer")
    assert client.get(URL, headers=headers).status_code == 200


def test_an_admins_warning_setting_changes_the_stage(databases, loaded_template, make_client):
    url = app_url(databases.create(template=loaded_template))
    engine = make_engine(url)
    try:
        si.write_sites(engine, {"IDLE-NS": si.SITES["IDLE-NS"]})
        client = make_client(url)
        before = _ours(client.get(URL, params={"as_of": "2022-01-01"}).json())
        assert before["IDLE-NS"]["stage"] == "warning"  # 306 days ≥ 365 − 90
        si.write_records(engine, [], [], [], settings={"idle.warning_days": 30})
        after = client.get(URL, params={"as_of": "2022-01-01"}).json()
    finally:
        engine.dispose()
    assert "IDLE-NS" not in _ours(after)  # 306 < 365 − 30
    assert after["settings"]["idle.warning_days"] == 30

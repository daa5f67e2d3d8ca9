"""The 亩均效益 evaluation over HTTP: the year's list (enterprises, ungraded, parks,
low-efficiency land), one enterprise with how its score was made, the map layer as GeoJSON
in EPSG:4326; bad parameters 422 naming them, an unknown enterprise 404, a year without
figures 422 naming ``year``. The data (support_evaluation.build_city) is built once on a
copy of the sample shared by the module; the tests only read it."""

from __future__ import annotations

import pytest
import support_evaluation as se
import support_reads as sr
from shapely.geometry import shape

pytestmark = pytest.mark.e2e

YEAR = se.E2E_YEAR


@pytest.fixture(scope="module")
def city(databases, loaded_template) -> dict:
    url = sr.database_url(databases.create(template=loaded_template))
    return {"url": url, **se.build_city(url)}


@pytest.fixture
def client(city, make_client):
    return make_client(city["url"])


def _get(client, path: str, **params):
    return client.get(path, params=params)


def test_the_evaluation_of_a_year_grades_every_enterprise_with_land_in_its_group(client, city):
    response = _get(client, "/api/evaluation", year=YEAR)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["year"] == YEAR
    assert set(body) >= {"settings", "enterprises", "ungraded", "parks", "low_efficiency"}
    found = {e["enterprise_code"]: e for e in body["enterprises"]}
    assert set(found) == {*city["codes"], "EV-LESSOR", "EV-T"}
    assert found["EV-T"]["group"] == "leased_floor"
    assert found["EV-T"]["land_mu"] == pytest.approx(0.9)  # 1200 m² ÷ plot ratio 2 = 600 m²
    assert {found[c]["group"] for c in found if c != "EV-T"} == {"land"}
    for i, h in enumerate(city["holders"]):
        e = found[city["codes"][i]]
        assert e["parcels"] == h["parcels"]
        assert e["land_m2"] == pytest.approx(h["land_m2"], abs=0.01)
    land = sorted((e for e in body["enterprises"] if e["group"] == "land"), key=lambda e: e["rank"])
    # tax 40, 30, 20, 10 万元/亩 for the holders, 20 for the lessor on revenue 200 万元/亩
    # and no R&D, energy or staff figures: the lessor is last; shares 25 each over 5: A is
    # the 1st (round 1.25), B up to the 3rd (round 2.5), C the 4th (3.75), D the 5th
    assert [e["grade"] for e in land] == ["A", "B", "B", "C", "D"]
    assert land[-1]["enterprise_code"] == "EV-LESSOR"
    assert [e["score"] for e in land] == sorted((e["score"] for e in land), reverse=True)
    assert {u["enterprise_code"]: u["reason"] for u in body["ungraded"]} == {"EV-NOLAND": "no_land"}
    low = {i["parcel_code"]: i["reasons"] for i in body["low_efficiency"]}
    assert low["EV-0001"] == ["grade_d"]  # the lessor's parcel
    assert low[city["underbuilt"]["parcel_code"]] == ["plot_ratio_below_contract"]
    gaoxin = next(p for p in body["parks"] if p["park"] == "gaoxin")
    in_gaoxin = [e for e in body["enterprises"] if e["park"] == "gaoxin"]
    assert gaoxin["enterprises"] == len(in_gaoxin)
    assert gaoxin["tax_wan"] == pytest.approx(sum(e["tax_wan"] for e in in_gaoxin))


def test_the_year_defaults_to_the_latest_year_with_figures(client):
    body = _get(client, "/api/evaluation").json()
    assert body["year"] == YEAR


def test_park_group_and_grade_narrow_the_list_and_keep_the_city_wide_grades(client):
    everything = {
        e["enterprise_code"]: e for e in _get(client, "/api/evaluation").json()["enterprises"]
    }
    body = _get(client, "/api/evaluation", year=YEAR, group="leased_floor").json()
    assert [e["enterprise_code"] for e in body["enterprises"]] == ["EV-T"]
    body = _get(client, "/api/evaluation", year=YEAR, grade="d").json()
    assert [e["enterprise_code"] for e in body["enterprises"]] == ["EV-LESSOR"]
    body = _get(client, "/api/evaluation", year=YEAR, park="gaoxin").json()
    assert [p["park"] for p in body["parks"]] == ["gaoxin"]
    assert {e["park"] for e in body["enterprises"]} == {"gaoxin"}
    for e in body["enterprises"]:
        assert (e["rank"], e["grade"]) == (
            everything[e["enterprise_code"]]["rank"],
            everything[e["enterprise_code"]]["grade"],
        )
    assert {i["park"] for i in body["low_efficiency"]} <= {"gaoxin"}


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"year": "2031x"}, "year"),
        ({"year": "1800"}, "year"),
        ({"year": "2019"}, "year"),  # no figures for it
        ({"park": "xian"}, "park"),
        ({"group": "nope"}, "group"),
        ({"grade": "E"}, "grade"),
        ({"format": "kml"}, "format"),
    ],
)
def test_a_bad_parameter_is_422_naming_it(client, params, parameter):
    response = client.get("/api/evaluation", params=params)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "invalid_parameter" and body["parameter"] == parameter


def test_a_year_with_no_figures_is_422_naming_the_year_for_one_enterprise_too(client):
    response = _get(client, "/api/evaluation", year=2019)
    assert response.status_code == 422 and "2019" in response.json()["message"]
    response = _get(client, "/api/evaluation/EV-T", year=2019)
    assert response.status_code == 422
    assert response.json()["parameter"] == "year" and "2019" in response.json()["message"]


def test_one_enterprise_by_code_or_exact_name_shows_how_its_score_was_made(client, city):
    by_code = _get(client, f"/api/evaluation/{city['codes'][0]}", year=YEAR)
    assert by_code.status_code == 200, by_code.text
    body = by_code.json()
    by_name = _get(client, f"/api/evaluation/{city['holders'][0]['name']}", year=YEAR).json()
    assert by_name == body
    made = body["score_made"]
    assert sum(i["weighted_points"] for i in made["indicators"]) == pytest.approx(
        body["score"], abs=1e-5
    )
    listed = _get(client, "/api/evaluation", year=YEAR).json()
    land = next(g for g in listed["groups"] if g["code"] == "land")
    for item in made["indicators"]:
        assert item["min"] == land["scales"][item["indicator"]]["min"]
        assert item["max"] == land["scales"][item["indicator"]]["max"]
        assert item["weight"] == listed["settings"]["weights"][item["indicator"]]
        if item["value"] is not None and item["max"] != item["min"]:
            expected = 20 + 80 * (item["value"] - item["min"]) / (item["max"] - item["min"])
            assert item["points"] == pytest.approx(expected, abs=1e-3)
    assert [f["year"] for f in body["figures"]][-2:] == [YEAR - 1, YEAR]
    parcels = {p["parcel_code"]: p["area_m2"] for p in body["land"]["parcels"]}
    assert list(parcels) == city["holders"][0]["parcels"]
    assert sum(parcels.values()) == pytest.approx(city["holders"][0]["land_m2"], abs=0.05)
    assert (body["rank"], body["grade"], body["group"]) == (1, "A", "land")


def test_a_tenant_shows_its_lease_and_the_land_share_of_its_floor(client):
    body = _get(client, "/api/evaluation/EV-T").json()
    assert body["year"] == YEAR and body["group"] == "leased_floor"
    (lease,) = body["land"]["leases"]
    assert lease["leased_m2"] == 1200 and lease["building_floor_area_m2"] == 6000
    assert lease["parcel_area_m2"] == pytest.approx(3000)
    assert lease["plot_ratio"] == pytest.approx(2.0)
    assert lease["land_share_m2"] == pytest.approx(600) and lease["land_share_mu"] == 0.9


def test_an_unknown_enterprise_is_404_naming_it(client):
    response = _get(client, "/api/evaluation/NO-SUCH-FIRM", year=YEAR)
    assert response.status_code == 404 and "NO-SUCH-FIRM" in response.json()["message"]


def test_the_map_layer_colours_each_parcel_by_its_holders_grade_in_wgs84(client, city):
    response = _get(client, "/api/evaluation", year=YEAR, format="geojson")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/geo+json")
    body = response.json()
    assert body["type"] == "FeatureCollection"
    listed = _get(client, "/api/evaluation", year=YEAR).json()
    expected = {code: e["grade"] for e in listed["enterprises"] for code in e["parcels"]}
    features = {f["id"]: f for f in body["features"]}
    assert {c: f["properties"]["grade"] for c, f in features.items()} == expected
    lessor = features["EV-0001"]
    assert lessor["properties"]["low_efficiency"] == ["grade_d"]
    geom = shape(lessor["geometry"])
    lon0, lat0, lon1, lat1 = geom.bounds
    assert 107.0 < lon0 < lon1 < 107.7 and 34.2 < lat0 < lat1 < 34.6
    only_d = _get(client, "/api/evaluation", year=YEAR, format="geojson", grade="D").json()
    assert [f["id"] for f in only_d["features"]] == ["EV-0001"]


def test_reads_need_a_token_when_the_service_says_so(city, make_client, make_token):
    client = make_client(city["url"], reads_need_token=True)
    assert client.get("/api/evaluation").status_code == 401
    headers = make_token(city["url"], "viewer")
    assert client.get("/api/evaluation", headers=headers).status_code == 200
    assert client.get("/api/evaluation/EV-T", headers=headers).status_code == 200

"""The map pages over HTTP: everything they load is served by the service, layers are
embedded up to the threshold and tiled above it, the basemap setting is honoured, the
search box's service finds parcels and projects, the availability map carries the
search's candidates and criteria, a project has its page, and targets reach the map."""

from __future__ import annotations

import json
import re

import psycopg
import pytest
import support_reads as sr

pytestmark = pytest.mark.e2e

PARK = "caijiapo"


@pytest.fixture
def client(sample_db_url, make_client):
    return make_client(sample_db_url)


def _config(page: str) -> dict:
    found = re.search(r"PLM\.create\(\w+,\s*(\{.*?\})\);\n", page, re.S)
    assert found, "the page has no PLM.create(...) call"
    return json.loads(found.group(1))


def _embedded(page: str) -> list[dict]:
    return [json.loads(m) for m in re.findall(r"var plm_data_\w+ = (\{.*?\});\n", page, re.S)]


def _embedded_parcel_codes(page: str) -> list[str]:
    codes: list[str] = []
    for fc in _embedded(page):
        feats = fc["features"]
        if feats and "land_use_code" in feats[0]["properties"]:
            codes += [f["properties"]["parcel_code"] for f in feats]
    return codes


def _assets(page: str) -> list[str]:
    return re.findall(r'<script src="([^"]+)"', page) + re.findall(
        r'<link rel="stylesheet" href="([^"]+)"', page
    )


@pytest.mark.parametrize("path", ["/map", f"/map/{PARK}"])
def test_every_file_a_map_page_loads_is_served_by_the_service(client, path):
    page = client.get(path).text
    urls = _assets(page)
    assert len(urls) >= 10
    for url in urls:
        assert url.startswith("/static/"), url
        response = client.get(url)
        assert response.status_code == 200, url
        if url.endswith(".css"):
            folder = url.rsplit("/", 1)[0]
            for ref in re.findall(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)""", response.text):
                if ref.startswith(("data:", "#")):
                    continue
                image = client.get(f"{folder}/{ref}")
                assert image.status_code == 200, f"{url} -> {ref}"


def test_a_small_layer_is_embedded_whole(client):
    page = client.get(f"/map/{PARK}").text
    parcels = sr.parcels()
    expected = sorted(parcels.loc[parcels["park"] == PARK, "parcel_code"])
    assert sorted(_embedded_parcel_codes(page)) == expected  # once, for both views
    assert "/tiles/parcels/" not in page
    assert "Leaflet.VectorGrid" not in page


def test_above_the_threshold_a_layer_is_drawn_from_vector_tiles(sample_db_url, make_client):
    parcels = sr.parcels()
    n = int((parcels["park"] == PARK).sum())
    client = make_client(sample_db_url, map_vector_tile_threshold=n - 1)
    page = client.get(f"/map/{PARK}").text
    assert _embedded_parcel_codes(page) == []
    assert '"url":"/tiles/parcels/{z}/{x}/{y}.pbf?park=caijiapo","layer":"parcels"' in page
    assert "/static/vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js" in page
    # With parcels tiled, the search box asks the service.
    assert _config(page)["search"] == {"url": "/map/search", "park": PARK, "local": False}
    # At exactly the threshold the layer is still embedded.
    at = make_client(sample_db_url, map_vector_tile_threshold=n).get(f"/map/{PARK}").text
    assert len(_embedded_parcel_codes(at)) == n


def test_a_custom_basemap_is_drawn_under_the_map(sample_db_url, make_client):
    url = "/intranet/tiles/{z}/{x}/{y}.png"
    page = make_client(sample_db_url, basemap="custom", tile_url=url).get("/map").text
    assert "L.tileLayer(" in page and json.dumps(url) in page


def test_a_stray_tile_url_does_not_break_the_plain_map(sample_db_url, make_client):
    client = make_client(sample_db_url, basemap="none", tile_url="/t/{z}/{x}/{y}.png")
    response = client.get(f"/map/{PARK}")
    assert response.status_code == 200
    assert "L.tileLayer(" not in response.text


def test_tianditu_is_drawn_with_its_key_and_labels(sample_db_url, make_client):
    client = make_client(
        sample_db_url, basemap="tianditu", tianditu_key="abc123", tianditu_layer="img"
    )
    page = client.get("/map").text
    assert page.count("L.tileLayer(") == 2
    assert "tianditu.gov.cn/img_w/wmts" in page and "tianditu.gov.cn/cia_w/wmts" in page
    assert "tk=abc123" in page


def test_settings_refuse_a_basemap_that_cannot_work():
    from pydantic import ValidationError

    from service.settings import Settings

    for bad in (
        {"basemap": "custom"},
        {"basemap": "tianditu"},
        {"basemap": "custom", "tile_url": "/tiles.png"},
    ):
        with pytest.raises(ValidationError):
            Settings(**bad)


# --- search ---------------------------------------------------------------------------------


def test_search_finds_a_parcel_by_its_code(client):
    response = client.get("/map/search", params={"q": "CJP-0012"})
    assert response.status_code == 200
    first = response.json()[0]
    assert first["kind"] == "parcel" and first["code"] == "CJP-0012" and first["park"] == PARK
    parcel = sr.parcels().set_index("parcel_code").loc["CJP-0012"]
    from pyproj import Transformer

    minx, miny, maxx, maxy = parcel.geometry.bounds
    to_4326 = Transformer.from_crs(4545, 4326, always_xy=True)
    west, south = to_4326.transform(minx, miny)
    east, north = to_4326.transform(maxx, maxy)
    assert first["bbox"] == pytest.approx([west, south, east, north], abs=2e-5)
    assert west <= first["lon"] <= east and south <= first["lat"] <= north


def test_search_finds_every_parcel_of_a_holder(client):
    parcels = sr.parcels()
    holder = parcels.loc[parcels["park"] == PARK, "holder"].dropna().value_counts().index[0]
    expected = set(parcels.loc[parcels["holder"] == holder, "parcel_code"])
    body = client.get("/map/search", params={"q": holder, "limit": 100}).json()
    found = {r["code"] for r in body if r["kind"] == "parcel"}
    assert found == expected
    assert all(holder in r["title"] for r in body if r["kind"] == "parcel")


def test_search_finds_a_project_by_name_and_narrows_to_a_park(client):
    projects = sr.layer("projects")
    row = projects[projects["park"] == PARK].iloc[0]
    body = client.get("/map/search", params={"q": row["name"], "park": PARK}).json()
    assert {"kind": "project", "code": row["project_code"]}.items() <= body[0].items()
    assert all(r["park"] == PARK for r in body)


def test_search_takes_wildcards_literally(client):
    assert client.get("/map/search", params={"q": "%"}).json() == []
    assert client.get("/map/search", params={"q": "CJP_0012"}).json() == []


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({}, "q"),
        ({"q": ""}, "q"),
        ({"q": "x" * 101}, "q"),
        ({"q": "CJP", "park": "nope"}, "park"),
        ({"q": "CJP", "limit": "0"}, "limit"),
    ],
)
def test_bad_search_input_is_a_422_naming_it(client, params, parameter):
    response = client.get("/map/search", params=params)
    assert response.status_code == 422
    assert response.json()["parameter"] == parameter


# --- the availability map ------------------------------------------------------------------------


def test_availability_map_shows_the_searchs_candidates_and_criteria(client):
    params = {"park": PARK, "min_area_mu": "20", "near": "roads/main:300"}
    api = client.get("/api/availability", params=params).json()
    page = client.get("/map/availability", params=params).text
    candidates = [
        fc for fc in _embedded(page) if fc["features"] and "rank" in fc["features"][0]["properties"]
    ]
    assert len(candidates) == 1
    assert [f["properties"]["parcel_code"] for f in candidates[0]["features"]] == [
        f["properties"]["parcel_code"] for f in api["features"]
    ]
    for zh, en in zip(api["criteria"]["lines_zh"], api["criteria"]["lines_en"], strict=True):
        assert zh in page and en in page
    # The context layers are there, switched off, to check the candidates against.
    config = _config(page)
    assert {"roads", "river"} <= set(config["names"]["context"])


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"min_area_mu": "lots"}, "min_area_mu"),
        ({"park": "nope"}, "park"),
        ({"near": "roads"}, "near"),
        ({"within": "{not json"}, "within"),
    ],
)
def test_availability_map_with_a_bad_criterion_is_a_422_naming_it(client, params, parameter):
    response = client.get("/map/availability", params=params)
    assert response.status_code == 422
    assert response.json()["parameter"] == parameter


# --- project page, focus, targets ---------------------------------------------------------------


def test_a_project_has_a_page_with_its_milestones_and_parcels(client):
    projects = sr.layer("projects")
    row = projects[projects["park"] == PARK].iloc[0]
    response = client.get(f"/map/projects/{row['project_code']}")
    assert response.status_code == 200
    page = response.text
    assert row["name"] in page and row["investor"] in page
    for milestone in json.loads(row["milestones"]):
        assert milestone["name"] in page and milestone["date"] in page
    for code in row["parcel_codes"].split(","):
        assert f"/api/parcels/{code}/history" in page
    assert f"/map/{PARK}?focus={row['project_code']}" in page


def test_an_unknown_project_or_park_is_a_404(client):
    assert client.get("/map/projects/NOPE-1").status_code == 404
    response = client.get("/map/atlantis")
    assert response.status_code == 404 and "atlantis" in response.json()["message"]


def test_a_map_can_open_on_a_parcel(client):
    page = client.get(f"/map/{PARK}", params={"focus": "CJP-0012"}).text
    assert _config(page)["focus"] == "CJP-0012"


def test_popups_link_to_the_parcel_history_and_the_project_page(client):
    links = _config(client.get(f"/map/{PARK}").text)["links"]
    assert links["history"] == "/api/parcels/{code}/history"
    assert links["project"] == "/map/projects/{code}"
    assert client.get(links["project"].replace("{code}", "CJP-P01")).status_code == 200


def test_a_missed_target_reaches_the_map(fresh_db_url, make_client):
    with psycopg.connect(fresh_db_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute(
            "SELECT admin_set_target(%s, 0, 1e9, 'test', 'a target the park misses')", (PARK,)
        )
    page = make_client(fresh_db_url).get("/map").text
    target = _config(page)["figures"][PARK]["target"]
    assert target["target_set"] is True and target["met"] is False and target["floor_met"] is False
    panel = re.search(r'<template id="[^"]+_panel">(.*?)</template>', page, re.S).group(1)
    row = re.search(rf'<tr data-plm-park="{PARK}">(.*?)</tr>', panel, re.S).group(1)
    assert "plm-missed" in row

"""The map pages: served HTML naming the parks and the layers, loading Leaflet from the
service itself (no CDN), carrying the URLs of the land-supervision layers (闲置土地, 亩均效益)
rather than the layers, and `parks map --out` writing a file that works offline, those
layers embedded."""

from __future__ import annotations

import json
import re

import pytest
import support_reads as sr

from maps.builder import LAYER_NAMES

pytestmark = pytest.mark.e2e

LEAFLET_JS = sr.ROOT / "web" / "static" / "vendor" / "leaflet" / "leaflet.js"
CDN_HOSTS = (
    "cdn.jsdelivr.net",
    "cdnjs.cloudflare.com",
    "unpkg.com",
    "code.jquery.com",
    "bootstrapcdn.com",
    "googleapis.com",
    "netdna",
)


@pytest.fixture
def client(sample_db_url, make_client):
    return make_client(sample_db_url)


@pytest.fixture(scope="module")
def park_names() -> dict[str, tuple[str, str]]:
    parks = sr.layer("parks")
    return {r.code: (r.name_zh, r.name_en) for r in parks.itertuples()}


def _config(page: str) -> dict:
    found = re.search(r"PLM\.create\(\w+,\s*(\{.*?\})\);\n", page, re.S)
    assert found, "the page has no PLM.create(...) call"
    return json.loads(found.group(1))


def _embedded(page: str) -> list[dict]:
    return [json.loads(m) for m in re.findall(r"var plm_data_\w+ = (\{.*?\});\n", page, re.S)]


def _assert_no_cdn(page: str) -> None:
    for host in CDN_HOSTS:
        assert host not in page, host
    assert not re.search(r'<script[^>]+src="(https?:)?//', page)
    assert not re.search(r'<link[^>]+href="(https?:)?//', page)


#: The layers every map page has (others, such as candidate land, appear on request).
CORE_LAYERS = ("parks", "parcels_use", "parcels_status", "buildings", "projects")


def _assert_layers(page: str) -> None:
    for key in CORE_LAYERS:
        zh, en = LAYER_NAMES[key].split(" ", 1)
        # The layer control holds names as JSON strings (non-ASCII escaped), the legend as
        # HTML: either way both halves of the bilingual name are on the page.
        assert zh in page or json.dumps(zh)[1:-1] in page, zh
        assert en in page or json.dumps(en)[1:-1] in page, en


def test_the_city_map_names_all_four_parks_and_every_layer(client, park_names):
    response = client.get("/map")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    for name_zh, name_en in park_names.values():
        assert name_zh in page and name_en in page
    _assert_layers(page)


def test_the_map_loads_leaflet_from_the_service_and_nothing_from_a_cdn(client):
    page = client.get("/map").text
    assert '<script src="/static/vendor/leaflet/leaflet.js"></script>' in page
    assert "/static/vendor/leaflet/leaflet.css" in page
    _assert_no_cdn(page)


@pytest.mark.parametrize("park", ["caijiapo", "fengxiang"])
def test_a_parks_map_names_the_park_and_shows_only_its_parcels(client, park, park_names):
    response = client.get(f"/map/{park}")
    assert response.status_code == 200
    page = response.text
    name_zh, name_en = park_names[park]
    assert name_zh in page and name_en in page
    _assert_layers(page)
    assert '<script src="/static/vendor/leaflet/leaflet.js"></script>' in page
    _assert_no_cdn(page)
    parcels = sr.parcels()
    ours = parcels.loc[parcels["park"] == park, "parcel_code"]
    others = parcels.loc[parcels["park"] != park, "parcel_code"]
    assert all(f'"{code}"' in page for code in ours)
    assert not any(f'"{code}"' in page for code in others)


@pytest.mark.parametrize(
    ("path", "park"), [("/map/caijiapo", "caijiapo"), ("/map", None), ("/map/gaoxin", "gaoxin")]
)
def test_a_served_map_carries_the_fetched_layers_urls_not_the_layers(client, path, park):
    page = client.get(path).text
    query = f"&park={park}" if park else ""
    fetched = _config(page)["fetched"]
    assert fetched == {
        "idle": f"/api/supervision/idle?format=geojson&per=parcel{query}",
        "grades": f"/api/evaluation?format=geojson{query}",
        # the key projects behind plan or with overdue problems (重点项目预警)
        "alerts": f"/api/projects/alerts?park={park}" if park else "/api/projects/alerts",
    }
    # no embedded collection is either layer (their features carry a stage or a grade)
    for fc in _embedded(page):
        for f in fc["features"]:
            assert not {"stage", "grade"} & set(f["properties"]), f["properties"]
    assert '"days_on_clock"' not in page and '"score"' not in page
    # and the URLs answer with the layers, of the map's park only
    for key, url in fetched.items():
        response = client.get(url)
        assert response.status_code == 200, (url, response.text)
        assert response.headers["content-type"].startswith("application/geo+json")
        features = response.json()["features"]
        assert features, f"the sample has {key} in every park"
        if park:
            assert {f["properties"]["park"] for f in features} == {park}


def test_the_vendored_leaflet_script_is_served(client):
    response = client.get("/static/vendor/leaflet/leaflet.js")
    assert response.status_code == 200
    assert "javascript" in response.headers["content-type"]
    assert response.content == LEAFLET_JS.read_bytes()


def test_parks_map_writes_a_self_contained_file_naming_the_park(sample_db_url, tmp_path):
    out = tmp_path / "caijiapo.html"
    result = sr.run_parks("map", "--park", "caijiapo", "--out", str(out), url=sample_db_url)
    assert result.returncode == 0, result.stderr
    assert str(out) in result.stdout
    page = out.read_text(encoding="utf-8")
    name_zh, name_en = sr.layer("parks").set_index("code").loc["caijiapo", ["name_zh", "name_en"]]
    assert name_zh in page and name_en in page
    assert "/static/vendor" not in page
    _assert_no_cdn(page)
    # Leaflet's own source is inside the page (a distinctive run of it, not just its name).
    source = LEAFLET_JS.read_text(encoding="utf-8")
    middle = len(source) // 2
    assert source[middle : middle + 400] in page
    assert "GX-0001" not in page and "CJP-0001" in page
    # the file can't ask the service: the supervision layers are in it
    assert _config(page)["fetched"] == {}
    layers = [fc for fc in _embedded(page) if fc["features"]]
    stages = [f for fc in layers for f in fc["features"] if "stage" in f["properties"]]
    grades = [f for fc in layers for f in fc["features"] if "grade" in f["properties"]]
    assert stages and grades
    assert {f["properties"]["park"] for f in stages + grades} == {"caijiapo"}
    # one feature per parcel, as the service's layer has it
    assert len({f["id"] for f in stages}) == len(stages)


def test_parks_map_of_an_unknown_park_fails_naming_it(sample_db_url, tmp_path):
    out = tmp_path / "nope.html"
    result = sr.run_parks("map", "--park", "nope", "--out", str(out), url=sample_db_url)
    assert result.returncode != 0
    assert "nope" in result.stderr and "park" in result.stderr
    assert not out.exists()

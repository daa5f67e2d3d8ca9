"""The security headers through the whole app: on a page, a JSON answer, a static file
and the guards' refusals (401, 404, 405, 413, 422), a fresh nonce per request that every
script of the page carries, and the basemap's tile servers the only foreign hosts."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.e2e

PARK = "caijiapo"
SCRIPT_TAG = re.compile(r"<script\b[^>]*>", re.IGNORECASE)


def _nonce(response) -> str:
    """The nonce the response's policy names, after checking every security header."""
    headers = response.headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["x-frame-options"] == "SAMEORIGIN"
    policy = headers["content-security-policy"]
    assert policy.startswith("default-src 'self'; script-src 'self' 'nonce-")
    assert "img-src 'self' data: blob:;" in policy  # no basemap: no foreign host
    assert "object-src 'none'" in policy and "frame-ancestors 'self'" in policy
    return re.search(r"'nonce-([A-Za-z0-9_-]{22})'", policy).group(1)


@pytest.fixture(scope="module")
def client(sample_db_url):
    from fastapi.testclient import TestClient

    from service.api.app import create_app
    from service.settings import Settings

    with TestClient(create_app(Settings(database_url=sample_db_url))) as c:
        yield c


def _inline(page: str) -> list[str]:
    """The page's inline script elements (a file of this site, ``src=``, needs no nonce)."""
    return [t for t in SCRIPT_TAG.findall(page) if "src=" not in t]


def test_every_inline_script_of_a_map_page_carries_the_nonce_of_its_own_request(client):
    first, second = client.get(f"/map/{PARK}"), client.get(f"/map/{PARK}")
    assert first.status_code == second.status_code == 200
    nonces = [_nonce(first), _nonce(second)]
    assert nonces[0] != nonces[1]
    for page, nonce in zip((first, second), nonces, strict=True):
        inline = _inline(page.text)
        assert len(inline) >= 2  # Leaflet's switches, the map's code
        assert [t for t in inline if t != f'<script nonce="{nonce}">'] == []
        files = [t for t in SCRIPT_TAG.findall(page.text) if "src=" in t]
        assert files and all(re.fullmatch(r'<script src="/static/[^"]+">', t) for t in files)


def test_the_city_and_availability_maps_carry_the_nonce_too(client):
    for path in ("/map", f"/map/availability?park={PARK}&min_area_mu=1"):
        page = client.get(path)
        assert page.status_code == 200, path
        nonce = _nonce(page)
        inline = _inline(page.text)
        assert inline and [t for t in inline if t != f'<script nonce="{nonce}">'] == []


def test_an_import_report_carries_the_nonce(client, sample_db_url, make_token, tmp_path):
    from support_imports import dry_run, engine_on, standing, survey_frame, write_gpkg

    with engine_on(sample_db_url) as engine, engine.connect() as conn:
        parcels = standing(conn, f"v.park = '{PARK}'")[:2]
    outcome = dry_run(sample_db_url, write_gpkg(survey_frame(parcels), tmp_path / "s.gpkg"))
    page = client.get(f"/imports/{outcome.id}", headers=make_token(sample_db_url, "auditor"))
    assert page.status_code == 200
    nonce = _nonce(page)
    inline = _inline(page.text)
    assert len(inline) >= 2 and [t for t in inline if t != f'<script nonce="{nonce}">'] == []


def test_pages_without_inline_scripts_carry_the_headers(client):
    docs = client.get("/docs")
    _nonce(docs)
    assert _inline(docs.text) == []
    items = client.get("/ogc/collections/parcels/items?f=html&limit=5")
    _nonce(items)
    assert _inline(items.text) == ['<script type="application/json" id="features">']  # data
    for path in ("/audit", "/ogc?f=html"):
        assert client.get(path).status_code == 200, path
        _nonce(client.get(path))


def test_a_json_answer_and_a_static_file_carry_the_headers(client):
    answer = client.get("/api/parks")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    _nonce(answer)
    script = client.get("/static/map/plm.js")
    assert script.status_code == 200
    _nonce(script)


def test_the_guards_refusals_carry_the_headers(client):
    unauthorised = client.post("/api/change-sets", json={})
    assert unauthorised.status_code == 401
    _nonce(unauthorised)
    missing = client.get("/no/such/path")
    assert missing.status_code == 404
    _nonce(missing)
    wrong_method = client.get("/api/change-sets")
    assert wrong_method.status_code == 405
    _nonce(wrong_method)
    too_large = client.post(
        "/api/change-sets",
        content=b"{}",
        headers={"Content-Length": str(10**12), "Content-Type": "application/json"},
    )
    assert too_large.status_code == 413
    _nonce(too_large)
    nul = client.get("/api/parcels/a%00b")
    assert nul.status_code == 422
    _nonce(nul)


def test_a_basemap_adds_its_tile_server_to_the_images_allowed_and_nothing_else(
    sample_db_url, make_client
):
    client = make_client(sample_db_url, basemap="osm")
    page = client.get(f"/map/{PARK}")
    policy = page.headers["content-security-policy"]
    assert "img-src 'self' data: blob: https://tile.openstreetmap.org;" in policy
    assert policy.count("openstreetmap") == 1
    # The tile server is told the site (its usage policy asks for it), never the page.
    assert '"referrerPolicy": "strict-origin-when-cross-origin"' in page.text

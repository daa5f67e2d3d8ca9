"""No database: each error class has its own HTTP status in the one table, and a map page
that cannot be built because the front-end assets are not installed is a 503 saying so,
not a client's invalid geometry."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from gis.errors import InvalidGeometry
from maps.errors import MapOptionError, MissingAsset
from parks.errors import NotFound
from service.api import errors


def _client(exc: Exception) -> TestClient:
    app = FastAPI()
    errors.install(app)

    @app.get("/boom")
    def boom() -> None:
        raise exc

    return TestClient(app, raise_server_exceptions=False)


def test_each_error_class_maps_to_its_own_status() -> None:
    assert errors.status_for(NotFound("x")) == 404
    assert errors.status_for(InvalidGeometry("x")) == 422
    assert errors.status_for(MissingAsset("x")) == 503
    assert errors.status_for(MapOptionError("x")) == 500


def test_a_missing_vendored_asset_is_a_503_naming_the_fix_not_invalid_geometry() -> None:
    message = "web/static/vendor/leaflet/leaflet.js is missing: run `make web`"
    response = _client(MissingAsset(message)).get("/boom")
    assert response.status_code == 503
    assert response.json() == {"error": "assets_not_installed", "message": message}


def test_invalid_geometry_is_still_a_422() -> None:
    response = _client(InvalidGeometry("Self-intersection")).get("/boom")
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_geometry"

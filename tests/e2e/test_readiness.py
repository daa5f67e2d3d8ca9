"""``/ready``: ready when the database answers, its schema is the code's and the map's
assets are installed; otherwise 503 naming what failed. (The database down, and a schema
behind the code, are proven on a scratch cluster in test_database_outage.py.)"""

from __future__ import annotations

import pytest

from service.api.routes import health
from service.db.migrate import head_revision
from service.pages.templates import STATIC_DIR

pytestmark = pytest.mark.e2e


def test_ready_when_the_database_answers_its_schema_is_current_and_the_assets_are_there(
    sample_db_url, make_client
):
    answer = make_client(sample_db_url).get("/ready")
    assert answer.status_code == 200
    assert answer.json()["status"] == "ready"
    assert answer.json()["checks"] == {"database": "ok", "migrations": "ok", "assets": "ok"}
    assert head_revision() is not None
    # The assets checked are the map's own files, and they are really there.
    assert all(path.is_file() for path in health.map_assets())
    assert {p.name for p in health.map_assets()} >= {"leaflet.js", "plm.js", "plm.css"}


def test_a_missing_map_asset_makes_it_not_ready_and_says_which(
    sample_db_url, make_client, monkeypatch
):
    missing = STATIC_DIR / "vendor" / "leaflet" / "not-installed.js"
    installed = health.map_assets()
    monkeypatch.setattr(health, "map_assets", lambda: [*installed, missing])
    answer = make_client(sample_db_url).get("/ready")
    assert answer.status_code == 503
    assert answer.headers["retry-after"].isdigit()
    body = answer.json()
    assert body["status"] == "not_ready" and body["failed"] == ["assets"]
    assert "vendor/leaflet/not-installed.js" in body["checks"]["assets"]

    # Where reads need a token, an anonymous caller learns what failed, not why.
    hidden = make_client(sample_db_url, reads_need_token=True).get("/ready")
    assert hidden.status_code == 503
    assert hidden.json()["checks"] == {"database": "ok", "migrations": "ok", "assets": "failed"}

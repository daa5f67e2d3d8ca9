"""The parcels page put together from the feature text stored once per version
(``parcel_feature``, migration 0008) is exactly the page made from the versions, before
and after change sets of every kind, and follows what may change without a new version
(a class's names)."""

from __future__ import annotations

import json

import pytest
import support_reads as sr
from sqlalchemy import create_engine, pool, text
from support_roles import owner_url

pytestmark = pytest.mark.e2e

PARK = "caijiapo"


def _pages(url: str, **filters) -> tuple[list[dict], list[dict]]:
    """Every current parcel (pages of 1000), from the stored text and made afresh."""
    from service.reads import queries as reads

    engine = create_engine(url, poolclass=pool.NullPool)
    stored, made = [], []
    try:
        with engine.connect() as conn:
            for out, use in ((stored, True), (made, False)):
                offset = 0
                while offset is not None:
                    page = json.loads(
                        reads.parcels_geojson(
                            conn,
                            storage_srid=4545,
                            limit=1000,
                            offset=offset,
                            stored=use,
                            **filters,
                        )
                    )
                    out += page["features"]
                    offset = page["next_offset"]
    finally:
        engine.dispose()
    return stored, made


def _stored_rows(url: str) -> tuple[int, int, int]:
    """(rows of parcel_feature, current versions, rows of closed versions)."""
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            return conn.execute(
                text(
                    "SELECT (SELECT count(*) FROM parcel_feature), "
                    "(SELECT count(*) FROM parcel_version WHERE valid_to IS NULL), "
                    "(SELECT count(*) FROM parcel_feature f JOIN parcel_version v "
                    "USING (version_id) WHERE v.valid_to IS NOT NULL)"
                )
            ).one()
    finally:
        engine.dispose()


def test_the_page_from_stored_features_is_the_page_made_from_the_versions(sample_db_url):
    stored, made = _pages(sample_db_url)
    assert len(stored) == len(sr.parcels())
    assert stored == made
    rows, current, closed = _stored_rows(sample_db_url)
    assert rows == current and closed == 0


def test_a_page_in_another_crs_is_made_from_the_versions(sample_db_url, make_client):
    client = make_client(sample_db_url)
    code = client.get("/api/parcels", params={"park": PARK, "limit": 1}).json()["features"][0]
    exact = client.get(f"/api/parcels/{code['id']}", params={"crs": "EPSG:4545"}).json()
    x, y = exact["geometry"]["coordinates"][0][0][0]
    assert x > 100_000 and y > 1_000_000  # metres, not degrees
    assert exact["properties"] == code["properties"]


def test_stored_features_follow_every_kind_of_change_set(fresh_db_url, make_client, make_token):
    client = make_client(fresh_db_url)
    editor = make_token(fresh_db_url, "editor")
    page = client.get("/api/parcels", params={"park": PARK, "limit": 1000}).json()["features"]
    by_use: dict[str, list[dict]] = {}
    for f in page:
        by_use.setdefault(f["properties"]["land_use_code"], []).append(f)
    projects = sr.layer("projects")
    used = {c for codes in projects["parcel_codes"] for c in codes.split(",")}
    free = [f for f in page if f["id"] not in used]
    residential = [f for f in free if f["properties"]["land_use_code"] == "0701"]
    industrial = [f for f in free if f["properties"]["land_use_code"] == "0601"]
    change_sets = [
        {"kind": "retire", "operations": [{"op": "retire", "parcel_code": residential[0]["id"]}]},
        {
            "kind": "rezone",
            "operations": [
                {"op": "rezone", "parcel_code": residential[1]["id"], "land_use_code": "0601"}
            ],
        },
        {
            "kind": "set_status",
            "operations": [
                {"op": "set_status", "parcel_code": industrial[0]["id"], "status": "idle"},
                {"op": "set_status", "parcel_code": industrial[1]["id"], "status": "idle"},
            ],
        },
    ]
    for change in change_sets:
        body = {"reason": "test", **change}
        response = client.post("/api/change-sets", json=body, headers=editor)
        assert response.status_code == 201, response.text
    after = {
        f["id"]: f
        for f in client.get("/api/parcels", params={"park": PARK, "limit": 1000}).json()["features"]
    }
    assert residential[0]["id"] not in after
    assert after[residential[1]["id"]]["properties"]["land_use_code"] == "0601"
    assert after[residential[1]["id"]]["properties"]["is_manufacturing"] is True
    assert after[industrial[0]["id"]]["properties"]["status"] == "idle"
    stored, made = _pages(fresh_db_url)
    assert stored == made
    rows, current, closed = _stored_rows(fresh_db_url)
    assert rows == current and closed == 0


def test_a_version_amended_or_changed_by_plain_sql_is_stored_anew(fresh_db_url):
    engine = create_engine(fresh_db_url, poolclass=pool.NullPool)
    try:
        with engine.begin() as conn:
            code = conn.execute(
                text(
                    "SELECT parcel_code FROM parcel_version WHERE valid_to IS NULL AND park = "
                    ":park AND land_use_code = '0601' ORDER BY parcel_code LIMIT 1"
                ),
                {"park": PARK},
            ).scalar()
            # Raw SQL: the standing version is closed and its successor inserted (history
            # is kept whoever writes), then amended within the same transaction.
            conn.execute(
                text(
                    "UPDATE parcel_version SET holder = 'first' WHERE parcel_code = :c "
                    "AND valid_to IS NULL"
                ),
                {"c": code},
            )
            conn.execute(
                text(
                    "UPDATE parcel_version SET holder = 'second' WHERE parcel_code = :c "
                    "AND valid_to IS NULL"
                ),
                {"c": code},
            )
    finally:
        engine.dispose()
    stored, made = _pages(fresh_db_url, codes=[code])
    assert stored == made
    assert stored[0]["properties"]["holder"] == "second"
    rows, current, closed = _stored_rows(fresh_db_url)
    assert rows == current and closed == 0


def test_a_version_without_a_stored_feature_is_still_served(fresh_db_url, make_client):
    # The stored features are the database's own: only their owner can take one away.
    engine = create_engine(owner_url(fresh_db_url), poolclass=pool.NullPool)
    try:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM parcel_feature WHERE version_id % 2 = 0"))
    finally:
        engine.dispose()
    stored, made = _pages(fresh_db_url, park=PARK)
    assert stored == made and len(stored) == int((sr.parcels()["park"] == PARK).sum())

"""Who may write: bearer tokens, roles, revocation, and reads that may need a token."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from support_changes import (
    change_set,
    every_table_fingerprint,
    find_parcels,
    rezone_op,
    url_for,
)

pytestmark = pytest.mark.e2e

PARKS_BIN = Path(sys.executable).with_name("parks")


@pytest.fixture(scope="module")
def auth_db_url(databases, loaded_template):
    """A copy of the sample for the requests that must store nothing (refused by auth, or
    invalid), shared by this module; each test proves its own request stored nothing."""
    return url_for(databases.create(template=loaded_template))


def _gain_body(url: str) -> dict:
    """A change set any editor would get accepted: residential land rezoned to industry."""
    engine = create_engine(url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as conn:
            (code,) = find_parcels(conn, "v.land_use_code = '0701'", limit=1)
    finally:
        engine.dispose()
    return change_set("rezone", rezone_op(code, "0601"), reason="auth test")


def _land(url: str) -> dict:
    engine = create_engine(url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as conn:
            return every_table_fingerprint(conn)
    finally:
        engine.dispose()


def _cli(url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": url, "COLUMNS": "200"}
    return subprocess.run(
        [str(PARKS_BIN), *args], env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({}, "no token"),
        ({"Authorization": "Bearer plt_not-a-real-token"}, "unknown token"),
        ({"Authorization": "Bearer "}, "empty token"),
        ({"Authorization": "Basic ZWRpdG9yOmVkaXRvcg=="}, "not a bearer token"),
    ],
    ids=["none", "garbage", "empty", "basic"],
)
def test_writing_without_a_valid_token_is_unauthorized(auth_db_url, make_client, headers, why):
    client = make_client(auth_db_url)
    body = _gain_body(auth_db_url)
    before = _land(auth_db_url)
    response = client.post("/api/change-sets", json=body, headers=headers)
    assert response.status_code == 401, why
    assert response.json()["error"] == "unauthorized"
    assert _land(auth_db_url) == before


@pytest.mark.parametrize("role", ["viewer", "planner", "auditor"])
def test_writing_with_a_role_that_may_not_write_is_forbidden(
    auth_db_url, make_client, make_token, role
):
    client = make_client(auth_db_url)
    headers = make_token(auth_db_url, role)
    body = _gain_body(auth_db_url)
    before = _land(auth_db_url)
    response = client.post("/api/change-sets", json=body, headers=headers)
    assert response.status_code == 403, response.text
    assert response.json()["error"] == "forbidden"
    assert role in response.json()["message"]
    assert _land(auth_db_url) == before


def test_editors_and_admins_may_write_and_are_recorded_as_the_actor(
    fresh_db_url, make_client, make_token
):
    client = make_client(fresh_db_url)
    engine = create_engine(fresh_db_url, pool_size=1, max_overflow=0)
    try:
        for role, name in [("editor", "王科长"), ("admin", "admin-ops")]:
            headers = make_token(fresh_db_url, role, name=name)
            response = client.post(
                "/api/change-sets", json=_gain_body(fresh_db_url), headers=headers
            )
            assert response.status_code == 201, response.text
            change_set_id = response.json()["id"]
            with engine.connect() as conn:
                recorded = conn.execute(
                    text(
                        "SELECT c.actor, l.actor FROM change_set c "
                        "JOIN ledger l ON l.change_set_id = c.id WHERE c.id = :i"
                    ),
                    {"i": change_set_id},
                ).one()
            assert tuple(recorded) == (name, name)
    finally:
        engine.dispose()


def test_a_revoked_token_is_unauthorized(auth_db_url, make_client, make_token):
    client = make_client(auth_db_url)
    headers = make_token(auth_db_url, "editor", name="to-be-revoked")
    # Authorised before: an invalid change set gets past auth to a 422.
    invalid = change_set("rezone", rezone_op("GX-9999", "0601"))
    assert client.post("/api/change-sets", json=invalid, headers=headers).status_code == 422
    result = _cli(auth_db_url, "token", "revoke", "to-be-revoked")
    assert result.returncode == 0, result.stderr
    before = _land(auth_db_url)
    response = client.post("/api/change-sets", json=_gain_body(auth_db_url), headers=headers)
    assert response.status_code == 401
    assert _land(auth_db_url) == before


def test_a_token_created_by_the_cli_works_and_only_its_sha256_is_stored(auth_db_url, make_client):
    result = _cli(auth_db_url, "token", "create", "cli-editor", "--role", "editor")
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip().splitlines()[-1].strip()
    assert len(token) >= 32 and " " not in token
    engine = create_engine(auth_db_url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as conn:
            row = (
                conn.execute(text("SELECT * FROM api_token WHERE name = 'cli-editor'"))
                .mappings()
                .one()
            )
            whole = conn.execute(text("SELECT string_agg(t::text, '|') FROM api_token t")).scalar()
    finally:
        engine.dispose()
    assert row["role"] == "editor"
    assert row["token_sha256"] == hashlib.sha256(token.encode()).hexdigest()
    assert token not in whole
    client = make_client(auth_db_url)
    invalid = change_set("rezone", rezone_op("GX-9999", "0601"))
    response = client.post(
        "/api/change-sets", json=invalid, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 422  # past authentication and the role check


def test_reads_are_open_by_default(auth_db_url, make_client):
    client = make_client(auth_db_url)
    assert client.get("/api/parcels", params={"limit": 1}).status_code == 200
    assert client.get("/api/change-sets/1").status_code == 200


def test_reads_need_a_token_when_reads_need_token_is_set(auth_db_url, make_client, make_token):
    client = make_client(auth_db_url, reads_need_token=True)
    response = client.get("/api/parcels", params={"limit": 1})
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    garbage = {"Authorization": "Bearer plt_nope"}
    assert client.get("/api/parcels", params={"limit": 1}, headers=garbage).status_code == 401
    assert client.get("/api/change-sets/1").status_code == 401
    viewer = make_token(auth_db_url, "viewer")
    response = client.get("/api/parcels", params={"limit": 1}, headers=viewer)
    assert response.status_code == 200
    assert response.json()["type"] == "FeatureCollection"
    assert client.get("/api/change-sets/1", headers=viewer).status_code == 200

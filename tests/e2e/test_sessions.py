"""Signed-in sessions: what /api/session says, CSRF on cookie-borne writes, the idle and
absolute expiry, disabling a user, and signing out."""

from __future__ import annotations

import pytest
from support_people import add_user, people_client, post_login, query, signed_in, small_engine

from service.auth.users import disable_user

pytestmark = pytest.mark.e2e

TARGET = {"min_reserve_mu": 100, "min_vacant_floor_m2": 1000}


@pytest.fixture(scope="module")
def url(sample_db_url):
    """The sample with its users (each test signs in as its own)."""
    for name, role, parks in [
        ("chen", "editor", ("caijiapo", "jiangtan")),
        ("sun-admin", "admin", ()),
        ("idle-one", "viewer", ()),
        ("old-one", "viewer", ()),
        ("leaving", "editor", ()),
        ("out-one", "viewer", ()),
    ]:
        add_user(sample_db_url, name, role, parks=parks)
    return sample_db_url


def _session_row(url: str, user: str):
    return query(
        url,
        "SELECT created_at, last_seen_at, ended_at FROM user_session WHERE user_name = :u "
        "ORDER BY created_at DESC LIMIT 1",
        u=user,
    )[0]


def test_api_session_names_the_user_the_parks_the_csrf_token_and_the_expiry(url, make_token):
    with people_client(url, address="10.1.0.1") as client:
        assert client.get("/api/session").status_code == 401
        post_login(client, "chen")
        body = client.get("/api/session").json()
        token_body = client.get(
            "/api/session", headers=make_token(url, "planner", name="planner-bot")
        ).json()
    assert set(body) == {
        "user", "role", "parks", "via", "csrf_token", "expires_at", "idle_expires_at",
    }  # fmt: skip
    assert (body["user"], body["role"], body["parks"], body["via"]) == (
        "chen",
        "editor",
        ["caijiapo", "jiangtan"],
        "session",
    )
    assert len(body["csrf_token"]) == 43
    from datetime import datetime, timedelta

    row = _session_row(url, "chen")
    assert datetime.fromisoformat(body["expires_at"]) == row.created_at + timedelta(hours=12)
    assert datetime.fromisoformat(body["idle_expires_at"]) == row.last_seen_at + timedelta(
        minutes=30
    )
    assert token_body == {
        "user": "planner-bot",
        "role": "planner",
        "parks": [],
        "via": "token",
        "csrf_token": None,
        "expires_at": None,
        "idle_expires_at": None,
    }


def test_a_cookie_write_needs_the_sessions_csrf_header_and_a_token_write_does_not(url, make_token):
    with people_client(url, address="10.1.0.2") as client:
        csrf = signed_in(client, "sun-admin")
        refused = client.put("/api/targets/gaoxin", json=TARGET)
        wrong = client.put("/api/targets/gaoxin", json=TARGET, headers={"X-CSRF-Token": "x" * 43})
        accepted = client.put("/api/targets/gaoxin", json=TARGET, headers={"X-CSRF-Token": csrf})
    assert refused.status_code == wrong.status_code == 403
    assert refused.json() == {
        "request_id": refused.headers["x-request-id"],
        "error": "csrf",
        "message": "PUT /api/targets/gaoxin needs the X-CSRF-Token header of the signed-in session",
    }
    assert accepted.status_code == 200, accepted.text
    with people_client(url, address="10.1.0.3") as client:
        by_token = client.put("/api/targets/gaoxin", json=TARGET, headers=make_token(url, "admin"))
    assert by_token.status_code == 200, by_token.text


def test_a_session_ends_after_its_idle_time_and_is_touched_at_most_once_a_minute(url):
    with people_client(url, address="10.1.0.4") as client:
        signed_in(client, "idle-one")
        first = _session_row(url, "idle-one")
        assert client.get("/api/session").status_code == 200
        assert _session_row(url, "idle-one").last_seen_at == first.last_seen_at  # not touched
        query(
            url,
            "UPDATE user_session SET last_seen_at = last_seen_at - interval '2 minutes' "
            "WHERE user_name = 'idle-one'",
        )
        assert client.get("/api/session").status_code == 200
        assert _session_row(url, "idle-one").last_seen_at > first.last_seen_at  # touched
        query(
            url,
            "UPDATE user_session SET last_seen_at = now() - interval '31 minutes' "
            "WHERE user_name = 'idle-one'",
        )
        assert client.get("/api/session").status_code == 401
    assert _session_row(url, "idle-one").ended_at is not None


def test_a_session_ends_after_its_lifetime_however_busy(url):
    with people_client(url, address="10.1.0.5", session_lifetime_hours=1) as client:
        signed_in(client, "old-one")
        query(
            url,
            "UPDATE user_session SET created_at = now() - interval '61 minutes' "
            "WHERE user_name = 'old-one'",
        )
        assert client.get("/api/session").status_code == 401
    assert _session_row(url, "old-one").ended_at is not None


def test_disabling_a_user_ends_their_sessions_at_once(url):
    with people_client(url, address="10.1.0.6") as client:
        csrf = signed_in(client, "leaving")
        with small_engine(url) as engine, engine.begin() as conn:
            assert disable_user(conn, name="leaving") == 1
        assert client.get("/api/session").status_code == 401
        write = client.put("/api/targets/gaoxin", json=TARGET, headers={"X-CSRF-Token": csrf})
        assert write.status_code == 401
        assert post_login(client, "leaving").status_code == 401  # and no new one
    assert _session_row(url, "leaving").ended_at is not None


def test_signing_out_needs_the_csrf_token_ends_the_session_and_clears_the_cookie(url):
    with people_client(url, address="10.1.0.7") as client:
        csrf = signed_in(client, "out-one")
        page = client.get("/logout")
        assert f'name="csrf_token" value="{csrf}"' in page.text and "退出" in page.text
        refused = client.post("/logout", data={"csrf_token": "wrong"})
        assert refused.status_code == 403 and refused.json()["error"] == "csrf"
        assert client.get("/api/session").status_code == 200
        out = client.post("/logout", data={"csrf_token": csrf})
        assert out.status_code == 303 and out.headers["location"] == "/login"
        assert 'parks_session=""' in out.headers["set-cookie"]
        assert client.get("/api/session").status_code == 401
    assert _session_row(url, "out-one").ended_at is not None

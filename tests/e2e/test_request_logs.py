"""Every request has an id — the client's well-formed ``X-Request-ID`` or a new one — sent
back in the header, in every JSON error body (whoever refused: a route, a guard, FastAPI)
and in its access line; the access line names the route template, never the path a
client sent; and the service's log is JSON lines that never hold a password, a token, a
cookie or a password in a query string."""

from __future__ import annotations

import json
import logging
import re
import uuid

import httpx
import pytest
from support_people import PASSWORD, add_user
from support_server import running_server

from service.observability.logging import ACCESS_LOGGER

pytestmark = pytest.mark.e2e

NEW_ID = re.compile(r"[0-9a-f]{32}")


@pytest.fixture(scope="module")
def url(sample_db_url):
    add_user(sample_db_url, "log-official", "editor")
    return sample_db_url


@pytest.fixture
def client(url, make_client):
    return make_client(url, db_pool_size=2, db_pool_overflow=1)


def test_an_answer_carries_a_new_request_id_or_the_clients_well_formed_one(client):
    first = client.get("/api/parks")
    second = client.get("/api/parks")
    assert first.status_code == second.status_code == 200
    assert NEW_ID.fullmatch(first.headers["x-request-id"])
    assert NEW_ID.fullmatch(second.headers["x-request-id"])
    assert first.headers["x-request-id"] != second.headers["x-request-id"]
    kept = client.get("/api/parks", headers={"X-Request-ID": "lb-7f3a.2_Z"})
    assert kept.headers["x-request-id"] == "lb-7f3a.2_Z"
    for forged in ("x" * 65, "two words", 'quote"d', "semi;colon", "é"):
        answer = client.get("/api/parks", headers={"X-Request-ID": forged.encode()})
        assert NEW_ID.fullmatch(answer.headers["x-request-id"]), forged


def test_a_success_body_is_left_as_it_was(client):
    body = client.get("/api/parks").json()
    assert "request_id" not in json.dumps(body)


def _viewer(url, make_token):
    return make_token(url, "viewer", name=f"viewer-{uuid.uuid4().hex[:6]}")


#: (what refused it, method, path, extra request arguments, status)
ERRORS = [
    ("FastAPI's unknown path", "GET", "/api/no-such-thing", {}, 404),
    ("a domain error", "GET", "/api/parcels/NO-SUCH-PARCEL/history", {}, 404),
    ("a bad query parameter", "GET", "/api/availability", {"params": {"min_area_mu": "x"}}, 422),
    ("the NUL guard", "GET", "/api/parcels", {"params": {"park": "a\x00"}}, 422),
    ("the authentication guard", "POST", "/api/change-sets", {"json": {}}, 401),
    ("a role check", "POST", "/api/change-sets", {"json": {}, "viewer": True}, 403),
    ("the body guard", "POST", "/api/change-sets", {"content": b"x" * 20_000, "token": 1}, 413),
]


@pytest.mark.parametrize(
    ("who", "method", "path", "extra", "status"), ERRORS, ids=[e[0] for e in ERRORS]
)
def test_every_json_error_body_carries_the_request_id_of_its_header(
    url, make_client, make_token, who, method, path, extra, status
):
    client = make_client(url, max_json_body_bytes=10_000)
    extra = dict(extra)
    headers = {}
    if extra.pop("viewer", False):
        headers.update(_viewer(url, make_token))
    if extra.pop("token", False):
        headers.update(make_token(url, "admin"))
    response = client.request(method, path, headers=headers, **extra)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["request_id"] == response.headers["x-request-id"], who
    assert isinstance(body["error"], str) and body["message"]
    # The length was set again for the longer body.
    assert int(response.headers["content-length"]) == len(response.content)
    # The client's own id is the one the body names.
    again = client.request(method, path, headers={**headers, "X-Request-ID": "mine-1"}, **extra)
    assert again.json()["request_id"] == "mine-1" == again.headers["x-request-id"]


@pytest.fixture
def access_lines(caplog):
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)

    def lines() -> list[logging.LogRecord]:
        return [r for r in caplog.records if r.name == ACCESS_LOGGER]

    return lines


def test_the_access_line_names_the_route_template_never_the_path_sent(client, access_lines):
    answers = {
        "/api/parcels/GX-XYZ-1/history": "/api/parcels/{parcel_code}/history",
        "/api/parcels/GX-XYZ-2/history": "/api/parcels/{parcel_code}/history",
        "/static/nothing-here.js": "/static/{path}",
        "/no/such/path/1": "unmatched",
        "/no/such/path/2": "unmatched",
        "/api/parks": "/api/parks",
    }
    for path in answers:
        client.get(path)
    # Refused by the authentication guard, before the router: the template all the same
    # (a method the route doesn't take included).
    client.delete("/api/parks")
    client.post("/api/change-sets", json={})
    records = access_lines()
    got = [(r.path, r.route) for r in records]
    assert got == [
        *answers.items(),
        ("/api/parks", "/api/parks"),
        ("/api/change-sets", "/api/change-sets"),
    ]
    assert [r.status for r in records][-2:] == [401, 401]


def test_the_access_line_has_the_user_method_status_duration_and_request_id(
    url, client, make_token, access_lines
):
    headers = make_token(url, "viewer", name="line-viewer")
    response = client.get("/api/parks", headers={**headers, "X-Request-ID": "req-42"})
    (record,) = [r for r in access_lines() if r.request_id == "req-42"]
    assert (record.user, record.method, record.route, record.status) == (
        "line-viewer",
        "GET",
        "/api/parks",
        200,
    )
    assert 0 <= record.duration_ms < 60_000
    assert response.headers["x-request-id"] == "req-42"
    client.get("/api/parks")
    assert access_lines()[-1].user is None


def test_an_error_escaping_a_route_is_a_500_with_the_request_id_and_logged_as_one(
    url, access_lines
):
    from fastapi.testclient import TestClient

    from service.api.app import create_app
    from service.settings import Settings

    app = create_app(Settings(database_url=url))

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("a bug")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom", headers={"X-Request-ID": "boom-1"})
    assert response.status_code == 500
    assert response.headers["x-request-id"] == "boom-1"
    (record,) = [r for r in access_lines() if r.request_id == "boom-1"]
    assert (record.route, record.status, record.levelname) == ("/boom", 500, "WARNING")


def test_the_servers_log_is_json_lines_with_the_request_id_and_no_secret(url, make_token, tmp_path):
    token_header = make_token(url, "viewer", name="log-viewer")
    token = token_header["Authorization"].removeprefix("Bearer ")
    wrong_password = "wrong-horse-" + uuid.uuid4().hex
    query_secret = "hunter2-" + uuid.uuid4().hex
    log_path = tmp_path / "server.log"
    sent: dict[str, tuple[int, str | None, str]] = {}  # request id -> status, user, route
    with (
        running_server(url, log_path=log_path) as server,
        httpx.Client(base_url=server.base) as http,
    ):
        refused = http.post("/login", data={"name": "log-official", "password": wrong_password})
        sent[refused.headers["x-request-id"]] = (refused.status_code, None, "/login")
        signed_in = http.post("/login", data={"name": "log-official", "password": PASSWORD})
        assert signed_in.status_code == 303, signed_in.text
        sent[signed_in.headers["x-request-id"]] = (303, None, "/login")
        cookie = http.cookies["parks_session"]
        session = http.get("/api/session")
        assert session.status_code == 200
        sent[session.headers["x-request-id"]] = (200, "log-official", "/api/session")
        http.cookies.clear()
        with_token = http.get("/api/parks", params={"password": query_secret}, headers=token_header)
        sent[with_token.headers["x-request-id"]] = (200, "log-viewer", "/api/parks")
        bad_token = http.get("/api/parks", headers={"Authorization": "Bearer not-a-real-token-x"})
        sent[bad_token.headers["x-request-id"]] = (bad_token.status_code, None, "/api/parks")
    text = log_path.read_text(encoding="utf-8")
    for secret in (PASSWORD, wrong_password, token, cookie, query_secret, "not-a-real-token-x"):
        assert secret not in text
    assert "Bearer" not in text
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]  # all JSON
    assert all({"time", "level", "logger", "message", "request_id", "pid"} <= set(e) for e in lines)
    access = {e["request_id"]: e for e in lines if e["logger"] == ACCESS_LOGGER}
    for rid, (status, user, route) in sent.items():
        entry = access[rid]
        assert (entry["status"], entry["user"], entry["route"]) == (status, user, route), entry
        assert entry["method"] in ("GET", "POST") and entry["duration_ms"] >= 0
        assert entry["path"] == route
    assert access[with_token.headers["x-request-id"]]["query"] == "password=[redacted]"

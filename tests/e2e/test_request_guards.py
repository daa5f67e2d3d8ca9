"""What the service refuses before it reads a request's body, and how much it holds per
request: authentication and the size limit come first, a stalled body times out, a
request holds at most one database connection, /health says little to strangers, and
the API document's page loads nothing from outside."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import event
from support_async import run_coroutine
from support_changes import url_for

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
MB = 1024 * 1024


@pytest.fixture(scope="module")
def guard_db_url(databases, loaded_template):
    """A copy of the sample for this module (nothing here commits land changes)."""
    return url_for(databases.create(template=loaded_template))


class Body:
    """An ASGI ``receive`` that serves a body in chunks and records how much was read."""

    def __init__(self, chunks: list[bytes], *, stall_after: int | None = None) -> None:
        self.chunks = chunks
        self.stall_after = stall_after
        self.calls = 0
        self.bytes_read = 0

    async def __call__(self) -> dict:
        if self.stall_after is not None and self.calls >= self.stall_after:
            await asyncio.sleep(3600)  # a client that stopped sending
        self.calls += 1
        if self.calls > len(self.chunks):
            await asyncio.sleep(3600)
        chunk = self.chunks[self.calls - 1]
        self.bytes_read += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": self.calls < len(self.chunks)}


def call_app(app, *, method: str, path: str, headers: dict[str, str], body: Body) -> tuple:
    """Run one request straight through the ASGI app; returns (status, headers, JSON)."""
    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    run_coroutine(asyncio.wait_for(app(scope, body, send), timeout=30))
    start = next(m for m in sent if m["type"] == "http.response.start")
    payload = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    response_headers = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], response_headers, json.loads(payload) if payload else None


def post_change_set(app, body: Body, **headers: str) -> tuple:
    """``POST /api/change-sets`` with *headers* (JSON unless a content-type is given)."""
    headers = {"content-type": "application/json", **{k.lower(): v for k, v in headers.items()}}
    return call_app(app, method="POST", path="/api/change-sets", headers=headers, body=body)


@pytest.fixture
def guarded_app(guard_db_url, make_client):
    """The app (its lifespan run by a test client) for raw ASGI calls."""
    return lambda **settings: make_client(guard_db_url, **settings).app


def test_anonymous_write_is_refused_before_its_body_is_read(guarded_app):
    body = Body([b"x" * MB] * 60)  # 60 MB, sent without a length
    status, headers, answer = post_change_set(
        guarded_app(), body, **{"transfer-encoding": "chunked"}
    )
    assert status == 401
    assert answer["error"] == "unauthorized"
    assert headers.get("www-authenticate") == "Bearer"
    assert body.bytes_read == 0


def test_a_wrong_token_is_refused_before_the_body_is_read(guarded_app):
    body = Body([b"{}"])
    status, _, _ = post_change_set(guarded_app(), body, authorization="Bearer plt_not-a-token")
    assert status == 401
    assert body.bytes_read == 0


def test_body_declared_larger_than_the_limit_is_refused_unread(
    guarded_app, guard_db_url, make_token
):
    editor = make_token(guard_db_url, "editor")
    body = Body([b"x" * 1024] * 2048)
    status, _, answer = post_change_set(
        guarded_app(max_json_body_bytes=MB), body, **{"content-length": str(2 * MB)}, **editor
    )
    assert status == 413
    assert answer["parameter"] == "body"
    assert "PARKS_MAX_JSON_BODY_BYTES" in answer["message"]
    assert body.bytes_read == 0


def test_streamed_body_is_cut_off_just_past_the_limit(guarded_app, guard_db_url, make_token):
    editor = make_token(guard_db_url, "editor")
    chunk = 64 * 1024
    body = Body([b" " * chunk] * 60 * 16)  # 60 MB of JSON whitespace, no length given
    status, _, answer = post_change_set(
        guarded_app(max_json_body_bytes=MB), body, **{"transfer-encoding": "chunked"}, **editor
    )
    assert status == 413
    assert answer["error"] == "body_too_large"
    assert MB < body.bytes_read <= MB + chunk


def test_uploads_have_their_own_limit(guarded_app, guard_db_url, make_token):
    app = guarded_app(max_json_body_bytes=MB, max_upload_bytes=4 * MB)
    headers = {"content-length": str(2 * MB), **make_token(guard_db_url, "editor")}
    json_status, _, _ = post_change_set(app, Body([b"x" * 2 * MB]), **headers)
    upload_status, _, _ = post_change_set(
        app,
        Body([b"x" * 2 * MB]),
        **{"content-type": "multipart/form-data; boundary=x"},
        **headers,
    )
    assert json_status == 413
    assert upload_status != 413  # under the upload limit: the route answers it


def test_a_body_that_stops_arriving_times_out(guarded_app, guard_db_url, make_token):
    editor = make_token(guard_db_url, "editor")
    body = Body([b'{"kind": ', b'"rezone"}'], stall_after=1)
    status, _, answer = post_change_set(
        guarded_app(body_timeout_s=0.3), body, **{"content-length": "100"}, **editor
    )
    assert status == 408
    assert answer["error"] == "request_timeout"
    assert "PARKS_BODY_TIMEOUT_S" in answer["message"]


@pytest.mark.parametrize(
    "path",
    ["/api/parks", "/api/stats", "/api/parcels?limit=5", "/map/caijiapo", "/api/audit/ledger"],
)
def test_a_request_holds_at_most_one_database_connection(
    path, guard_db_url, make_client, make_token
):
    client = make_client(guard_db_url, reads_need_token=True)
    viewer = make_token(guard_db_url, "admin")
    engine = client.app.state.engine
    held = {"now": 0, "most": 0}

    def checkout(*_args) -> None:
        held["now"] += 1
        held["most"] = max(held["most"], held["now"])

    def checkin(*_args) -> None:
        held["now"] -= 1

    event.listen(engine, "checkout", checkout)
    event.listen(engine, "checkin", checkin)
    try:
        response = client.get(path, headers=viewer)
    finally:
        event.remove(engine, "checkout", checkout)
        event.remove(engine, "checkin", checkin)
    assert response.status_code == 200
    assert held["most"] == 1


def test_health_tells_an_anonymous_caller_only_up_or_down_when_reads_need_a_token(
    guard_db_url, make_client, make_token
):
    closed = make_client(guard_db_url, reads_need_token=True)
    anonymous = closed.get("/health")
    with_token = closed.get("/health", headers=make_token(guard_db_url, "viewer"))
    open_reads = make_client(guard_db_url).get("/health")
    assert anonymous.status_code == 200
    assert anonymous.json() == {"status": "ok"}
    assert re.fullmatch(r"\d+\.\d+\.\d+", with_token.json()["postgis"])
    assert re.fullmatch(r"\d+\.\d+\.\d+", open_reads.json()["postgis"])


def test_health_says_down_when_the_database_does_not_answer(make_client, guard_db_url):
    client = make_client(guard_db_url)
    client.app.state.health_engine.dispose()
    client.app.state.health_engine = __import__("sqlalchemy").create_engine(
        "postgresql+psycopg://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 1}
    )
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json() == {"status": "down", "request_id": response.headers["x-request-id"]}


def test_the_api_page_loads_nothing_from_outside(guard_db_url, make_client):
    client = make_client(guard_db_url)
    page = client.get("/docs")
    assert page.status_code == 200
    sources = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    sources += re.findall(r"""url: ?["']([^"']+)["']""", page.text)
    assert sources, "the page references its script and style"
    assert not [s for s in sources if re.match(r"(https?:)?//", s)], sources
    assert "cdn" not in page.text.lower()
    for source in sources:
        if source.startswith("/static/"):
            assert client.get(source).status_code == 200, source
    assert client.get("/redoc").status_code == 404  # ReDoc would load from a CDN

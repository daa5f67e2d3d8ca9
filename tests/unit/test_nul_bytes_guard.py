"""A NUL in a request's path or query never reaches a route: the guard answers 422 naming
the query parameter, or the path parameter of the route the path would have matched —
whether the NUL came percent-encoded or raw (a client that doesn't encode)."""

from __future__ import annotations

import json

import pytest
from fastapi import APIRouter, FastAPI
from support_async import run_coroutine

from service.api.guards.nul_bytes import RefuseNulBytes

router = APIRouter()


@router.get("/api/parcels/{parcel_code}/history")
def history(parcel_code: str) -> dict:
    return {"parcel_code": parcel_code}


def _app() -> FastAPI:
    app = FastAPI()
    app.include_router(router)

    @app.get("/map/{park}")
    def park_map(park: str) -> dict:
        return {"park": park}

    app.add_middleware(RefuseNulBytes)
    return app


def _call(path: str, query: bytes = b"") -> tuple[int, dict]:
    """Send one GET with a raw path and query (no client library to clean them up)."""
    app = _app()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode("latin-1"),
        "root_path": "",
        "query_string": query,
        "headers": [],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
    }
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    run_coroutine(app(scope, receive, send))
    status = sent[0]["status"]
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return status, json.loads(body)


@pytest.mark.parametrize(
    ("path", "query", "parameter"),
    [
        ("/map/search", b"q=a%00", "q"),
        ("/map/search", b"q=a\x00", "q"),
        ("/map/search", b"park=x&q=%00", "q"),
        ("/api/parcels/a\x00/history", b"", "parcel_code"),
        ("/map/a\x00", b"", "park"),
        ("/nowhere/a\x00", b"", "path"),
    ],
)
def test_a_nul_in_the_path_or_query_is_422_naming_the_parameter(path, query, parameter):
    status, body = _call(path, query)
    assert status == 422
    assert body["error"] == "invalid_parameter"
    assert body["parameter"] == parameter


def test_a_request_without_a_nul_reaches_its_route():
    assert _call("/map/gaoxin", b"q=%01ok") == (200, {"park": "gaoxin"})
    assert _call("/api/parcels/GX-0001/history") == (200, {"parcel_code": "GX-0001"})

"""The security-headers guard on its own (no database): the headers on every answer —
an error the app never answered included — a fresh nonce in the request's state before
the app runs, and a header the app set itself left alone."""

from __future__ import annotations

import re

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from service.api.guards.security_headers import SecurityHeaders
from service.pages.csp import NONCE_KEY, CspNonceDep


def _page(request: Request) -> HTMLResponse:
    return HTMLResponse(f'<script nonce="{request.state.csp_nonce}">1</script>')


def _own_policy(_request: Request) -> PlainTextResponse:
    return PlainTextResponse("x", headers={"Content-Security-Policy": "sandbox"})


def _broken(_request: Request) -> PlainTextResponse:
    raise RuntimeError("a bug")


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = Starlette(
        routes=[Route("/page", _page), Route("/own", _own_policy), Route("/broken", _broken)]
    )
    app.add_middleware(SecurityHeaders, img_sources=("https://t0.tiles.example.org",))
    return TestClient(app, raise_server_exceptions=False)


def _assert_headers(response) -> str:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    assert response.headers["x-frame-options"] == "SAMEORIGIN"
    policy = response.headers["content-security-policy"]
    assert "img-src 'self' data: blob: https://t0.tiles.example.org;" in policy
    return re.search(r"'nonce-([A-Za-z0-9_-]+)'", policy).group(1)


def test_a_page_carries_the_headers_and_the_nonce_its_policy_names(client: TestClient):
    first, second = client.get("/page"), client.get("/page")
    nonces = [_assert_headers(r) for r in (first, second)]
    assert nonces[0] != nonces[1]
    for response, nonce in zip((first, second), nonces, strict=True):
        assert response.text == f'<script nonce="{nonce}">1</script>'


def test_an_unknown_path_and_a_wrong_method_carry_the_headers(client: TestClient):
    assert client.get("/nowhere").status_code == 404
    _assert_headers(client.get("/nowhere"))
    refused = client.post("/page")
    assert refused.status_code == 405
    _assert_headers(refused)


def test_an_error_the_app_never_answered_is_answered_with_the_headers(client: TestClient):
    response = client.get("/broken")
    assert response.status_code == 500
    assert response.text == "Internal Server Error"
    _assert_headers(response)


def test_the_error_is_still_raised_to_be_logged():
    app = Starlette(routes=[Route("/broken", _broken)])
    app.add_middleware(SecurityHeaders)
    with pytest.raises(RuntimeError, match="a bug"):
        TestClient(app).get("/broken")


def test_a_header_the_app_set_itself_is_kept(client: TestClient):
    response = client.get("/own")
    assert response.headers.get_list("content-security-policy") == ["sandbox"]
    assert response.headers["x-content-type-options"] == "nosniff"


def test_the_nonce_dependency_reads_the_guards_nonce():
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/nonce")
    async def nonce(value: CspNonceDep, request: Request) -> dict:
        return {"dep": value, "state": request.state.csp_nonce}

    app.add_middleware(SecurityHeaders)
    response = TestClient(app).get("/nonce")
    body = response.json()
    assert body["dep"] == body["state"]
    assert f"'nonce-{body['dep']}'" in response.headers["content-security-policy"]
    assert NONCE_KEY == "csp_nonce"

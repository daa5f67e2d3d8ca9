"""No NUL bytes in a request's path or query: PostgreSQL text cannot hold one, so a NUL
that reached a query (``/api/parcels/a%00``, ``/map/search?q=a%00``) failed there as a
500. Refused here instead — 422 naming the parameter that holds it, before any route,
dependency or database connection is involved. A NUL in a JSON body is the body
validators' concern (a change set's texts are refused, and logged, there)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qsl

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send

from service.api.guards.responses import send_json

NUL = "\x00"


def nul_in_query(scope: Scope) -> str | None:
    """The name of the first query parameter whose name or value holds a NUL (raw or
    ``%00``), or None."""
    query = scope.get("query_string", b"").decode("latin-1")
    if "\x00" not in query and "%00" not in query:
        return None
    for name, value in parse_qsl(query, keep_blank_values=True, errors="replace"):
        if NUL in name or NUL in value:
            return name.replace(NUL, "") or "query"
    return None


def nul_in_path(scope: Scope) -> str | None:
    """The path parameter holding a NUL (named by the app's route that matches the path,
    e.g. ``parcel_code``), ``"path"`` when no route names it, or None without a NUL."""
    if NUL not in scope.get("path", ""):
        return None
    for route in _routes(getattr(scope.get("app"), "routes", ())):
        match, child = route.matches(scope)
        if match is Match.NONE:
            continue
        for name, value in child.get("path_params", {}).items():
            if NUL in str(value):
                return name
    return "path"


def _routes(routes) -> Iterator[BaseRoute]:
    """The routes that match paths, in the app's order: FastAPI wraps each included
    router (whose own match names no path parameter), so look inside it."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _routes(inner.routes)
        else:
            yield route


class RefuseNulBytes:
    """Pure ASGI middleware: 422 ``invalid_parameter`` for a NUL in the path or the query."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            parameter = nul_in_query(scope) or nul_in_path(scope)
            if parameter is not None:
                await send_json(
                    send,
                    422,
                    {
                        "error": "invalid_parameter",
                        "parameter": parameter,
                        "message": f"{parameter}: a NUL character (\\x00, %00) is not allowed",
                    },
                )
                return
        await self.app(scope, receive, send)

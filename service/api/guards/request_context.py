"""The request's context, around everything else: its id, its access line, its metrics.

The outermost guard, so the answers of the other guards (a 413 of the body guard, a 503
of the admission gate, a 401 of authentication) are counted, logged and marked too:

* **the request id** — the client's (or a proxy's) ``X-Request-ID`` when it matches
  ``[A-Za-z0-9._-]{1,64}``, else a new one — is put in ``request.state.request_id`` and
  in the context variable ``service.observability.context.request_id`` before anything
  else runs (every log line written while serving the request names it), and sent back
  in the answer's ``X-Request-ID`` header;
* **every JSON error body** (status >= 400, ``application/json``, up to
  :data:`ERROR_BODY_MAX_BYTES`) gets ``"request_id"`` added here, in one place, whoever
  made it: a route's domain error, a guard's refusal, FastAPI's own 404 or 422;
* **the access line** (logger ``parks.access``: user, method, route template, path,
  query (password- and token-like values redacted), status, duration; never a header or
  the body) and the **request metrics**
  (``service.observability.metrics.request_observed``), labelled by the route
  template — ``/api/parcels/{parcel_code}/history``, never the path a client sent, or
  ``unmatched`` when no route matches it: label values must stay few.

No database work: it runs on every tile.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.observability import metrics
from service.observability.context import request_id, request_id_for
from service.observability.logging import ACCESS_LOGGER, redact

#: Key in the request's state (``request.state.request_id``).
REQUEST_ID = "request_id"
REQUEST_ID_HEADER = b"x-request-id"
#: JSON error bodies up to this size get their request id; larger ones pass unchanged.
ERROR_BODY_MAX_BYTES = 256 * 1024
#: Longest path written in an access line.
PATH_MAX_CHARS = 200

_access = logging.getLogger(ACCESS_LOGGER)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def _routes(routes) -> Iterator[BaseRoute]:
    """The routes that match paths, in the app's order (inside the wrappers FastAPI puts
    around an included router)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _routes(inner.routes)
        else:
            yield route


def _matching_route(scope: Scope) -> BaseRoute | None:
    """The route *scope* matches (fully, else by path only: a 405), or None."""
    partial = None
    for route in _routes(getattr(scope.get("app"), "routes", ())):
        match, _child = route.matches(scope)
        if match is Match.FULL:
            return route
        if match is Match.PARTIAL and partial is None:
            partial = route
    return partial


def route_template(scope: Scope, arrived: Scope | None = None) -> str:
    """The template of the route that answered (or would answer) *scope* —
    ``/api/parcels/{parcel_code}/history``, ``/static/{path}`` — or ``unmatched``.

    The router leaves the API route it chose in the scope; otherwise (a request a guard
    answered before the router, a mount's, an unknown path) the request as it *arrived*
    (a mount rewrites the scope's paths) is matched here against the routes' patterns."""
    route = scope.get("route") or _matching_route(arrived or scope)
    if route is None:
        return metrics.UNMATCHED_ROUTE
    return getattr(route, "path_format", None) or getattr(route, "path", None) or "unmatched"


def _user(scope: Scope) -> str | None:
    principal = scope.get("state", {}).get("principal")
    return getattr(principal, "name", None)


def _error_body_to_mark(scope: Scope, message: Message) -> bool:
    """True when the answer starting with *message* is a small JSON error body whose
    request id can be added."""
    if message["status"] < 400 or scope["method"] == "HEAD":
        return False
    length = kind = None
    for key, value in message.get("headers") or ():
        key = key.lower()
        if key == b"content-type":
            kind = value.split(b";")[0].strip().lower()
        elif key == b"content-length":
            length = value
        elif key == b"content-encoding":
            return False
    if kind not in (b"application/json", b"application/problem+json") or length is None:
        return False
    return length.isdigit() and int(length) <= ERROR_BODY_MAX_BYTES


def with_request_id(body: bytes, rid: str) -> bytes | None:
    """*body* (a JSON object) with ``"request_id": rid`` added as its last member, its
    other bytes as they were; None when it is not an object or names a request id."""
    stripped = body.strip()
    if not (stripped.startswith(b"{") and stripped.endswith(b"}")) or b'"request_id"' in body:
        return None
    separator = b"," if stripped[1:-1].strip() else b""
    # rid matches [A-Za-z0-9._-]: nothing in it needs escaping.
    return stripped[:-1] + separator + b'"request_id":"' + rid.encode("ascii") + b'"}'


def _set_length(message: Message, length: int) -> Message:
    headers = [(k, v) for k, v in message.get("headers") or () if k.lower() != b"content-length"]
    headers.append((b"content-length", str(length).encode("ascii")))
    return {**message, "headers": headers}


class RequestContext:
    """Pure ASGI middleware: the request id in and out, the request id in JSON error
    bodies, the access line and the request metrics. *pool* gives the request pool (its
    figures are sampled after each request in multiprocess mode)."""

    def __init__(self, app: ASGIApp, *, pool: Callable[[], Any] | None = None) -> None:
        self.app = app
        self.pool = pool

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        arrived = dict(scope)  # as it came: the routes inside rewrite its paths
        rid = request_id_for(_header(scope, REQUEST_ID_HEADER))
        scope.setdefault("state", {})[REQUEST_ID] = rid
        token = request_id.set(rid)
        rid_header = (REQUEST_ID_HEADER, rid.encode("ascii"))
        status = 500  # when the app fails before it answers
        held: Message | None = None  # an error answer's start, while its body is read
        chunks: list[bytes] = []

        async def send_marked(message: Message) -> None:
            nonlocal status, held
            kind = message["type"]
            if kind == "http.response.start":
                status = message["status"]
                headers = [
                    (k, v)
                    for k, v in message.get("headers") or ()
                    if k.lower() != REQUEST_ID_HEADER
                ]
                message = {**message, "headers": [*headers, rid_header]}
                if _error_body_to_mark(scope, message):
                    held = message
                    return
            elif kind == "http.response.body" and held is not None:
                chunks.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                body = b"".join(chunks)
                marked = with_request_id(body, rid)
                start, held = held, None
                if marked is not None:
                    start, body = _set_length(start, len(marked)), marked
                await send(start)
                await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        try:
            await self.app(scope, receive, send_marked)
        except BaseException:
            self._finished(scope, arrived, rid, status=status, started=started)
            # The request id stays set: the server logs the error next, in this task.
            raise
        self._finished(scope, arrived, rid, status=status, started=started)
        request_id.reset(token)

    def _finished(
        self, scope: Scope, arrived: Scope, rid: str, *, status: int, started: float
    ) -> None:
        seconds = time.perf_counter() - started
        route = route_template(scope, arrived)
        method = scope["method"]
        metrics.request_observed(method=method, route=route, status=status, seconds=seconds)
        if self.pool is not None and metrics.MULTIPROCESS_DIR is not None:
            metrics.sample_pool(self.pool())
        level = logging.WARNING if status >= 500 else logging.INFO
        if _access.isEnabledFor(level):
            duration_ms = round(seconds * 1000, 1)
            _access.log(
                level,
                "%s %s %s %.1f ms",
                method,
                route,
                status,
                duration_ms,
                extra={
                    "request_id": rid,
                    "user": _user(scope),
                    "method": method,
                    "route": route,
                    "path": scope.get("path", "")[:PATH_MAX_CHARS],
                    "query": redact(
                        scope.get("query_string", b"").decode("latin-1")[:PATH_MAX_CHARS]
                    ),
                    "status": status,
                    "duration_ms": duration_ms,
                },
            )

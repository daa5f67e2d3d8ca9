"""Authentication before the body: who a request is from, decided from its headers alone.

A request is from the owner of its bearer token (``Authorization: Bearer <token>``) when
it presents one — a bearer token wins, valid or not — else from the signed-in user of its
``parks_session`` cookie (a live session: not ended, idle or past its lifetime, its user
not disabled), else from nobody. Either is looked up once, here, on one short-lived
connection, and kept on ``request.state.principal`` (and a session on
``request.state.session``): the routes' role checks read them from there and never open
a second connection for it (a request holds at most one connection at a time, which the
admission gate counts on). Paths that take no slot of the gate (``/static/`` …) are not
looked up by their cookie.

Every write (POST, PUT, PATCH, DELETE) needs a principal: one without is answered 401
before a byte of its body is read, so an anonymous client can't make the service parse
megabytes it will refuse anyway — except on ``open_writes`` (``/login``, ``/logout``). A
write borne by the session cookie must carry the session's CSRF token in
``X-CSRF-Token`` (403 ``csrf`` otherwise): a page of another site can make a browser send
the cookie, never the header. The ``open_writes`` take no header: signing in needs none,
and ``/logout`` checks its form's ``csrf_token`` field itself. Token-borne writes need no
CSRF token (no browser sends a bearer token on its own).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

import anyio
from sqlalchemy import Engine
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send

from service.api.guards.responses import send_json
from service.auth.sessions import COOKIE_NAME, LiveSession, live_session
from service.auth.tokens import Principal, principal_for
from service.settings import Settings, get_settings

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_HEADER = "X-CSRF-Token"

#: Keys in the request's state (``request.state.<key>``).
PRINCIPAL = "principal"
AUTHENTICATED = "authenticated"
SESSION = "session"


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def bearer_token(scope: Scope) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None."""
    value = _header(scope, b"authorization")
    if value is None:
        return None
    scheme, _, token = value.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def session_cookie(scope: Scope) -> str | None:
    """The value of the ``parks_session`` cookie, or None."""
    raw = _header(scope, b"cookie")
    if not raw:
        return None
    return cookie_parser(raw).get(COOKIE_NAME) or None


def csrf_matches(scope: Scope, expected: str | None) -> bool:
    """True when the ``X-CSRF-Token`` header equals *expected* (in constant time)."""
    presented = _header(scope, b"x-csrf-token")
    if not presented or not expected:
        return False
    return hmac.compare_digest(presented.encode("utf-8"), expected.encode("utf-8"))


class Authentication:
    """Pure ASGI middleware resolving the bearer token or the session cookie before the
    route runs."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        engine: Callable[[], Engine],
        settings: Settings | None = None,
        open_writes: frozenset[str] = frozenset(),
        session_exempt_prefixes: tuple[str, ...] = (),
    ) -> None:
        self.app = app
        self.engine = engine
        self.settings = settings or get_settings()
        self.open_writes = open_writes
        self.session_exempt_prefixes = session_exempt_prefixes

    def lookup(self, token: str) -> Principal | None:
        """The principal of *token* (unknown or revoked: None), on a short-lived connection."""
        with self.engine().connect() as conn:
            return principal_for(conn, token)

    def lookup_session(self, cookie_value: str) -> LiveSession | None:
        """The live session of *cookie_value* (touched; an expired one ended), or None."""
        with self.engine().begin() as conn:
            return live_session(
                conn,
                cookie_value,
                idle_minutes=self.settings.session_idle_minutes,
                lifetime_hours=self.settings.session_lifetime_hours,
            )

    def _cookie_counts(self, path: str) -> bool:
        return not any(path == p or path.startswith(p) for p in self.session_exempt_prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        method = scope["method"]
        principal: Principal | None = None
        session: LiveSession | None = None
        token = bearer_token(scope)
        if token:
            principal = await anyio.to_thread.run_sync(self.lookup, token)
        elif self._cookie_counts(path):
            cookie = session_cookie(scope)
            if cookie:
                session = await anyio.to_thread.run_sync(self.lookup_session, cookie)
                principal = session.principal() if session else None
        state = scope.setdefault("state", {})
        state[PRINCIPAL] = principal
        state[SESSION] = session
        state[AUTHENTICATED] = True
        if method in WRITE_METHODS and path not in self.open_writes:
            if principal is None:
                await send_json(
                    send,
                    401,
                    {
                        "error": "unauthorized",
                        "message": f"{method} {path} needs "
                        "'Authorization: Bearer <token>' with a valid token, or a signed-in "
                        "session (/login)",
                    },
                    headers={"WWW-Authenticate": "Bearer", "Connection": "close"},
                )
                return
            if session is not None and not csrf_matches(scope, session.csrf_token):
                await send_json(
                    send,
                    403,
                    {
                        "error": "csrf",
                        "message": f"{method} {path} needs the {CSRF_HEADER} header of the "
                        "signed-in session",
                    },
                    headers={"Connection": "close"},
                )
                return
        await self.app(scope, receive, send)

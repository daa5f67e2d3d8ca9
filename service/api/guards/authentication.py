"""Authentication before the body: who a request is from, decided from its headers alone.

Every write (POST, PUT, PATCH, DELETE) needs a valid bearer token; one without is
answered 401 before a byte of its body is read, so an anonymous client can't make the
service parse megabytes it will refuse anyway. For every request that presents a token,
the principal is looked up once, here, and kept on ``request.state.principal``: the
routes' role checks read it from there and never open a second database connection for
it (a request holds at most one connection at a time, which the admission gate counts on).
"""

from __future__ import annotations

from collections.abc import Callable

import anyio
from sqlalchemy import Engine
from starlette.types import ASGIApp, Receive, Scope, Send

from service.api.guards.responses import send_json
from service.auth.tokens import Principal, principal_for

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

#: Keys in the request's state (``request.state.<key>``).
PRINCIPAL = "principal"
AUTHENTICATED = "authenticated"


def bearer_token(scope: Scope) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None."""
    for key, value in scope.get("headers", ()):
        if key == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
            return None
    return None


class Authentication:
    """Pure ASGI middleware resolving the bearer token before the route runs."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        engine: Callable[[], Engine],
        open_writes: frozenset[str] = frozenset(),
    ) -> None:
        self.app = app
        self.engine = engine
        self.open_writes = open_writes

    def lookup(self, token: str) -> Principal | None:
        """The principal of *token* (unknown or revoked: None), on a short-lived connection."""
        with self.engine().connect() as conn:
            return principal_for(conn, token)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = bearer_token(scope)
        principal = await anyio.to_thread.run_sync(self.lookup, token) if token else None
        state = scope.setdefault("state", {})
        state[PRINCIPAL] = principal
        state[AUTHENTICATED] = True
        if (
            principal is None
            and scope["method"] in WRITE_METHODS
            and scope.get("path") not in self.open_writes
        ):
            await send_json(
                send,
                401,
                {
                    "error": "unauthorized",
                    "message": f"{scope['method']} {scope.get('path')} needs "
                    "'Authorization: Bearer <token>' with a valid token",
                },
                headers={"WWW-Authenticate": "Bearer", "Connection": "close"},
            )
            return
        await self.app(scope, receive, send)

"""A writer reads its own change: after a write, its next lag-tolerant reads go to the
primary until the replica has replayed that write.

Installed only where a replica serves reads (``PARKS_READ_DATABASE_URL``). A request that
may write (any method but GET, HEAD and OPTIONS) and was answered below 400 gets, in its
answer, the cookie :data:`COOKIE` holding the primary's WAL position read as the answer
starts — after the route's transaction committed (the routes commit before they return),
so at or past the write's commit record. The read dependency
(``service.api.deps.get_read_conn``) sends a request carrying the cookie to the replica
only once the replica is known to have replayed that position, else to the primary: a
browser that changed a parcel sees the change on the map, tiles and search at once, while
everyone else's reads stay on the replica. The cookie outlives any lag worth serving from
a replica (:data:`MAX_AGE_S`); once the replica has replayed it, it costs a comparison.

One short statement on the primary per write (on the replica guard's own connection, not
the request pool's); nothing on reads.
"""

from __future__ import annotations

import re

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.db.replica import ReplicaGuard

#: The cookie naming the WAL position (hexadecimal) the replica must have replayed before
#: it serves this client's reads.
COOKIE = "parks_read_after"
#: How long the cookie is kept (s).
MAX_AGE_S = 600
#: Methods that never write.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_LSN_HEX = re.compile(r"[0-9A-F]{1,16}")


def cookie_lsn(value: str | None) -> int | None:
    """The WAL position a :data:`COOKIE` value names, or None (absent or malformed)."""
    if value is None or not _LSN_HEX.fullmatch(value):
        return None
    return int(value, 16)


class ReadAfterWrite:
    """Pure ASGI middleware setting :data:`COOKIE` on the answers to successful writes;
    *guard* reads the primary's WAL position."""

    def __init__(self, app: ASGIApp, *, guard: ReplicaGuard) -> None:
        self.app = app
        self.guard = guard

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                lsn = await run_in_threadpool(self.guard.primary_lsn)
                if lsn is not None:
                    secure = "; Secure" if scope.get("scheme") == "https" else ""
                    cookie = (
                        f"{COOKIE}={lsn:X}; Path=/; Max-Age={MAX_AGE_S}; HttpOnly; "
                        f"SameSite=Lax{secure}"
                    )
                    headers = list(message.get("headers", ()))
                    headers.append((b"set-cookie", cookie.encode("latin-1")))
                    message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_cookie)

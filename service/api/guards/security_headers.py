"""Security headers on every response: pages, API answers, static files, errors, and the
refusals of the other guards (it is the outermost of them).

* ``X-Content-Type-Options: nosniff`` — a browser never takes a JSON answer or a
  downloaded file for a page or a script;
* ``Referrer-Policy: same-origin`` — no address of this site (with its query: a search, a
  parcel code) goes to another;
* ``Content-Security-Policy`` (:mod:`service.pages.csp`) — only this site's scripts run,
  an inline one only with this request's nonce; nothing loads from elsewhere but the
  basemap's tiles; no other site may frame the pages (``frame-ancestors``, and
  ``X-Frame-Options: SAMEORIGIN`` for browsers that predate it).

A fresh nonce is made for each request and put in ``scope["state"]["csp_nonce"]``
(``request.state.csp_nonce``) before the app runs, so the pages can write it into their
inline scripts. A header the app set itself is left as it is. An error that escapes the
app before it answered is answered here, ``500 Internal Server Error`` with the headers,
and raised on (to be logged); Starlette's own error handler, outside every guard, would
send it without them.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.pages.csp import NONCE_KEY, NONCE_SLOT, new_nonce, policy_template

#: The headers every response carries, besides the policy.
FIXED_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"SAMEORIGIN"),
)
CSP_HEADER = b"content-security-policy"
_ERROR_BODY = b"Internal Server Error"


class SecurityHeaders:
    """Pure ASGI middleware adding the security headers and making each request's nonce.
    *img_sources* are the host-sources images may also come from (the basemap's tile
    servers: ``service.maps.pages.basemap_sources``)."""

    def __init__(self, app: ASGIApp, *, img_sources: Iterable[str] = ()) -> None:
        self.app = app
        before, after = policy_template(img_sources).split(NONCE_SLOT)
        self._policy = (before.encode("ascii"), after.encode("ascii"))

    def headers(self, nonce: str) -> list[tuple[bytes, bytes]]:
        """The headers of a response to a request whose nonce is *nonce*."""
        before, after = self._policy
        return [*FIXED_HEADERS, (CSP_HEADER, before + nonce.encode("ascii") + after)]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = new_nonce()
        scope.setdefault("state", {})[NONCE_KEY] = nonce
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                raw = list(message.get("headers") or [])
                present = {key.lower() for key, _ in raw}
                raw += [(k, v) for k, v in self.headers(nonce) if k not in present]
                message = {**message, "headers": raw}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            if not started:
                await send_with_headers(
                    {
                        "type": "http.response.start",
                        "status": 500,
                        "headers": [
                            (b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(_ERROR_BODY)).encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": _ERROR_BODY})
            raise

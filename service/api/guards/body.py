"""Request bodies: bounded in size and in how long a client may pause while sending one.

A body declared larger than its limit (``Content-Length``) is refused with 413 before a
byte of it is read. A body sent without a length (chunked) is counted as it arrives and
refused as soon as it passes the limit. A client that stops sending in the middle of a
body for longer than ``timeout_s`` gets 408. Either way the application's own answer, if
it had started one from the partial body, is replaced by the guard's.

JSON and other small bodies get ``json_max_bytes``; file uploads (multipart forms and
binary files) get ``upload_max_bytes``.
"""

from __future__ import annotations

import asyncio
import contextlib

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.api.guards.responses import send_json

#: Content types that carry a file rather than a JSON document.
UPLOAD_TYPES = (
    "multipart/form-data",
    "application/octet-stream",
    "application/zip",
    "application/x-zip-compressed",
    "application/geopackage+sqlite3",
    "application/vnd.",
)


class BodyRefused(Exception):
    """The body broke a limit; ``status`` and ``body`` are the answer."""

    def __init__(self, status: int, body: dict) -> None:
        super().__init__(body["message"])
        self.status = status
        self.body = body


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def is_upload(content_type: str | None) -> bool:
    """True when *content_type* names a file upload rather than a JSON-like body."""
    kind = (content_type or "").split(";")[0].strip().lower()
    return any(kind.startswith(t) for t in UPLOAD_TYPES)


class BodyGuard:
    """Pure ASGI middleware limiting request bodies' size and send time."""

    def __init__(
        self, app: ASGIApp, *, json_max_bytes: int, upload_max_bytes: int, timeout_s: float
    ) -> None:
        self.app = app
        self.json_max_bytes = json_max_bytes
        self.upload_max_bytes = upload_max_bytes
        self.timeout_s = timeout_s

    def limit_for(self, scope: Scope) -> tuple[int, str]:
        """The byte limit of this request's body and the setting that sets it."""
        if is_upload(_header(scope, b"content-type")):
            return self.upload_max_bytes, "PARKS_MAX_UPLOAD_BYTES"
        return self.json_max_bytes, "PARKS_MAX_JSON_BODY_BYTES"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, setting = self.limit_for(scope)
        too_large = {
            "error": "body_too_large",
            "parameter": "body",
            "message": f"the request body is larger than {limit:,} bytes ({setting})",
        }
        declared = _header(scope, b"content-length")
        if declared is not None:
            try:
                declared_bytes = int(declared)
            except ValueError:
                await send_json(
                    send,
                    400,
                    {
                        "error": "invalid_parameter",
                        "parameter": "Content-Length",
                        "message": f"Content-Length is not a number: {declared!r}",
                    },
                )
                return
            if declared_bytes > limit:
                await send_json(send, 413, too_large, headers={"Connection": "close"})
                return

        received = 0
        body_done = False
        refused: BodyRefused | None = None
        started = False

        async def guarded_receive() -> Message:
            nonlocal received, refused, body_done
            if body_done:
                # After the body, receive() only waits for the client to disconnect
                # (streaming responses listen for it): no limit applies.
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), timeout=self.timeout_s)
            except TimeoutError:
                refused = BodyRefused(
                    408,
                    {
                        "error": "request_timeout",
                        "parameter": "body",
                        "message": f"the client sent no part of the request body for "
                        f"{self.timeout_s:g} s (PARKS_BODY_TIMEOUT_S)",
                    },
                )
                raise refused from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = BodyRefused(413, too_large)
                    raise refused
                body_done = not message.get("more_body", False)
            else:
                body_done = True
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused is not None:
                return  # the app answered a body it never fully got: the guard answers
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        with contextlib.suppress(BodyRefused):  # answered below
            await self.app(scope, guarded_receive, guarded_send)
        if refused is not None and not started:
            await send_json(send, refused.status, refused.body, headers={"Connection": "close"})

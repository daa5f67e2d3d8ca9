"""Serving the app with uvicorn, with a deadline for a request's headers.

uvicorn closes idle keep-alive connections, but a client that opens a connection and
then sends its request line and headers a byte at a time is held open for as long as it
likes — a few hundred such clients exhaust the server. :class:`HeaderTimeoutProtocol`
gives every request ``PARKS_HEADER_TIMEOUT_S`` from its first byte (or from the
connection's opening) to its last header, then answers 408 and closes; a request its
parser cannot read is answered 400 in the API's JSON error format, not uvicorn's text.
The body has its own limit, applied by ``service.api.guards.body`` while the app reads it.
"""

from __future__ import annotations

import asyncio
import json
import uuid

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from service.observability.logging import logging_config
from service.settings import get_settings

PROTOCOL = "service.api.serving:HeaderTimeoutProtocol"

_TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\n"
    b"content-type: application/json\r\n"
    b"connection: close\r\n"
    b"content-length: %d\r\n\r\n%s"
)


_UNREADABLE_RESPONSE = (
    b"HTTP/1.1 400 Bad Request\r\n"
    b"content-type: application/json\r\n"
    b"x-request-id: %s\r\n"
    b"connection: close\r\n"
    b"content-length: %d\r\n\r\n%s"
)


def _unreadable_body(request_id: str) -> bytes:
    return json.dumps(
        {
            "error": "invalid_request",
            "parameter": "request",
            "message": "the request could not be read as HTTP/1.1: malformed, or its "
            "request line or a header too long",
            "request_id": request_id,
        }
    ).encode()


def _timeout_body(timeout_s: float) -> bytes:
    return json.dumps(
        {
            "error": "request_timeout",
            "parameter": "headers",
            "message": f"the request's headers did not arrive within {timeout_s:g} s "
            "(PARKS_HEADER_TIMEOUT_S)",
        }
    ).encode()


class HeaderTimeoutProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline on each request's headers."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout_s = get_settings().header_timeout_s
        self._header_deadline: asyncio.TimerHandle | None = None

    def _arm(self) -> None:
        if self._header_deadline is None:
            self._header_deadline = self.loop.call_later(
                self.header_timeout_s, self._headers_too_slow
            )

    def _disarm(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _headers_too_slow(self) -> None:
        self._header_deadline = None
        if self.transport.is_closing():
            return
        body = _timeout_body(self.header_timeout_s)
        self.transport.write(_TIMEOUT_RESPONSE % (len(body), body))
        self.transport.close()

    def send_400_response(self, msg: str) -> None:
        """What uvicorn answers a request its parser cannot read (garbage, a request line
        or header past the parser's limits), in the API's JSON error format, with a
        request id like every other answer, instead of uvicorn's plain text."""
        request_id = uuid.uuid4().hex
        body = _unreadable_body(request_id)
        self.transport.write(_UNREADABLE_RESPONSE % (request_id.encode(), len(body), body))
        self.transport.close()

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()  # a connection that never sends a request is a slow request too

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)


def serve(*, host: str, port: int, workers: int = 1) -> None:
    """Serve ``service.api.app:app_factory`` with the header deadline, and the service's
    log lines (``service.observability.logging``) in every worker; uvicorn's own access
    lines are off (the request-context guard writes one per request)."""
    import uvicorn

    settings = get_settings()
    uvicorn.run(
        "service.api.app:app_factory",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        http=PROTOCOL,
        log_config=logging_config(log_format=settings.log_format, log_level=settings.log_level),
        access_log=False,
    )

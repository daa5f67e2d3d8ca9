"""Time limits, and the database work of a client that went away.

Every request (but the few paths that use no request connection: static files, /health,
the API document) gets a time limit for its database work: ``PARKS_REQUEST_TIME_LIMIT_S``,
or ``PARKS_LONG_REQUEST_TIME_LIMIT_S`` for the long ones (imports, exports, the audit's
reports: :data:`LONG_PREFIXES`). Its connections carry it as their ``statement_timeout``,
and when it has passed — or when the client closes its connection before the answer is
complete — whatever statement the request is running is cancelled, and again every
:data:`RECANCEL_S` until the request ends, so its transaction stops and rolls back
rather than running on for nobody (``service.db.request_work``). The cancelled statement
raises ``QueryCanceled``: the client that is still there gets 503 ``request_timeout`` with
``Retry-After`` (``service.api.errors.outage_response``).

The client's going away is seen as ASGI's ``http.disconnect``: once the request's body has
been read (for a request without one: once it has run :data:`WATCH_AFTER_S`), this guard
is the only reader of the server's ``receive`` — a reader task waits for the disconnect
and hands the application anything else — so watching costs no polling and never takes
a message the application wants.

The guard also answers 503 ``database_unavailable`` when the guards inside it (who the
request is from: a token or session looked up in the database) fail because the database
does not answer: the routes' own errors are answered by the app's error handlers.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable, Iterable

from sqlalchemy.exc import DBAPIError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.api.errors import outage_response
from service.db.request_work import CLIENT_GONE, TIME_LIMIT, RequestWork, current_work
from service.settings import Settings

#: Paths of the long requests: imports (the upload's dry run, the apply, the report),
#: exports, and the audit's reports and reconciliation.
LONG_PREFIXES = ("/api/imports", "/imports/", "/api/export", "/api/audit", "/audit")
#: Seconds between cancel requests while a cancelled request is still working.
RECANCEL_S = 0.5
#: A request without a body is watched for its client's going away once it has run this
#: long: most are answered sooner, and cost no watching at all.
WATCH_AFTER_S = 0.25


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


#: Methods whose requests may carry a body without saying how long it is (a server reads
#: none then, but the guard leaves even that empty read to the application).
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def has_body(scope: Scope) -> bool:
    """True unless the request surely has no body: ``Content-Length: 0``, or no length
    and no chunks on a method that carries none (GET, HEAD, DELETE, OPTIONS)."""
    if _header(scope, b"transfer-encoding") is not None:
        return True
    length = _header(scope, b"content-length")
    if length is None:
        return scope["method"] in BODY_METHODS
    return length.strip() != "0"


class DisconnectWatch:
    """The request's ``receive``, watched for the client's going away (then *on_gone* is
    called, once).

    Until the body is complete the application reads through it; from then on a reader
    task is the only caller of the server's ``receive`` and queues what it gets."""

    def __init__(self, receive: Receive, on_gone: Callable[[], None]) -> None:
        self._receive = receive
        self._on_gone = on_gone
        self._queued: deque[Message] = deque()
        self._disconnect: Message | None = None
        self._arrived = asyncio.Event()
        self._reader: asyncio.Task | None = None
        self._app_reading = False
        #: Set once the whole answer was sent: a disconnect after it is no client leaving.
        self.answered = False

    def start(self) -> None:
        """Start reading (the body is complete, or there is none) — unless the application
        is reading itself right now (it will see a disconnect then)."""
        if self._reader is None and not self._app_reading:
            self._reader = asyncio.create_task(self._read())

    def stop(self) -> None:
        if self._reader is not None and not self._reader.done():
            self._reader.cancel()

    def _saw(self, message: Message) -> None:
        if message["type"] == "http.disconnect" and self._disconnect is None:
            self._disconnect = message
            if not self.answered:
                self._on_gone()

    async def _read(self) -> None:
        while self._disconnect is None:
            message = await self._receive()
            self._saw(message)
            if message["type"] != "http.disconnect":
                self._queued.append(message)
            self._arrived.set()

    async def receive(self) -> Message:
        """What the application reads."""
        if self._reader is None:
            self._app_reading = True
            try:
                message = await self._receive()
            finally:
                self._app_reading = False
            self._saw(message)
            if message["type"] == "http.request" and not message.get("more_body", False):
                self.start()
            return message
        while not self._queued and self._disconnect is None:
            self._arrived.clear()
            await self._arrived.wait()
        if self._queued:
            return self._queued.popleft()
        return self._disconnect


class WorkStopper:
    """Cancels a request's statements once its limit has passed or its client has gone
    (:meth:`due`), and again every :data:`RECANCEL_S` until :meth:`close`."""

    def __init__(self, work: RequestWork) -> None:
        self.work = work
        self._loop = asyncio.get_running_loop()
        self._timer = self._loop.call_later(work.limit_s, self.due, TIME_LIMIT)
        self._task: asyncio.Task | None = None

    def due(self, because: str) -> None:
        if self._task is None:
            self._timer.cancel()
            self._task = self._loop.create_task(self._cancel(because))

    async def _cancel(self, because: str) -> None:
        while True:
            # The cancel request opens a connection of its own: off the event loop.
            await self._loop.run_in_executor(None, self.work.cancel, because)
            await asyncio.sleep(RECANCEL_S)

    async def close(self) -> None:
        self._timer.cancel()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


class RequestTimeLimit:
    """Pure ASGI middleware: a time limit for each request's database work, its
    cancellation when the limit passes or the client goes away, and 503 for a database
    that does not answer the guards inside it."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        settings: Settings,
        exempt_prefixes: tuple[str, ...] = (),
        long_prefixes: Iterable[str] = LONG_PREFIXES,
    ) -> None:
        self.app = app
        self.settings = settings
        self.exempt_prefixes = exempt_prefixes
        self.long_prefixes = tuple(long_prefixes)

    def work_for(self, path: str) -> RequestWork | None:
        """The work (time limit) of a request for *path*; None for an exempt path."""
        if any(path == p or path.startswith(p) for p in self.exempt_prefixes):
            return None
        if any(path == p or path.startswith(p) for p in self.long_prefixes):
            return RequestWork(
                self.settings.long_request_time_limit_s, "PARKS_LONG_REQUEST_TIME_LIMIT_S"
            )
        return RequestWork(self.settings.request_time_limit_s, "PARKS_REQUEST_TIME_LIMIT_S")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        work = self.work_for(scope.get("path", ""))
        stopper = WorkStopper(work) if work is not None else None

        def client_gone() -> None:
            if stopper is not None:
                stopper.due(CLIENT_GONE)

        watch = DisconnectWatch(receive, on_gone=client_gone)
        watch_later = None
        if stopper is not None and not has_body(scope):
            watch_later = asyncio.get_running_loop().call_later(WATCH_AFTER_S, watch.start)
        started = False

        async def send_watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                watch.answered = True
            await send(message)

        token = current_work.set(work)
        try:
            await self.app(scope, watch.receive, send_watched)
        except DBAPIError as exc:
            answer = outage_response(exc)
            if answer is None or started:
                raise
            await answer(scope, receive, send)
        finally:
            if watch_later is not None:
                watch_later.cancel()
            if stopper is not None:
                await stopper.close()
            watch.stop()
            current_work.reset(token)

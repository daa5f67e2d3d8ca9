"""Admission: at most as many requests at work as the database pool can serve at once.

Why: the routes are synchronous and run on a bounded thread pool. When more requests
start than there are pooled connections, the extra threads block waiting for a
connection while the requests that hold one wait for a thread to run on — every request
stalls until the pool's timeout and then fails. Waiting here instead, on the event loop,
costs no thread and no connection: a request either gets a slot within ``wait_s`` (and
then, holding at most one connection, never waits for the pool), or is answered 503 with
``Retry-After``. Paths that touch no database (static files, the API document, the
health check, which has its own small pool) are not queued.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from service.api.guards.responses import send_json


@dataclass
class GateCounters:
    """What the gate did since the app started (read by the load test and the bench)."""

    admitted: int = 0
    refused: int = 0
    waiting: int = 0
    most_waiting: int = 0


class AdmissionGate:
    """Pure ASGI middleware: *slots* requests at once, each waiting at most *wait_s*."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        slots: int,
        wait_s: float,
        exempt_prefixes: tuple[str, ...] = (),
        counters: GateCounters | None = None,
    ) -> None:
        self.app = app
        self.slots = slots
        self.wait_s = wait_s
        self.exempt_prefixes = exempt_prefixes
        self._semaphore: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.counters = counters or GateCounters()

    def _gate(self) -> asyncio.Semaphore:
        # Made inside the loop the server serves on (a test client may start another).
        loop = asyncio.get_running_loop()
        if self._semaphore is None or self._loop is not loop:
            self._semaphore = asyncio.Semaphore(self.slots)
            self._loop = loop
        return self._semaphore

    def exempt(self, path: str) -> bool:
        """True for paths that touch no database through the request pool."""
        return any(path == p or path.startswith(p) for p in self.exempt_prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.exempt(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        gate = self._gate()
        counters = self.counters
        counters.waiting += 1
        counters.most_waiting = max(counters.most_waiting, counters.waiting)
        try:
            await asyncio.wait_for(gate.acquire(), timeout=self.wait_s)
        except TimeoutError:
            counters.refused += 1
            retry_after = max(1, math.ceil(self.wait_s))
            await send_json(
                send,
                503,
                {
                    "error": "service_busy",
                    "message": f"the service is saturated: no free slot within {self.wait_s:g} s; "
                    f"retry after {retry_after} s",
                },
                headers={"Retry-After": str(retry_after)},
            )
            return
        finally:
            counters.waiting -= 1
        counters.admitted += 1
        try:
            await self.app(scope, receive, send)
        finally:
            gate.release()

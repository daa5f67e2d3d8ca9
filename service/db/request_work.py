"""The database work of the request being served: its statements' time limit, and a way
to cancel whatever it is running.

The request's time-limit guard (``service.api.guards.time_limit``) puts a
:class:`RequestWork` in the context variable :data:`current_work` before the request runs;
the pool listeners :func:`watch_engine` installs on every engine then

* give each connection the request checks out the request's ``statement_timeout`` (the
  value is remembered per connection, so the ``SET`` costs a round trip only when it
  changes; a connection checked out outside a request gets its session default back), and
* register it with the request's work until it is checked in again, so the guard can
  cancel its running statement (``psycopg.Connection.cancel_safe``: a cancel request on a
  side channel, safe from another thread) when the request's time is up or its client has
  gone away.

A connection is registered and unregistered under the work's lock, and cancelling holds
that lock: a connection already handed back to the pool (and maybe to another request)
is never cancelled on this request's behalf. A cancel that reaches an idle connection is
ignored by PostgreSQL.
"""

from __future__ import annotations

import logging
import threading
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import psycopg
from sqlalchemy import Engine, event
from sqlalchemy.exc import DisconnectionError

#: The work of the request being served (None: no request, e.g. the CLI or start-up).
current_work: ContextVar[RequestWork | None] = ContextVar("current_work", default=None)

#: Keys in a pooled connection's ``info``: its statement_timeout (ms, None: the session's
#: default) and the request work it is registered with.
_TIMEOUT_KEY = "parks_statement_timeout_ms"
_WORK_KEY = "parks_request_work"
#: Why a request's work was cancelled (``RequestWork.cancelled_because``).
TIME_LIMIT = "time_limit"
CLIENT_GONE = "client_gone"
#: Longest wait for PostgreSQL to take one cancel request.
CANCEL_TIMEOUT_S = 2.0

_log = logging.getLogger(__name__)


@dataclass(eq=False)
class RequestWork:
    """One request's database work: its time limit (and the setting that gives it), the
    connections it holds now, and why it was cancelled (None: it was not)."""

    limit_s: float
    setting: str
    cancelled_because: str | None = None
    _connections: list[Any] = field(default_factory=list, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @property
    def statement_timeout_ms(self) -> int:
        return max(1, round(self.limit_s * 1000))

    def hold(self, dbapi_connection: Any) -> None:
        """Register a connection the request checked out."""
        with self._lock:
            self._connections.append(dbapi_connection)

    def release(self, dbapi_connection: Any) -> None:
        """Unregister a connection the request handed back."""
        with self._lock:
            self._connections = [c for c in self._connections if c is not dbapi_connection]

    @property
    def holding(self) -> int:
        """How many connections the request holds now."""
        with self._lock:
            return len(self._connections)

    def cancel(self, because: str) -> int:
        """Cancel the statement each held connection is running (blocking: call it from a
        worker thread); return how many connections were asked. *because* is kept."""
        self.cancelled_because = self.cancelled_because or because
        asked = 0
        with self._lock:
            for connection in self._connections:
                try:
                    connection.cancel_safe(timeout=CANCEL_TIMEOUT_S)
                    asked += 1
                except Exception:  # a broken connection: its request fails on its own
                    _log.debug("could not cancel a statement", exc_info=True)
        return asked


def _set_statement_timeout(dbapi_connection: Any, timeout_ms: int | None) -> None:
    """``statement_timeout`` of the session: *timeout_ms*, or its default (None).

    Run outside any transaction (autocommit for the one statement), so it lasts for the
    session whatever the request's transaction does, and no transaction is left open for
    the code that checked the connection out."""
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True
    try:
        if timeout_ms is None:
            dbapi_connection.execute("RESET statement_timeout")
        else:
            dbapi_connection.execute(
                "SELECT set_config('statement_timeout', %s, false)", (str(timeout_ms),)
            )
    finally:
        dbapi_connection.autocommit = autocommit


def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    work = current_work.get()
    wanted = work.statement_timeout_ms if work is not None else None
    if record.info.get(_TIMEOUT_KEY) != wanted:
        try:
            _set_statement_timeout(dbapi_connection, wanted)
        except psycopg.OperationalError as exc:
            # The connection died since it was pinged: the pool takes a new one.
            raise DisconnectionError(str(exc)) from exc
        record.info[_TIMEOUT_KEY] = wanted
    if work is not None:
        record.info[_WORK_KEY] = work
        work.hold(dbapi_connection)


def _on_checkin(dbapi_connection: Any, record: Any) -> None:
    work = record.info.pop(_WORK_KEY, None) if record is not None else None
    if work is not None and dbapi_connection is not None:
        work.release(dbapi_connection)


def _on_connect(_dbapi_connection: Any, record: Any) -> None:
    # A new session starts with the default statement_timeout.
    record.info.pop(_TIMEOUT_KEY, None)


def _on_invalidate(dbapi_connection: Any, record: Any, _exception: Any) -> None:
    _on_checkin(dbapi_connection, record)


def watch_engine(engine: Engine) -> Engine:
    """Install the listeners that give the request's connections its time limit and let
    its guard cancel their statements (see the module docstring); return *engine*."""
    if not event.contains(engine, "checkout", _on_checkout):
        event.listen(engine, "connect", _on_connect)
        event.listen(engine, "checkout", _on_checkout)
        event.listen(engine, "checkin", _on_checkin)
        event.listen(engine, "invalidate", _on_invalidate)
    return engine

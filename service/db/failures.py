"""Database errors that are no fault of the request: the database does not answer (down,
restarting, out of connections, the connection lost mid-request), or a statement was
cancelled (its time limit, or its client went away). The API answers them 503 (see
``service.api.errors.outage_response``); a change set's operation that meets one is not
an invalid operation, the whole change set stops."""

from __future__ import annotations

import psycopg
from sqlalchemy.exc import DBAPIError

#: SQLSTATEs of a database that can't serve: the connection exception class (08), too
#: many connections, and the server shutting down, crashed or starting up (57P01-57P03).
UNAVAILABLE_SQLSTATES = frozenset({"53300", "57P01", "57P02", "57P03"})
UNAVAILABLE_SQLSTATE_CLASSES = ("08",)
#: A statement cancelled: by ``statement_timeout`` or by a cancel request.
CANCELLED_SQLSTATE = "57014"


def _sqlstate(exc: BaseException) -> str | None:
    return getattr(getattr(exc, "orig", None), "sqlstate", None)


def database_unavailable(exc: BaseException) -> bool:
    """True when *exc* says the database does not answer (rather than that it refused
    what was asked): a connection refused, lost or closed, a server shutting down or not
    yet accepting connections, no connection slot left."""
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    sqlstate = _sqlstate(exc)
    if sqlstate is None:
        # psycopg raises these without a SQLSTATE when no server answered at all.
        return isinstance(exc.orig, psycopg.OperationalError | psycopg.InterfaceError)
    return sqlstate in UNAVAILABLE_SQLSTATES or sqlstate.startswith(UNAVAILABLE_SQLSTATE_CLASSES)


def statement_cancelled(exc: BaseException) -> bool:
    """True when *exc* is a statement cancelled (time limit, or a cancel request)."""
    return isinstance(exc, DBAPIError) and _sqlstate(exc) == CANCELLED_SQLSTATE


def interrupted(exc: BaseException) -> bool:
    """True when *exc* stopped the work itself (unavailable or cancelled), not one step
    of it: nothing after it should run."""
    return database_unavailable(exc) or statement_cancelled(exc)

"""Engines and sessions for the PostGIS database."""

from __future__ import annotations

import weakref
from functools import cache

from sqlalchemy import Engine, create_engine

from service.db.request_work import watch_engine
from service.settings import get_settings

#: Seconds a new database connection may take before it fails.
CONNECT_TIMEOUT_S = 10


def make_engine(database_url: str, **kwargs) -> Engine:
    """A pooled engine for *database_url* (psycopg 3).

    JIT compilation is switched off on its connections: PostGIS functions carry high cost
    estimates, so the planner would JIT-compile small spatial queries and spend a second or
    more doing it (seen on the loader's checks and the overlap queries).

    A connection attempt gives up after 10 s (a database host that drops packets would
    otherwise hold a request for the operating system's TCP timeout, minutes), and a
    request's connections get its time limit and can be cancelled
    (``service.db.request_work``).
    """
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    connect_args = kwargs.setdefault("connect_args", {})
    connect_args.setdefault("options", "-c jit=off")
    connect_args.setdefault("connect_timeout", CONNECT_TIMEOUT_S)
    return watch_engine(create_engine(database_url, **kwargs))


#: Each read engine's primary (see :func:`make_read_engine`).
_PRIMARY_OF: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()
#: A replica that doesn't answer is given up on after this long (the reads then go to the
#: primary) rather than after the operating system's TCP timeout.
READ_CONNECT_TIMEOUT_S = 3


def make_read_engine(read_database_url: str | None, *, primary: Engine, **kwargs) -> Engine:
    """The engine of the reads that tolerate a short lag (map pages, tiles, search, OGC
    API, exports): *primary* itself when *read_database_url* is None (one database);
    otherwise a pooled engine on the streaming replica there (*kwargs* as for
    :func:`make_engine`), whose transactions are read-only (a write that strays onto it
    fails at once, even if the URL names a writable server) and which remembers its
    primary (:func:`primary_of`). Which of the two a request reads from is decided per
    request by the replica's lag (``service.db.replica``)."""
    if read_database_url is None:
        return primary
    connect_args = kwargs.setdefault("connect_args", {})
    connect_args.setdefault("connect_timeout", READ_CONNECT_TIMEOUT_S)
    connect_args.setdefault("options", "-c jit=off -c default_transaction_read_only=on")
    engine = make_engine(read_database_url, **kwargs)
    _PRIMARY_OF[engine] = primary
    return engine


def primary_of(engine: Engine) -> Engine:
    """The primary behind read engine *engine*: where what a read keeps for later (the
    tile cache) is written. *engine* itself when it is no replica's engine."""
    return _PRIMARY_OF.get(engine, engine)


@cache
def get_engine() -> Engine:
    """The process-wide engine for ``DATABASE_URL``."""
    return make_engine(get_settings().database_url)

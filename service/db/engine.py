"""Engines and sessions for the PostGIS database."""

from __future__ import annotations

from functools import cache

from sqlalchemy import Engine, create_engine

from service.settings import get_settings


def make_engine(database_url: str, **kwargs) -> Engine:
    """A pooled engine for *database_url* (psycopg 3).

    JIT compilation is switched off on its connections: PostGIS functions carry high cost
    estimates, so the planner would JIT-compile small spatial queries and spend a second or
    more doing it (seen on the loader's checks and the overlap queries).
    """
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    connect_args = kwargs.setdefault("connect_args", {})
    connect_args.setdefault("options", "-c jit=off")
    return create_engine(database_url, **kwargs)


@cache
def get_engine() -> Engine:
    """The process-wide engine for ``DATABASE_URL``."""
    return make_engine(get_settings().database_url)

"""The test databases' URLs as each database role (``make db`` makes the roles).

The fixtures' URLs connect as the service's role (``parks_app``), as the service and the
CLI do; :func:`owner_url` is the same database as the schema's owner (``parks_owner``):
for the migrations and for tests that play an owner or a superuser tampering with what
the service itself cannot touch; :func:`role_url` as any other role.
"""

from __future__ import annotations

import os

from sqlalchemy.engine import make_url

from service.db.roles import OWNER_ROLE, as_role

APP_BASE_URL = os.environ.get("DATABASE_URL", "postgresql+psycopg://parks_app@127.0.0.1:5432/parks")
OWNER_BASE_URL = os.environ.get("PARKS_OWNER_DATABASE_URL") or as_role(APP_BASE_URL, OWNER_ROLE)


def app_url(database: str) -> str:
    """Database *database* as the service's role."""
    return make_url(APP_BASE_URL).set(database=database).render_as_string(hide_password=False)


def owner_url(url: str) -> str:
    """The database of *url* as its owner (``parks_owner``)."""
    database = make_url(url).database
    return make_url(OWNER_BASE_URL).set(database=database).render_as_string(hide_password=False)


def role_url(url: str, role: str) -> str:
    """The database of *url* as *role* (no password: trust auth on the test machine)."""
    return as_role(url, role)

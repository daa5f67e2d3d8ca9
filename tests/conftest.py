"""Test databases: real PostGIS, throwaway, made from the template ``make db`` prepares.

* ``empty_db_url``  — a new database with PostGIS and nothing else (per test function).
* ``loaded_template`` — once per session: migrated from empty and loaded with the
  committed sample; never used directly, only copied.
* ``sample_db_url`` — a copy of the loaded template shared by a whole module (for reads).
* ``fresh_db_url``  — a copy of the loaded template per test (for tests that commit).

The databases are made and migrated as the schema's owner (``parks_owner``); the URLs the
fixtures give connect as the service's role (``parks_app``), as the service and the CLI
do. ``owner_url(url)`` is the same database as its owner: for tests that must play the
owner (migrations, tampering a superuser or owner could do).

Every database made here is dropped at the end of the session.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url
from support_roles import APP_BASE_URL as BASE_URL
from support_roles import OWNER_BASE_URL, owner_url
from support_roles import app_url as _url

__all__ = ["owner_url"]

# The suite was written when editors applied change sets themselves; it keeps exercising
# that path with the setting on (servers started as subprocesses inherit it). The default
# (off: editors propose, approvers approve) is proven by the proposal tests, which pass
# editors_apply_directly=False to the app they make.
os.environ.setdefault("PARKS_EDITORS_APPLY_DIRECTLY", "true")

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample" / "parks.gpkg"


def _admin() -> psycopg.Connection:
    url = make_url(OWNER_BASE_URL)
    return psycopg.connect(
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        dbname="postgres",
        autocommit=True,
    )


class Databases:
    """Creates and finally drops the session's databases."""

    def __init__(self) -> None:
        self.prefix = f"parks_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.made: list[str] = []
        self.postgis_template = make_url(BASE_URL).database + "_template"

    def create(self, *, template: str) -> str:
        name = f"{self.prefix}_{len(self.made)}"
        with _admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        self.made.append(name)
        return name

    def drop_all(self) -> None:
        with _admin() as conn:
            for name in reversed(self.made):
                # A service connection still closing when the session ends can't be
                # terminated by the owner (it is not the service's role): wait for it.
                for attempt in range(20):
                    try:
                        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                        break
                    except psycopg.errors.InsufficientPrivilege:
                        if attempt == 19:
                            raise
                        time.sleep(0.25)


@pytest.fixture(scope="session")
def databases() -> Iterator[Databases]:
    dbs = Databases()
    try:
        with _admin() as conn:
            found = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (dbs.postgis_template,)
            ).fetchone()
    except psycopg.OperationalError as exc:  # pragma: no cover - environment problem
        pytest.exit(f"no PostgreSQL at {BASE_URL}: {exc}; run `make db`", returncode=4)
    if not found:  # pragma: no cover - environment problem
        pytest.exit(f"database {dbs.postgis_template} is missing; run `make db`", returncode=4)
    yield dbs
    dbs.drop_all()


@pytest.fixture
def empty_db_url(databases: Databases) -> str:
    """A new database with the PostGIS extension and no tables."""
    return _url(databases.create(template=databases.postgis_template))


@pytest.fixture(scope="session")
def loaded_template(databases: Databases) -> str:
    """The name of a database migrated from empty and loaded with the sample."""
    from service.db.engine import make_engine
    from service.db.migrate import upgrade
    from service.imports.loader import load_dataset

    name = databases.create(template=databases.postgis_template)
    url = _url(name)
    upgrade(owner_url(url))
    engine = make_engine(url)
    try:
        load_dataset(engine, SAMPLE, storage_srid=4545, actor="test-loader")
    finally:
        engine.dispose()
    return name


@pytest.fixture(scope="module")
def sample_db_url(databases: Databases, loaded_template: str) -> str:
    """A copy of the loaded sample shared by one test module: read-only use."""
    return _url(databases.create(template=loaded_template))


@pytest.fixture
def fresh_db_url(databases: Databases, loaded_template: str) -> str:
    """A copy of the loaded sample for one test: commit freely."""
    return _url(databases.create(template=loaded_template))


# --- the app and its tokens ----------------------------------------------------------------


@pytest.fixture
def make_client() -> Iterator:
    """``make_client(url, **settings)``: a TestClient of the app on database *url* (lifespan
    run), closed after the test."""
    from fastapi.testclient import TestClient

    from service.api.app import create_app
    from service.settings import Settings

    clients = []

    def _make(url: str, **settings):
        client = TestClient(create_app(Settings(database_url=url, **settings)))
        client.__enter__()
        clients.append(client)
        return client

    yield _make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def make_token() -> Iterator:
    """``make_token(url, role, name=None)``: create a bearer token in database *url*; returns
    the ``Authorization`` header dict."""
    from service.auth.tokens import create_token
    from service.db.engine import make_engine

    engines = []

    def _make(url: str, role: str, name: str | None = None) -> dict[str, str]:
        engine = make_engine(url, pool_size=1, max_overflow=0)
        engines.append(engine)
        with engine.begin() as conn:
            token = create_token(conn, name=name or f"{role}-{uuid.uuid4().hex[:6]}", role=role)
        return {"Authorization": f"Bearer {token}"}

    yield _make
    for engine in engines:
        engine.dispose()

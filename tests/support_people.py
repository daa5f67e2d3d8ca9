"""Officials who sign in, for the sign-in and session tests: users made straight in the
database, a client of the app that comes from a given address (and over https when asked),
and signing in through the form."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, text
from starlette.testclient import TestClient

from service.api.app import create_app
from service.auth.users import create_user
from service.db.engine import make_engine
from service.settings import Settings

PASSWORD = "correct-horse-battery-staple"
HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


@contextmanager
def small_engine(url: str) -> Iterator[Engine]:
    """An engine of one connection on *url* (disposed afterwards)."""
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        yield engine
    finally:
        engine.dispose()


def add_user(
    url: str, name: str, role: str, *, parks: tuple[str, ...] = (), password: str = PASSWORD
) -> None:
    """Make user *name* in the database of *url*."""
    with small_engine(url) as engine, engine.begin() as conn:
        create_user(conn, name=name, role=role, parks=parks, password=password)


def query(url: str, sql: str, **params: Any) -> list:
    """The rows of *sql* on *url* (committed: it may write)."""
    with small_engine(url) as engine, engine.begin() as conn:
        result = conn.execute(text(sql), params)
        return result.all() if result.returns_rows else []


@contextmanager
def people_client(
    url: str, *, address: str = "10.0.0.1", https: bool = False, **settings: Any
) -> Iterator[TestClient]:
    """A client of the app on *url* whose requests come from *address* (over https when
    *https*), redirects not followed."""
    app = create_app(Settings(database_url=url, **settings))
    base_url = "https://testserver" if https else "http://testserver"
    with TestClient(
        app, base_url=base_url, client=(address, 50000), follow_redirects=False
    ) as client:
        yield client


def post_login(client: TestClient, name: str, password: str = PASSWORD, next_path: str = ""):
    """Post the sign-in form."""
    return client.post("/login", data={"name": name, "password": password, "next": next_path})


def signed_in(client: TestClient, name: str, password: str = PASSWORD) -> str:
    """Sign *client* in as *name*; the session's CSRF token."""
    response = post_login(client, name, password)
    assert response.status_code == 303, response.text
    session = client.get("/api/session")
    assert session.status_code == 200, session.text
    return session.json()["csrf_token"]

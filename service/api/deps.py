"""Typed dependencies of the routes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Connection, Engine

from parks.errors import Forbidden, Unauthorized
from parks.vocabulary import AUDIT_ROLES, WRITE_ROLES, Role
from service.auth import Principal, principal_for
from service.settings import Settings


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


def get_engine_dep(request: Request) -> Engine:
    return request.app.state.engine


def get_conn(request: Request) -> Iterator[Connection]:
    """A read connection for one request."""
    with request.app.state.engine.connect() as conn:
        yield conn


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
EngineDep = Annotated[Engine, Depends(get_engine_dep)]
ConnDep = Annotated[Connection, Depends(get_conn)]

_bearer = HTTPBearer(auto_error=False)
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _principal(engine: Engine, credentials: HTTPAuthorizationCredentials | None):
    if credentials is None or not credentials.credentials:
        return None
    with engine.connect() as conn:
        return principal_for(conn, credentials.credentials)


def require_roles(roles: frozenset[str] | set[str], *, what: str) -> Callable[..., Principal]:
    """A dependency that admits a bearer token whose role is in *roles*."""

    def dependency(engine: EngineDep, credentials: BearerDep) -> Principal:
        principal = _principal(engine, credentials)
        if principal is None:
            raise Unauthorized(
                f"{what} needs 'Authorization: Bearer <token>' with a valid token "
                f"(role {' or '.join(sorted(roles))})"
            )
        if principal.role not in roles:
            raise Forbidden(
                f"{what} needs role {' or '.join(sorted(roles))}; "
                f"token {principal.name!r} has role {principal.role!r}"
            )
        return principal

    return dependency


def reader(engine: EngineDep, settings: SettingsDep, credentials: BearerDep) -> Principal | None:
    """Reads are open unless PARKS_READS_NEED_TOKEN is set; then any role may read."""
    if not settings.reads_need_token:
        return None
    return require_roles({r.value for r in Role}, what="reading")(engine, credentials)


def auditor(engine: EngineDep, settings: SettingsDep, credentials: BearerDep):
    """Audit reads: open with open reads, else auditor or admin."""
    if not settings.reads_need_token:
        return None
    return require_roles(AUDIT_ROLES, what="reading the audit")(engine, credentials)


ReaderDep = Annotated[Principal | None, Depends(reader)]
AuditorDep = Annotated[Principal | None, Depends(auditor)]
EditorDep = Annotated[Principal, Depends(require_roles(WRITE_ROLES, what="writing land changes"))]
AdminDep = Annotated[Principal, Depends(require_roles({Role.ADMIN.value}, what="this change"))]

"""Typed dependencies of the routes.

Dependencies that touch no database are ``async``: they run on the event loop, where a
synchronous one would cost a hop to the thread pool and back on every request."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool

from parks.errors import Forbidden, Unauthorized
from parks.vocabulary import AUDIT_ROLES, WRITE_ROLES, Role
from service.api.guards.authentication import AUTHENTICATED, PRINCIPAL, SESSION
from service.api.guards.read_after_write import COOKIE as READ_AFTER_COOKIE
from service.api.guards.read_after_write import cookie_lsn
from service.auth.sessions import LiveSession
from service.auth.tokens import Principal, principal_for
from service.db.replica import choose_read_engine
from service.settings import Settings


async def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


async def get_engine_dep(request: Request) -> Engine:
    return request.app.state.engine


def get_conn(request: Request) -> Iterator[Connection]:
    """A read connection for one request."""
    with request.app.state.engine.connect() as conn:
        yield conn


def get_read_conn(request: Request) -> Iterator[Connection]:
    """A connection for one read that tolerates a short lag (map pages, tiles, search,
    OGC API, exports): the replica's (``PARKS_READ_DATABASE_URL``) while it is within
    ``PARKS_READ_MAX_LAG_S`` of the primary and has replayed this client's own last write
    (``service.api.guards.read_after_write``); the primary's otherwise, and when the
    replica fails to connect. Without a replica, the same as :func:`get_conn`."""
    state = request.app.state
    guard = getattr(state, "replica_guard", None)
    engine = choose_read_engine(
        state.engine,
        state.read_engine,
        guard,
        after_lsn=cookie_lsn(request.cookies.get(READ_AFTER_COOKIE)),
    )
    try:
        conn = engine.connect()
    except OperationalError as exc:
        if engine is state.engine or guard is None:
            raise
        guard.mark_down(f"unreachable: {str(exc.orig).strip()[:200]}")
        conn = state.engine.connect()
    with conn:
        yield conn


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
EngineDep = Annotated[Engine, Depends(get_engine_dep)]
ConnDep = Annotated[Connection, Depends(get_conn)]
#: A lag-tolerant read's connection: the replica's when it may serve (see get_read_conn).
ReadConnDep = Annotated[Connection, Depends(get_read_conn)]

_bearer = HTTPBearer(auto_error=False)
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


async def get_principal(request: Request, engine: EngineDep, credentials: BearerDep):
    """Who the request is from: a bearer token's owner or a signed-in user (None: neither).

    The authentication guard (``service.api.guards.authentication``) resolved it before
    the route ran; looking it up again here would hold a second connection per request.
    (Without the guard, only a bearer token is looked up.)
    """
    state = request.state
    if getattr(state, AUTHENTICATED, False):
        return getattr(state, PRINCIPAL, None)
    if credentials is None or not credentials.credentials:
        return None
    return await run_in_threadpool(_lookup, engine, credentials.credentials)


def _lookup(engine: Engine, token: str) -> Principal | None:
    """The principal of *token*, when the app runs without its authentication guard."""
    with engine.connect() as conn:
        return principal_for(conn, token)


PrincipalDep = Annotated[Principal | None, Depends(get_principal)]


async def get_live_session(request: Request) -> LiveSession | None:
    """The signed-in session the request came with (None: a token, or nobody), as the
    authentication guard found it."""
    return getattr(request.state, SESSION, None)


LiveSessionDep = Annotated[LiveSession | None, Depends(get_live_session)]


def _admit(principal: Principal | None, roles: frozenset[str] | set[str], what: str) -> Principal:
    if principal is None:
        raise Unauthorized(
            f"{what} needs a signed-in session (/login) or 'Authorization: Bearer <token>' "
            f"with a valid token (role {' or '.join(sorted(roles))})"
        )
    if principal.role not in roles:
        who = "user" if principal.via == "session" else "token"
        raise Forbidden(
            f"{what} needs role {' or '.join(sorted(roles))}; "
            f"{who} {principal.name!r} has role {principal.role!r}"
        )
    return principal


def require_roles(roles: frozenset[str] | set[str], *, what: str) -> Callable[..., Principal]:
    """A dependency that admits a bearer token or a signed-in user whose role is in
    *roles*."""

    async def dependency(principal: PrincipalDep) -> Principal:
        return _admit(principal, roles, what)

    return dependency


_ALL_ROLES = frozenset(r.value for r in Role)


async def reader(settings: SettingsDep, principal: PrincipalDep) -> Principal | None:
    """Reads are open unless PARKS_READS_NEED_TOKEN is set; then any role may read."""
    if not settings.reads_need_token:
        return principal
    return _admit(principal, _ALL_ROLES, "reading")


async def auditor(settings: SettingsDep, principal: PrincipalDep):
    """Audit reads: open with open reads, else auditor or admin."""
    if not settings.reads_need_token:
        return principal
    return _admit(principal, AUDIT_ROLES, "reading the audit")


async def direct_writer(settings: SettingsDep, principal: PrincipalDep) -> Principal:
    """Applying a change set (or an import) directly, without a second official's approval:
    admins always; editors only where ``PARKS_EDITORS_APPLY_DIRECTLY`` is set — otherwise
    an editor proposes (``POST /api/proposals``) and an approver approves."""
    if settings.editors_apply_directly:
        return _admit(principal, WRITE_ROLES, "writing land changes")
    if principal is not None and principal.role == Role.EDITOR.value:
        raise Forbidden(
            "writing land changes directly needs role admin: editors propose them "
            "(POST /api/proposals) for an approver to approve "
            "(PARKS_EDITORS_APPLY_DIRECTLY is off)"
        )
    return _admit(principal, {Role.ADMIN.value}, "writing land changes")


ReaderDep = Annotated[Principal | None, Depends(reader)]
AuditorDep = Annotated[Principal | None, Depends(auditor)]
EditorDep = Annotated[Principal, Depends(direct_writer)]
AdminDep = Annotated[Principal, Depends(require_roles({Role.ADMIN.value}, what="this change"))]

#: Refusal details and actor names: auditor or admin, whatever the read setting (a refused
#: change set's body and its sender are not public, even where reads are open).
AuditorAlwaysDep = Annotated[
    Principal, Depends(require_roles(AUDIT_ROLES, what="reading refused change sets"))
]

"""Liveness (``/health``: is the service up and does its database answer) and readiness
(``/ready``: may it be sent traffic — the database answers, its schema is the code's,
the map's assets are installed)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from maps.builder import EDITOR_CSS, EDITOR_JS, LEAFLET_CSS, LEAFLET_JS
from maps.elements import APP_CSS, APP_JS, MEASURE_JS, VENDOR_CSS, VENDOR_JS
from service.api.deps import PrincipalDep, SettingsDep
from service.db.migrate import head_revision, revision_of
from service.pages.templates import APP_DIR, STATIC_DIR, VENDOR_DIR
from service.reads import queries as reads

router = APIRouter(tags=["service"])


@router.get(
    "/health",
    responses={503: {"description": "the database does not answer"}},
)
def health(request: Request, settings: SettingsDep, principal: PrincipalDep) -> JSONResponse:
    """`{"status": "ok", "postgis": "<version>"}`, or 503 `{"status": "down"}` when the
    database does not answer. It has its own connection, so it answers while every
    request slot is busy. When reads need a token, an anonymous caller learns only up or
    down, not the versions the service runs on."""
    try:
        with request.app.state.health_engine.connect() as conn:
            version = reads.postgis_version(conn)
    except SQLAlchemyError:
        return JSONResponse({"status": "down"}, status_code=503, headers={"Retry-After": "5"})
    if settings.reads_need_token and principal is None:
        return JSONResponse({"status": "ok"})
    return JSONResponse({"status": "ok", "postgis": version})


def map_assets() -> list[Path]:
    """The files the map pages load from the service's own static folder: the vendored
    libraries (``make web`` puts them there) and the pages' scripts and stylesheets."""
    vendor = [LEAFLET_JS, LEAFLET_CSS, *VENDOR_JS.values(), *VENDOR_CSS.values()]
    app = [APP_JS, APP_CSS, MEASURE_JS, EDITOR_JS, EDITOR_CSS]
    return [VENDOR_DIR / name for name in vendor] + [APP_DIR / name for name in app]


def readiness_checks(request: Request) -> dict[str, str]:
    """Each check's outcome: ``"ok"``, or what is wrong."""
    checks: dict[str, str] = {}
    try:
        # The health check's own connection: /ready answers while every request slot is
        # busy (a saturated service is busy, not broken: its probe must not flap).
        with request.app.state.health_engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            database_revision = revision_of(conn)
    except SQLAlchemyError:
        checks["database"] = "the database does not answer"
        checks["migrations"] = "unknown: the database does not answer"
    else:
        checks["database"] = "ok"
        code_revision = head_revision()
        checks["migrations"] = (
            "ok"
            if database_revision == code_revision
            else f"the database is at revision {database_revision or 'none'}, the code at "
            f"{code_revision}: run `parks db upgrade`"
        )
    missing = [str(p.relative_to(STATIC_DIR)) for p in map_assets() if not p.is_file()]
    checks["assets"] = (
        "ok" if not missing else f"missing under web/static: {', '.join(missing)} (run `make web`)"
    )
    return checks


def replica_note(request: Request) -> str | None:
    """With a read replica: whether it serves the lag-tolerant reads now, or why not (not a
    failed check: its reads go to the primary meanwhile). None without one."""
    guard = getattr(request.app.state, "replica_guard", None)
    if guard is None:
        return None
    state = guard.state()
    if state.usable:
        return f"serving reads ({state.lag_s:.1f} s behind)" if state.lag_s is not None else "ok"
    return f"not serving reads, they go to the primary: {state.reason or 'unknown'}"


@router.get(
    "/ready",
    responses={
        503: {
            "description": "not ready: the database does not answer, its schema is not the "
            "code's, or the map's assets are missing (``failed`` names them)"
        }
    },
)
def ready(request: Request, settings: SettingsDep, principal: PrincipalDep) -> JSONResponse:
    """`{"status": "ready", "checks": {"database": "ok", "migrations": "ok", "assets":
    "ok"}}`, or 503 `{"status": "not_ready", "failed": [...], "checks": {...}}` with each
    failed check's reason and ``Retry-After``. When reads need a token, an anonymous caller
    learns only which checks failed, not the reasons."""
    checks = readiness_checks(request)
    failed = [name for name, outcome in checks.items() if outcome != "ok"]
    anonymous = settings.reads_need_token and principal is None
    if anonymous:
        checks = {name: "ok" if name not in failed else "failed" for name in checks}
    if not failed:
        body = {"status": "ready", "checks": checks}
        replica = replica_note(request)
        if replica is not None and not anonymous:
            body["replica"] = replica
        return JSONResponse(body)
    return JSONResponse(
        {"status": "not_ready", "failed": failed, "checks": checks},
        status_code=503,
        headers={"Retry-After": "5"},
    )

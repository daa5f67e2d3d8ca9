"""Liveness: is the service up and does its database answer."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from service.api.deps import PrincipalDep, SettingsDep
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

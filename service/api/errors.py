"""Errors to HTTP, in one table. Route code raises domain errors; it never builds an error
response by hand."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError

from gis.errors import GisError
from parks.errors import (
    ConcurrentChange,
    Forbidden,
    InvalidChangeSet,
    InvalidParameter,
    ManufacturingLandWouldDecrease,
    NotFound,
    ParksError,
    Unauthorized,
)
from parks.operations import problems_from_errors
from service.db.errors import domain_error_from_database

#: Domain error class -> HTTP status. The most specific class listed wins.
STATUS: dict[type[Exception], int] = {
    NotFound: 404,
    InvalidParameter: 422,
    InvalidChangeSet: 422,
    ManufacturingLandWouldDecrease: 409,
    ConcurrentChange: 409,
    Unauthorized: 401,
    Forbidden: 403,
    ParksError: 400,
    GisError: 422,
}


def status_for(exc: Exception) -> int:
    """The HTTP status of a domain error (walks the class's MRO through the table)."""
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def _parameter_name(loc: tuple) -> str:
    parts = [str(p) for p in loc if p not in ("query", "path", "body", "header")]
    return ".".join(parts) or "request"


def validation_error_body(exc: RequestValidationError) -> tuple[int, dict]:
    """A FastAPI validation error as our body: a change set's problems per operation, or
    the parameter that was wrong."""
    errors = exc.errors()
    if errors and all(e["loc"][:1] == ("body",) for e in errors):
        body_errors = [{**e, "loc": tuple(e["loc"][1:])} for e in errors]
        return 422, InvalidChangeSet(problems_from_errors(body_errors)).body()
    first = errors[0] if errors else {"loc": ("request",), "msg": "invalid request"}
    name = _parameter_name(tuple(first["loc"]))
    message = "; ".join(f"{_parameter_name(tuple(e['loc']))}: {e['msg']}" for e in errors)
    return 422, {"error": "invalid_parameter", "parameter": name, "message": message}


def install(app: FastAPI) -> None:
    """Register the handlers on *app*."""

    @app.exception_handler(ParksError)
    async def _domain(_request: Request, exc: ParksError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=status_for(exc))

    @app.exception_handler(GisError)
    async def _gis(_request: Request, exc: GisError) -> JSONResponse:
        return JSONResponse(
            {"error": "invalid_geometry", "message": str(exc)}, status_code=status_for(exc)
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        status, body = validation_error_body(exc)
        return JSONResponse(body, status_code=status)

    @app.exception_handler(DBAPIError)
    async def _database(_request: Request, exc: DBAPIError) -> JSONResponse:
        domain = domain_error_from_database(exc)
        if domain is None:
            raise exc
        return JSONResponse(domain.body(), status_code=status_for(domain))

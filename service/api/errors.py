"""Errors to HTTP, in one table. Route code raises domain errors; it never builds an error
response by hand."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from gis.errors import ArchiveError, GisError, MissingCrs, SourceError
from maps.errors import MapError, MapOptionError, MissingAsset
from parks.errors import (
    ConcurrentChange,
    Forbidden,
    InvalidChangeSet,
    InvalidFiguresFile,
    InvalidOperation,
    InvalidParameter,
    InvalidRecord,
    ManufacturingLandWouldDecrease,
    NotFound,
    ParkOutOfScope,
    ParksError,
    ProposalDecided,
    ProposalStale,
    SelfApproval,
    Unauthorized,
)
from parks.imports.mapping import MappingError
from parks.operations import problems_from_errors
from parks.vocabulary import WRITE_ROLES
from service.auth.errors import SignInLocked
from service.changes.refusals import record_refused_submission
from service.db.errors import domain_error_from_database
from service.db.failures import database_unavailable, statement_cancelled
from service.db.request_work import CLIENT_GONE, current_work
from service.imports.errors import ImportAlreadyApplied, ImportHasBlockingProblems, ImportStale
from service.ogc.cql2 import FilterError
from service.ogc.errors import BadOgcParameter
from service.pages.sign_in import login_url

#: Domain error class -> HTTP status. The most specific class listed wins.
STATUS: dict[type[Exception], int] = {
    NotFound: 404,
    InvalidParameter: 422,
    BadOgcParameter: 400,  # OGC API – Features answers a bad parameter with 400
    InvalidChangeSet: 422,
    InvalidRecord: 422,
    InvalidFiguresFile: 422,
    InvalidOperation: 422,
    ManufacturingLandWouldDecrease: 409,
    ConcurrentChange: 409,
    ImportStale: 409,
    ImportAlreadyApplied: 409,
    ImportHasBlockingProblems: 422,
    SignInLocked: 429,
    ProposalStale: 409,
    ProposalDecided: 409,
    SelfApproval: 403,
    ParkOutOfScope: 403,
    MappingError: 422,
    Unauthorized: 401,
    Forbidden: 403,
    FilterError: 400,
    ParksError: 400,
    GisError: 422,
    # The service's own installation, not the request, is at fault.
    MissingAsset: 503,
    MapOptionError: 500,
    MapError: 500,
}


#: The ``error`` of a geometry package error's body (the most specific class listed wins):
#: a file handed over that cannot be read says so, not "invalid geometry".
GIS_ERROR_CODES: dict[type[Exception], str] = {
    MissingCrs: "missing_crs",
    ArchiveError: "invalid_archive",
    SourceError: "invalid_source",
    GisError: "invalid_geometry",
}


def gis_error_body(exc: GisError) -> dict:
    """The body of a geometry package error: its code, message and (a missing CRS) the
    likely CRS."""
    code = next(
        (GIS_ERROR_CODES[cls] for cls in type(exc).__mro__ if cls in GIS_ERROR_CODES),
        "invalid_geometry",
    )
    body = {"error": code, "message": str(exc)}
    if isinstance(exc, MissingCrs):
        body["suggestion"] = exc.suggestion
    return body


def status_for(exc: Exception) -> int:
    """The HTTP status of a domain error (walks the class's MRO through the table)."""
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


#: Seconds a client is told to wait (``Retry-After``) when the database does not answer or
#: its request ran out of time.
DATABASE_RETRY_AFTER_S = 5
#: The status of an answer to a client that went away before it (nobody reads it; the
#: access log and the metrics do): nginx's "client closed request".
CLIENT_GONE_STATUS = 499


def outage_response(exc: BaseException) -> JSONResponse | None:
    """The answer to a database failure that is no fault of the request, else None: 503
    ``database_unavailable`` when the database does not answer, 503 ``request_timeout``
    when a statement was cancelled at the request's time limit (naming the limit and its
    setting), both with ``Retry-After``; 499 ``client_gone`` when it was cancelled
    because the client had gone away."""
    retry = {"Retry-After": str(DATABASE_RETRY_AFTER_S)}
    if database_unavailable(exc):
        body = {
            "error": "database_unavailable",
            "message": "the database does not answer; retry in a few seconds",
        }
        return JSONResponse(body, status_code=503, headers=retry)
    if not statement_cancelled(exc):
        return None
    work = current_work.get()
    if work is not None and work.cancelled_because == CLIENT_GONE:
        body = {"error": "client_gone", "message": "the client went away; its work was cancelled"}
        return JSONResponse(body, status_code=CLIENT_GONE_STATUS)
    limit = (
        f"its time limit of {work.limit_s:g} s ({work.setting})"
        if work is not None
        else "its time limit (PARKS_REQUEST_TIME_LIMIT_S)"
    )
    body = {
        "error": "request_timeout",
        "parameter": None,
        "message": f"the request's database work took longer than {limit}; it was cancelled",
    }
    return JSONResponse(body, status_code=503, headers=retry)


def _parameter_name(loc: tuple) -> str:
    parts = [str(p) for p in loc if p not in ("query", "path", "body", "header")]
    return ".".join(parts) or "request"


def _body_field_name(error: dict) -> str:
    """The body field an error is about (``body`` for the whole body, or JSON that is not)."""
    if error.get("type") == "json_invalid":
        return "body"
    return ".".join(str(p) for p in error["loc"][1:] if not isinstance(p, int)) or "body"


def validation_error_body(
    exc: RequestValidationError, *, change_set: bool = True
) -> tuple[int, dict]:
    """A FastAPI validation error as our body: a change set's problems per operation (when
    *change_set*: the request is a change set), or the parameter — query, path or body
    field — that was wrong."""
    errors = exc.errors()
    if errors and all(e["loc"][:1] == ("body",) for e in errors):
        if change_set:
            body_errors = [{**e, "loc": tuple(e["loc"][1:])} for e in errors]
            return 422, InvalidChangeSet(problems_from_errors(body_errors)).body()
        name = _body_field_name(errors[0])
        message = "; ".join(f"{_body_field_name(e)}: {e['msg']}" for e in errors)
        return 422, {"error": "invalid_parameter", "parameter": name, "message": message}
    first = errors[0] if errors else {"loc": ("request",), "msg": "invalid request"}
    name = _parameter_name(tuple(first["loc"]))
    message = "; ".join(f"{_parameter_name(tuple(e['loc']))}: {e['msg']}" for e in errors)
    return 422, {"error": "invalid_parameter", "parameter": name, "message": message}


#: The route whose bodies are change sets: refused at validation, they are logged in
#: ``refusal`` and answered with per-operation problems.
CHANGE_SET_ROUTE = ("POST", "/api/change-sets")
#: Routes whose bodies are change sets too, answered alike but not logged (nothing is
#: applied: a dry run, a proposal).
CHANGE_SET_BODY_ROUTES = frozenset(
    {CHANGE_SET_ROUTE, ("POST", "/api/change-sets/dry-run"), ("POST", "/api/proposals")}
)


def _route(request: Request) -> tuple[str, str | None]:
    return (request.method, getattr(request.scope.get("route"), "path", None))


def is_change_set_request(request: Request) -> bool:
    """True for a change set submitted to be applied (refused at validation, it is logged)."""
    return _route(request) == CHANGE_SET_ROUTE


def has_change_set_body(request: Request) -> bool:
    """True for a request whose body is a change set (applied, dry run or proposed)."""
    return _route(request) in CHANGE_SET_BODY_ROUTES


async def log_refused_change_set(request: Request, exc: RequestValidationError) -> None:
    """Log a change set refused at validation, like one refused later, when an editor or
    admin sent it (``request.state.principal``, set by the authentication guard before the
    body was read). Anonymous and read-only senders are not logged: the log is of
    attempts to change land, not of noise."""
    if not is_change_set_request(request):
        return
    principal = getattr(request.state, "principal", None)
    if principal is None or principal.role not in WRITE_ROLES:
        return
    errors = [{**e, "loc": tuple(e["loc"][1:])} for e in exc.errors() if e["loc"][:1] == ("body",)]
    await run_in_threadpool(
        record_refused_submission,
        request.app.state.engine,
        actor=principal.name,
        received=exc.body,
        raw=await request.body(),  # read (and kept) by FastAPI before it validated
        error=InvalidChangeSet(problems_from_errors(errors)),
        cap_bytes=request.app.state.settings.refusal_body_cap_bytes,
    )


def wants_sign_in_page(request: Request, exc: Exception) -> bool:
    """True when a browser asked for a page that needs a signed-in user and has none: an
    anonymous GET (or HEAD) refused 401 whose Accept names text/html. API clients keep the
    401 JSON."""
    return (
        isinstance(exc, Unauthorized)
        and request.method in ("GET", "HEAD")
        and "text/html" in request.headers.get("accept", "")
    )


def install(app: FastAPI) -> None:
    """Register the handlers on *app*."""

    @app.exception_handler(ParksError)
    async def _domain(request: Request, exc: ParksError) -> JSONResponse | RedirectResponse:
        if wants_sign_in_page(request, exc):
            return RedirectResponse(login_url(request.url.path, request.url.query), 303)
        return JSONResponse(exc.body(), status_code=status_for(exc))

    @app.exception_handler(GisError)
    async def _gis(_request: Request, exc: GisError) -> JSONResponse:
        return JSONResponse(gis_error_body(exc), status_code=status_for(exc))

    @app.exception_handler(MapError)
    async def _map(_request: Request, exc: MapError) -> JSONResponse:
        return JSONResponse({"error": exc.code, "message": str(exc)}, status_code=status_for(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        status, body = validation_error_body(exc, change_set=has_change_set_body(request))
        await log_refused_change_set(request, exc)
        return JSONResponse(body, status_code=status)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # FastAPI's own refusals (a body that is not UTF-8 text, an unknown path, a method
        # not allowed) in the API's error format.
        if exc.status_code == 400:
            body = {"error": "invalid_parameter", "parameter": "body", "message": str(exc.detail)}
        elif exc.status_code == 404:
            body = {"error": "not_found", "message": f"no such path: {request.url.path}"}
        else:
            body = {"error": "http_error", "message": str(exc.detail)}
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(PoolTimeout)
    async def _pool_timeout(_request: Request, _exc: PoolTimeout) -> JSONResponse:
        # The admission gate should make this unreachable; if it happens, say "busy".
        return JSONResponse(
            {"error": "service_busy", "message": "no database connection was free; retry"},
            status_code=503,
            headers={"Retry-After": "1"},
        )

    @app.exception_handler(DBAPIError)
    async def _database(_request: Request, exc: DBAPIError) -> JSONResponse:
        domain = domain_error_from_database(exc)
        if domain is None:
            outage = outage_response(exc)
            if outage is None:
                raise exc
            return outage
        return JSONResponse(domain.body(), status_code=status_for(domain))

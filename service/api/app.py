"""The FastAPI application."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from service.api import errors, links
from service.api.guards.admission import AdmissionGate, GateCounters
from service.api.guards.authentication import Authentication
from service.api.guards.body import BodyGuard
from service.api.guards.nul_bytes import RefuseNulBytes
from service.api.guards.read_after_write import ReadAfterWrite
from service.api.guards.request_context import RequestContext
from service.api.guards.security_headers import SecurityHeaders
from service.api.guards.time_limit import RequestTimeLimit
from service.api.routes import (
    audit,
    changes,
    editing,
    evaluation,
    exports,
    figures,
    health,
    imports,
    maps,
    metrics,
    ogc,
    planning,
    project_dispatch,
    project_page,
    project_progress,
    project_ranking,
    project_records,
    proposals,
    reads,
    signin,
    styles,
    supervision_idle,
    supervision_records,
    supervision_report,
    supervision_supply,
    tiles,
)
from service.changes.session import sync_policy
from service.db.engine import make_engine, make_read_engine
from service.db.replica import ReplicaGuard
from service.maps.pages import basemap_sources
from service.observability.logging import configure_logging
from service.pages.api_docs import api_docs_html
from service.pages.templates import STATIC_DIR
from service.settings import Settings, get_settings

#: Paths that use no connection of the request pool: never queued by the admission gate.
UNQUEUED_PATHS = ("/static/", "/health", "/ready", "/metrics", "/docs", "/openapi.json")


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app for *settings* (the environment's when None)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # The database judges the rule by its policy row; keep it in step with the setting.
        with app.state.engine.begin() as conn:
            sync_policy(conn, per_park_floor=settings.per_park_floor)
        yield
        app.state.engine.dispose()
        app.state.health_engine.dispose()
        if app.state.read_engine is not app.state.engine:
            app.state.read_engine.dispose()
        if app.state.replica_guard is not None:
            app.state.replica_guard.dispose()

    app = FastAPI(
        title="Park land ledger 园区用地台账",
        description=(
            "Land reserves, standard factory buildings and key project sites of the city's "
            "industrial parks, with the rule that manufacturing land never decreases "
            "(制造业用地总量只增不减). GeoJSON out is EPSG:4326; areas are planar m² in "
            f"EPSG:{settings.storage_srid}, with 亩 and hectares beside them."
        ),
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # served below from the vendored Swagger UI, not a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    slots = settings.max_concurrent_requests or (settings.db_pool_size + settings.db_pool_overflow)
    app.state.engine = make_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_overflow,
        # A request never waits for the pool while the gate admits no more requests than
        # it has connections; should that ever fail, fail fast (503) rather than stall.
        pool_timeout=max(settings.queue_wait_s, 1.0),
    )
    # /health has its own connection, so it answers while the request pool is busy.
    app.state.health_engine = make_engine(
        settings.database_url,
        pool_size=1,
        max_overflow=1,
        pool_timeout=2.0,
        connect_args={"connect_timeout": 3, "options": "-c jit=off -c statement_timeout=3000"},
    )
    # The lag-tolerant reads' engine: the replica's (PARKS_READ_DATABASE_URL) with a pool
    # as large as the primary's, else the primary's itself; the guard says per request
    # whether the replica may serve (service.db.replica).
    app.state.read_engine = make_read_engine(
        settings.read_database_url,
        primary=app.state.engine,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_overflow,
        pool_timeout=max(settings.queue_wait_s, 1.0),
    )
    app.state.replica_guard = None
    if settings.read_database_url is not None:
        app.state.replica_guard = ReplicaGuard(
            primary_url=settings.database_url,
            replica_url=settings.read_database_url,
            max_lag_s=settings.read_max_lag_s,
        )
    errors.install(app)
    app.include_router(health.router)
    app.include_router(signin.router)
    app.include_router(reads.router)
    app.include_router(changes.router)
    app.include_router(proposals.router)
    app.include_router(editing.router)
    app.include_router(audit.router)
    app.include_router(maps.router)
    app.include_router(tiles.router)
    app.include_router(styles.router)
    app.include_router(planning.router)
    app.include_router(exports.router)
    app.include_router(imports.router)
    app.include_router(supervision_records.router)
    app.include_router(supervision_idle.router)
    app.include_router(supervision_supply.router)
    app.include_router(figures.router)
    app.include_router(evaluation.router)
    app.include_router(supervision_report.router)
    app.include_router(project_records.router)
    app.include_router(project_progress.router)
    app.include_router(project_dispatch.router)
    app.include_router(project_ranking.router)
    app.include_router(project_page.router)  # after the others: /api/projects/{code}
    app.include_router(ogc.router)
    app.include_router(metrics.router)
    links.install(app)  # the document's links between operations (service/api/links.py)
    app.mount("/static", StaticFiles(directory=STATIC_DIR, check_dir=False), name="static")

    # Guards, innermost first (the last added runs first): no NUL bytes, the body's limits,
    # a slot to work in, then who the request is from.
    if app.state.replica_guard is not None:  # a writer's next reads wait for the replica
        app.add_middleware(ReadAfterWrite, guard=app.state.replica_guard)
    app.add_middleware(
        Authentication,
        engine=lambda: app.state.engine,
        settings=settings,
        open_writes=signin.OPEN_WRITES,
        session_exempt_prefixes=UNQUEUED_PATHS,
    )
    app.add_middleware(RequestTimeLimit, settings=settings, exempt_prefixes=UNQUEUED_PATHS)
    app.state.admission = GateCounters()
    app.add_middleware(
        AdmissionGate,
        slots=slots,
        wait_s=settings.queue_wait_s,
        exempt_prefixes=UNQUEUED_PATHS,
        counters=app.state.admission,
    )
    app.add_middleware(
        BodyGuard,
        json_max_bytes=settings.max_json_body_bytes,
        upload_max_bytes=settings.max_upload_bytes,
        timeout_s=settings.body_timeout_s,
    )
    app.add_middleware(RefuseNulBytes)  # first: a NUL byte never reaches anything else
    app.add_middleware(SecurityHeaders, img_sources=basemap_sources(settings))
    # Outermost: the request id, access line and metrics cover every guard's answers too.
    app.add_middleware(RequestContext, pool=lambda: app.state.engine.pool)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/map")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return HTMLResponse(
            api_docs_html(
                openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title} — API"
            )
        )

    return app


def app_factory() -> FastAPI:
    """Entry point for uvicorn --factory: the app, with the service's log lines
    (``PARKS_LOG_FORMAT``, ``PARKS_LOG_LEVEL``) however uvicorn was started."""
    settings = get_settings()
    configure_logging(log_format=settings.log_format, log_level=settings.log_level)
    return create_app(settings)

"""The FastAPI application."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from service.api import errors
from service.api.routes import audit, changes, maps, planning, reads, tiles
from service.changes.session import sync_policy
from service.db.engine import make_engine
from service.mapdata import WEB_DIR
from service.settings import Settings, get_settings


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
    )
    app.state.settings = settings
    app.state.engine = make_engine(settings.database_url)
    errors.install(app)
    app.include_router(reads.router)
    app.include_router(changes.router)
    app.include_router(audit.router)
    app.include_router(maps.router)
    app.include_router(tiles.router)
    app.include_router(planning.router)
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static", check_dir=False), name="static")

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/map")

    return app


def app_factory() -> FastAPI:
    """Entry point for uvicorn --factory."""
    return create_app()

"""The map pages (Folium/Leaflet, every asset served locally)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from parks.errors import NotFound
from service.api.deps import ConnDep, ReaderDep, SettingsDep
from service.mapdata import park_map_html

router = APIRouter(tags=["map"])


@router.get("/map", response_class=HTMLResponse)
def city_map(conn: ConnDep, settings: SettingsDep, _reader: ReaderDep) -> HTMLResponse:
    """All four parks on one map."""
    return HTMLResponse(park_map_html(conn, settings=settings, park=None))


@router.get("/map/{park}", response_class=HTMLResponse)
def park_map(park: str, conn: ConnDep, settings: SettingsDep, _reader: ReaderDep) -> HTMLResponse:
    """One park's map."""
    from service.reads import park_codes

    if park not in park_codes(conn):
        raise NotFound(f"park: unknown park {park!r}")
    return HTMLResponse(park_map_html(conn, settings=settings, park=park))

"""The map pages (Folium/Leaflet, every asset served locally), the map's search, the
availability map and a key project's page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse

from parks.errors import NotFound
from parks.vocabulary import PROPOSE_ROLES
from service.api.deps import ReadConnDep, ReaderDep, SettingsDep
from service.api.params import NOT_FOUND, READ_ERRORS, AvailabilityCriteriaDep, ParkDep
from service.maps import search
from service.maps.pages import availability_map_html, park_map_html
from service.maps.project_page import project_page_html
from service.pages.csp import CspNonceDep
from service.planning import availability
from service.reads import queries as reads

router = APIRouter(tags=["map"], responses=READ_ERRORS)


@router.get("/map", response_class=HTMLResponse)
def city_map(
    conn: ReadConnDep,
    settings: SettingsDep,
    _reader: ReaderDep,
    nonce: CspNonceDep,
    focus: Annotated[str | None, Query(description="parcel or project code to open")] = None,
) -> HTMLResponse:
    """All the parks on one map."""
    return HTMLResponse(
        park_map_html(conn, settings=settings, park=None, focus=focus, csp_nonce=nonce)
    )


@router.get("/map/search")
def map_search(
    conn: ReadConnDep,
    _reader: ReaderDep,
    q: Annotated[str, Query(min_length=1, max_length=100, description="code, holder or name")],
    park: ParkDep,
    limit: Annotated[int, Query(ge=1, le=100)] = search.SEARCH_LIMIT,
) -> list[dict]:
    """Parcels whose code or holder, and key projects whose code or name, contain *q*."""
    return search.search(conn, q=q, park=park, limit=limit)


@router.get("/map/availability", response_class=HTMLResponse)
def availability_map(
    conn: ReadConnDep,
    settings: SettingsDep,
    _reader: ReaderDep,
    criteria: AvailabilityCriteriaDep,
    nonce: CspNonceDep,
) -> HTMLResponse:
    """The candidates of an availability search (the criteria of ``GET /api/availability``:
    park, min_area_mu, max_area_mu, land_use, status, within, near, away, combine, limit)
    highlighted over the park, the criteria written on the map, the context layers
    switchable."""
    result = availability.search(conn, criteria, storage_srid=settings.storage_srid)
    return HTMLResponse(
        availability_map_html(
            conn, settings=settings, park=criteria.park, result=result, csp_nonce=nonce
        )
    )


@router.get("/map/projects/{project_code}", response_class=HTMLResponse, responses=NOT_FOUND)
def project_page(
    conn: ReadConnDep,
    settings: SettingsDep,
    _reader: ReaderDep,
    project_code: Annotated[str, Path(min_length=1, max_length=64)],
) -> HTMLResponse:
    """A key project's page: figures, milestones and parcels (with their history)."""
    return HTMLResponse(
        project_page_html(conn, project_code=project_code, storage_srid=settings.storage_srid)
    )


@router.get("/map/{park}", response_class=HTMLResponse, responses=NOT_FOUND)
def park_map(
    park: str,
    conn: ReadConnDep,
    settings: SettingsDep,
    reader: ReaderDep,
    nonce: CspNonceDep,
    focus: Annotated[str | None, Query(description="parcel or project code to open")] = None,
) -> HTMLResponse:
    """One park's map (with the change-set editor for an editor, approver or admin)."""
    if park not in reads.park_codes(conn):
        raise NotFound(f"park: unknown park {park!r}")
    editor = reader is not None and reader.role in PROPOSE_ROLES
    return HTMLResponse(
        park_map_html(
            conn, settings=settings, park=park, focus=focus, csp_nonce=nonce, editor=editor
        )
    )

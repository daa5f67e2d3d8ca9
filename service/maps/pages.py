"""Gathering a map's layers, figures and targets from the database and handing them to
:mod:`maps.builder`: the park and city maps and the availability map.

A layer with more features than ``settings.map_vector_tile_threshold`` is not embedded:
the page draws it from ``/tiles/{layer}/{z}/{x}/{y}.pbf`` instead.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, text

from maps.builder import (
    ContextLayer,
    Tiles,
    basemap_tile_urls,
    build_park_map,
    feature_boxes,
    render_html,
    tianditu_url,
)
from service.db.sqlfiles import sql
from service.editing.page import editor_config
from service.maps import tiles
from service.maps.project_marks import PROJECT_PAGE, project_marks
from service.maps.supervision_layers import supervision_layers
from service.pages.csp import source_of, with_nonce
from service.pages.templates import APP_DIR, VENDOR_DIR
from service.planning import targets
from service.reads import queries as reads
from service.settings import Settings

#: URL templates the pages link to and fetch from (served by this service).
LINKS = {
    "history": "/api/parcels/{code}/history",
    "project": "/map/projects/{code}",
    "projectPage": PROJECT_PAGE,
    "availabilityMap": "/map/availability",
}
SEARCH_URL = "/map/search"
#: Draw-to-query runs the availability search with the drawn polygon as ``within``.
DRAW_URL = "/api/availability"
CITY_TITLE = ("宝鸡市工业园区用地一张图", "Industrial parks of the city")


def basemap_options(settings: Settings) -> dict[str, Any]:
    """The basemap arguments of :func:`maps.builder.build_park_map` for *settings*: a tile URL
    only where the basemap uses one (a stray ``PARKS_TILE_URL`` can't break the page), and
    天地图's URLs built from its key unless a URL is given."""
    basemap = settings.basemap
    if basemap == "custom":
        return {"basemap": basemap, "tile_url": settings.tile_url}
    if basemap == "tianditu":
        if settings.tile_url:
            return {"basemap": basemap, "tile_url": settings.tile_url}
        key, layer = settings.tianditu_key or "", settings.tianditu_layer
        return {
            "basemap": basemap,
            "tile_url": tianditu_url(key, layer=layer),
            "label_url": tianditu_url(key, layer=layer, labels=True),
        }
    return {"basemap": basemap}


def basemap_sources(settings: Settings) -> tuple[str, ...]:
    """The host-sources of the basemap's tile servers (``https://t0.tianditu.gov.cn``, ...),
    which the pages' Content-Security-Policy lets images come from; none without a
    basemap. Raises ValueError (or :class:`maps.errors.MapOptionError`) for a tile URL
    whose host can't be named in a policy, so that the service does not start with it."""
    sources = (source_of(url) for url in basemap_tile_urls(**basemap_options(settings)))
    return tuple(dict.fromkeys(s for s in sources if s))


def target_status(conn: Connection) -> dict[str, dict]:
    """Each park's target status, by park code."""
    return {str(t["park"]): t for t in targets.target_status(conn)}


def figures(conn: Connection, *, park: str | None) -> dict[str, Any]:
    """The key figures of ``GET /api/stats`` with each park's target status."""
    data = reads.stats(conn, park=park)
    targets = target_status(conn)
    for p in data["parks"]:
        p["target"] = targets.get(p["park"])
    return data


def layer_counts(conn: Connection, *, park: str | None, figures: dict | None = None) -> dict:
    """Features per layer (``parcels``, ``buildings``, ``projects``, ``context:<name>``),
    taken from *figures* (:func:`figures`) where they hold them."""
    rows = conn.execute(text(sql("service.sql", "map_layer_counts.sql")), {"park": park})
    counts = {layer: int(n) for layer, n in rows}
    if figures is not None:
        parks = figures["parks"]
        counts["parcels"] = sum(int(p["parcels"]) for p in parks)
        counts["buildings"] = sum(int(p["factory_buildings"]) for p in parks)
        counts["projects"] = sum(sum(p["projects_by_status"].values()) for p in parks)
    return counts


def _tiles_url(layer: str, park: str | None) -> str:
    """The XYZ template of *layer*'s tiles. The layer's name (a context layer's is data)
    is encoded whole, so that no character of it can end the path or look like one of
    the template's ``{z}``, ``{x}``, ``{y}``."""
    query = f"?{urlencode({'park': park})}" if park else ""
    return f"/tiles/{quote(layer, safe='')}/{{z}}/{{x}}/{{y}}.pbf{query}"


def _context_layers(
    conn: Connection, *, park: str | None, counts: Mapping[str, int], threshold: int | None
) -> list[ContextLayer]:
    rows = conn.execute(
        text("SELECT name, title_zh, title_en FROM context_layer ORDER BY name")
    ).all()
    out = []
    for name, title_zh, title_en in rows:
        n = counts.get(f"context:{name}", 0)
        if threshold is not None and n > threshold:
            source: dict | Tiles = Tiles(_tiles_url(name, park), name, n)
        else:
            source = json.loads(
                conn.execute(
                    text(sql("service.sql", "map_context_features.sql")),
                    {"layer": name, "park": park, "precision": reads.MAP_PRECISION},
                ).scalar_one()
            )
        out.append(ContextLayer(name, title_zh, title_en, source))
    return out


def _classes_present(conn: Connection, *, figures: dict) -> list[dict]:
    codes = {code for p in figures["parks"] for code in p["area_by_class"]}
    return reads.land_use_classes(conn, codes=sorted(codes))


def map_layers(
    conn: Connection,
    *,
    settings: Settings,
    park: str | None,
    figures: dict,
    tiles_allowed: bool = True,
) -> dict[str, Any]:
    """Every layer of the map of *park* (all parks when None): the keyword arguments of
    :func:`maps.builder.build_park_map` for the layers. Large layers become :class:`Tiles`
    unless *tiles_allowed* is false (a file that must work without the service).
    *figures* (:func:`figures`) give the counts and the land-use classes present. The
    land-supervision layers (``idle``, ``grades``: :mod:`service.maps.supervision_layers`)
    are the API's URLs, fetched by the page when first switched on; so is the key-project
    marks' layer (``alerts``: :mod:`service.maps.project_marks`), on from the start. Only
    without *tiles_allowed* are they built here (as of today in ``PARKS_TIMEZONE``) and
    embedded."""
    threshold = settings.map_vector_tile_threshold if tiles_allowed else None
    counts = layer_counts(conn, park=park, figures=figures)

    def big(layer: str) -> bool:
        return threshold is not None and counts.get(layer, 0) > threshold

    if big("parcels"):
        parcels: dict | Tiles = Tiles(_tiles_url("parcels", park), "parcels", counts["parcels"])
    else:
        parcels = json.loads(
            reads.parcels_geojson(
                conn,
                storage_srid=settings.storage_srid,
                park=park,
                limit=max(counts.get("parcels", 0), 1),
                precision=reads.MAP_PRECISION,
            )
        )
    if big("buildings"):
        buildings: dict | Tiles = Tiles(_tiles_url("buildings", park), "buildings")
    else:
        buildings = json.loads(
            reads.buildings_geojson(conn, park=park, precision=reads.MAP_PRECISION)
        )
    if big("projects"):
        projects: dict | Tiles = Tiles(_tiles_url("projects", park), "projects")
    else:
        projects = json.loads(
            reads.projects_geojson(conn, park=park, precision=reads.MAP_PRECISION)
        )
    parks_fc = json.loads(reads.park_boundaries_geojson(conn, park=park))
    if isinstance(parcels, Tiles):
        # The overview tiles the page will ask for first are made while it loads.
        tiles.prefetch_overview(
            conn.engine, feature_boxes(parks_fc), storage_srid=settings.storage_srid, park=park
        )
    today = datetime.now(ZoneInfo(settings.timezone)).date()
    return {
        "parks": parks_fc,
        "parcels": parcels,
        "buildings": buildings,
        "projects": projects,
        "context": _context_layers(conn, park=park, counts=counts, threshold=threshold),
        "land_use_classes": _classes_present(conn, figures=figures),
        **supervision_layers(
            conn, park=park, today=today, zone=settings.timezone, embed=not tiles_allowed
        ),
        **project_marks(conn, park=park, today=today, embed=not tiles_allowed),
    }


def _titles(layers: dict[str, Any], park: str | None) -> tuple[str, str]:
    if park is None:
        return CITY_TITLE
    props = layers["parks"]["features"][0]["properties"]
    return props["name_zh"], props["name_en"]


def park_map_html(
    conn: Connection,
    *,
    settings: Settings,
    park: str | None,
    inline_assets: bool = False,
    asset_base: str = "/static/vendor",
    app_base: str = "/static/map",
    focus: str | None = None,
    csp_nonce: str | None = None,
    editor: bool = False,
) -> str:
    """The HTML of the map of *park* (all parks when None).

    With *inline_assets* the scripts and styles are embedded and every layer too, so the
    file works offline without the service (``parks map --out``); the tools that ask the
    service (server search, draw-to-query, history links) are left out then. With
    *csp_nonce* (a served page) every inline script of the page carries it. With *editor* (the
    viewer may propose changes) a served park's map carries the change-set editor.
    """
    key_figures = figures(conn, park=park)
    layers = map_layers(
        conn, settings=settings, park=park, figures=key_figures, tiles_allowed=not inline_assets
    )
    title_zh, title_en = _titles(layers, park)
    served = not inline_assets
    m = build_park_map(
        title_zh=title_zh,
        title_en=title_en,
        **layers,
        figures=key_figures,
        links=LINKS if served else None,
        search_url=SEARCH_URL if served and isinstance(layers["parcels"], Tiles) else None,
        draw_url=DRAW_URL if served else None,
        park=park,
        focus=focus,
        editor=editor_config(conn, park=park) if editor and served and park else None,
        asset_base=asset_base,
        app_base=app_base,
        **basemap_options(settings),
    )
    page = render_html(
        m,
        inline_assets_from=VENDOR_DIR if inline_assets else None,
        inline_app_from=APP_DIR if inline_assets else None,
    )
    return with_nonce(page, csp_nonce) if csp_nonce else page


def availability_map_html(
    conn: Connection,
    *,
    settings: Settings,
    park: str | None,
    result: dict,
    csp_nonce: str | None = None,
) -> str:
    """The map of an availability search's *result* (``service.planning.availability``):
    the candidates highlighted over *park* (or over every park), the criteria written on
    the map in both languages, the context layers switchable. With *csp_nonce* every
    inline script of the page carries it."""
    key_figures = figures(conn, park=park)
    layers = map_layers(conn, settings=settings, park=park, figures=key_figures)
    summary = result.get("criteria") or {}
    lines = list(zip(summary.get("lines_zh") or [], summary.get("lines_en") or [], strict=False))
    matched = result.get("numberMatched", len(result.get("features") or []))
    lines.append(
        (
            f"候选：{len(result.get('features') or [])} 处（共 {matched} 处符合）",
            f"Candidates: {len(result.get('features') or [])} shown of {matched}",
        )
    )
    title_zh, title_en = _titles(layers, park)
    m = build_park_map(
        title_zh=f"{title_zh} · 供地分析",
        title_en=f"{title_en} · land availability",
        **layers,
        figures=key_figures,
        candidates=result,
        criteria_lines=lines,
        links=LINKS,
        search_url=SEARCH_URL if isinstance(layers["parcels"], Tiles) else None,
        draw_url=DRAW_URL,
        park=park,
        **basemap_options(settings),
    )
    page = render_html(m)
    return with_nonce(page, csp_nonce) if csp_nonce else page

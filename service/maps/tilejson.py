"""TileJSON 3.0.0 documents of the vector-tile layers (``GET /tiles/{layer}/tilejson.json``):
where a layer's tiles are, the zooms there are tiles of, where its data lie, and the
properties its features carry — what QGIS, MapLibre or a tile cache needs to use the
tiles without reading the SQL that makes them.

The properties of the core layers are declared here next to ``service/sql/tiles_*.sql``
(a test decodes real tiles and compares); a context layer's come from its data (the
columns that hold values, and the keys of its features' JSON properties). A field's
value is its type, ``String``, ``Number`` or ``Boolean`` (TileJSON leaves the text of a
field's value to the server; types are what other vector-tile servers write there)."""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import quote, urlencode

from sqlalchemy import Connection, text

from gis.tiles import MAX_LAT, MAX_ZOOM, MIN_ZOOM
from parks.errors import NotFound
from service.db.sqlfiles import sql
from service.maps.tiles import CORE_LAYERS, OVERVIEW_MAX_ZOOM, context_layer_names

TILEJSON_VERSION = "3.0.0"
STRING, NUMBER, BOOLEAN = "String", "Number", "Boolean"
_JSON_TYPES = {"string": STRING, "number": NUMBER, "boolean": BOOLEAN}

#: A current parcel's properties (tiles_parcels.sql), from zoom OVERVIEW_MAX_ZOOM + 1.
PARCEL_FIELDS: dict[str, str] = {
    "parcel_code": STRING,
    "park": STRING,
    "land_use_code": STRING,
    "land_use_name": STRING,
    "land_use_name_en": STRING,
    "is_manufacturing": BOOLEAN,
    "status": STRING,
    "holder": STRING,
    "supply_mode": STRING,
    "supplied_on": STRING,
    "area_m2": NUMBER,
    "area_mu": NUMBER,
    "area_ha": NUMBER,
    "valid_from": STRING,
    "change_set_id": NUMBER,
}
#: An overview cell's properties (tiles_parcels_overview.sql), up to OVERVIEW_MAX_ZOOM.
OVERVIEW_FIELDS: dict[str, str] = {
    "park": STRING,
    "land_use_code": STRING,
    "status": STRING,
    "parcels": NUMBER,
    "area_m2": NUMBER,
    "overview": BOOLEAN,
}
CORE_FIELDS: dict[str, dict[str, str]] = {
    "parcels": {**PARCEL_FIELDS, **OVERVIEW_FIELDS},
    "buildings": {
        "building_code": STRING,
        "park": STRING,
        "parcel_code": STRING,
        "name": STRING,
        "storeys": NUMBER,
        "footprint_m2": NUMBER,
        "floor_area_m2": NUMBER,
        "leased_m2": NUMBER,
        "vacant_m2": NUMBER,
    },
    "projects": {
        "project_code": STRING,
        "name": STRING,
        "park": STRING,
        "investor": STRING,
        "industry_chain": STRING,
        "investment_yi": NUMBER,
        "status": STRING,
        "milestones": STRING,
        "parcel_codes": STRING,
        "site_area_m2": NUMBER,
    },
    "parks": {"code": STRING, "name_zh": STRING, "name_en": STRING, "area_m2": NUMBER},
}
CORE_TITLES: dict[str, str] = {
    "parcels": "地块 Parcels",
    "buildings": "标准化厂房 Standard factory buildings",
    "projects": "重点项目 Key projects",
    "parks": "园区边界 Park boundaries",
}
CORE_DESCRIPTIONS: dict[str, str] = {
    "parcels": (
        f"The parcels as they stand, with the properties of GET /api/parcels, from zoom "
        f"{OVERVIEW_MAX_ZOOM + 1}; up to zoom {OVERVIEW_MAX_ZOOM}, cells of 2 pixels "
        f"(overview: true) with the land-use class and status most of their parcels have, "
        f"their park, how many there are (parcels) and their area (area_m2)."
    ),
    "buildings": "Standard factory buildings with floor, leased and vacant area (m²).",
    "projects": (
        "Key projects' sites (the union of each project's parcels); milestones is JSON "
        "text, parcel_codes a comma-separated list."
    ),
    "parks": "Park boundaries with code, names and area (m²).",
}
#: Width in pixels of the view a layer's centre zoom is fitted to.
CENTER_FIT_PX = 1024.0
WORLD_BOUNDS = (-180.0, -MAX_LAT, 180.0, MAX_LAT)


def tiles_template(base_url: str, layer: str, *, park: str | None = None) -> str:
    """The absolute XYZ template of *layer*'s tiles (the layer's name — a context layer's
    is data — encoded whole, so that nothing of it can end the path or look like one of
    ``{z}``, ``{x}``, ``{y}``)."""
    query = f"?{urlencode({'park': park})}" if park else ""
    return f"{base_url.rstrip('/')}/tiles/{quote(layer, safe='')}/{{z}}/{{x}}/{{y}}.pbf{query}"


def layer_kind(conn: Connection, layer: str) -> str:
    """``core`` or ``context``; :class:`NotFound` for a layer there are no tiles of."""
    if layer in CORE_LAYERS:
        return "core"
    if layer in context_layer_names(conn):
        return "context"
    raise NotFound(f"layer: no tiles of layer {layer!r}")


def layer_fields(conn: Connection, layer: str) -> dict[str, str]:
    """The properties of *layer*'s tile features: name -> type."""
    if layer in CORE_FIELDS:
        return dict(CORE_FIELDS[layer])
    rows = conn.execute(
        text(sql("service.sql", "tilejson_context_fields.sql")), {"layer": layer}
    ).all()
    fields: dict[str, str] = {}
    for name, json_type in rows:
        fields.setdefault(name, _JSON_TYPES[json_type])
    return fields


def layer_bounds(
    conn: Connection, layer: str, *, storage_srid: int, park: str | None = None
) -> tuple[float, float, float, float] | None:
    """The lon/lat box ``(west, south, east, north)`` of *layer*'s features (only *park*'s
    when given); None when it has none."""
    kind = layer if layer in CORE_LAYERS else "context"
    row = conn.execute(
        text(sql("service.sql", "tilejson_bounds.sql")),
        {"kind": kind, "layer": layer, "park": park, "srid": storage_srid},
    ).one_or_none()
    if row is None or row.west is None:
        return None
    return (row.west, row.south, row.east, row.north)


def fit_zoom(bounds: tuple[float, float, float, float], *, minzoom: int, maxzoom: int) -> int:
    """The whole zoom at which *bounds* fit a view :data:`CENTER_FIT_PX` wide and high."""
    west, south, east, north = bounds
    lat = math.radians((south + north) / 2)
    span = max(east - west, (north - south) / max(math.cos(lat), 1e-6), 1e-9)
    zoom = math.floor(math.log2(CENTER_FIT_PX / (span / 360.0 * 256.0)))
    return max(minzoom, min(maxzoom, zoom))


def center_of(
    bounds: tuple[float, float, float, float], *, minzoom: int, maxzoom: int
) -> tuple[float, float, int]:
    """``(lon, lat, zoom)``: the middle of *bounds* and the zoom that shows them whole."""
    west, south, east, north = bounds
    zoom = fit_zoom(bounds, minzoom=minzoom, maxzoom=maxzoom)
    return (round((west + east) / 2, 6), round((south + north) / 2, 6), zoom)


def tilejson(
    conn: Connection, *, layer: str, base_url: str, storage_srid: int, park: str | None = None
) -> dict[str, Any]:
    """The TileJSON 3.0.0 document of *layer*'s tiles at the service *base_url* (only
    *park*'s features when given). Raises :class:`NotFound` for a layer there are no tiles
    of."""
    kind = layer_kind(conn, layer)
    if kind == "core":
        title, description = CORE_TITLES[layer], CORE_DESCRIPTIONS[layer]
    else:
        row = conn.execute(
            text("SELECT title_zh, title_en FROM context_layer WHERE name = :name"),
            {"name": layer},
        ).one()
        title = f"{row.title_zh} {row.title_en}"
        description = (
            f"Context layer {layer}: each feature's name, kind and park, and its own properties."
        )
    found = layer_bounds(conn, layer, storage_srid=storage_srid, park=park)
    bounds = tuple(round(v, 6) for v in found) if found else WORLD_BOUNDS
    return {
        "tilejson": TILEJSON_VERSION,
        "name": title,
        "description": description,
        "scheme": "xyz",
        "tiles": [tiles_template(base_url, layer, park=park)],
        "minzoom": MIN_ZOOM,
        "maxzoom": MAX_ZOOM,
        "bounds": list(bounds),
        "center": list(center_of(bounds, minzoom=MIN_ZOOM, maxzoom=MAX_ZOOM)),
        "vector_layers": [
            {
                "id": layer,
                "description": description,
                "minzoom": MIN_ZOOM,
                "maxzoom": MAX_ZOOM,
                "fields": layer_fields(conn, layer),
            }
        ],
    }

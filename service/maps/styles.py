"""The land-use styles and the QGIS project for desktop GIS, made from the database as it
stands: the classes the parcels have, the context layers and their geometry types, the
parks and where they are. The documents themselves are built in ``maps`` (``gl_style``,
``sld``, ``qgis_project``) from ``maps.style``'s colours."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from gis.tiles import MAX_ZOOM, MIN_ZOOM
from maps.gl_style import land_use_style
from maps.layer_looks import ContextLayerInfo, LandUseEntry, land_use_entries
from maps.qgis_project import ParkMark, ProjectSpec, qgis_project
from maps.sld import SLD_MEDIA_TYPE, land_use_sld
from service.db.sqlfiles import sql
from service.maps.tilejson import center_of, layer_bounds, tiles_template
from service.ogc.registry import FIXED as FIXED_COLLECTIONS

#: The styles the service offers: id -> (title, description).
STYLES: dict[str, tuple[str, str]] = {
    "landuse": (
        "园区用地 Land use",
        "Parcels by land-use class in the web map's colours (manufacturing land thickly "
        "outlined; hatched in the SLD), factory buildings, key projects by status, context "
        "layers and park boundaries.",
    ),
}
DEFAULT_STYLE = "landuse"
GL_MEDIA_TYPE = "application/vnd.mapbox.style+json"
#: ``f`` of a style -> its media type and what it is.
STYLE_FORMATS: dict[str, tuple[str, str]] = {
    "mapbox": (GL_MEDIA_TYPE, "Mapbox/MapLibre GL style (version 8) over the vector tiles"),
    "sld": (SLD_MEDIA_TYPE, "OGC SLD 1.1 / SE 1.1 land-use legend of the parcels"),
}
#: The normalised geometry type of each PostGIS GeometryType().
_GEOMETRY_TYPES = {
    "POINT": "Point",
    "MULTIPOINT": "Point",
    "LINESTRING": "LineString",
    "MULTILINESTRING": "LineString",
    "POLYGON": "Polygon",
    "MULTIPOLYGON": "Polygon",
}


def land_use_in_use(conn: Connection, *, park: str | None = None) -> list[LandUseEntry]:
    """The legend of the land-use classes the current parcels have (*park*'s only when
    given), by code."""
    rows = conn.execute(text(sql("service.sql", "styles_land_use_in_use.sql")), {"park": park})
    return land_use_entries(rows.mappings())


def context_layers(conn: Connection) -> list[ContextLayerInfo]:
    """The context layers, by name, with the geometry types of their features and the id
    of their OGC API collection (``context_<name>`` when a fixed collection has the
    name, as ``service.ogc.registry`` names them)."""
    rows = conn.execute(text(sql("service.sql", "styles_context_layers.sql"))).all()
    return [
        ContextLayerInfo(
            r.name,
            r.title_zh,
            r.title_en,
            frozenset(_GEOMETRY_TYPES[t] for t in r.geometry_types if t in _GEOMETRY_TYPES),
            collection=r.name if r.name not in FIXED_COLLECTIONS else f"context_{r.name}",
        )
        for r in rows
    ]


def style_url(base_url: str, style_id: str, f: str | None = None) -> str:
    """The absolute URL of style *style_id* (in format *f* when given)."""
    url = f"{base_url.rstrip('/')}/ogc/styles/{style_id}"
    return f"{url}?f={f}" if f else url


def styles_list(base_url: str) -> dict[str, Any]:
    """The styles the service offers, each with a link per format (OGC API – Styles'
    list of styles)."""
    styles = []
    for style_id, (title, description) in STYLES.items():
        links = [
            {
                "href": style_url(base_url, style_id, f),
                "rel": "stylesheet",
                "type": media_type,
                "title": what,
            }
            for f, (media_type, what) in STYLE_FORMATS.items()
        ]
        styles.append({"id": style_id, "title": title, "description": description, "links": links})
    return {
        "default": DEFAULT_STYLE,
        "styles": styles,
        "links": [
            {
                "href": f"{base_url.rstrip('/')}/ogc/styles",
                "rel": "self",
                "type": "application/json",
                "title": "this document",
            }
        ],
    }


def landuse_gl_style(conn: Connection, *, base_url: str, storage_srid: int) -> dict[str, Any]:
    """The land-use GL style over the tiles of the service at *base_url*, centred on the
    parks."""
    bounds = layer_bounds(conn, "parks", storage_srid=storage_srid)
    return land_use_style(
        tiles=lambda layer: tiles_template(base_url, layer),
        land_use=land_use_in_use(conn),
        context=context_layers(conn),
        minzoom=MIN_ZOOM,
        maxzoom=MAX_ZOOM,
        center=center_of(bounds, minzoom=MIN_ZOOM, maxzoom=MAX_ZOOM) if bounds else None,
        name=STYLES["landuse"][0],
    )


def landuse_sld(conn: Connection) -> bytes:
    """The SLD 1.1 land-use legend of the classes the parcels have."""
    return land_use_sld(land_use_in_use(conn), title=STYLES["landuse"][0])


def qgis_project_file(conn: Connection, *, base_url: str, storage_srid: int) -> bytes:
    """The QGIS project (``.qgs``) of the service at *base_url*, in the storage CRS,
    opening on the parks."""
    parks = [
        ParkMark(r.code, r.name_zh, r.name_en, (r.xmin, r.ymin, r.xmax, r.ymax))
        for r in conn.execute(text(sql("service.sql", "styles_parks.sql")))
    ]
    if parks:
        extent = (
            min(p.extent[0] for p in parks),
            min(p.extent[1] for p in parks),
            max(p.extent[2] for p in parks),
            max(p.extent[3] for p in parks),
        )
    else:
        extent = (0.0, 0.0, 1.0, 1.0)
    spec = ProjectSpec(
        base_url=base_url.rstrip("/"),
        crs_epsg=storage_srid,
        extent=extent,
        parks=parks,
        land_use=land_use_in_use(conn),
        context=context_layers(conn),
        tile_minzoom=MIN_ZOOM,
        tile_maxzoom=MAX_ZOOM,
        styles_url=style_url(base_url, DEFAULT_STYLE),
    )
    return qgis_project(spec)

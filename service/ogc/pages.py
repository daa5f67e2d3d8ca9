"""The OGC API's HTML pages (``f=html`` or a browser's Accept header): each JSON document
rendered by its template (``web/templates/ogc_*.html``) through the service's one Jinja
environment, which escapes every text from the data."""

from __future__ import annotations

from typing import Any

from service.ogc.registry import Collection
from service.pages.templates import templates

#: Features drawn on an items page's map at most (the table lists every one).
MAP_FEATURES_MAX = 2_000


def render(template: str, *, root: str, doc: dict[str, Any], **context: Any) -> str:
    """Page *template* (``ogc_<name>.html``) of document *doc*."""
    return (
        templates()
        .get_template(f"ogc_{template}.html")
        .render(root=root, doc=doc, links=doc.get("links", []), **context)
    )


def items_page(*, root: str, collection: Collection, doc: dict[str, Any], lonlat: bool) -> str:
    """A page of features: a map (when the coordinates are longitude, latitude) and a
    table of their properties."""
    features = [f for f in doc["features"] if f.get("geometry")]
    shown = None
    if lonlat and features:
        shown = {"type": "FeatureCollection", "features": features[:MAP_FEATURES_MAX]}
    return render("items", root=root, doc=doc, collection=collection, map_geojson=shown)


def item_page(*, root: str, collection: Collection, doc: dict[str, Any], lonlat: bool) -> str:
    """One feature: its map and its properties."""
    shown = doc if lonlat and doc.get("geometry") else None
    return render("item", root=root, doc=doc, collection=collection, map_geojson=shown)

"""OGC API – Features under ``/ogc``: landing page, conformance, the OpenAPI 3.0 document,
collections, items, one item and queryables — JSON or HTML. Every route is generic: the
collections registry (``service/ogc/registry.py``) says what each collection holds.

Reads follow the API's rule (open unless ``PARKS_READS_NEED_TOKEN``). A bad parameter is
a 400 naming it (``service.ogc.errors.BadOgcParameter``), an unknown collection or
feature a 404; these routes are left out of ``/openapi.json``: ``/ogc/api`` describes
them, in the OpenAPI 3.0 their clients read.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response

from service.api.deps import ConnDep, ReaderDep, SettingsDep
from service.ogc import documents, features, formats, openapi, pages, queryables, registry
from service.ogc.conformance import conformance
from service.ogc.extents import extent_of, extents
from service.ogc.links import Urls
from service.ogc.parameters import COMMON, ITEM, QueryParameters, read_crs, read_items

router = APIRouter(prefix="/ogc", tags=["ogc"], include_in_schema=False)


def _urls(request: Request) -> Urls:
    return Urls(str(request.url_for("ogc_landing")))


def _read(request: Request, allowed, endpoint: str) -> tuple[QueryParameters, bool]:
    """The query (only *allowed* parameters) and whether HTML is wanted."""
    query = QueryParameters(request.query_params.multi_items())
    html = formats.negotiate(query.get("f"), request.headers.get("accept")) == "html"
    query.only(allowed, endpoint=endpoint)
    return query, html


def _json(body: dict[str, Any] | str, media_type: str = formats.JSON, headers=None) -> Response:
    content = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
    return Response(content=content, media_type=media_type, headers=headers)


@router.get("", name="ogc_landing")
async def landing(request: Request, _reader: ReaderDep) -> Response:
    """The landing page."""
    _, html = _read(request, COMMON, "/ogc")
    urls = _urls(request)
    doc = documents.landing(urls, html=html)
    if html:
        return HTMLResponse(pages.render("landing", root=urls.root, doc=doc))
    return _json(doc)


@router.get("/conformance")
async def conformance_classes(request: Request, _reader: ReaderDep) -> Response:
    """The conformance classes."""
    _, html = _read(request, COMMON, "/conformance")
    urls = _urls(request)
    doc = {
        **conformance(),
        "links": urls.pair(
            "/conformance", media_type=formats.JSON, title="Conformance classes", html=html
        ),
    }
    if html:
        return HTMLResponse(pages.render("conformance", root=urls.root, doc=doc))
    return _json(doc)


@router.get("/api")
def api_document(
    request: Request, conn: ConnDep, settings: SettingsDep, _reader: ReaderDep
) -> Response:
    """The OpenAPI 3.0 document of these endpoints (HTML: Swagger UI reading it)."""
    _, html = _read(request, COMMON, "/api")
    urls = _urls(request)
    if html:
        return get_swagger_ui_html(
            openapi_url=urls.url("/api", [("f", "json")]),
            title=f"{documents.TITLE} — API",
            swagger_js_url="/static/vendor/swagger-ui-dist/swagger-ui-bundle.js",
            swagger_css_url="/static/vendor/swagger-ui-dist/swagger-ui.css",
            swagger_favicon_url="/static/vendor/swagger-ui-dist/favicon-32x32.png",
        )
    doc = openapi.openapi(urls.root, registry.collections(conn), storage_srid=settings.storage_srid)
    return _json(doc, formats.OPENAPI_JSON)


@router.get("/collections")
def collections(
    request: Request, conn: ConnDep, settings: SettingsDep, _reader: ReaderDep
) -> Response:
    """Every collection."""
    _, html = _read(request, COMMON, "/collections")
    urls = _urls(request)
    found = registry.collections(conn)
    known = extents(conn, storage_srid=settings.storage_srid)
    doc = documents.collections_document(
        urls,
        found,
        {c.id: extent_of(known, c) for c in found},
        storage_srid=settings.storage_srid,
        html=html,
    )
    if html:
        return HTMLResponse(pages.render("collections", root=urls.root, doc=doc))
    return _json(doc)


@router.get("/collections/{collection_id}")
def collection(
    request: Request,
    collection_id: str,
    conn: ConnDep,
    settings: SettingsDep,
    _reader: ReaderDep,
) -> Response:
    """One collection."""
    _, html = _read(request, COMMON, f"/collections/{collection_id}")
    urls = _urls(request)
    found = registry.collection(conn, collection_id)
    extent = extent_of(extents(conn, storage_srid=settings.storage_srid), found)
    doc = documents.collection_document(
        urls, found, extent, storage_srid=settings.storage_srid, html=html
    )
    if html:
        return HTMLResponse(pages.render("collection", root=urls.root, doc=doc))
    return _json(doc)


@router.get("/collections/{collection_id}/queryables")
def collection_queryables(
    request: Request, collection_id: str, conn: ConnDep, _reader: ReaderDep
) -> Response:
    """The properties a filter may use, as JSON Schema."""
    _, html = _read(request, COMMON, f"/collections/{collection_id}/queryables")
    urls = _urls(request)
    found = registry.collection(conn, collection_id)
    doc = queryables.queryables(urls, found)
    if html:
        doc["links"] = urls.pair(
            urls.collection(found.id, "/queryables"),
            media_type=formats.SCHEMA_JSON,
            title="Queryables",
            html=True,
        )
        return HTMLResponse(pages.render("queryables", root=urls.root, doc=doc, collection=found))
    return _json(doc, formats.SCHEMA_JSON)


@router.get("/collections/{collection_id}/items")
def items(
    request: Request,
    collection_id: str,
    conn: ConnDep,
    settings: SettingsDep,
    _reader: ReaderDep,
) -> Response:
    """A page of features."""
    query = QueryParameters(request.query_params.multi_items())
    html = formats.negotiate(query.get("f"), request.headers.get("accept")) == "html"
    urls = _urls(request)
    found = registry.collection(conn, collection_id)
    wanted = read_items(query, found, storage_srid=settings.storage_srid, zone=settings.timezone)
    page = features.page(conn, found, wanted, storage_srid=settings.storage_srid)
    links = documents.items_links(
        urls, found, wanted, page, request.query_params.multi_items(), html=html
    )
    body = documents.feature_collection(page, links)
    if html:
        return HTMLResponse(
            pages.items_page(
                root=urls.root, collection=found, doc=json.loads(body), lonlat=wanted.crs.is_crs84
            )
        )
    headers = {"Content-Crs": f"<{wanted.crs.uri}>"} if found.has_geometry else None
    return _json(body, formats.GEOJSON, headers)


@router.get("/collections/{collection_id}/items/{feature_id}")
def item(
    request: Request,
    collection_id: str,
    feature_id: str,
    conn: ConnDep,
    settings: SettingsDep,
    _reader: ReaderDep,
) -> Response:
    """One feature."""
    query, html = _read(request, ITEM, f"/collections/{collection_id}/items/{{featureId}}")
    urls = _urls(request)
    found = registry.collection(conn, collection_id)
    out = read_crs(query, found, storage_srid=settings.storage_srid)
    text = features.one(conn, found, feature_id, storage_srid=settings.storage_srid, out=out)
    body = documents.feature(urls, found, feature_id, text, html=html)
    if html:
        doc = json.loads(body)
        return HTMLResponse(
            pages.item_page(root=urls.root, collection=found, doc=doc, lonlat=out.is_crs84)
        )
    headers = {"Content-Crs": f"<{out.uri}>"} if found.has_geometry else None
    return _json(body, formats.GEOJSON, headers)

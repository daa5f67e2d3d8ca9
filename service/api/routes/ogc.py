"""OGC API – Features under ``/ogc``: landing page, conformance, the OpenAPI 3.0 document,
collections, items, one item and queryables — JSON or HTML. Every route is generic: the
collections registry (``service/ogc/registry.py``) says what each collection holds.

Reads follow the API's rule (open unless ``PARKS_READS_NEED_TOKEN``). A bad parameter is
a 400 naming it (``service.ogc.errors.BadOgcParameter``), an unknown collection or
feature a 404; these routes are left out of ``/openapi.json``: ``/ogc/api`` describes
them, in the OpenAPI 3.0 their clients read.

Every answer made here (JSON or HTML; the Swagger page aside) is gzipped when the
request's ``Accept-Encoding`` admits gzip and it is at least :data:`GZIP_MIN_BYTES` long
(``Content-Encoding: gzip``), and says ``Vary: Accept-Encoding`` either way; at
:data:`GZIP_LEVEL`, by the route itself (the app has no compression middleware), so a
data route's answer is compressed in its worker thread, off the event loop.
"""

from __future__ import annotations

import gzip
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import Response

from service.api.deps import ReadConnDep, ReaderDep, SettingsDep
from service.api.routes.tiles import accepts_gzip
from service.ogc import documents, features, formats, openapi, pages, queryables, registry
from service.ogc.conformance import conformance
from service.ogc.extents import extent_of, extents
from service.ogc.links import Urls
from service.ogc.parameters import COMMON, ITEM, QueryParameters, read_crs, read_items

router = APIRouter(prefix="/ogc", tags=["ogc"], include_in_schema=False)

#: gzip level of the answers, made afresh for each request: level 1 makes a page of 100
#: parcels (about 75 kB) about 9 kB in about 0.2 ms; level 6 saves 1.5 kB more for five
#: times the CPU.
GZIP_LEVEL = 1
#: Shorter answers go out as they are: gzip would save next to nothing.
GZIP_MIN_BYTES = 512


def _urls(request: Request) -> Urls:
    # The landing page's URL as url_for("ogc_landing") writes it, without walking the
    # app's routes to find it (0.13 ms of every request).
    return Urls(str(request.base_url).rstrip("/") + router.prefix)


def _read(request: Request, allowed, endpoint: str) -> tuple[QueryParameters, bool]:
    """The query (only *allowed* parameters) and whether HTML is wanted."""
    query = QueryParameters(request.query_params.multi_items())
    html = formats.negotiate(query.get("f"), request.headers.get("accept")) == "html"
    query.only(allowed, endpoint=endpoint)
    return query, html


def _send(request: Request, content: str, media_type: str, headers=None) -> Response:
    """*content* as *media_type*, gzipped when the request accepts gzip."""
    body = content.encode("utf-8")
    sent = {**(headers or {}), "Vary": "Accept-Encoding"}
    if len(body) >= GZIP_MIN_BYTES and accepts_gzip(request.headers.get("accept-encoding")):
        body = gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)
        sent["Content-Encoding"] = "gzip"
    return Response(content=body, media_type=media_type, headers=sent)


def _json(
    request: Request, body: dict[str, Any] | str, media_type: str = formats.JSON, headers=None
) -> Response:
    content = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
    return _send(request, content, media_type, headers)


def _html(request: Request, page: str) -> Response:
    return _send(request, page, formats.HTML)


@router.get("", name="ogc_landing")
async def landing(request: Request, _reader: ReaderDep) -> Response:
    """The landing page."""
    _, html = _read(request, COMMON, "/ogc")
    urls = _urls(request)
    doc = documents.landing(urls, html=html)
    if html:
        return _html(request, pages.render("landing", root=urls.root, doc=doc))
    return _json(request, doc)


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
        return _html(request, pages.render("conformance", root=urls.root, doc=doc))
    return _json(request, doc)


@router.get("/api")
def api_document(
    request: Request, conn: ReadConnDep, settings: SettingsDep, _reader: ReaderDep
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
    return _json(request, doc, formats.OPENAPI_JSON)


@router.get("/collections")
def collections(
    request: Request, conn: ReadConnDep, settings: SettingsDep, _reader: ReaderDep
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
        return _html(request, pages.render("collections", root=urls.root, doc=doc))
    return _json(request, doc)


@router.get("/collections/{collection_id}")
def collection(
    request: Request,
    collection_id: str,
    conn: ReadConnDep,
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
        return _html(request, pages.render("collection", root=urls.root, doc=doc))
    return _json(request, doc)


@router.get("/collections/{collection_id}/queryables")
def collection_queryables(
    request: Request, collection_id: str, conn: ReadConnDep, _reader: ReaderDep
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
        return _html(request, pages.render("queryables", root=urls.root, doc=doc, collection=found))
    return _json(request, doc, formats.SCHEMA_JSON)


@router.get("/collections/{collection_id}/items")
def items(
    request: Request,
    collection_id: str,
    conn: ReadConnDep,
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
        return _html(
            request,
            pages.items_page(
                root=urls.root, collection=found, doc=json.loads(body), lonlat=wanted.crs.is_crs84
            ),
        )
    headers = {"Content-Crs": f"<{wanted.crs.uri}>"} if found.has_geometry else None
    return _json(request, body, formats.GEOJSON, headers)


@router.get("/collections/{collection_id}/items/{feature_id}")
def item(
    request: Request,
    collection_id: str,
    feature_id: str,
    conn: ReadConnDep,
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
        return _html(
            request, pages.item_page(root=urls.root, collection=found, doc=doc, lonlat=out.is_crs84)
        )
    headers = {"Content-Crs": f"<{out.uri}>"} if found.has_geometry else None
    return _json(request, body, formats.GEOJSON, headers)

"""The OGC API's JSON documents: the landing page, the collections and each collection's
description (with its CRSs and extent), and the envelope of the items (FeatureCollection
with links, ``numberReturned``, ``numberMatched``, ``timeStamp``) and of one item."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from service.ogc import crs as ogc_crs
from service.ogc import formats, paging
from service.ogc.extents import Extent, iso
from service.ogc.features import Page
from service.ogc.links import Urls, link
from service.ogc.parameters import ItemsRequest
from service.ogc.registry import Collection

TITLE = "Park land ledger 园区用地台账 — OGC API – Features"
DESCRIPTION = (
    "The parcels (now, or as they stood on any day), their versions, standard factory "
    "buildings and their leases, key projects, parks and context layers of the city's "
    "industrial parks, as OGC API – Features (Parts 1, 2 and 3)."
)
REL_CONFORMANCE = "http://www.opengis.net/def/rel/ogc/1.0/conformance"
REL_DATA = "http://www.opengis.net/def/rel/ogc/1.0/data"
REL_QUERYABLES = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
TRS_GREGORIAN = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"


def landing(urls: Urls, *, html: bool) -> dict[str, Any]:
    """The landing page: what this is and where everything is."""
    return {
        "title": TITLE,
        "description": DESCRIPTION,
        "links": [
            *urls.pair("", media_type=formats.JSON, title="This document", html=html),
            link(urls.url("/api"), "service-desc", formats.OPENAPI_JSON, "The API (OpenAPI 3.0)"),
            link(urls.url("/api", [("f", "html")]), "service-doc", formats.HTML, "The API, read"),
            link(urls.url("/conformance"), "conformance", formats.JSON, "Conformance classes"),
            link(urls.url("/conformance"), REL_CONFORMANCE, formats.JSON, "Conformance classes"),
            link(urls.url("/collections"), "data", formats.JSON, "Collections"),
            link(urls.url("/collections"), REL_DATA, formats.JSON, "Collections"),
        ],
    }


def collection_document(
    urls: Urls, collection: Collection, extent: Extent | None, *, storage_srid: int, html: bool
) -> dict[str, Any]:
    """One collection's description."""
    path = urls.collection(collection.id)
    body: dict[str, Any] = {
        "id": collection.id,
        "title": collection.title,
        "description": collection.description,
        "keywords": list(collection.keywords),
        "itemType": "feature",
    }
    if collection.has_geometry:
        body["crs"] = [c.uri for c in ogc_crs.offered(storage_srid)]
        body["storageCrs"] = ogc_crs.storage(storage_srid).uri
    found: dict[str, Any] = {}
    if extent is not None and extent.bbox is not None:
        found["spatial"] = {"bbox": [list(extent.bbox)], "crs": ogc_crs.CRS84}
    if collection.temporal is not None and extent is not None and extent.first is not None:
        found["temporal"] = {"interval": [[iso(extent.first), None]], "trs": TRS_GREGORIAN}
    if found:
        body["extent"] = found
    items = urls.collection(collection.id, "/items")
    body["links"] = [
        *urls.pair(path, media_type=formats.JSON, title=collection.title, html=html),
        link(urls.url(items), "items", formats.GEOJSON, f"{collection.title}: features"),
        link(
            urls.url(items, [("f", "html")]),
            "items",
            formats.HTML,
            f"{collection.title}: features (HTML)",
        ),
        link(
            urls.url(urls.collection(collection.id, "/queryables")),
            REL_QUERYABLES,
            formats.SCHEMA_JSON,
            f"{collection.title}: queryables",
        ),
    ]
    return body


def collections_document(
    urls: Urls,
    collections: Sequence[Collection],
    extents: dict[str, Extent | None],
    *,
    storage_srid: int,
    html: bool,
) -> dict[str, Any]:
    """Every collection's description."""
    return {
        "links": urls.pair("/collections", media_type=formats.JSON, title="Collections", html=html),
        "crs": [c.uri for c in ogc_crs.offered(storage_srid)],
        "collections": [
            collection_document(urls, c, extents.get(c.id), storage_srid=storage_srid, html=html)
            for c in collections
        ],
    }


def timestamp() -> str:
    """Now, as ``timeStamp`` writes it."""
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def items_links(
    urls: Urls,
    collection: Collection,
    request: ItemsRequest,
    page: Page,
    query: Sequence[tuple[str, str]],
    *,
    html: bool,
) -> list[dict[str, Any]]:
    """``self``, ``alternate``, ``next``/``prev`` (when there are such pages) and
    ``collection`` of a page of items; the other query parameters are kept."""
    path = urls.collection(collection.id, "/items")
    kept = [(k, v) for k, v in query if k not in ("f", "after", "before", "offset")]
    here = [(k, v) for k, v in query if k != "f"]
    links = urls.pair(path, media_type=formats.GEOJSON, title="This page", html=html, params=here)
    f = [("f", "html")] if html else []
    media = formats.HTML if html else formats.GEOJSON
    if request.offset is not None:
        if page.more_after:
            after = [("offset", request.offset + request.limit)]
            links.append(link(urls.url(path, [*kept, *after, *f]), "next", media, "Next page"))
        if request.offset > 0:
            before = [("offset", max(request.offset - request.limit, 0))]
            links.append(link(urls.url(path, [*kept, *before, *f]), "prev", media, "Previous page"))
    elif page.keys:
        if page.more_after:
            after = [("after", paging.encode(page.keys[-1]))]
            links.append(link(urls.url(path, [*kept, *after, *f]), "next", media, "Next page"))
        if page.more_before:
            before = [("before", paging.encode(page.keys[0]))]
            links.append(link(urls.url(path, [*kept, *before, *f]), "prev", media, "Previous page"))
    links.append(
        link(urls.url(urls.collection(collection.id)), "collection", formats.JSON, collection.title)
    )
    return links


def feature_collection(page: Page, links: list[dict[str, Any]]) -> str:
    """The items answer's text: the features' texts (made by PostGIS) inside the envelope."""
    head: dict[str, Any] = {"type": "FeatureCollection", "timeStamp": timestamp()}
    if page.number_matched is not None:
        head["numberMatched"] = page.number_matched
    head["numberReturned"] = len(page.features)
    head["links"] = links
    start = json.dumps(head, ensure_ascii=False)[:-1]
    return start + ', "features": [' + ", ".join(page.features) + "]}"


def feature(urls: Urls, collection: Collection, feature_id: str, text: str, *, html: bool) -> str:
    """One item's text (made by PostGIS) with its links."""
    path = urls.collection(collection.id, "/items/" + quote(feature_id, safe="@"))
    links = [
        *urls.pair(path, media_type=formats.GEOJSON, title="This feature", html=html),
        link(
            urls.url(urls.collection(collection.id)), "collection", formats.JSON, collection.title
        ),
    ]
    return text[:-1] + ', "links": ' + json.dumps(links, ensure_ascii=False) + "}"

"""The OpenAPI 3.0 document of the ``/ogc`` endpoints (``/ogc/api``), written from the
collections registry: one items, item and queryables path per collection, each with the
parameters that collection really takes (its queryables' ``name=value`` among them).

OpenAPI 3.0.3, not the 3.1 FastAPI writes for ``/openapi.json``: the OGC API's clients —
QGIS 3.22 (which reads ``limit``'s ``default`` and ``maximum`` from here), GDAL, OWSLib —
read 3.0. Nothing 3.1-only is used: ``nullable`` rather than a ``null`` type, ``example``
rather than ``examples``, ``enum`` rather than ``const``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from service.ogc import crs as ogc_crs
from service.ogc import formats
from service.ogc.documents import DESCRIPTION, TITLE
from service.ogc.features import COUNT_CAP
from service.ogc.parameters import LIMIT_DEFAULT, LIMIT_MAX, OFFSET_MAX, equality_parameters
from service.ogc.registry import Collection

VERSION = "3.0.3"


def _ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def _query(name: str, description: str, schema: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
        "style": "form",
        "explode": False,
        **kw,
    }


def _parameters(crs_uris: list[str]) -> dict[str, Any]:
    return {
        "f": _query(
            "f",
            "json or html (without it, the Accept header decides)",
            {"type": "string", "enum": ["json", "html"]},
        ),
        "limit": _query(
            "limit",
            f"features on a page, 1…{LIMIT_MAX:,} (default {LIMIT_DEFAULT})",
            {"type": "integer", "minimum": 1, "maximum": LIMIT_MAX, "default": LIMIT_DEFAULT},
        ),
        "offset": _query(
            "offset",
            "features to skip (the next/prev links use a cursor instead)",
            {"type": "integer", "minimum": 0, "maximum": OFFSET_MAX},
        ),
        "after": _query(
            "after", "cursor: the page after this one (from a next link)", {"type": "string"}
        ),
        "before": _query(
            "before", "cursor: the page before this one (from a prev link)", {"type": "string"}
        ),
        "bbox": _query(
            "bbox",
            "features meeting the box: lower corner, upper corner (4 numbers, or 6 with "
            "heights), in bbox-crs's axis order (CRS84: longitude, latitude)",
            {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
            example=[107.55, 34.28, 107.62, 34.34],
        ),
        "bbox-crs": _query(
            "bbox-crs",
            "CRS of bbox (default CRS84)",
            {"type": "string", "format": "uri", "enum": crs_uris},
        ),
        "crs": _query(
            "crs",
            "CRS of the coordinates written (default CRS84), in its own axis order",
            {"type": "string", "format": "uri", "enum": crs_uris},
        ),
        "datetime": _query(
            "datetime",
            "an instant or an interval start/end (.. open); a date alone is read in the "
            "city's time zone. parcels: as they stood at an instant, or every version "
            "valid in an interval; parcel_versions: versions valid then. Other "
            "collections keep no history and refuse it (400).",
            {"type": "string"},
            example="2025-12-31T16:00:00Z",
        ),
        "filter": _query("filter", "CQL2 filter expression", {"type": "string"}),
        "filter-lang": _query(
            "filter-lang",
            "language of filter (default cql2-text)",
            {"type": "string", "enum": ["cql2-text", "cql2-json"], "default": "cql2-text"},
        ),
        "filter-crs": _query(
            "filter-crs",
            "CRS of the filter's geometry literals (default CRS84)",
            {"type": "string", "format": "uri", "enum": crs_uris},
        ),
        "featureId": {
            "name": "featureId",
            "in": "path",
            "required": True,
            "description": "the feature's id (parcels: the code, or CODE@VERSION)",
            "schema": {"type": "string"},
        },
    }


def _content(*types: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    return {media: {"schema": schema} for media, schema in types}


_HTML = (formats.HTML, {"type": "string"})
_OBJECT = {"type": "object"}


def _responses(ok: str, *types: tuple[str, dict[str, Any]], found: bool = False):
    responses = {
        "200": {"description": ok, "content": _content(*types)},
        "400": _ref("responses", "BadRequest"),
    }
    if found:
        responses["404"] = _ref("responses", "NotFound")
    # What the service's guards answer before any route (service/api/guards).
    responses.update(
        {
            "401": _ref("responses", "Unauthorized"),
            "403": _ref("responses", "Forbidden"),
            "422": _ref("responses", "NulCharacter"),
            "503": _ref("responses", "Busy"),
        }
    )
    return responses


def _operation(operation_id: str, summary: str, parameters: list, responses, tag: str):
    return {
        "tags": [tag],
        "summary": summary,
        "operationId": operation_id,
        "parameters": parameters,
        "responses": responses,
    }


def _schema_for(prop) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": prop.type}
    if prop.format:
        schema["format"] = prop.format
    if prop.enum:
        schema["enum"] = list(prop.enum)
    return schema


def _collection_paths(c: Collection) -> dict[str, Any]:
    base = f"/collections/{c.id}"
    name = "".join(part.capitalize() for part in c.id.replace("-", "_").split("_"))
    p = lambda n: _ref("parameters", n)  # noqa: E731
    items_parameters = [p("f"), p("limit"), p("offset"), p("after"), p("before")]
    if c.has_geometry:
        items_parameters += [p("bbox"), p("bbox-crs"), p("crs")]
    if c.temporal is not None:
        items_parameters.append(p("datetime"))
    items_parameters += [p("filter"), p("filter-lang")]
    if c.has_geometry:
        items_parameters.append(p("filter-crs"))
    items_parameters += [
        _query(prop.name, f"{prop.title} equals this", _schema_for(prop))
        for prop in equality_parameters(c)
    ]
    item_parameters = [p("featureId"), p("f")] + ([p("crs")] if c.has_geometry else [])
    features = _ref("schemas", "FeatureCollection")
    one = _ref("schemas", "Feature")
    crs_header = {
        "Content-Crs": {
            "description": "the CRS of the coordinates, <URI>",
            "schema": {"type": "string"},
        }
    }
    items_ok = _responses(c.title + ": a page of features", (formats.GEOJSON, features), _HTML)
    item_ok = _responses(c.title + ": one feature", (formats.GEOJSON, one), _HTML, found=True)
    if c.has_geometry:
        items_ok["200"]["headers"] = crs_header
        item_ok["200"]["headers"] = crs_header
    return {
        f"{base}/items": {
            "get": _operation(
                f"get{name}Features", f"{c.title}: features", items_parameters, items_ok, c.id
            )
        },
        f"{base}/items/{{featureId}}": {
            "get": _operation(
                f"get{name}Feature", f"{c.title}: one feature", item_parameters, item_ok, c.id
            )
        },
        f"{base}/queryables": {
            "get": _operation(
                f"get{name}Queryables",
                f"{c.title}: queryables",
                [p("f")],
                _responses("JSON Schema of the queryables", (formats.SCHEMA_JSON, _OBJECT), _HTML),
                c.id,
            )
        },
    }


def _schemas() -> dict[str, Any]:
    link = {
        "type": "object",
        "required": ["href"],
        "properties": {
            "href": {"type": "string"},
            "rel": {"type": "string"},
            "type": {"type": "string"},
            "title": {"type": "string"},
        },
    }
    links = {"type": "array", "items": _ref("schemas", "Link")}
    return {
        "Link": link,
        "Exception": {
            "type": "object",
            "required": ["error", "message"],
            "properties": {
                "error": {"type": "string"},
                "parameter": {"type": "string", "description": "the parameter that is wrong"},
                "message": {"type": "string"},
            },
        },
        "Feature": {
            "type": "object",
            "required": ["type", "geometry", "properties"],
            "properties": {
                "type": {"type": "string", "enum": ["Feature"]},
                "id": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
                "geometry": {"type": "object", "nullable": True},
                "properties": {"type": "object", "nullable": True},
                "links": links,
            },
        },
        "FeatureCollection": {
            "type": "object",
            "required": ["type", "features"],
            "properties": {
                "type": {"type": "string", "enum": ["FeatureCollection"]},
                "features": {"type": "array", "items": _ref("schemas", "Feature")},
                "links": links,
                "timeStamp": {"type": "string", "format": "date-time"},
                "numberMatched": {
                    "type": "integer",
                    "minimum": 0,
                    "description": (
                        "Given on a query's first page only: when that page holds every "
                        "match, and otherwise when the request has neither bbox nor filter "
                        f"(counted up to {COUNT_CAP:,} features). Page by the next link."
                    ),
                },
                "numberReturned": {"type": "integer", "minimum": 0},
            },
        },
        "LandingPage": {
            "type": "object",
            "required": ["links"],
            "properties": {
                "title": {"type": "string"},
                "description": {"type": "string"},
                "links": links,
            },
        },
        "Conformance": {
            "type": "object",
            "required": ["conformsTo"],
            "properties": {"conformsTo": {"type": "array", "items": {"type": "string"}}},
        },
        "Collection": {
            "type": "object",
            "required": ["id", "links"],
            "properties": {
                "id": {"type": "string"},
                "title": {"type": "string"},
                "description": {"type": "string"},
                "itemType": {"type": "string"},
                "crs": {"type": "array", "items": {"type": "string"}},
                "storageCrs": {"type": "string"},
                "extent": {"type": "object"},
                "links": links,
            },
        },
        "Collections": {
            "type": "object",
            "required": ["links", "collections"],
            "properties": {
                "links": links,
                "crs": {"type": "array", "items": {"type": "string"}},
                "collections": {"type": "array", "items": _ref("schemas", "Collection")},
            },
        },
    }


def openapi(root: str, collections: Sequence[Collection], *, storage_srid: int) -> dict[str, Any]:
    """The OpenAPI 3.0 document of the OGC API served at *root* (``…/ogc``)."""
    crs_uris = [c.uri for c in ogc_crs.offered(storage_srid)]
    error = {formats.JSON: {"schema": _ref("schemas", "Exception")}}
    p = lambda n: _ref("parameters", n)  # noqa: E731
    paths: dict[str, Any] = {
        "/": {
            "get": _operation(
                "getLandingPage",
                "Landing page",
                [p("f")],
                _responses(
                    "links to the API", (formats.JSON, _ref("schemas", "LandingPage")), _HTML
                ),
                "capabilities",
            )
        },
        "/conformance": {
            "get": _operation(
                "getConformance",
                "Conformance classes",
                [p("f")],
                _responses(
                    "the classes this API conforms to",
                    (formats.JSON, _ref("schemas", "Conformance")),
                    _HTML,
                ),
                "capabilities",
            )
        },
        "/api": {
            "get": _operation(
                "getApi",
                "This document",
                [p("f")],
                _responses("the OpenAPI 3.0 document", (formats.OPENAPI_JSON, _OBJECT), _HTML),
                "capabilities",
            )
        },
        "/collections": {
            "get": _operation(
                "getCollections",
                "Collections",
                [p("f")],
                _responses(
                    "every collection", (formats.JSON, _ref("schemas", "Collections")), _HTML
                ),
                "capabilities",
            )
        },
        "/collections/{collectionId}": {
            "get": _operation(
                "getCollection",
                "One collection",
                [
                    {
                        "name": "collectionId",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "enum": [c.id for c in collections]},
                    },
                    p("f"),
                ],
                _responses(
                    "the collection",
                    (formats.JSON, _ref("schemas", "Collection")),
                    _HTML,
                    found=True,
                ),
                "capabilities",
            )
        },
    }
    for c in collections:
        paths.update(_collection_paths(c))
    return {
        "openapi": VERSION,
        "info": {"title": TITLE, "description": DESCRIPTION, "version": "1.0.0"},
        "servers": [{"url": root}],
        "tags": [
            {"name": "capabilities"},
            *({"name": c.id, "description": c.title} for c in collections),
        ],
        "paths": paths,
        "components": {
            "parameters": _parameters(crs_uris),
            "schemas": _schemas(),
            "responses": {
                "BadRequest": {
                    "description": "a parameter is wrong, not taken, or given twice; the "
                    "body names it",
                    "content": error,
                },
                "NotFound": {"description": "no such collection or feature", "content": error},
                "Unauthorized": {
                    "description": "reads need a token (PARKS_READS_NEED_TOKEN) and no valid "
                    "one was sent",
                    "content": error,
                },
                "Forbidden": {"description": "the token's role may not read", "content": error},
                "NulCharacter": {
                    "description": "a NUL character in the path or query, refused before any "
                    "endpoint sees it",
                    "content": error,
                },
                "Busy": {
                    "description": "the service is saturated; retry after Retry-After seconds",
                    "content": error,
                },
            },
        },
    }

"""A collection's queryables (OGC API – Features Part 3): a JSON Schema (2020-12) of the
properties a ``filter`` or a ``name=value`` parameter may use, each with its type, and the
roles clients look for (``x-ogc-role``: the id, the primary geometry, the validity
period's start and end)."""

from __future__ import annotations

from typing import Any

from service.ogc.filtering import GEOMETRY
from service.ogc.links import Urls
from service.ogc.registry import Collection

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def queryables(urls: Urls, collection: Collection) -> dict[str, Any]:
    """The queryables of *collection* as a JSON Schema."""
    properties: dict[str, Any] = {}
    if collection.has_geometry:
        properties[GEOMETRY] = {
            "title": "geometry",
            "$ref": collection.geometry,
            "x-ogc-role": "primary-geometry",
        }
    for prop in collection.queryables:
        schema: dict[str, Any] = {"title": prop.title, "type": prop.type}
        if prop.format:
            schema["format"] = prop.format
        if prop.enum:
            schema["enum"] = list(prop.enum)
        if prop.role:
            schema["x-ogc-role"] = prop.role
        properties[prop.name] = schema
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": urls.url(urls.collection(collection.id, "/queryables")),
        "type": "object",
        "title": collection.title,
        "description": f"The properties of {collection.id!r} a filter may use.",
        "properties": properties,
        "additionalProperties": False,
    }

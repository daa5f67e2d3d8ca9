"""How much one change set may carry, and how small a parcel may be.

The limits keep one careless or hostile client from storing a parcel of half a million
vertices or a holder's name of five megabytes, which every map, tile and report would then
carry. They are checked on the request as submitted — before any geometry is parsed or
the database is touched — so a request far over them costs little. Each limit is a
setting (``service.settings.Settings``, env ``PARKS_<NAME>``); messages name it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields
from enum import Enum
from typing import Any

from pydantic import BaseModel

from parks.errors import Problem
from parks.operations import ChangeSetRequest

#: Fields that are codes with their own pattern and length (``ParcelCode``, ``LandUseCode``)
#: or the operation's tag: not the free text the text limit is about.
_CODE_FIELDS = frozenset({"op", "parcel_code", "parcel_codes", "land_use_code"})


@dataclass(frozen=True)
class InputLimits:
    """The limits one change set is held to. The defaults are the settings' defaults."""

    max_parcel_vertices: int = 20_000
    """Positions in one parcel's GeoJSON geometry (closing positions included)."""
    max_change_set_vertices: int = 200_000
    """Positions in all the geometries of one change set."""
    max_text_chars: int = 500
    """Characters of every name-like text: holder, park, project, crs, document number."""
    max_reason_chars: int = 2000
    """Characters of a change set's reason."""
    min_parcel_area_m2: float = 1.0
    """Smallest area of a parcel a change set makes (planar m² in the storage CRS)."""

    @classmethod
    def from_settings(cls, settings: object) -> InputLimits:
        """The limits *settings* holds: any object with attributes named like the fields
        (the service's ``Settings``)."""
        return cls(**{f.name: getattr(settings, f.name) for f in fields(cls)})


def setting_name(field_name: str) -> str:
    """The environment variable of a limit: ``max_text_chars`` -> ``PARKS_MAX_TEXT_CHARS``."""
    return f"PARKS_{field_name.upper()}"


def geojson_vertex_count(geometry: Any) -> int:
    """The positions of a GeoJSON Polygon or MultiPolygon (a Feature of one unwrapped),
    closing positions included, counted from the lengths of its rings — nothing is parsed,
    so a huge geometry costs no more than its number of rings. Anything else counts 0: the
    geometry parser refuses it with its own reason."""
    if isinstance(geometry, dict) and geometry.get("type") == "Feature":
        geometry = geometry.get("geometry")
    if not isinstance(geometry, dict):
        return 0
    coordinates = geometry.get("coordinates")
    if not isinstance(coordinates, list):
        return 0
    if geometry.get("type") == "Polygon":
        polygons = [coordinates]
    elif geometry.get("type") == "MultiPolygon":
        polygons = coordinates
    else:
        return 0
    return sum(
        len(ring)
        for polygon in polygons
        if isinstance(polygon, list)
        for ring in polygon
        if isinstance(ring, list)
    )


def input_problems(request: ChangeSetRequest, limits: InputLimits) -> list[Problem]:
    """Everything in *request* beyond *limits*: texts too long (the reason against
    ``max_reason_chars``, every other free text of the change set and of each operation
    against ``max_text_chars``) and geometries with too many vertices (each parcel against
    ``max_parcel_vertices``; the change set's total against ``max_change_set_vertices``,
    judged only when every parcel is within its own limit). Empty when it is within them."""
    problems = []
    reason = _text_problem("reason", request.reason, limits.max_reason_chars, "max_reason_chars")
    if reason:
        problems.append(Problem(None, reason))
    if request.document_no is not None:
        document = _text_problem(
            "document_no", request.document_no, limits.max_text_chars, "max_text_chars"
        )
        if document:
            problems.append(Problem(None, document))
    total = 0
    parcel_over = False
    for index, operation in enumerate(request.operations):
        for name, value in _texts(operation):
            message = _text_problem(name, value, limits.max_text_chars, "max_text_chars")
            if message:
                problems.append(Problem(index, message))
        for what, geometry in _geometries(operation):
            vertices = geojson_vertex_count(geometry)
            total += vertices
            message = vertex_problem(what, vertices, limits)
            if message:
                parcel_over = True
                problems.append(Problem(index, message))
    if total > limits.max_change_set_vertices and not parcel_over:
        problems.append(
            Problem(
                None,
                f"the change set's geometries have {total:,} vertices in all; at most "
                f"{limits.max_change_set_vertices:,} per change set "
                f"({setting_name('max_change_set_vertices')})",
            )
        )
    return problems


def vertex_problem(what: str, vertices: int, limits: InputLimits) -> str | None:
    """Why *what* (one parcel's geometry) of *vertices* positions has too many, or None."""
    if vertices <= limits.max_parcel_vertices:
        return None
    return (
        f"{what} has {vertices:,} vertices; at most {limits.max_parcel_vertices:,} per parcel "
        f"({setting_name('max_parcel_vertices')})"
    )


def area_problem(code: str, area_m2: float, limits: InputLimits) -> str | None:
    """Why parcel *code* of *area_m2* (planar m², storage CRS) is too small, or None."""
    if area_m2 >= limits.min_parcel_area_m2:
        return None
    minimum = f"{limits.min_parcel_area_m2:,.2f}".rstrip("0").rstrip(".")
    return (
        f"parcel {code} has an area of {area_m2:,.2f} m²; a parcel needs at least {minimum} m² "
        f"({setting_name('min_parcel_area_m2')})"
    )


def _text_problem(name: str, value: str, limit: int, setting: str) -> str | None:
    if len(value) <= limit:
        return None
    return f"{name} has {len(value):,} characters; at most {limit:,} ({setting_name(setting)})"


def _texts(model: BaseModel, prefix: str = "") -> Iterator[tuple[str, str]]:
    """Every free text of *model* and of the models in its lists, with its path."""
    for name, value in model:
        if isinstance(value, str) and not isinstance(value, Enum):
            if name not in _CODE_FIELDS:
                yield prefix + name, value
        elif isinstance(value, list):
            for n, item in enumerate(value):
                if isinstance(item, BaseModel):
                    yield from _texts(item, f"{prefix}{name}[{n}].")


def _geometries(model: BaseModel, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every ``geometry`` of *model* and of the models in its lists, with its path."""
    for name, value in model:
        if name == "geometry":
            yield prefix + name, value
        elif isinstance(value, list):
            for n, item in enumerate(value):
                if isinstance(item, BaseModel):
                    yield from _geometries(item, f"{prefix}{name}[{n}].")

"""The import's problems as GeoJSON (RFC 7946): one feature per problem, a point in
EPSG:4326 where the problem has a place and ``null`` geometry where it has none (a field
missing from the whole file, say), so that every problem is there — a GIS technician
opens the file beside their own data and walks through them."""

from __future__ import annotations

import math
from typing import Any

from parks.imports.problems import KIND_NAMES_ZH, ImportProblem
from service.imports.outcome import ImportOutcome

#: Decimal places of the coordinates: 1e-7° is about a centimetre.
COORD_DIGITS = 7


def _finite(value: float | None) -> float | None:
    """*value* when it is a finite number, else None (JSON has no NaN or infinity)."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def problem_point(problem: ImportProblem) -> dict[str, Any] | None:
    """The problem's place as a GeoJSON Point (lon, lat rounded to :data:`COORD_DIGITS`),
    or None when it has none."""
    lon, lat = _finite(problem.lon), _finite(problem.lat)
    if lon is None or lat is None:
        return None
    return {"type": "Point", "coordinates": [round(lon, COORD_DIGITS), round(lat, COORD_DIGITS)]}


def problem_properties(problem: ImportProblem) -> dict[str, Any]:
    """The properties of a problem's feature: its kind (and its Chinese name), severity,
    row, parcel code, message, measure and unit, and what it collides with."""
    return {
        "kind": problem.kind.value,
        "kind_zh": KIND_NAMES_ZH.get(problem.kind, problem.kind.value),
        "severity": problem.severity.value,
        "row": problem.row,
        "parcel_code": problem.parcel_code,
        "message": problem.message,
        "measure": _finite(problem.measure),
        "unit": problem.unit,
        "other": problem.other,
    }


def problem_feature(problem: ImportProblem, *, number: int | None = None) -> dict[str, Any]:
    """One problem as a GeoJSON Feature (with *number*, its 1-based place in the report,
    as the feature's id)."""
    feature: dict[str, Any] = {"type": "Feature"}
    if number is not None:
        feature["id"] = number
    feature["geometry"] = problem_point(problem)
    feature["properties"] = problem_properties(problem)
    return feature


def problems_feature_collection(outcome: ImportOutcome) -> dict[str, Any]:
    """Every problem of *outcome* as an RFC 7946 FeatureCollection, in the report's order;
    features are numbered from 1 (their ``id``)."""
    return {
        "type": "FeatureCollection",
        "features": [
            problem_feature(problem, number=i) for i, problem in enumerate(outcome.problems, 1)
        ],
    }

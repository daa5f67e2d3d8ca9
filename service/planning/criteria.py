"""The availability search's criteria: parsed from query parameters, checked for form
(numbers, distances, the ``within`` polygon) without a database. What needs the database —
does the park, the land-use class, the layer or the kind exist — the search checks.

Every bad criterion raises :class:`parks.errors.InvalidParameter` naming it.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from gis.errors import GisError
from gis.geometry import ensure_valid, from_geojson
from parks.errors import InvalidParameter
from parks.vocabulary import AVAILABLE_STATUSES, ParcelStatus

DEFAULT_STATUSES: tuple[str, ...] = tuple(s for s in ParcelStatus if s in AVAILABLE_STATUSES)
DEFAULT_LIMIT = 50
MAX_LIMIT = 1000
#: Farther than this (m) is no longer "near" or "away" within a park.
MAX_DISTANCE_M = 50_000.0
#: A ``within`` polygon longer than this (characters of GeoJSON) is refused.
MAX_WITHIN_CHARS = 200_000
#: At most this many near and away criteria together.
MAX_DISTANCE_CRITERIA = 12
#: Groups of touching parcels have at most this many members.
MAX_GROUP_SIZE = 3

#: A layer or kind name: layers are data, so any word without spaces, ':', '/' or ','.
_LAYER_NAME = re.compile(r"^[^\s:/,]+$")
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}

#: The parameters :func:`parse_criteria` reads; ``near`` and ``away`` may repeat.
PARAMETERS = (
    "park",
    "min_area_mu",
    "max_area_mu",
    "land_use",
    "status",
    "within",
    "near",
    "away",
    "combine",
    "limit",
)


@dataclass(frozen=True, slots=True)
class DistanceCriterion:
    """``near`` (within *metres* of the nearest feature) or ``away`` (at least *metres*
    from every feature) of layer *layer*, optionally only its features of kind *kind*.
    Distances are planar, parcel edge to feature, in the storage CRS (EPSG:4545 metres)."""

    parameter: str  # "near" or "away"
    layer: str
    kind: str | None
    metres: float

    @property
    def key(self) -> str:
        """The name the distance goes by in results: ``roads`` or ``roads/main``."""
        return self.layer if self.kind is None else f"{self.layer}/{self.kind}"

    @property
    def is_near(self) -> bool:
        return self.parameter == "near"

    def as_dict(self) -> dict[str, Any]:
        return {"layer": self.layer, "kind": self.kind, "metres": self.metres}

    def query_value(self) -> str:
        return f"{self.key}:{_number_text(self.metres)}"


@dataclass(frozen=True)
class Criteria:
    """What a planner asks for. Areas in 亩; ``within`` is a (Multi)Polygon in EPSG:4326
    (RFC 7946 longitude, latitude); distances in metres."""

    park: str | None = None
    min_area_mu: float | None = None
    max_area_mu: float | None = None
    land_uses: tuple[str, ...] = ()
    statuses: tuple[str, ...] = DEFAULT_STATUSES
    within: BaseGeometry | None = field(default=None, compare=False)
    near: tuple[DistanceCriterion, ...] = ()
    away: tuple[DistanceCriterion, ...] = ()
    combine: bool = False
    limit: int = DEFAULT_LIMIT

    @property
    def distances(self) -> tuple[DistanceCriterion, ...]:
        """Every near and away criterion, near first, in the order given."""
        return self.near + self.away

    def as_dict(self) -> dict[str, Any]:
        """The criteria as plain JSON values (``within`` as GeoJSON in EPSG:4326)."""
        return {
            "park": self.park,
            "min_area_mu": self.min_area_mu,
            "max_area_mu": self.max_area_mu,
            "land_use": list(self.land_uses),
            "status": list(self.statuses),
            "within": shapely.geometry.mapping(self.within) if self.within is not None else None,
            "near": [c.as_dict() for c in self.near],
            "away": [c.as_dict() for c in self.away],
            "combine": self.combine,
            "limit": self.limit,
        }

    def query_pairs(self) -> list[tuple[str, str]]:
        """The criteria as query parameters (a search can be repeated with them)."""
        pairs: list[tuple[str, str]] = []
        if self.park:
            pairs.append(("park", self.park))
        for name in ("min_area_mu", "max_area_mu"):
            value = getattr(self, name)
            if value is not None:
                pairs.append((name, _number_text(value)))
        if self.land_uses:
            pairs.append(("land_use", ",".join(self.land_uses)))
        pairs.append(("status", ",".join(self.statuses)))
        if self.within is not None:
            pairs.append(("within", json.dumps(shapely.geometry.mapping(self.within))))
        pairs += [(c.parameter, c.query_value()) for c in self.distances]
        if self.combine:
            pairs.append(("combine", "true"))
        pairs.append(("limit", str(self.limit)))
        return pairs


def parse_criteria(params: Mapping[str, str | list[str]]) -> Criteria:
    """Criteria from query parameters (a mapping of name to one value or a list of values,
    e.g. ``dict(request.query_params.lists())``). Other parameters are ignored.

    * ``park`` — a park code; ``land_use`` — GB/T 21010 codes, comma-separated (``06``
      includes ``0601``…); ``status`` — parcel statuses, comma-separated (default
      ``reserve,ready``).
    * ``min_area_mu``, ``max_area_mu`` — numbers ≥ 0 (亩), min ≤ max.
    * ``within`` — a GeoJSON Polygon or MultiPolygon (or a Feature of one) in EPSG:4326;
      a parcel must lie inside it (boundary included).
    * ``near=<layer>[/<kind>]:<metres>`` — the parcel's edge lies within that distance of
      the nearest feature of the layer (of that kind: ``near=roads/main:500`` is "within
      500 m of a main road"). ``away=<layer>[/<kind>]:<metres>`` — at least that far from
      every such feature (``away=<layer>:0``: not touching any). Both may repeat, or list
      several separated by commas; a trailing ``m`` is allowed (``500m``).
    * ``combine`` — true/false: also offer groups of up to three touching parcels whose
      combined area reaches ``min_area_mu`` (which it then needs).
    * ``limit`` — 1…1000 results (default 50).

    Raises :class:`InvalidParameter` naming the first bad criterion. Whether the park,
    class, layer and kind exist is checked by :func:`service.planning.availability.search`.
    """
    min_area = _number(params, "min_area_mu")
    max_area = _number(params, "max_area_mu")
    if min_area is not None and max_area is not None and min_area > max_area:
        raise InvalidParameter(
            "min_area_mu",
            f"{_number_text(min_area)} is greater than max_area_mu {_number_text(max_area)}",
        )
    combine = _boolean(params, "combine")
    if combine and min_area is None:
        raise InvalidParameter(
            "combine", "combine=true needs min_area_mu: the area a group of parcels must reach"
        )
    near, away = _distances(params, "near"), _distances(params, "away")
    if len(near) + len(away) > MAX_DISTANCE_CRITERIA:
        raise InvalidParameter(
            "near" if len(near) > len(away) else "away",
            f"at most {MAX_DISTANCE_CRITERIA} near and away criteria together",
        )
    return Criteria(
        park=_single(params, "park"),
        min_area_mu=min_area,
        max_area_mu=max_area,
        land_uses=tuple(_csv(_single(params, "land_use"))),
        statuses=_statuses(_single(params, "status")),
        within=_within(_single(params, "within")),
        near=near,
        away=away,
        combine=combine,
        limit=_limit(_single(params, "limit")),
    )


# --- one parameter each -------------------------------------------------------------------


def _values(params: Mapping[str, str | list[str]], name: str) -> list[str]:
    value = params.get(name)
    if value is None:
        return []
    values = [value] if isinstance(value, str) else list(value)
    return [v for v in values if v is not None and v.strip() != ""]


def _single(params: Mapping[str, str | list[str]], name: str) -> str | None:
    values = _values(params, name)
    if len(values) > 1:
        raise InvalidParameter(name, f"give it once, not {len(values)} times")
    return values[0].strip() if values else None


def _csv(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def _parse_number(text: str, name: str) -> float:
    try:
        number = float(text)
    except ValueError:
        raise InvalidParameter(name, f"not a number: {text!r}") from None
    if not math.isfinite(number):
        raise InvalidParameter(name, f"must be a finite number, not {text!r}")
    return number


def _number(params: Mapping[str, str | list[str]], name: str) -> float | None:
    text = _single(params, name)
    if text is None:
        return None
    number = _parse_number(text, name)
    if number < 0:
        raise InvalidParameter(name, f"must not be negative, not {text}")
    return number


def _boolean(params: Mapping[str, str | list[str]], name: str) -> bool:
    text = _single(params, name)
    if text is None:
        return False
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    raise InvalidParameter(name, f"expected true or false, not {text!r}")


def _statuses(text: str | None) -> tuple[str, ...]:
    values = _csv(text)
    if not values:
        return DEFAULT_STATUSES
    allowed = [s.value for s in ParcelStatus]
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise InvalidParameter(
            "status", f"unknown status {', '.join(unknown)}; one of: {', '.join(allowed)}"
        )
    return tuple(dict.fromkeys(values))


def _limit(text: str | None) -> int:
    if text is None:
        return DEFAULT_LIMIT
    try:
        limit = int(text)
    except ValueError:
        raise InvalidParameter("limit", f"not a whole number: {text!r}") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidParameter("limit", f"must be 1…{MAX_LIMIT}, not {limit}")
    return limit


def _distances(params: Mapping[str, str | list[str]], name: str) -> tuple[DistanceCriterion, ...]:
    out = []
    for value in _values(params, name):
        for item in _csv(value):
            out.append(_distance(item, name))
    return tuple(out)


def _distance(item: str, name: str) -> DistanceCriterion:
    layer_part, sep, metres_text = item.rpartition(":")
    if not sep or not layer_part or not metres_text.strip():
        raise InvalidParameter(
            name, f"expected <layer>:<metres> or <layer>/<kind>:<metres>, not {item!r}"
        )
    layer, _, kind = layer_part.strip().partition("/")
    if not _LAYER_NAME.match(layer) or (kind and not _LAYER_NAME.match(kind)):
        raise InvalidParameter(name, f"not a layer name (or layer/kind): {layer_part!r}")
    text = metres_text.strip()
    text = text[:-1].strip() if text.lower().endswith("m") else text
    metres = _parse_number(text, name)
    if metres < 0:
        raise InvalidParameter(name, f"the distance must not be negative, not {metres_text}")
    if metres > MAX_DISTANCE_M:
        raise InvalidParameter(
            name, f"the distance must be at most {MAX_DISTANCE_M:,.0f} m, not {metres_text}"
        )
    return DistanceCriterion(parameter=name, layer=layer, kind=kind or None, metres=metres)


def _within(text: str | None) -> BaseGeometry | None:
    if text is None:
        return None
    if len(text) > MAX_WITHIN_CHARS:
        raise InvalidParameter("within", f"longer than {MAX_WITHIN_CHARS:,} characters")
    try:
        obj = json.loads(text)
    except ValueError as exc:
        raise InvalidParameter("within", f"not JSON: {exc}") from None
    except RecursionError:  # thousands of nested arrays: no polygon nests more than four
        raise InvalidParameter("within", "not a polygon: arrays nested too deeply") from None
    try:
        geom = ensure_valid(from_geojson(obj, what="within"), what="within")
    except GisError as exc:
        raise InvalidParameter("within", str(exc)) from None
    minx, miny, maxx, maxy = geom.bounds
    if not (minx >= -180 and maxx <= 180 and miny >= -90 and maxy <= 90):
        raise InvalidParameter(
            "within", "coordinates must be longitude, latitude in EPSG:4326 (RFC 7946)"
        )
    if geom.area == 0:
        raise InvalidParameter("within", "the polygon has no area")
    return geom


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))

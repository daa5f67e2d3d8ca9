"""The availability search's criteria, declared once: :class:`CriteriaQuery` says what
each query parameter accepts (its types and bounds are the OpenAPI document's, and the API
validates a request with it), and :meth:`CriteriaQuery.criteria` checks how they go
together and gives the :class:`Criteria` the search consumes. Nothing here needs the
database: does the park, the land-use class, the layer or the kind exist — the search
checks that.

Every bad criterion is refused naming it: as a validation error of its field, or as
:class:`parks.errors.InvalidParameter`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import partial
from typing import Annotated, Any, ClassVar

import shapely
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    InstanceOf,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError
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


# --- the forms a parameter takes (reusable in any query) ----------------------------------


def _refused(kind: str, message: str) -> PydanticCustomError:
    """A validation error whose message is *message* as it is (no template, no prefix)."""
    return PydanticCustomError(kind, "{message}", {"message": message})


def comma_items(value: str | Iterable[str] | None) -> list[str]:
    """The items of a comma list (or of several, given as a sequence): stripped, blanks
    dropped, in the order given."""
    values = [value] if isinstance(value, str) else list(value or ())
    return [item.strip() for v in values for item in str(v).split(",") if item.strip()]


def comma_list_pattern(allowed: Iterable[str]) -> str:
    """The regular expression (ECMA and Python alike) of a comma list of *allowed* words,
    blanks around and between them allowed: what :func:`vocabulary_list` accepts."""
    word = "(?:" + "|".join(re.escape(a) for a in allowed) + ")"
    return rf"^\s*(?:{word}\s*)?(?:,\s*(?:{word}\s*)?)*$"


def _vocabulary_items(value: Any, *, name: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
    items = comma_items(value)
    unknown = [v for v in items if v not in allowed]
    if unknown:
        raise _refused(
            f"unknown_{name}", f"unknown {name} {', '.join(unknown)}; one of: {', '.join(allowed)}"
        )
    return tuple(dict.fromkeys(items))


def vocabulary_list(vocabulary: type[StrEnum], *, name: str, description: str) -> Any:
    """The type of a comma list of *vocabulary*'s values (``status=reserve,ready``): a
    string on the wire (its pattern in the document), a tuple of distinct values once
    validated; an unknown value is refused naming the ones allowed."""
    allowed = tuple(str(v) for v in vocabulary)
    return Annotated[
        tuple[str, ...],
        BeforeValidator(partial(_vocabulary_items, name=name, allowed=allowed)),
        WithJsonSchema(
            {
                "type": "string",
                "pattern": comma_list_pattern(allowed),
                "description": f"{description}; comma-separated, of: {', '.join(allowed)}",
            }
        ),
    ]


def _codes(value: Any) -> tuple[str, ...]:
    return tuple(comma_items(value))


#: Land-use class codes, comma-separated (``06`` includes ``0601``…). The table is data:
#: whether a code exists the database says.
LandUseCodes = Annotated[
    tuple[str, ...],
    BeforeValidator(_codes),
    WithJsonSchema(
        {
            "type": "string",
            "description": "land-use class codes (GB/T 21010-2017), comma-separated; "
            "06 includes 0601…",
            "examples": ["0601", "06,0701"],
        }
    ),
]

ParcelStatuses = vocabulary_list(ParcelStatus, name="status", description="parcel statuses")


def _distance(item: str, name: str) -> DistanceCriterion:
    layer_part, sep, metres_text = item.rpartition(":")
    if not sep or not layer_part or not metres_text.strip():
        raise _refused(
            f"invalid_{name}",
            f"expected <layer>:<metres> or <layer>/<kind>:<metres>, not {item!r}",
        )
    layer, _, kind = layer_part.strip().partition("/")
    if not _LAYER_NAME.match(layer) or (kind and not _LAYER_NAME.match(kind)):
        raise _refused(f"invalid_{name}", f"not a layer name (or layer/kind): {layer_part!r}")
    text = metres_text.strip()
    text = text[:-1].strip() if text.lower().endswith("m") else text
    try:
        metres = float(text)
    except ValueError:
        raise _refused(f"invalid_{name}", f"not a number of metres: {metres_text!r}") from None
    if not 0 <= metres <= MAX_DISTANCE_M:  # NaN fails too
        raise _refused(
            f"invalid_{name}",
            f"the distance must be 0…{MAX_DISTANCE_M:,.0f} m, not {metres_text.strip()}",
        )
    return DistanceCriterion(parameter=name, layer=layer, kind=kind or None, metres=metres)


def _distances(value: Any, *, name: str) -> tuple[DistanceCriterion, ...]:
    return tuple(_distance(item, name) for item in comma_items(value))


def distance_list(name: str, description: str) -> Any:
    """The type of ``near`` or ``away``: repeatable, each a comma list of
    ``<layer>[/<kind>]:<metres>[m]``."""
    return Annotated[
        tuple[InstanceOf[DistanceCriterion], ...],
        BeforeValidator(partial(_distances, name=name)),
        WithJsonSchema(
            {
                "type": "array",
                "items": {"type": "string", "examples": ["roads/main:500"]},
                "description": description,
            }
        ),
    ]


def _within(value: Any) -> BaseGeometry | None:
    if value is None or isinstance(value, BaseGeometry):
        return value
    if not isinstance(value, str):
        raise _refused("invalid_within", "expected GeoJSON text")
    if len(value) > MAX_WITHIN_CHARS:
        raise _refused("invalid_within", f"longer than {MAX_WITHIN_CHARS:,} characters")
    try:
        obj = json.loads(value)
    except ValueError as exc:
        raise _refused("invalid_within", f"not JSON: {exc}") from None
    except RecursionError:  # thousands of nested arrays: no polygon nests more than four
        raise _refused("invalid_within", "not a polygon: arrays nested too deeply") from None
    try:
        geom = ensure_valid(from_geojson(obj, what="within"), what="within")
    except GisError as exc:
        raise _refused("invalid_within", str(exc)) from None
    minx, miny, maxx, maxy = geom.bounds
    if not (minx >= -180 and maxx <= 180 and miny >= -90 and maxy <= 90):
        raise _refused(
            "invalid_within", "coordinates must be longitude, latitude in EPSG:4326 (RFC 7946)"
        )
    if geom.area == 0:
        raise _refused("invalid_within", "the polygon has no area")
    return geom


#: A GeoJSON Polygon or MultiPolygon (or a Feature of one) in EPSG:4326, as text.
WithinPolygon = Annotated[
    InstanceOf[BaseGeometry] | None,
    BeforeValidator(_within),
    WithJsonSchema(
        {
            "type": "string",
            "maxLength": MAX_WITHIN_CHARS,
            "description": "a GeoJSON Polygon or MultiPolygon (or a Feature of one) in "
            "EPSG:4326; parcels inside it (boundary included)",
        }
    ),
]

NearList = distance_list(
    "near",
    "<layer>[/<kind>]:<metres> — within that distance of the nearest feature "
    "(repeatable, or comma-separated), e.g. roads/main:500",
)
AwayList = distance_list(
    "away",
    "<layer>[/<kind>]:<metres> — at least that far from every feature "
    "(repeatable, or comma-separated), e.g. river:200",
)


def _no_default(schema: dict[str, Any]) -> None:
    """Leave out a default that is not the wire form (an empty tuple or None for text)."""
    schema.pop("default", None)


#: An area in 亩: a finite number ≥ 0.
AreaMu = Annotated[float | None, Field(ge=0, allow_inf_nan=False)]

#: A parameter sent blank, as the document shows it beside the parameter's own type.
BLANK_SCHEMA: dict[str, Any] = {
    "type": "string",
    "pattern": r"^\s*$",
    "description": "blank: not given",
}


def or_blank(schema: dict[str, Any]) -> None:
    """Declare (in place) that a query parameter may also be sent blank — a cleared form
    field —, which means "not given" (:meth:`CriteriaQuery._blank_is_not_given`)."""
    kept = {k: schema.pop(k) for k in ("title", "description", "default") if k in schema}
    alternatives = schema.pop("anyOf", None) or [dict(schema)]
    schema.clear()
    schema.update(kept, anyOf=[*alternatives, BLANK_SCHEMA])


# --- the criteria ----------------------------------------------------------------------------


class CriteriaQuery(BaseModel):
    """The availability search's query parameters (``GET /api/availability``,
    ``GET /map/availability``); other parameters are ignored, and a parameter given empty
    is not given.

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
    * ``combine`` — true/false (1/0, yes/no, on/off): also offer groups of up to three
      touching parcels whose combined area reaches ``min_area_mu`` (which it then needs).
    * ``limit`` — 1…1000 results (default 50).
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    #: The parameters that may repeat (the others are given once).
    REPEATABLE: ClassVar[frozenset[str]] = frozenset({"near", "away"})

    park: Annotated[str | None, Field(max_length=64, description="park code")] = None
    min_area_mu: Annotated[
        AreaMu, Field(description="smallest area, 亩 (≥ 0)", json_schema_extra=or_blank)
    ] = None
    max_area_mu: Annotated[
        AreaMu, Field(description="largest area, 亩 (≥ min_area_mu)", json_schema_extra=or_blank)
    ] = None
    land_use: Annotated[LandUseCodes, Field(json_schema_extra=_no_default)] = ()
    status: Annotated[
        ParcelStatuses, Field(json_schema_extra={"default": ",".join(DEFAULT_STATUSES)})
    ] = DEFAULT_STATUSES
    within: Annotated[WithinPolygon, Field(json_schema_extra=_no_default)] = None
    near: NearList = ()
    away: AwayList = ()
    combine: Annotated[
        bool,
        Field(
            description="true: also groups of up to 3 touching parcels reaching min_area_mu "
            "(true/false, 1/0, yes/no, on/off)",
            json_schema_extra=or_blank,
        ),
    ] = False
    limit: Annotated[
        int,
        Field(
            ge=1,
            le=MAX_LIMIT,
            description=f"1…{MAX_LIMIT} results (default 50)",
            json_schema_extra=or_blank,
        ),
    ] = DEFAULT_LIMIT

    @model_validator(mode="before")
    @classmethod
    def _blank_is_not_given(cls, data: Any) -> Any:
        """A parameter sent empty (``park=``, a cleared form field) is not given; a
        value's surrounding blanks are not part of it."""
        if not isinstance(data, Mapping):
            return data
        out = {}
        for name, value in data.items():
            if isinstance(value, str):
                value = value.strip()
                if value:
                    out[name] = value
            elif isinstance(value, list | tuple):
                items = [v for v in value if not (isinstance(v, str) and not v.strip())]
                if items:
                    out[name] = items
            elif value is not None:
                out[name] = value
        return out

    @classmethod
    def from_params(cls, params: Mapping[str, str | Sequence[str]]) -> CriteriaQuery:
        """The criteria in query parameters given as a mapping of name to one value or a
        list of them (as ``urllib.parse.parse_qs`` gives them). Raises
        :class:`InvalidParameter` naming the first bad one; a parameter that may not
        repeat and is given more than once is refused too."""
        data: dict[str, Any] = {}
        for name, value in params.items():
            values = [value] if isinstance(value, str) else [v for v in value if v is not None]
            values = [v for v in values if v.strip()]
            if not values or name not in cls.model_fields:
                continue
            if name in cls.REPEATABLE:
                data[name] = values
            else:
                given_once(name, values)
                data[name] = values[0]
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise parameter_error(exc.errors(), whole="query") from None

    def criteria(self) -> Criteria:
        """The :class:`Criteria` these parameters ask for; :class:`InvalidParameter` when
        they don't go together (min above max, ``combine`` without a minimum, more than
        :data:`MAX_DISTANCE_CRITERIA` distances)."""
        lo, hi = self.min_area_mu, self.max_area_mu
        if lo is not None and hi is not None and lo > hi:
            raise InvalidParameter(
                "min_area_mu",
                f"{_number_text(lo)} is greater than max_area_mu {_number_text(hi)}",
            )
        if self.combine and lo is None:
            raise InvalidParameter(
                "combine", "combine=true needs min_area_mu: the area a group of parcels must reach"
            )
        if len(self.near) + len(self.away) > MAX_DISTANCE_CRITERIA:
            raise InvalidParameter(
                "near" if len(self.near) > len(self.away) else "away",
                f"at most {MAX_DISTANCE_CRITERIA} near and away criteria together",
            )
        return Criteria(
            park=self.park,
            min_area_mu=lo,
            max_area_mu=hi,
            land_uses=self.land_use,
            statuses=self.status or DEFAULT_STATUSES,
            within=self.within,
            near=self.near,
            away=self.away,
            combine=self.combine,
            limit=self.limit,
        )


def parse_criteria(params: Mapping[str, str | Sequence[str]]) -> Criteria:
    """Criteria from query parameters given as a mapping (see
    :meth:`CriteriaQuery.from_params`): the CLI's and the tests' way in; the API declares
    :class:`CriteriaQuery` itself. Raises :class:`InvalidParameter` naming the first bad
    criterion. Whether the park, class, layer and kind exist is checked by
    :func:`service.planning.availability.search`."""
    return CriteriaQuery.from_params(params).criteria()


# --- errors naming the parameter -----------------------------------------------------------


def given_once(name: str, values: Sequence[str]) -> None:
    """Refuse a parameter that may not repeat but was given more than once (a saved search
    must mean one thing): :class:`InvalidParameter` naming it."""
    given = [v for v in values if v.strip()]
    if len(given) > 1:
        raise InvalidParameter(name, f"give it once, not {len(given)} times")


def parameter_error(
    errors: Sequence[Mapping[str, Any]], *, whole: str = "body"
) -> InvalidParameter:
    """Pydantic validation errors (``ValidationError.errors()``, locations relative to the
    model) as :class:`InvalidParameter` naming the first wrong field — *whole* when the
    error is about the whole input (not an object, a rule over several fields)."""
    if not errors:
        return InvalidParameter(whole, "invalid")

    def name(error: Mapping[str, Any]) -> str:
        if error.get("type") == "json_invalid":
            return whole
        return ".".join(str(p) for p in error["loc"] if not isinstance(p, int)) or whole

    first = name(errors[0])
    details = [e["msg"] if name(e) == first else f"{name(e)}: {e['msg']}" for e in errors]
    return InvalidParameter(first, "; ".join(details))


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))

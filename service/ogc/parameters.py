"""The query parameters of the ``/ogc`` endpoints, read and checked before anything runs.

Every refusal is a 400 naming the parameter (:class:`BadOgcParameter`), as OGC API –
Features has it: a value that is malformed or out of range, a parameter given twice, and
a parameter the endpoint does not take (``/req/core/query-param-unknown``).

The items endpoint takes ``limit`` (1…10,000, default 100), ``offset`` or a cursor
(``after``/``before``, see :mod:`.paging`), ``bbox`` (4 or 6 numbers) with ``bbox-crs``,
``crs``, ``datetime`` (collections with history only: elsewhere it is refused rather than
ignored, so that nobody takes today's buildings for the past's), ``filter`` with
``filter-lang`` and ``filter-crs``, and one equality per queryable property
(``?land_use_code=0601&park=caijiapo``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pyproj import Transformer

from gis.crs import area_of_use
from service.ogc import crs as ogc_crs
from service.ogc import moments, paging
from service.ogc.errors import BadOgcParameter
from service.ogc.registry import Collection, Property

LIMIT_DEFAULT = 100
LIMIT_MAX = 10_000
#: The largest offset taken (PostgreSQL's OFFSET is a bigint; past this nothing is there).
OFFSET_MAX = 2**31 - 1
FILTER_LANGS = ("cql2-text", "cql2-json")
#: The longest filter expression read.
FILTER_MAX_CHARS = 100_000

#: What every endpoint takes.
COMMON = frozenset({"f"})
#: What one feature's endpoint takes.
ITEM = COMMON | {"crs"}
#: What the items endpoint takes besides the queryables' names.
ITEMS = COMMON | {
    "limit",
    "offset",
    "after",
    "before",
    "bbox",
    "bbox-crs",
    "crs",
    "datetime",
    "filter",
    "filter-lang",
    "filter-crs",
}


class QueryParameters:
    """A request's query parameters, each given at most once."""

    def __init__(self, items: Iterable[tuple[str, str]]) -> None:
        self.values: dict[str, str] = {}
        for name, value in items:
            if name in self.values:
                raise BadOgcParameter(name, "given more than once")
            self.values[name] = value

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def only(self, allowed: Iterable[str], *, endpoint: str) -> QueryParameters:
        """Refuse any parameter not in *allowed* (self, for chaining)."""
        allowed = set(allowed)
        unknown = sorted(set(self.values) - allowed)
        if unknown:
            raise BadOgcParameter(
                unknown[0],
                f"not a parameter of {endpoint}; it takes {', '.join(sorted(allowed))}",
            )
        return self


def equality_parameters(collection: Collection) -> tuple[Property, ...]:
    """The properties a collection's items can be filtered on by ``name=value``."""
    return tuple(p for p in collection.queryables if p.name not in ITEMS)


# --- the values ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Envelope:
    """A ``bbox`` ready for SQL: x/y-ordered corners in *srid* (lon/lat 4326 or 4490, or
    the storage CRS); *empty* when nothing of the storage CRS's zone is inside."""

    srid: int
    minx: float
    miny: float
    maxx: float
    maxy: float
    empty: bool = False


@dataclass(frozen=True, slots=True)
class CqlFilter:
    """A ``filter``: its expression (text, or the parsed JSON of cql2-json), language and
    the CRS of its geometry literals."""

    expression: str | dict[str, Any]
    lang: str
    crs: ogc_crs.OgcCrs


@dataclass(frozen=True, slots=True)
class ItemsRequest:
    """An items request's parameters, checked."""

    limit: int
    crs: ogc_crs.OgcCrs
    offset: int | None = None
    cursor: paging.Cursor | None = None
    bbox: Envelope | None = None
    when: moments.Instant | moments.Interval | None = None
    equals: tuple[tuple[Property, Any], ...] = ()
    filter: CqlFilter | None = None
    #: Whether the features are versions named ``ID@VERSION`` (parcels over an interval,
    #: where one parcel may come in several versions).
    versioned: bool = False

    @property
    def first_page(self) -> bool:
        """Whether this is the first page of its query (no cursor, no offset past 0)."""
        return self.cursor is None and not self.offset


def read_items(
    query: QueryParameters, collection: Collection, *, storage_srid: int, zone: str
) -> ItemsRequest:
    """The items request *query* makes of *collection*."""
    equalities = {p.name: p for p in equality_parameters(collection)}
    query.only(ITEMS | set(equalities), endpoint=f"/collections/{collection.id}/items")
    when = _datetime(query.get("datetime"), collection, zone=zone)
    versioned = collection.temporal == "history" and isinstance(when, moments.Interval)
    return ItemsRequest(
        limit=_limit(query.get("limit")),
        offset=_offset(query),
        cursor=_cursor(query, collection, versioned=versioned),
        crs=read_crs(query, collection, storage_srid=storage_srid),
        bbox=_bbox(query, collection, storage_srid=storage_srid),
        when=when,
        versioned=versioned,
        equals=tuple(
            (prop, _equality_value(prop, query.values[name], zone=zone))
            for name, prop in equalities.items()
            if name in query.values
        ),
        filter=_filter(query, storage_srid=storage_srid),
    )


def read_crs(
    query: QueryParameters, collection: Collection, *, storage_srid: int
) -> ogc_crs.OgcCrs:
    """``crs``: the CRS coordinates go out in (CRS84 when not given)."""
    value = query.get("crs")
    if value is None:
        return ogc_crs.crs84()
    if not collection.has_geometry:
        raise BadOgcParameter("crs", f"collection {collection.id!r} has no geometry")
    return ogc_crs.parse(value, parameter="crs", storage_srid=storage_srid)


def _integer(value: str, *, parameter: str, low: int, high: int) -> int:
    text = value.strip()
    digits = text[1:] if text[:1] in ("+", "-") else text
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 19:
        raise BadOgcParameter(parameter, f"{value!r} is not a whole number {low}…{high}")
    number = int(text)
    if not low <= number <= high:
        raise BadOgcParameter(parameter, f"{number} is out of range: {low}…{high}")
    return number


def _limit(value: str | None) -> int:
    if value is None:
        return LIMIT_DEFAULT
    return _integer(value, parameter="limit", low=1, high=LIMIT_MAX)


def _offset(query: QueryParameters) -> int | None:
    value = query.get("offset")
    if value is None:
        return None
    for other in ("after", "before"):
        if query.get(other) is not None:
            raise BadOgcParameter("offset", f"give offset or {other}, not both")
    return _integer(value, parameter="offset", low=0, high=OFFSET_MAX)


def _cursor(
    query: QueryParameters, collection: Collection, *, versioned: bool
) -> paging.Cursor | None:
    after, before = query.get("after"), query.get("before")
    if after is not None and before is not None:
        raise BadOgcParameter("before", "give after or before, not both")
    if after is None and before is None:
        return None
    key = collection.order_key(versioned=versioned)
    types = [collection.prop(name).type for name in key]
    if after is not None:
        return paging.decode(after, direction="after", types=types)
    return paging.decode(before, direction="before", types=types)


def _numbers(value: str, *, parameter: str) -> list[float]:
    try:
        numbers = [float(p) for p in value.split(",")]
    except ValueError:
        raise BadOgcParameter(parameter, f"{value!r}: not numbers separated by commas") from None
    if not all(math.isfinite(n) for n in numbers):
        raise BadOgcParameter(parameter, "coordinates must be finite numbers")
    return numbers


def _bbox(query: QueryParameters, collection: Collection, *, storage_srid: int):
    """``bbox`` (4 numbers, or 6 with heights, which are ignored) in ``bbox-crs`` (CRS84
    by default), in that CRS's axis order."""
    value, crs_value = query.get("bbox"), query.get("bbox-crs")
    if value is None:
        if crs_value is not None:
            ogc_crs.parse(crs_value, parameter="bbox-crs", storage_srid=storage_srid)
        return None
    if not collection.has_geometry:
        raise BadOgcParameter("bbox", f"collection {collection.id!r} has no geometry")
    box_crs = (
        ogc_crs.crs84()
        if crs_value is None
        else ogc_crs.parse(crs_value, parameter="bbox-crs", storage_srid=storage_srid)
    )
    numbers = _numbers(value, parameter="bbox")
    if len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    elif len(numbers) != 4:
        raise BadOgcParameter("bbox", f"expected 4 numbers (or 6 with heights), got {len(numbers)}")
    a1, a2, b1, b2 = numbers
    # The corners come in the CRS's own axis order: latitude (or northing) first where
    # it defines that.
    minx, miny, maxx, maxy = (a2, a1, b2, b1) if box_crs.north_first else (a1, a2, b1, b2)
    if box_crs.geographic and not (
        -180 <= minx <= 180 and -180 <= maxx <= 180 and -90 <= miny <= 90 and -90 <= maxy <= 90
    ):
        order = "latitude, longitude" if box_crs.north_first else "longitude, latitude"
        raise BadOgcParameter(
            "bbox", f"not longitudes (±180) and latitudes (±90) in the order {order}"
        )
    if minx > maxx or miny > maxy:
        raise BadOgcParameter(
            "bbox", "the lower corner must come first (a box across the antimeridian is not taken)"
        )
    if box_crs.srid == storage_srid and not box_crs.geographic:
        return Envelope(storage_srid, minx, miny, maxx, maxy)
    if not box_crs.geographic:  # another projected CRS: its box in longitude, latitude
        to_lonlat = Transformer.from_crs(box_crs.srid, 4326, always_xy=True)
        minx, miny, maxx, maxy = to_lonlat.transform_bounds(minx, miny, maxx, maxy, densify_pts=21)
        if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):
            raise BadOgcParameter("bbox", f"outside the area of {box_crs.uri}")
        box_crs = ogc_crs.crs84()
    return _clipped(Envelope(box_crs.srid, minx, miny, maxx, maxy), storage_srid)


def _clipped(box: Envelope, storage_srid: int) -> Envelope:
    """*box* (longitude, latitude) cut to where the storage CRS is meant for: a box
    reaching far outside it can't be projected, and nothing is stored out there."""
    bounds = area_of_use(storage_srid)
    if bounds is None:
        return box
    west, south, east, north = bounds
    minx, miny = max(box.minx, west), max(box.miny, south)
    maxx, maxy = min(box.maxx, east), min(box.maxy, north)
    empty = minx > maxx or miny > maxy
    return Envelope(box.srid, minx, miny, maxx, maxy, empty=empty)


def _datetime(value: str | None, collection: Collection, *, zone: str):
    if value is None:
        return None
    if collection.temporal is None:
        raise BadOgcParameter(
            "datetime",
            f"collection {collection.id!r} keeps no history; datetime is taken by parcels "
            "and parcel_versions",
        )
    return moments.parse(value, zone=zone)


def _equality_value(prop: Property, value: str, *, zone: str) -> Any:
    """The value of ``name=value`` as the property's type (a time without a zone is in
    the city's)."""
    try:
        if prop.type == "string" and prop.format == "date":
            return date.fromisoformat(value.strip())
        if prop.type == "string" and prop.format == "date-time":
            moment = datetime.fromisoformat(value.strip().upper().replace("Z", "+00:00"))
            return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(zone))
        if prop.type == "string" and prop.enum and value not in prop.enum:
            raise BadOgcParameter(prop.name, f"{value!r} is not one of {', '.join(prop.enum)}")
        if prop.type == "string":
            return value
        if prop.type == "integer":
            return _integer(value, parameter=prop.name, low=-(2**63), high=2**63 - 1)
        if prop.type == "number":
            number = float(value)
            if not math.isfinite(number):
                raise ValueError(value)
            return number
        if prop.type == "boolean" and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
    except ValueError:
        pass
    kind = prop.format or prop.type
    raise BadOgcParameter(prop.name, f"{value!r} is not a {kind}")


def _filter(query: QueryParameters, *, storage_srid: int) -> CqlFilter | None:
    given = query.get("filter-lang")  # given blank, it is not one of the languages
    lang = "cql2-text" if given is None else given.strip().lower()
    if lang not in FILTER_LANGS:
        raise BadOgcParameter("filter-lang", f"{lang!r}: use {' or '.join(FILTER_LANGS)}")
    crs_value = query.get("filter-crs")
    filter_crs = (
        ogc_crs.crs84()
        if crs_value is None
        else ogc_crs.parse(crs_value, parameter="filter-crs", storage_srid=storage_srid)
    )
    value = query.get("filter")
    if value is None:
        return None
    if not value.strip():
        raise BadOgcParameter("filter", "empty")
    if len(value) > FILTER_MAX_CHARS:
        raise BadOgcParameter("filter", f"longer than {FILTER_MAX_CHARS:,} characters")
    expression: str | dict[str, Any] = value
    if lang == "cql2-json":
        try:
            expression = json.loads(value)
        except ValueError as exc:
            raise BadOgcParameter("filter", f"not JSON (cql2-json): {exc}") from None
        if not isinstance(expression, dict):
            raise BadOgcParameter("filter", "a cql2-json filter is a JSON object")
    return CqlFilter(expression, lang, filter_crs)

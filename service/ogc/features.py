"""A collection's features as GeoJSON text, made by PostGIS: a page of them for the items
endpoint, or one for the item endpoint.

The query is ``service/sql/ogc_items.sql`` around the collection's source
(``ogc_source_*.sql``), its ``WHERE`` made of fixed fragments with bound values (bbox,
datetime, property equalities, the keyset cursor) and the CQL2 filter's own fragment
(compiled to bound parameters by :mod:`.cql2`). Each feature is built with
``json_build_object``/``ST_AsGeoJSON`` from the registry's properties — or, for parcels in
CRS84, put together from the text stored per version (``parcel_feature``), the service's
hot path. Coordinates are transformed from the stored geometry into the CRS asked for and
written in its axis order (:mod:`.crs`); areas are the stored planar ones.

``numberMatched`` (optional in Part 1) is given on the first page of a query (no cursor,
no offset) in two cases, and on no other page:

* the page holds every match (the row fetched past ``limit`` to learn whether a next
  page exists is not there): it is the page's own ``numberReturned``, known without a
  count, whatever the request selects by;
* the request has neither ``bbox`` nor ``filter`` — the whole collection, or a
  ``datetime`` or property-equality selection of it: what a client asks once when it
  opens a layer (GDAL takes a layer's feature count from it) — counted with a second
  statement (``ogc_count.sql``) up to :data:`COUNT_CAP` features, left out past it.

A first page with ``bbox`` or ``filter`` and a next page gives none: a count costs a scan
of every match, which the page does not, and a map client sends a new box on every pan
(each a first page), a filter's cost is the client's to choose. Clients page by the
``next`` link, not by the count.

A page is one statement, read in autocommit — no ``BEGIN``/``ROLLBACK`` round trips around
it: in alternating runs of 8 clients on the (busy) two-core machine, 0 to 22 % more bbox
pages a second, about a tenth on average — unless a count may follow it (the page and its
count then share a transaction, so that they see the same features) or it has a CQL2
filter. A page with a CQL2 filter is read without parallel workers (``SET LOCAL
max_parallel_workers_per_gather = 0`` before it, in its transaction): a filter can leave
the planner expecting thousands of rows where a page needs a hundred, and a parallel
plan then costs more in starting its workers than it saves (the spatial filter of
bench/ogc_features.py at 100,000 parcels, two cores: 26–32 ms with two workers, 13 ms
without), besides taking the cores other requests run on. Pages without a
filter are read by their fixed fragments' indexes (the key's, the geometry's) and don't
pay the extra round trip.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, TextClause, text

from parks.errors import NotFound
from service.db.sqlfiles import sql
from service.ogc import moments
from service.ogc.crs import OgcCrs, crs84
from service.ogc.filtering import filter_sql
from service.ogc.paging import Cursor
from service.ogc.parameters import Envelope, ItemsRequest
from service.ogc.registry import Collection

#: numberMatched is counted up to this many features; past it, it is not given.
COUNT_CAP = 1_000_000
#: Segment length (degrees) a longitude/latitude box is cut into before it is projected,
#: so that its edges stay where they were drawn.
BOX_SEGMENT_DEG = 0.001
#: Run before a page statement, in its transaction (see the module's docstring).
_SERIAL = text("SET LOCAL max_parallel_workers_per_gather = 0")


@dataclass(frozen=True, slots=True)
class Page:
    """A page of features, ordered by key: their GeoJSON texts, their keys, whether more
    come before and after it, and how many match (None: not counted)."""

    features: list[str]
    keys: list[tuple[Any, ...]]
    more_before: bool
    more_after: bool
    number_matched: int | None = None


def page(
    conn: Connection, collection: Collection, request: ItemsRequest, *, storage_srid: int
) -> Page:
    """The page of *collection*'s features *request* asks for.

    When one statement answers (no filter, no count to follow) and *conn* has no
    transaction yet, *conn* is switched to autocommit for it: the connection is the
    request's own, and the pool resets its isolation level when it is returned."""
    where, params = _where(collection, request, storage_srid=storage_srid)
    key = collection.order_key(versioned=request.versioned)
    cursor_where, cursor_params = _cursor(key, request.cursor)
    descending = request.cursor is not None and request.cursor.direction == "before"
    query = _items_query(
        collection,
        where=" AND ".join([*where, *cursor_where]) or "TRUE",
        descending=descending,
        out=request.crs,
        versioned=request.versioned,
        storage_srid=storage_srid,
    )
    if request.filter is not None:
        conn.execute(_SERIAL)
    elif not _may_count(request) and not conn.in_transaction():
        # One statement answers: no BEGIN and ROLLBACK round trips around it.
        conn.execution_options(isolation_level="AUTOCOMMIT")
    rows = conn.execute(
        query,
        {
            **params,
            **cursor_params,
            **dict(collection.source_params),
            "page_rows": request.limit + 1,
            "page_offset": request.offset or 0,
        },
    ).all()
    extra = len(rows) > request.limit
    rows = rows[: request.limit]
    if descending:
        rows.reverse()
    width = len(key)
    matched = None
    if request.first_page:
        if not extra:
            matched = len(rows)
        elif _may_count(request):
            matched = _count(conn, collection, " AND ".join(where) or "TRUE", params)
    return Page(
        features=[row[width] for row in rows],
        keys=[tuple(row[:width]) for row in rows],
        more_before=extra if descending else (request.cursor is not None or bool(request.offset)),
        more_after=True if descending else extra,
        number_matched=matched,
    )


def _may_count(request: ItemsRequest) -> bool:
    """Whether numberMatched is counted when the page has a next page."""
    return request.first_page and request.bbox is None and request.filter is None


def one(
    conn: Connection,
    collection: Collection,
    feature_id: str,
    *,
    storage_srid: int,
    out: OgcCrs | None = None,
) -> str:
    """The GeoJSON text of feature *feature_id*; :class:`NotFound` when there is none.

    A parcel's id is its code (the standing version) or ``CODE@VERSION`` (that version,
    as the items of an interval name them)."""
    out = out or crs84()
    missing = NotFound(f"featureId: no feature {feature_id!r} in collection {collection.id!r}")
    id_prop = collection.prop(collection.id_property)
    where, params, versioned = [], {}, False
    code, at, version = feature_id.rpartition("@")
    if collection.temporal == "history" and at and _bigint_text(version):
        where += [f"s.{collection.id_property} = :fid", "s.version_id = :fversion"]
        params.update(fid=code, fversion=int(version))
        versioned = True
    elif id_prop.type == "integer":
        if not _bigint_text(feature_id):
            raise missing
        where.append(f"s.{collection.id_property} = :fid")
        params["fid"] = int(feature_id)
    else:
        where.append(f"s.{collection.id_property} = :fid")
        params["fid"] = feature_id
    if collection.temporal == "history" and not versioned:
        where.append("s.valid_to IS NULL")
    query = _items_query(
        collection,
        where=" AND ".join(where),
        descending=False,
        out=out,
        versioned=versioned,
        storage_srid=storage_srid,
    )
    row = conn.execute(
        query, {**params, **dict(collection.source_params), "page_rows": 1, "page_offset": 0}
    ).first()
    if row is None:
        raise missing
    return row[-1]


def _bigint_text(value: str) -> bool:
    """Whether *value* is a whole number PostgreSQL's bigint holds (an id)."""
    return value.isascii() and value.isdigit() and len(value) < 19


# --- the WHERE ---------------------------------------------------------------------------


def _where(
    collection: Collection, request: ItemsRequest, *, storage_srid: int
) -> tuple[list[str], dict[str, Any]]:
    """The fragments (ANDed) and bound values of *request*'s filters, cursor aside."""
    where: list[str] = []
    params: dict[str, Any] = {}
    when = request.when
    if collection.temporal == "history" and when is None:
        where.append("s.valid_to IS NULL")
    elif isinstance(when, moments.Instant):
        where.append("s.valid_from <= :dt_at AND (s.valid_to IS NULL OR s.valid_to > :dt_at)")
        params["dt_at"] = when.at
    elif isinstance(when, moments.Interval):
        # A version valid from valid_from until (not at) valid_to meets [start, end] when
        # it began by the end and had not ended by the start.
        if when.end is not None:
            where.append("s.valid_from <= :dt_end")
            params["dt_end"] = when.end
        if when.start is not None:
            where.append("(s.valid_to IS NULL OR s.valid_to > :dt_start)")
            params["dt_start"] = when.start
    if request.bbox is not None:
        fragment, values = _bbox(request.bbox, storage_srid)
        where.append(fragment)
        params.update(values)
    for i, (prop, value) in enumerate(request.equals):
        where.append(f"{prop.sql('s')} = :q{i}")
        params[f"q{i}"] = value
    if request.filter is not None:
        fragment, values = filter_sql(collection, request.filter, storage_srid=storage_srid)
        where.append(f"({fragment})")
        params.update(values)
    return where, params


def _bbox(box: Envelope, storage_srid: int) -> tuple[str, dict[str, Any]]:
    if box.empty:
        return "FALSE", {}
    values = {"bx0": box.minx, "by0": box.miny, "bx1": box.maxx, "by1": box.maxy}
    if box.srid == storage_srid:
        envelope = f"ST_MakeEnvelope(:bx0, :by0, :bx1, :by1, {int(storage_srid)})"
    else:
        envelope = (
            f"ST_Transform(ST_Segmentize(ST_MakeEnvelope(:bx0, :by0, :bx1, :by1, {int(box.srid)}),"
            f" {BOX_SEGMENT_DEG}), {int(storage_srid)})"
        )
    return f"s.geom && {envelope} AND ST_Intersects(s.geom, {envelope})", values


def _cursor(keys: tuple[str, ...], cursor: Cursor | None) -> tuple[list[str], dict[str, Any]]:
    if cursor is None:
        return [], {}
    op = ">" if cursor.direction == "after" else "<"
    columns = ", ".join(f"s.{k}" for k in keys)
    binds = ", ".join(f":k{i}" for i in range(len(keys)))
    fragment = f"({columns}) {op} ({binds})" if len(keys) > 1 else f"{columns} {op} {binds}"
    return [fragment], {f"k{i}": v for i, v in enumerate(cursor.key)}


def _count(conn: Connection, collection: Collection, where: str, params: dict) -> int | None:
    query = _uncommented(sql("service.sql", "ogc_count.sql"))
    query = query.replace("{source}", _source(collection)).replace("{where}", where)
    found = conn.execute(
        text(query), {**params, **dict(collection.source_params), "count_cap": COUNT_CAP + 1}
    ).scalar_one()
    return found if found <= COUNT_CAP else None


# --- the SELECT ----------------------------------------------------------------------------


def _source(collection: Collection) -> str:
    return _uncommented(sql("service.sql", collection.source))


def _uncommented(text_: str) -> str:
    lines = [ln for ln in text_.splitlines() if not ln.lstrip().startswith("--")]
    return "\n".join(lines).strip().rstrip(";")


def geometry_sql(alias: str, out: OgcCrs, *, storage_srid: int) -> str:
    """The GeoJSON geometry of *alias*.geom in *out*, in its axis order (no ``crs``
    member: ST_AsGeoJSON's options 0)."""
    geom = (
        f"{alias}.geom" if out.srid == storage_srid else f"ST_Transform({alias}.geom, {out.srid})"
    )
    if out.north_first:
        geom = f"ST_FlipCoordinates({geom})"
    return f"ST_AsGeoJSON({geom}, {out.precision}, 0)::json"


def feature_sql(
    collection: Collection, out: OgcCrs, *, versioned: bool, storage_srid: int, alias: str = "p"
) -> str:
    """The SQL of one row's GeoJSON feature text, made in full."""
    if versioned:
        feature_id = f"{alias}.{collection.id_property} || '@' || {alias}.version_id"
    else:
        feature_id = f"{alias}.{collection.id_property}"
    geometry = (
        geometry_sql(alias, out, storage_srid=storage_srid)
        if collection.has_geometry
        else "NULL::json"
    )
    if collection.properties_expression:
        properties = collection.properties_expression.format(a=alias)
    else:
        pairs = ", ".join(f"'{p.name}', {p.sql(alias)}" for p in collection.properties)
        properties = f"json_build_object({pairs})"
    return (
        f"json_build_object('type', 'Feature', 'id', {feature_id}, 'geometry', {geometry}, "
        f"'properties', {properties})::text"
    )


@lru_cache(maxsize=256)
def _items_query(
    collection: Collection,
    *,
    where: str,
    descending: bool,
    out: OgcCrs,
    versioned: bool,
    storage_srid: int,
) -> TextClause:
    """ogc_items.sql for *collection* with its fragments in place, parsed once per
    combination (the page is the busiest query of the OGC API)."""
    direction = "DESC" if descending else "ASC"
    keys = collection.order_key(versioned=versioned)
    built = feature_sql(collection, out, versioned=versioned, storage_srid=storage_srid)
    join = ""
    feature = built
    if collection.stored_features and out.is_crs84 and not versioned:
        stored = _uncommented(sql("service.sql", "ogc_parcels_stored_feature.sql"))
        join = "LEFT JOIN parcel_feature pf ON pf.version_id = p.version_id"
        feature = f"CASE WHEN pf.head IS NOT NULL THEN {stored} ELSE {built} END"
    query = (
        _uncommented(sql("service.sql", "ogc_items.sql"))
        .replace("{keys}", ", ".join(f"p.{k}" for k in keys))
        .replace("{feature}", feature)
        .replace("{join}", join)
        .replace("{source}", _source(collection))
        .replace("{where}", where)
        .replace("{outer_order}", ", ".join(f"p.{k} {direction}" for k in keys))
        .replace("{order}", ", ".join(f"s.{k} {direction}" for k in keys))
    )
    return text(query)

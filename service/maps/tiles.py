"""Mapbox Vector Tiles made by PostGIS (``ST_AsMVT``) for the map's large layers: parcels,
factory buildings, key projects, park boundaries and every context layer, and the cache
that keeps them made. The SQL lives in ``service/sql/tiles_*.sql``.

Tiles change only when the data they are made from change, so a made tile is kept,
gzipped, in the database's UNLOGGED table ``tile_cache`` (migration 0008), keyed by the
version of those data. In the database rather than on a worker's disk or in its memory:
every worker and every service process that serves the database shares it (a tile is made
once, not once per worker), the version it is keyed by has to be read from the database
anyway — the lookup rides on that same round trip — and a cache there needs no directory,
permissions or clean-up of its own. Unlogged: it is not written to the WAL and is emptied
after a crash, as a cache may be.

**With a read replica** (``PARKS_READ_DATABASE_URL``) the tile is made on the replica and
kept in the primary's cache (a standby can neither read nor write an unlogged table; the
engine's primary is ``service.db.engine.primary_of``). The version is then read from the
replica — what *it* has replayed — never from the primary, which may be ahead: a tile
made from the replica's older data kept under the primary's newer version would be served
as the new data's until the next change. And the version a tile is kept under is read in
the very statement that makes the tile (``_made_with_version``: the version query and the
tile query as one SELECT), so in one snapshot, whichever database and whatever isolation
level: the key can never be newer than the data the tile was made from — a replica that
replays a commit between the cache lookup and the making keeps the tile under the version
it was made at, not the one it looked up. A tile of an older version kept late is only
ever served to a read of that same version, whose data it shows."""

from __future__ import annotations

import gzip
import hashlib
import logging
import math
import threading
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from gis.tiles import (
    BUFFER,
    EXTENT,
    Tile,
    search_bounds,
    simplify_tolerance_m,
    tile_affine,
    tiles_covering,
)
from parks.errors import NotFound
from service.db.engine import primary_of
from service.db.sqlfiles import sql
from service.settings import get_settings

MEDIA_TYPE = "application/vnd.mapbox-vector-tile"
#: Up to this zoom a parcel is a pixel or two across: parcel tiles are an overview of
#: cells (tiles_parcels_overview.sql), from the next zoom on they hold each parcel.
OVERVIEW_MAX_ZOOM = 12
#: Side of an overview cell in tile units (4096 across): 2 pixels of a 256-pixel tile.
OVERVIEW_CELL = 32


@dataclass(frozen=True, slots=True)
class _Layer:
    sql_file: str
    park_column: str


#: The layers every database has; context layers (roads, rail, ...) are data.
CORE_LAYERS: dict[str, _Layer] = {
    "parcels": _Layer("tiles_parcels.sql", "v.park"),
    "buildings": _Layer("tiles_buildings.sql", "fb.park"),
    "projects": _Layer("tiles_projects.sql", "p.park"),
    "parks": _Layer("tiles_parks.sql", "p.code"),
}
_CONTEXT = _Layer("tiles_context.sql", "f.park")


#: Layers whose tiles show what is in force today (leases): their key holds the date.
DATED_LAYERS = frozenset({"buildings"})
#: gzip level of kept tiles: made once, served many times.
GZIP_LEVEL = 6


@dataclass(frozen=True, slots=True)
class MadeTile:
    """A vector tile as it is kept and served: gzipped, with its size and the SHA-1 of the
    tile itself (the ETag's); *cached* when it came from the cache."""

    body_gzip: bytes
    size: int
    sha1: str
    cached: bool = False

    def body(self) -> bytes:
        """The tile itself (empty bytes for an empty tile)."""
        return gzip.decompress(self.body_gzip) if self.size else b""

    @classmethod
    def of(cls, body: bytes) -> MadeTile:
        return cls(
            gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0),
            len(body),
            hashlib.sha1(body).hexdigest(),
        )


class _Once:
    """Runs ``make()`` once per key however many threads of this process want it at the
    same time; the others wait for it and take its result."""

    @dataclass
    class _Slot:
        done: threading.Event = field(default_factory=threading.Event)
        result: MadeTile | None = None

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._making: dict[tuple, _Once._Slot] = {}

    def run(self, key: tuple, make) -> tuple[MadeTile, bool]:
        """``make()``'s result, and whether this call made it."""
        with self._lock:
            slot = self._making.get(key)
            mine = slot is None
            if mine:
                slot = self._making[key] = _Once._Slot()
        if not mine:
            if slot.done.wait(timeout=60) and slot.result is not None:
                return slot.result, False
            return make(), True
        try:
            slot.result = make()
            return slot.result, True
        finally:
            with self._lock:
                self._making.pop(key, None)
            slot.done.set()


_ONCE = _Once()


@dataclass
class _CacheState:
    """What this process knows of one database's tile cache."""

    pruned_for: tuple = ()  # the (ledger_seq, epoch, day) older tiles were last dropped for
    stored: int = 0  # tiles this process stored there


_CACHES: dict[str, _CacheState] = {}
_CACHES_LOCK = threading.Lock()
#: Every this many tiles a process stores, it checks the cache's size against its limit.
TRIM_EVERY = 256


def _cache_of(conn: Connection) -> _CacheState | None:
    """This process's state of the database's ``tile_cache`` (migration 0008); None when the
    database has none yet (asked again next time: the migration may come)."""
    key = conn.engine.url.render_as_string()
    state = _CACHES.get(key)
    if state is None:
        if not conn.execute(text("SELECT to_regclass('tile_cache') IS NOT NULL")).scalar():
            return None
        with _CACHES_LOCK:
            state = _CACHES.setdefault(key, _CacheState())
    return state


def cached_tile(
    conn: Connection,
    *,
    layer: str,
    tile: Tile,
    storage_srid: int,
    park: str | None = None,
    cache_max_mb: float = 256,
) -> MadeTile:
    """The tile of *layer* at *tile* (only *park*'s features when given), gzipped: from the
    database's tile cache when it was made from the data as they stand, else made now and
    kept there for every worker (up to *cache_max_mb*; 0: no cache). A tile is made from
    the data as of the ledger's sequence and ``map_data_epoch`` (and, for buildings, the
    date) it is kept under: a commit that changes them makes a new key, and the tiles of
    older keys are dropped. Commits the connection's transaction when it stores a tile.
    On a replica's connection the tile is made there and kept in its primary's cache,
    under the version the replica has replayed (see the module docstring).
    Raises :class:`NotFound` for a layer there are no tiles of."""
    if cache_max_mb <= 0:
        body = vector_tile(conn, layer=layer, tile=tile, storage_srid=storage_srid, park=park)
        return MadeTile.of(body)
    dated = layer in DATED_LAYERS
    key = {
        "layer": layer,
        "z": tile.z,
        "x": tile.x,
        "y": tile.y,
        "park": park or "",
        "srid": storage_srid,
        "dated": dated,
    }
    cache_engine = primary_of(conn.engine)
    if cache_engine is not conn.engine:
        return _cached_from_replica(conn, cache_engine, key=key, cache_max_mb=cache_max_mb)
    state = _cache_of(conn)
    if state is None:
        body = vector_tile(conn, layer=layer, tile=tile, storage_srid=storage_srid, park=park)
        return MadeTile.of(body)
    found = conn.execute(text(sql("service.sql", "tiles_cache_lookup.sql")), key).one()
    if found.body_gzip is not None:
        return MadeTile(bytes(found.body_gzip), found.size_bytes, found.sha1, cached=True)
    looked_up = _version((found.last_seq, found.epoch, found.day), dated=dated)

    def make() -> tuple[MadeTile, tuple]:
        return _made_with_version(conn, key)

    (made, seen), mine = _ONCE.run(
        (conn.engine.url, layer, tile, park, storage_srid, looked_up), make
    )
    if mine:
        _keep(
            conn,
            state,
            made,
            key,
            version=_version(seen, dated=dated),
            seen=seen,
            cache_max_mb=cache_max_mb,
        )
    return made


def _cached_from_replica(
    conn: Connection, cache_engine: Engine, *, key: dict, cache_max_mb: float
) -> MadeTile:
    """:func:`cached_tile` on a replica's connection *conn*: the version from the replica,
    the cache in the primary's database (*cache_engine*, a connection only while looking
    up and while storing), the tile made on the replica in the same statement as the
    version it is kept under."""
    dated = key["dated"]
    params = {"dated": dated}
    seen = tuple(conn.execute(text(sql("service.sql", "tiles_data_version.sql")), params).one())
    looked_up = _version(seen, dated=dated)
    with cache_engine.connect() as cache:
        state = _cache_of(cache)
        found = None
        if state is not None:
            found = cache.execute(
                text(sql("service.sql", "tiles_cache_fetch.sql")),
                {**_row_key(key), "version": looked_up},
            ).one_or_none()
    if found is not None:
        return MadeTile(bytes(found.body_gzip), found.size_bytes, found.sha1, cached=True)
    if state is None:
        return _made_with_version(conn, key)[0]
    tile = Tile(key["z"], key["x"], key["y"])
    (made, made_seen), mine = _ONCE.run(
        (conn.engine.url, key["layer"], tile, key["park"], key["srid"], looked_up),
        lambda: _made_with_version(conn, key),
    )
    if mine:
        with cache_engine.connect() as cache:
            _keep(
                cache,
                state,
                made,
                key,
                version=_version(made_seen, dated=dated),
                seen=made_seen,
                cache_max_mb=cache_max_mb,
            )
    return made


def _version(seen: tuple, *, dated: bool) -> str:
    """The cache's version text of the data version *seen* (ledger sequence, map data
    epoch, day)."""
    last_seq, epoch, day = seen
    return f"{last_seq}.{epoch}" + (f".{day}" if dated else "")


def _row_key(key: dict) -> dict:
    return {k: v for k, v in key.items() if k != "dated"}


def _made_with_version(conn: Connection, key: dict) -> tuple[MadeTile, tuple]:
    """The tile of *key* made now, with the data version (ledger sequence, map data epoch,
    day) it was made from — read by the same SELECT as the tile, hence in its snapshot."""
    version_sql = _subquery(sql("service.sql", "tiles_data_version.sql"))
    query = _tile_query(
        conn,
        layer=key["layer"],
        tile=Tile(key["z"], key["x"], key["y"]),
        storage_srid=key["srid"],
        park=key["park"] or None,
    )
    params = {"dated": key["dated"]}
    if query is None:  # a tile outside the CRS's area: empty whatever the data
        seen = tuple(conn.execute(text(version_sql), params).one())
        return MadeTile.of(b""), seen
    query.prepare(conn)
    both = (
        f"SELECT v.last_seq, v.epoch, v.day, {_subquery(query.sql)} AS tile FROM {version_sql} AS v"
    )
    row = conn.execute(text(both), {**query.params, **params}).one()
    return MadeTile.of(bytes(row.tile)), (row.last_seq, row.epoch, row.day)


def _subquery(statement: str) -> str:
    """*statement* (a query file's text) in parentheses, usable as a subquery (its final
    semicolon dropped; the closing parenthesis on a line of its own, after any comment)."""
    return "(" + statement.strip().rstrip(";") + "\n)"


def _keep(
    conn: Connection,
    state: _CacheState,
    made: MadeTile,
    key: dict,
    *,
    version: str,
    seen: tuple,
    cache_max_mb: float,
) -> None:
    """Store *made* under *version*; drop older versions' tiles the first time this process
    sees a new version, and the older half when the cache is over its size. A cache that
    can't be written costs the tile nothing: it is served anyway."""
    row = _row_key(key)
    row.update(
        version=version,
        ledger_seq=seen[0],
        epoch=seen[1],
        day=seen[2],
        body_gzip=made.body_gzip,
        size_bytes=made.size,
        sha1=made.sha1,
    )
    try:
        conn.execute(text(sql("service.sql", "tiles_cache_store.sql")), row)
        conn.commit()
        state.stored += 1
        newer = (seen[0], seen[1]) > state.pruned_for[:2] if state.pruned_for else True
        if newer:
            state.pruned_for = seen
            conn.execute(
                text(sql("service.sql", "tiles_cache_prune.sql")),
                {"ledger_seq": seen[0], "epoch": seen[1]},
            )
            conn.commit()
        if state.stored % TRIM_EVERY == 0:
            size = conn.execute(text("SELECT pg_total_relation_size('tile_cache')")).scalar()
            if size > cache_max_mb * 1024 * 1024:
                conn.execute(text(sql("service.sql", "tiles_cache_trim.sql")))
                conn.commit()
    except DBAPIError:
        conn.rollback()
        logging.getLogger(__name__).warning("could not keep a tile in tile_cache", exc_info=True)


def context_layer_names(conn: Connection) -> list[str]:
    """The names of the context layers in the database, sorted."""
    return list(conn.execute(text("SELECT name FROM context_layer ORDER BY name")).scalars())


def vector_tile(
    conn: Connection, *, layer: str, tile: Tile, storage_srid: int, park: str | None = None
) -> bytes:
    """The MVT of *layer* at *tile* (only *park*'s features when given), made now (see
    :func:`cached_tile` for the one kept for every worker); empty bytes when nothing is
    there. Parcels up to :data:`OVERVIEW_MAX_ZOOM` come as an overview of
    cells (each with the class and status most of its parcels have, their park,
    count and area, and ``overview: true``); from the next zoom on, each parcel with the
    properties of the API. Raises :class:`NotFound` for a layer there are no tiles of."""
    query = _tile_query(conn, layer=layer, tile=tile, storage_srid=storage_srid, park=park)
    if query is None:
        return b""
    query.prepare(conn)
    return bytes(conn.execute(text(query.sql), query.params).scalar_one())


@dataclass(frozen=True, slots=True)
class _TileQuery:
    """The SELECT that makes one tile (one bytea), its parameters, and whether it sorts
    many rows (the overview)."""

    sql: str
    params: dict
    sorts: bool = False

    def prepare(self, conn: Connection) -> None:
        """Set up *conn*'s transaction for the query."""
        if self.sorts:
            # The cells are grouped by sorting tens of thousands of small rows: in memory.
            conn.execute(text("SET LOCAL work_mem = '32MB'"))


def _tile_query(
    conn: Connection, *, layer: str, tile: Tile, storage_srid: int, park: str | None
) -> _TileQuery | None:
    """The query of :func:`vector_tile`; None for a tile outside the CRS's area (empty)."""
    spec = CORE_LAYERS.get(layer)
    if spec is None:
        if layer not in context_layer_names(conn):
            raise NotFound(f"layer: no tiles of layer {layer!r}")
        spec = _CONTEXT
    bounds = search_bounds(tile, storage_srid)
    if bounds is None:
        return None
    params = {
        "z": tile.z,
        "x": tile.x,
        "y": tile.y,
        "minlon": bounds[0],
        "minlat": bounds[1],
        "maxlon": bounds[2],
        "maxlat": bounds[3],
        # Edges of the lon/lat box bend in a planar CRS: give them points to bend at.
        "step": max((bounds[2] - bounds[0]) / 8, 1e-4),
        "srid": storage_srid,
        "tolerance": simplify_tolerance_m(tile.z),
        "extent": EXTENT,
        "buffer": BUFFER,
        "layer": layer,
    }
    where = ""
    if park is not None:
        where = f" AND {spec.park_column} = :park"
        params["park"] = park
    if layer == "parcels" and tile.z <= OVERVIEW_MAX_ZOOM:
        a, b, c, d, e, f = tile_affine(tile, storage_srid)
        params.update(cell=OVERVIEW_CELL, a=a, b=b, c=c, d=d, e=e, f=f)
        query = sql("service.sql", "tiles_parcels_overview.sql").replace("{where}", where)
        return _TileQuery(query, params, sorts=True)
    return _TileQuery(sql("service.sql", spec.sql_file).replace("{where}", where), params)


#: Width in pixels of the part of a map page the parks are fitted into, about (a
#: desktop browser, less the title box and the legend).
PREFETCH_FIT_PX = 600.0


def prefetch_zooms(boxes: list[tuple[float, float, float, float]]) -> list[int]:
    """The overview zooms a map of the parks' lon/lat *boxes* likely opens at."""
    west, east = min(b[0] for b in boxes), max(b[2] for b in boxes)
    south, north = min(b[1] for b in boxes), max(b[3] for b in boxes)
    lat = math.radians((south + north) / 2)
    span = max(east - west, (north - south) / math.cos(lat), 1e-6)  # degrees of longitude
    fit = math.log2(PREFETCH_FIT_PX / (span / 360.0 * 256.0))
    return sorted(
        z for z in {math.floor(fit), math.floor(fit + 0.5)} if 0 <= z <= OVERVIEW_MAX_ZOOM
    )


def prefetch_overview(
    engine: Engine,
    boxes: list[tuple[float, float, float, float]],
    *,
    storage_srid: int,
    park: str | None = None,
    cache_max_mb: float | None = None,
) -> threading.Thread | None:
    """Start making, in the background, the overview parcel tiles a map of the parks'
    lon/lat *boxes* asks for first, into the tile cache, while its page and scripts load
    (nothing when it opens on full-detail tiles, or when there is no cache: *cache_max_mb*,
    by default the setting ``PARKS_TILE_CACHE_MAX_MB``, is 0). Returns the thread (tests
    wait on it)."""
    if cache_max_mb is None:
        cache_max_mb = get_settings().tile_cache_max_mb
    if not boxes or cache_max_mb <= 0:
        return None
    wanted = []
    for z in prefetch_zooms(boxes):
        found = {t for b in boxes for t in tiles_covering(b, z)}
        wanted += sorted(found, key=lambda t: (t.y, t.x))
    if not wanted:
        return None

    def work() -> None:
        try:
            with engine.connect() as conn:
                for tile in wanted:
                    cached_tile(
                        conn,
                        layer="parcels",
                        tile=tile,
                        storage_srid=storage_srid,
                        park=park,
                        cache_max_mb=cache_max_mb,
                    )
                    conn.rollback()  # end the transaction: SET LOCAL, snapshot
        except Exception:  # a prefetch is a courtesy: the browser's requests still work
            logging.getLogger(__name__).exception("overview prefetch failed")

    thread = threading.Thread(target=work, name="overview-prefetch", daemon=True)
    thread.start()
    return thread

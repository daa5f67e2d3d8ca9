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
after a crash, as a cache may be."""

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
    Raises :class:`NotFound` for a layer there are no tiles of."""
    state = _cache_of(conn) if cache_max_mb > 0 else None
    if state is None:
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
    found = conn.execute(text(sql("service.sql", "tiles_cache_lookup.sql")), key).one()
    if found.body_gzip is not None:
        return MadeTile(bytes(found.body_gzip), found.size_bytes, found.sha1, cached=True)
    version = f"{found.last_seq}.{found.epoch}" + (f".{found.day}" if dated else "")

    def make() -> MadeTile:
        body = vector_tile(conn, layer=layer, tile=tile, storage_srid=storage_srid, park=park)
        return MadeTile.of(body)

    made, mine = _ONCE.run((conn.engine.url, layer, tile, park, storage_srid, version), make)
    if mine:
        _keep(
            conn,
            state,
            made,
            key,
            version=version,
            seen=(found.last_seq, found.epoch, found.day),
            cache_max_mb=cache_max_mb,
        )
    return made


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
    can't be written (a read-only replica) costs the tile nothing: it is served anyway."""
    row = {k: v for k, v in key.items() if k != "dated"}
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
    spec = CORE_LAYERS.get(layer)
    if spec is None:
        if layer not in context_layer_names(conn):
            raise NotFound(f"layer: no tiles of layer {layer!r}")
        spec = _CONTEXT
    bounds = search_bounds(tile, storage_srid)
    if bounds is None:
        return b""
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
        # The cells are grouped by sorting tens of thousands of small rows: in memory.
        conn.execute(text("SET LOCAL work_mem = '32MB'"))
        return bytes(conn.execute(text(query), params).scalar_one())
    query = sql("service.sql", spec.sql_file).replace("{where}", where)
    return bytes(conn.execute(text(query), params).scalar_one())


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

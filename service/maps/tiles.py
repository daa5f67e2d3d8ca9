"""Mapbox Vector Tiles made by PostGIS (``ST_AsMVT``) for the map's large layers: parcels,
factory buildings, key projects, park boundaries and every context layer. The SQL lives
in ``service/sql/tiles_*.sql``."""

from __future__ import annotations

import logging
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text

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


class _OverviewCache:
    """The overview parcel tiles already made, by database, tile, park filter and the
    ledger's sequence. Every transaction that touches a parcel version appends a ledger
    row (the rule's trigger), so a new sequence number means the parcels may have changed
    and older entries are never asked for again; the least recently used go first."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._making: dict[tuple, threading.Event] = {}

    def get_or_make(self, key: tuple, make) -> bytes:
        """The cached tile of *key*, else ``make()``'s, made once however many requests
        (and the prefetch) want it at the same time."""
        body = self.get(key)
        if body is not None:
            return body
        with self._lock:
            event = self._making.get(key)
            mine = event is None
            if mine:
                event = self._making[key] = threading.Event()
        if not mine:
            event.wait(timeout=60)
            body = self.get(key)
            if body is not None:
                return body
        try:
            body = make()
            self.put(key, body)
            return body
        finally:
            if mine:
                with self._lock:
                    self._making.pop(key, None)
                event.set()

    def get(self, key: tuple) -> bytes | None:
        with self._lock:
            body = self._items.get(key)
            if body is not None:
                self._items.move_to_end(key)
            return body

    def put(self, key: tuple, body: bytes) -> None:
        with self._lock:
            if key in self._items or len(body) > self.max_bytes:
                return
            self._items[key] = body
            self._bytes += len(body)
            while self._bytes > self.max_bytes:
                _old, dropped = self._items.popitem(last=False)
                self._bytes -= len(dropped)


#: Overview tiles cost a pass over every parcel under them (tens of thousands on a city
#: map); they are made once per change of the parcels. 64 MB holds a few hundred.
OVERVIEW_CACHE = _OverviewCache(64 * 1024 * 1024)


def context_layer_names(conn: Connection) -> list[str]:
    """The names of the context layers in the database, sorted."""
    return list(conn.execute(text("SELECT name FROM context_layer ORDER BY name")).scalars())


def vector_tile(
    conn: Connection, *, layer: str, tile: Tile, storage_srid: int, park: str | None = None
) -> bytes:
    """The MVT of *layer* at *tile* (only *park*'s features when given); empty bytes when
    nothing is there. Parcels up to :data:`OVERVIEW_MAX_ZOOM` come as an overview of
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
        seq = conn.execute(text("SELECT last_seq FROM ledger_head")).scalar()
        key = (conn.engine.url.render_as_string(), tile, park, storage_srid, seq)

        def make() -> bytes:
            a, b, c, d, e, f = tile_affine(tile, storage_srid)
            params.update(cell=OVERVIEW_CELL, a=a, b=b, c=c, d=d, e=e, f=f)
            query = sql("service.sql", "tiles_parcels_overview.sql").replace("{where}", where)
            # The cells are grouped by sorting tens of thousands of small rows: in memory.
            conn.execute(text("SET LOCAL work_mem = '32MB'"))
            return bytes(conn.execute(text(query), params).scalar_one())

        return OVERVIEW_CACHE.get_or_make(key, make)
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
) -> threading.Thread | None:
    """Start making, in the background, the overview parcel tiles a map of the parks'
    lon/lat *boxes* asks for first, while its page and scripts load (nothing when it opens
    on full-detail tiles). Returns the thread (tests wait on it)."""
    if not boxes:
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
                    vector_tile(
                        conn, layer="parcels", tile=tile, storage_srid=storage_srid, park=park
                    )
                    conn.rollback()  # end the transaction: SET LOCAL, snapshot
        except Exception:  # a prefetch is a courtesy: the browser's requests still work
            logging.getLogger(__name__).exception("overview prefetch failed")

    thread = threading.Thread(target=work, name="overview-prefetch", daemon=True)
    thread.start()
    return thread

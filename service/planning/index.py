"""An in-memory index of the current parcels, kept per database, that makes the
availability search fast at 100,000 parcels.

Why: the search ranks every candidate by its distance to the nearest road (and checks its
distance to the river, …), so it needs a distance per candidate per layer. Measured at
100,000 parcels, one nearest-neighbour probe per candidate in PostGIS (``ORDER BY f.geom
<-> p.geom LIMIT 1`` in a LATERAL, even with a (layer, kind, geom) GiST index) costs
0.1–0.3 ms, i.e. seconds for one park's 7,000 available parcels — while the answer must
come in tens of milliseconds. But a distance, like the geometry it is measured from,
never changes for a parcel *version* (versions are immutable: a change makes a new one)
while the context layers stay the same. So it is computed once per version — lazily, for
the candidates a search meets — and kept.

What is kept, per database (all of it disposable; the database stays the truth):

* the current parcels' attributes (version id, code, park, class and its parent class,
  status, area, bounding box), reloaded when the ledger moves on: every committed change
  to parcel versions appends a ledger row at commit, in commit order, so a search never
  sees parcels older than the last change committed before it began;
* the geometry of each version met so far (storage CRS, planar metres);
* per (layer, kind), the distance from each version's edge to the nearest feature —
  shapely/GEOS planar distance in the storage CRS; lines are cut into pieces of at most
  100 m so the search tree prunes well (the nearest piece is as near as the nearest line);
  all dropped when the context layers change;
* for pairs of current parcels whose boxes meet, whether they share an edge (boundaries
  meeting in a line: DE-9IM ``****1****``), kept by version pair.

Everything is keyed by version id; when the current parcels change, what is known about
versions still current is carried over.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Connection, text

#: Lines are cut into pieces at most this long (m) before they go into a search tree.
PIECE_M = 100.0
#: How many databases' indexes a process keeps (tests make many small databases).
MAX_DATABASES = 8
#: Sharing an edge: the boundaries meet in a line.
SHARES_EDGE = "****1****"

#: The database (a copy made from a template is another one) and its last ledger row.
_TOKEN_SQL = """
SELECT (SELECT oid FROM pg_database WHERE datname = current_database()) AS db,
       (SELECT coalesce(max(seq), 0) FROM ledger) AS ledger_seq
"""
#: Any insert, update or delete of a context feature changes this (xmin: the writing txn).
_CONTEXT_TOKEN_SQL = """
SELECT count(*), coalesce(max(id), 0), coalesce(max(xmin::text::bigint), 0) FROM context_feature
"""
_PARCELS_SQL = """
SELECT v.version_id, v.parcel_code, v.park, v.land_use_code,
       coalesce(c.parent_code, '') AS parent_code, v.status, v.area_m2,
       ST_XMin(v.geom) AS x0, ST_YMin(v.geom) AS y0, ST_XMax(v.geom) AS x1,
       ST_YMax(v.geom) AS y1
  FROM parcel_version v JOIN land_use_class c ON c.code = v.land_use_code
 WHERE v.valid_to IS NULL
 ORDER BY v.version_id
"""
_GEOMS_SQL = "SELECT version_id, ST_AsBinary(geom) FROM parcel_version WHERE version_id = ANY(:ids)"
_FEATURES_SQL = """
SELECT ST_AsBinary(geom) FROM context_feature
 WHERE layer = :layer AND (CAST(:kind AS text) IS NULL OR kind = :kind)
"""
_CATEGORIES = ("park", "land_use_code", "parent_code", "status")


@dataclass
class Parcels:
    """The current parcels, one row each, ordered by version id (arrays of one length).
    ``codes[column]`` holds each categorical column as integer codes with its values."""

    token: tuple
    version_id: np.ndarray
    parcel_code: np.ndarray
    park: np.ndarray
    land_use_code: np.ndarray
    parent_code: np.ndarray
    status: np.ndarray
    area_m2: np.ndarray
    bounds: np.ndarray  # (n, 4): xmin, ymin, xmax, ymax in the storage CRS
    codes: dict[str, tuple[np.ndarray, list[str]]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.version_id)

    def isin(self, column: str, values) -> np.ndarray:
        """Rows whose categorical *column* is one of *values* (a boolean mask)."""
        codes, uniques = self.codes[column]
        wanted = [i for i, u in enumerate(uniques) if u in set(values)]
        return np.isin(codes, wanted)


@dataclass
class _Store:
    """One database's index, aligned with ``parcels``. ``lock`` guards all of it."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    parcels: Parcels | None = None
    geoms: np.ndarray | None = None  # shapely or None, per row
    context_token: tuple | None = None
    trees: dict[tuple[str, str | None], shapely.STRtree | None] = field(default_factory=dict)
    dist: dict[tuple[str, str | None], np.ndarray] = field(default_factory=dict)  # NaN: none
    known: dict[tuple[str, str | None], np.ndarray] = field(default_factory=dict)
    pairs: np.ndarray | None = None  # (m, 2) rows whose boxes meet, i < j
    pair_touch: np.ndarray | None = None  # int8 per pair: -1 unknown, 0, 1
    touch_keys: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    touch_vals: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int8))


_stores: OrderedDict[str, _Store] = OrderedDict()
_stores_lock = threading.Lock()


def _store(conn: Connection) -> _Store:
    key = conn.engine.url.render_as_string(hide_password=False)
    with _stores_lock:
        store = _stores.get(key)
        if store is None:
            store = _stores[key] = _Store()
            while len(_stores) > MAX_DATABASES:
                _stores.popitem(last=False)
        _stores.move_to_end(key)
        return store


def current_parcels(conn: Connection) -> Parcels:
    """The current parcels as of the last committed change (reloaded when the ledger has
    moved on since the last call, keeping what is known about versions still current)."""
    store = _store(conn)
    token = tuple(conn.execute(text(_TOKEN_SQL)).one())
    with store.lock:
        if store.parcels is None or store.parcels.token != token:
            _replace_parcels(store, _load_parcels(conn, token))
        return store.parcels


def _load_parcels(conn: Connection, token: tuple) -> Parcels:
    # COPY and pandas' CSV reader: several times faster than rows through the driver
    buffer = io.BytesIO()
    query = f"COPY ({_PARCELS_SQL}) TO STDOUT WITH (FORMAT csv)"
    with conn.connection.driver_connection.cursor() as cursor, cursor.copy(query) as copy:
        for chunk in copy:
            buffer.write(chunk)
    buffer.seek(0)
    names = ["version_id", "parcel_code", "park", "land_use_code", "parent_code", "status"]
    numbers = ["area_m2", "x0", "y0", "x1", "y1"]
    frame = pd.read_csv(
        buffer,
        names=names + numbers,
        dtype={**{n: str for n in names[1:]}, "version_id": np.int64},
        keep_default_na=False,
    )
    parcels = Parcels(
        token=token,
        version_id=frame["version_id"].to_numpy(dtype=np.int64),
        parcel_code=frame["parcel_code"].to_numpy(dtype=object),
        park=frame["park"].to_numpy(dtype=object),
        land_use_code=frame["land_use_code"].to_numpy(dtype=object),
        parent_code=frame["parent_code"].to_numpy(dtype=object),
        status=frame["status"].to_numpy(dtype=object),
        area_m2=frame["area_m2"].to_numpy(dtype=np.float64),
        bounds=frame[numbers[1:]].to_numpy(dtype=np.float64),
    )
    for column in _CATEGORIES:
        codes, uniques = pd.factorize(getattr(parcels, column))
        parcels.codes[column] = (codes, [str(u) for u in uniques])
    return parcels


def _replace_parcels(store: _Store, new: Parcels) -> None:
    """Switch *store* to *new*, carrying over what is known of versions in both."""
    old = store.parcels
    n = len(new)
    geoms = np.full(n, None, dtype=object)
    dist = {key: np.full(n, np.nan) for key in store.dist}
    known = {key: np.zeros(n, dtype=bool) for key in store.known}
    if old is not None and len(old) and n:
        pos = np.minimum(np.searchsorted(old.version_id, new.version_id), len(old) - 1)
        hit = old.version_id[pos] == new.version_id
        if store.geoms is not None:
            geoms[hit] = store.geoms[pos[hit]]
        for key in dist:
            dist[key][hit] = store.dist[key][pos[hit]]
            known[key][hit] = store.known[key][pos[hit]]
    store.parcels, store.geoms, store.dist, store.known = new, geoms, dist, known
    store.pairs = store.pair_touch = None


def _ensure_geoms(conn: Connection, store: _Store, rows: np.ndarray) -> np.ndarray:
    """The geometry of each row (loading those not met yet)."""
    missing = rows[pd.isna(store.geoms[rows])]
    if len(missing):
        vids = store.parcels.version_id[missing]
        found = dict(conn.execute(text(_GEOMS_SQL), {"ids": vids.tolist()}).all())
        store.geoms[missing] = shapely.from_wkb([bytes(found[int(v)]) for v in vids])
    return store.geoms[rows]


def geometries(conn: Connection, parcels: Parcels, rows: np.ndarray) -> np.ndarray:
    """The geometry (shapely, storage CRS) of each of *rows* of *parcels*."""
    store = _store(conn)
    with store.lock:
        _check_current(store, parcels)
        return _ensure_geoms(conn, store, rows)


def _check_current(store: _Store, parcels: Parcels) -> None:
    if store.parcels is not parcels:  # another request moved the index on meanwhile
        _replace_parcels(store, parcels)


def distances(
    conn: Connection, parcels: Parcels, rows: np.ndarray, *, layer: str, kind: str | None
) -> np.ndarray:
    """Planar distance (storage CRS, metres) from the edge of each of *rows* of *parcels*
    to the nearest feature of *layer* (of *kind*, when given); 0 when they touch or
    overlap; NaN when the layer has no such feature."""
    store = _store(conn)
    context_token = tuple(conn.execute(text(_CONTEXT_TOKEN_SQL)).one())
    key = (layer, kind)
    with store.lock:
        _check_current(store, parcels)
        if store.context_token != context_token:
            store.trees.clear()
            store.dist.clear()
            store.known.clear()
            store.context_token = context_token
        if key not in store.trees:
            store.trees[key] = _feature_tree(conn, layer=layer, kind=kind)
            store.dist[key] = np.full(len(parcels), np.nan)
            store.known[key] = np.zeros(len(parcels), dtype=bool)
        dist, known = store.dist[key], store.known[key]
        missing = rows[~known[rows]]
        tree = store.trees[key]
        if len(missing) and tree is not None:
            geoms = _ensure_geoms(conn, store, missing)
            (source, _piece), found = tree.query_nearest(
                geoms, return_distance=True, all_matches=False
            )
            nearest = np.full(len(missing), np.inf)
            np.minimum.at(nearest, source, found)
            dist[missing] = nearest
        known[missing] = True
        return dist[rows].copy()


def _feature_tree(conn: Connection, *, layer: str, kind: str | None) -> shapely.STRtree | None:
    rows = conn.execute(text(_FEATURES_SQL), {"layer": layer, "kind": kind}).scalars().all()
    if not rows:
        return None
    parts = shapely.get_parts(shapely.from_wkb([bytes(r) for r in rows]))
    parts = parts[~shapely.is_empty(parts)]
    if not len(parts):
        return None
    is_line = np.isin(shapely.get_type_id(parts), [1, 2])  # LineString, LinearRing
    pieces = [parts[~is_line]]
    if is_line.any():
        pieces.append(_line_pieces(parts[is_line]))
    return shapely.STRtree(np.concatenate(pieces))


def _line_pieces(lines: np.ndarray) -> np.ndarray:
    """Lines cut into straight pieces of at most :data:`PIECE_M` (their union is the
    lines, so the nearest piece is as near as the nearest line)."""
    coords, owner = shapely.get_coordinates(shapely.segmentize(lines, PIECE_M), return_index=True)
    same = owner[1:] == owner[:-1]
    return shapely.linestrings(np.stack([coords[:-1][same], coords[1:][same]], axis=1))


def touching_pairs(conn: Connection, parcels: Parcels, rows: np.ndarray) -> np.ndarray:
    """The pairs (a, b), a < b, of positions in *rows* (rows of *parcels*) that share an
    edge (boundaries meeting in a line), as an (n, 2) integer array."""
    if len(rows) < 2:
        return np.zeros((0, 2), dtype=np.int64)
    store = _store(conn)
    with store.lock:
        _check_current(store, parcels)
        if store.pairs is None:
            _box_pairs(store)
        local = np.full(len(parcels), -1, dtype=np.int64)
        local[rows] = np.arange(len(rows))
        among = (local[store.pairs[:, 0]] >= 0) & (local[store.pairs[:, 1]] >= 0)
        todo = np.flatnonzero(among & (store.pair_touch < 0))
        if len(todo):
            a, b = store.pairs[todo, 0], store.pairs[todo, 1]
            _ensure_geoms(conn, store, np.unique(np.concatenate([a, b])))
            answer = shapely.relate_pattern(store.geoms[a], store.geoms[b], SHARES_EDGE)
            store.pair_touch[todo] = answer.astype(np.int8)
            _remember_touch(store, _pair_keys(parcels, a, b), answer.astype(np.int8))
        chosen = np.flatnonzero(among & (store.pair_touch == 1))
        out = local[store.pairs[chosen]]
    return np.sort(out, axis=1)


def _box_pairs(store: _Store) -> None:
    """Every pair of current parcels whose bounding boxes meet, with what is known of
    whether they share an edge."""
    parcels = store.parcels
    boxes = shapely.box(*parcels.bounds.T)
    left, right = shapely.STRtree(boxes).query(boxes)
    keep = left < right
    store.pairs = np.column_stack([left[keep], right[keep]]).astype(np.int64)
    store.pair_touch = np.full(len(store.pairs), -1, dtype=np.int8)
    if len(store.touch_keys) and len(store.pairs):
        keys = _pair_keys(parcels, store.pairs[:, 0], store.pairs[:, 1])
        pos = np.minimum(np.searchsorted(store.touch_keys, keys), len(store.touch_keys) - 1)
        hit = store.touch_keys[pos] == keys
        store.pair_touch[hit] = store.touch_vals[pos[hit]]


def _pair_keys(parcels: Parcels, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    va, vb = parcels.version_id[a], parcels.version_id[b]
    return np.minimum(va, vb) * (1 << 31) + np.maximum(va, vb)


def _remember_touch(store: _Store, keys: np.ndarray, values: np.ndarray) -> None:
    all_keys = np.concatenate([store.touch_keys, keys])
    all_vals = np.concatenate([store.touch_vals, values])
    all_keys, first = np.unique(all_keys, return_index=True)
    store.touch_keys, store.touch_vals = all_keys, all_vals[first]

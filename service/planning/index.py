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
  status, area, bounding box) as of a ledger row. Every committed change to parcel
  versions appends a ledger row at commit, in commit order, so a search that first reads
  the last ledger row and brings the index up to it never sees parcels older than the
  last change committed before it began. Bringing it up is incremental: only the versions
  made or ended by the change sets of the newer ledger rows are read (a direct SQL write
  has its change set too, made for it by the database) and patched into the arrays;
* the geometry of each version met so far (storage CRS, planar metres);
* per (layer, kind), the distance from each version's edge to the nearest feature —
  shapely/GEOS planar distance in the storage CRS; lines are cut into pieces of at most
  100 m so the search tree prunes well (the nearest piece is as near as the nearest line);
  all dropped when the context layers change;
* for pairs of current parcels whose boxes meet, whether they share an edge (boundaries
  meeting in a line: DE-9IM ``****1****``).

What is known about a version is carried over to the versions that follow it with the
very same geometry (a status change, a supply, a rezoning makes a new version of an
unchanged shape): rows are keyed by *geometry key*, the first version of an unbroken run
of identical geometries of a parcel, and distances and edge sharing go with the key.
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

from service.observability import metrics

#: Lines are cut into pieces at most this long (m) before they go into a search tree.
PIECE_M = 100.0
#: How many databases' indexes a process keeps (tests make many small databases).
MAX_DATABASES = 8
#: Sharing an edge: the boundaries meet in a line.
SHARES_EDGE = "****1****"
#: More new ledger rows than this since the index was made: load it afresh instead.
MAX_PATCH_LEDGER_ROWS = 500
#: New parcels whose box pairs a patch finds by comparing with every box (more: the pairs
#: are found afresh when a search next needs them).
MAX_BRUTE_FORCE_BOXES = 64

#: The database (a copy made from a template is another one) and its last ledger row.
_TOKEN_SQL = """
SELECT (SELECT oid FROM pg_database WHERE datname = current_database()) AS db,
       (SELECT coalesce(max(seq), 0) FROM ledger) AS ledger_seq
"""
#: Any insert, update or delete of a context feature changes this (xmin: the writing txn).
_CONTEXT_TOKEN_SQL = """
SELECT count(*), coalesce(max(id), 0), coalesce(max(xmin::text::bigint), 0) FROM context_feature
"""
_COLUMNS = """
v.version_id, v.parcel_code, v.park, v.land_use_code,
       coalesce(c.parent_code, '') AS parent_code, v.status, v.area_m2,
       ST_XMin(v.geom) AS x0, ST_YMin(v.geom) AS y0, ST_XMax(v.geom) AS x1,
       ST_YMax(v.geom) AS y1"""
#: The last ledger row and the current parcels as one CSV text (a value the driver takes
#: whole: several times faster than rows, or COPY's message a row), in one statement — one
#: snapshot, so the parcels are exactly those standing after that ledger row.
_PARCELS_SQL = """
SELECT (SELECT coalesce(max(seq), 0) FROM ledger),
       string_agg(concat_ws(',', v.version_id,
                            '"' || replace(v.parcel_code, '"', '""') || '"',
                            '"' || replace(v.park, '"', '""') || '"',
                            '"' || replace(v.land_use_code, '"', '""') || '"',
                            '"' || replace(coalesce(c.parent_code, ''), '"', '""') || '"',
                            '"' || replace(v.status, '"', '""') || '"',
                            v.area_m2,
                            ST_XMin(v.geom), ST_YMin(v.geom), ST_XMax(v.geom), ST_YMax(v.geom)),
                  E'\\n' ORDER BY v.version_id)
  FROM parcel_version v JOIN land_use_class c ON c.code = v.land_use_code
 WHERE v.valid_to IS NULL
"""
#: The ledger rows after :seq (one more than the patch takes, to tell when it is too many).
_LEDGER_SINCE_SQL = """
SELECT seq, change_set_id FROM ledger WHERE seq > :seq ORDER BY seq LIMIT :limit
"""
#: The versions those change sets ended (served by ``parcel_version_ended_by``) ...
_ENDED_SQL = "SELECT version_id FROM parcel_version WHERE ended_by_change_set_id = ANY(:cs)"
#: ... and those they made that still stood after the last of them (a later change set
#: may have ended one since: it is still current as of the index's ledger row).
_MADE_SQL = f"""
SELECT {_COLUMNS}, ST_AsBinary(v.geom) AS wkb
  FROM parcel_version v JOIN land_use_class c ON c.code = v.land_use_code
 WHERE v.change_set_id = ANY(:cs)
   AND (v.ended_by_change_set_id IS NULL OR v.ended_by_change_set_id <> ALL(:cs))
 ORDER BY v.version_id
"""
_GEOMS_SQL = "SELECT version_id, ST_AsBinary(geom) FROM parcel_version WHERE version_id = ANY(:ids)"
_FEATURES_SQL = """
SELECT ST_AsBinary(geom) FROM context_feature
 WHERE layer = :layer AND (CAST(:kind AS text) IS NULL OR kind = :kind)
"""
_CATEGORIES = ("park", "land_use_code", "parent_code", "status")
_ATTRIBUTES = ("version_id", "parcel_code", *_CATEGORIES)
_NUMBERS = ("area_m2", "x0", "y0", "x1", "y1")

Key = tuple[str, str | None]


class Category:
    """A categorical column: an integer code per row and the values the codes stand for
    (``column[rows]`` gives the values, like an array)."""

    __slots__ = ("codes", "values")

    def __init__(self, codes: np.ndarray, values: list[str]) -> None:
        self.codes = codes
        self.values = np.array(values, dtype=object)

    def __getitem__(self, rows):
        return self.values[self.codes[rows]]

    def __len__(self) -> int:
        return len(self.codes)

    def isin(self, values) -> np.ndarray:
        wanted = np.flatnonzero(np.isin(self.values, list(values)))
        return np.isin(self.codes, wanted)

    def taken(self, keep: np.ndarray, more: list[str]) -> Category:
        """The rows where *keep*, then rows of the values *more* (new values appended)."""
        position = {v: i for i, v in enumerate(self.values.tolist())}
        values = self.values.tolist()
        fresh = np.empty(len(more), dtype=self.codes.dtype)
        for i, value in enumerate(more):
            if value not in position:
                position[value] = len(values)
                values.append(value)
            fresh[i] = position[value]
        return Category(np.concatenate([self.codes[keep], fresh]), values)

    def reordered(self, order: np.ndarray) -> Category:
        return Category(self.codes[order], self.values.tolist())


@dataclass
class Parcels:
    """The current parcels as of ledger row ``token[1]``, one row each, ordered by version
    id (arrays of one length; the categorical columns as :class:`Category`). The rest is
    what is known of the rows so far, filled lazily under the store's lock (see the module
    docstring)."""

    token: tuple
    version_id: np.ndarray
    parcel_code: np.ndarray
    park: Category
    land_use_code: Category
    parent_code: Category
    status: Category
    area_m2: np.ndarray
    bounds: np.ndarray  # (n, 4): xmin, ymin, xmax, ymax in the storage CRS
    geom_key: np.ndarray  # int64 per row: see the module docstring
    geoms: np.ndarray  # shapely or None, per row
    context: tuple | None = None  # the context layers the distances were measured to
    dist: dict[Key, np.ndarray] = field(default_factory=dict)  # NaN: no such feature
    known: dict[Key, np.ndarray] = field(default_factory=dict)
    pairs: np.ndarray | None = None  # (m, 2) rows whose boxes meet, i < j
    pair_touch: np.ndarray | None = None  # int8 per pair: -1 unknown, 0, 1

    def __len__(self) -> int:
        return len(self.version_id)

    def isin(self, column: str, values) -> np.ndarray:
        """Rows whose categorical *column* is one of *values* (a boolean mask)."""
        return getattr(self, column).isin(values)


@dataclass
class _Store:
    """One database's index: its latest parcels, the context layers' search trees and
    what is known of edge sharing. ``lock`` guards all of it and every Parcels' caches."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    parcels: Parcels | None = None
    context_token: tuple | None = None
    trees: dict[Key, shapely.STRtree | None] = field(default_factory=dict)
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
    """The current parcels as of the last committed change (or later): brought up to the
    last ledger row when it has moved on, by patching in what the newer change sets made
    and ended; loaded whole the first time, for another database, or after many rows."""
    store = _store(conn)
    db, seq = conn.execute(text(_TOKEN_SQL)).one()
    with store.lock:
        old = store.parcels
        metrics.search_cache(hit=old is not None and old.token[0] == db and old.token[1] >= seq)
        if old is None or old.token[0] != db:
            store.parcels = _load_parcels(conn, db)
        elif old.token[1] < seq:
            store.parcels = _patched(conn, store, old) or _load_parcels(conn, db)
        return store.parcels


def _load_parcels(conn: Connection, db: int) -> Parcels:
    seq, body = conn.execute(text(_PARCELS_SQL)).one()
    frame = pd.read_csv(
        io.StringIO(body or ""),
        names=[*_ATTRIBUTES, *_NUMBERS],
        dtype={**{n: str for n in _ATTRIBUTES[1:]}, "version_id": np.int64},
        keep_default_na=False,
    )
    version_id = frame["version_id"].to_numpy(dtype=np.int64)
    categories = {}
    for column in _CATEGORIES:
        codes, uniques = pd.factorize(frame[column].to_numpy(dtype=object))
        categories[column] = Category(codes.astype(np.int64), [str(u) for u in uniques])
    return Parcels(
        token=(db, int(seq)),
        version_id=version_id,
        parcel_code=frame["parcel_code"].to_numpy(dtype=object),
        **categories,
        area_m2=frame["area_m2"].to_numpy(dtype=np.float64),
        bounds=frame[["x0", "y0", "x1", "y1"]].to_numpy(dtype=np.float64),
        geom_key=version_id.copy(),
        geoms=np.full(len(frame), None, dtype=object),
    )


# --- bringing the index up to the last ledger row ---------------------------------------------


def _patched(conn: Connection, store: _Store, old: Parcels) -> Parcels | None:
    """*old* brought up to the last ledger row by the versions the newer change sets made
    and ended; None when there are too many of them (load afresh instead)."""
    ledger = conn.execute(
        text(_LEDGER_SINCE_SQL), {"seq": old.token[1], "limit": MAX_PATCH_LEDGER_ROWS + 1}
    ).all()
    if not ledger or len(ledger) > MAX_PATCH_LEDGER_ROWS:
        return None
    seq = int(ledger[-1][0])
    change_sets = [int(cs) for _, cs in ledger if cs is not None]
    ended = conn.execute(text(_ENDED_SQL), {"cs": change_sets}).scalars().all()
    made = conn.execute(text(_MADE_SQL), {"cs": change_sets}).all()
    keep = ~_rows_of(old, np.array(ended, dtype=np.int64))
    held = _rows_of(old, np.array([r[0] for r in made], dtype=np.int64), among=keep)
    made = [r for r, h in zip(made, held, strict=True) if not h]
    if (~keep).sum() + len(made) > max(1000, len(old) // 4):
        return None  # much of the city changed: a fresh load is as quick
    return _patch(store, old, keep, made, token=(old.token[0], seq))


def _rows_of(parcels: Parcels, version_ids: np.ndarray, *, among: np.ndarray | None = None):
    """Without *among*: a mask of *parcels*' rows holding one of *version_ids*. With it:
    whether each of *version_ids* is held by a row where *among* is true."""
    n = len(parcels)
    pos = np.minimum(np.searchsorted(parcels.version_id, version_ids), max(n - 1, 0))
    hit = parcels.version_id[pos] == version_ids if n else np.zeros(len(version_ids), bool)
    if among is not None:
        return hit & among[pos] if n else hit
    mask = np.zeros(n, dtype=bool)
    mask[pos[hit]] = True
    return mask


def _patch(store: _Store, old: Parcels, keep: np.ndarray, made: list, *, token) -> Parcels:
    """A new Parcels: *old*'s rows where *keep*, plus the *made* ones (rows of
    :data:`_MADE_SQL`, by version id), ordered by version id, with what is known of the
    kept rows — and of the new ones whose geometry is a kept-back old row's — carried."""
    k = len(made)
    columns = list(zip(*made, strict=True)) if k else [()] * (len(_ATTRIBUTES) + 6)
    new = dict(zip([*_ATTRIBUTES, *_NUMBERS, "wkb"], columns, strict=True))
    version_id = np.array(new["version_id"], dtype=np.int64)
    parcel_code = np.array(new["parcel_code"], dtype=object)
    bounds = np.array([new[c] for c in ("x0", "y0", "x1", "y1")], dtype=np.float64).T
    new_geoms = np.full(k, None, dtype=object)
    if k:
        new_geoms[:] = shapely.from_wkb([bytes(w) for w in new["wkb"]])
    # A new version of a parcel the index held, with the very same geometry, inherits
    # that row's geometry key and what is known of it.
    geom_key = version_id.copy()
    inherits = np.full(k, -1, dtype=np.int64)
    if k and len(old):
        # (a parcel has one current version: the one it had is among those ended)
        old_row = {old.parcel_code[j]: j for j in np.flatnonzero(~keep).tolist()}
        for i, code in enumerate(parcel_code.tolist()):
            j = old_row.get(code)
            same = j is not None and old.geoms[j] is not None
            if same and shapely.equals_exact(old.geoms[j], new_geoms[i], tolerance=0):
                inherits[i], geom_key[i] = j, old.geom_key[j]
    has = inherits >= 0

    def joined(a: np.ndarray, b) -> np.ndarray:
        return np.concatenate([a[keep], np.asarray(b, dtype=a.dtype).reshape(-1, *a.shape[1:])])

    parcels = Parcels(
        token=token,
        version_id=joined(old.version_id, version_id),
        parcel_code=joined(old.parcel_code, parcel_code),
        **{c: getattr(old, c).taken(keep, [str(v) for v in new[c]]) for c in _CATEGORIES},
        area_m2=joined(old.area_m2, new["area_m2"]),
        bounds=joined(old.bounds, bounds),
        geom_key=joined(old.geom_key, geom_key),
        geoms=joined(old.geoms, new_geoms),
        context=old.context,
    )
    for key, values in old.dist.items():
        inherited, known = np.full(k, np.nan), np.zeros(k, dtype=bool)
        inherited[has] = values[inherits[has]]
        known[has] = old.known[key][inherits[has]]
        parcels.dist[key] = joined(values, inherited)
        parcels.known[key] = joined(old.known[key], known)
    if old.pairs is not None and k <= MAX_BRUTE_FORCE_BOXES:
        parcels.pairs, parcels.pair_touch, added_pairs = _patched_pairs(
            old, keep, parcels.bounds, k
        )
        _recall_touch(store, parcels, added_pairs)
    if len(parcels) > 1 and np.any(parcels.version_id[1:] < parcels.version_id[:-1]):
        _reorder(parcels, np.argsort(parcels.version_id, kind="stable"))
    return parcels


def _patched_pairs(
    old: Parcels, keep: np.ndarray, bounds: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The box pairs of the rows *old*'s kept ones and then *k* added ones (*bounds*):
    *old*'s among the kept rows, renumbered, and each added row's with the rows before it;
    with what is known of them, and the positions of the added pairs."""
    n_kept = int(keep.sum())
    where = np.full(len(old), -1, dtype=np.int64)
    where[keep] = np.arange(n_kept)
    a, b = where[old.pairs[:, 0]], where[old.pairs[:, 1]]
    stays = (a >= 0) & (b >= 0)
    pairs, touch = [np.column_stack([a[stays], b[stays]])], [old.pair_touch[stays]]
    for i in range(n_kept, n_kept + k):
        x0, y0, x1, y1 = bounds[i]
        b = bounds[:i]
        meet = np.flatnonzero((b[:, 0] <= x1) & (b[:, 2] >= x0) & (b[:, 1] <= y1) & (b[:, 3] >= y0))
        pairs.append(np.column_stack([meet, np.full(len(meet), i)]))
        touch.append(np.full(len(meet), -1, dtype=np.int8))
    n_stay = len(pairs[0])
    pairs_all = np.concatenate(pairs).astype(np.int64)
    return pairs_all, np.concatenate(touch), np.arange(n_stay, len(pairs_all))


def _reorder(parcels: Parcels, order: np.ndarray) -> None:
    """Put *parcels*' rows in *order* (every per-row array, and the pairs renumbered)."""
    for name in ("version_id", "parcel_code", "area_m2", "bounds", "geom_key", "geoms"):
        setattr(parcels, name, getattr(parcels, name)[order])
    for column in _CATEGORIES:
        setattr(parcels, column, getattr(parcels, column).reordered(order))
    for key in parcels.dist:
        parcels.dist[key], parcels.known[key] = parcels.dist[key][order], parcels.known[key][order]
    if parcels.pairs is not None:
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        parcels.pairs = np.sort(rank[parcels.pairs], axis=1)


# --- what is known of the rows ----------------------------------------------------------------


def _ensure_geoms(conn: Connection, parcels: Parcels, rows: np.ndarray) -> np.ndarray:
    """The geometry of each row (loading those not met yet)."""
    missing = rows[pd.isna(parcels.geoms[rows])]
    if len(missing):
        vids = parcels.version_id[missing]
        found = dict(conn.execute(text(_GEOMS_SQL), {"ids": vids.tolist()}).all())
        parcels.geoms[missing] = shapely.from_wkb([bytes(found[int(v)]) for v in vids])
    return parcels.geoms[rows]


def geometries(conn: Connection, parcels: Parcels, rows: np.ndarray) -> np.ndarray:
    """The geometry (shapely, storage CRS) of each of *rows* of *parcels*."""
    store = _store(conn)
    with store.lock:
        return _ensure_geoms(conn, parcels, rows)


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
        if store.context_token != context_token:
            store.trees.clear()
            store.context_token = context_token
        if parcels.context != context_token:
            parcels.dist.clear()
            parcels.known.clear()
            parcels.context = context_token
        if key not in store.trees:
            store.trees[key] = _feature_tree(conn, layer=layer, kind=kind)
        if key not in parcels.dist:
            parcels.dist[key] = np.full(len(parcels), np.nan)
            parcels.known[key] = np.zeros(len(parcels), dtype=bool)
        dist, known = parcels.dist[key], parcels.known[key]
        missing = rows[~known[rows]]
        tree = store.trees[key]
        if len(missing) and tree is not None:
            geoms = _ensure_geoms(conn, parcels, missing)
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
        if parcels.pairs is None:
            _box_pairs(store, parcels)
        local = np.full(len(parcels), -1, dtype=np.int64)
        local[rows] = np.arange(len(rows))
        among = (local[parcels.pairs[:, 0]] >= 0) & (local[parcels.pairs[:, 1]] >= 0)
        todo = np.flatnonzero(among & (parcels.pair_touch < 0))
        if len(todo):
            a, b = parcels.pairs[todo, 0], parcels.pairs[todo, 1]
            _ensure_geoms(conn, parcels, np.unique(np.concatenate([a, b])))
            answer = shapely.relate_pattern(parcels.geoms[a], parcels.geoms[b], SHARES_EDGE)
            parcels.pair_touch[todo] = answer.astype(np.int8)
            _remember_touch(store, _pair_keys(parcels, a, b), answer.astype(np.int8))
        chosen = np.flatnonzero(among & (parcels.pair_touch == 1))
        out = local[parcels.pairs[chosen]]
    return np.sort(out, axis=1)


def _box_pairs(store: _Store, parcels: Parcels) -> None:
    """Every pair of *parcels* whose bounding boxes meet, with what is known of whether
    they share an edge."""
    boxes = shapely.box(*parcels.bounds.T)
    left, right = shapely.STRtree(boxes).query(boxes)
    keep = left < right
    parcels.pairs = np.column_stack([left[keep], right[keep]]).astype(np.int64)
    parcels.pair_touch = np.full(len(parcels.pairs), -1, dtype=np.int8)
    _recall_touch(store, parcels, np.arange(len(parcels.pairs)))


def _recall_touch(store: _Store, parcels: Parcels, which: np.ndarray) -> None:
    """Fill in what is known of edge sharing for pairs *which* of *parcels*."""
    if not len(store.touch_keys) or not len(which):
        return
    keys = _pair_keys(parcels, parcels.pairs[which, 0], parcels.pairs[which, 1])
    pos = np.minimum(np.searchsorted(store.touch_keys, keys), len(store.touch_keys) - 1)
    hit = store.touch_keys[pos] == keys
    parcels.pair_touch[which[hit]] = store.touch_vals[pos[hit]]


def _pair_keys(parcels: Parcels, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ka, kb = parcels.geom_key[a], parcels.geom_key[b]
    return np.minimum(ka, kb) * (1 << 31) + np.maximum(ka, kb)


def _remember_touch(store: _Store, keys: np.ndarray, values: np.ndarray) -> None:
    all_keys = np.concatenate([store.touch_keys, keys])
    all_vals = np.concatenate([store.touch_vals, values])
    all_keys, first = np.unique(all_keys, return_index=True)
    store.touch_keys, store.touch_vals = all_keys, all_vals[first]

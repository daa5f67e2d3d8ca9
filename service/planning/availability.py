"""The availability search: where can a plant go?

Candidates are the **current** parcels that meet every criterion (:mod:`.criteria`):
park, land-use class, status (default ``reserve,ready``), area between ``min_area_mu`` and
``max_area_mu``, inside the ``within`` polygon (boundary included), and every distance
criterion. Distances are planar, in the storage CRS (EPSG:4545 metres), from the parcel's
edge to the nearest feature of the layer (0 when they touch or cross): ``near=roads:500``
holds when that distance is ≤ 500 m, ``away=river:200`` when it is ≥ 200 m
(``away=flood_zone:0``: not touching or overlapping any flood zone; ``near=x:0``: touching
or overlapping); ``near=roads/main:500`` measures only to the layer's features of kind
``main``. A layer with no such feature is never near and always away (its distance is
reported as null).

**Groups** (``combine=true``): a plant often needs two neighbours. Members are parcels that
meet every criterion except the area minimum (each is below it); a group is 2 or 3
members that touch — share an edge, i.e. their boundaries meet in a line (exactly shared
edges, as neighbouring cadastral parcels have; a shared corner is not enough) — and are
connected (a triple is a chain or a triangle), whose combined area reaches ``min_area_mu``
and stays within ``max_area_mu`` when given. Groups are minimal: a triple is offered only
when none of its touching pairs reaches the minimum by itself. A group's distance to a
layer is its nearest member's (the distance of the members' union).

**Ranking** (singles and groups together)::

    area_fit  = min_area / area            (1 when no minimum is given)
    closeness = mean over the near criteria of max(0, 1 - distance / limit)
                (1 without near criteria; 1 for a criterion whose limit is 0)
    score     = 0.5 * area_fit + 0.5 * closeness

highest score first; ties by the key — the parcel code, or a group's member codes
joined with ``+`` — in code-point order. The best ``limit`` are returned.

Output: a GeoJSON FeatureCollection dict in EPSG:4326 with ``numberMatched``,
``numberReturned``, ``parcelsMatched``, ``groupsMatched`` and ``criteria`` (the criteria as
JSON, plus ``lines_zh``/``lines_en`` sentences and the ``query`` that repeats the search).
Each feature's properties: ``rank``, ``score``, ``area_fit``, ``closeness``, ``kind``
(``parcel``/``group``), ``park``, ``area_m2``, ``area_mu``, ``distances_m`` (one entry per
near/away layer key, e.g. ``{"roads/main": 120.0, "river": 410.5}``) and, for a single
parcel, ``parcel_code``, ``land_use_code``, ``status``; for a group, ``members``,
``land_use_codes``, ``statuses`` (distinct, sorted). A group's geometry is the union of its
members.

How: the current parcels, their distances to each layer and which of them share an edge
come from :mod:`service.planning.index`, an in-memory index kept per database and per
parcel version (a nearest-feature probe per candidate in PostGIS is far too slow at
100,000 parcels); the filtering, grouping and ranking run on arrays; PostGIS builds the
returned features' geometry.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

import numpy as np
import shapely
from pyproj import CRS
from sqlalchemy import Connection, text

from gis.crs import WGS84, transform
from parks.errors import InvalidParameter
from parks.units import M2_PER_MU
from parks.vocabulary import STATUS_NAMES_ZH
from service.db.sqlfiles import sql
from service.planning import index
from service.planning.criteria import (
    MAX_GROUP_SIZE,
    Criteria,
    DistanceCriterion,
    parse_criteria,
)
from service.planning.layers import list_layers
from service.reads import queries as reads

__all__ = ["Criteria", "DistanceCriterion", "parse_criteria", "search", "SCORE_RULE"]

PRECISION = 7
#: Chinese names of the feature kinds the sample's layers use (others show as they are).
KIND_NAMES_ZH = {
    "main": "主干路",
    "secondary": "次干路",
    "power": "电力",
    "water": "给水",
    "gas": "燃气",
    "sewage": "污水",
}
SCORE_RULE = (
    "score = 0.5·area_fit + 0.5·closeness; area_fit = min_area/area (1 without a minimum); "
    "closeness = mean over near criteria of max(0, 1 − distance/limit) (1 without any); "
    "ties by parcel code (a group's codes joined by '+')"
)


def search(
    conn: Connection, criteria: Criteria, *, storage_srid: int, precision: int = PRECISION
) -> dict[str, Any]:
    """Run the availability search (see the module docstring for the rules and the
    output). Raises :class:`InvalidParameter` for a park, land-use class, layer or kind the
    database doesn't know."""
    reads.check_park(conn, criteria.park)
    land_uses = reads.check_land_uses(conn, ",".join(criteria.land_uses) or None)
    layers = {layer["name"]: layer for layer in list_layers(conn)}
    for criterion in criteria.distances:
        _check_layer(criterion, layers)
    measures: list[DistanceCriterion] = []
    for criterion in criteria.distances:  # one distance per layer key, in the order given
        if criterion.key not in [m.key for m in measures]:
            measures.append(criterion)
    keys = [m.key for m in measures]
    min_m2 = criteria.min_area_mu * M2_PER_MU if criteria.min_area_mu is not None else None
    max_m2 = criteria.max_area_mu * M2_PER_MU if criteria.max_area_mu is not None else None

    parcels = index.current_parcels(conn)
    rows = _filtered(conn, parcels, criteria, land_uses, max_m2, storage_srid=storage_srid)
    if min_m2 is not None and not criteria.combine:
        rows = rows[parcels.area_m2[rows] >= min_m2]  # fewer distances to look up
    dist = np.zeros((len(rows), len(measures)))
    passes = np.ones(len(rows), dtype=bool)
    for k, m in enumerate(measures):
        dist[passes, k] = index.distances(conn, parcels, rows[passes], layer=m.layer, kind=m.kind)
        dist[~passes, k] = np.nan  # out already; never looked up
        for c in criteria.distances:
            if c.key == m.key:
                with np.errstate(invalid="ignore"):  # NaN (no feature): never near, always away
                    passes &= _meets(dist[:, k], c)
    rows, dist = rows[passes], dist[passes]
    area = parcels.area_m2[rows]

    alone = area >= min_m2 if min_m2 is not None else np.ones(len(rows), dtype=bool)
    results = _Results(members=rows[alone][:, None], area_m2=area[alone], dist=dist[alone])
    if criteria.combine and min_m2 is not None:
        below = ~alone
        results = results.plus(
            _groups(conn, parcels, rows[below], area[below], dist[below], min_m2, max_m2)
        )
    near = [(keys.index(c.key), c.metres) for c in criteria.near]
    score, area_fit, closeness = _score(results, near=near, min_m2=min_m2)
    top = _top(score, results, parcels, criteria.limit)
    features = _features(
        conn,
        parcels,
        results,
        top,
        score=score,
        area_fit=area_fit,
        closeness=closeness,
        keys=keys,
        precision=precision,
    )
    n_singles = int(alone.sum())
    return {
        "type": "FeatureCollection",
        "numberMatched": len(results),
        "numberReturned": len(top),
        "parcelsMatched": n_singles,
        "groupsMatched": len(results) - n_singles,
        "criteria": summary(conn, criteria, layers=layers),
        "score_rule": SCORE_RULE,
        "features": features,
    }


def _meets(d: np.ndarray, c: DistanceCriterion) -> np.ndarray:
    """Which distances *d* meet criterion *c* (NaN, no feature: never near, always away;
    ``away=<layer>:0`` means not touching or overlapping any feature)."""
    if c.is_near:
        return d <= c.metres
    return ~(d < c.metres) & ~((c.metres == 0) & (d == 0))


def _check_layer(criterion: DistanceCriterion, layers: dict[str, dict]) -> None:
    layer = layers.get(criterion.layer)
    if layer is None:
        known = ", ".join(layers) or "none"
        raise InvalidParameter(
            criterion.parameter, f"unknown layer {criterion.layer!r}; layers: {known}"
        )
    if criterion.kind is not None and criterion.kind not in layer["kinds"]:
        kinds = ", ".join(layer["kinds"]) or "none"
        raise InvalidParameter(
            criterion.parameter,
            f"layer {criterion.layer!r} has no features of kind {criterion.kind!r}; "
            f"its kinds: {kinds}",
        )


def _filtered(
    conn: Connection,
    parcels: index.Parcels,
    criteria: Criteria,
    land_uses: list[str],
    max_m2: float | None,
    *,
    storage_srid: int,
) -> np.ndarray:
    """Rows of the current parcels that pass park, class, status, the area maximum and
    ``within``."""
    mask = parcels.isin("status", criteria.statuses)
    if criteria.park:
        mask &= parcels.isin("park", [criteria.park])
    if land_uses:
        mask &= parcels.isin("land_use_code", land_uses) | parcels.isin("parent_code", land_uses)
    if max_m2 is not None:
        mask &= parcels.area_m2 <= max_m2
    rows = np.flatnonzero(mask)
    if criteria.within is not None and len(rows):
        area = _projected(criteria.within, storage_srid)
        if area is None:
            return rows[:0]
        shapely.prepare(area)
        # boxes first (PostGIS keeps them in single precision, rounded outwards: 1 m slack)
        x0, y0, x1, y1 = area.bounds
        b = parcels.bounds[rows]
        inside = (
            (b[:, 0] >= x0 - 1) & (b[:, 1] >= y0 - 1) & (b[:, 2] <= x1 + 1) & (b[:, 3] <= y1 + 1)
        )
        rows = rows[inside]
        rows = rows[shapely.covered_by(index.geometries(conn, parcels, rows), area)]
    return rows


def _projected(within, srid: int):
    """*within* (EPSG:4326) in the storage CRS, vertices transformed; first clipped to a
    degree around the CRS's area of use, outside which a projected zone means nothing and
    where no stored parcel lies (a polygon around the whole world still holds them all)."""
    use = _area_of_use(srid)
    if use is not None:
        within = shapely.intersection(within, use)
        if within.is_empty or within.area == 0:
            return None
    return transform(within, WGS84, srid)


@lru_cache(maxsize=8)
def _area_of_use(srid: int):
    area = CRS.from_epsg(srid).area_of_use
    if area is None:
        return None
    return shapely.box(area.west - 1, area.south - 1, area.east + 1, area.north + 1)


@dataclass
class _Results:
    """Candidate sites: rows of the current parcels, one (a parcel) or up to three (a
    group) per site, -1 where a site has fewer members."""

    members: np.ndarray  # (n, width) rows, -1 padded
    area_m2: np.ndarray
    dist: np.ndarray  # (n, number of distance keys)

    def __len__(self) -> int:
        return len(self.members)

    def plus(self, other: _Results) -> _Results:
        width = max(self.members.shape[1], other.members.shape[1])
        return _Results(
            members=np.concatenate([_pad(self.members, width), _pad(other.members, width)]),
            area_m2=np.concatenate([self.area_m2, other.area_m2]),
            dist=np.concatenate([self.dist, other.dist]),
        )

    def rows_of(self, i: int, parcels: index.Parcels) -> list[int]:
        """Site *i*'s rows, ordered by parcel code."""
        rows = [int(r) for r in self.members[i] if r >= 0]
        return sorted(rows, key=lambda r: parcels.parcel_code[r])

    def key(self, i: int, parcels: index.Parcels) -> str:
        """The tie-breaking key: the parcel code, or the members' codes joined by '+'."""
        return "+".join(str(parcels.parcel_code[r]) for r in self.rows_of(i, parcels))


def _pad(members: np.ndarray, width: int) -> np.ndarray:
    if members.shape[1] == width:
        return members
    pad = np.full((len(members), width - members.shape[1]), -1, dtype=members.dtype)
    return np.concatenate([members, pad], axis=1)


def _groups(
    conn: Connection,
    parcels: index.Parcels,
    rows: np.ndarray,
    area: np.ndarray,
    dist: np.ndarray,
    min_m2: float,
    max_m2: float | None,
) -> _Results:
    """Minimal groups of 2–3 touching *rows* (each below *min_m2*) that reach *min_m2*
    together and stay within *max_m2*."""
    upper = np.inf if max_m2 is None else max_m2
    pairs = index.touching_pairs(conn, parcels, rows)  # positions in rows, i < j
    i, j = pairs[:, 0], pairs[:, 1]
    pair_area = area[i] + area[j]
    reach = pair_area >= min_m2
    ok = reach & (pair_area <= upper)
    found = [np.column_stack([i[ok], j[ok], np.full(int(ok.sum()), -1)])]

    # Triples: a centre touching two others, where no touching pair of the three reaches
    # the minimum. The centre's short edges, both ways, grouped by centre.
    short = pairs[~reach]
    both = np.concatenate([short, short[:, ::-1]])
    both = both[np.argsort(both[:, 0], kind="stable")]
    centre, nb = both[:, 0], both[:, 1]
    size = np.bincount(centre, minlength=len(rows))[centre]
    first = np.searchsorted(centre, centre)  # where each centre's run starts
    k = np.arange(len(both)) - first  # position within the run
    later = size - 1 - k  # neighbours after this one in the run
    a_ix = np.repeat(np.arange(len(both)), later)
    b_ix = a_ix + 1 + (np.arange(len(a_ix)) - np.repeat(np.cumsum(later) - later, later))
    c, p, q = centre[a_ix], nb[a_ix], nb[b_ix]
    total = area[c] + area[p] + area[q]
    keep = (total >= min_m2) & (total <= upper)
    n = len(rows)
    edge = set((np.sort(pairs, axis=1) @ np.array([n, 1])).tolist())
    pq_reach = area[p] + area[q] >= min_m2
    check = np.flatnonzero(keep & pq_reach)
    if len(check):
        pq_keys = np.minimum(p[check], q[check]) * n + np.maximum(p[check], q[check])
        keep[check[np.fromiter((key in edge for key in pq_keys.tolist()), dtype=bool)]] = False
    triples = np.unique(np.sort(np.column_stack([c[keep], p[keep], q[keep]]), axis=1), axis=0)
    found.append(triples)
    local = np.concatenate(found).astype(np.int64)
    if not len(local):
        return _Results(np.zeros((0, 3), dtype=np.int64), np.zeros(0), np.zeros((0, dist.shape[1])))
    present = local >= 0
    safe = np.where(present, local, 0)
    group_area = np.where(present, area[safe], 0.0).sum(axis=1)
    group_dist = np.where(present[:, :, None], dist[safe], np.inf).min(axis=1)
    group_dist[np.isinf(group_dist)] = np.nan  # a layer without features stays unknown
    return _Results(members=np.where(present, rows[safe], -1), area_m2=group_area, dist=group_dist)


def _score(
    results: _Results, *, near: list[tuple[int, float]], min_m2: float | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """score, area fit and closeness of every result (the rule in the module docstring)."""
    n = len(results)
    area_fit = np.ones(n) if min_m2 is None else np.minimum(1.0, min_m2 / results.area_m2)
    if near:
        parts = [
            np.ones(n) if limit == 0 else np.clip(1.0 - results.dist[:, k] / limit, 0.0, 1.0)
            for k, limit in near
        ]
        closeness = np.mean(parts, axis=0)
    else:
        closeness = np.ones(n)
    return 0.5 * area_fit + 0.5 * closeness, area_fit, closeness


def _top(score: np.ndarray, results: _Results, parcels: index.Parcels, limit: int) -> list[int]:
    """Positions of the best *limit* results: highest score first, ties by key."""
    if len(score) > limit:
        threshold = np.partition(score, len(score) - limit)[len(score) - limit]
        chosen = np.flatnonzero(score >= threshold)
    else:
        chosen = np.arange(len(score))
    members = results.members[chosen]
    single = members[:, 1:].max(axis=1, initial=-1) < 0
    keys = np.empty(len(chosen), dtype=object)
    keys[single] = parcels.parcel_code[members[single, 0]]
    for t in np.flatnonzero(~single).tolist():
        keys[t] = results.key(int(chosen[t]), parcels)
    order = np.lexsort((keys.astype(str), -score[chosen]))
    return chosen[order][:limit].tolist()


def _features(
    conn: Connection,
    parcels: index.Parcels,
    results: _Results,
    top: list[int],
    *,
    score: np.ndarray,
    area_fit: np.ndarray,
    closeness: np.ndarray,
    keys: list[str],
    precision: int,
) -> list[dict[str, Any]]:
    """The GeoJSON features of the chosen results (geometry built by PostGIS: a parcel's,
    or the union of a group's members, in EPSG:4326)."""
    out = []
    for rank, r in enumerate(top, start=1):
        rows = results.rows_of(r, parcels)
        area_m2 = float(results.area_m2[r])
        properties: dict[str, Any] = {
            "rank": rank,
            "score": round(float(score[r]), 4),
            "area_fit": round(float(area_fit[r]), 4),
            "closeness": round(float(closeness[r]), 4),
            "kind": "parcel" if len(rows) == 1 else "group",
        }
        codes = [str(parcels.parcel_code[m]) for m in rows]
        uses = sorted({str(parcels.land_use_code[m]) for m in rows})
        statuses = sorted({str(parcels.status[m]) for m in rows})
        if len(rows) == 1:
            properties["parcel_code"] = codes[0]
        else:
            properties["members"] = codes
        properties["park"] = str(parcels.park[rows[0]])
        if len(rows) == 1:
            properties["land_use_code"], properties["status"] = uses[0], statuses[0]
        else:
            properties["land_use_codes"], properties["statuses"] = uses, statuses
        properties["area_m2"] = round(area_m2, 2)
        properties["area_mu"] = round(area_m2 / M2_PER_MU, 4)
        properties["distances_m"] = {
            key: None if np.isnan(d) else round(float(d), 2)
            for key, d in zip(keys, results.dist[r], strict=True)
        }
        out.append(
            {
                "rank": rank,
                "id": codes[0] if len(rows) == 1 else "group:" + "+".join(codes),
                "versions": [int(parcels.version_id[m]) for m in rows],
                "properties": properties,
            }
        )
    if not out:
        return []
    body = conn.execute(
        text(sql("service.sql", "planning_availability_features.sql")),
        {"results": json.dumps(out, ensure_ascii=False), "precision": precision},
    ).scalar_one()
    return json.loads(body)


# --- the summary of the criteria --------------------------------------------------------------


def summary(
    conn: Connection, criteria: Criteria, *, layers: dict[str, dict] | None = None
) -> dict[str, Any]:
    """The criteria as JSON, with one sentence per criterion in Chinese and English and
    the query string that repeats the search."""
    layers = layers or {layer["name"]: layer for layer in list_layers(conn)}
    park_names = {
        r.code: (r.name_zh, r.name_en)
        for r in conn.execute(text("SELECT code, name_zh, name_en FROM park"))
    }
    zh, en = [], []
    if criteria.park:
        name_zh, name_en = park_names.get(criteria.park, (criteria.park, criteria.park))
        zh.append(f"园区：{name_zh}")
        en.append(f"Park: {name_en}")
    else:
        zh.append("园区：全部")
        en.append("Park: all parks")
    if criteria.land_uses:
        zh.append(f"用地分类：{'、'.join(criteria.land_uses)}")
        en.append(f"Land-use class: {', '.join(criteria.land_uses)}")
    zh.append(f"状态：{'、'.join(STATUS_NAMES_ZH.get(s, s) for s in criteria.statuses)}")
    en.append(f"Status: {', '.join(criteria.statuses)}")
    lo, hi = criteria.min_area_mu, criteria.max_area_mu
    if lo is not None and hi is not None:
        zh.append(f"面积：{_n(lo)}–{_n(hi)} 亩")
        en.append(f"Area: {_n(lo)}–{_n(hi)} mu")
    elif lo is not None:
        zh.append(f"面积：不小于 {_n(lo)} 亩")
        en.append(f"Area: at least {_n(lo)} mu")
    elif hi is not None:
        zh.append(f"面积：不大于 {_n(hi)} 亩")
        en.append(f"Area: at most {_n(hi)} mu")
    if criteria.within is not None:
        zh.append("范围：位于所绘区域内")
        en.append("Inside the drawn area")
    for c in criteria.distances:
        layer = layers.get(c.layer, {"title_zh": c.layer, "title_en": c.layer})
        kind_zh = KIND_NAMES_ZH.get(c.kind, c.kind)
        what_zh = layer["title_zh"] + (f"（{kind_zh}）" if c.kind else "")
        what_en = layer["title_en"].lower() + (f" ({c.kind})" if c.kind else "")
        if c.is_near:
            zh.append(f"距{what_zh} {_n(c.metres)} 米以内")
            en.append(f"Within {_n(c.metres)} m of {what_en}")
        else:
            zh.append(f"距{what_zh}至少 {_n(c.metres)} 米")
            en.append(f"At least {_n(c.metres)} m from {what_en}")
    if criteria.combine:
        zh.append(f"可由最多 {MAX_GROUP_SIZE} 宗相邻地块合并达到面积")
        en.append(f"Groups of up to {MAX_GROUP_SIZE} touching parcels may reach the area")
    return {
        **criteria.as_dict(),
        "lines_zh": zh,
        "lines_en": en,
        "query": urlencode(criteria.query_pairs()),
    }


def _n(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0")

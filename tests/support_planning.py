"""Independent answers for the planning tests (availability, vacancy, targets, supply).

Everything is computed from the committed GeoPackage with geopandas/shapely/pandas in
EPSG:4545, by another route than the service takes: distances to the *union* of a layer's
features (the service cuts lines into pieces in a search tree), touching as "the two
parcels' intersection has a length" (the service uses a DE-9IM pattern), groups by brute
force over touching pairs and their neighbours, leases summed per floor with pandas.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from functools import lru_cache

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import support_reads as sr

#: A parcel whose distance is this close to a criterion's limit may fall either side
#: (two engines' floating point); such parcels are allowed either way.
BORDER_M = 1e-6
#: Scores of two engines agree to this.
SCORE_TOL = 1e-6


@lru_cache(maxsize=1)
def _class_parents() -> dict[str, str]:
    classes = pd.read_csv(
        sr.ROOT / "parks" / "reference" / "gbt21010-2017-classes.csv",
        dtype=str,
        keep_default_na=False,
    )
    return {row.code: (row.code[:2] if len(row.code) == 4 else "") for row in classes.itertuples()}


def parcels() -> gpd.GeoDataFrame:
    """The sample's parcels (EPSG:4545) with their area and class parent, indexed by code."""
    frame = sr.parcels().set_index("parcel_code", drop=False)
    frame["parent"] = frame["land_use_code"].map(_class_parents())
    return frame


def layer_union(layer: str, kind: str | None = None):
    """The union of a context layer's features (of *kind*: the ``road_class`` or ``kind``
    column), or None when there is none."""
    frame = sr.layer(layer)
    if kind is not None:
        column = "road_class" if "road_class" in frame else "kind"
        frame = frame[frame[column] == kind]
    if not len(frame):
        return None
    return shapely.union_all(frame.geometry.values)


@dataclass(frozen=True)
class Criterion:
    layer: str
    kind: str | None
    metres: float

    @property
    def key(self) -> str:
        return self.layer if self.kind is None else f"{self.layer}/{self.kind}"


@dataclass
class Expected:
    """The independent answer: sites ranked, with the parcels on the borderline."""

    sites: list[dict] = field(default_factory=list)
    borderline: set[str] = field(default_factory=set)

    def keys(self) -> list[str]:
        return [s["key"] for s in self.sites]

    def by_key(self) -> dict[str, dict]:
        return {s["key"]: s for s in self.sites}


def expected_search(
    *,
    park: str | None = None,
    min_area_mu: float | None = None,
    max_area_mu: float | None = None,
    land_uses: tuple[str, ...] = (),
    statuses: tuple[str, ...] = ("reserve", "ready"),
    within=None,
    near: tuple[Criterion, ...] = (),
    away: tuple[Criterion, ...] = (),
    combine: bool = False,
) -> Expected:
    """The availability search done independently (see the module docstring); *within*
    is a shapely polygon in EPSG:4545."""
    frame = parcels()
    mask = frame["status"].isin(statuses)
    if park:
        mask &= frame["park"] == park
    if land_uses:
        mask &= frame["land_use_code"].isin(land_uses) | frame["parent"].isin(land_uses)
    area = frame["file_area_m2"]
    min_m2 = None if min_area_mu is None else min_area_mu * sr.M2_PER_MU
    max_m2 = None if max_area_mu is None else max_area_mu * sr.M2_PER_MU
    if max_m2 is not None:
        mask &= area <= max_m2
    if within is not None:
        mask &= frame.geometry.covered_by(within)
    frame = frame[mask].copy()

    distances: dict[str, pd.Series] = {}
    borderline: set[str] = set()
    ok = pd.Series(True, index=frame.index)
    for c in (*near, *away):
        if c.key not in distances:
            union = layer_union(c.layer, c.kind)
            distances[c.key] = (
                frame.geometry.distance(union)
                if union is not None
                else pd.Series(np.nan, index=frame.index)
            )
        d = distances[c.key]
        borderline |= set(frame.index[(d - c.metres).abs() <= BORDER_M])
        if c in near:
            ok &= d <= c.metres
        elif c.metres == 0:  # away from a layer by 0 m: not touching it
            ok &= ~(d <= 0)
        else:
            ok &= ~(d < c.metres)
    frame = frame[ok]

    sites = []
    for code, row in frame.iterrows():
        if min_m2 is None or row["file_area_m2"] >= min_m2:
            sites.append(_site([code], frame, distances))
    if combine and min_m2 is not None:
        members = frame[frame["file_area_m2"] < min_m2]
        for group in _minimal_groups(members, min_m2, max_m2):
            sites.append(_site(sorted(group), frame, distances))
    for site in sites:
        fit = 1.0 if min_m2 is None else min(1.0, min_m2 / site["area_m2"])
        parts = [
            1.0 if c.metres == 0 else max(0.0, 1.0 - site["distances_m"][c.key] / c.metres)
            for c in near
        ]
        closeness = sum(parts) / len(parts) if parts else 1.0
        site.update(area_fit=fit, closeness=closeness, score=0.5 * fit + 0.5 * closeness)
    sites.sort(key=lambda s: (-s["score"], s["key"]))
    return Expected(sites=sites, borderline=borderline)


def _site(codes: list[str], frame: pd.DataFrame, distances: dict[str, pd.Series]) -> dict:
    return {
        "key": "+".join(codes),
        "codes": codes,
        "area_m2": float(frame.loc[codes, "file_area_m2"].sum()),
        "distances_m": {k: float(d.loc[codes].min()) for k, d in distances.items()},
        "land_use_codes": sorted(set(frame.loc[codes, "land_use_code"])),
        "statuses": sorted(set(frame.loc[codes, "status"])),
    }


def share_an_edge(a, b) -> bool:
    """Two parcels share an edge when their intersection has a length."""
    return shapely.length(shapely.intersection(a, b)) > 0


def touching_pairs(members: gpd.GeoDataFrame) -> set[frozenset[str]]:
    """Pairs of *members* (indexed by code) that share an edge."""
    codes = list(members.index)
    geoms = members.geometry.values
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    return {
        frozenset((codes[a], codes[b]))
        for a, b in zip(left.tolist(), right.tolist(), strict=True)
        if a < b and share_an_edge(geoms[a], geoms[b])
    }


def _minimal_groups(members: pd.DataFrame, min_m2: float, max_m2: float | None):
    """Pairs and triples of touching *members* reaching *min_m2* (within *max_m2*), none
    of whose touching pairs reaches it when it is a triple."""
    upper = math.inf if max_m2 is None else max_m2
    area = members["file_area_m2"].to_dict()
    touching = touching_pairs(members)
    neighbours: dict[str, set[str]] = {code: set() for code in members.index}
    for pair in touching:
        a, b = tuple(pair)
        neighbours[a].add(b)
        neighbours[b].add(a)
    groups = set()
    for pair in touching:
        total = sum(area[c] for c in pair)
        if min_m2 <= total <= upper:
            groups.add(pair)
    for pair in touching:
        if sum(area[c] for c in pair) >= min_m2:
            continue
        a, b = tuple(pair)
        for c in (neighbours[a] | neighbours[b]) - {a, b}:
            triple = frozenset((a, b, c))
            total = sum(area[x] for x in triple)
            if not min_m2 <= total <= upper:
                continue
            inner = [
                frozenset(p) for p in itertools.combinations(triple, 2) if frozenset(p) in touching
            ]
            if all(sum(area[x] for x in p) < min_m2 for p in inner):
                groups.add(triple)
    return groups


# --- vacancy, targets, supply ------------------------------------------------------------------


def floors_today(today) -> pd.DataFrame:
    """One row per floor of every building: floor area (floor area / storeys), leased by
    leases in force on *today*, vacant, and the lease ids."""
    buildings = sr.layer("buildings")
    leases = sr.layer("leases")
    start = pd.to_datetime(leases["start_date"]).dt.date
    end = pd.to_datetime(leases["end_date"]).dt.date
    leases = leases[(start <= today) & (leases["end_date"].isna() | (end >= today))]
    rows = []
    for b in buildings.itertuples(index=False):
        for floor in range(1, int(b.storeys) + 1):
            on_floor = leases[
                (leases["building_code"] == b.building_code) & (leases["floor"] == floor)
            ]
            floor_area = float(b.floor_area_m2) / int(b.storeys)
            leased = float(on_floor["leased_m2"].sum())
            rows.append(
                {
                    "building_code": b.building_code,
                    "park": b.park,
                    "floor": floor,
                    "floor_area_m2": floor_area,
                    "leased_m2": leased,
                    "vacant_m2": floor_area - leased,
                    "lease_ids": sorted(on_floor["lease_id"].astype(str)),
                }
            )
    return pd.DataFrame(rows)


def reserve_mu_by_park() -> dict[str, float]:
    """Area of each park's reserve and ready parcels (any class), in 亩."""
    frame = parcels()
    frame = frame[frame["status"].isin(["reserve", "ready"])]
    sums = frame.groupby("park")["file_area_m2"].sum() / sr.M2_PER_MU
    return {code: float(sums.get(code, 0.0)) for code in sr.PARK_CODES}


def vacant_floor_by_park(today) -> dict[str, float]:
    """Each park's vacant standard-factory floor on *today* (m²)."""
    floors = floors_today(today)
    sums = floors.groupby("park")["vacant_m2"].sum()
    return {code: float(sums.get(code, 0.0)) for code in sr.PARK_CODES}


def sample_targets() -> dict[str, tuple[float, float]]:
    """The ``targets`` table of the sample: park -> (min_reserve_mu, min_vacant_floor_m2)."""
    frame = sr.layer("targets")
    return {
        r.park: (float(r.min_reserve_mu), float(r.min_vacant_floor_m2))
        for r in frame.itertuples(index=False)
    }


def supplied_in(year: int) -> pd.DataFrame:
    """The sample's parcels supplied in *year* (by their ``supplied_on``)."""
    frame = parcels()
    on = pd.to_datetime(frame["supplied_on"], errors="coerce")
    return frame[on.dt.year == year]

"""How an imported file differs from the parcels as they stand: new, changed (by kind),
unchanged, missing — and the operations that would make the standing parcels say what
the file says.

Plain functions on plain data; geometry in the storage CRS (planar metres, EPSG:4545 by
default), as shapely geometries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import shapely

#: The kinds a changed parcel can change by, in the order a changed parcel lists them
#: (:func:`operations` orders the operations themselves).
CHANGE_KINDS: tuple[str, ...] = ("rezone", "reshape", "set_status", "supply")
#: Their Chinese names.
CHANGE_KIND_NAMES_ZH: dict[str, str] = {
    "rezone": "改变用途",
    "reshape": "调整界址",
    "set_status": "状态变更",
    "supply": "供地",
}


@dataclass(frozen=True, slots=True)
class IncomingParcel:
    """One feature of the file, mapped and translated. None means "the file does not say"
    (an unmapped field or an empty value): the standing value is kept."""

    row: int
    parcel_code: str
    park: str | None
    land_use_code: str
    geometry: Any  # shapely Polygon/MultiPolygon, storage CRS
    status: str | None = None
    holder: str | None = None
    supply_mode: str | None = None
    supplied_on: date | None = None
    declared_area_m2: float | None = None


@dataclass(frozen=True, slots=True)
class StandingParcel:
    """A parcel as it currently stands (its current version)."""

    parcel_code: str
    park: str
    land_use_code: str
    status: str
    holder: str | None
    supply_mode: str | None
    supplied_on: date | None
    geometry: Any  # shapely MultiPolygon, storage CRS
    area_m2: float


@dataclass(frozen=True, slots=True)
class ChangedParcel:
    """A standing parcel the file changes: by which kinds, and the values before/after
    (only the fields that change; ``area_m2`` when the shape does)."""

    row: int
    parcel_code: str
    kinds: tuple[str, ...]
    before: dict[str, Any]
    after: dict[str, Any]


@dataclass
class ImportDiff:
    """The whole comparison. Codes are listed in file order (missing: in code order)."""

    new: list[str] = field(default_factory=list)
    changed: list[ChangedParcel] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    #: The status new parcels are registered with when the file gives none (``--status``).
    default_status: str = "reserve"

    def counts(self) -> dict[str, Any]:
        """``{"new": n, "changed": {"total": n, "rezone": n, ...}, "unchanged": n,
        "missing": n}`` — every change kind present, zero or not."""
        by_kind = {kind: 0 for kind in CHANGE_KINDS}
        for parcel in self.changed:
            for kind in parcel.kinds:
                by_kind[kind] += 1
        return {
            "new": len(self.new),
            "changed": {"total": len(self.changed), **by_kind},
            "unchanged": len(self.unchanged),
            "missing": len(self.missing),
        }


# --- comparing a file with the standing parcels ------------------------------------------------

#: How far apart (m) two boundaries may be and still be one shape: coordinates that went
#: through EPSG:4326 and back, or were rounded to the millimetre, move by far less.
GEOMETRY_TOLERANCE_M: float = 0.01


def compare(
    incoming: list[IncomingParcel],
    standing: dict[str, StandingParcel],
    *,
    default_status: str = "reserve",
    geometry_tolerance_m: float = GEOMETRY_TOLERANCE_M,
) -> ImportDiff:
    """How the file's parcels (*incoming*, in file order) differ from the *standing* ones
    (code → parcel; the caller leaves retired parcels out and reports their codes itself).

    * new: codes that don't stand (registered in the file's park — the caller fills a
      feature's park from ``--park``, a field or the park boundary before comparing — with
      their status, else *default_status*, which the diff keeps for :func:`operations`);
    * changed, by kind (:data:`CHANGE_KINDS`): ``rezone`` — another land-use class;
      ``reshape`` — another shape (:func:`same_shapes`; ``area_m2`` before/after);
      ``supply`` — a holder, supply mode or supply date the file gives and the parcel
      doesn't have; ``set_status`` — a status the file gives that the parcel doesn't
      have, unless a supply brings it (a supply makes a parcel ``supplied``). Values the
      file doesn't give (None) are kept, never compared. ``before``/``after`` hold only
      the fields that change;
    * unchanged: the standing codes the file leaves as they are;
    * missing: standing codes the file doesn't have, sorted.

    A code on more than one feature is compared once, on its first (duplicates are a
    blocking problem of their own). The park is not compared: an import moves no parcel
    between parks (``park_differs``). Geometries are compared in one vectorised pass, so
    100,000 parcels take seconds.
    """
    diff = ImportDiff(default_status=default_status)
    seen: set[str] = set()
    pairs: list[tuple[IncomingParcel, StandingParcel]] = []
    for parcel in incoming:
        if parcel.parcel_code in seen:
            continue
        seen.add(parcel.parcel_code)
        current = standing.get(parcel.parcel_code)
        if current is None:
            diff.new.append(parcel.parcel_code)
        else:
            pairs.append((parcel, current))
    same = same_shapes(
        [p.geometry for p, _ in pairs],
        [s.geometry for _, s in pairs],
        tolerance_m=geometry_tolerance_m,
    )
    reshaped = [n for n, equal in enumerate(same) if not equal]
    new_areas = dict(
        zip(
            reshaped,
            shapely.area(_objects([pairs[n][0].geometry for n in reshaped])).tolist(),
            strict=True,
        )
    )
    for n, (parcel, current) in enumerate(pairs):
        kinds, before, after = _changes(parcel, current, reshaped_area_m2=new_areas.get(n))
        if kinds:
            diff.changed.append(
                ChangedParcel(
                    row=parcel.row,
                    parcel_code=parcel.parcel_code,
                    kinds=kinds,
                    before=before,
                    after=after,
                )
            )
        else:
            diff.unchanged.append(parcel.parcel_code)
    diff.missing = sorted(set(standing) - seen)
    return diff


def _changes(
    parcel: IncomingParcel, current: StandingParcel, *, reshaped_area_m2: float | None
) -> tuple[tuple[str, ...], dict[str, Any], dict[str, Any]]:
    """The kinds by which *parcel* changes *current*, and the fields before and after."""
    kinds: list[str] = []
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    if parcel.land_use_code != current.land_use_code:
        kinds.append("rezone")
        before["land_use_code"], after["land_use_code"] = (
            current.land_use_code,
            parcel.land_use_code,
        )
    if reshaped_area_m2 is not None:
        kinds.append("reshape")
        before["area_m2"], after["area_m2"] = current.area_m2, reshaped_area_m2
    supply_fields = [
        name
        for name in ("holder", "supply_mode", "supplied_on")
        if getattr(parcel, name) is not None and getattr(parcel, name) != getattr(current, name)
    ]
    status_after_supply = SUPPLIED_STATUS if supply_fields else current.status
    if parcel.status is not None and parcel.status != status_after_supply:
        kinds.append("set_status")
        before["status"], after["status"] = current.status, parcel.status
    if supply_fields:
        kinds.append("supply")
        for name in supply_fields:
            before[name], after[name] = getattr(current, name), getattr(parcel, name)
    return tuple(k for k in CHANGE_KINDS if k in kinds), before, after


#: The status a supply leaves a parcel in (``parks.vocabulary.ParcelStatus.SUPPLIED``).
SUPPLIED_STATUS = "supplied"


def same_shapes(a: list[Any], b: list[Any], *, tolerance_m: float) -> np.ndarray:
    """Element-wise: is ``a[n]`` the same shape as ``b[n]`` within *tolerance_m*?

    Both are normalised (ring order, start vertex and orientation don't matter; a Polygon
    and the one-part MultiPolygon of it are one shape) and compared vertex by vertex
    within the tolerance; the pairs that differ so are then compared by their Hausdorff
    distance (each one's vertices to the other's boundary), so a boundary whose vertices
    moved a hair through EPSG:4326 and back, lost a vertex in the middle of a straight
    edge, or starts elsewhere still counts as unchanged. None or empty is never the same.
    """
    left, right = _multi(_objects(a)), _multi(_objects(b))
    same = np.zeros(len(left), dtype=bool)
    present = ~(shapely.is_missing(left) | shapely.is_missing(right))
    present[present] = ~(shapely.is_empty(left[present]) | shapely.is_empty(right[present]))
    if not present.any():
        return same
    same[present] = shapely.equals_exact(
        shapely.normalize(left[present]), shapely.normalize(right[present]), tolerance_m
    )
    unsure = np.flatnonzero(present & ~same)
    if len(unsure):
        distance = shapely.hausdorff_distance(left[unsure], right[unsure])
        same[unsure] = distance <= tolerance_m
    return same


def operations(
    diff: ImportDiff,
    incoming_by_code: dict[str, IncomingParcel],
    standing: dict[str, StandingParcel],
    *,
    retire_missing: bool = False,
) -> list[dict[str, Any]]:
    """The operations that make the standing parcels say what the file says, as the
    change set's operation dicts (``parks.operations`` field names) with two differences
    the service resolves: a ``geometry`` is a shapely geometry in the storage CRS (not
    GeoJSON), and ``supply``/``register`` carry the file's ``supplied_on`` (and a register
    its ``supply_mode``) when it gives them.

    In this order, so that each operation finds the land it needs: ``retire`` (the missing
    codes, only with *retire_missing*), ``reshape`` (those that shrink a parcel most first,
    so land a neighbour grows into is freed before), ``rezone``, ``supply`` (a supply needs
    land the city still holds, so it comes before the status the file gives:
    reserve → supplied → operating), ``set_status``, then ``register`` for the new codes in
    file order. A supply takes the file's holder and mode, else the parcel's own; its
    ``mode`` is None when neither says one (the caller reports it).
    """
    ops: list[dict[str, Any]] = []
    if retire_missing:
        ops.extend({"op": "retire", "parcel_code": code} for code in diff.missing)
    by_kind: dict[str, list[ChangedParcel]] = {kind: [] for kind in CHANGE_KINDS}
    for parcel in diff.changed:
        for kind in parcel.kinds:
            by_kind[kind].append(parcel)
    for parcel in sorted(
        by_kind["reshape"], key=lambda p: p.after["area_m2"] - p.before["area_m2"]
    ):
        ops.append(
            {
                "op": "reshape",
                "parcel_code": parcel.parcel_code,
                "geometry": incoming_by_code[parcel.parcel_code].geometry,
            }
        )
    for parcel in by_kind["rezone"]:
        ops.append(
            {
                "op": "rezone",
                "parcel_code": parcel.parcel_code,
                "land_use_code": parcel.after["land_use_code"],
            }
        )
    for parcel in by_kind["supply"]:
        file, current = incoming_by_code[parcel.parcel_code], standing[parcel.parcel_code]
        op = {
            "op": "supply",
            "parcel_code": parcel.parcel_code,
            "holder": file.holder if file.holder is not None else current.holder,
            "mode": file.supply_mode if file.supply_mode is not None else current.supply_mode,
        }
        if file.supplied_on is not None:
            op["supplied_on"] = file.supplied_on
        ops.append(op)
    for parcel in by_kind["set_status"]:
        ops.append(
            {
                "op": "set_status",
                "parcel_code": parcel.parcel_code,
                "status": parcel.after["status"],
            }
        )
    for code in diff.new:
        file = incoming_by_code[code]
        op = {
            "op": "register",
            "parcel_code": code,
            "park": file.park,
            "land_use_code": file.land_use_code,
            "status": file.status if file.status is not None else diff.default_status,
            "holder": file.holder,
            "geometry": file.geometry,
        }
        if file.supply_mode is not None:
            op["supply_mode"] = file.supply_mode
        if file.supplied_on is not None:
            op["supplied_on"] = file.supplied_on
        ops.append(op)
    return ops


def _objects(geoms: list[Any]) -> np.ndarray:
    array = np.empty(len(geoms), dtype=object)
    array[:] = list(geoms)
    return array


def _multi(array: np.ndarray) -> np.ndarray:
    """*array* with each Polygon as the one-part MultiPolygon of it (a standing parcel is
    stored as a MultiPolygon; a file's is often a Polygon)."""
    out = array.copy()
    polygons = np.flatnonzero(shapely.get_type_id(array) == 3)
    if len(polygons):
        out[polygons] = shapely.multipolygons(array[polygons], indices=np.arange(len(polygons)))
    return out

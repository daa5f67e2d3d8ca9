"""A change set's dry run: what committing it would do, with nothing stored.

The change set is applied by the very code that applies it for real
(:func:`service.changes.apply.stage_change_set`: the ledger lock, every operation, the
rule judged exactly) in a transaction that is then rolled back — no change set, no ledger
row, no refusal row is left behind (a sequence may have advanced). While the transaction
is open the new versions' shapes are read for the editor's map; everything else is read
after it ended, so the ledger lock is held no longer than applying takes:

* ``verdict``: ``would_commit``, ``refused_by_rule`` or ``invalid``;
* ``operations``: each applied operation's ``before`` and ``after`` parcel versions (as a
  change set records them) with ``area_mu`` and ``geometry`` (GeoJSON, EPSG:4326; null
  for a version a later operation of the same change set removed);
* ``manufacturing``: the city's and each touched park's manufacturing land before and
  after, the change, and the floor the rule holds it to (``floor_m2``: the high-water
  mark; a park's only when the per-park floor is the policy, else null) — m² and 亩;
  of the operations that could be applied when others are invalid; null when no
  operation ran (the change set is beyond the input limits);
* ``refusal``: the body the 409 ``manufacturing_land_would_decrease`` would carry;
* ``problems``: the operations that cannot be applied (verdict ``invalid``);
* ``targets``: each touched park's reserve-land target (``service.planning.targets``) with
  the reserve (reserve and ready land, 亩) before and after. Read just after the
  transaction: "before" is the land as it then stands, "after" adds the change set's own
  change to it;
* ``compensation_candidates`` (only when refused by the rule): up to five standing parcels
  whose rezoning to a manufacturing class would cover the shortfall on its own —
  not manufacturing, reserve or ready, in the refused park (any park for the city),
  at least the shortfall in area, not touched by the change set; smallest sufficient
  first (the availability search's ranking by area fit). ``covers_m2``: the
  manufacturing land its rezoning adds (its area, ≥ the shortfall).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, text

from parks.errors import InvalidChangeSet, ManufacturingLandWouldDecrease, Problem
from parks.limits import InputLimits
from parks.operations import ChangeSetRequest
from parks.rule import CITY, Standing
from parks.units import M2_PER_MU
from parks.vocabulary import AVAILABLE_STATUSES
from service.audit.queries import totals_as_of
from service.changes.apply import stage_change_set
from service.changes.session import PendingRule
from service.db.sqlfiles import sql
from service.planning.availability import search
from service.planning.criteria import Criteria
from service.planning.targets import TOLERANCE

WOULD_COMMIT, REFUSED_BY_RULE, INVALID = "would_commit", "refused_by_rule", "invalid"
#: How many compensation candidates a refused dry run offers.
MAX_CANDIDATES = 5
#: Decimals of the GeoJSON the dry run returns (1e-7° is about a centimetre).
PRECISION = 7


@dataclass
class DryRun:
    """What committing a change set would do (see the module docstring for each part)."""

    verdict: str
    operations: list[dict[str, Any]] = field(default_factory=list)
    manufacturing: dict[str, Any] | None = None
    refusal: dict[str, Any] | None = None
    problems: list[dict[str, Any]] = field(default_factory=list)
    targets: list[dict[str, Any]] = field(default_factory=list)
    compensation_candidates: list[dict[str, Any]] = field(default_factory=list)
    #: The rule's refusal itself (its body is :attr:`refusal`).
    refused: ManufacturingLandWouldDecrease | None = field(default=None, repr=False)

    def error(self) -> InvalidChangeSet | ManufacturingLandWouldDecrease | None:
        """What applying the change set would raise: its problems or the rule's refusal."""
        if self.verdict == INVALID:
            return InvalidChangeSet([Problem(p["operation"], p["message"]) for p in self.problems])
        return self.refused

    def body(self) -> dict[str, Any]:
        """The API's (and the CLI's ``--json``) body."""
        return {
            "verdict": self.verdict,
            "operations": self.operations,
            "manufacturing": self.manufacturing,
            "refusal": self.refusal,
            "problems": self.problems,
            "targets": self.targets,
            "compensation_candidates": self.compensation_candidates,
        }

    def basis(self) -> dict[str, int | None]:
        """Each parcel code the change set touches and the version it found standing
        (None: a code it creates, which must be unused), in the order met."""
        return basis_of(self.operations)

    def parks(self) -> list[str]:
        """The parks the change set touches, sorted."""
        return parks_of(self.operations)


def basis_of(operations: list[dict[str, Any]]) -> dict[str, int | None]:
    """Of a dry run's *operations*: each parcel code met and the version id the first
    operation meeting it found (None when it first appears as made by the change set)."""
    basis: dict[str, int | None] = {}
    for operation in operations:
        for version in operation["before"]:
            basis.setdefault(version["parcel_code"], version["version_id"])
        for version in operation["after"]:
            basis.setdefault(version["parcel_code"], None)
    return basis


def parks_of(operations: list[dict[str, Any]]) -> list[str]:
    """The parks of every version a dry run's *operations* name, sorted."""
    return sorted({v["park"] for op in operations for v in op["before"] + op["after"]})


def dry_run(
    engine: Engine,
    request: ChangeSetRequest,
    *,
    actor: str,
    storage_srid: int,
    timezone: str = "Asia/Shanghai",
    limits: InputLimits | None = None,
    parks: tuple[str, ...] | list[str] = (),
) -> DryRun:
    """Dry-run *request* as *actor* limited to *parks* (empty: every park); see the module
    docstring. Raises :class:`~parks.errors.ParkOutOfScope` when an operation touches
    another park, and the database's error on a race; never stores anything."""
    with engine.connect() as conn:
        transaction = conn.begin()
        try:
            staged = stage_change_set(
                conn,
                request,
                actor=actor,
                storage_srid=storage_srid,
                timezone=timezone,
                limits=limits,
                parks=parks,
            )
            shapes = _shapes(conn, staged.effects)
        except InvalidChangeSet as exc:  # beyond the input limits: nothing ran
            return DryRun(verdict=INVALID, problems=[p.as_dict() for p in exc.problems])
        finally:
            transaction.rollback()
        operations = [_operation(effect, shapes) for effect in staged.effects]
        touched = parks_of(operations)
        refusal = staged.refusal
        if staged.problems:
            verdict = INVALID
        elif refusal is not None:
            verdict = REFUSED_BY_RULE
        else:
            verdict = WOULD_COMMIT
        return DryRun(
            verdict=verdict,
            operations=operations,
            manufacturing=_manufacturing(staged.rule, touched),
            refusal=refusal.body() if refusal is not None else None,
            refused=refusal,
            problems=[p.as_dict() for p in staged.problems],
            targets=_targets(conn, operations, touched),
            compensation_candidates=(
                _candidates(conn, refusal, basis_of(operations), storage_srid=storage_srid)
                if refusal is not None and not staged.problems
                else []
            ),
        )


# --- parts ------------------------------------------------------------------------------


def _shapes(conn: Connection, effects: list[dict[str, Any]]) -> dict[int, Any]:
    """version id -> GeoJSON geometry (EPSG:4326) of every version the effects name."""
    ids = sorted({v["version_id"] for e in effects for v in e["before"] + e["after"]})
    if not ids:
        return {}
    rows = conn.execute(
        text(sql("service.sql", "dry_run_geometries.sql")), {"ids": ids, "precision": PRECISION}
    )
    return {row.version_id: json.loads(row.geojson) for row in rows}


def _operation(effect: dict[str, Any], shapes: dict[int, Any]) -> dict[str, Any]:
    def version(v: dict[str, Any]) -> dict[str, Any]:
        return {
            **v,
            "area_mu": round(v["area_m2"] / M2_PER_MU, 6),
            "geometry": shapes.get(v["version_id"]),
        }

    return {
        "operation": effect["operation"],
        "op": effect["op"],
        "before": [version(v) for v in effect["before"]],
        "after": [version(v) for v in effect["after"]],
    }


def _figures(before_m2: float, delta_m2: float, floor_m2: float | None) -> dict[str, Any]:
    after_m2 = before_m2 + delta_m2
    return {
        "before_m2": round(before_m2, 4),
        "after_m2": round(after_m2, 4),
        "delta_m2": round(delta_m2, 4),
        "before_mu": round(before_m2 / M2_PER_MU, 6),
        "after_mu": round(after_m2 / M2_PER_MU, 6),
        "delta_mu": round(delta_m2 / M2_PER_MU, 6),
        "floor_m2": None if floor_m2 is None else round(floor_m2, 4),
    }


def _manufacturing(rule: PendingRule, touched: list[str]) -> dict[str, Any]:
    parks = {}
    for park in sorted(set(touched) | set(rule.delta_by_park)):
        standing = rule.parks.get(park, Standing(0.0, 0.0))
        floor = standing.high_water_m2 if rule.per_park_floor else None
        parks[park] = _figures(standing.total_m2, rule.delta_by_park.get(park, 0.0), floor)
    city = _figures(rule.city.total_m2, sum(rule.delta_by_park.values()), rule.city.high_water_m2)
    return {"city": city, "parks": parks}


def _targets(
    conn: Connection, operations: list[dict[str, Any]], touched: list[str]
) -> list[dict[str, Any]]:
    """Each touched park's reserve target, with its reserve land before and after.

    "Before" is the land standing now by park and status as the database's totals keep it
    (``service.audit.queries.totals_as_of``: snapshots and per-change-set effects, a few
    hundred rows whatever the size of the city), not a sum over the parks' parcels."""
    change_m2: dict[str, float] = dict.fromkeys(touched, 0.0)
    for operation in operations:
        for sign, side in ((-1.0, "before"), (1.0, "after")):
            for v in operation[side]:
                if v["status"] in AVAILABLE_STATUSES:
                    change_m2[v["park"]] += sign * v["area_m2"]
    if not change_m2:
        return []
    reserve_m2 = dict.fromkeys(change_m2, 0.0)
    standing = totals_as_of(conn, as_of=datetime.now(UTC), group_by=["park", "status"])
    for row in standing["rows"]:
        if row["park"] in reserve_m2 and row["status"] in AVAILABLE_STATUSES:
            reserve_m2[row["park"]] += row["area_m2"]
    minimums = {
        r.park: float(r.min_reserve_mu)
        for r in conn.execute(
            text("SELECT park, min_reserve_mu FROM target WHERE park = ANY(:parks)"),
            {"parks": sorted(change_m2)},
        )
    }
    out = []
    for park in sorted(change_m2):
        target_mu = minimums.get(park, 0.0)
        before_mu = reserve_m2[park] / M2_PER_MU
        after_mu = before_mu + change_m2[park] / M2_PER_MU
        out.append(
            {
                "park": park,
                "target_set": park in minimums,
                "target_mu": target_mu,
                "before_mu": round(before_mu, 4),
                "after_mu": round(after_mu, 4),
                "met_before": target_mu - before_mu <= TOLERANCE,
                "met_after": target_mu - after_mu <= TOLERANCE,
            }
        )
    return out


def _candidates(
    conn: Connection,
    refusal: ManufacturingLandWouldDecrease,
    basis: dict[str, int | None],
    *,
    storage_srid: int,
) -> list[dict[str, Any]]:
    """Up to :data:`MAX_CANDIDATES` parcels whose rezoning would cover the shortfall, by
    the availability search (``service.planning.availability``)."""
    shortfall_m2 = refusal.shortfall_m2
    classes = tuple(
        conn.execute(text(sql("service.sql", "dry_run_rezonable_classes.sql"))).scalars()
    )
    if not classes:
        return []
    criteria = Criteria(
        park=None if refusal.scope == CITY else refusal.scope,
        min_area_mu=shortfall_m2 / M2_PER_MU,
        land_uses=classes,
        limit=MAX_CANDIDATES + len(basis),  # the change set's own parcels are left out
    )
    found = search(conn, criteria, storage_srid=storage_srid)["features"]
    codes = [f["properties"]["parcel_code"] for f in found]
    exact = dict(
        conn.execute(
            text(
                "SELECT parcel_code, area_m2 FROM parcel_version "
                "WHERE valid_to IS NULL AND parcel_code = ANY(:codes)"
            ),
            {"codes": codes},
        ).all()
    )
    out = []
    for feature in found:
        p = feature["properties"]
        code = p["parcel_code"]
        area_m2 = exact.get(code)
        if code in basis or area_m2 is None or area_m2 < shortfall_m2:
            continue
        out.append(
            {
                "parcel_code": code,
                "park": p["park"],
                "land_use_code": p["land_use_code"],
                "status": p["status"],
                "area_m2": round(area_m2, 4),
                "area_mu": round(area_m2 / M2_PER_MU, 6),
                "covers_m2": round(area_m2, 4),
            }
        )
    return out[:MAX_CANDIDATES]

"""Opening a change set inside a transaction, and judging it before commit."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

from parks.errors import ManufacturingLandWouldDecrease
from parks.rule import Standing, judge
from parks.units import AREA_TOLERANCE_M2
from service.db.sqlfiles import sql


@dataclass(frozen=True, slots=True)
class ProposalOrigin:
    """The proposal a change set applies (approved by the change set's actor)."""

    id: int
    proposed_by: str
    proposed_at: datetime


@dataclass(frozen=True, slots=True)
class OpenChangeSet:
    """The change set this transaction records: its id and the moment its versions are
    valid from."""

    id: int
    at: datetime


def open_change_set(
    conn: Connection,
    *,
    kind: str,
    reason: str,
    actor: str,
    document_no: str | None = None,
    operations: Any = (),
    proposal: ProposalOrigin | None = None,
) -> OpenChangeSet:
    """Take the city's ledger lock and insert the change set (applying *proposal*, when
    given: its id, proposer and time are recorded beside the actor, who approved it).

    The lock makes change sets commit one at a time, so each one's timestamp (taken after
    the lock) is later than every committed one's and the ledger's order is the time order.
    """
    values = {
        "kind": kind,
        "reason": reason,
        "document_no": document_no,
        "actor": actor,
        "operations": json.dumps(list(operations), ensure_ascii=False, default=str),
    }
    if proposal is not None:
        values |= {
            "proposal_id": proposal.id,
            "proposed_by": proposal.proposed_by,
            "proposed_at": proposal.proposed_at,
        }
    # The proposal's columns only when there is one: a database still on an older revision
    # (one being upgraded with its history) records change sets as it did.
    columns = ", ".join(values)
    placeholders = ", ".join(
        "CAST(:operations AS jsonb)" if name == "operations" else f":{name}" for name in values
    )
    # One round trip: the row is made from the lock's CTE, so the lock is held before the
    # row (and the moment change_set_written_now gives it) exists.
    row = conn.execute(
        text(
            "WITH locked AS (SELECT rule_take_ledger_lock()) "
            f"INSERT INTO change_set ({columns}) SELECT {placeholders} FROM locked "
            "RETURNING id, committed_at"
        ),
        values,
    ).one()
    return OpenChangeSet(id=row.id, at=row.committed_at)


@dataclass(frozen=True)
class PendingRule:
    """What the rule judges this transaction's changes by: the city's and each park's
    standing as the last ledger row recorded it, the changes in manufacturing land the
    triggers collected (``rule_pending``) by park and by parcel, and the policy."""

    city: Standing
    parks: dict[str, Standing]
    delta_by_park: dict[str, float]
    delta_by_parcel: dict[str, float]
    parcel_park: dict[str, str]
    per_park_floor: bool
    tolerance_m2: float

    def judge(self) -> ManufacturingLandWouldDecrease | None:
        """The rule's refusal of these changes, or None (:func:`parks.rule.judge`)."""
        if not self.delta_by_parcel:
            return None
        return judge(
            city=self.city,
            parks=self.parks,
            delta_by_park=self.delta_by_park,
            delta_by_parcel=self.delta_by_parcel,
            parcel_park=self.parcel_park,
            per_park_floor=self.per_park_floor,
            tolerance_m2=self.tolerance_m2,
        )


def pending_rule(conn: Connection) -> PendingRule:
    """Read what the rule judges this transaction's changes by (:class:`PendingRule`);
    exact when the caller holds the ledger lock. One round trip."""
    row = conn.execute(text(sql("service.sql", "change_pending_rule.sql"))).one()
    last = row if row.total_city_m2 is not None else None
    city = Standing(last.total_city_m2, last.high_water_city_m2) if last else Standing(0.0, 0.0)
    parks = {}
    if last:
        parks = {
            code: Standing(float(total), float(last.high_water_parks.get(code, 0.0)))
            for code, total in last.total_parks.items()
        }
    delta_by_park: dict[str, float] = {}
    delta_by_parcel: dict[str, float] = {}
    parcel_park: dict[str, str] = {}
    for park, parcel_code, delta in zip(
        row.parks or (), row.parcel_codes or (), row.deltas_m2 or (), strict=True
    ):
        delta_by_park[park] = delta_by_park.get(park, 0.0) + delta
        delta_by_parcel[parcel_code] = delta_by_parcel.get(parcel_code, 0.0) + delta
        parcel_park[parcel_code] = park
    return PendingRule(
        city=city,
        parks=parks,
        delta_by_park=delta_by_park,
        delta_by_parcel=delta_by_parcel,
        parcel_park=parcel_park,
        per_park_floor=row.per_park_floor,
        tolerance_m2=row.tolerance_m2,
    )


def precheck(conn: Connection) -> ManufacturingLandWouldDecrease | None:
    """Judge this transaction's changes by the rule before committing.

    Reads what the triggers collected (``rule_pending``), the last ledger row and the
    policy row the database judges by (its tolerance is the application's once
    :func:`sync_policy` ran); exact because the caller holds the ledger lock. The database
    judges again at commit.
    """
    return pending_rule(conn).judge()


#: Who and why a change of the policy by the service's settings is recorded with.
POLICY_ACTOR = "parks service"
POLICY_REASON = "the service's settings: the rule's per-park floor and area tolerance"


def sync_policy(
    conn: Connection,
    *,
    per_park_floor: bool | None = None,
    tolerance_m2: float = AREA_TOLERANCE_M2,
    actor: str = POLICY_ACTOR,
    reason: str = POLICY_REASON,
) -> bool:
    """Write the application's policy into the row the database's commit trigger judges by
    (``rule_policy``): the area tolerance — :data:`parks.units.AREA_TOLERANCE_M2`, its one
    home; the migrations only seed the row — and, when given, the per-park-floor setting.
    A change is a change set of kind ``rule_policy`` by *actor* for *reason* (the database's
    ``admin_set_rule_policy``, which takes the ledger lock for it; the caller commits). A
    transaction records one change set: call this in a transaction of its own, or after the
    transaction opened its change set (which then records the change too). True when the
    row changed."""
    change_set_id = conn.execute(
        text(sql("service.sql", "rule_policy_sync.sql")),
        {"flag": per_park_floor, "tolerance": tolerance_m2, "actor": actor, "reason": reason},
    ).scalar_one()
    return change_set_id is not None

"""The one path that writes an import, used by its dry run (then rolled back) and by its
apply (then committed): inside an open change set, three set-based statements from the
staged features — end the standing versions it replaces (and retires), insert their next
versions, register the new parcels — then the rule's judgement (``precheck``, exact under
the ledger lock) and the effect on each park's manufacturing land and reserve.

The statement-level triggers on ``parcel_version`` (service/db/sql/rule.sql, effects.sql,
migration 0008) keep the rule's pending deltas, the totals' effects and the stored
features right for these bulk writes as for any other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, text

from parks.errors import ManufacturingLandWouldDecrease
from parks.units import M2_PER_MU
from parks.vocabulary import AVAILABLE_STATUSES
from service.changes.session import OpenChangeSet, precheck
from service.db.sqlfiles import sql
from service.imports.outcome import RuleEffect


@dataclass(frozen=True)
class Written:
    """How many versions the import ended, continued and registered."""

    ended: int
    continued: int
    registered: int

    @property
    def anything(self) -> bool:
        return bool(self.ended or self.continued or self.registered)


@dataclass(frozen=True)
class Standing:
    """Manufacturing land (m²) as the last ledger row has it, the city's and each park's;
    and each park's reserve land (m²) with its reserve target (亩)."""

    city_m2: float
    parks_m2: dict[str, float]
    reserve_m2: dict[str, float]
    reserve_targets: dict[str, dict[str, Any]]


def ledger_head(conn: Connection) -> int:
    """The ledger's last sequence number (0 when empty)."""
    return int(conn.execute(text("SELECT last_seq FROM ledger_head WHERE id")).scalar_one())


def standing_totals(conn: Connection) -> Standing:
    """What the land stands at now: the last ledger row's totals and each park's reserve."""
    last = conn.execute(
        text("SELECT total_city_m2, total_parks FROM ledger ORDER BY seq DESC LIMIT 1")
    ).one_or_none()
    reserve = conn.execute(
        text(sql("service.sql", "import_reserve_by_park.sql")),
        {"statuses": sorted(AVAILABLE_STATUSES)},
    ).all()
    return Standing(
        city_m2=float(last.total_city_m2) if last else 0.0,
        parks_m2={k: float(v) for k, v in (last.total_parks if last else {}).items()},
        reserve_m2={r.park: float(r.reserve_m2) for r in reserve},
        reserve_targets={
            r.park: {"target_set": bool(r.target_set), "min_reserve_mu": float(r.min_reserve_mu)}
            for r in reserve
        },
    )


def write_import(
    conn: Connection,
    *,
    import_id: int,
    change_set: OpenChangeSet,
    retire: list[str],
    default_status: str,
    today: date,
) -> Written:
    """Write import *import_id*'s staged features (those not skipped) as versions of
    *change_set*: end the versions of the changed codes and of *retire*, insert the changed
    codes' next versions, register the new codes. The caller commits or rolls back."""
    params = {
        "import_id": import_id,
        "change_set_id": change_set.id,
        "at": change_set.at,
        "today": today,
    }
    ended = conn.execute(
        text(sql("service.sql", "import_apply_close.sql")), {**params, "retire": retire}
    ).rowcount
    continued = conn.execute(text(sql("service.sql", "import_apply_next.sql")), params).rowcount
    registered = conn.execute(
        text(sql("service.sql", "import_apply_new.sql")),
        {**params, "default_status": default_status},
    ).rowcount
    return Written(ended=ended, continued=continued, registered=registered)


def judge(conn: Connection, *, before: Standing) -> RuleEffect:
    """The rule's judgement of what this transaction wrote (exact: the caller holds the
    ledger lock) and its effect: the city's and each park's manufacturing land before and
    after, and each park's reserve against its target before and after."""
    refusal: ManufacturingLandWouldDecrease | None = precheck(conn)
    deltas = {
        r.park: float(r.delta_m2)
        for r in conn.execute(text(sql("service.sql", "import_rule_deltas.sql")))
    }
    after = standing_totals(conn)
    return effect_of(before=before, deltas=deltas, reserve_after=after.reserve_m2, refusal=refusal)


def effect_of(
    *,
    before: Standing,
    deltas: dict[str, float],
    reserve_after: dict[str, float],
    refusal: ManufacturingLandWouldDecrease | None,
) -> RuleEffect:
    """The :class:`RuleEffect` of per-park *deltas* on *before* (no deltas: no effect)."""
    parks = sorted(set(before.parks_m2) | set(deltas) | set(before.reserve_m2))
    parks_before = {p: before.parks_m2.get(p, 0.0) for p in parks}
    parks_after = {p: parks_before[p] + deltas.get(p, 0.0) for p in parks}
    delta = sum(deltas.values())
    targets = []
    for park in parks:
        target = before.reserve_targets.get(park, {"target_set": False, "min_reserve_mu": 0.0})
        reserve_before_mu = before.reserve_m2.get(park, 0.0) / M2_PER_MU
        reserve_after_mu = reserve_after.get(park, 0.0) / M2_PER_MU
        minimum = target["min_reserve_mu"]
        targets.append(
            {
                "park": park,
                "target_set": target["target_set"],
                "min_reserve_mu": minimum,
                "reserve_before_mu": round(reserve_before_mu, 4),
                "reserve_after_mu": round(reserve_after_mu, 4),
                "reserve_delta_mu": round(reserve_after_mu - reserve_before_mu, 4),
                "met_before": reserve_before_mu + 1e-6 >= minimum,
                "met_after": reserve_after_mu + 1e-6 >= minimum,
            }
        )
    return RuleEffect(
        delta_m2=delta,
        total_before_m2=before.city_m2,
        total_after_m2=before.city_m2 + delta,
        parks_before_m2=parks_before,
        parks_after_m2=parks_after,
        would_refuse=refusal is not None,
        shortfall_m2=refusal.shortfall_m2 if refusal is not None else 0.0,
        refusal=refusal.body() if refusal is not None else None,
        targets=targets,
    )

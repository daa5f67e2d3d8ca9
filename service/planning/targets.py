"""The targets each park must keep (动态保持一定数量的建设用地储备和标准化厂房): a minimum of
reserve land ready to supply (亩) and a minimum of vacant standard-factory floor (m²), kept
as data in table ``target`` and compared with the actual figures.

* reserve land = the planar area (storage CRS, EPSG:4545) of the current parcels whose
  status is ``reserve`` or ``ready``, of any class, in 亩;
* vacant floor = over the park's standard factory buildings, floor area minus the area of
  the leases in force today (the database's ``current_date``), in m².

A target is met when the actual figure reaches it; a park without a target row counts as
met with targets 0 and says so (``target_set: false``).
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import Connection, text

from parks.errors import InvalidParameter, NotFound
from parks.units import M2_PER_MU
from parks.vocabulary import AVAILABLE_STATUSES
from service.db.sqlfiles import sql

#: The fields a target has, and the largest value each accepts.
FIELDS: dict[str, float] = {"min_reserve_mu": 1e7, "min_vacant_floor_m2": 1e10}
#: Shortfalls smaller than this are rounding, not a shortfall (亩 and m²).
TOLERANCE = 1e-6


def target_status(conn: Connection) -> list[dict[str, Any]]:
    """Per park (sorted by code): ``park``, ``name_zh``, ``name_en``, ``target_set``,
    ``min_reserve_mu``, ``actual_reserve_mu``, ``reserve_met``, ``reserve_short_mu``,
    ``min_vacant_floor_m2``, ``actual_vacant_floor_m2``, ``floor_met``, ``floor_short_m2``,
    ``met`` (both), ``updated_at``, ``updated_by``, ``on_date``. A shortfall is 0 when met."""
    rows = conn.execute(
        text(sql("service.sql", "planning_target_status.sql")),
        {"statuses": sorted(AVAILABLE_STATUSES)},
    ).mappings()
    out = []
    for r in rows:
        reserve_mu = float(r["reserve_m2"]) / M2_PER_MU
        vacant_m2 = float(r["vacant_floor_m2"])
        min_reserve, min_floor = float(r["min_reserve_mu"]), float(r["min_vacant_floor_m2"])
        reserve_short = max(0.0, min_reserve - reserve_mu)
        floor_short = max(0.0, min_floor - vacant_m2)
        reserve_met, floor_met = reserve_short <= TOLERANCE, floor_short <= TOLERANCE
        out.append(
            {
                "park": r["park"],
                "name_zh": r["name_zh"],
                "name_en": r["name_en"],
                "target_set": bool(r["target_set"]),
                "min_reserve_mu": min_reserve,
                "actual_reserve_mu": round(reserve_mu, 4),
                "reserve_met": reserve_met,
                "reserve_short_mu": 0.0 if reserve_met else round(reserve_short, 4),
                "min_vacant_floor_m2": min_floor,
                "actual_vacant_floor_m2": round(vacant_m2, 2),
                "floor_met": floor_met,
                "floor_short_m2": 0.0 if floor_met else round(floor_short, 2),
                "met": reserve_met and floor_met,
                "updated_at": r["updated_at"].isoformat() if r["updated_at"] else None,
                "updated_by": r["updated_by"],
                "on_date": r["on_date"].isoformat(),
            }
        )
    return out


def targets_body(conn: Connection) -> dict[str, Any]:
    """``{"met": all parks met, "short": [parks short of a target], "parks": [...]}``."""
    parks = target_status(conn)
    return {
        "met": all(p["met"] for p in parks),
        "short": [p["park"] for p in parks if not p["met"]],
        "parks": parks,
    }


def parse_target_update(body: Any) -> dict[str, float]:
    """The fields of a target update (a JSON object with ``min_reserve_mu`` and/or
    ``min_vacant_floor_m2``, numbers ≥ 0). Raises :class:`InvalidParameter` naming the
    field that is wrong (``body`` when it isn't an object or has neither field)."""
    if not isinstance(body, dict):
        raise InvalidParameter(
            "body", "expected a JSON object with min_reserve_mu and/or min_vacant_floor_m2"
        )
    unknown = [k for k in body if k not in FIELDS]
    if unknown:
        raise InvalidParameter(unknown[0], f"unknown field; a target has {', '.join(FIELDS)}")
    values = {}
    for name, largest in FIELDS.items():
        if name not in body or body[name] is None:
            continue
        values[name] = check_value(name, body[name], largest=largest)
    if not values:
        raise InvalidParameter("body", f"give at least one of {', '.join(FIELDS)}")
    return values


def check_value(name: str, value: Any, *, largest: float | None = None) -> float:
    """*value* as a float when it is a finite number ≥ 0 (and ≤ *largest*), else
    :class:`InvalidParameter` naming *name*."""
    largest = FIELDS.get(name, math.inf) if largest is None else largest
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidParameter(name, f"must be a number, not {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise InvalidParameter(name, "must be a finite number")
    if number < 0:
        raise InvalidParameter(name, f"must not be negative, not {value}")
    if number > largest:
        raise InvalidParameter(name, f"must be at most {largest:g}, not {value}")
    return number


def set_target(
    conn: Connection,
    park: str,
    *,
    updated_by: str,
    min_reserve_mu: float | None = None,
    min_vacant_floor_m2: float | None = None,
) -> dict[str, Any]:
    """Set *park*'s targets (a value not given keeps the stored one, or 0 for a park
    without targets) and record who did it; returns the park's status afterwards.
    The caller commits. Raises :class:`NotFound` for an unknown park and
    :class:`InvalidParameter` for a bad value."""
    known = conn.execute(text("SELECT 1 FROM park WHERE code = :p"), {"p": park}).first()
    if known is None:
        raise NotFound(f"park: no park {park!r}")
    values = {
        name: check_value(name, value) if value is not None else None
        for name, value in (
            ("min_reserve_mu", min_reserve_mu),
            ("min_vacant_floor_m2", min_vacant_floor_m2),
        )
    }
    conn.execute(
        text(sql("service.sql", "planning_target_upsert.sql")),
        {"park": park, "updated_by": updated_by, **values},
    )
    return next(p for p in target_status(conn) if p["park"] == park)

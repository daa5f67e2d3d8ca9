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

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError
from sqlalchemy import Connection, text

from parks.errors import NotFound
from parks.units import M2_PER_MU
from parks.vocabulary import AVAILABLE_STATUSES
from service.db.sqlfiles import sql
from service.planning.criteria import parameter_error

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


def _given_numbers(schema: dict[str, Any]) -> None:
    """The document asks for what :class:`TargetUpdate` needs: numbers (a null is taken
    as left out, but is no way to set a target) and at least one of them."""
    for prop in schema["properties"].values():
        number = next(s for s in prop.pop("anyOf") if s.get("type") != "null")
        prop.update(number)
        prop.pop("default", None)
    schema["minProperties"] = 1


class TargetUpdate(BaseModel):
    """A change of a park's targets (the body of ``PUT /api/targets/{park}``, the options of
    ``parks targets set``): ``min_reserve_mu`` and/or ``min_vacant_floor_m2``, finite
    numbers ≥ 0 (and at most :data:`FIELDS`' bound); a field left out (or null) keeps its
    value. Nothing else may be in it."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_given_numbers)

    min_reserve_mu: Annotated[
        float | None,
        Field(
            strict=True,  # a number, not "300" nor true
            ge=0,
            le=FIELDS["min_reserve_mu"],
            allow_inf_nan=False,
            description="reserve + ready land the park must keep, 亩",
        ),
    ] = None
    min_vacant_floor_m2: Annotated[
        float | None,
        Field(
            strict=True,
            ge=0,
            le=FIELDS["min_vacant_floor_m2"],
            allow_inf_nan=False,
            description="vacant standard-factory floor the park must keep, m²",
        ),
    ] = None

    @model_validator(mode="after")
    def _something_to_set(self) -> TargetUpdate:
        if not self.values():
            raise PydanticCustomError(
                "nothing_to_set", "give at least one of {fields}", {"fields": ", ".join(FIELDS)}
            )
        return self

    def values(self) -> dict[str, float]:
        """The fields given, by name."""
        return {name: value for name, value in self if value is not None}

    @classmethod
    def checked(cls, data: Any) -> TargetUpdate:
        """*data* (a JSON object's value) as an update; :class:`InvalidParameter` naming the
        field that is wrong (``body`` when it isn't an object or sets nothing)."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise parameter_error(exc.errors(), whole="body") from None


def set_target(
    conn: Connection,
    park: str,
    *,
    updated_by: str,
    min_reserve_mu: float | None = None,
    min_vacant_floor_m2: float | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    """Set *park*'s targets (a value not given keeps the stored one, or 0 for a park
    without targets) and record who did it and why (*reason*, by default a sentence naming
    the park): a change is a change set of kind ``target`` holding the old and new values,
    with its ledger row at commit (the database's ``admin_set_target``; setting what is
    already set records nothing). Returns the park's status afterwards. The caller
    commits. Raises :class:`NotFound` for an unknown park and :class:`InvalidParameter`
    for a bad value (checked by :class:`TargetUpdate`)."""
    known = conn.execute(text("SELECT 1 FROM park WHERE code = :p"), {"p": park}).first()
    if known is None:
        raise NotFound(f"park: no park {park!r}")
    update = TargetUpdate.checked(
        {"min_reserve_mu": min_reserve_mu, "min_vacant_floor_m2": min_vacant_floor_m2}
    )
    values = {name: getattr(update, name) for name in FIELDS}  # None: keep the stored one
    conn.execute(
        text(sql("service.sql", "planning_target_upsert.sql")),
        {
            "park": park,
            "updated_by": updated_by,
            "reason": reason or f"targets of park {park} set",
            **values,
        },
    )
    return next(p for p in target_status(conn) if p["park"] == park)

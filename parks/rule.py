"""The rule: the city's total manufacturing land never decreases (只增不减).

Stated here as plain functions — the specification the database's commit trigger
(``service/db/sql/rule.sql``) implements, and the check the application runs before it
commits so a refusal can name its parcels. A change set is judged as a whole: a loss in
one place may be offset in the same change set by a gain elsewhere (占补平衡).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from parks.errors import ManufacturingLandWouldDecrease
from parks.units import AREA_TOLERANCE_M2

CITY = "city"


@dataclass(frozen=True, slots=True)
class Standing:
    """A scope's manufacturing land as the ledger last recorded it."""

    total_m2: float
    high_water_m2: float


def judge(
    *,
    city: Standing,
    parks: Mapping[str, Standing],
    delta_by_park: Mapping[str, float],
    delta_by_parcel: Mapping[str, float],
    parcel_park: Mapping[str, str],
    per_park_floor: bool = False,
    tolerance_m2: float = AREA_TOLERANCE_M2,
) -> ManufacturingLandWouldDecrease | None:
    """Judge one change set. Returns the refusal, or None when it is accepted.

    It is refused when the city total after it, ``city.total_m2 + Σ delta``, is below the
    city's high-water mark by more than *tolerance_m2*; with *per_park_floor*, likewise
    for any park whose own total falls. The refusal names the parcels whose net change
    in manufacturing area is negative (within the refused scope), biggest loss first.
    """
    delta_city = sum(delta_by_park.values())
    after = city.total_m2 + delta_city
    if after < city.high_water_m2 - tolerance_m2:
        return _refusal(
            CITY, city.total_m2, after, city.high_water_m2, delta_by_parcel, None, parcel_park
        )
    if per_park_floor:
        for park in sorted(delta_by_park):
            delta = delta_by_park[park]
            if delta >= 0:
                continue
            standing = parks.get(park, Standing(0.0, 0.0))
            park_after = standing.total_m2 + delta
            if park_after < standing.high_water_m2 - tolerance_m2:
                return _refusal(
                    park,
                    standing.total_m2,
                    park_after,
                    standing.high_water_m2,
                    delta_by_parcel,
                    park,
                    parcel_park,
                )
    return None


def _refusal(scope, before, after, high_water, delta_by_parcel, park, parcel_park):
    losers = sorted(
        (
            (delta, code)
            for code, delta in delta_by_parcel.items()
            if delta < 0 and (park is None or parcel_park.get(code) == park)
        ),
    )
    return ManufacturingLandWouldDecrease(
        scope=scope,
        total_before_m2=before,
        total_after_m2=after,
        high_water_m2=high_water,
        shortfall_m2=high_water - after,
        parcels=[code for _, code in losers],
    )


def refusal_from_database(detail: Mapping) -> ManufacturingLandWouldDecrease:
    """The refusal the database's commit trigger raised (its JSON DETAIL), as the domain
    error — so a refusal looks the same whichever check caught it."""
    return ManufacturingLandWouldDecrease(
        scope=str(detail["scope"]),
        total_before_m2=float(detail["total_before_m2"]),
        total_after_m2=float(detail["total_after_m2"]),
        high_water_m2=float(detail["high_water_m2"]),
        shortfall_m2=float(detail["shortfall_m2"]),
        parcels=list(detail.get("parcels") or []),
    )

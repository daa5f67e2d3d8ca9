"""Vacant standard-factory floor, floor by floor: "which buildings have 2,000 m² free on
one floor?"

Every floor of a building has the same area, ``floor_area_m2 / storeys``. Leases name
their floor, so vacancy is known per floor: a floor's vacant area is its area minus the
leased area of the leases in force on the day asked (default: today, the database's
``current_date``; a lease is in force from its start date to its end date, both included;
no end date means open-ended). Areas are floor areas in m², not planar land areas.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import Connection, text

from parks.errors import InvalidParameter
from service.db.sqlfiles import sql
from service.reads import queries as reads

PRECISION = 7
#: Below this (m²) a floor counts as fully let (leased areas are given to the centimetre).
FULL_TOLERANCE_M2 = 0.005
#: The most storeys a building may have (the table's check constraint).
MAX_STOREYS = 100


def vacancy(
    conn: Connection,
    *,
    park: str | None = None,
    min_vacant_m2: float | None = None,
    storey: int | None = None,
    on_date: date | None = None,
    precision: int = PRECISION,
) -> dict[str, Any]:
    """Buildings with floors that have free floor area, as a GeoJSON FeatureCollection dict
    (footprints in EPSG:4326), the building with the largest matching vacant floor first.

    A floor matches when its vacant area is at least *min_vacant_m2* (default: any free
    area at all, more than 0.005 m²; ``min_vacant_m2=0`` lists fully let floors too) and,
    given *storey*, it is that floor (1 = ground floor). A building is listed when one of
    its floors matches; its ``floors`` are the matching ones —
    ``[{floor, floor_area_m2, leased_m2, vacant_m2, leases: [{lease_id, tenant, leased_m2,
    start_date, end_date}]}]`` — while ``floor_area_m2``, ``leased_m2`` and ``vacant_m2``
    are the whole building's.

    Raises :class:`InvalidParameter` for an unknown park, a negative or non-finite
    *min_vacant_m2* or a *storey* below 1.
    """
    reads.check_park(conn, park)
    if min_vacant_m2 is not None and not (min_vacant_m2 >= 0 and min_vacant_m2 != float("inf")):
        raise InvalidParameter("min_vacant_m2", f"must be a number ≥ 0, not {min_vacant_m2}")
    if storey is not None and storey < 1:
        raise InvalidParameter("storey", f"floors are numbered from 1 (ground), not {storey}")
    where, floor_where, lease_where = [], [], []
    params: dict[str, Any] = {
        "precision": precision,
        "on_date": on_date,
        "first_floor": 1,
        "last_floor": MAX_STOREYS,
    }
    if park is not None:
        where.append("fb.park = :park")
        params["park"] = park
    if storey is not None:
        where.append("fb.storeys >= :storey")
        lease_where.append("l.floor = :storey")
        params.update(storey=storey, first_floor=storey, last_floor=storey)
    if min_vacant_m2 is None:
        floor_where.append("fl.vacant_m2 > :full_tolerance")
        params["full_tolerance"] = FULL_TOLERANCE_M2
    else:
        floor_where.append("fl.vacant_m2 >= :min_vacant")
        params["min_vacant"] = min_vacant_m2
    query = (
        sql("service.sql", "planning_vacancy.sql")
        .replace("{where}", "".join(f" AND {w}" for w in where))
        .replace("{lease_where}", "".join(f" AND {w}" for w in lease_where))
        .replace("{floor_where}", "".join(f" AND {w}" for w in floor_where))
    )
    collection = json.loads(conn.execute(text(query), params).scalar_one())
    on = on_date or conn.execute(text("SELECT current_date")).scalar_one()
    collection["criteria"] = {
        "park": park,
        "min_vacant_m2": min_vacant_m2,
        "storey": storey,
        "on_date": on.isoformat(),
    }
    return collection

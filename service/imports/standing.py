"""The parcels as they stand that an import is compared with, fetched in one query."""

from __future__ import annotations

import shapely
from sqlalchemy import Connection, text

from parks.imports.diff import StandingParcel
from service.db.sqlfiles import sql


def standing_parcels(conn: Connection) -> list[StandingParcel]:
    """The current parcels whose code the staged file (``import_stage``) carries, and every
    current parcel of the parks its features are in; geometry (storage CRS) decoded from
    WKB in one call."""
    rows = conn.execute(text(sql("service.sql", "import_standing.sql"))).all()
    geoms = shapely.from_wkb([r.wkb for r in rows]) if rows else []
    return [
        StandingParcel(
            parcel_code=r.parcel_code,
            park=r.park,
            land_use_code=r.land_use_code,
            status=r.status,
            holder=r.holder,
            supply_mode=r.supply_mode,
            supplied_on=r.supplied_on,
            geometry=geom,
            area_m2=r.area_m2,
        )
        for r, geom in zip(rows, geoms, strict=True)
    ]

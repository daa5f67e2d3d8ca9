"""Staging an import's features: one COPY into the transaction's temporary
``import_stage`` (geometry as hex EWKB in the storage CRS; 100,000 features stage in about a
second), where the dry run assigns parks and checks them against the land; then one
INSERT … SELECT keeps them, with the dry run's verdicts, in ``import_feature`` — each row
written once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import shapely
from sqlalchemy import Connection, text

from service.db.sqlfiles import sql

Progress = Callable[[str, int, int], None]

_COPY = (
    "COPY import_stage (row_no, parcel_code, park, land_use_code, status, holder, "
    "supply_mode, supplied_on, declared_area_m2, geom) FROM STDIN"
)


@dataclass
class StagedFeature:
    """One feature of the file as mapped and translated: None where the file does not say
    (or says something that means nothing: reported as a problem); *geometry* in the
    storage CRS, None when it is empty or no polygon."""

    row: int
    parcel_code: str | None
    park: str | None
    land_use_code: str | None
    status: str | None = None
    holder: str | None = None
    supply_mode: str | None = None
    supplied_on: date | None = None
    declared_area_m2: float | None = None
    geometry: Any = None


def ewkb_hex(geoms: Sequence[Any], *, srid: int) -> list[str | None]:
    """Each polygon of *geoms* as a multipolygon in hex EWKB with *srid* (what a geometry
    column reads in COPY's text format); None for anything else (empty, missing, not a
    polygon)."""
    array = np.empty(len(geoms), dtype=object)
    array[:] = list(geoms)
    out: list[str | None] = [None] * len(array)
    present = np.array([g is not None for g in array], dtype=bool)
    if not present.any():
        return out
    kinds = np.full(len(array), -1)
    kinds[present] = shapely.get_type_id(array[present])
    empty = np.zeros(len(array), dtype=bool)
    empty[present] = shapely.is_empty(array[present])
    polygon = (kinds == shapely.GeometryType.POLYGON) & ~empty
    multi = (kinds == shapely.GeometryType.MULTIPOLYGON) & ~empty
    if polygon.any():
        array[polygon] = [shapely.MultiPolygon([g]) for g in array[polygon]]
    keep = polygon | multi
    if keep.any():
        encoded = shapely.to_wkb(
            shapely.set_srid(array[keep], srid), hex=True, include_srid=True, output_dimension=2
        )
        for i, value in zip(np.flatnonzero(keep), encoded, strict=True):
            out[i] = value
    return out


def stage_features(
    conn: Connection,
    *,
    features: Sequence[StagedFeature],
    srid: int,
    progress: Progress | None = None,
) -> int:
    """COPY *features* into this transaction's ``import_stage`` (made here); returns how
    many."""
    step = progress or (lambda _stage, _done, _total: None)
    total = len(features)
    wkb = ewkb_hex([f.geometry for f in features], srid=srid)
    conn.execute(text(sql("service.sql", "import_stage.sql")))
    raw = conn.connection.driver_connection
    with raw.cursor() as cur, cur.copy(_COPY) as copy:
        for i, f in enumerate(features):
            copy.write_row(
                (
                    f.row,
                    f.parcel_code,
                    f.park,
                    f.land_use_code,
                    f.status,
                    f.holder,
                    f.supply_mode,
                    f.supplied_on,
                    f.declared_area_m2,
                    wkb[i],
                )
            )
            if i % 10000 == 0:
                step("staging features", i, total)
    # the checks join the stage with the standing parcels by code and by place; which
    # side drives depends on how many of the file's codes stand (a resurvey: most)
    conn.execute(text("CREATE INDEX ON import_stage (parcel_code)"))
    conn.execute(text("CREATE INDEX ON import_stage USING gist (geom)"))
    conn.execute(text("ANALYZE import_stage"))
    step("staging features", total, total)
    return total


def keep_features(
    conn: Connection,
    *,
    import_id: int,
    verdicts: dict[int, tuple[str, tuple[str, ...]]],
    skipped: set[int],
) -> None:
    """Keep the staged features in ``import_feature`` for *import_id*, with the dry run's
    verdict (``new``, ``changed``, ``unchanged``) and change kinds of each row in
    *verdicts*, and *skipped* marking the rows a blocking problem leaves out."""
    rows = sorted(set(verdicts) | skipped)
    conn.execute(
        text(sql("service.sql", "import_keep_features.sql")),
        {
            "import_id": import_id,
            "rows": rows,
            "verdicts": [verdicts[r][0] if r in verdicts else None for r in rows],
            "kinds": [",".join(verdicts[r][1]) if r in verdicts else "" for r in rows],
            "skipped": [r in skipped for r in rows],
        },
    )
    # the apply's statements pick their plans by these rows' verdicts
    conn.execute(text("SELECT refresh_planner_statistics('import_feature')"))


def assign_parks(conn: Connection) -> dict[int, str]:
    """Give each staged feature without a park the park whose boundary holds the most of
    it (in PostGIS); returns {row: park} of those assigned."""
    assigned = conn.execute(text(sql("service.sql", "import_assign_park.sql"))).all()
    return {int(r.row_no): r.park for r in assigned}

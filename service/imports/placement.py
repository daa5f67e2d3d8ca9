"""Where an import's staged features (this transaction's ``import_stage``) lie against the
land as it stands, judged in PostGIS (set-based, GiST-indexed): features in no park or in
an unknown one, parts outside their park, overlaps with standing parcels the file does not
carry, codes of retired parcels."""

from __future__ import annotations

from sqlalchemy import Connection, text

from parks.imports.checks import (
    code_retired_problem,
    invalid_value_problem,
    outside_park_problem,
    overlap_existing_problem,
)
from parks.imports.problems import ImportProblem
from parks.units import AREA_TOLERANCE_M2
from service.db.sqlfiles import sql


def _lonlat(row) -> tuple[float, float] | None:
    return (row.lon, row.lat) if row.lon is not None and row.lat is not None else None


def park_problems(
    conn: Connection, *, tolerance_m2: float = AREA_TOLERANCE_M2
) -> list[ImportProblem]:
    """``invalid_value`` (park) for a feature in no park's boundary (when the file or the
    options gave it none) or in a park that does not exist; ``outside_park`` (a warning)
    for the area of a feature outside its park, beyond the tolerance."""
    rows = conn.execute(
        text(sql("service.sql", "import_placement.sql")),
        {"tolerance": tolerance_m2},
    ).all()
    known = None
    problems = []
    for r in rows:
        if r.what == "no_park":
            problems.append(
                invalid_value_problem(
                    r.row_no,
                    r.parcel_code,
                    "park",
                    "",
                    "the parcel lies in no park's boundary, so its park is unknown; give it "
                    "with --park CODE or a park column (--park-field), or check the CRS",
                    lonlat=_lonlat(r),
                )
            )
        elif r.what == "unknown_park":
            if known is None:
                known = ", ".join(
                    conn.execute(text("SELECT code FROM park ORDER BY code")).scalars()
                )
            problems.append(
                invalid_value_problem(
                    r.row_no,
                    r.parcel_code,
                    "park",
                    r.park,
                    f"there is no park {r.park}; known parks: {known}",
                    lonlat=_lonlat(r),
                )
            )
        else:
            problems.append(
                outside_park_problem(r.row_no, r.parcel_code, r.park, r.measure, _lonlat(r))
            )
    return problems


def overlap_problems(
    conn: Connection, *, tolerance_m2: float = AREA_TOLERANCE_M2
) -> list[ImportProblem]:
    """``overlap_existing``: each feature overlapping a standing parcel that the file does
    not carry by more than the tolerance (the other parcel, the area, a point of it)."""
    rows = conn.execute(
        text(sql("service.sql", "import_overlap_existing.sql")),
        {"tolerance": tolerance_m2},
    ).all()
    return [
        overlap_existing_problem(r.row_no, r.parcel_code, r.other, r.area_m2, _lonlat(r))
        for r in rows
    ]


def retired_code_problems(conn: Connection, *, zone) -> list[ImportProblem]:
    """``code_retired``: each feature whose code belonged to a parcel that no longer stands
    (with the day, in *zone*, its last version ended)."""
    rows = conn.execute(text(sql("service.sql", "import_retired_codes.sql"))).all()
    return [
        code_retired_problem(
            r.row_no,
            r.parcel_code,
            retired_on=r.ended_at.astimezone(zone).date().isoformat() if r.ended_at else None,
        )
        for r in rows
    ]

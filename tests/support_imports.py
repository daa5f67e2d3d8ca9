"""Helpers of the import tests: survey files made from the parcels as they stand (read
straight from the database in EPSG:4545 and changed with shapely), the import's service
functions on a test database, and the state of the land before and after.

Expected numbers are computed here — shapely areas in EPSG:4545 of the geometry the test
writes, codes chosen by our own SQL — never by the code under test.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio
import shapely
from sqlalchemy import Connection, Engine, create_engine, text
from support_roles import owner_url

STORAGE_EPSG = 4545
M2_PER_MU = 10000 / 15
#: The columns a surveyor's file has, in Chinese (what the import must map by itself).
ZH = {
    "parcel_code": "宗地编号",
    "land_use_code": "用地性质",
    "status": "状态",
    "holder": "权利人",
    "supply_mode": "供地方式",
    "supplied_on": "供地日期",
    "declared_area_m2": "面积",
}


@contextmanager
def engine_on(url: str) -> Iterator[Engine]:
    engine = create_engine(url, pool_size=2, max_overflow=2)
    try:
        yield engine
    finally:
        engine.dispose()


def settings_for(url: str, **values: Any):
    from service.settings import Settings

    return Settings(database_url=url, **values)


def standing(conn: Connection, where: str = "true", params: dict | None = None) -> list[dict]:
    """The current parcels matching *where* (SQL over ``v``), by code, geometry as shapely
    in EPSG:4545."""
    rows = conn.execute(
        text(
            "SELECT v.parcel_code, v.park, v.land_use_code, v.status, v.holder, v.supply_mode, "
            "v.supplied_on, ST_AsBinary(v.geom) AS wkb FROM parcel_version v "
            f"WHERE v.valid_to IS NULL AND ({where}) ORDER BY v.parcel_code"
        ),
        params or {},
    ).mappings()
    out = []
    for r in rows:
        row = dict(r)
        row["geometry"] = shapely.from_wkb(row.pop("wkb"))
        out.append(row)
    return out


def survey_frame(
    parcels: list[dict], *, columns=("parcel_code", "land_use_code")
) -> gpd.GeoDataFrame:
    """*parcels* (dicts with a ``geometry`` in EPSG:4545) as a surveyor's layer with Chinese
    column names for *columns*."""
    data = {ZH[c]: [p.get(c) for p in parcels] for c in columns}
    return gpd.GeoDataFrame(
        data, geometry=[p["geometry"] for p in parcels], crs=f"EPSG:{STORAGE_EPSG}"
    )


def write_gpkg(frame: gpd.GeoDataFrame, path: Path) -> Path:
    pyogrio.write_dataframe(frame, path, layer="survey", driver="GPKG")
    return path


def dry_run(url: str, path: Path, *, actor: str = "surveyor", **options: Any):
    """A stored dry run of *path* with *options* (ImportOptions' fields)."""
    from service.imports.options import ImportOptions
    from service.imports.run import dry_run as run

    with engine_on(url) as engine:
        return run(
            engine, Path(path), ImportOptions(**options), actor=actor, settings=settings_for(url)
        )


def apply(url: str, import_id: int, *, actor: str = "editor"):
    from service.imports.run import apply_import

    with engine_on(url) as engine:
        return apply_import(engine, import_id, actor=actor, settings=settings_for(url))


def land_state(conn: Connection) -> dict[str, Any]:
    """What an import that stores nothing must leave as it was: every parcel version (id,
    code, validity, change sets), every change set and ledger row, the rule's scratch."""
    return {
        "versions": conn.execute(
            text(
                "SELECT version_id, parcel_code, valid_from, valid_to, change_set_id, "
                "ended_by_change_set_id, md5(ST_AsBinary(geom)) FROM parcel_version "
                "ORDER BY version_id"
            )
        ).all(),
        "change_sets": conn.execute(text("SELECT id FROM change_set ORDER BY id")).all(),
        "ledger": conn.execute(text("SELECT seq, hash FROM ledger ORDER BY seq")).all(),
        "head": conn.execute(text("SELECT last_seq FROM ledger_head")).scalar(),
        "pending": conn.execute(text("SELECT count(*) FROM rule_pending")).scalar(),
        "totals_effect": conn.execute(text("SELECT count(*) FROM totals_effect")).scalar(),
    }


def manufacturing_m2(conn: Connection, park: str | None = None) -> float:
    """Manufacturing land of the current parcels (of *park*), summed from shapely areas."""
    rows = conn.execute(
        text(
            "SELECT ST_AsBinary(v.geom) FROM parcel_version v JOIN land_use_class c "
            "ON c.code = v.land_use_code WHERE v.valid_to IS NULL AND c.is_manufacturing "
            "AND (CAST(:park AS text) IS NULL OR v.park = :park)"
        ),
        {"park": park},
    ).scalars()
    return float(sum(shapely.area(shapely.from_wkb(list(rows)))))


def free_square(conn: Connection, park: str, *, size_m: float, avoid=()):
    """A *size_m* square inside *park* no current parcel touches (tests/support_changes)."""
    from support_changes import free_box

    return free_box(conn, park, size_m=size_m, avoid=avoid)


# --- a database with the sample's parks and no parcels ------------------------------------------


def make_parks_only_template(databases, tmp_dir: Path) -> str:
    """A database (name) migrated and loaded with the sample's parks and classes but no
    parcels: ugly files can land anywhere in a park without overlapping standing land."""
    import geopandas as gpd
    from support_reads import SAMPLE, database_url

    from service.db.engine import make_engine
    from service.db.migrate import upgrade
    from service.imports.loader import load_dataset

    name = databases.create(template=databases.postgis_template)
    url = database_url(name)
    upgrade(owner_url(url))
    parks = pyogrio.read_dataframe(SAMPLE, layer="parks")
    empty = gpd.GeoDataFrame(
        {"parcel_code": [], "park": [], "land_use_code": [], "status": []},
        geometry=gpd.GeoSeries([], crs=parks.crs),
    )
    path = tmp_dir / "parks-only.gpkg"
    pyogrio.write_dataframe(parks, path, layer="parks", driver="GPKG")
    pyogrio.write_dataframe(
        empty, path, layer="parcels", driver="GPKG", geometry_type="MultiPolygon"
    )
    engine = make_engine(url)
    try:
        load_dataset(engine, path, storage_srid=STORAGE_EPSG, actor="test-loader")
    finally:
        engine.dispose()
    return name

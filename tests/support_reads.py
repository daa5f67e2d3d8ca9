"""Helpers of the foundation tests (units, CRS, schema, loader, reads, maps, CLI).

Everything here computes its answers from the GeoPackage itself (pyogrio + shapely +
pyproj), never through the code under test, so the tests can compare two independent
computations.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely
from sqlalchemy import Connection, create_engine, pool, text

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample" / "parks.gpkg"
PARKS_BIN = ROOT / ".venv" / "bin" / "parks"
STORAGE_EPSG = 4545
PARK_CODES = ("caijiapo", "fengxiang", "gaoxin", "jiangtan")
#: 1 亩 = 10000/15 m², written out here rather than imported from the code under test.
M2_PER_MU = 10000 / 15
#: Per-parcel agreement between two computations of one planar area (m²).
AREA_TOL_M2 = 0.01


@cache
def _layer(name: str):
    return pyogrio.read_dataframe(SAMPLE, layer=name)


def layer(name: str) -> pd.DataFrame:
    """A copy of one layer of the sample, as the file holds it."""
    frame = _layer(name)
    if isinstance(frame, gpd.GeoDataFrame):
        assert frame.crs is not None and frame.crs.to_epsg() == STORAGE_EPSG, frame.crs
    return frame.copy()


def parcels() -> gpd.GeoDataFrame:
    """The parcels layer in EPSG:4545 with its shapely area (``file_area_m2``)."""
    frame = layer("parcels")
    frame["file_area_m2"] = shapely.area(frame.geometry.values)
    return frame


def parks() -> gpd.GeoDataFrame:
    """The parks layer in EPSG:4545 with its shapely area (``file_area_m2``)."""
    frame = layer("parks")
    frame["file_area_m2"] = shapely.area(frame.geometry.values)
    return frame


def manufacturing_codes() -> set[str]:
    """The classes flagged manufacturing in the packaged class table, read with pandas."""
    classes = pd.read_csv(
        ROOT / "parks" / "reference" / "gbt21010-2017-classes.csv", dtype=str, keep_default_na=False
    )
    return set(classes.loc[classes["is_manufacturing"].str.lower() == "true", "code"])


def manufacturing_by_park() -> dict[str, float]:
    """Shapely area of each park's manufacturing parcels (0 for a park without any)."""
    frame = parcels()
    frame = frame[frame["land_use_code"].isin(manufacturing_codes())]
    sums = frame.groupby("park")["file_area_m2"].sum().to_dict()
    return {code: float(sums.get(code, 0.0)) for code in PARK_CODES}


def manufacturing_counts_by_park() -> dict[str, int]:
    frame = parcels()
    frame = frame[frame["land_use_code"].isin(manufacturing_codes())]
    counts = frame.groupby("park").size().to_dict()
    return {code: int(counts.get(code, 0)) for code in PARK_CODES}


def leased_today(today) -> pd.Series:
    """Floor area of each building let by leases in force on *today* (a ``date``)."""
    leases = layer("leases")
    start = pd.to_datetime(leases["start_date"]).dt.date
    end = pd.to_datetime(leases["end_date"]).dt.date
    in_force = (start <= today) & (leases["end_date"].isna() | (end >= today))
    return leases[in_force].groupby("building_code")["leased_m2"].sum()


def vacant_today(today) -> dict[str, float]:
    """Vacant floor area of every building: floor area − leases in force on *today*."""
    buildings = layer("buildings")
    leased = leased_today(today)
    return {
        row.building_code: float(row.floor_area_m2) - float(leased.get(row.building_code, 0.0))
        for row in buildings.itertuples(index=False)
    }


# --- databases -----------------------------------------------------------------------------


@contextmanager
def connect(url: str) -> Iterator[Connection]:
    """A connection on *url* that never pools (the test databases are dropped at the end)."""
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def row_counts(url: str) -> dict[str, int]:
    """The number of rows of every table in the public schema (PostGIS's own excluded)."""
    with connect(url) as conn:
        tables = conn.execute(
            text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'spatial_ref_sys' ORDER BY tablename"
            )
        ).scalars()
        return {
            t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in list(tables)
        }


def run_parks(*args: str, url: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """``parks ARGS`` as a subprocess on the database at *url* (fresh settings each time)."""
    env = {**os.environ, "DATABASE_URL": url, "COLUMNS": "200", "NO_COLOR": "1"}
    env.pop("PARKS_DATABASE_URL", None)
    return subprocess.run(
        [str(PARKS_BIN), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def database_url(name: str) -> str:
    """The URL of database *name* on the server the test fixtures use."""
    from sqlalchemy.engine import make_url

    base = os.environ.get("DATABASE_URL", "postgresql+psycopg://parks_app@127.0.0.1:5432/parks")
    return make_url(base).set(database=name).render_as_string(hide_password=False)


def write_gpkg(path: Path, **layers: pd.DataFrame) -> Path:
    """Write *layers* (name=frame) into a new GeoPackage at *path*."""
    for name, frame in layers.items():
        frame = frame.drop(columns=[c for c in ("file_area_m2",) if c in frame])
        pyogrio.write_dataframe(frame, path, layer=name, driver="GPKG")
    return path

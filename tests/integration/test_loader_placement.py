"""A loaded parcel is placed by the same rule as a change set's: some of it inside its
park, no more than 0.01 m² outside, and at least the minimum area. Areas expected here are
shapely's, in EPSG:4545."""

from __future__ import annotations

import pytest
import support_reads as sr
from shapely import affinity
from shapely.geometry import box
from support_roles import owner_url

from service.db.engine import make_engine
from service.db.migrate import upgrade
from service.imports.loader import LoadError, load_dataset

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def migrated_url(databases) -> str:
    """A migrated database with no parcels, for loads that must be refused."""
    url = sr.database_url(databases.create(template=databases.postgis_template))
    upgrade(owner_url(url))
    return url


def _few_parcels():
    """A dozen sample parcels of each park (a small file that loads fast)."""
    return sr.parcels().groupby("park", sort=False).head(12).reset_index(drop=True)


def _problems(url: str, path, **kwargs) -> list[str]:
    before = sr.row_counts(url)
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        with pytest.raises(LoadError) as caught:
            load_dataset(engine, path, storage_srid=sr.STORAGE_EPSG, **kwargs)
    finally:
        engine.dispose()
    assert sr.row_counts(url) == before, "a refused load stored something"
    return caught.value.problems


def _first_of(parcels, park: str) -> int:
    return int(parcels.index[parcels["park"] == park][0])


def test_a_loaded_parcel_entirely_outside_its_park_is_refused_however_small(migrated_url, tmp_path):
    parcels = _few_parcels()
    i = _first_of(parcels, "gaoxin")
    code = parcels.at[i, "parcel_code"]
    centre = parcels.at[i, "geometry"].centroid
    speck = affinity.translate(
        box(centre.x, centre.y, centre.x + 0.05, centre.y + 0.05), 0, -30_000
    )
    assert speck.area == pytest.approx(0.0025)  # less than the 0.01 m² tolerance
    parcels.at[i, "geometry"] = speck
    path = sr.write_gpkg(tmp_path / "speck.gpkg", parks=sr.layer("parks"), parcels=parcels)
    # Without a minimum area, the placement rule alone refuses it.
    assert _problems(migrated_url, path, min_parcel_area_m2=0.0) == [
        f"row {i + 1} ({code}): lies 0.00 m² outside park gaoxin"
    ]


def test_a_loaded_parcel_smaller_than_the_minimum_area_is_refused(migrated_url, tmp_path):
    parcels = _few_parcels()
    i = _first_of(parcels, "caijiapo")
    code = parcels.at[i, "parcel_code"]
    inside = parcels.at[i, "geometry"].representative_point()
    half = box(inside.x, inside.y, inside.x + 1.0, inside.y + 0.5)
    assert parcels.at[i, "geometry"].contains(half) and half.area == 0.5
    parcels.at[i, "geometry"] = half
    path = sr.write_gpkg(tmp_path / "half.gpkg", parks=sr.layer("parks"), parcels=parcels)
    assert _problems(migrated_url, path) == [
        f"row {i + 1} ({code}): has an area of 0.50 m²; a parcel needs at least 1 m² "
        "(PARKS_MIN_PARCEL_AREA_M2)"
    ]

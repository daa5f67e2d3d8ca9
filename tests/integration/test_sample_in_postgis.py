"""The loaded sample in PostGIS agrees with the GeoPackage (codes, attributes, planar areas
in EPSG:4545) and keeps the spatial invariants: no two current parcels overlap, every parcel
lies in its park, every factory building stands on its parcel."""

from __future__ import annotations

import pandas as pd
import pytest
import shapely
import support_reads as sr
from shapely.geometry import MultiPolygon
from sqlalchemy import text

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stored(sample_db_url) -> pd.DataFrame:
    """The current parcels as stored, with the area PostGIS computed and the geometry."""
    with sr.connect(sample_db_url) as conn:
        rows = conn.execute(
            text(
                "SELECT parcel_code, park, land_use_code, status, holder, supply_mode, "
                "supplied_on::text AS supplied_on, area_m2, ST_AsBinary(geom) AS wkb, "
                "ST_SRID(geom) AS srid FROM parcel_version WHERE valid_to IS NULL"
            )
        ).mappings()
        frame = pd.DataFrame([dict(r) for r in rows])
    return frame.set_index("parcel_code").sort_index()


def test_the_current_parcels_are_exactly_the_files_parcels(stored):
    parcels = sr.parcels()
    assert sorted(stored.index) == sorted(parcels["parcel_code"])
    assert stored.index.is_unique
    assert stored["park"].value_counts().to_dict() == parcels["park"].value_counts().to_dict()


def test_every_parcel_keeps_the_files_attributes(stored):
    parcels = sr.parcels().set_index("parcel_code").sort_index()
    for column in ("park", "land_use_code", "status", "holder", "supply_mode", "supplied_on"):
        ours = stored[column].where(stored[column].notna(), None).tolist()
        theirs = parcels[column].where(parcels[column].notna(), None).tolist()
        assert ours == theirs, column


def test_area_m2_is_the_planar_area_in_epsg4545_of_the_files_geometry(stored):
    parcels = sr.parcels().set_index("parcel_code").sort_index()
    difference = (stored["area_m2"] - parcels["file_area_m2"]).abs()
    assert difference.max() <= sr.AREA_TOL_M2, difference.idxmax()
    assert set(stored["srid"]) == {4545}


def test_the_stored_geometry_is_the_files_polygon_vertex_for_vertex(stored):
    parcels = sr.parcels().set_index("parcel_code").sort_index()
    ours = shapely.from_wkb(stored["wkb"].map(bytes).to_numpy())
    theirs = [MultiPolygon([p]) for p in parcels.geometry]
    same = shapely.equals_exact(shapely.normalize(ours), shapely.normalize(theirs), tolerance=1e-6)
    assert same.all(), list(stored.index[~same][:5])


def test_park_boundaries_and_their_areas_are_the_files(sample_db_url):
    parks = sr.parks().set_index("code")
    with sr.connect(sample_db_url) as conn:
        rows = conn.execute(
            text("SELECT code, name_zh, name_en, area_m2, ST_AsBinary(boundary) AS wkb FROM park")
        ).all()
    assert sorted(r.code for r in rows) == sorted(parks.index)
    for r in rows:
        assert r.area_m2 == pytest.approx(parks.at[r.code, "file_area_m2"], abs=sr.AREA_TOL_M2)
        assert (r.name_zh, r.name_en) == (parks.at[r.code, "name_zh"], parks.at[r.code, "name_en"])
        boundary = shapely.from_wkb(bytes(r.wkb))
        assert shapely.symmetric_difference(boundary, parks.at[r.code, "geometry"]).area < 0.01


NO_OVERLAPS = """
SELECT a.parcel_code, b.parcel_code, ST_Area(ST_Intersection(a.geom, b.geom)) AS overlap_m2
  FROM parcel_version a
  JOIN parcel_version b
    ON b.valid_to IS NULL AND a.parcel_code < b.parcel_code AND a.geom && b.geom
 WHERE a.valid_to IS NULL
   AND ST_Relate(a.geom, b.geom, '2********')
   AND ST_Area(ST_Intersection(a.geom, b.geom)) > 0.01
"""


def test_no_two_current_parcels_overlap(sample_db_url):
    with sr.connect(sample_db_url) as conn:
        assert conn.execute(text(NO_OVERLAPS)).all() == []
        # The query has something to look at: neighbours touch along shared edges.
        touching = conn.execute(
            text(
                "SELECT count(*) FROM parcel_version a JOIN parcel_version b "
                "ON a.parcel_code < b.parcel_code AND ST_Touches(a.geom, b.geom) "
                "WHERE a.valid_to IS NULL AND b.valid_to IS NULL"
            )
        ).scalar_one()
    assert touching > len(sr.parcels())


def test_every_parcel_lies_in_its_park(sample_db_url):
    with sr.connect(sample_db_url) as conn:
        outside = conn.execute(
            text(
                "SELECT v.parcel_code, v.park, ST_Area(ST_Difference(v.geom, p.boundary)) "
                "FROM parcel_version v JOIN park p ON p.code = v.park "
                "WHERE v.valid_to IS NULL AND NOT ST_CoveredBy(v.geom, p.boundary)"
            )
        ).all()
        parkless = conn.execute(
            text(
                "SELECT count(*) FROM parcel_version v LEFT JOIN park p ON p.code = v.park "
                "WHERE p.code IS NULL"
            )
        ).scalar_one()
    assert outside == []
    assert parkless == 0


def test_every_factory_building_stands_on_its_own_current_parcel_in_its_park(sample_db_url):
    with sr.connect(sample_db_url) as conn:
        rows = conn.execute(
            text(
                "SELECT b.building_code, b.parcel_code, v.version_id IS NOT NULL AS has_parcel, "
                "coalesce(ST_CoveredBy(b.footprint, v.geom), false) AS on_parcel, "
                "v.park = b.park AS same_park "
                "FROM factory_building b LEFT JOIN parcel_version v "
                "ON v.parcel_code = b.parcel_code AND v.valid_to IS NULL"
            )
        ).all()
    assert len(rows) == len(sr.layer("buildings"))
    assert [
        r.building_code for r in rows if not (r.has_parcel and r.on_parcel and r.same_park)
    ] == []


def test_footprint_m2_is_the_planar_area_of_the_files_footprint(sample_db_url):
    buildings = sr.layer("buildings").set_index("building_code")
    with sr.connect(sample_db_url) as conn:
        stored = dict(
            conn.execute(text("SELECT building_code, footprint_m2 FROM factory_building")).all()
        )
    expected = dict(zip(buildings.index, shapely.area(buildings.geometry.values), strict=True))
    assert stored.keys() == expected.keys()
    for code, area in expected.items():
        assert stored[code] == pytest.approx(area, abs=sr.AREA_TOL_M2), code

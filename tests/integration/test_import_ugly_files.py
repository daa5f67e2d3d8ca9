"""Files as surveyors hand them over, imported into a real PostGIS with the sample's parks
and no parcels: GBK Shapefiles without .cpg, zone-prefixed coordinates, no .prj, DXF
drawings, File Geodatabases — each read as it means, or refused with what to do; and every
kind of dirt a drawing carries reported with its kind, row, code and measure.

Expected values come from the frames the tests write (shapely, EPSG:4545)."""

from __future__ import annotations

import pytest
import shapely
from shapely import affinity
from shapely.geometry import Polygon, box
from sqlalchemy import text
from support_imports import (
    apply,
    dry_run,
    engine_on,
    make_parks_only_template,
    standing,
)
from support_landfiles import (
    chinese_fields,
    ugly_parcels_4545,
    write_dxf,
    write_filegdb,
    write_shapefile,
    write_zone_prefixed_shapefile,
    zip_paths,
)
from support_reads import database_url

from gis.errors import MissingCrs
from parks.imports.problems import ProblemKind

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def parks_only_template(databases, tmp_path_factory) -> str:
    return make_parks_only_template(databases, tmp_path_factory.mktemp("parks-only"))


@pytest.fixture
def url(databases, parks_only_template) -> str:
    """A database with the sample's parks and no parcels, for one test."""
    return database_url(databases.create(template=parks_only_template))


@pytest.fixture(scope="module")
def ugly():
    return ugly_parcels_4545()


def _kinds(outcome) -> dict[str, int]:
    counts: dict[str, int] = {}
    for p in outcome.problems:
        counts[p.kind.value] = counts.get(p.kind.value, 0) + 1
    return counts


def test_a_gbk_shapefile_with_chinese_field_names_and_no_cpg_is_stored_without_mojibake(
    url, ugly, tmp_path
):
    shp = write_shapefile(chinese_fields(ugly), tmp_path / "宗地.shp", encoding="GBK", cpg=False)
    assert not shp.with_suffix(".cpg").exists()
    outcome = dry_run(url, shp)
    assert outcome.problems == []
    assert outcome.source.encoding_source == "gb18030 (fallback)"
    assert outcome.source.mapping == {
        "parcel_code": "宗地编号",
        "land_use_code": "用地性质",
        "holder": "权利人",
        "declared_area_m2": "面积",
    }
    assert outcome.source.park_source == "boundary"
    assert outcome.diff.new == list(ugly["parcel_code"])
    apply(url, outcome.id)
    with engine_on(url) as engine, engine.connect() as conn:
        stored = {p["parcel_code"]: p for p in standing(conn)}
    assert {code: p["holder"] for code, p in stored.items()} == dict(
        zip(ugly["parcel_code"], ugly["holder"], strict=True)
    )
    assert {p["park"] for p in stored.values()} == {"caijiapo"}
    for code, geom in zip(ugly["parcel_code"], ugly.geometry, strict=True):
        assert stored[code]["geometry"].area == pytest.approx(geom.area, abs=1e-6)


def test_zone_prefixed_coordinates_land_where_the_unprefixed_ones_are(url, ugly, tmp_path):
    shp = write_zone_prefixed_shapefile(ugly, tmp_path / "zone36.shp")
    outcome = dry_run(url, shp)
    assert outcome.source.crs == "EPSG:4524"
    assert outcome.problems == []
    apply(url, outcome.id)
    with engine_on(url) as engine, engine.connect() as conn:
        stored = {p["parcel_code"]: p["geometry"] for p in standing(conn)}
    for code, geom in zip(ugly["parcel_code"], ugly.geometry, strict=True):
        # the same Gauss-Krüger projection 36,000,000 m further east: a shift, nothing more
        assert shapely.hausdorff_distance(stored[code], geom) < 1e-3


def test_a_shapefile_without_prj_is_refused_with_the_likely_crs_until_it_is_given(
    url, ugly, tmp_path
):
    shp = write_zone_prefixed_shapefile(ugly, tmp_path / "noprj.shp", prj=False)
    with pytest.raises(MissingCrs) as refused:
        dry_run(url, shp)
    assert refused.value.suggestion == "EPSG:4524"
    assert "36" in str(refused.value)
    with engine_on(url) as engine, engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM import_run")).scalar() == 0
    outcome = dry_run(url, shp, crs="EPSG:4524")
    assert (outcome.source.crs, outcome.source.crs_source) == ("EPSG:4524", "given")
    assert outcome.problems == []


@pytest.mark.parametrize("as_block_attribute", [False, True], ids=["text", "block attribute"])
def test_each_closed_polyline_of_a_dxf_takes_the_code_drawn_inside_it(
    url, ugly, tmp_path, as_block_attribute
):
    dxf = write_dxf(
        ugly,
        tmp_path / "kcdj.dxf",
        code_column="parcel_code",
        as_block_attribute=as_block_attribute,
    )
    # a drawing has no land-use field: the class of every parcel is given by a value table
    outcome = dry_run(url, dxf, crs="EPSG:4545")
    assert [p.kind for p in outcome.problems if p.row is None] == [ProblemKind.MISSING_FIELD]
    assert outcome.source.mapping["parcel_code"] == "label"
    with engine_on(url) as engine, engine.connect() as conn:
        staged = conn.execute(
            text(
                "SELECT parcel_code, ST_Area(geom) FROM import_feature "
                "WHERE import_id = :id AND geom IS NOT NULL ORDER BY row_no"
            ),
            {"id": outcome.id},
        ).all()
    expected = dict(zip(ugly["parcel_code"], shapely.area(ugly.geometry.values), strict=True))
    assert {code: area for code, area in staged if code} == pytest.approx(expected, abs=1e-3)


@pytest.mark.parametrize("zipped", [False, True], ids=["folder", "zipped"])
def test_a_file_geodatabase_is_imported_as_a_folder_or_zipped(url, ugly, tmp_path, zipped):
    gdb = write_filegdb(chinese_fields(ugly), tmp_path / "survey.gdb")
    path = zip_paths([gdb], tmp_path / "survey.gdb.zip") if zipped else gdb
    outcome = dry_run(url, path)
    assert outcome.source.driver == "OpenFileGDB"
    assert outcome.problems == []
    assert outcome.diff.new == list(ugly["parcel_code"])


# --- dirt --------------------------------------------------------------------------------------


def _bow_tie(geom) -> Polygon:
    minx, miny, maxx, maxy = geom.bounds
    return Polygon([(minx, miny), (maxx, maxy), (maxx, miny), (minx, maxy)])


def _dirty(ugly):
    """The six parcels with: row 2 pushed 0.3 m into row 1 (an overlap), row 5 pulled
    0.5 m back from row 2 (a sliver gap between them; and 2 mm back from row 4, so that no
    vertex rounded to the millimetre pokes into row 4), row 3's declared area 5 % too
    large, row 6 a bow-tie; and beyond the block row 7 reusing row 3's code, row 8 of a
    class no table knows. Coordinates to the millimetre, as surveyed."""
    frame = ugly.copy()
    g = list(frame.geometry)
    pushed = shapely.set_precision(
        shapely.union(g[1], shapely.intersection(g[1].buffer(0.3, join_style="mitre"), g[0])),
        0.001,
    )
    pulled = shapely.set_precision(
        shapely.difference(
            g[4],
            shapely.union(
                g[1].buffer(0.5, join_style="mitre"), g[3].buffer(0.002, join_style="mitre")
            ),
        ),
        0.001,
    )
    frame.loc[1, "geometry"] = pushed
    frame.loc[4, "geometry"] = pulled
    frame.loc[1, "declared_area_m2"] = round(pushed.area, 2)
    frame.loc[4, "declared_area_m2"] = round(pulled.area, 2)
    frame.loc[5, "geometry"] = _bow_tie(g[5])
    frame.loc[2, "declared_area_m2"] = round(g[2].area * 1.05, 2)
    minx, miny, maxx, maxy = shapely.total_bounds(g)
    away = [box(minx + 50 * k, miny - 120, minx + 50 * k + 30, miny - 90) for k in (1, 3)]
    extra = frame.iloc[[0, 0]].copy()
    extra["parcel_code"] = [frame.loc[2, "parcel_code"], "610323100201GB00099"]
    extra["land_use_code"] = ["0601", "工矿仓储混合"]
    extra["declared_area_m2"] = [None, None]
    extra = extra.set_geometry(away)
    import pandas as pd

    dirty = pd.concat([frame, extra], ignore_index=True)
    expected = {
        "overlap_m2": shapely.intersection(pushed, g[0]).area,
        "gap_m2": g[4].area - pulled.area,
        "mismatch_m2": frame.loc[2, "declared_area_m2"] - g[2].area,
    }
    return dirty.set_crs(epsg=4545, allow_override=True), expected


def test_every_kind_of_dirt_is_reported_with_its_row_code_and_measure(url, ugly, tmp_path):
    dirty, expected = _dirty(ugly)
    codes = list(dirty["parcel_code"])
    shp = write_shapefile(chinese_fields(dirty), tmp_path / "dirty.shp")
    outcome = dry_run(url, shp)
    found = {(p.kind, p.row): p for p in outcome.problems}
    assert set(found) == {
        (ProblemKind.OVERLAP_IN_FILE, 2),
        (ProblemKind.GAP, 2),
        (ProblemKind.AREA_MISMATCH, 3),
        (ProblemKind.INVALID_GEOMETRY, 6),
        (ProblemKind.DUPLICATE_CODE, 7),
        (ProblemKind.UNKNOWN_LAND_USE, 8),
    }
    for (_kind, row), problem in found.items():
        assert problem.parcel_code == codes[row - 1]
        assert problem.lon is not None and 107.5 < problem.lon < 107.7
        assert problem.lat is not None and 34.2 < problem.lat < 34.4
    assert found[ProblemKind.OVERLAP_IN_FILE, 2].measure == pytest.approx(
        expected["overlap_m2"], rel=1e-6
    )
    assert found[ProblemKind.OVERLAP_IN_FILE, 2].other == codes[0]
    assert found[ProblemKind.GAP, 2].measure == pytest.approx(expected["gap_m2"], rel=1e-3)
    assert found[ProblemKind.AREA_MISMATCH, 3].measure == pytest.approx(
        expected["mismatch_m2"], abs=0.01
    )
    assert "self-intersection" in found[ProblemKind.INVALID_GEOMETRY, 6].message.lower()
    assert "row 3" in found[ProblemKind.DUPLICATE_CODE, 7].message
    assert outcome.source.untranslated_land_use == {"工矿仓储混合": 1}
    assert outcome.blocking == 4 and outcome.warnings == 2


def test_skip_invalid_imports_the_rest_and_lists_what_it_left_out(url, ugly, tmp_path):
    from service.imports.errors import ImportHasBlockingProblems

    dirty, _ = _dirty(ugly)
    codes = list(dirty["parcel_code"])
    shp = write_shapefile(chinese_fields(dirty), tmp_path / "dirty.shp")
    refused = dry_run(url, shp)
    with pytest.raises(ImportHasBlockingProblems) as blocked:
        apply(url, refused.id)
    assert blocked.value.blocking == 4
    outcome = dry_run(url, shp, skip_invalid=True)
    assert outcome.skipped_rows == [2, 6, 7, 8]
    assert outcome.diff.new == [codes[0], codes[2], codes[3], codes[4]]
    applied = apply(url, outcome.id)
    assert applied.registered == 4
    with engine_on(url) as engine, engine.connect() as conn:
        assert [p["parcel_code"] for p in standing(conn)] == sorted(
            [codes[0], codes[2], codes[3], codes[4]]
        )


def test_coordinates_outside_the_crs_area_of_use_block_the_whole_file(url, ugly, tmp_path):
    from service.imports.errors import ImportHasBlockingProblems

    far = ugly.copy()
    far["geometry"] = [affinity.translate(g, xoff=3_000_000) for g in ugly.geometry]
    shp = write_shapefile(far, tmp_path / "far.shp")
    outcome = dry_run(url, shp, park="caijiapo", skip_invalid=True)
    crs = [p for p in outcome.problems if p.kind is ProblemKind.CRS_OUT_OF_RANGE]
    assert len(crs) == 1 and crs[0].row is None and crs[0].blocking
    with pytest.raises(ImportHasBlockingProblems):
        apply(url, outcome.id)


def test_a_parcel_in_no_park_blocks_and_one_partly_outside_its_park_is_a_warning(url, tmp_path):
    import geopandas as gpd

    with engine_on(url) as engine, engine.connect() as conn:
        from support_changes import park_boundary

        jiangtan = park_boundary(conn, "jiangtan")
    inside = jiangtan.representative_point()
    edge = jiangtan.exterior.coords[0] if jiangtan.geom_type == "Polygon" else None
    if edge is None:
        edge = jiangtan.geoms[0].exterior.coords[0]
    straddling = box(edge[0] - 20, edge[1] - 20, edge[0] + 20, edge[1] + 20)
    nowhere = box(inside.x + 50_000, inside.y, inside.x + 50_040, inside.y + 40)
    frame = gpd.GeoDataFrame(
        {"parcel_code": ["JT-A", "JT-B"], "land_use_code": ["0601", "0601"]},
        geometry=[straddling, nowhere],
        crs="EPSG:4545",
    )
    shp = write_shapefile(frame, tmp_path / "edges.shp")
    outcome = dry_run(url, shp)
    by_row = {(p.row, p.kind): p for p in outcome.problems}
    outside = straddling.difference(jiangtan).area
    assert by_row[1, ProblemKind.OUTSIDE_PARK].measure == pytest.approx(outside, rel=1e-6)
    assert by_row[1, ProblemKind.OUTSIDE_PARK].other == "jiangtan"
    assert by_row[1, ProblemKind.OUTSIDE_PARK].blocking  # the database would refuse it
    assert by_row[2, ProblemKind.INVALID_VALUE].blocking
    assert "no park" in by_row[2, ProblemKind.INVALID_VALUE].message
    # given a park, the parcel in none is that park's, wholly outside it: refused too
    given = dry_run(url, shp, park="jiangtan")
    outside_b = {p.row: p for p in given.problems if p.kind is ProblemKind.OUTSIDE_PARK}
    assert outside_b[2].measure == pytest.approx(nowhere.area, rel=1e-9)
    assert outside_b[2].blocking and outside_b[1].blocking

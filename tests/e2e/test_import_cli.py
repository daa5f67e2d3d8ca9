"""``parks import`` as a land bureau's GIS technician runs it, on a real PostGIS: each exit
code (0 applied or a clean dry run, 1 blocking problems with the report written, 2 usage
— the likely CRS printed —, 3 refused by the rule with the shortfall and the parcels) and
what it stored (nothing, unless 0 without --dry-run)."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
from openpyxl import load_workbook
from shapely.geometry import box
from sqlalchemy import text
from support_imports import engine_on, land_state, standing
from support_landfiles import chinese_fields, write_shapefile, write_zone_prefixed_shapefile
from support_reads import run_parks

pytestmark = pytest.mark.e2e


def _frame(parcels: list[dict]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "parcel_code": [p["parcel_code"] for p in parcels],
            "land_use_code": [p["land_use_code"] for p in parcels],
        },
        geometry=[p["geometry"] for p in parcels],
        crs="EPSG:4545",
    )


def _pick(url: str, where: str, limit: int = 1) -> list[dict]:
    with engine_on(url) as engine, engine.connect() as conn:
        return standing(conn, where)[:limit]


def _state(url: str):
    with engine_on(url) as engine, engine.connect() as conn:
        return land_state(conn)


def test_import_applies_a_survey_and_exits_0(fresh_db_url, tmp_path):
    (gain,) = _pick(fresh_db_url, "v.park = 'gaoxin' AND v.land_use_code = '0701'")
    shp = write_shapefile(
        chinese_fields(_frame([{**gain, "land_use_code": "0601"}])), tmp_path / "宗地.shp"
    )
    report = tmp_path / "report.xlsx"
    done = run_parks(
        "import", str(shp), "--reason", "2025 resurvey", "--report", str(report), url=fresh_db_url
    )
    assert done.returncode == 0, done.stderr
    assert "applied" in done.stdout and "1 changed" in done.stdout
    assert "亩" in done.stdout
    with engine_on(fresh_db_url) as engine, engine.connect() as conn:
        now = standing(conn, "v.parcel_code = :c", {"c": gain["parcel_code"]})[0]
        cs = conn.execute(
            text("SELECT kind, reason, actor FROM change_set ORDER BY id DESC LIMIT 1")
        ).one()
    assert now["land_use_code"] == "0601"
    assert (cs.kind, cs.reason) == ("import", "2025 resurvey")
    assert cs.actor.startswith("cli:")
    assert load_workbook(report).sheetnames  # the workbook opens


def test_a_dry_run_exits_0_writes_the_report_and_stores_no_land(fresh_db_url, tmp_path):
    (gain,) = _pick(fresh_db_url, "v.park = 'gaoxin' AND v.land_use_code = '0701'")
    shp = write_shapefile(_frame([{**gain, "land_use_code": "0601"}]), tmp_path / "s.shp")
    before = _state(fresh_db_url)
    report = tmp_path / "report.html"
    done = run_parks("import", str(shp), "--dry-run", "--report", str(report), url=fresh_db_url)
    assert done.returncode == 0, done.stderr
    assert "1 changed (rezone 1)" in done.stdout
    assert _state(fresh_db_url) == before
    assert "<html" in report.read_text(encoding="utf-8").lower()


def test_blocking_problems_exit_1_with_the_report_written(fresh_db_url, tmp_path):
    (host,) = _pick(fresh_db_url, "v.park = 'gaoxin' AND v.area_m2 > 5000")
    x, y = host["geometry"].representative_point().coords[0]
    over = {
        "parcel_code": "GX-OVER",
        "land_use_code": "0601",
        "geometry": box(x, y, x + 10, y + 10),
    }
    shp = write_shapefile(_frame([over]), tmp_path / "over.shp")
    before = _state(fresh_db_url)
    report = tmp_path / "problems.geojson"
    done = run_parks("import", str(shp), "--report", str(report), url=fresh_db_url)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "overlap_existing" in done.stdout and host["parcel_code"] in done.stdout
    assert _state(fresh_db_url) == before
    features = json.loads(report.read_text(encoding="utf-8"))["features"]
    assert [f["properties"]["kind"] for f in features] == ["overlap_existing"]


def test_an_import_the_rule_refuses_exits_3_with_the_shortfall_and_stores_nothing(
    fresh_db_url, tmp_path
):
    (lost,) = _pick(fresh_db_url, "v.park = 'gaoxin' AND v.land_use_code = '0601'")
    shp = write_shapefile(_frame([{**lost, "land_use_code": "0701"}]), tmp_path / "loss.shp")
    before = _state(fresh_db_url)
    done = run_parks("import", str(shp), url=fresh_db_url)
    assert done.returncode == 3, done.stdout + done.stderr
    assert lost["parcel_code"] in done.stderr
    shortfall = f"{lost['geometry'].area:,.2f}"
    assert shortfall in done.stderr
    assert _state(fresh_db_url) == before
    dry = run_parks("import", str(shp), "--dry-run", url=fresh_db_url)
    assert dry.returncode == 3 and shortfall in dry.stderr


def test_a_file_without_a_crs_exits_2_printing_the_likely_one(fresh_db_url, tmp_path):
    parcels = _pick(fresh_db_url, "v.park = 'jiangtan'", 2)
    shp = write_zone_prefixed_shapefile(_frame(parcels), tmp_path / "noprj.shp", prj=False)
    done = run_parks("import", str(shp), "--dry-run", url=fresh_db_url)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "--crs EPSG:4524" in done.stderr
    given = run_parks("import", str(shp), "--dry-run", "--crs", "EPSG:4524", url=fresh_db_url)
    assert given.returncode == 0, given.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("--park", "gaoxin", "--park-field", "园区"),
        ("--report", "out.pdf"),
        ("--map", "宗地编号"),
    ],
)
def test_a_wrong_option_is_a_usage_error(fresh_db_url, tmp_path, args):
    shp = write_shapefile(_frame(_pick(fresh_db_url, "v.park = 'jiangtan'", 1)), tmp_path / "a.shp")
    done = run_parks("import", str(shp), "--dry-run", *args, url=fresh_db_url)
    assert done.returncode == 2, done.stdout + done.stderr

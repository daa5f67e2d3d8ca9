"""`parks export` as a user runs it (a subprocess with DATABASE_URL): the file's ending says
the format, a Shapefile's and a CSV's companions land beside it, `--as-of` exports the
parcels as they stood then, and a wrong option is a usage error (exit 2) naming it."""

from __future__ import annotations

import zipfile
from datetime import datetime

import openpyxl
import pyogrio
import pytest
import support_reads as sr
from sqlalchemy import create_engine, pool, text
from support_changes import change_set, rezone_op

pytestmark = pytest.mark.e2e


def _count(url: str, where: str = "true") -> int:
    with sr.connect(url) as conn:
        return conn.execute(
            text(f"SELECT count(*) FROM parcel_version WHERE valid_to IS NULL AND {where}")
        ).scalar_one()


def _ok(result) -> str:
    assert result.returncode == 0, result.stderr
    return " ".join(result.stdout.split())


def test_a_geopackage_of_one_park(sample_db_url, tmp_path):
    out = tmp_path / "caijiapo.gpkg"
    said = _ok(sr.run_parks("export", "--out", str(out), "--park", "caijiapo", url=sample_db_url))
    parcels = _count(sample_db_url, "park = 'caijiapo'")
    assert said.startswith(f"wrote {out}: {parcels:,} parcels (as they stand now; EPSG:4545")
    info = pyogrio.read_info(out, layer="parcels")
    assert (info["features"], info["crs"]) == (parcels, "EPSG:4545")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["caijiapo.gpkg"]  # nothing left over


def test_a_shapefile_is_written_as_its_five_files_in_the_encoding_asked(sample_db_url, tmp_path):
    out = tmp_path / "宗地.shp"
    _ok(
        sr.run_parks(
            "export",
            "--out",
            str(out),
            "--fields",
            "zh",
            "--encoding",
            "gb18030",
            url=sample_db_url,
        )
    )
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".cpg", ".dbf", ".prj", ".shp", ".shx"]
    assert (tmp_path / "宗地.cpg").read_text() == "GB18030"
    assert "宗地号".encode("gb18030") in (tmp_path / "宗地.dbf").read_bytes()
    info = pyogrio.read_info(out)
    assert info["features"] == _count(sample_db_url)
    assert all(len(f.encode("gb18030")) <= 10 for f in info["fields"])
    assert info["crs"] == "EPSG:4545"


def test_a_zip_is_a_zipped_shapefile(sample_db_url, tmp_path):
    out = tmp_path / "parcels.zip"
    _ok(sr.run_parks("export", "--out", str(out), "--park", "gaoxin", url=sample_db_url))
    names = zipfile.ZipFile(out).namelist()
    assert {n.rsplit(".", 1)[1] for n in names} == {"shp", "shx", "dbf", "prj", "cpg"}
    (shp,) = [n for n in names if n.endswith(".shp")]
    assert pyogrio.read_info(f"/vsizip/{out}/{shp}")["features"] == _count(
        sample_db_url, "park = 'gaoxin'"
    )


def test_a_csv_gets_a_prj_beside_it_and_every_layer_goes_to_a_workbook(sample_db_url, tmp_path):
    csv_out = tmp_path / "parcels.csv"
    said = _ok(sr.run_parks("export", "--out", str(csv_out), url=sample_db_url))
    assert "with parcels.prj" in said
    info = pyogrio.read_info(csv_out)
    assert (info["features"], info["crs"]) == (_count(sample_db_url), "EPSG:4545")

    book_out = tmp_path / "all.xlsx"
    _ok(sr.run_parks("export", "--out", str(book_out), "--layer", "all", url=sample_db_url))
    book = openpyxl.load_workbook(book_out, read_only=True)
    assert book.sheetnames == ["parcels", "buildings", "projects", "about"]
    assert len(list(book["parcels"].values)) - 1 == _count(sample_db_url)


def test_as_of_exports_the_parcels_as_they_stood_then(fresh_db_url, tmp_path):
    from parks.operations import ChangeSetRequest
    from service.changes.apply import apply_change_set

    engine = create_engine(fresh_db_url, poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            before = conn.execute(text("SELECT clock_timestamp()")).scalar_one()
            code = conn.execute(
                text(
                    "SELECT parcel_code FROM parcel_version WHERE valid_to IS NULL "
                    "AND land_use_code = '0604' ORDER BY parcel_code LIMIT 1"
                )
            ).scalar_one()
        body = ChangeSetRequest.model_validate(change_set("rezone", rezone_op(code, "0601")))
        apply_change_set(engine, body, actor="export-cli-test", storage_srid=4545)
    finally:
        engine.dispose()

    def land_use(out, *args) -> str:
        _ok(sr.run_parks("export", "--out", str(out), *args, url=fresh_db_url))
        frame = pyogrio.read_dataframe(out, columns=["parcel_code", "land_use_code"])
        return dict(zip(frame["parcel_code"], frame["land_use_code"], strict=True))[code]

    then = before.astimezone().isoformat()
    assert land_use(tmp_path / "then.gpkg", "--as-of", then) == "0604"
    assert land_use(tmp_path / "now.gpkg") == "0601"
    # a date alone is the end of that day in PARKS_TIMEZONE; two days ago nothing was loaded
    day = datetime.fromordinal(datetime.now().toordinal() - 2).date().isoformat()
    out = tmp_path / "before.geojson"
    said = _ok(sr.run_parks("export", "--out", str(out), "--as-of", day, url=fresh_db_url))
    assert f"0 parcels (as of {day}T23:59:59.999999+08:00" in said
    assert pyogrio.read_info(out)["features"] == 0


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--out", "parcels.txt"], "--out"),
        (["--out", "parcels.geojson", "--crs", "EPSG:4545"], "--crs"),
        (["--out", "parcels.gpkg", "--crs", "EPSG:3031"], "--crs"),
        (["--out", "parcels.gpkg", "--as-of", "2999-12-31"], "--as-of"),
        (["--out", "parcels.gpkg", "--as-of", "next week"], "--as-of"),
        (["--out", "b.gpkg", "--layer", "buildings", "--as-of", "2025-12-31"], "--as-of"),
        (["--out", "parcels.gpkg", "--park", "atlantis"], "--park"),
        (["--out", "all.csv", "--layer", "all"], "--layer"),
        (["--out", "p.gpkg", "--encoding", "GB18030"], "--encoding"),
        (["--out", "p.gpkg", "--layer", "roads"], "--layer"),
    ],
)
def test_a_wrong_option_is_a_usage_error_naming_it(sample_db_url, tmp_path, args, option):
    args = [str(tmp_path / a) if a == args[1] else a for a in args]
    result = sr.run_parks("export", *args, url=sample_db_url)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert option in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_no_database_exits_4(tmp_path):
    url = "postgresql+psycopg://parks@127.0.0.1:1/parks"
    result = sr.run_parks("export", "--out", str(tmp_path / "p.gpkg"), url=url)
    assert result.returncode == 4, result.stderr
    assert "cannot reach the database" in " ".join(result.stderr.split())


def test_a_new_shapefile_replaces_the_old_one_and_its_stale_index(sample_db_url, tmp_path):
    out = tmp_path / "p.shp"
    _ok(sr.run_parks("export", "--out", str(out), "--park", "gaoxin", url=sample_db_url))
    (tmp_path / "p.qix").write_bytes(b"an old spatial index")
    _ok(sr.run_parks("export", "--out", str(out), "--park", "jiangtan", url=sample_db_url))
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".cpg", ".dbf", ".prj", ".shp", ".shx"]
    frame = pyogrio.read_dataframe(out, columns=["park"])
    assert set(frame["park"]) == {"jiangtan"}

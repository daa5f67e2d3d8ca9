"""`GET /api/export` over HTTP: every format and layer opens with GDAL and holds every
feature; the values, areas and coordinates are checked against computations of our own —
geometries fetched from the database separately (areas by shapely in EPSG:4545,
transforms by our own pyproj transformer), the sample GeoPackage's leases and projects, the
class table and vocabulary as written in the design. Shapefiles come zipped with their
five parts, names within 10 bytes, and the encoding they say; a formula-like holder stays
text in CSV and xlsx and exact elsewhere; every bad parameter is a 422 naming it."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile

import openpyxl
import pandas as pd
import pyogrio
import pytest
import shapely
import support_reads as sr
from sqlalchemy import text
from support_changes import change_set, to_crs

pytestmark = pytest.mark.e2e

#: Written out from the design (DESIGN.md, Vocabulary), not imported from the code under test.
STATUS_ZH = {
    "reserve": "储备",
    "ready": "待供应",
    "supplied": "已供应",
    "under_construction": "在建",
    "operating": "投产",
    "idle": "闲置",
}
SUPPLY_ZH = {"grant": "出让", "allocate": "划拨", "lease": "租赁"}
SHAPEFILE_PARTS = {".shp", ".shx", ".dbf", ".prj", ".cpg"}
FORMULA = '=HYPERLINK("http://x","y")'
AREA_TOL_M2 = 5e-5 + 1e-9


@pytest.fixture
def client(sample_db_url, make_client):
    return make_client(sample_db_url)


@pytest.fixture(scope="module")
def db_parcels(sample_db_url) -> pd.DataFrame:
    """The current parcels straight from the database: attributes and shapely geometry
    (EPSG:4545) with its shapely area."""
    with sr.connect(sample_db_url) as conn:
        rows = conn.execute(
            text(
                "SELECT parcel_code, park, land_use_code, status, holder, supply_mode, "
                "ST_AsBinary(geom) AS wkb FROM parcel_version WHERE valid_to IS NULL "
                "ORDER BY parcel_code"
            )
        ).mappings()
        frame = pd.DataFrame([dict(r) for r in rows])
    frame["geometry"] = shapely.from_wkb(frame.pop("wkb").to_numpy())
    frame["area_m2"] = shapely.area(frame["geometry"].to_numpy())
    return frame.set_index("parcel_code", drop=False)


@pytest.fixture(scope="module")
def counts(sample_db_url) -> dict[str, int]:
    with sr.connect(sample_db_url) as conn:
        return {
            "parcels": conn.execute(
                text("SELECT count(*) FROM parcel_version WHERE valid_to IS NULL")
            ).scalar_one(),
            "buildings": conn.execute(text("SELECT count(*) FROM factory_building")).scalar_one(),
            "projects": conn.execute(text("SELECT count(*) FROM project")).scalar_one(),
        }


@pytest.fixture(scope="module")
def class_names() -> pd.DataFrame:
    classes = pd.read_csv(sr.ROOT / "parks" / "reference" / "gbt21010-2017-classes.csv", dtype=str)
    return classes.set_index("code")


def _get(client, **params):
    response = client.get("/api/export", params=params)
    assert response.status_code == 200, response.text
    return response


def _save(response, tmp_path):
    """The download saved under the name its Content-Disposition gives."""
    (name,) = re.findall(r'filename="([^"]+)"', response.headers["content-disposition"])
    path = tmp_path / name
    path.write_bytes(response.content)
    return path


def _blank(value):
    return None if value is None or (isinstance(value, float) and value != value) else value


# --- every format, every layer ---------------------------------------------------------------


@pytest.mark.parametrize("format", ["gpkg", "shp", "geojson", "csv"])
@pytest.mark.parametrize("layer", ["parcels", "buildings", "projects"])
def test_every_format_of_every_layer_opens_with_gdal_and_holds_every_feature(
    client, counts, tmp_path, format, layer
):
    path = _save(_get(client, format=format, layer=layer), tmp_path)
    assert path.name.startswith(f"{layer}-all-")
    (found,) = pyogrio.list_layers(path)[:, 0]
    info = pyogrio.read_info(path, layer=found)
    assert info["features"] == counts[layer]
    expected_crs = "EPSG:4326" if format == "geojson" else "EPSG:4545"
    if format != "csv":  # a single CSV download has no .prj: its CRS is in Content-Crs
        assert info["crs"] == expected_crs


@pytest.mark.parametrize("format", ["shp", "geojson", "csv"])
def test_every_layer_of_a_one_layer_format_comes_as_a_zip_of_a_file_per_layer(
    client, counts, tmp_path, format
):
    response = _get(client, format=format, layer="all", park="caijiapo")
    assert response.headers["content-type"] == "application/zip"
    path = _save(response, tmp_path)
    assert path.name.startswith("export-caijiapo-") and path.name.endswith(f".{format}.zip")
    members = zipfile.ZipFile(path).namelist()
    stems = {m.rsplit(".", 1)[0] for m in members}
    assert {s.split("-")[0] for s in stems} == {"parcels", "buildings", "projects"}
    with sr.connect(client.app.state.settings.database_url) as conn:
        in_park = conn.execute(
            text("SELECT count(*) FROM parcel_version WHERE valid_to IS NULL AND park = 'caijiapo'")
        ).scalar_one()
    files = sorted(m for m in members if m.endswith(f".{format}"))
    assert len(files) == 3, members
    for member in files:  # each file of the zip opens with GDAL (GeoJSON: one file a layer)
        info = pyogrio.read_info(f"/vsizip/{path}/{member}")
        assert info["crs"] == ("EPSG:4326" if format == "geojson" else "EPSG:4545"), member
        if member.startswith("parcels-"):
            assert info["features"] == in_park


def test_every_layer_in_one_geopackage(client, counts, tmp_path):
    response = _get(client, layer="all")
    assert response.headers["content-type"] == "application/geopackage+sqlite3"
    path = _save(response, tmp_path)
    layers = {
        name: pyogrio.read_info(path, layer=name)["features"]
        for name, _ in pyogrio.list_layers(path)
    }
    assert layers == counts


# --- values against our own computations ------------------------------------------------------


def test_geopackage_parcels_match_the_database_geometry_area_and_fields(
    client, db_parcels, class_names, tmp_path
):
    frame = pyogrio.read_dataframe(_save(_get(client), tmp_path))
    assert list(frame["parcel_code"]) == sorted(db_parcels.index)
    assert frame.crs.to_epsg() == 4545
    for row in frame.itertuples(index=False):
        db = db_parcels.loc[row.parcel_code]
        assert abs(row.area_m2 - db.area_m2) <= AREA_TOL_M2, row.parcel_code
        assert abs(row.area_mu - db.area_m2 / sr.M2_PER_MU) <= AREA_TOL_M2, row.parcel_code
        assert shapely.area(row.geometry) == pytest.approx(db.area_m2, abs=1e-6)
        assert shapely.equals(row.geometry, db.geometry), row.parcel_code
        assert (row.park, row.land_use_code, row.status) == (db.park, db.land_use_code, db.status)
        assert _blank(row.holder) == _blank(db.holder)
        assert _blank(row.supply_mode) == _blank(db.supply_mode)
        assert row.land_use_name == class_names.loc[row.land_use_code, "name_en"]


def test_a_geopackage_in_another_crs_has_our_transform_of_the_parcels_and_planar_areas(
    client, db_parcels, tmp_path
):
    response = _get(client, crs="EPSG:4490", park="jiangtan")
    assert response.headers["content-crs"] == "<http://www.opengis.net/def/crs/EPSG/0/4490>"
    frame = pyogrio.read_dataframe(_save(response, tmp_path))
    assert frame.crs.to_epsg() == 4490
    assert set(frame["park"]) == {"jiangtan"}
    for row in frame.itertuples(index=False):
        db = db_parcels.loc[row.parcel_code]
        ours = to_crs(db.geometry, 4545, 4490)
        assert shapely.hausdorff_distance(row.geometry, ours) < 1e-9, row.parcel_code
        assert abs(row.area_m2 - db.area_m2) <= AREA_TOL_M2  # areas stay planar EPSG:4545


def test_geojson_is_wgs84_longitude_latitude_with_chinese_fields(client, db_parcels, tmp_path):
    response = _get(client, format="geojson", fields="zh", park="fengxiang")
    assert response.headers["content-type"] == "application/geo+json"
    document = json.loads(response.content)
    assert "crs" not in document
    features = document["features"]
    assert len(features) == int((db_parcels["park"] == "fengxiang").sum())
    for feature in features:
        props = feature["properties"]
        db = db_parcels.loc[props["宗地编号"]]
        assert props["状态"] == STATUS_ZH[db.status]
        mode = _blank(db.supply_mode)
        assert props["供地方式"] == (SUPPLY_ZH[mode] if mode else None)
        ours = to_crs(db.geometry, 4545, 4326)
        theirs = shapely.geometry.shape(feature["geometry"])
        assert shapely.hausdorff_distance(theirs, ours) < 1e-9
        assert abs(props["面积"] - db.area_m2) <= AREA_TOL_M2


def test_a_zipped_shapefile_has_its_five_parts_short_names_and_utf8(client, counts, tmp_path):
    response = _get(client, format="shp")
    assert response.headers["content-type"] == "application/zip"
    path = _save(response, tmp_path)
    assert path.name.endswith(".shp.zip")
    archive = zipfile.ZipFile(path)
    names = archive.namelist()
    assert {n[n.rindex(".") :] for n in names} == SHAPEFILE_PARTS
    assert len({n[: n.rindex(".")] for n in names}) == 1
    (cpg,) = [n for n in names if n.endswith(".cpg")]
    assert archive.read(cpg) == b"UTF-8"
    fields = list(pyogrio.read_info(path)["fields"])
    assert all(len(f.encode("utf-8")) <= 10 for f in fields), fields
    assert fields[:3] == ["parcel", "park", "land_use"]
    assert "area_m2" in fields and "area_mu" in fields


def test_a_gb18030_shapefile_with_chinese_names_holds_gb18030_bytes(client, db_parcels, tmp_path):
    path = _save(_get(client, format="shp", fields="zh", encoding="gb18030"), tmp_path)
    archive = zipfile.ZipFile(path)
    (cpg,) = [n for n in archive.namelist() if n.endswith(".cpg")]
    assert archive.read(cpg) == b"GB18030"
    (dbf_name,) = [n for n in archive.namelist() if n.endswith(".dbf")]
    dbf = archive.read(dbf_name)
    holder = next(h for h in db_parcels["holder"] if isinstance(h, str) and h)
    for written in ("宗地号", "权利人", holder, "储备"):
        assert written.encode("gb18030") in dbf, written
        assert written.encode("utf-8") not in dbf, written
    frame = pyogrio.read_dataframe(path)
    assert {"宗地号", "地类码", "状态", "权利人", "面积", "亩数"} <= set(frame.columns)
    assert set(frame["状态"]) <= set(STATUS_ZH.values())
    by_code = frame.set_index("宗地号")
    for code in db_parcels.index[:50]:
        assert by_code.loc[code, "状态"] == STATUS_ZH[db_parcels.loc[code, "status"]]
        assert abs(by_code.loc[code, "面积"] - db_parcels.loc[code, "area_m2"]) <= AREA_TOL_M2


def test_a_csv_has_a_bom_a_wkt_column_and_the_database_geometry(client, db_parcels):
    response = _get(client, format="csv", park="gaoxin")
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-crs"] == "<http://www.opengis.net/def/crs/EPSG/0/4545>"
    assert response.content.startswith(b"\xef\xbb\xbfWKT,parcel_code,park,")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == int((db_parcels["park"] == "gaoxin").sum())
    for row in rows:
        db = db_parcels.loc[row["parcel_code"]]
        assert shapely.hausdorff_distance(shapely.from_wkt(row["WKT"]), db.geometry) < 1e-6
        assert abs(float(row["area_m2"]) - db.area_m2) <= AREA_TOL_M2
        assert row["land_use_code"] == db.land_use_code  # "0601" stays text, not 601


def test_a_gb18030_csv_is_gb18030_without_a_bom(client):
    response = _get(client, format="csv", fields="zh", encoding="GB18030", park="caijiapo")
    assert response.headers["content-type"] == "text/csv; charset=gb18030"
    assert response.content.startswith("WKT,宗地编号,园区".encode("gb18030"))
    response.content.decode("gb18030")  # all of it


def test_a_workbook_has_a_sheet_per_layer_chinese_headers_and_a_point_inside_each(
    client, counts, db_parcels, tmp_path
):
    response = _get(client, format="xlsx", layer="all", fields="zh")
    assert response.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    book = openpyxl.load_workbook(_save(response, tmp_path), read_only=True)
    assert book.sheetnames == ["宗地", "标准化厂房", "重点项目", "说明"]
    rows = list(book["宗地"].values)
    header, body = list(rows[0]), rows[1:]
    assert header[:2] == ["宗地编号", "园区"] and header[-2:] == ["经度", "纬度"]
    assert len(body) == counts["parcels"]
    assert len(list(book["标准化厂房"].values)) - 1 == counts["buildings"]
    assert len(list(book["重点项目"].values)) - 1 == counts["projects"]
    column = {name: i for i, name in enumerate(header)}
    for row in body[::25]:
        db = db_parcels.loc[row[column["宗地编号"]]]
        assert row[column["状态"]] == STATUS_ZH[db.status]
        point = shapely.Point(row[column["经度"]], row[column["纬度"]])
        assert to_crs(db.geometry, 4545, 4326).buffer(1e-6).contains(point)


def test_buildings_say_their_vacant_floor_from_the_leases_in_force_today(
    client, sample_db_url, tmp_path
):
    with sr.connect(sample_db_url) as conn:
        today = conn.execute(text("SELECT current_date")).scalar_one()
    expected = sr.vacant_today(today)
    frame = pyogrio.read_dataframe(_save(_get(client, layer="buildings"), tmp_path))
    assert len(frame) == len(expected)
    for row in frame.itertuples(index=False):
        assert row.vacant_m2 == pytest.approx(expected[row.building_code], abs=AREA_TOL_M2)


def test_projects_sites_are_the_union_of_their_parcels(client, tmp_path):
    projects = sr.layer("projects").set_index("project_code")
    parcels = sr.parcels().set_index("parcel_code")
    frame = pyogrio.read_dataframe(_save(_get(client, layer="projects"), tmp_path))
    assert sorted(frame["project_code"]) == sorted(projects.index)
    for row in frame.itertuples(index=False):
        codes = projects.loc[row.project_code, "parcel_codes"].split(",")
        union = shapely.union_all(parcels.loc[codes, "geometry"].to_numpy())
        assert row.parcel_codes == ",".join(sorted(codes))
        assert row.site_area_m2 == pytest.approx(parcels.loc[codes, "file_area_m2"].sum(), abs=1e-3)
        assert shapely.symmetric_difference(row.geometry, union).area < 1e-6


# --- names, types, access ------------------------------------------------------------------


def test_the_file_is_named_for_layer_park_and_day_and_as_of_exports_what_stood_then(client):
    response = _get(client, as_of="2025-12-31", park="caijiapo")
    assert response.headers["content-disposition"] == (
        'attachment; filename="parcels-caijiapo-2025-12-31.gpkg"'
    )
    assert response.headers["content-type"] == "application/geopackage+sqlite3"


def test_as_of_the_end_of_a_day_before_the_load_holds_no_parcels(client, tmp_path):
    path = _save(_get(client, as_of="2025-12-31"), tmp_path)
    info = pyogrio.read_info(path, layer="parcels")
    assert (info["features"], info["geometry_type"]) == (0, "MultiPolygon")


def test_reads_need_a_token_when_the_setting_says_so(sample_db_url, make_client, make_token):
    closed = make_client(sample_db_url, reads_need_token=True)
    assert closed.get("/api/export").status_code == 401
    viewer = make_token(sample_db_url, "viewer")
    assert closed.get("/api/export", headers=viewer).status_code == 200


def test_a_formula_like_holder_is_text_in_csv_and_xlsx_and_exact_in_gis_files(
    fresh_db_url, make_client, make_token, tmp_path
):
    client = make_client(fresh_db_url)
    with sr.connect(fresh_db_url) as conn:
        code = conn.execute(
            text(
                "SELECT parcel_code FROM parcel_version WHERE valid_to IS NULL "
                "AND status = 'ready' ORDER BY parcel_code LIMIT 1"
            )
        ).scalar_one()
    body = change_set(
        "supply", {"op": "supply", "parcel_code": code, "holder": FORMULA, "mode": "grant"}
    )
    posted = client.post("/api/change-sets", json=body, headers=make_token(fresh_db_url, "editor"))
    assert posted.status_code == 201, posted.text

    rows = list(csv.DictReader(io.StringIO(_get(client, format="csv").content.decode("utf-8-sig"))))
    (row,) = [r for r in rows if r["parcel_code"] == code]
    assert row["holder"] == "'" + FORMULA
    assert not any(v.startswith(("=", "+", "@")) for r in rows for k, v in r.items() if k != "WKT")

    book = openpyxl.load_workbook(_save(_get(client, format="xlsx"), tmp_path))
    sheet = book["parcels"]
    header = [c.value for c in sheet[1]]
    cells = [r[header.index("holder")] for r in sheet.iter_rows(min_row=2) if r[0].value == code]
    assert [(c.value, c.data_type) for c in cells] == [(FORMULA, "s")]

    frame = pyogrio.read_dataframe(_save(_get(client, format="gpkg"), tmp_path))
    assert frame.set_index("parcel_code").loc[code, "holder"] == FORMULA


# --- bad parameters ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"format": "pdf"}, "format"),
        ({"layer": "roads"}, "layer"),
        ({"fields": "fr"}, "fields"),
        ({"crs": "EPSG:99999"}, "crs"),
        ({"crs": "not a crs"}, "crs"),
        ({"crs": "EPSG:3031"}, "crs"),  # Antarctic polar stereographic: not meant for Baoji
        ({"crs": "EPSG:4545", "format": "geojson"}, "crs"),
        ({"crs": "EPSG:4545", "format": "xlsx"}, "crs"),
        ({"encoding": "latin1"}, "encoding"),
        ({"encoding": "GB18030", "format": "gpkg"}, "encoding"),
        ({"encoding": "GB18030", "format": "geojson"}, "encoding"),
        ({"as_of": "last tuesday"}, "as_of"),
        ({"as_of": "2999-01-01"}, "as_of"),
        ({"as_of": "2025-12-31", "layer": "buildings"}, "as_of"),
        ({"as_of": "2025-12-31", "layer": "all"}, "as_of"),
        ({"park": "nowhere"}, "park"),
    ],
)
def test_a_bad_parameter_is_a_422_naming_it(client, params, parameter):
    response = client.get("/api/export", params=params)
    assert response.status_code == 422, response.text
    body = response.json()
    assert (body["error"], body["parameter"]) == ("invalid_parameter", parameter)


def test_format_layer_fields_and_encoding_take_any_case(client):
    response = _get(client, format="GeoJSON", layer="Parcels", fields="ZH", park="gaoxin")
    assert response.headers["content-type"] == "application/geo+json"
    assert (
        _get(client, format="CSV", encoding="gb18030", park="gaoxin").headers["content-type"]
        == "text/csv; charset=gb18030"
    )

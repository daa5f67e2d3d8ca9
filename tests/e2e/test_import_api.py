"""POST /api/imports, GET /api/imports/{id} (+ problems.geojson, the /imports/{id} page) and
POST /api/imports/{id}/apply through the app on a real PostGIS: uploads as surveyors send
them (a zipped GBK Shapefile, a Shapefile's parts, a mapping and a class map), who may do
what, and every refusal's status and body — nothing stored when refused.

Expected values come from the files the tests write and the parcels read straight from
the database (shapely, EPSG:4545)."""

from __future__ import annotations

import uuid
from pathlib import Path

import geopandas as gpd
import pytest
from sqlalchemy import text
from support_imports import engine_on, land_state, standing
from support_landfiles import (
    chinese_fields,
    write_shapefile,
    write_traversal_zip,
    write_zip_bomb,
    write_zone_prefixed_shapefile,
    zip_paths,
)

pytestmark = pytest.mark.e2e

#: The keys of the rule's 409, as POST /api/change-sets answers it.
REFUSED_KEYS = {
    "error",
    "scope",
    "total_before_m2",
    "total_after_m2",
    "high_water_m2",
    "shortfall_m2",
    "shortfall_mu",
    "parcels",
    "message",
}


def _frame(parcels: list[dict]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "parcel_code": [p["parcel_code"] for p in parcels],
            "land_use_code": [p["land_use_code"] for p in parcels],
            "holder": [p.get("holder") for p in parcels],
        },
        geometry=[p["geometry"] for p in parcels],
        crs="EPSG:4545",
    )


def _zipped_shapefile(parcels: list[dict], folder: Path, name: str = "宗地") -> Path:
    shp = write_shapefile(chinese_fields(_frame(parcels)), folder / "shp" / f"{name}.shp")
    return zip_paths([shp], folder / f"{name}.zip", name_encoding="gbk")


def _pick(url: str, where: str, limit: int = 1) -> list[dict]:
    with engine_on(url) as engine, engine.connect() as conn:
        return standing(conn, where)[:limit]


@pytest.fixture
def client(fresh_db_url, make_client):
    return make_client(fresh_db_url)


@pytest.fixture
def editor(fresh_db_url, make_token):
    return make_token(fresh_db_url, "editor", name=f"测绘-{uuid.uuid4().hex[:6]}")


def _upload(client, headers, path: Path, **form):
    with open(path, "rb") as f:
        return client.post(
            "/api/imports", headers=headers, files={"file": (path.name, f)}, data=form
        )


def _committed_count(client) -> float:
    """``parks_change_sets_committed_total`` as /metrics tells it."""
    from prometheus_client.parser import text_string_to_metric_families

    families = text_string_to_metric_families(client.get("/metrics").text)
    family = next(f for f in families if f.name == "parks_change_sets_committed")
    return next(s.value for s in family.samples if s.name.endswith("_total"))


def test_an_editor_uploads_a_zipped_gbk_shapefile_reads_it_back_and_applies_it(
    fresh_db_url, client, editor, make_token, tmp_path
):
    (gain,) = _pick(fresh_db_url, "v.park = 'gaoxin' AND v.land_use_code = '0701'")
    same = _pick(fresh_db_url, "v.park = 'gaoxin' AND v.land_use_code = '0601'", 3)
    path = _zipped_shapefile([{**gain, "land_use_code": "工业用地"}, *same], tmp_path)
    response = _upload(client, editor, path, reason="resurvey", document_no="宝自然资〔2025〕9号")
    assert response.status_code == 201, response.text
    body = response.json()
    import_id = body["id"]
    assert response.headers["location"] == f"/api/imports/{import_id}"
    assert body["status"] == "dry_run"
    assert body["summary"]["file"] == path.name
    assert body["summary"]["encoding_source"] == "gb18030 (fallback)"
    assert body["summary"]["mapping"]["parcel_code"] == "宗地编号"
    assert body["problems"] == {"blocking": 0, "warnings": 0, "by_kind": {}}
    assert body["diff"]["changed"]["rezone"] == 1 and body["diff"]["unchanged"] == 3
    assert body["rule"]["delta_m2"] == pytest.approx(gain["geometry"].area, abs=1e-3)
    assert body["rule"]["would_refuse"] is False
    assert body["problems_url"] == f"/api/imports/{import_id}/problems.geojson"
    assert body["report_url"] == f"/imports/{import_id}"

    auditor = make_token(fresh_db_url, "auditor")
    viewer = make_token(fresh_db_url, "viewer")
    read = client.get(f"/api/imports/{import_id}", headers=auditor)
    assert read.status_code == 200 and read.json()["diff"] == body["diff"]
    assert client.get(f"/api/imports/{import_id}", headers=viewer).status_code == 403
    assert client.get(f"/api/imports/{import_id}").status_code == 401
    problems = client.get(f"/api/imports/{import_id}/problems.geojson", headers=editor)
    assert problems.status_code == 200
    assert problems.headers["content-type"].startswith("application/geo+json")
    assert problems.json() == {"type": "FeatureCollection", "features": []}
    page = client.get(f"/imports/{import_id}", headers=auditor)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert path.name in page.text

    committed_before = _committed_count(client)
    applied = client.post(f"/api/imports/{import_id}/apply", headers=editor)
    assert applied.status_code == 201, applied.text
    out = applied.json()
    assert out["import_id"] == import_id and out["changed_anything"] is True
    assert _committed_count(client) == committed_before + 1  # /metrics counts it
    assert out["delta_m2"]["city"] == pytest.approx(gain["geometry"].area, abs=1e-3)
    assert applied.headers["location"] == f"/api/change-sets/{out['change_set_id']}"
    detail = client.get(f"/api/change-sets/{out['change_set_id']}").json()
    assert (detail["kind"], detail["reason"]) == ("import", "resurvey")
    assert detail["ledger"]["seq"] == out["ledger_seq"]
    assert client.get(f"/api/imports/{import_id}", headers=editor).json()["status"] == "applied"
    again = client.post(f"/api/imports/{import_id}/apply", headers=editor)
    assert again.status_code == 409 and again.json()["error"] == "import_already_applied"


def test_a_shapefiles_parts_sent_as_several_file_fields_are_one_dataset(
    fresh_db_url, client, editor, tmp_path
):
    parcels = _pick(fresh_db_url, "v.park = 'jiangtan'", 4)
    shp = write_zone_prefixed_shapefile(_frame(parcels), tmp_path / "parts" / "jt.shp", cpg=True)
    parts = sorted(p for p in shp.parent.iterdir())
    assert {p.suffix for p in parts} == {".shp", ".shx", ".dbf", ".prj", ".cpg"}
    files = [("file", (p.name, p.read_bytes())) for p in parts]
    response = client.post("/api/imports", headers=editor, files=files)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["summary"]["crs"] == "EPSG:4524"
    assert body["diff"]["unchanged"] == 4
    assert body["problems"]["blocking"] == 0


def test_mapping_and_class_map_files_and_repeated_map_fields_are_applied(
    fresh_db_url, client, editor, tmp_path
):
    (gain,) = _pick(fresh_db_url, "v.park = 'gaoxin' AND v.land_use_code = '0701'")
    frame = gpd.GeoDataFrame(
        {"BH": [gain["parcel_code"]], "YDLB": ["1001"], "NOTE": ["x"]},
        geometry=[gain["geometry"]],
        crs="EPSG:4545",
    )
    shp = write_shapefile(frame, tmp_path / "shp" / "s2023.shp", cpg=True, encoding="UTF-8")
    path = zip_paths([shp], tmp_path / "s2023.zip")
    mapping = b'[fields]\nBH = "parcel_code"\n'
    class_map = b"source,code\n1001,0601\n"
    with open(path, "rb") as f:
        response = client.post(
            "/api/imports",
            headers=editor,
            files=[
                ("file", (path.name, f.read())),
                ("mapping", ("map.toml", mapping)),
                ("class_map", ("国土空间用途.csv", class_map)),
            ],
            data={"map": ["YDLB=land_use_code", "NOTE=-"]},
        )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["summary"]["mapping"] == {"parcel_code": "BH", "land_use_code": "YDLB"}
    assert body["diff"]["changed"]["rezone"] == 1
    assert body["options"]["class_map"] == "国土空间用途.csv"
    assert body["options"]["map"] == ["YDLB=land_use_code", "NOTE=-"]


def test_the_rule_refuses_an_import_that_loses_manufacturing_land_as_it_refuses_a_change_set(
    fresh_db_url, client, editor, tmp_path
):
    (lost,) = _pick(fresh_db_url, "v.park = 'gaoxin' AND v.land_use_code = '0601'")
    path = _zipped_shapefile([{**lost, "land_use_code": "0701"}], tmp_path)
    body = _upload(client, editor, path).json()
    assert body["rule"]["would_refuse"] is True
    with engine_on(fresh_db_url) as engine, engine.connect() as conn:
        before = land_state(conn)
    refused = client.post(f"/api/imports/{body['id']}/apply", headers=editor)
    assert refused.status_code == 409
    out = refused.json()
    assert set(out) - {"request_id"} == REFUSED_KEYS
    assert out["error"] == "manufacturing_land_would_decrease"
    assert out["parcels"] == [lost["parcel_code"]]
    assert out["shortfall_m2"] == pytest.approx(lost["geometry"].area, abs=1e-3)
    with engine_on(fresh_db_url) as engine, engine.connect() as conn:
        assert land_state(conn) == before
        assert (
            conn.execute(text("SELECT count(*) FROM refusal WHERE kind = 'import'")).scalar() == 1
        )


def test_an_import_made_stale_by_another_change_set_is_409_import_stale(
    fresh_db_url, client, editor, tmp_path
):
    a, b = _pick(fresh_db_url, "v.park = 'fengxiang' AND v.land_use_code = '0701'", 2)
    first = _upload(
        client, editor, _zipped_shapefile([{**a, "land_use_code": "0601"}], tmp_path, "a")
    ).json()
    second = _upload(
        client, editor, _zipped_shapefile([{**b, "land_use_code": "0601"}], tmp_path, "b")
    ).json()
    assert client.post(f"/api/imports/{first['id']}/apply", headers=editor).status_code == 201
    stale = client.post(f"/api/imports/{second['id']}/apply", headers=editor)
    assert stale.status_code == 409
    assert stale.json()["error"] == "import_stale"
    assert "run the dry run again" in stale.json()["message"]


def test_blocking_problems_make_the_apply_422(fresh_db_url, client, editor, tmp_path):
    (host,) = _pick(fresh_db_url, "v.park = 'gaoxin' AND v.area_m2 > 5000")
    x, y = host["geometry"].representative_point().coords[0]
    from shapely.geometry import box

    over = {
        "parcel_code": "GX-OVER",
        "land_use_code": "0601",
        "geometry": box(x, y, x + 10, y + 10),
    }
    body = _upload(client, editor, _zipped_shapefile([over], tmp_path)).json()
    assert body["problems"]["by_kind"] == {"overlap_existing": 1}
    refused = client.post(f"/api/imports/{body['id']}/apply", headers=editor)
    assert refused.status_code == 422
    assert refused.json()["error"] == "import_has_blocking_problems"
    assert refused.json()["by_kind"] == {"overlap_existing": 1}


def test_who_may_upload_and_apply(fresh_db_url, client, make_token, tmp_path):
    parcels = _pick(fresh_db_url, "v.park = 'jiangtan'", 1)
    path = _zipped_shapefile(parcels, tmp_path)
    assert _upload(client, {}, path).status_code == 401
    assert _upload(client, make_token(fresh_db_url, "auditor"), path).status_code == 403
    admin = make_token(fresh_db_url, "admin")
    created = _upload(client, admin, path)
    assert created.status_code == 201
    viewer = make_token(fresh_db_url, "planner")
    assert (
        client.post(f"/api/imports/{created.json()['id']}/apply", headers=viewer).status_code == 403
    )


def test_unknown_imports_are_404(client, editor):
    for path in ("/api/imports/987654", "/api/imports/987654/problems.geojson", "/imports/987654"):
        response = client.get(path, headers=editor)
        assert response.status_code == 404 and response.json()["error"] == "not_found", path
    assert client.post("/api/imports/987654/apply", headers=editor).status_code == 404


# --- refused uploads: nothing stored -------------------------------------------------------------


def _nothing_stored(url: str) -> None:
    with engine_on(url) as engine, engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM import_run")).scalar() == 0


def test_an_upload_over_the_limit_is_413_naming_the_setting(
    fresh_db_url, make_client, editor, tmp_path
):
    client = make_client(fresh_db_url, max_upload_bytes=4096)
    big = tmp_path / "big.geojson"
    big.write_bytes(b'{"type": "FeatureCollection", "features": []}' + b" " * 10_000)
    response = _upload(client, editor, big)
    assert response.status_code == 413
    assert "PARKS_MAX_UPLOAD_BYTES" in response.json()["message"]
    _nothing_stored(fresh_db_url)


@pytest.mark.parametrize("kind", ["traversal", "bomb"])
def test_an_archive_that_climbs_out_or_explodes_is_422(
    fresh_db_url, client, editor, tmp_path, kind
):
    path = (
        write_traversal_zip(tmp_path / "evil.zip")
        if kind == "traversal"
        else write_zip_bomb(tmp_path / "bomb.zip")
    )
    response = _upload(client, editor, path)
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_archive"
    assert not (tmp_path.parent / "evil.txt").exists()
    _nothing_stored(fresh_db_url)


def test_a_shapefile_without_prj_is_422_with_the_likely_crs(fresh_db_url, client, editor, tmp_path):
    parcels = _pick(fresh_db_url, "v.park = 'jiangtan'", 2)
    shp = write_zone_prefixed_shapefile(_frame(parcels), tmp_path / "shp" / "noprj.shp", prj=False)
    path = zip_paths([shp], tmp_path / "noprj.zip")
    response = _upload(client, editor, path)
    assert response.status_code == 422
    assert response.json()["error"] == "missing_crs"
    assert response.json()["suggestion"] == "EPSG:4524"
    assert _upload(client, editor, path, crs="EPSG:4524").status_code == 201


@pytest.mark.parametrize(
    ("form", "error", "parameter"),
    [
        ({"park": "gaoxin", "park_field": "园区"}, "invalid_parameter", "park"),
        ({"park": "atlantis"}, "invalid_parameter", "park"),
        ({"status": "sold"}, "invalid_parameter", "status"),
        ({"crs": "EPSG:999999"}, "invalid_parameter", "crs"),
        ({"map": "宗地编号"}, "invalid_mapping", None),
        ({"map": "NOPE=parcel_code"}, "invalid_mapping", None),
    ],
)
def test_wrong_options_are_422_naming_them(
    fresh_db_url, client, editor, tmp_path, form, error, parameter
):
    path = _zipped_shapefile(_pick(fresh_db_url, "v.park = 'jiangtan'", 1), tmp_path)
    response = _upload(client, editor, path, **form)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == error
    if parameter:
        assert response.json()["parameter"] == parameter
    _nothing_stored(fresh_db_url)

"""Change sets within limits, through the app on a real PostGIS: a parcel lies inside its
park and is at least the minimum area; geometry and text are bounded; coordinates must be
plausible for the CRS they are sent in; heights are dropped; NUL characters are refused.

Expected numbers are our own: shapely areas in EPSG:4545 of the geometry the test builds,
positions from our own pyproj transformers, vertex counts from shapely.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon, box
from sqlalchemy import Connection, Engine, create_engine, text
from support_changes import (
    LAND_TABLES,
    change_set,
    count,
    engine_for,
    find_parcels,
    free_box,
    geojson,
    last_ledger,
    parcel,
    park_boundary,
    register_op,
    table_fingerprints,
    to_crs,
    touching_pair,
    url_for,
)

pytestmark = pytest.mark.e2e

NEW_YORK = (-74.0060, 40.7128)  # lon, lat
#: A square of 3e-7 degrees: about 0.03 m a side, the review's 0.0009 m² parcel.
NEW_YORK_SQUARE = box(NEW_YORK[0], NEW_YORK[1], NEW_YORK[0] + 3e-7, NEW_YORK[1] + 3e-7)


@dataclass
class Api:
    """The app on one database, an editor's token, and our own engine to look inside."""

    client: object
    headers: dict[str, str]
    engine: Engine

    def post(self, body: dict | str):
        if isinstance(body, str):
            return self.client.post(
                "/api/change-sets",
                content=body.encode(),
                headers={**self.headers, "Content-Type": "application/json"},
            )
        return self.client.post("/api/change-sets", json=body, headers=self.headers)

    def conn(self) -> Connection:
        return self.engine.connect()


def _api(url: str, make_client, make_token, **settings) -> Api:
    client = make_client(url, **settings)
    headers = make_token(url, "editor", name=f"editor-{uuid.uuid4().hex[:6]}")
    return Api(client, headers, create_engine(url, pool_size=2, max_overflow=0))


@pytest.fixture(scope="module")
def refused_db_url(databases, loaded_template):
    """A copy of the sample that only receives change sets that must be refused."""
    return url_for(databases.create(template=loaded_template))


@pytest.fixture(scope="module")
def accepting_db_url(databases, loaded_template):
    """A copy of the sample for the change sets that must be accepted (each in its own spot)."""
    return url_for(databases.create(template=loaded_template))


@pytest.fixture
def refused(refused_db_url, make_client, make_token):
    api = _api(refused_db_url, make_client, make_token)
    yield api
    api.engine.dispose()


@pytest.fixture
def accepting(accepting_db_url, make_client, make_token):
    api = _api(accepting_db_url, make_client, make_token)
    yield api
    api.engine.dispose()


# --- checks -----------------------------------------------------------------------------------


def land_state(api: Api) -> dict:
    with api.conn() as conn:
        return table_fingerprints(conn, LAND_TABLES + ("ledger_head",))


def refused_as_invalid(api: Api, body, *, operation: int | None, contains) -> dict:
    """POST *body*; it must be a 422 invalid_change_set whose one problem is about
    *operation* and says each of *contains*; and no land table may have changed."""
    before = land_state(api)
    response = api.post(body)
    assert response.status_code == 422, response.text[:2000]
    out = response.json()
    assert out["error"] == "invalid_change_set"
    assert [p["operation"] for p in out["problems"]] == [operation], out["problems"]
    for needle in [contains] if isinstance(contains, str) else contains:
        assert needle in out["problems"][0]["message"], out["problems"][0]["message"]
    assert land_state(api) == before
    return out


def exists(api: Api, code: str) -> bool:
    with api.conn() as conn:
        return count(conn, "parcel_version", "parcel_code = :c", {"c": code}) > 0


def caijiapo_parcel(api: Api) -> str:
    with api.conn() as conn:
        (code,) = find_parcels(conn, "v.park = 'caijiapo' AND v.land_use_code = '0601'", limit=1)
    return code


# --- placement: inside the park, at least the minimum area ------------------------------------


def test_a_tiny_square_in_new_york_is_refused_in_caijiapo(refused):
    refused_as_invalid(
        refused,
        change_set("register", register_op("CJP-NY01", "caijiapo", NEW_YORK_SQUARE)),
        operation=0,
        contains="parcel CJP-NY01 lies entirely outside park caijiapo",
    )
    assert not exists(refused, "CJP-NY01")


def test_reshaping_an_existing_parcel_into_the_new_york_square_is_refused(refused):
    # Land that is not manufacturing, so that the rule has nothing to say about the loss.
    with refused.conn() as conn:
        (code,) = find_parcels(conn, "v.park = 'caijiapo' AND v.land_use_code = '0701'", limit=1)
    with refused.conn() as conn:
        before = parcel(conn, code)
    reshape = {"op": "reshape", "parcel_code": code, "geometry": geojson(NEW_YORK_SQUARE)}
    refused_as_invalid(
        refused,
        change_set("reshape", reshape),
        operation=0,
        contains=f"parcel {code} lies entirely outside park caijiapo",
    )
    with refused.conn() as conn:
        after = parcel(conn, code)
    assert after["version_id"] == before["version_id"]
    assert after["geom"].equals_exact(before["geom"], 0)


def _straddling_square(conn: Connection, park: str, size_m: float = 20.0):
    """A *size_m* square (EPSG:4545) centred on *park*'s boundary that touches no parcel."""
    boundary = park_boundary(conn, park)
    parcels = shapely.union_all(
        [
            shapely.from_wkb(r[0])
            for r in conn.execute(
                text("SELECT ST_AsBinary(geom) FROM parcel_version WHERE valid_to IS NULL")
            )
        ]
    ).buffer(2.0)
    line = boundary.boundary
    for step in range(0, int(line.length), 25):
        p = line.interpolate(step)
        square = box(p.x - size_m / 2, p.y - size_m / 2, p.x + size_m / 2, p.y + size_m / 2)
        outside = square.difference(boundary).area
        if not square.intersects(parcels) and 0.2 * square.area < outside < 0.8 * square.area:
            return square, outside
    raise AssertionError(f"no free spot on the boundary of {park}")


def test_a_parcel_partly_outside_its_park_is_refused_with_the_area_outside(refused):
    with refused.conn() as conn:
        square, outside = _straddling_square(conn, "caijiapo")
    refused_as_invalid(
        refused,
        change_set("register", register_op("CJP-N201", "caijiapo", square, crs="EPSG:4545")),
        operation=0,
        contains=f"parcel CJP-N201 lies {outside:,.2f} m² outside park caijiapo",
    )


def test_a_parcel_of_half_a_square_metre_is_refused(refused):
    with refused.conn() as conn:
        free = free_box(conn, "caijiapo", size_m=10)
    x, y = free.centroid.x, free.centroid.y
    half = box(x, y, x + 1.0, y + 0.5)
    assert half.area == 0.5
    refused_as_invalid(
        refused,
        change_set("register", register_op("CJP-N202", "caijiapo", half, crs="EPSG:4545")),
        operation=0,
        contains=[
            "parcel CJP-N202 has an area of 0.50 m²",
            "at least 1 m² (PARKS_MIN_PARCEL_AREA_M2)",
        ],
    )


def test_a_split_leaving_a_part_below_the_minimum_area_is_refused(refused):
    code = caijiapo_parcel(refused)
    with refused.conn() as conn:
        parent = parcel(conn, code)["geom"]
    inside = parent.buffer(-5.0).representative_point()
    tiny = box(inside.x, inside.y, inside.x + 1.0, inside.y + 0.5)
    assert parent.contains(tiny)
    rest = parent.difference(tiny)
    split = {
        "op": "split",
        "parcel_code": code,
        "crs": "EPSG:4545",
        "parts": [
            {"parcel_code": f"{code}-A", "geometry": geojson(rest)},
            {"parcel_code": f"{code}-B", "geometry": geojson(tiny)},
        ],
    }
    refused_as_invalid(
        refused,
        change_set("split", split),
        operation=0,
        contains=f"parcel {code}-B has an area of 0.50 m²",
    )


def test_the_minimum_area_is_a_setting(refused_db_url, make_client, make_token):
    api = _api(refused_db_url, make_client, make_token, min_parcel_area_m2=100.0)
    with api.conn() as conn:
        square = free_box(conn, "caijiapo", size_m=9)
    refused_as_invalid(
        api,
        change_set("register", register_op("CJP-N203", "caijiapo", square, crs="EPSG:4545")),
        operation=0,
        contains="has an area of 81.00 m²; a parcel needs at least 100 m²",
    )
    api.engine.dispose()


def _mergeable_pair(api: Api) -> tuple[str, str, object]:
    """Two touching parcels of one class and status, and their union (EPSG:4545)."""
    with api.conn() as conn:
        a, b = touching_pair(conn, "a.land_use_code = b.land_use_code AND a.status = b.status")
        union = shapely.union_all([parcel(conn, a)["geom"], parcel(conn, b)["geom"]])
    return a, b, union


def test_a_merge_below_the_minimum_area_is_refused(refused_db_url, make_client, make_token):
    api = _api(refused_db_url, make_client, make_token, min_parcel_area_m2=1e9)
    a, b, union = _mergeable_pair(api)
    merge = {"op": "merge", "parcel_codes": [a, b], "parcel_code": f"{a}-M"}
    refused_as_invalid(
        api,
        change_set("merge", merge),
        operation=0,
        contains=f"parcel {a}-M has an area of {union.area:,.2f} m²; a parcel needs at least "
        "1,000,000,000 m² (PARKS_MIN_PARCEL_AREA_M2)",
    )
    api.engine.dispose()


def test_a_merge_making_a_parcel_of_more_vertices_than_the_limit_is_refused(
    refused_db_url, make_client, make_token
):
    api = _api(refused_db_url, make_client, make_token, max_parcel_vertices=4)
    a, b, union = _mergeable_pair(api)
    vertices = shapely.get_num_coordinates(union)
    assert vertices > 4
    merge = {"op": "merge", "parcel_codes": [a, b], "parcel_code": f"{a}-M"}
    refused_as_invalid(
        api,
        change_set("merge", merge),
        operation=0,
        contains=f"the merged parcel {a}-M has {vertices:,} vertices; at most 4 per parcel "
        "(PARKS_MAX_PARCEL_VERTICES)",
    )
    api.engine.dispose()


# --- bounded geometry and text ----------------------------------------------------------------


def test_a_parcel_of_500000_vertices_is_refused_fast_before_its_geometry_is_parsed(
    refused_db_url, make_client, make_token, monkeypatch
):
    import service.changes.apply as apply_module

    def never(*_args, **_kwargs):
        raise AssertionError("the geometry of a refused change set was parsed")

    monkeypatch.setattr(apply_module, "parcel_geometry", never)
    api = _api(refused_db_url, make_client, make_token, max_json_body_bytes=64 * 1024 * 1024)
    with api.conn() as conn:
        centre = free_box(conn, "caijiapo", size_m=100).centroid
        ledger_before = last_ledger(conn)["seq"]
    angles = np.linspace(0.0, 2 * np.pi, 500_000, endpoint=False)
    ring = np.column_stack([centre.x + 40.0 * np.cos(angles), centre.y + 40.0 * np.sin(angles)])
    circle = Polygon(ring)
    vertices = shapely.get_num_coordinates(circle)
    assert vertices == 500_001
    body = json.dumps(
        change_set("register", register_op("CJP-N300", "caijiapo", circle, crs="EPSG:4545"))
    )
    started = time.perf_counter()
    refused_as_invalid(
        api,
        body,
        operation=0,
        contains="geometry has 500,001 vertices; at most 20,000 per parcel "
        "(PARKS_MAX_PARCEL_VERTICES)",
    )
    elapsed = time.perf_counter() - started
    assert elapsed < 20.0, f"took {elapsed:.1f} s"
    assert not exists(api, "CJP-N300")
    with api.conn() as conn:
        assert last_ledger(conn)["seq"] == ledger_before
    api.engine.dispose()


FIVE_MB = "x" * 5_000_000


def test_a_five_megabyte_holder_is_refused_on_register(refused):
    with refused.conn() as conn:
        square = free_box(conn, "caijiapo")
    op = register_op("CJP-N301", "caijiapo", square, crs="EPSG:4545")
    op["holder"] = FIVE_MB
    refused_as_invalid(
        refused,
        change_set("register", op),
        operation=0,
        contains="holder has 5,000,000 characters; at most 500 (PARKS_MAX_TEXT_CHARS)",
    )
    assert not exists(refused, "CJP-N301")


@pytest.mark.parametrize("field", ["holder", "project"])
def test_a_five_megabyte_text_is_refused_on_supply(refused, field):
    with refused.conn() as conn:
        (code,) = find_parcels(conn, "v.status = 'reserve'", limit=1)
    supply = {"op": "supply", "parcel_code": code, "holder": "某公司", "mode": "lease"}
    supply[field] = FIVE_MB
    refused_as_invalid(
        refused,
        change_set("supply", supply),
        operation=0,
        contains=f"{field} has 5,000,000 characters; at most 500 (PARKS_MAX_TEXT_CHARS)",
    )


def test_a_five_megabyte_document_number_is_refused_for_the_change_set(refused):
    code = caijiapo_parcel(refused)
    refused_as_invalid(
        refused,
        change_set(
            "set_status",
            {"op": "set_status", "parcel_code": code, "status": "idle"},
            document_no=FIVE_MB,
        ),
        operation=None,
        contains="document_no has 5,000,000 characters; at most 500 (PARKS_MAX_TEXT_CHARS)",
    )


def test_the_text_limit_is_a_setting(refused_db_url, make_client, make_token):
    api = _api(refused_db_url, make_client, make_token, max_text_chars=10)
    with api.conn() as conn:
        (code,) = find_parcels(conn, "v.status = 'reserve'", limit=1)
    supply = {
        "op": "supply",
        "parcel_code": code,
        "holder": "宝鸡钛谷新材料有限公司",
        "mode": "lease",
    }
    refused_as_invalid(
        api,
        change_set("supply", supply),
        operation=0,
        contains="holder has 11 characters; at most 10 (PARKS_MAX_TEXT_CHARS)",
    )
    api.engine.dispose()


# --- NUL characters ---------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["reason", "document_no"])
def test_a_nul_in_the_reason_or_document_number_is_refused_naming_it(refused, field):
    code = caijiapo_parcel(refused)
    body = change_set("set_status", {"op": "set_status", "parcel_code": code, "status": "idle"})
    body[field] = "批文\u0000号"
    out = refused_as_invalid(refused, body, operation=None, contains=f"{field}: ")
    assert out["problems"][0]["message"].startswith(f"{field}: ")
    assert "NUL" in out["problems"][0]["message"]


def test_a_nul_in_a_holder_or_in_geometry_is_refused_naming_the_field(refused):
    with refused.conn() as conn:
        (code,) = find_parcels(conn, "v.status = 'reserve'", limit=1)
        square = free_box(conn, "caijiapo")
    supply = {"op": "supply", "parcel_code": code, "holder": "某\u0000公司", "mode": "lease"}
    refused_as_invalid(refused, change_set("supply", supply), operation=0, contains="holder: ")
    op = register_op("CJP-N302", "caijiapo", square, crs="EPSG:4545")
    op["geometry"]["properties\u0000"] = {}
    refused_as_invalid(refused, change_set("register", op), operation=0, contains="geometry: ")


# --- coordinates plausible for their CRS ------------------------------------------------------


def test_lonlat_sent_as_web_mercator_is_refused_naming_the_crs(refused):
    with refused.conn() as conn:
        square = to_crs(free_box(conn, "caijiapo"), 4545, 4326)
    refused_as_invalid(
        refused,
        change_set("register", register_op("CJP-N400", "caijiapo", square, crs="EPSG:3857")),
        operation=0,
        contains=["EPSG:3857", "longitude/latitude"],
    )
    assert not exists(refused, "CJP-N400")


def test_eastings_without_the_zone_prefix_are_refused_naming_the_crs(refused):
    with refused.conn() as conn:
        square = free_box(conn, "caijiapo")  # EPSG:4545 eastings: ~462,000, no prefix
    refused_as_invalid(
        refused,
        change_set("register", register_op("CJP-N401", "caijiapo", square, crs="EPSG:4524")),
        operation=0,
        contains=["EPSG:4524", "zone number 36"],
    )


def test_zone_prefixed_eastings_in_their_zone_crs_are_accepted(accepting):
    with accepting.conn() as conn:
        square = free_box(conn, "caijiapo")
    sent = to_crs(square, 4545, 4524)
    assert 36_000_000 < sent.bounds[0] < 37_000_000
    response = accepting.post(
        change_set("register", register_op("CJP-N402", "caijiapo", sent, crs="EPSG:4524"))
    )
    assert response.status_code == 201, response.text
    with accepting.conn() as conn:
        stored = parcel(conn, "CJP-N402")
    assert stored["area_m2"] == pytest.approx(square.area, abs=1e-4)


# --- heights ----------------------------------------------------------------------------------


def _with_height(obj: dict, z: float) -> dict:
    return {
        "type": obj["type"],
        "coordinates": [[[*position, z] for position in ring] for ring in obj["coordinates"]],
    }


@pytest.mark.parametrize("crs", ["EPSG:4545", "EPSG:4326"])
def test_3d_coordinates_are_stored_with_their_height_dropped(accepting, crs):
    epsg = int(crs.split(":")[1])
    with accepting.conn() as conn:
        square = free_box(conn, "caijiapo", size_m=24)
    sent = to_crs(square, 4545, epsg)
    expected = float(shapely.area(to_crs(sent, epsg, 4545)))
    code = f"CJP-N5{epsg}"
    op = register_op(code, "caijiapo", sent, crs=crs)
    op["geometry"] = _with_height(op["geometry"], 612.5)
    response = accepting.post(change_set("register", op))
    assert response.status_code == 201, response.text
    with accepting.conn() as conn:
        stored = parcel(conn, code)
        dims = conn.execute(
            text(
                "SELECT ST_NDims(geom) FROM parcel_version "
                "WHERE parcel_code = :c AND valid_to IS NULL"
            ),
            {"c": code},
        ).scalar_one()
    assert dims == 2
    assert not stored["geom"].has_z
    assert stored["area_m2"] == pytest.approx(expected, abs=1e-4)


# --- the command line applies the same limits -------------------------------------------------


def test_the_cli_refuses_text_beyond_the_limit_naming_the_setting(refused_db_url, tmp_path):
    with engine_for(refused_db_url) as engine, engine.connect() as conn:
        (code,) = find_parcels(conn, "v.status = 'reserve'", limit=1)
        before = table_fingerprints(conn, LAND_TABLES)
    supply = {"op": "supply", "parcel_code": code, "holder": "x" * 11, "mode": "lease"}
    path = tmp_path / "change.json"
    path.write_text(json.dumps(change_set("supply", supply)))
    result = subprocess.run(
        [str(Path(sys.executable).with_name("parks")), "change", "apply", str(path)],
        env={
            **os.environ,
            "DATABASE_URL": refused_db_url,
            "PARKS_MAX_TEXT_CHARS": "10",
            "COLUMNS": "200",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "holder has 11 characters; at most 10 (PARKS_MAX_TEXT_CHARS)" in " ".join(
        result.stderr.split()
    )
    with engine_for(refused_db_url) as engine, engine.connect() as conn:
        assert table_fingerprints(conn, LAND_TABLES) == before

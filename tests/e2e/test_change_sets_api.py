"""POST /api/change-sets and GET /api/change-sets/{id}: every operation, the rule's 409 and
the 422 of invalid operations, through the app on a real PostGIS.

Expected numbers are computed here: shapely areas (EPSG:4545) of the geometry the test
builds or reads straight from the database, and totals summed with our own SQL.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

import pytest
import shapely
import shapely.affinity
from shapely.geometry import Polygon, box
from sqlalchemy import Connection, Engine, create_engine, text
from support_changes import (
    LAND_TABLES,
    M2_PER_MU,
    RULE_SCRATCH_TABLES,
    change_set,
    count,
    every_table_fingerprint,
    find_parcels,
    free_box,
    free_space,
    geojson,
    last_ledger,
    manufacturing_totals,
    parcel,
    register_op,
    rezone_op,
    split_in_two,
    to_crs,
    touching_pair,
    url_for,
    versions,
)

pytestmark = pytest.mark.e2e

ACCEPTED_KEYS = {"id", "ledger_seq", "delta_m2", "manufacturing_total_m2", "manufacturing_total_mu"}
REFUSED_KEYS = {
    "error",
    "scope",
    "total_before_m2",
    "total_after_m2",
    "shortfall_m2",
    "shortfall_mu",
    "parcels",
    "message",
}
PARKS = {"caijiapo", "fengxiang", "gaoxin", "jiangtan"}
#: The body rounds areas to 4 decimals.
BODY_TOL = 1e-4


@dataclass
class Api:
    """The app on one database, an editor's token, and our own engine to look inside."""

    client: object
    headers: dict[str, str]
    engine: Engine
    actor: str

    def post(self, body: dict):
        return self.client.post("/api/change-sets", json=body, headers=self.headers)

    def accepted(self, body: dict) -> dict:
        response = self.post(body)
        assert response.status_code == 201, response.text
        out = response.json()
        assert set(out) == ACCEPTED_KEYS
        assert set(out["delta_m2"]) == {"city", "parks"}
        return out

    def detail(self, change_set_id: int) -> dict:
        response = self.client.get(f"/api/change-sets/{change_set_id}")
        assert response.status_code == 200, response.text
        return response.json()

    def conn(self) -> Connection:
        return self.engine.connect()


def _make_api(url, make_client, make_token, **settings) -> Api:
    actor = f"editor-今天-{uuid.uuid4().hex[:6]}"
    client = make_client(url, **settings)
    headers = make_token(url, "editor", name=actor)
    return Api(client, headers, create_engine(url, pool_size=2, max_overflow=0), actor)


@pytest.fixture
def api(fresh_db_url, make_client, make_token):
    api = _make_api(fresh_db_url, make_client, make_token)
    yield api
    api.engine.dispose()


@pytest.fixture(scope="module")
def refusals_db_url(databases, loaded_template):
    """A copy of the sample that only ever receives refused or invalid change sets, shared
    by this module's 409 and 422 tests: each proves it stored nothing (but its ``refusal``
    row), so they cannot disturb one another — and a database per test costs seconds."""
    return url_for(databases.create(template=loaded_template))


@pytest.fixture
def refusal_api(refusals_db_url, make_client, make_token):
    api = _make_api(refusals_db_url, make_client, make_token)
    yield api
    api.engine.dispose()


# --- checks ----------------------------------------------------------------------------------


def snapshot(api: Api) -> dict:
    with api.conn() as conn:
        return {
            **every_table_fingerprint(conn),
            "refusal": count(conn, "refusal"),
        }


def assert_nothing_stored(api: Api, before: dict) -> None:
    """Every table exactly as it was; only ``refusal`` gained its one row."""
    after = snapshot(api)
    assert set(before) >= set(LAND_TABLES + RULE_SCRATCH_TABLES + ("ledger_head", "project"))
    assert after["refusal"] == before["refusal"] + 1
    for key in before:
        if key != "refusal":
            assert after[key] == before[key], f"{key} changed"
    assert after["rule_pending"][0] == 0 and after["rule_txn"][0] == 0


def assert_accepted_totals(api: Api, out: dict, *, city_before: float, delta: float, parks=None):
    """The body's numbers against our own: the delta we computed, and totals by SQL."""
    with api.conn() as conn:
        city_after, _ = manufacturing_totals(conn)
        ledger = last_ledger(conn)
    assert out["delta_m2"]["city"] == pytest.approx(delta, abs=BODY_TOL)
    assert city_after - city_before == pytest.approx(delta, abs=1e-3)
    assert out["manufacturing_total_m2"] == pytest.approx(city_after, abs=0.01)
    assert out["manufacturing_total_mu"] == pytest.approx(city_after / M2_PER_MU, abs=1e-5)
    assert out["ledger_seq"] == ledger["seq"]
    assert ledger["change_set_id"] == out["id"]
    assert set(out["delta_m2"]["parks"]) == PARKS
    for park, expected in (parks or {}).items():
        assert out["delta_m2"]["parks"][park] == pytest.approx(expected, abs=BODY_TOL), park


def assert_refused_body(
    body: dict, *, total_before: float, shortfall: float, parcels, scope="city"
):
    assert set(body) - {"high_water_m2", "request_id"} == REFUSED_KEYS
    assert body["error"] == "manufacturing_land_would_decrease"
    assert body["scope"] == scope
    assert body["total_before_m2"] == pytest.approx(total_before, abs=0.01)
    assert body["total_after_m2"] == pytest.approx(total_before - shortfall, abs=0.01)
    assert body["shortfall_m2"] == pytest.approx(shortfall, abs=BODY_TOL)
    assert body["shortfall_mu"] == pytest.approx(shortfall / M2_PER_MU, abs=1e-5)
    assert body["parcels"] == list(parcels)
    assert f"{shortfall:,.2f} m²" in body["message"]
    assert f"{shortfall / M2_PER_MU:,.2f} 亩" in body["message"]


def assert_invalid_body(response, *, operation: int | None, contains: str | list[str]):
    assert response.status_code == 422, response.text
    body = response.json()
    assert set(body) - {"message", "request_id"} == {"error", "problems"}
    assert body["error"] == "invalid_change_set"
    assert [p["operation"] for p in body["problems"]] == [operation]
    for needle in [contains] if isinstance(contains, str) else contains:
        assert needle in body["problems"][0]["message"], body["problems"][0]["message"]
    return body


def assert_history(api: Api, code: str, change_set_id: int) -> None:
    """The old version closed at the change set's moment, the new one current from it."""
    with api.conn() as conn:
        at = conn.execute(
            text("SELECT committed_at FROM change_set WHERE id = :i"), {"i": change_set_id}
        ).scalar_one()
        history = versions(conn, code)
    old, new = history[-2], history[-1]
    assert old["valid_to"] == at
    assert old["ended_by_change_set_id"] == change_set_id
    assert new["valid_from"] == at
    assert new["valid_to"] is None
    assert new["change_set_id"] == change_set_id


def totals(api: Api) -> float:
    with api.conn() as conn:
        return manufacturing_totals(conn)[0]


def pick(api: Api, where: str, params=None, n: int = 1) -> list[str]:
    with api.conn() as conn:
        return find_parcels(conn, where, params, limit=n)


def geom_of(api: Api, code: str):
    with api.conn() as conn:
        return parcel(conn, code)["geom"]


def area_of(api: Api, code: str) -> float:
    return float(shapely.area(geom_of(api, code)))


# --- register ------------------------------------------------------------------------------


def test_registering_industrial_land_adds_its_area_in_each_accepted_crs(api):
    """One change set per CRS (EPSG:4326 by default, 4490, 4545), each in its own free spot;
    the area expected is our own projection of the very coordinates sent."""
    placed = []
    for n, crs in enumerate([None, "EPSG:4490", "EPSG:4545"]):
        with api.conn() as conn:
            square = free_box(conn, "caijiapo", size_m=24, avoid=placed)
        placed.append(square)
        epsg = int(crs.split(":")[1]) if crs else 4326
        sent = shapely.from_geojson(shapely.to_geojson(to_crs(square, 4545, epsg)))
        expected = float(shapely.area(to_crs(sent, epsg, 4545)))
        assert expected == pytest.approx(576.0, abs=0.5)
        code = f"CJP-N00{n}"
        city_before = totals(api)
        out = api.accepted(
            change_set(
                "register",
                register_op(code, "caijiapo", sent, crs=crs, status="reserve"),
                document_no="宝自然资〔2026〕3号",
            )
        )
        assert_accepted_totals(
            api,
            out,
            city_before=city_before,
            delta=expected,
            parks={"caijiapo": expected, "gaoxin": 0.0, "jiangtan": 0.0, "fengxiang": 0.0},
        )
        with api.conn() as conn:
            (version,) = versions(conn, code)
            stored = parcel(conn, code)
        assert version["valid_to"] is None and version["change_set_id"] == out["id"]
        assert stored["area_m2"] == pytest.approx(expected, abs=1e-6)
        assert (stored["park"], stored["land_use_code"], stored["status"]) == (
            "caijiapo",
            "0601",
            "reserve",
        )
        detail = api.detail(out["id"])
        assert (detail["id"], detail["kind"], detail["actor"]) == (out["id"], "register", api.actor)
        assert detail["document_no"] == "宝自然资〔2026〕3号"
        (operation,) = detail["operations"]
        assert operation["before"] == []
        (after,) = operation["after"]
        assert after["parcel_code"] == code
        assert after["area_m2"] == pytest.approx(expected, abs=BODY_TOL)
        assert detail["ledger"]["seq"] == out["ledger_seq"]


# --- rezone --------------------------------------------------------------------------------


def test_rezoning_industrial_to_residential_is_refused_with_the_parcels_area_as_shortfall(
    refusal_api,
):
    (code,) = pick(refusal_api, "v.land_use_code = '0601'")
    area = area_of(refusal_api, code)
    city_before = totals(refusal_api)
    before = snapshot(refusal_api)
    response = refusal_api.post(change_set("rezone", rezone_op(code, "0701"), reason="住宅开发"))
    assert response.status_code == 409, response.text
    assert_refused_body(response.json(), total_before=city_before, shortfall=area, parcels=[code])
    assert_nothing_stored(refusal_api, before)


def test_a_refusal_is_logged_in_the_refusal_table(refusal_api):
    (code,) = pick(refusal_api, "v.land_use_code = '0601'")
    area = area_of(refusal_api, code)
    body = change_set("rezone", rezone_op(code, "0701"), reason="住宅开发", document_no="X-1")
    assert refusal_api.post(body).status_code == 409
    with refusal_api.conn() as conn:
        row = conn.execute(text("SELECT * FROM refusal ORDER BY id DESC LIMIT 1")).mappings().one()
    assert row["actor"] == refusal_api.actor
    assert row["error"] == "manufacturing_land_would_decrease"
    assert row["scope"] == "city"
    assert row["shortfall_m2"] == pytest.approx(area, abs=1e-6)
    assert (row["kind"], row["reason"], row["document_no"]) == ("rezone", "住宅开发", "X-1")
    assert json.loads(row["body"])["operations"] == body["operations"]


def test_a_rezone_compensated_by_rezoning_larger_land_to_industrial_is_accepted(api):
    (loser,) = pick(api, "v.land_use_code = '0601' AND v.park = 'gaoxin' AND v.area_m2 < 15000")
    loss = area_of(api, loser)
    (gainer,) = pick(
        api, "v.land_use_code = '0701' AND v.park = 'jiangtan' AND v.area_m2 > :a", {"a": loss}
    )
    gain = area_of(api, gainer)
    city_before = totals(api)
    out = api.accepted(
        change_set("rezone", rezone_op(loser, "0701"), rezone_op(gainer, "0601"), reason="占补平衡")
    )
    assert_accepted_totals(
        api,
        out,
        city_before=city_before,
        delta=gain - loss,
        parks={"gaoxin": -loss, "jiangtan": gain, "caijiapo": 0.0},
    )
    assert_history(api, loser, out["id"])
    assert_history(api, gainer, out["id"])
    ops = api.detail(out["id"])["operations"]
    assert [o["before"][0]["land_use_code"] for o in ops] == ["0601", "0701"]
    assert [o["after"][0]["land_use_code"] for o in ops] == ["0701", "0601"]
    assert ops[0]["after"][0]["area_m2"] == pytest.approx(loss, abs=BODY_TOL)


def test_an_undercompensated_rezone_is_refused_for_the_difference(refusal_api):
    (loser,) = pick(refusal_api, "v.land_use_code = '0601' AND v.area_m2 > 30000")
    loss = area_of(refusal_api, loser)
    (gainer,) = pick(refusal_api, "v.land_use_code = '0701' AND v.area_m2 < :a", {"a": loss / 2})
    gain = area_of(refusal_api, gainer)
    city_before = totals(refusal_api)
    before = snapshot(refusal_api)
    response = refusal_api.post(
        change_set("rezone", rezone_op(loser, "0701"), rezone_op(gainer, "0601"))
    )
    assert response.status_code == 409, response.text
    assert_refused_body(
        response.json(), total_before=city_before, shortfall=loss - gain, parcels=[loser]
    )
    assert_nothing_stored(refusal_api, before)


def test_the_per_park_floor_setting_refuses_a_parks_loss_compensated_elsewhere(
    fresh_db_url, make_client, make_token
):
    api = _make_api(fresh_db_url, make_client, make_token, per_park_floor=True)
    try:
        with api.conn() as conn:
            assert conn.execute(text("SELECT per_park_floor FROM rule_policy")).scalar() is True
            park_before = manufacturing_totals(conn)[1]["gaoxin"]
        (loser,) = pick(api, "v.land_use_code = '0601' AND v.park = 'gaoxin' AND v.area_m2 < 15000")
        loss = area_of(api, loser)
        (gainer,) = pick(
            api, "v.land_use_code = '0701' AND v.park = 'jiangtan' AND v.area_m2 > :a", {"a": loss}
        )
        before = snapshot(api)
        response = api.post(
            change_set("rezone", rezone_op(loser, "0701"), rezone_op(gainer, "0601"))
        )
        assert response.status_code == 409, response.text
        assert_refused_body(
            response.json(),
            total_before=park_before,
            shortfall=loss,
            parcels=[loser],
            scope="gaoxin",
        )
        assert_nothing_stored(api, before)
    finally:
        api.engine.dispose()


# --- reshape -------------------------------------------------------------------------------


def _growable(api: Api, park: str = "fengxiang"):
    """An industrial parcel of *park* with free space beside it, and its grown shape."""
    with api.conn() as conn:
        free = free_space(conn, park)
        for code in find_parcels(conn, f"v.land_use_code = '0601' AND v.park = '{park}'", limit=80):
            geom = parcel(conn, code)["geom"]
            grown = geom.buffer(4.0, join_style="mitre").intersection(geom.union(free))
            grown = shapely.normalize(
                shapely.MultiPolygon([grown]) if grown.geom_type == "Polygon" else grown
            )
            if grown.is_valid and shapely.area(grown) - shapely.area(geom) > 50:
                return code, geom, grown
    raise AssertionError(f"no industrial parcel of {park} borders free space")


def test_reshaping_industrial_land_larger_adds_the_difference(api):
    code, geom, grown = _growable(api)
    gain = float(shapely.area(grown) - shapely.area(geom))
    city_before = totals(api)
    out = api.accepted(
        change_set(
            "reshape",
            {"op": "reshape", "parcel_code": code, "geometry": geojson(grown), "crs": "EPSG:4545"},
        )
    )
    assert_accepted_totals(api, out, city_before=city_before, delta=gain, parks={"fengxiang": gain})
    assert_history(api, code, out["id"])
    (operation,) = api.detail(out["id"])["operations"]
    assert operation["before"][0]["area_m2"] == pytest.approx(
        float(shapely.area(geom)), abs=BODY_TOL
    )
    assert operation["after"][0]["area_m2"] == pytest.approx(
        float(shapely.area(grown)), abs=BODY_TOL
    )


def test_reshaping_industrial_land_smaller_is_refused_for_the_lost_area(refusal_api):
    (code,) = pick(refusal_api, "v.land_use_code = '0601'")
    geom = geom_of(refusal_api, code)
    shrunk = geom.buffer(-3.0, join_style="mitre")
    loss = float(shapely.area(geom) - shapely.area(shrunk))
    city_before = totals(refusal_api)
    before = snapshot(refusal_api)
    response = refusal_api.post(
        change_set(
            "reshape",
            {"op": "reshape", "parcel_code": code, "geometry": geojson(shrunk), "crs": "EPSG:4545"},
        )
    )
    assert response.status_code == 409, response.text
    assert_refused_body(response.json(), total_before=city_before, shortfall=loss, parcels=[code])
    assert_nothing_stored(refusal_api, before)


# --- split ---------------------------------------------------------------------------------


def _split_body(code: str, west, east, *, west_class=None):
    west_part = {"parcel_code": f"{code}-A", "geometry": geojson(west)}
    if west_class:
        west_part["land_use_code"] = west_class
    return change_set(
        "split",
        {
            "op": "split",
            "parcel_code": code,
            "crs": "EPSG:4545",
            "parts": [west_part, {"parcel_code": f"{code}-B", "geometry": geojson(east)}],
        },
    )


def test_splitting_a_parcel_keeps_its_area_and_its_lineage(api):
    (code,) = pick(api, "v.land_use_code = '0601' AND v.status = 'reserve'")
    geom = geom_of(api, code)
    west, east = split_in_two(geom, at=0.4)
    city_before = totals(api)
    out = api.accepted(_split_body(code, west, east))
    assert_accepted_totals(api, out, city_before=city_before, delta=0.0)
    with api.conn() as conn:
        (old,) = versions(conn, code)
        at = conn.execute(
            text("SELECT committed_at FROM change_set WHERE id = :i"), {"i": out["id"]}
        ).scalar_one()
        parts = [parcel(conn, f"{code}-A"), parcel(conn, f"{code}-B")]
        lineage = conn.execute(
            text("SELECT parent_code, child_code, kind, change_set_id FROM parcel_lineage")
        ).all()
    assert old["valid_to"] == at and old["ended_by_change_set_id"] == out["id"]
    assert [p["valid_from"] for p in parts] == [at, at]
    assert [p["land_use_code"] for p in parts] == ["0601", "0601"]
    assert [p["status"] for p in parts] == ["reserve", "reserve"]
    assert parts[0]["area_m2"] == pytest.approx(float(shapely.area(west)), abs=1e-6)
    assert parts[1]["area_m2"] == pytest.approx(float(shapely.area(east)), abs=1e-6)
    assert sum(p["area_m2"] for p in parts) == pytest.approx(float(shapely.area(geom)), abs=0.01)
    assert sorted(map(tuple, lineage)) == [
        (code, f"{code}-A", "split", out["id"]),
        (code, f"{code}-B", "split", out["id"]),
    ]
    (operation,) = api.detail(out["id"])["operations"]
    assert [b["parcel_code"] for b in operation["before"]] == [code]
    assert [a["parcel_code"] for a in operation["after"]] == [f"{code}-A", f"{code}-B"]


def test_a_split_that_rezones_a_part_away_from_industry_is_refused(refusal_api):
    (code,) = pick(refusal_api, "v.land_use_code = '0601'")
    west, east = split_in_two(geom_of(refusal_api, code), at=0.5)
    city_before = totals(refusal_api)
    before = snapshot(refusal_api)
    response = refusal_api.post(_split_body(code, west, east, west_class="0701"))
    assert response.status_code == 409, response.text
    body = response.json()
    assert_refused_body(
        body, total_before=city_before, shortfall=float(shapely.area(west)), parcels=body["parcels"]
    )
    assert set(body["parcels"]) <= {code, f"{code}-A"} and body["parcels"]
    assert_nothing_stored(refusal_api, before)


def test_a_parcel_split_with_its_exact_geometry_from_the_read_api_is_accepted(api):
    """The documented way to build a split: fetch the parcel in EPSG:4545, cut it."""
    (code,) = pick(api, "v.land_use_code = '0601' AND v.status = 'ready'")
    response = api.client.get(f"/api/parcels/{code}", params={"crs": "EPSG:4545"})
    assert response.status_code == 200, response.text
    geom = shapely.geometry.shape(response.json()["geometry"])
    west, east = split_in_two(geom, at=0.5)
    api.accepted(_split_body(code, west, east))


# --- merge ---------------------------------------------------------------------------------


def test_merging_touching_parcels_keeps_their_area_and_lineage(api):
    with api.conn() as conn:
        a, b = touching_pair(
            conn, "a.land_use_code = '0601' AND b.land_use_code = '0601' AND a.status = b.status"
        )
    area = area_of(api, a) + area_of(api, b)
    city_before = totals(api)
    out = api.accepted(
        change_set("merge", {"op": "merge", "parcel_codes": [a, b], "parcel_code": f"{a}-M"})
    )
    assert_accepted_totals(api, out, city_before=city_before, delta=0.0)
    with api.conn() as conn:
        merged = parcel(conn, f"{a}-M")
        standing = conn.execute(
            text(
                "SELECT count(*) FROM parcel_version "
                "WHERE parcel_code IN (:a, :b) AND valid_to IS NULL"
            ),
            {"a": a, "b": b},
        ).scalar()
        lineage = conn.execute(
            text("SELECT parent_code, child_code, kind FROM parcel_lineage")
        ).all()
    assert merged["area_m2"] == pytest.approx(area, abs=0.01)
    assert merged["land_use_code"] == "0601"
    assert standing == 0
    assert sorted(map(tuple, lineage)) == [(a, f"{a}-M", "merge"), (b, f"{a}-M", "merge")]
    (operation,) = api.detail(out["id"])["operations"]
    assert sorted(x["parcel_code"] for x in operation["before"]) == sorted([a, b])
    assert [x["parcel_code"] for x in operation["after"]] == [f"{a}-M"]


def test_merging_parcels_of_different_classes_needs_a_class_and_counts_the_gain(api):
    with api.conn() as conn:
        a, b = touching_pair(
            conn,
            "a.status = b.status AND ((a.land_use_code = '0601') <> (b.land_use_code = '0601'))",
        )
        classes = {code: parcel(conn, code)["land_use_code"] for code in (a, b)}
    other = a if classes[a] != "0601" else b
    merge = {"op": "merge", "parcel_codes": [a, b], "parcel_code": f"{a}-M"}
    before = snapshot(api)
    response = api.post(change_set("merge", merge))
    assert_invalid_body(response, operation=0, contains=["different classes", "land_use_code"])
    assert_nothing_stored(api, before)

    city_before = totals(api)
    out = api.accepted(change_set("merge", {**merge, "land_use_code": "0601"}))
    assert_accepted_totals(api, out, city_before=city_before, delta=area_of_version(api, other))


def test_merging_land_supplied_to_one_holder_keeps_the_supply(api):
    with api.conn() as conn:
        a, b = touching_pair(
            conn,
            "a.status = 'ready' AND b.status = 'ready' AND a.land_use_code = b.land_use_code",
        )
    supplied = api.accepted(
        change_set(
            "supply",
            {"op": "supply", "parcel_code": a, "holder": "宝鸡重卡配件厂", "mode": "grant"},
            {"op": "supply", "parcel_code": b, "holder": "宝鸡重卡配件厂", "mode": "grant"},
        )
    )
    with api.conn() as conn:
        dates = {parcel(conn, code)["supplied_on"] for code in (a, b)}
    (supplied_on,) = dates
    assert supplied_on is not None
    out = api.accepted(
        change_set("merge", {"op": "merge", "parcel_codes": [a, b], "parcel_code": f"{a}-M"})
    )
    assert out["id"] > supplied["id"]
    with api.conn() as conn:
        merged = parcel(conn, f"{a}-M")
    assert (merged["status"], merged["holder"], merged["supply_mode"]) == (
        "supplied",
        "宝鸡重卡配件厂",
        "grant",
    )
    assert merged["supplied_on"] == supplied_on, "the merge forgot when the land was supplied"


def area_of_version(api: Api, code: str) -> float:
    """The area of the last version of *code* (standing or not), by shapely."""
    with api.conn() as conn:
        wkb = conn.execute(
            text(
                "SELECT ST_AsBinary(geom) FROM parcel_version WHERE parcel_code = :c "
                "ORDER BY valid_from DESC, version_id DESC LIMIT 1"
            ),
            {"c": code},
        ).scalar_one()
    return float(shapely.area(shapely.from_wkb(wkb)))


# --- supply, set_status, retire ---------------------------------------------------------------


def test_supplying_land_records_holder_mode_and_status_and_refuses_supplied_land(api):
    with api.conn() as conn:
        code, project = conn.execute(
            text(
                "SELECT v.parcel_code, p.project_code FROM parcel_version v "
                "JOIN project p ON p.park = v.park WHERE v.valid_to IS NULL "
                "AND v.status = 'ready' AND v.land_use_code = '0601' "
                "ORDER BY v.parcel_code, p.project_code LIMIT 1"
            )
        ).one()
    city_before = totals(api)
    supply = {
        "op": "supply",
        "parcel_code": code,
        "holder": "宝鸡钛谷新材料有限公司",
        "mode": "grant",
        "project": project,
    }
    out = api.accepted(change_set("supply", supply, document_no="宝土出〔2026〕8号"))
    assert_accepted_totals(api, out, city_before=city_before, delta=0.0)
    assert_history(api, code, out["id"])
    with api.conn() as conn:
        now = parcel(conn, code)
        at = conn.execute(
            text("SELECT committed_at FROM change_set WHERE id = :i"), {"i": out["id"]}
        ).scalar_one()
        linked = count(
            conn,
            "project_parcel",
            "project_code = :p AND parcel_code = :c",
            {"p": project, "c": code},
        )
    assert (now["status"], now["holder"], now["supply_mode"]) == (
        "supplied",
        "宝鸡钛谷新材料有限公司",
        "grant",
    )
    assert now["supplied_on"] is not None and abs((now["supplied_on"] - at.date()).days) <= 1
    assert linked == 1
    (operation,) = api.detail(out["id"])["operations"]
    assert operation["before"][0]["status"] == "ready"
    assert operation["after"][0]["status"] == "supplied"

    before = snapshot(api)
    response = api.post(change_set("supply", {**supply, "holder": "另一家公司", "mode": "lease"}))
    assert_invalid_body(response, operation=0, contains=[code, "supplied"])
    assert_nothing_stored(api, before)


def test_a_status_change_moves_no_manufacturing_land_but_gets_a_ledger_row(api):
    (code,) = pick(api, "v.land_use_code = '0601' AND v.status = 'under_construction'")
    with api.conn() as conn:
        last = last_ledger(conn)
    city_before = totals(api)
    out = api.accepted(
        change_set("set_status", {"op": "set_status", "parcel_code": code, "status": "operating"})
    )
    assert_accepted_totals(api, out, city_before=city_before, delta=0.0)
    assert out["delta_m2"]["city"] == 0
    assert out["ledger_seq"] == last["seq"] + 1
    assert out["manufacturing_total_m2"] == pytest.approx(last["total_city_m2"], abs=BODY_TOL)
    assert_history(api, code, out["id"])


def test_retiring_industrial_land_is_refused(refusal_api):
    (code,) = pick(refusal_api, "v.land_use_code = '0601'")
    area = area_of(refusal_api, code)
    city_before = totals(refusal_api)
    before = snapshot(refusal_api)
    response = refusal_api.post(change_set("retire", {"op": "retire", "parcel_code": code}))
    assert response.status_code == 409, response.text
    assert_refused_body(response.json(), total_before=city_before, shortfall=area, parcels=[code])
    assert_nothing_stored(refusal_api, before)


def test_retiring_industrial_land_compensated_by_registering_it_anew_is_accepted(api):
    (code,) = pick(api, "v.land_use_code = '0601' AND v.status = 'idle'")
    geom = geom_of(api, code)
    city_before = totals(api)
    with api.conn() as conn:
        park = parcel(conn, code)["park"]
    out = api.accepted(
        change_set(
            "retire",
            {"op": "retire", "parcel_code": code},
            register_op(f"{code}-R", park, geom, crs="EPSG:4545", status="reserve"),
        )
    )
    assert_accepted_totals(api, out, city_before=city_before, delta=0.0)
    with api.conn() as conn:
        (old,) = versions(conn, code)
        assert old["valid_to"] is not None and old["ended_by_change_set_id"] == out["id"]
        assert parcel(conn, f"{code}-R")["area_m2"] == pytest.approx(float(shapely.area(geom)))
        at = conn.execute(
            text("SELECT committed_at FROM change_set WHERE id = :i"), {"i": out["id"]}
        ).scalar_one()
    assert old["valid_to"] == at
    retire, register = api.detail(out["id"])["operations"]
    assert [b["parcel_code"] for b in retire["before"]] == [code]
    assert retire["after"] == []
    assert register["before"] == []
    assert [a["parcel_code"] for a in register["after"]] == [f"{code}-R"]


# --- invalid change sets: 422, nothing stored ---------------------------------------------------


def _invalid(api: Api, body: dict, *, operation=0, contains):
    before = snapshot(api)
    response = api.post(body)
    out = assert_invalid_body(response, operation=operation, contains=contains)
    assert_nothing_stored(api, before)
    return out


def test_a_bow_tie_geometry_is_invalid_with_its_reason(refusal_api):
    with refusal_api.conn() as conn:
        square = free_box(conn, "jiangtan")
    x0, y0, x1, y1 = square.bounds
    bow_tie = Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1), (x0, y0)])
    _invalid(
        refusal_api,
        change_set("register", register_op("JT-N900", "jiangtan", bow_tie, crs="EPSG:4545")),
        contains="Self-intersection",
    )


def test_registering_over_an_existing_parcel_is_invalid_and_names_it(refusal_api):
    (code,) = pick(refusal_api, "v.park = 'gaoxin' AND v.land_use_code = '0601'")
    inside = geom_of(refusal_api, code).centroid
    square = box(inside.x - 5, inside.y - 5, inside.x + 5, inside.y + 5)
    _invalid(
        refusal_api,
        change_set("register", register_op("GX-N901", "gaoxin", square, crs="EPSG:4545")),
        contains=[f"overlaps existing parcel {code}"],
    )


def test_registering_a_parcel_outside_its_park_is_invalid(refusal_api):
    with refusal_api.conn() as conn:
        square = free_box(conn, "jiangtan")  # free land, but in another park
    _invalid(
        refusal_api,
        change_set("register", register_op("GX-N902", "gaoxin", square, crs="EPSG:4545")),
        contains=["outside park gaoxin"],
    )


def test_reshaping_a_parcel_beyond_its_park_is_invalid(refusal_api):
    (code,) = pick(refusal_api, "v.park = 'fengxiang' AND v.land_use_code = '0810'")
    geom = geom_of(refusal_api, code)
    _invalid(
        refusal_api,
        change_set(
            "reshape",
            {
                "op": "reshape",
                "parcel_code": code,
                "geometry": geojson(shapely.affinity.translate(geom, xoff=5000.0)),
                "crs": "EPSG:4545",
            },
        ),
        contains=["outside park fengxiang"],
    )


def test_an_unknown_crs_is_invalid(refusal_api):
    with refusal_api.conn() as conn:
        square = free_box(conn, "gaoxin")
    _invalid(
        refusal_api,
        change_set("register", register_op("GX-N903", "gaoxin", square, crs="EPSG:999999")),
        contains="999999",
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("park", "atlantis", "unknown park atlantis"),
        ("land_use_code", "0699", "unknown land_use_code 0699"),
    ],
)
def test_an_unknown_park_or_class_is_invalid(refusal_api, field, value, message):
    with refusal_api.conn() as conn:
        square = free_box(conn, "gaoxin")
    op = register_op("GX-N904", "gaoxin", square, crs="EPSG:4545")
    op[field] = value
    _invalid(refusal_api, change_set("register", op), contains=message)


def test_an_unknown_parcel_is_invalid(refusal_api):
    _invalid(
        refusal_api,
        change_set("rezone", rezone_op("GX-9999", "0601")),
        contains="unknown parcel GX-9999",
    )


def test_rezoning_to_an_unknown_class_is_invalid(refusal_api):
    (code,) = pick(refusal_api, "v.land_use_code = '0701'")
    _invalid(refusal_api, change_set("rezone", rezone_op(code, "9999")), contains="9999")


def test_split_parts_that_do_not_cover_the_parent_are_invalid(refusal_api):
    (code,) = pick(refusal_api, "v.land_use_code = '0601'")
    west, east = split_in_two(geom_of(refusal_api, code), at=0.5)
    east = east.buffer(-1.0, join_style="mitre")  # a metre-wide sliver left uncovered
    _invalid(refusal_api, _split_body(code, west, east), contains=["do not cover", code])


def test_split_parts_that_overlap_are_invalid(refusal_api):
    (code,) = pick(refusal_api, "v.land_use_code = '0601'")
    geom = geom_of(refusal_api, code)
    west, _ = split_in_two(geom, at=0.6)
    _, east = split_in_two(geom, at=0.4)
    _invalid(refusal_api, _split_body(code, west, east), contains="overlap")


def test_merging_parcels_that_do_not_touch_is_invalid_and_names_them(refusal_api):
    with refusal_api.conn() as conn:
        a, b = conn.execute(
            text(
                "SELECT a.parcel_code, b.parcel_code FROM parcel_version a JOIN parcel_version b "
                "ON a.park = b.park AND a.parcel_code < b.parcel_code "
                "AND a.land_use_code = b.land_use_code AND a.status = b.status "
                "WHERE a.valid_to IS NULL AND b.valid_to IS NULL "
                "AND ST_Distance(a.geom, b.geom) > 200 "
                "ORDER BY a.parcel_code, b.parcel_code LIMIT 1"
            )
        ).one()
    body = _invalid(
        refusal_api,
        change_set("merge", {"op": "merge", "parcel_codes": [a, b], "parcel_code": f"{a}-M"}),
        contains=["touch"],
    )
    message = body["problems"][0]["message"]
    assert a in message and b in message


def test_a_change_set_mixing_a_valid_and_an_invalid_operation_stores_nothing(refusal_api):
    (gainer,) = pick(refusal_api, "v.land_use_code = '0701'")
    body = _invalid(
        refusal_api,
        change_set("rezone", rezone_op(gainer, "0601"), rezone_op("JT-0000", "0601")),
        operation=1,
        contains="unknown parcel JT-0000",
    )
    assert len(body["problems"]) == 1
    with refusal_api.conn() as conn:
        assert parcel(conn, gainer)["land_use_code"] == "0701"


def test_an_invalid_change_set_is_logged_in_the_refusal_table(refusal_api):
    _invalid(
        refusal_api,
        change_set("rezone", rezone_op("GX-9998", "0601"), reason="记录"),
        contains="GX-9998",
    )
    with refusal_api.conn() as conn:
        row = conn.execute(text("SELECT * FROM refusal ORDER BY id DESC LIMIT 1")).mappings().one()
    assert (row["error"], row["actor"], row["reason"]) == (
        "invalid_change_set",
        refusal_api.actor,
        "记录",
    )
    assert row["detail"]["problems"][0]["operation"] == 0


def test_a_malformed_body_is_invalid_with_problems_per_operation(refusal_api):
    before = snapshot(refusal_api)
    response = refusal_api.post(
        change_set(
            "rezone",
            rezone_op("GX-0001", "0601"),
            {"op": "set_status", "parcel_code": "GX-0002", "status": "abandoned"},
        )
    )
    body = assert_invalid_body(response, operation=1, contains="status")
    assert body["error"] == "invalid_change_set"
    after = snapshot(refusal_api)
    assert {k: v for k, v in after.items() if k != "refusal"} == {
        k: v for k, v in before.items() if k != "refusal"
    }


def test_an_unknown_change_set_is_not_found(refusal_api):
    response = refusal_api.client.get("/api/change-sets/999999")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_a_refusal_names_the_losing_parcels_biggest_loss_first(refusal_api):
    small, large = sorted(
        pick(refusal_api, "v.land_use_code = '0601' AND v.park = 'jiangtan'", n=2),
        key=lambda code: area_of(refusal_api, code),
    )
    loss = area_of(refusal_api, small) + area_of(refusal_api, large)
    city_before = totals(refusal_api)
    before = snapshot(refusal_api)
    response = refusal_api.post(
        change_set("rezone", rezone_op(small, "0604"), rezone_op(large, "0701"))
    )
    assert response.status_code == 409, response.text
    assert_refused_body(
        response.json(), total_before=city_before, shortfall=loss, parcels=[large, small]
    )
    assert_nothing_stored(refusal_api, before)


def test_registering_a_code_in_use_is_invalid(refusal_api):
    (code,) = pick(refusal_api, "v.park = 'gaoxin'")
    with refusal_api.conn() as conn:
        square = free_box(conn, "gaoxin")
    _invalid(
        refusal_api,
        change_set("register", register_op(code, "gaoxin", square, crs="EPSG:4545")),
        contains=f"parcel {code} already exists",
    )


def test_two_new_parcels_of_one_change_set_may_not_overlap(refusal_api):
    with refusal_api.conn() as conn:
        square = free_box(conn, "caijiapo", size_m=20)
    shifted = shapely.affinity.translate(square, xoff=5.0)
    _invalid(
        refusal_api,
        change_set(
            "register",
            register_op("CJP-N950", "caijiapo", square, crs="EPSG:4545"),
            register_op("CJP-N951", "caijiapo", shifted, crs="EPSG:4545"),
        ),
        operation=1,
        contains="overlaps existing parcel CJP-N950",
    )


def test_merging_parcels_of_different_parks_is_invalid(refusal_api):
    (a,) = pick(refusal_api, "v.park = 'gaoxin' AND v.land_use_code = '0601'")
    (b,) = pick(refusal_api, "v.park = 'jiangtan' AND v.land_use_code = '0601'")
    _invalid(
        refusal_api,
        change_set("merge", {"op": "merge", "parcel_codes": [a, b], "parcel_code": f"{a}-M"}),
        contains="different parks",
    )


def test_supplying_land_for_an_unknown_project_is_invalid(refusal_api):
    (code,) = pick(refusal_api, "v.status = 'reserve'")
    supply = {
        "op": "supply",
        "parcel_code": code,
        "holder": "某公司",
        "mode": "lease",
        "project": "NO-SUCH-PROJECT",
    }
    _invalid(refusal_api, change_set("supply", supply), contains="unknown project NO-SUCH-PROJECT")

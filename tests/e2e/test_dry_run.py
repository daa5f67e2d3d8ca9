"""POST /api/change-sets/dry-run: what committing a change set would do, with nothing
stored — through the app on a real PostGIS.

Expected numbers are our own: shapely areas (EPSG:4545) of geometry read straight from the
database, the ledger's totals by our own SQL, the candidates by our own query. The dry runs
store nothing, so the module shares one copy of the sample (and proves it unchanged).
"""

from __future__ import annotations

import pytest
import shapely
from sqlalchemy import create_engine, text
from support_changes import (
    M2_PER_MU,
    change_set,
    count,
    every_table_fingerprint,
    find_parcels,
    geojson,
    last_ledger,
    parcel,
    rezone_op,
    split_in_two,
    to_crs,
)

pytestmark = pytest.mark.e2e

DRY_RUN = "/api/change-sets/dry-run"
BODY_KEYS = {
    "verdict",
    "operations",
    "manufacturing",
    "refusal",
    "problems",
    "targets",
    "compensation_candidates",
}
FIGURE_KEYS = {"before_m2", "after_m2", "delta_m2", "before_mu", "after_mu", "delta_mu", "floor_m2"}


@pytest.fixture(scope="module")
def engine(sample_db_url):
    engine = create_engine(sample_db_url, pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


@pytest.fixture
def client(sample_db_url, make_client):
    return make_client(sample_db_url, editors_apply_directly=False)


def _state(engine) -> dict:
    with engine.connect() as conn:
        return {**every_table_fingerprint(conn, except_=()), "refusal": count(conn, "refusal")}


def _dry_run(client, headers, body) -> dict:
    response = client.post(DRY_RUN, json=body, headers=headers)
    assert response.status_code == 200, response.text
    out = response.json()
    assert set(out) == BODY_KEYS
    return out


def test_a_valid_split_would_commit_its_parts_adding_up_and_nothing_is_stored(
    engine, client, make_token, sample_db_url
):
    headers = make_token(sample_db_url, "editor")
    with engine.connect() as conn:
        (code,) = find_parcels(conn, "v.land_use_code = '0601' AND v.park = 'jiangtan'", limit=1)
        parent = parcel(conn, code)
    west, east = split_in_two(parent["geom"], at=0.4)
    parts_m2 = [float(shapely.area(west)), float(shapely.area(east))]
    parent_m2 = float(shapely.area(parent["geom"]))
    body = change_set(
        "split",
        {
            "op": "split",
            "parcel_code": code,
            "crs": "EPSG:4545",
            "parts": [
                {"parcel_code": f"{code}-A", "geometry": geojson(west)},
                {"parcel_code": f"{code}-B", "geometry": geojson(east)},
            ],
        },
    )
    before = _state(engine)
    out = _dry_run(client, headers, body)
    assert _state(engine) == before  # no change set, ledger row, version nor refusal

    assert out["verdict"] == "would_commit"
    assert (out["refusal"], out["problems"], out["compensation_candidates"]) == (None, [], [])
    (op,) = out["operations"]
    assert (op["operation"], op["op"]) == (0, "split")
    (was,) = op["before"]
    assert was["parcel_code"] == code and was["version_id"] == parent["version_id"]
    assert was["area_m2"] == pytest.approx(parent_m2, abs=1e-3)
    assert was["area_mu"] == pytest.approx(parent_m2 / M2_PER_MU, abs=1e-5)
    assert [a["parcel_code"] for a in op["after"]] == [f"{code}-A", f"{code}-B"]
    for after, expected in zip(op["after"], parts_m2, strict=True):
        assert after["area_m2"] == pytest.approx(expected, abs=1e-3)
        assert after["area_mu"] == pytest.approx(expected / M2_PER_MU, abs=1e-5)
        shown = to_crs(shapely.geometry.shape(after["geometry"]), 4326, 4545)
        assert float(shapely.area(shown)) == pytest.approx(expected, rel=1e-3)
    assert sum(a["area_m2"] for a in op["after"]) == pytest.approx(parent_m2, abs=0.01)

    with engine.connect() as conn:
        ledger = last_ledger(conn)
    city = out["manufacturing"]["city"]
    assert set(city) == FIGURE_KEYS
    assert city["before_m2"] == pytest.approx(ledger["total_city_m2"], abs=1e-3)
    assert city["delta_m2"] == pytest.approx(0.0, abs=0.01)
    assert city["floor_m2"] == pytest.approx(ledger["high_water_city_m2"], abs=1e-3)
    assert set(out["manufacturing"]["parks"]) == {"jiangtan"}
    park = out["manufacturing"]["parks"]["jiangtan"]
    assert park["before_m2"] == pytest.approx(float(ledger["total_parks"]["jiangtan"]), abs=1e-3)
    assert park["floor_m2"] is None  # the per-park floor is not the policy
    (target,) = out["targets"]
    assert target["park"] == "jiangtan"
    assert target["after_mu"] == pytest.approx(target["before_mu"], abs=1e-3)


def test_a_shrinking_rezone_is_refused_with_its_shortfall_and_candidates_covering_it(
    engine, client, make_token, sample_db_url
):
    headers = make_token(sample_db_url, "planner")  # planners may preview
    with engine.connect() as conn:
        # the smallest industrial parcel: a shortfall many parcels can cover
        code = conn.execute(
            text(
                "SELECT parcel_code FROM parcel_version WHERE valid_to IS NULL "
                "AND land_use_code = '0601' ORDER BY area_m2, parcel_code LIMIT 1"
            )
        ).scalar_one()
        area = float(shapely.area(parcel(conn, code)["geom"]))
        ledger = last_ledger(conn)
    shortfall = ledger["high_water_city_m2"] - (ledger["total_city_m2"] - area)
    before = _state(engine)
    out = _dry_run(client, headers, change_set("rezone", rezone_op(code, "0701")))
    assert _state(engine) == before

    assert out["verdict"] == "refused_by_rule"
    refusal = out["refusal"]
    assert refusal["error"] == "manufacturing_land_would_decrease"
    assert refusal["scope"] == "city" and refusal["parcels"] == [code]
    assert refusal["shortfall_m2"] == pytest.approx(shortfall, abs=1e-3)
    assert out["manufacturing"]["city"]["delta_m2"] == pytest.approx(-area, abs=1e-3)

    candidates = out["compensation_candidates"]
    assert 1 <= len(candidates) <= 5
    with engine.connect() as conn:
        expected = list(
            conn.execute(
                text(
                    "SELECT v.parcel_code FROM parcel_version v "
                    "JOIN land_use_class c ON c.code = v.land_use_code "
                    "WHERE v.valid_to IS NULL AND NOT c.is_manufacturing "
                    "AND v.status IN ('reserve', 'ready') AND v.area_m2 >= :s "
                    "ORDER BY v.area_m2, v.parcel_code LIMIT 5"
                ),
                {"s": refusal["shortfall_m2"]},
            ).scalars()
        )
        for candidate in candidates:
            stored = parcel(conn, candidate["parcel_code"])
            own_m2 = float(shapely.area(stored["geom"]))
            assert own_m2 >= shortfall - 1e-6
            assert candidate["covers_m2"] >= refusal["shortfall_m2"]
            assert candidate["area_m2"] == pytest.approx(own_m2, abs=1e-3)
            assert candidate["status"] in ("reserve", "ready")
            assert candidate["land_use_code"] == stored["land_use_code"]
            manufacturing = conn.execute(
                text("SELECT is_manufacturing FROM land_use_class WHERE code = :c"),
                {"c": stored["land_use_code"]},
            ).scalar_one()
            assert not manufacturing
    assert [c["parcel_code"] for c in candidates] == expected  # smallest sufficient first


def test_an_invalid_operation_gives_the_verdict_invalid_with_its_problem(
    engine, client, make_token, sample_db_url
):
    headers = make_token(sample_db_url, "approver")
    with engine.connect() as conn:
        (code,) = find_parcels(conn, "v.land_use_code = '0701'", limit=1)
    body = change_set("rezone", rezone_op(code, "0601"), rezone_op("GX-NO-SUCH", "0601"))
    before = _state(engine)
    out = _dry_run(client, headers, body)
    assert _state(engine) == before
    assert out["verdict"] == "invalid"
    assert out["problems"] == [{"operation": 1, "message": "unknown parcel GX-NO-SUCH"}]
    assert [op["operation"] for op in out["operations"]] == [0]  # the valid one is shown
    assert out["refusal"] is None

    # A body that is no change set at all stays a 422, and is not logged as a refusal.
    response = client.post(
        DRY_RUN, json={"kind": "rezone", "reason": "x", "operations": []}, headers=headers
    )
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_change_set"
    assert _state(engine) == before


def test_viewers_may_not_dry_run(client, make_token, sample_db_url):
    response = client.post(
        DRY_RUN,
        json=change_set("rezone", rezone_op("GX-0001", "0601")),
        headers=make_token(sample_db_url, "viewer"),
    )
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"

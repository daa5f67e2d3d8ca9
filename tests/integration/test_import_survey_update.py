"""A surveyor's update of a park's parcels, imported as one change set on a real PostGIS:
the dry run's diff is exactly what the file changes, and the apply writes exactly those
versions (the old ones closed at the change set's time), judged by the rule at a real
COMMIT. Expected values come from the file the test writes (shapely areas in EPSG:4545)
and the parcels read straight from the database."""

from __future__ import annotations

from datetime import date

import pytest
import shapely
from shapely.geometry import box
from sqlalchemy import text
from support_changes import versions
from support_imports import (
    apply,
    dry_run,
    engine_on,
    land_state,
    manufacturing_m2,
    standing,
    survey_frame,
    write_gpkg,
)

pytestmark = pytest.mark.integration

COLUMNS = ("parcel_code", "land_use_code", "status", "holder", "supply_mode", "supplied_on")
NEW_CODE = "GX-SURVEY-0001"
HOLDER = "宝鸡钛谷新材料测试有限公司"


def _pick(conn, where: str) -> dict:
    return standing(conn, f"v.park = 'gaoxin' AND {where}")[0]


@pytest.fixture
def survey(fresh_db_url, tmp_path):
    """A survey of six gaoxin parcels and a new one: A rezoned 0701 → 工业用地, B (0501)
    cut to its western 80 %, C (reserve 0601) 已出让 by 出让 on 2025-03-01, D
    (under construction) now 已投产, U1 and U2 as they stand, and a new 60 m square."""
    from support_imports import free_square

    with engine_on(fresh_db_url) as engine, engine.connect() as conn:
        a = _pick(conn, "v.land_use_code = '0701'")
        b = _pick(conn, "v.land_use_code = '0501'")
        c = _pick(conn, "v.land_use_code = '0601' AND v.status = 'reserve'")
        d = _pick(conn, "v.land_use_code = '0601' AND v.status = 'under_construction'")
        used = {a["parcel_code"], b["parcel_code"], c["parcel_code"], d["parcel_code"]}
        u1, u2 = [
            p
            for p in standing(conn, "v.park = 'gaoxin' AND v.land_use_code = '0601'")
            if p["parcel_code"] not in used
        ][:2]
        square = free_square(conn, "gaoxin", size_m=60.0)
        gaoxin = [p["parcel_code"] for p in standing(conn, "v.park = 'gaoxin'")]
        before_total = manufacturing_m2(conn)
    minx, miny, maxx, maxy = b["geometry"].bounds
    b_cut = b["geometry"].intersection(
        box(minx - 1, miny - 1, minx + 0.8 * (maxx - minx), maxy + 1)
    )
    rows = [
        {**a, "land_use_code": "工业用地"},
        {**b, "geometry": b_cut},
        {
            **c,
            "status": "已出让",
            "holder": HOLDER,
            "supply_mode": "出让",
            "supplied_on": "2025-03-01",
        },
        {**d, "status": "已投产"},
        u1,
        u2,
        {"parcel_code": NEW_CODE, "land_use_code": "0601", "geometry": square},
    ]
    path = write_gpkg(survey_frame(rows, columns=COLUMNS), tmp_path / "gaoxin-survey.gpkg")
    return {
        "url": fresh_db_url,
        "path": path,
        "a": a,
        "b": b,
        "b_cut": b_cut,
        "c": c,
        "d": d,
        "unchanged": [u1["parcel_code"], u2["parcel_code"]],
        "square": square,
        "missing": sorted(set(gaoxin) - {r["parcel_code"] for r in rows}),
        "before_total": before_total,
    }


def test_the_dry_run_of_a_survey_update_finds_exactly_what_the_file_changes(survey):
    outcome = dry_run(
        survey["url"], survey["path"], reason="2025 resurvey", document_no="宝自然资〔2025〕7号"
    )
    diff = outcome.diff
    assert outcome.problems == []
    assert diff.new == [NEW_CODE]
    assert {c.parcel_code: (c.row, c.kinds) for c in diff.changed} == {
        survey["a"]["parcel_code"]: (1, ("rezone",)),
        survey["b"]["parcel_code"]: (2, ("reshape",)),
        survey["c"]["parcel_code"]: (3, ("supply",)),
        survey["d"]["parcel_code"]: (4, ("set_status",)),
    }
    changed = {c.parcel_code: c for c in diff.changed}
    assert changed[survey["a"]["parcel_code"]].after == {"land_use_code": "0601"}
    assert changed[survey["b"]["parcel_code"]].after["area_m2"] == pytest.approx(
        survey["b_cut"].area, abs=1e-6
    )
    assert changed[survey["c"]["parcel_code"]].after == {
        "holder": HOLDER,
        "supply_mode": "grant",
        "supplied_on": date(2025, 3, 1),
    }
    assert changed[survey["d"]["parcel_code"]].after == {"status": "operating"}
    assert diff.unchanged == survey["unchanged"]
    assert diff.missing == survey["missing"]
    # A becomes industrial, the new square is industrial; B is commercial, C and D only
    # change status: the gain is A's area and the square's.
    gain = survey["a"]["geometry"].area + survey["square"].area
    assert outcome.rule.delta_m2 == pytest.approx(gain, abs=0.01)
    assert outcome.rule.would_refuse is False
    assert outcome.rule.parks_after_m2["gaoxin"] - outcome.rule.parks_before_m2[
        "gaoxin"
    ] == pytest.approx(gain, abs=0.01)
    gaoxin_target = next(t for t in outcome.rule.targets if t["park"] == "gaoxin")
    # C leaves the reserve (supplied), the new square enters it (status reserve)
    reserve_delta_mu = (survey["square"].area - survey["c"]["geometry"].area) / (10000 / 15)
    assert gaoxin_target["reserve_delta_mu"] == pytest.approx(reserve_delta_mu, abs=1e-3)


def test_applying_the_survey_writes_the_next_version_of_each_changed_parcel_and_registers_the_new(
    survey,
):
    outcome = dry_run(survey["url"], survey["path"], reason="2025 resurvey", document_no="D-7")
    applied = apply(survey["url"], outcome.id)
    a, b, c, d = (survey[k] for k in "abcd")
    with engine_on(survey["url"]) as engine, engine.connect() as conn:
        cs = conn.execute(
            text(
                "SELECT kind, reason, document_no, committed_at, operations FROM change_set "
                "WHERE id = :id"
            ),
            {"id": applied.change_set_id},
        ).one()
        assert (cs.kind, cs.reason, cs.document_no) == ("import", "2025 resurvey", "D-7")
        assert [op["op"] for op in cs.operations] == [
            "rezone",
            "reshape",
            "supply",
            "set_status",
            "register",
        ]
        for parcel in (a, b, c, d):
            old, new = versions(conn, parcel["parcel_code"])[-2:]
            assert old["valid_to"] == cs.committed_at
            assert old["ended_by_change_set_id"] == applied.change_set_id
            assert new["change_set_id"] == applied.change_set_id and new["valid_to"] is None
        now = {p["parcel_code"]: p for p in standing(conn, "v.park = 'gaoxin'")}
        assert now[a["parcel_code"]]["land_use_code"] == "0601"
        assert shapely.equals_exact(now[a["parcel_code"]]["geometry"], a["geometry"], 0)
        assert now[b["parcel_code"]]["geometry"].area == pytest.approx(
            survey["b_cut"].area, abs=1e-6
        )
        assert now[b["parcel_code"]]["land_use_code"] == "0501"
        assert (
            now[c["parcel_code"]]["status"],
            now[c["parcel_code"]]["holder"],
            now[c["parcel_code"]]["supply_mode"],
            now[c["parcel_code"]]["supplied_on"],
        ) == ("supplied", HOLDER, "grant", date(2025, 3, 1))
        assert now[d["parcel_code"]]["status"] == "operating"
        assert now[d["parcel_code"]]["holder"] == d["holder"]
        new = now[NEW_CODE]
        assert (new["park"], new["land_use_code"], new["status"]) == ("gaoxin", "0601", "reserve")
        assert new["geometry"].area == pytest.approx(3600.0, abs=1e-6)
        for code in survey["unchanged"] + survey["missing"][:5]:
            assert len(versions(conn, code)) == 1
        ledger = conn.execute(
            text("SELECT delta_city_m2, total_city_m2 FROM ledger WHERE change_set_id = :id"),
            {"id": applied.change_set_id},
        ).one()
        gain = a["geometry"].area + survey["square"].area
        assert ledger.delta_city_m2 == pytest.approx(gain, abs=0.01)
        assert manufacturing_m2(conn) == pytest.approx(survey["before_total"] + gain, abs=0.05)
        run = conn.execute(
            text("SELECT status, change_set_id FROM import_run WHERE id = :id"), {"id": outcome.id}
        ).one()
        assert tuple(run) == ("applied", applied.change_set_id)
    assert applied.delta_city_m2 == pytest.approx(gain, abs=0.01)
    assert (applied.ended, applied.continued, applied.registered) == (4, 4, 1)


def test_the_dry_run_stores_nothing_but_the_import_in_the_land_tables(survey):
    with engine_on(survey["url"]) as engine, engine.connect() as conn:
        before = land_state(conn)
    outcome = dry_run(survey["url"], survey["path"])
    with engine_on(survey["url"]) as engine, engine.connect() as conn:
        assert land_state(conn) == before
        staged = conn.execute(
            text("SELECT verdict, count(*) FROM import_feature WHERE import_id = :id GROUP BY 1"),
            {"id": outcome.id},
        ).all()
    assert dict(staged) == {"new": 1, "changed": 4, "unchanged": 2}

"""What an import's apply refuses, and what it does to land it does not refuse, on a real
PostGIS copy of the sample: the rule (committed for real, so the deferred trigger runs),
a ledger that moved since the dry run, a second apply, codes missing from the file,
standing parcels overlapped, retired codes, a file that moves parcels between parks.

Expected areas are shapely's (EPSG:4545), of geometry read straight from the database."""

from __future__ import annotations

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
    standing,
    survey_frame,
    write_gpkg,
)

from parks.errors import ManufacturingLandWouldDecrease
from parks.imports.problems import ProblemKind
from service.imports.errors import ImportAlreadyApplied, ImportStale

pytestmark = pytest.mark.integration

COLUMNS = ("parcel_code", "land_use_code", "status")


def _file(tmp_path, rows, name="survey.gpkg", columns=COLUMNS):
    return write_gpkg(survey_frame(rows, columns=columns), tmp_path / name)


def _one(url, where):
    with engine_on(url) as engine, engine.connect() as conn:
        return standing(conn, where)[0]


def test_an_import_that_loses_manufacturing_land_is_refused_and_stores_nothing(
    fresh_db_url, tmp_path
):
    lost = _one(fresh_db_url, "v.park = 'gaoxin' AND v.land_use_code = '0601'")
    path = _file(tmp_path, [{**lost, "land_use_code": "0701"}])
    outcome = dry_run(fresh_db_url, path, reason="rezoning to housing")
    area = lost["geometry"].area
    assert outcome.rule.would_refuse is True
    assert outcome.rule.shortfall_m2 == pytest.approx(area, abs=0.01)
    assert outcome.rule.delta_m2 == pytest.approx(-area, abs=0.01)
    assert outcome.rule.refusal["parcels"] == [lost["parcel_code"]]
    with engine_on(fresh_db_url) as engine, engine.connect() as conn:
        before = land_state(conn)
    with pytest.raises(ManufacturingLandWouldDecrease) as refused:
        apply(fresh_db_url, outcome.id)
    assert refused.value.scope == "city"
    assert refused.value.parcels == [lost["parcel_code"]]
    assert refused.value.shortfall_m2 == pytest.approx(area, abs=0.01)
    with engine_on(fresh_db_url) as engine, engine.connect() as conn:
        assert land_state(conn) == before
        refusal = conn.execute(
            text("SELECT actor, kind, reason, error, shortfall_m2 FROM refusal ORDER BY id DESC")
        ).first()
        status = conn.execute(
            text("SELECT status FROM import_run WHERE id = :id"), {"id": outcome.id}
        ).scalar()
    assert refusal.kind == "import" and refusal.reason == "rezoning to housing"
    assert refusal.error == "manufacturing_land_would_decrease"
    assert refusal.shortfall_m2 == pytest.approx(area, abs=0.01)
    assert status == "refused"


def test_applying_after_the_land_changed_since_the_dry_run_is_refused_as_stale(
    fresh_db_url, tmp_path
):
    from support_changes import free_box, register_op

    from parks.operations import ChangeSetRequest
    from service.changes.apply import apply_change_set

    gain = _one(fresh_db_url, "v.park = 'gaoxin' AND v.land_use_code = '0701'")
    outcome = dry_run(fresh_db_url, _file(tmp_path, [{**gain, "land_use_code": "0601"}]))
    with engine_on(fresh_db_url) as engine:
        with engine.connect() as conn:
            square = free_box(conn, "jiangtan", size_m=30.0)
            head = conn.execute(text("SELECT last_seq FROM ledger_head")).scalar()
        request = ChangeSetRequest.model_validate(
            {
                "kind": "register",
                "reason": "meanwhile",
                "operations": [register_op("JT-MEANWHILE", "jiangtan", square, crs="EPSG:4545")],
            }
        )
        apply_change_set(engine, request, actor="other", storage_srid=4545)
        with engine.connect() as conn:
            before = land_state(conn)
    with pytest.raises(ImportStale) as stale:
        apply(fresh_db_url, outcome.id)
    assert (stale.value.dry_run_seq, stale.value.head_seq) == (head, head + 1)
    assert f"ledger row {head} → {head + 1}" in stale.value.message
    with engine_on(fresh_db_url) as engine, engine.connect() as conn:
        assert land_state(conn) == before
    # run again, it applies
    again = dry_run(fresh_db_url, _file(tmp_path, [{**gain, "land_use_code": "0601"}], "2.gpkg"))
    assert apply(fresh_db_url, again.id).change_set_id is not None


def test_an_import_applies_once(fresh_db_url, tmp_path):
    gain = _one(fresh_db_url, "v.park = 'fengxiang' AND v.land_use_code = '0701'")
    outcome = dry_run(fresh_db_url, _file(tmp_path, [{**gain, "land_use_code": "0601"}]))
    applied = apply(fresh_db_url, outcome.id)
    with pytest.raises(ImportAlreadyApplied) as twice:
        apply(fresh_db_url, outcome.id)
    assert twice.value.change_set_id == applied.change_set_id
    with engine_on(fresh_db_url) as engine, engine.connect() as conn:
        assert len(versions(conn, gain["parcel_code"])) == 2


def test_an_unchanged_reimport_records_no_change_set_and_no_ledger_row(fresh_db_url, tmp_path):
    with engine_on(fresh_db_url) as engine, engine.connect() as conn:
        parcels = standing(conn, "v.park = 'jiangtan'")
        before = land_state(conn)
    path = _file(tmp_path, parcels, columns=COLUMNS + ("holder", "supply_mode", "supplied_on"))
    outcome = dry_run(fresh_db_url, path)
    assert outcome.problems == []
    assert outcome.diff.counts()["unchanged"] == len(parcels)
    assert outcome.diff.new == outcome.diff.missing == [] and outcome.diff.changed == []
    assert outcome.rule.delta_m2 == 0
    applied = apply(fresh_db_url, outcome.id)
    assert applied.change_set_id is None and applied.ledger_seq is None
    with engine_on(fresh_db_url) as engine, engine.connect() as conn:
        assert land_state(conn) == before
        run = conn.execute(
            text("SELECT status, change_set_id FROM import_run WHERE id = :id"), {"id": outcome.id}
        ).one()
    assert tuple(run) == ("applied", None)


def test_retire_missing_retires_exactly_the_parks_parcels_the_file_leaves_out(
    fresh_db_url, tmp_path
):
    with engine_on(fresh_db_url) as engine, engine.connect() as conn:
        parcels = standing(conn, "v.park = 'caijiapo'")
    left_out = [p["parcel_code"] for p in parcels if p["land_use_code"] == "0701"][:2]
    kept = [p for p in parcels if p["parcel_code"] not in left_out]
    path = _file(tmp_path, kept, columns=COLUMNS + ("holder", "supply_mode", "supplied_on"))

    reported = dry_run(fresh_db_url, path, park="caijiapo")
    assert reported.diff.missing == sorted(left_out)
    assert apply(fresh_db_url, reported.id).change_set_id is None  # reported, not retired

    outcome = dry_run(fresh_db_url, path, park="caijiapo", retire_missing=True)
    assert outcome.diff.missing == sorted(left_out)
    assert outcome.rule.delta_m2 == 0  # housing land leaves: manufacturing does not move
    applied = apply(fresh_db_url, outcome.id)
    assert (applied.ended, applied.continued, applied.registered) == (2, 0, 0)
    with engine_on(fresh_db_url) as engine, engine.connect() as conn:
        now = {p["parcel_code"] for p in standing(conn, "v.park = 'caijiapo'")}
        assert now == {p["parcel_code"] for p in kept}
        for code in left_out:
            (only,) = versions(conn, code)
            assert only["ended_by_change_set_id"] == applied.change_set_id
        ops = conn.execute(
            text("SELECT operations FROM change_set WHERE id = :id"), {"id": applied.change_set_id}
        ).scalar()
    assert ops == [{"op": "retire", "parcel_code": code} for code in sorted(left_out)]


def test_a_new_parcel_over_a_standing_one_the_file_does_not_carry_is_blocking(
    fresh_db_url, tmp_path
):
    host = _one(fresh_db_url, "v.park = 'gaoxin' AND v.area_m2 > 5000")
    minx, miny, maxx, maxy = host["geometry"].bounds
    cx, cy = host["geometry"].representative_point().coords[0]
    square = box(cx - 10, cy - 10, cx + 10, cy + 10)
    path = _file(
        tmp_path, [{"parcel_code": "GX-OVER", "land_use_code": "0601", "geometry": square}]
    )
    outcome = dry_run(fresh_db_url, path)
    (over,) = [p for p in outcome.problems if p.kind is ProblemKind.OVERLAP_EXISTING]
    assert (over.row, over.parcel_code, over.other) == (1, "GX-OVER", host["parcel_code"])
    assert over.measure == pytest.approx(shapely.intersection(square, host["geometry"]).area)
    assert over.blocking
    # the same square with the host redrawn around it in the file: no overlap with land
    # the file does not carry
    redrawn = shapely.difference(host["geometry"], square)
    path = _file(
        tmp_path,
        [
            {"parcel_code": "GX-OVER", "land_use_code": "0601", "geometry": square, "status": None},
            {**host, "geometry": redrawn},
        ],
        "redrawn.gpkg",
    )
    fixed = dry_run(fresh_db_url, path)
    assert [p for p in fixed.problems if p.kind is ProblemKind.OVERLAP_EXISTING] == []


def test_a_code_of_a_retired_parcel_is_not_registered_again(fresh_db_url, tmp_path):
    from parks.operations import ChangeSetRequest
    from service.changes.apply import apply_change_set

    gone = _one(fresh_db_url, "v.park = 'gaoxin' AND v.land_use_code = '0701'")
    with engine_on(fresh_db_url) as engine:
        request = ChangeSetRequest.model_validate(
            {
                "kind": "retire",
                "reason": "road",
                "operations": [{"op": "retire", "parcel_code": gone["parcel_code"]}],
            }
        )
        apply_change_set(engine, request, actor="editor", storage_srid=4545)
    outcome = dry_run(fresh_db_url, _file(tmp_path, [gone]))
    (retired,) = [p for p in outcome.problems if p.kind is ProblemKind.CODE_RETIRED]
    assert (retired.row, retired.parcel_code, retired.blocking) == (1, gone["parcel_code"], True)
    assert outcome.diff.new == []


def test_a_file_that_puts_a_standing_parcel_in_another_park_leaves_it_in_its_own(
    fresh_db_url, tmp_path
):
    moved = _one(fresh_db_url, "v.park = 'gaoxin' AND v.land_use_code = '0701'")
    path = _file(tmp_path, [{**moved, "land_use_code": "0601"}])
    outcome = dry_run(fresh_db_url, path, park="jiangtan")
    differs = [p for p in outcome.problems if p.kind is ProblemKind.PARK_DIFFERS]
    assert [(p.row, p.other, p.blocking) for p in differs] == [(1, "gaoxin", False)]
    apply(fresh_db_url, outcome.id)
    with engine_on(fresh_db_url) as engine, engine.connect() as conn:
        now = standing(conn, "v.parcel_code = :c", {"c": moved["parcel_code"]})[0]
    assert (now["park"], now["land_use_code"]) == ("gaoxin", "0601")


def test_a_dry_run_whose_land_moved_under_it_is_analysed_again(fresh_db_url, tmp_path, monkeypatch):
    from service.imports import run

    gain = _one(fresh_db_url, "v.park = 'gaoxin' AND v.land_use_code = '0701'")
    real = run.ledger_head
    calls = []

    def moved_once(conn):
        calls.append(1)
        head = real(conn)
        return head - 1 if len(calls) == 1 else head  # the first analysis saw older land

    monkeypatch.setattr(run, "ledger_head", moved_once)
    outcome = dry_run(fresh_db_url, _file(tmp_path, [{**gain, "land_use_code": "0601"}]))
    assert len(calls) == 4  # analysis, write, analysis again, write
    with engine_on(fresh_db_url) as engine, engine.connect() as conn:
        runs = conn.execute(text("SELECT id FROM import_run")).scalars().all()
    assert runs == [outcome.id]
    assert apply(fresh_db_url, outcome.id).change_set_id is not None

"""Verification catches what was changed behind the application's back.

A short history (ledger rows 1-4) is committed once per module on a copy of the sample.
Each test then alters a ledger row or a parcel version with raw SQL and the table's
triggers disabled — as the tables' owner or a superuser could — runs the service's
verification on that same connection and rolls everything back; the verification must
name the row (or parcel version) and say what it expected and what it found.
"""

from __future__ import annotations

import pytest
import shapely
from support_audit import (
    TOL_M2,
    checks,
    make_history,
    problems_where,
    tampering,
)
from support_reads import database_url

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def history_url(databases, loaded_template) -> str:
    return database_url(databases.create(template=loaded_template))


@pytest.fixture(scope="module")
def history(history_url):
    return make_history(history_url)


@pytest.fixture
def tamper(history, history_url):
    """Tampering on the module's history, rolled back after the test."""
    with tampering(history_url) as t:
        yield t


def _area(t, code: str) -> float:
    (wkb,) = t.query(
        "SELECT ST_AsBinary(geom) FROM parcel_version WHERE parcel_code = %s AND valid_to IS NULL",
        (code,),
    )[0]
    return float(shapely.area(shapely.from_wkb(bytes(wkb))))


def _version(t, code: str, *, current: bool = True) -> tuple[int, int]:
    """(version_id, change_set_id) of the current (or the first) version of *code*."""
    where = "valid_to IS NULL" if current else "valid_to IS NOT NULL"
    return t.query(
        f"SELECT version_id, change_set_id FROM parcel_version WHERE parcel_code = %s AND {where} "
        "ORDER BY valid_from LIMIT 1",
        (code,),
    )[0]


def _ledger_total(t, seq: int) -> float:
    return float(t.query("SELECT total_city_m2 FROM ledger WHERE seq = %s", (seq,))[0][0])


def _every_problem_says_where_and_what(body: dict) -> None:
    for problem in body["problems"]:
        assert problem["message"], problem
        assert "expected" in problem and "found" in problem, problem
        assert any(
            problem.get(k) is not None
            for k in ("ledger_seq", "change_set_id", "version_id", "parcel_code")
        ), problem


def test_an_untouched_history_verifies(history, tamper):
    body = tamper.verify()
    assert body["problems"] == []
    assert body["ok"] and body["chain_ok"] and body["monotonic"]
    assert body["rows_checked"] == 4
    assert abs(body["ledger_total_m2"] - body["recomputed_total_m2"]) <= TOL_M2


def test_a_ledger_total_altered_with_triggers_disabled_is_named_by_its_row(history, tamper):
    original = _ledger_total(tamper, 2)
    tamper("ledger", "UPDATE ledger SET total_city_m2 = total_city_m2 + 5 WHERE seq = 2")
    body = tamper.verify()
    assert body["ok"] is False and body["chain_ok"] is False
    named = problems_where(body, ledger_seq=2)
    assert {"hash", "ledger_total"} <= {p["check"] for p in named}
    (total,) = problems_where(body, ledger_seq=2, check="ledger_total")
    assert abs(total["expected"] - original) <= TOL_M2
    assert abs(total["found"] - (original + 5)) <= TOL_M2
    assert "ledger row 2" in total["message"]
    # the neighbours' own hashes still hold: only row 2 is said to be altered
    assert [p["ledger_seq"] for p in body["problems"] if p["check"] == "hash"] == [2]
    _every_problem_says_where_and_what(body)


def test_a_rewritten_hash_chain_is_still_caught_by_the_parcel_history(history, tamper):
    """An intruder who raises a total and recomputes every later hash keeps the chain
    intact, but the totals no longer follow from the parcel versions."""
    tamper(
        "ledger",
        "UPDATE ledger SET total_city_m2 = total_city_m2 + 1000, "
        "high_water_city_m2 = high_water_city_m2 + 1000 WHERE seq >= 2",
        *[
            "UPDATE ledger l SET prev_hash = coalesce((SELECT p.hash FROM ledger p "
            f"WHERE p.seq = l.seq - 1), l.prev_hash) WHERE l.seq = {seq}; "
            # (each row by its format: 2, the high-water marks too, for rows written
            # since the load)
            "UPDATE ledger l SET hash = CASE l.row_format WHEN 2 THEN ledger_hash_v2(l.seq, "
            "l.at, l.actor, l.change_set_id, l.kind, l.document_no, l.delta_city_m2, "
            "l.total_city_m2, l.delta_parks, l.total_parks, l.high_water_city_m2, "
            "l.high_water_parks, l.prev_hash) ELSE ledger_hash(l.seq, l.at, l.actor, "
            "l.change_set_id, l.kind, l.document_no, l.delta_city_m2, l.total_city_m2, "
            f"l.delta_parks, l.total_parks, l.prev_hash) END WHERE l.seq = {seq}"
            for seq in (2, 3, 4)
        ],
    )
    body = tamper.verify()
    assert body["chain_ok"] is True, [p for p in body["problems"] if "hash" in p["check"]]
    assert body["ok"] is False
    assert problems_where(body, ledger_seq=2, check="ledger_total")
    assert "current_total" in checks(body)
    assert abs(body["ledger_total_m2"] - body["recomputed_total_m2"] - 1000) <= TOL_M2


def test_a_ledger_park_delta_altered_is_named_by_its_row(history, tamper):
    tamper(
        "ledger",
        "UPDATE ledger SET delta_parks = jsonb_set(delta_parks, '{gaoxin}', "
        "to_jsonb((delta_parks ->> 'gaoxin')::float8 - 250)) WHERE seq = 2",
    )
    body = tamper.verify()
    assert body["ok"] is False and body["chain_ok"] is False
    (park,) = problems_where(body, ledger_seq=2, check="ledger_park_delta")
    assert park["park"] == "gaoxin"
    assert abs(park["expected"] - park["found"] - 250) <= TOL_M2
    assert problems_where(body, ledger_seq=2, check="hash")


def test_a_deleted_ledger_row_is_named_by_the_gap(history, tamper):
    tamper("ledger", "DELETE FROM ledger WHERE seq = 3")
    body = tamper.verify()
    assert body["ok"] is False and body["chain_ok"] is False
    (gap,) = problems_where(body, check="sequence")
    assert (gap["ledger_seq"], gap["expected"], gap["found"]) == (4, 3, 4)
    assert problems_where(body, ledger_seq=4, check="hash_chain")
    # and the rezone it recorded moved land that no ledger row now accounts for
    assert "unledgered_change_set" in checks(body) or "ledger_total" in checks(body)


def test_deleting_the_last_ledger_row_is_detected(history, tamper):
    """Row 4 records a status change, which moves no land; every committed change set
    must still have its ledger row, so its disappearance is a discrepancy."""
    (change_set_id,) = tamper.query("SELECT change_set_id FROM ledger WHERE seq = 4")[0]
    tamper("ledger", "DELETE FROM ledger WHERE seq = 4")
    body = tamper.verify()
    assert body["ok"] is False, "a change set without its ledger row went unnoticed"
    assert any(
        p.get("change_set_id") == change_set_id or p.get("ledger_seq") == 4
        for p in body["problems"]
    )


def test_a_lowered_city_high_water_mark_is_named(history, tamper):
    tamper(
        "ledger",
        "UPDATE ledger SET high_water_city_m2 = high_water_city_m2 - 1000 WHERE seq = 4",
    )
    body = tamper.verify()
    assert body["ok"] is False
    (mark,) = problems_where(body, ledger_seq=4, check="high_water")
    assert abs(mark["expected"] - mark["found"] - 1000) <= TOL_M2


def test_a_lowered_park_high_water_mark_is_named(history, tamper):
    """The per-park floor (a policy setting) is judged against high_water_parks of the last
    row; lowering it would let a park lose land unnoticed."""
    tamper(
        "ledger",
        "UPDATE ledger SET high_water_parks = jsonb_set(high_water_parks, '{jiangtan}', "
        "to_jsonb((high_water_parks ->> 'jiangtan')::float8 - 100000)) WHERE seq = 4",
    )
    body = tamper.verify()
    assert body["ok"] is False, "a lowered park high-water mark went unnoticed"
    assert any(p.get("ledger_seq") == 4 for p in body["problems"])


# --- parcel versions ------------------------------------------------------------------------


def test_a_parcel_versions_geometry_altered_is_named_with_the_ledger_discrepancy(history, tamper):
    code = history.gained  # rezoned to industry by ledger row 2; its current version is 0601
    version_id, change_set_id = _version(tamper, code)
    before = _area(tamper, code)
    tamper(
        "parcel_version",
        "UPDATE parcel_version SET geom = ST_Multi(ST_Buffer(geom, -2.0, 'join=mitre')) "
        "WHERE version_id = %s",
        params=[(version_id,)],
    )
    shrink = before - _area(tamper, code)
    assert shrink > 10
    body = tamper.verify()
    assert body["ok"] is False
    (content,) = problems_where(body, check="version_content")
    assert (content["parcel_code"], content["version_id"]) == (code, version_id)
    (delta,) = problems_where(body, check="ledger_delta", change_set_id=change_set_id)
    assert delta["ledger_seq"] == history.seq_gain
    assert abs(delta["found"] - delta["expected"] - shrink) <= TOL_M2
    (current,) = problems_where(body, check="current_total")
    assert abs(current["found"] - current["expected"] - shrink) <= TOL_M2
    _every_problem_says_where_and_what(body)


def test_a_closed_versions_class_altered_is_named_with_both_ledger_rows_it_moves(history, tamper):
    """The parcel rezoned away from industry in row 3: make its old (closed) version
    non-industrial, so the load (row 1) gained less and the rezone (row 3) lost nothing."""
    code = history.lost
    version_id, made_by = _version(tamper, code, current=False)
    area = _area(tamper, code)
    tamper(
        "parcel_version",
        "UPDATE parcel_version SET land_use_code = '0701' WHERE version_id = %s",
        params=[(version_id,)],
    )
    body = tamper.verify()
    assert body["ok"] is False
    assert problems_where(body, check="version_content", version_id=version_id, parcel_code=code)
    (load,) = problems_where(body, check="ledger_delta", ledger_seq=1)
    assert load["change_set_id"] == made_by
    assert abs(load["found"] - load["expected"] - area) <= TOL_M2
    (rezone,) = problems_where(body, check="ledger_delta", ledger_seq=history.seq_rezone)
    assert abs(rezone["expected"] - rezone["found"] - area) <= TOL_M2


def test_a_version_altered_with_a_forged_fingerprint_is_still_caught_by_the_ledger(history, tamper):
    code = history.compensation
    version_id, change_set_id = _version(tamper, code)
    area = _area(tamper, code)
    tamper(
        "parcel_version",
        "UPDATE parcel_version SET land_use_code = '0604' WHERE version_id = %s",
        "UPDATE parcel_version v SET content_sha256 = parcel_version_fingerprint(v) "
        "WHERE version_id = %s",
        params=[(version_id,), (version_id,)],
    )
    body = tamper.verify()
    assert body["ok"] is False
    assert "version_content" not in checks(body)
    (delta,) = problems_where(body, check="ledger_delta", change_set_id=change_set_id)
    assert delta["ledger_seq"] == history.seq_rezone
    assert abs(delta["found"] - delta["expected"] - area) <= TOL_M2
    assert problems_where(body, check="current_total")


def test_a_status_altered_behind_the_applications_back_is_named_though_no_land_moved(
    history, tamper
):
    code = history.status_changed
    version_id, made_by = _version(tamper, code)
    tamper(
        "parcel_version",
        "UPDATE parcel_version SET status = 'idle' WHERE version_id = %s",
        params=[(version_id,)],
    )
    body = tamper.verify()
    assert body["ok"] is False and body["chain_ok"] is True
    versions = [p for p in body["problems"] if "version_id" in p]
    assert [(p["check"], p["parcel_code"], p["version_id"]) for p in versions] == [
        ("version_content", code, version_id)
    ]
    # no ledger row is wrong; the totals by status are (the version moved to 'idle')
    others = {p["check"] for p in body["problems"] if "version_id" not in p}
    assert others <= {"totals_effect", "totals_as_of"}
    moved = problems_where(body, check="totals_effect", change_set_id=made_by)
    assert {p["status"] for p in moved} == {"idle", "ready"}


def test_a_shortened_validity_period_is_named(history, tamper):
    code = history.lost
    version_id, _ = _version(tamper, code, current=False)
    tamper(
        "parcel_version",
        "UPDATE parcel_version SET valid_to = valid_to - interval '1 millisecond' "
        "WHERE version_id = %s",
        params=[(version_id,)],
    )
    body = tamper.verify()
    assert body["ok"] is False
    (period,) = problems_where(body, check="version_period")
    assert (period["parcel_code"], period["version_id"]) == (code, version_id)


def test_totals_as_of_come_from_the_parcel_versions_not_the_ledger(history, tamper):
    from datetime import UTC, datetime

    from service.audit.queries import totals_as_of

    moment = datetime.now(UTC)
    before = totals_as_of(tamper.conn, as_of=moment, group_by=["park"])
    tamper("ledger", "UPDATE ledger SET total_city_m2 = 0, total_parks = '{}'")
    after = totals_as_of(tamper.conn, as_of=moment, group_by=["park"])
    assert after == before
    assert after["city"]["manufacturing_m2"] > 0

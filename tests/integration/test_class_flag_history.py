"""A land-use class's manufacturing flag has a history, and the past is judged by it; the
rule's settings (the policy row, the parks' targets) change only through the audited
admin functions, each change a change set with its ledger row.

Expected areas are the sample GeoPackage's own (shapely, EPSG:4545), never the service's.
Flips really commit, on a fresh copy of the loaded sample; tampering (the owner's SQL with
the triggers off) is rolled back.
"""

from __future__ import annotations

import json

import psycopg
import pytest
import support_reads as sr
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, ProgrammingError
from support_audit import checks, problems_where, psycopg_url, tampering
from support_roles import owner_url

from parks.operations import ChangeSetRequest
from parks.units import AREA_TOLERANCE_M2
from service.audit.queries import totals_as_of
from service.audit.verify import verify
from service.changes.read import change_set_detail
from service.changes.session import sync_policy
from service.planning.targets import set_target

pytestmark = pytest.mark.integration

#: Agreement between a sum of the service's areas and the same sum by shapely (m²).
SUM_TOL_M2 = 0.5
STORAGE = "0604"  # 仓储用地: not manufacturing land in the class table as shipped


def _areas_by_park(codes: set[str]) -> dict[str, float]:
    """Shapely area of the sample's parcels of *codes*, per park (every park present)."""
    frame = sr.parcels()
    sums = frame[frame["land_use_code"].isin(codes)].groupby("park")["file_area_m2"].sum()
    return {park: float(sums.get(park, 0.0)) for park in sr.PARK_CODES}


def _flip(conn, code: str, to: bool, reason: str = "test") -> int | None:
    return conn.execute(
        text("SELECT admin_set_class_manufacturing(:c, :f, 'class-test', :r)"),
        {"c": code, "f": to, "r": reason},
    ).scalar_one()


def _fingerprint(conn) -> dict[str, tuple]:
    out = {}
    for table in ("change_set", "ledger", "land_use_class", "land_use_class_flag"):
        out[table] = tuple(
            conn.execute(
                text(
                    f"SELECT count(*), md5(coalesce(string_agg(t::text, '' ORDER BY t::text), "
                    f"'')) FROM {table} t"
                )
            ).one()
        )
    return out


def test_a_flag_flipped_through_the_admin_function_counts_from_its_change_set_on(fresh_db_url):
    assert STORAGE not in sr.manufacturing_codes()
    industrial = _areas_by_park(sr.manufacturing_codes())
    storage = _areas_by_park({STORAGE})
    with sr.connect(fresh_db_url) as conn:
        loaded_at = conn.execute(text("SELECT at FROM ledger WHERE seq = 1")).scalar_one()
        change_set_id = _flip(conn, STORAGE, True, "storage land counts as manufacturing")
        assert change_set_id is not None
        conn.commit()
        assert _flip(conn, STORAGE, True) is None  # already so: nothing recorded
        conn.commit()

        cs = conn.execute(
            text("SELECT kind, actor, committed_at FROM change_set WHERE id = :id"),
            {"id": change_set_id},
        ).one()
        assert (cs.kind, cs.actor) == ("class_flag", "class-test")
        row = (
            conn.execute(
                text("SELECT * FROM ledger WHERE change_set_id = :id"), {"id": change_set_id}
            )
            .mappings()
            .one()
        )
        assert row["kind"] == "class_flag" and row["at"] == cs.committed_at
        assert row["delta_city_m2"] == pytest.approx(sum(storage.values()), abs=SUM_TOL_M2)
        for park, area in storage.items():
            assert float(row["delta_parks"][park]) == pytest.approx(area, abs=SUM_TOL_M2)

        # (-infinity, which Python's datetime cannot hold, read as NULL)
        flags = conn.execute(
            text(
                "SELECT is_manufacturing, nullif(valid_from, '-infinity'), valid_to, "
                "change_set_id FROM land_use_class_flag WHERE code = :c ORDER BY valid_from"
            ),
            {"c": STORAGE},
        ).all()
        assert [tuple(f) for f in flags] == [
            (False, None, cs.committed_at, None),
            (True, cs.committed_at, None, change_set_id),
        ]

        # The whole history reconciles: the load judged by the flags of its time, the
        # flip by the area standing then.
        body = verify(conn).body()
        assert body["ok"], body["problems"]

        before = totals_as_of(conn, as_of=loaded_at, group_by=["park"])
        after = totals_as_of(conn, as_of=cs.committed_at, group_by=["park"])
    assert before["city"]["manufacturing_m2"] == pytest.approx(
        sum(industrial.values()), abs=SUM_TOL_M2
    )
    assert after["city"]["manufacturing_m2"] == pytest.approx(
        sum(industrial.values()) + sum(storage.values()), abs=SUM_TOL_M2
    )
    for park in sr.PARK_CODES:
        was = next(r for r in before["rows"] if r["park"] == park)
        now = next(r for r in after["rows"] if r["park"] == park)
        assert was["manufacturing_m2"] == pytest.approx(industrial[park], abs=SUM_TOL_M2)
        assert now["manufacturing_m2"] == pytest.approx(
            industrial[park] + storage[park], abs=SUM_TOL_M2
        )


def test_the_same_flip_made_behind_the_triggers_back_is_caught_by_verify(sample_db_url):
    storage = sum(_areas_by_park({STORAGE}).values())
    with tampering(owner_url(sample_db_url)) as t:
        (ledger_total,) = t.query("SELECT total_city_m2 FROM ledger ORDER BY seq DESC LIMIT 1")[0]
        t(
            "land_use_class",
            f"UPDATE land_use_class SET is_manufacturing = true WHERE code = '{STORAGE}'",
        )
        assert t.query("SELECT count(*) FROM land_use_class_flag WHERE code = %s", (STORAGE,)) == [
            (1,)
        ]
        body = t.verify()
    assert not body["ok"]
    assert checks(body) == {"class_flag", "current_total"}, body["problems"]
    (flag,) = problems_where(body, check="class_flag")
    assert (flag["land_use_code"], flag["expected"], flag["found"]) == (STORAGE, "true", "false")
    (current,) = problems_where(body, check="current_total")
    assert current["found"] == pytest.approx(ledger_total, abs=1e-3)
    assert current["expected"] == pytest.approx(ledger_total + storage, abs=SUM_TOL_M2)


def test_a_flip_that_would_shrink_the_city_is_refused_and_leaves_no_trace(sample_db_url):
    industrial = sum(_areas_by_park(sr.manufacturing_codes()).values())
    with sr.connect(sample_db_url) as conn:
        before = _fingerprint(conn)
    with psycopg.connect(psycopg_url(sample_db_url)) as conn:
        (change_set_id,) = conn.execute(
            "SELECT admin_set_class_manufacturing('0601', false, 'class-test', 'no industry')"
        ).fetchone()
        assert change_set_id is not None
        with pytest.raises(psycopg.Error) as refused:
            conn.commit()
    assert refused.value.sqlstate == "MF001"
    detail = json.loads(refused.value.diag.message_detail)
    assert detail["scope"] == "city"
    assert detail["shortfall_m2"] == pytest.approx(industrial, abs=SUM_TOL_M2)
    with sr.connect(sample_db_url) as conn:
        assert _fingerprint(conn) == before


def test_policy_and_target_changes_through_the_functions_are_change_sets_with_ledger_rows(
    fresh_db_url,
):
    targets = sr.layer("targets").set_index("park")
    with sr.connect(fresh_db_url) as conn:
        assert sync_policy(conn, per_park_floor=True, actor="运维", reason="per-park floor on")
        conn.commit()
        set_target(
            conn, "jiangtan", updated_by="市工信局", min_reserve_mu=1234.5, reason="年度调整"
        )
        conn.commit()
        ids = (
            conn.execute(
                text(
                    "SELECT id FROM change_set WHERE kind IN ('rule_policy', 'target') ORDER BY id"
                )
            )
            .scalars()
            .all()
        )
        assert len(ids) == 2
        policy, target = (change_set_detail(conn, i) for i in ids)
        # Setting what is set already records nothing.
        assert not sync_policy(conn, per_park_floor=True)
        set_target(conn, "jiangtan", updated_by="x", min_reserve_mu=1234.5)
        conn.commit()
        assert conn.execute(text("SELECT count(*) FROM change_set")).scalar_one() == 3
        last_two = conn.execute(
            text("SELECT seq, kind, change_set_id, delta_city_m2 FROM ledger ORDER BY seq")
        ).all()[-2:]
        stored = conn.execute(
            text(
                "SELECT min_reserve_mu, min_vacant_floor_m2, updated_by FROM target "
                "WHERE park = 'jiangtan'"
            )
        ).one()
        body = verify(conn).body()
    assert (policy["kind"], policy["actor"], policy["reason"]) == (
        "rule_policy",
        "运维",
        "per-park floor on",
    )
    (op,) = policy["operations"]
    assert op["before"] == [{"per_park_floor": False, "tolerance_m2": AREA_TOLERANCE_M2}]
    assert op["after"] == [{"per_park_floor": True, "tolerance_m2": AREA_TOLERANCE_M2}]
    assert (target["kind"], target["actor"], target["reason"]) == ("target", "市工信局", "年度调整")
    (op,) = target["operations"]
    file_reserve = float(targets.loc["jiangtan", "min_reserve_mu"])
    file_floor = float(targets.loc["jiangtan", "min_vacant_floor_m2"])
    assert op["before"][0]["min_reserve_mu"] == file_reserve
    assert op["before"][0]["min_vacant_floor_m2"] == file_floor
    assert op["after"] == [
        {"park": "jiangtan", "min_reserve_mu": 1234.5, "min_vacant_floor_m2": file_floor}
    ]
    assert tuple(stored) == (1234.5, file_floor, "市工信局")
    # Each has its ledger row, moving nothing; the chain (which hashes the change set's
    # id and kind) and the rest of the audit hold.
    assert [(r.kind, r.change_set_id, r.delta_city_m2) for r in last_two] == [
        ("rule_policy", ids[0], 0.0),
        ("target", ids[1], 0.0),
    ]
    assert policy["ledger"]["seq"] == last_two[0].seq
    assert body["ok"], body["problems"]


def test_the_application_role_cannot_write_classes_policy_targets_or_flags(sample_db_url):
    # Passes once the roles migration runs the fixtures as the service's role.
    statements = [
        "UPDATE land_use_class SET is_manufacturing = true WHERE code = '0604'",
        "UPDATE rule_policy SET per_park_floor = true",
        "UPDATE target SET min_reserve_mu = 0",
        "INSERT INTO target (park, min_reserve_mu, min_vacant_floor_m2) VALUES ('gaoxin', 1, 1) "
        "ON CONFLICT (park) DO UPDATE SET min_reserve_mu = 1",
        "DELETE FROM target",
        "INSERT INTO land_use_class_flag (code, is_manufacturing, valid_from) "
        "VALUES ('0604', true, now())",
    ]
    with sr.connect(sample_db_url) as conn:
        for statement in statements:
            with pytest.raises(ProgrammingError) as denied:
                conn.execute(text(statement))
            assert denied.value.orig.sqlstate == "42501", statement  # insufficient_privilege
            conn.rollback()


def test_the_flag_history_is_append_only_but_for_closing_the_standing_flag(sample_db_url):
    with sr.connect(owner_url(sample_db_url)) as conn:
        for statement in (
            "UPDATE land_use_class_flag SET is_manufacturing = NOT is_manufacturing "
            "WHERE code = '0601'",
            "UPDATE land_use_class_flag SET valid_from = now() WHERE code = '0601'",
            "DELETE FROM land_use_class_flag WHERE code = '0601'",
            "TRUNCATE land_use_class_flag",
        ):
            with pytest.raises(DBAPIError) as refused:
                conn.execute(text(statement))
            assert refused.value.orig.sqlstate == "MF002", statement
            conn.rollback()
        closed = conn.execute(
            text("UPDATE land_use_class_flag SET valid_to = now() WHERE code = '0601'")
        )
        assert closed.rowcount == 1
        conn.rollback()


def test_a_change_set_of_parcel_operations_may_not_take_a_settings_kind():
    body = {
        "reason": "r",
        "operations": [{"op": "set_status", "parcel_code": "GX-0001", "status": "ready"}],
    }
    ChangeSetRequest.model_validate({**body, "kind": "set_status"})
    for kind in ("class_flag", "rule_policy", "target"):
        with pytest.raises(ValueError, match="admin function"):
            ChangeSetRequest.model_validate({**body, "kind": kind})

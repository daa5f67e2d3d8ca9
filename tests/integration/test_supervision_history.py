"""Land supervision's records keep their history the way parcels do, whoever writes: a
write is a change set with its ledger row, a changed record ends the standing version and
makes a new one, an unchanged one is kept, and the service's role can neither edit nor
delete a version nor write one outside a change set. Writes really commit (fresh copy of
the loaded sample per test)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from service.audit.verify import verify
from service.changes.session import open_change_set
from service.db.engine import make_engine
from service.db.versioned_records import end_versions, put_versions
from service.supervision.settings import settings_in_force

pytestmark = pytest.mark.integration


@pytest.fixture
def engine(fresh_db_url):
    engine = make_engine(fresh_db_url)
    yield engine
    engine.dispose()


def _enterprise(code: str, name: str, industry: str | None = None) -> dict:
    return {"enterprise_code": code, "name": name, "industry": industry}


def _put(engine, table: str, rows: list[dict], *, kind: str = "supervision"):
    with engine.begin() as conn:
        cs = open_change_set(conn, kind=kind, reason="test", actor="history-test")
        written = put_versions(conn, change_set_id=cs.id, table=table, rows=rows)
    return cs, written


def test_a_changed_record_ends_its_standing_version_and_an_unchanged_one_is_kept(engine):
    first, written = _put(
        engine, "enterprise", [_enterprise("E1", "甲公司"), _enterprise("E2", "乙公司")]
    )
    assert (written.made, written.ended, written.unchanged) == (2, 0, 0)
    second, written = _put(
        engine, "enterprise", [_enterprise("E1", "甲公司"), _enterprise("E2", "乙公司（更名）")]
    )
    assert (written.made, written.ended, written.unchanged) == (1, 1, 1)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT enterprise_code, name, valid_from, valid_to, change_set_id, "
                "ended_by_change_set_id FROM enterprise WHERE enterprise_code IN ('E1', 'E2') "
                "ORDER BY version_id"
            )
        ).all()
    assert [(r.enterprise_code, r.name) for r in rows] == [
        ("E1", "甲公司"),
        ("E2", "乙公司"),
        ("E2", "乙公司（更名）"),
    ]
    assert rows[0].valid_to is None and rows[0].change_set_id == first.id
    assert rows[1].valid_to == second.at and rows[1].ended_by_change_set_id == second.id
    assert rows[2].valid_from == second.at and rows[2].valid_to is None


def test_every_supervision_write_is_a_change_set_with_its_ledger_row_and_verify_passes(engine):
    cs, _ = _put(engine, "enterprise", [_enterprise("E9", "丙公司")])
    with engine.connect() as conn:
        ledger = conn.execute(
            text("SELECT kind, delta_city_m2 FROM ledger WHERE change_set_id = :id"), {"id": cs.id}
        ).one()
        assert ledger.kind == "supervision" and ledger.delta_city_m2 == 0
        assert verify(conn).ok


@pytest.mark.parametrize(
    ("statement", "why"),
    [
        ("UPDATE enterprise SET name = 'forged' WHERE enterprise_code = 'E1'", "edit"),
        ("DELETE FROM enterprise WHERE enterprise_code = 'E1'", "delete"),
        (
            "INSERT INTO enterprise (enterprise_code, name, valid_from, change_set_id) "
            "SELECT 'E7', 'x', now(), max(id) FROM change_set",
            "insert outside a change set of this transaction",
        ),
        ("TRUNCATE enterprise", "truncate"),
    ],
)
def test_the_service_role_cannot_rewrite_a_supervision_record(engine, statement, why):
    _put(engine, "enterprise", [_enterprise("E1", "甲公司")])
    with pytest.raises(DBAPIError), engine.begin() as conn:
        conn.execute(text(statement))
    with engine.connect() as conn:
        assert (
            conn.execute(
                text(
                    "SELECT name FROM enterprise WHERE enterprise_code = 'E1' AND valid_to IS NULL"
                )
            ).scalar_one()
            == "甲公司"
        ), why


def test_a_version_cannot_be_backdated_even_inside_a_change_set(engine):
    with engine.begin() as conn:
        cs = open_change_set(conn, kind="supervision", reason="test", actor="history-test")
        conn.execute(
            text(
                "INSERT INTO enterprise (enterprise_code, name, valid_from, change_set_id) "
                "VALUES ('E5', 'x', '2001-01-01', :cs)"
            ),
            {"cs": cs.id},
        )
        stored = conn.execute(
            text("SELECT valid_from FROM enterprise WHERE enterprise_code = 'E5'")
        ).scalar_one()
    assert stored == cs.at


def test_ending_a_record_keeps_it_in_history(engine):
    _put(engine, "enterprise", [_enterprise("E1", "甲公司")])
    with engine.begin() as conn:
        cs = open_change_set(conn, kind="supervision", reason="closed", actor="history-test")
        assert (
            end_versions(
                conn, change_set_id=cs.id, table="enterprise", keys=[{"enterprise_code": "E1"}]
            )
            == 1
        )
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT valid_to, ended_by_change_set_id FROM enterprise "
                "WHERE enterprise_code = 'E1'"
            )
        ).one()
    assert row.valid_to == cs.at and row.ended_by_change_set_id == cs.id


def test_a_setting_override_is_in_force_and_the_defaults_fill_the_rest(engine):
    _put(
        engine,
        "supervision_setting",
        [{"name": "idle.warning_days", "value": 30}],
        kind="supervision_setting",
    )
    with engine.connect() as conn:
        settings = settings_in_force(conn)
    assert settings["idle.warning_days"] == 30
    assert settings["idle.no_start_days"] == 365


def test_a_key_given_twice_in_one_write_is_refused_and_nothing_is_stored(engine):
    with pytest.raises(ValueError, match="more than once"):
        _put(engine, "enterprise", [_enterprise("E1", "a"), _enterprise("E1", "b")])
    with engine.connect() as conn:
        assert (
            conn.execute(
                text("SELECT count(*) FROM enterprise WHERE enterprise_code = 'E1'")
            ).scalar_one()
            == 0
        )

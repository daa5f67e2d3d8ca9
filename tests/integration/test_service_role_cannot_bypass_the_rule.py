"""The service's own credentials cannot switch the rule off or rewrite the record.

Each test connects as ``parks_app`` — what the service and the CLI write as — and tries
one attack a holder of those credentials could try with psql; the database refuses it
(by privilege, or by the rule's own checks) and nothing of it is stored. Databases are
throwaway copies of the loaded sample; the rule's check runs at a real COMMIT.
"""

from __future__ import annotations

import psycopg
import pytest
from psycopg import errors
from support_roles import owner_url, role_url

pytestmark = pytest.mark.integration


def _dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def _record(url: str) -> tuple:
    """What must not move when an attack is refused: the ledger, the change sets, the
    parcel versions and the rule's working tables (counted as the owner)."""
    with psycopg.connect(_dsn(owner_url(url))) as conn:
        return conn.execute(
            "SELECT (SELECT count(*) FROM ledger), (SELECT max(hash) FILTER (WHERE seq = "
            "(SELECT max(seq) FROM ledger)) FROM ledger), (SELECT count(*) FROM change_set), "
            "(SELECT count(*) FROM parcel_version), (SELECT count(*) FROM rule_pending), "
            "(SELECT count(*) FROM rule_txn), (SELECT count(*) FROM parcel_version "
            "WHERE valid_to IS NULL)"
        ).fetchone()


def _manufacturing_parcel(url: str) -> str:
    with psycopg.connect(_dsn(url)) as conn:
        return conn.execute(
            "SELECT v.parcel_code FROM parcel_version v JOIN land_use_class c "
            "ON c.code = v.land_use_code WHERE v.valid_to IS NULL AND c.is_manufacturing "
            "ORDER BY v.area_m2 DESC LIMIT 1"
        ).fetchone()[0]


SHRINK = (
    "UPDATE parcel_version SET geom = ST_Multi(ST_Buffer(geom, -3)) "
    "WHERE parcel_code = %s AND valid_to IS NULL"
)


def _refused(url: str, *statements: str | tuple[str, tuple], expect=errors.Error):
    """Run *statements* in one transaction as the service's role and commit; the database
    must refuse (an *expect* error at some statement or at COMMIT)."""
    with pytest.raises(expect) as raised, psycopg.connect(_dsn(url)) as conn:
        for statement in statements:
            sql, args = statement if isinstance(statement, tuple) else (statement, ())
            conn.execute(sql, args)
        conn.commit()
    return raised.value


@pytest.fixture
def app_db(fresh_db_url: str):
    """A throwaway copy of the sample, as parks_app, with what must not move recorded."""
    before = _record(fresh_db_url)
    yield fresh_db_url
    assert _record(fresh_db_url) == before, "a refused attack left something behind"


@pytest.mark.parametrize(
    "ddl",
    [
        "ALTER TABLE parcel_version DISABLE TRIGGER USER",
        "ALTER TABLE parcel_version DISABLE TRIGGER parcel_version_rule_update",
        "ALTER TABLE rule_txn DISABLE TRIGGER rule_check_at_commit",
        "DROP TRIGGER rule_check_at_commit ON rule_txn",
        "DROP FUNCTION rule_commit_check() CASCADE",
        "CREATE OR REPLACE FUNCTION rule_commit_check() RETURNS trigger LANGUAGE plpgsql "
        "AS $$ BEGIN RETURN NULL; END $$",
        "CREATE TRIGGER sneak AFTER INSERT ON parcel_version FOR EACH STATEMENT "
        "EXECUTE FUNCTION refuse_change('x')",
        "ALTER TABLE ledger DROP CONSTRAINT ledger_pkey",
        "CREATE TABLE public.sneak (x int)",
        "CREATE FUNCTION public.sneak() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$",
        "ALTER TABLE rule_policy OWNER TO parks_app",
    ],
)
def test_the_service_role_may_not_change_the_rules_machinery(app_db, ddl):
    error = _refused(app_db, ddl, expect=errors.InsufficientPrivilege)
    assert "must be owner" in str(error) or "permission denied" in str(error)


@pytest.mark.parametrize(
    "statement",
    [
        "TRUNCATE parcel_version",
        "TRUNCATE ledger",
        "TRUNCATE change_set CASCADE",
        "TRUNCATE rule_pending",
        "TRUNCATE land_use_class CASCADE",
        "UPDATE ledger SET delta_city_m2 = 0 WHERE seq = 1",
        "DELETE FROM ledger WHERE seq = (SELECT max(seq) FROM ledger)",
        "INSERT INTO ledger SELECT * FROM ledger WHERE seq = 1",
        "UPDATE ledger_head SET last_seq = last_seq + 10",
        "SELECT last_seq FROM ledger_head FOR UPDATE",
        "DELETE FROM change_set WHERE id = (SELECT min(id) FROM change_set)",
        "UPDATE change_set SET reason = 'rewritten' WHERE id = (SELECT min(id) FROM change_set)",
        "UPDATE change_set SET committed_at = committed_at - interval '1 year'",
        "UPDATE land_use_class SET is_manufacturing = NOT is_manufacturing WHERE code = '0601'",
        "UPDATE rule_policy SET tolerance_m2 = 1e12",
        "UPDATE rule_policy SET per_park_floor = NOT per_park_floor",
        "INSERT INTO rule_txn (txid) VALUES (1)",
        "DELETE FROM totals_effect",
        "DELETE FROM parcel_feature",
        "SET session_replication_role = replica",
    ],
)
def test_the_service_role_has_no_privilege_to_rewrite_the_record(app_db, statement):
    error = _refused(app_db, statement, expect=(errors.InsufficientPrivilege,))
    assert "permission denied" in str(error)


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO gis.parcels (parcel_code) VALUES ('X')",
        "UPDATE gis.parcels SET holder = 'x'",
        "DELETE FROM gis.parks",
        "UPDATE gis.context_layers SET name = 'x'",
        "DELETE FROM gis.ledger",
    ],
)
def test_nobody_writes_through_the_gis_views(app_db, statement):
    for url in (app_db, role_url(app_db, "parks_reader")):
        error = _refused(
            url,
            statement,
            expect=(
                errors.InsufficientPrivilege,
                errors.ObjectNotInPrerequisiteState,  # not updatable at all
                errors.ReadOnlySqlTransaction,  # the reader's transactions
            ),
        )
        assert error is not None


def test_copy_into_the_ledger_is_refused(app_db):
    with pytest.raises(errors.InsufficientPrivilege), psycopg.connect(_dsn(app_db)) as conn:
        with conn.cursor().copy("COPY ledger (seq, hash) FROM STDIN") as copy:
            copy.write_row((999, "0" * 64))
        conn.commit()


def test_a_forged_rule_setting_does_not_open_the_pending_rows(app_db):
    code = _manufacturing_parcel(app_db)
    error = _refused(
        app_db,
        (SHRINK, (code,)),
        "SELECT set_config('parks.rule_committing', txid_current()::text, true)",
        "DELETE FROM rule_pending WHERE txid = txid_current()",
        "DELETE FROM rule_txn WHERE txid = txid_current()",
    )
    assert isinstance(error, errors.InsufficientPrivilege)


def test_a_temporary_table_cannot_stand_in_for_the_rules_working_table(app_db):
    # The rule's functions search public before pg_temp: a session's own rule_pending
    # (empty, so the loss would vanish) is never the one they read.
    code = _manufacturing_parcel(app_db)
    error = _refused(
        app_db,
        "CREATE TEMP TABLE rule_pending (LIKE public.rule_pending)",
        "CREATE TEMP TABLE rule_txn (txid bigint)",
        "SET search_path = pg_temp, public",
        (SHRINK, (code,)),
    )
    assert error.sqlstate == "MF001"


def test_a_shrinking_reshape_without_compensation_is_refused_at_commit(app_db):
    code = _manufacturing_parcel(app_db)
    error = _refused(app_db, (SHRINK, (code,)))
    assert error.sqlstate == "MF001" and code in str(error)


def test_checking_each_statement_at_once_still_judges_the_loss(app_db):
    code = _manufacturing_parcel(app_db)
    error = _refused(app_db, "SET CONSTRAINTS ALL IMMEDIATE", (SHRINK, (code,)))
    assert error.sqlstate == "MF001"


def test_a_loss_released_from_a_savepoint_is_still_judged(app_db):
    code = _manufacturing_parcel(app_db)
    error = _refused(
        app_db,
        "SAVEPOINT a",
        "INSERT INTO change_set (kind, reason, actor) VALUES ('rezone', 'savepoint', 'x')",
        "ROLLBACK TO SAVEPOINT a",
        "SAVEPOINT b",
        (SHRINK, (code,)),
        "RELEASE SAVEPOINT b",
    )
    assert error.sqlstate == "MF001"


def test_a_prepared_transaction_cannot_carry_a_loss_past_the_check(app_db):
    code = _manufacturing_parcel(app_db)
    # Deferred checks run at PREPARE as at COMMIT (and this server allows no prepared
    # transactions besides): either way, nothing is kept.
    with (
        pytest.raises(errors.Error) as raised,
        psycopg.connect(_dsn(app_db), autocommit=True) as conn,
    ):
        conn.execute("BEGIN")
        conn.execute(SHRINK, (code,))
        conn.execute("PREPARE TRANSACTION 'sneak'")
    assert raised.value.sqlstate in ("MF001", "55000")


def test_a_committed_change_sets_effects_may_not_be_rewritten(app_db):
    error = _refused(
        app_db,
        "UPDATE change_set SET effects = '{}'::jsonb WHERE id = (SELECT min(id) FROM change_set)",
    )
    assert error.sqlstate == "MF002" and "change set" in str(error)


def test_a_closed_version_may_not_be_edited(fresh_db_url):
    # A holder changed by SQL closes the standing version and writes a new one.
    with psycopg.connect(_dsn(fresh_db_url)) as conn:
        version_id, code = conn.execute(
            "SELECT version_id, parcel_code FROM parcel_version WHERE valid_to IS NULL "
            "ORDER BY parcel_code LIMIT 1"
        ).fetchone()
        conn.execute(
            "UPDATE parcel_version SET holder = 'new holder' WHERE version_id = %s", (version_id,)
        )
        conn.commit()
    before = _record(fresh_db_url)
    for statement in (
        "UPDATE parcel_version SET holder = 'x' WHERE version_id = %s",
        "UPDATE parcel_version SET valid_to = NULL WHERE version_id = %s",
        "DELETE FROM parcel_version WHERE version_id = %s",
    ):
        error = _refused(fresh_db_url, (statement, (version_id,)))
        assert error.sqlstate == "MF002" and code in str(error)
    assert _record(fresh_db_url) == before


def test_the_reading_roles_may_not_write_at_all(fresh_db_url):
    for role in ("parks_reader", "parks_auditor"):
        url = role_url(fresh_db_url, role)
        error = _refused(
            url,
            "INSERT INTO change_set (kind, reason, actor) VALUES ('rezone', 'r', 'r')",
            expect=(errors.ReadOnlySqlTransaction, errors.InsufficientPrivilege),
        )
        assert error is not None


def test_the_auditor_reads_every_table_and_the_reader_only_the_gis_views(sample_db_url):
    with psycopg.connect(_dsn(role_url(sample_db_url, "parks_auditor"))) as conn:
        for table in ("ledger", "change_set", "parcel_version", "rule_policy", "totals_effect"):
            conn.execute(f"SELECT count(*) FROM {table}").fetchone()
    with psycopg.connect(_dsn(role_url(sample_db_url, "parks_reader"))) as conn:
        conn.execute("SELECT count(*) FROM gis.parcels").fetchone()
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute("SELECT count(*) FROM public.ledger")


def test_every_function_that_writes_runs_as_the_owner_with_a_fixed_search_path(sample_db_url):
    with psycopg.connect(_dsn(owner_url(sample_db_url))) as conn:
        rows = conn.execute(
            "SELECT p.oid::regprocedure::text, p.prosecdef, p.proconfig, "
            "pg_get_userbyid(p.proowner), "
            "has_function_privilege('public', p.oid, 'EXECUTE') "
            "FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = 'public' AND p.provolatile = 'v' AND NOT EXISTS ("
            "SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass "
            "AND d.objid = p.oid AND d.deptype = 'e')"
        ).fetchall()
    assert len(rows) > 20
    wrong = [
        r[0]
        for r in rows
        if not r[1]
        or "search_path=public, pg_temp" not in (r[2] or [])
        or r[3] != "parks_owner"
        or r[4]
    ]
    assert wrong == []


def test_the_service_role_owns_nothing_and_may_not_truncate_or_trigger(sample_db_url):
    with psycopg.connect(_dsn(owner_url(sample_db_url))) as conn:
        owned = conn.execute(
            "SELECT count(*) FROM pg_class WHERE relowner = 'parks_app'::regrole"
        ).fetchone()[0]
        risky = conn.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname IN ('public', 'gis') AND c.relkind IN ('r', 'v', 'm', 'p') "
            "AND (has_table_privilege('parks_app', c.oid, 'TRUNCATE') "
            "OR has_table_privilege('parks_app', c.oid, 'TRIGGER') "
            "OR has_table_privilege('parks_app', c.oid, 'REFERENCES'))"
        ).fetchall()
        creates = conn.execute(
            "SELECT has_schema_privilege('parks_app', 'public', 'CREATE'), "
            "has_schema_privilege('parks_app', 'gis', 'CREATE')"
        ).fetchone()
    assert owned == 0 and risky == [] and creates == (False, False)

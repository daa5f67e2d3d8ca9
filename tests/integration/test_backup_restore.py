"""Backups that restore and prove themselves, with the real ``pg_dump`` and ``pg_restore``
against real databases.

The scenario: a copy of the loaded sample (ledger row 1), three change sets through the
application (rows 2-4), a backup, one change set more (row 5), then a restore into a new
empty database made from the PostGIS template. What the restored database must hold is
read independently from the source when the backup was taken (its ledger rows, its
parcel versions, row counts, manufacturing totals by our own SQL, the dump's SHA-256
computed here), not taken from the manifest alone.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
import time
from pathlib import Path

import psycopg
import pytest
from alembic import command
from psycopg.rows import dict_row
from support_audit import make_history, pick, psycopg_url
from support_changes import change_set, manufacturing_totals
from support_roles import app_url, owner_url

from parks.operations import ChangeSetRequest
from service.audit.verify import verify
from service.changes.apply import apply_change_set
from service.db.engine import make_engine
from service.db.migrate import alembic_config, head_revision
from service.operations import manifest as mf
from service.operations.backup import take_backup
from service.operations.errors import (
    BackupDamaged,
    BackupDirectoryError,
    TargetNotEmpty,
    TargetNotReady,
)
from service.operations.restore import restore_backup

pytestmark = pytest.mark.integration

BACKUP_SEQ = 4  # the ledger row the backup holds: the load and make_history's three
LAND_TABLES = ("parcel_version", "change_set", "ledger", "lease", "factory_building", "park")


def _rows(url: str, sql: str, args: tuple = ()) -> list[dict]:
    with psycopg.connect(psycopg_url(url), row_factory=dict_row) as conn:
        return conn.execute(sql, args).fetchall()


def _value(url: str, sql: str, args: tuple = ()):
    return next(iter(_rows(url, sql, args)[0].values()))


def _set_status(url: str, code: str, status: str, n: int) -> int:
    """One change set through the application; its ledger sequence."""
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        body = change_set(
            "set_status",
            {"op": "set_status", "parcel_code": code, "status": status},
            document_no=f"备份测试〔2026〕{n}号",
        )
        return apply_change_set(
            engine, ChangeSetRequest.model_validate(body), actor="backup-test", storage_srid=4545
        ).ledger_seq
    finally:
        engine.dispose()


def _empty_target(databases) -> str:
    """A new database with PostGIS and nothing else, owned by the schema's owner."""
    return app_url(databases.create(template=databases.postgis_template))


def _own_tables(url: str) -> int:
    return _value(
        url,
        "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
        "AND tablename <> 'spatial_ref_sys'",
    )


def _read_at_backup(url: str) -> dict:
    """What the tests expect a backup of *url* to hold, read on their own."""
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as conn:
            city_m2, parks_m2 = manufacturing_totals(conn)
    finally:
        engine.dispose()
    return {
        "city_m2": city_m2,
        "parks_m2": parks_m2,
        "ledger": _rows(url, "SELECT * FROM ledger ORDER BY seq"),
        "versions": _rows(
            url,
            "SELECT version_id, content_sha256, valid_from, change_set_id FROM parcel_version "
            "ORDER BY version_id",
        ),
        "counts": {t: _value(url, f"SELECT count(*) FROM {t}") for t in LAND_TABLES},
        "schema": _value(url, "SELECT version_num FROM alembic_version"),
    }


@pytest.fixture(scope="module")
def scenario(databases, loaded_template, tmp_path_factory):
    """The source (after the backup, one change set more), the backup, and what was read
    from the source when the backup was taken."""
    source = app_url(databases.create(template=loaded_template))
    # A copy of a database does not copy its own grants: give it those `make migrate`
    # gives the database parks (service/db/sql/privileges.sql, step 1).
    with psycopg.connect(psycopg_url(owner_url(source)), autocommit=True) as conn:
        name = conn.execute("SELECT current_database()").fetchone()[0]
        conn.execute(f'REVOKE ALL ON DATABASE "{name}" FROM PUBLIC')
        conn.execute(f'GRANT CONNECT ON DATABASE "{name}" TO parks_app, parks_auditor')
        conn.execute(f'GRANT TEMPORARY ON DATABASE "{name}" TO parks_app')
    make_history(source)
    at_backup = _read_at_backup(source)
    directory = tmp_path_factory.mktemp("backups") / "one"
    taken = take_backup(owner_url(source), directory=directory)
    code, _ = pick(source, "status = 'reserve' AND park = 'gaoxin'")
    assert _set_status(source, code, "ready", 99) == BACKUP_SEQ + 1
    return {"source": source, "taken": taken, "at_backup": at_backup, "directory": directory}


@pytest.fixture(scope="module")
def untouched_target(databases):
    """An empty target the refusals must leave empty (shared: nothing may write it)."""
    return _empty_target(databases)


@pytest.fixture(scope="module")
def restored(scenario, databases):
    """The backup restored into a new empty database."""
    target = _empty_target(databases)
    outcome = restore_backup(scenario["directory"], target)
    return {"url": target, "outcome": outcome}


def _copy(directory: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(directory, copy)
    return copy


# --- the backup ---------------------------------------------------------------------------------


def test_the_manifest_states_what_the_database_held_when_it_was_dumped(scenario):
    at_backup, directory = scenario["at_backup"], scenario["directory"]
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    assert manifest == scenario["taken"].manifest
    facts = manifest["facts"]
    head = at_backup["ledger"][-1]
    assert (head["seq"], facts["ledger"]["head"]["seq"]) == (BACKUP_SEQ, BACKUP_SEQ)
    assert facts["ledger"]["head"]["hash"] == head["hash"]
    assert facts["ledger"]["head"]["total_city_m2"] == head["total_city_m2"]
    assert facts["ledger"]["rows"] == BACKUP_SEQ
    assert facts["schema_version"] == at_backup["schema"]
    assert facts["totals"]["city"]["manufacturing_m2"] == pytest.approx(
        at_backup["city_m2"], abs=0.01
    )
    for park, total_m2 in at_backup["parks_m2"].items():
        assert facts["totals"]["parks"][park]["manufacturing_m2"] == pytest.approx(
            total_m2, abs=0.01
        )
    for table, rows in at_backup["counts"].items():
        assert facts["counts"][f"public.{table}"] == rows
    # the grants are recorded: the service reads the ledger and may not write it
    assert "parks_app SELECT" in facts["grants"]["TABLE public.ledger"]
    assert "parks_app INSERT" not in facts["grants"]["TABLE public.ledger"]
    assert "OWNER parks_owner" in facts["grants"]["TABLE public.ledger"]


def test_the_dump_is_pg_dump_custom_format_hashed_in_the_manifest_and_recorded(scenario):
    directory, manifest = scenario["directory"], scenario["taken"].manifest
    dump = directory / "parks.dump"
    sha256 = hashlib.sha256(dump.read_bytes()).hexdigest()
    assert dump.read_bytes()[:5] == b"PGDMP"
    assert (manifest["dump"]["sha256"], manifest["dump"]["bytes"]) == (sha256, dump.stat().st_size)
    assert sorted(p.name for p in directory.iterdir()) == ["manifest.json", "parks.dump"]
    assert manifest["manifest_sha256"] == mf.manifest_checksum(manifest)
    records = _rows(scenario["source"], "SELECT * FROM backup_record")
    assert [(r["dump_sha256"], r["ledger_seq"], r["location"]) for r in records] == [
        (sha256, BACKUP_SEQ, str(directory.resolve()))
    ]
    head = scenario["at_backup"]["ledger"][-1]
    assert records[0]["ledger_hash"] == head["hash"]
    assert records[0]["taken_by"] == "parks_owner"
    # the service may read the record (the age of the last backup), not write it
    assert _value(
        scenario["source"],
        "SELECT has_table_privilege('backup_record', 'SELECT') "
        "AND NOT has_table_privilege('backup_record', 'INSERT')",
    )


def test_a_backup_never_writes_over_another(scenario):
    with pytest.raises(BackupDirectoryError, match="not empty"):
        take_backup(owner_url(scenario["source"]), directory=scenario["directory"])
    assert sorted(p.name for p in scenario["directory"].iterdir()) == [
        "manifest.json",
        "parks.dump",
    ]


# --- the restore ----------------------------------------------------------------------------------


def test_the_restored_ledger_is_the_manifests_and_verifies(scenario, restored):
    outcome = restored["outcome"]
    assert outcome.ok, outcome.body()
    assert outcome.comparison.differences == []
    assert outcome.verification["ok"] and outcome.verification["rows_checked"] == BACKUP_SEQ
    at_backup = scenario["at_backup"]
    # the ledger as it stood at the backup, not as the source has it now (row 5)
    assert _rows(restored["url"], "SELECT * FROM ledger ORDER BY seq") == at_backup["ledger"]
    assert _value(scenario["source"], "SELECT max(seq) FROM ledger") == BACKUP_SEQ + 1
    restored_versions = _rows(
        restored["url"],
        "SELECT version_id, content_sha256, valid_from, change_set_id FROM parcel_version "
        "ORDER BY version_id",
    )
    assert restored_versions == at_backup["versions"]
    for table, rows in at_backup["counts"].items():
        assert _value(restored["url"], f"SELECT count(*) FROM {table}") == rows


def test_the_restored_database_verifies_as_the_service_sees_it(restored):
    engine = make_engine(restored["url"], pool_size=1, max_overflow=0)  # as parks_app
    try:
        with engine.connect() as conn:
            result = verify(conn)
    finally:
        engine.dispose()
    assert result.ok, result.problems
    assert result.rows_checked == BACKUP_SEQ


def test_the_restored_database_keeps_who_may_do_what(restored):
    url = restored["url"]
    checks = _rows(
        url,
        "SELECT has_table_privilege('parks_app', 'ledger', 'SELECT') AS app_reads_ledger, "
        "has_table_privilege('parks_app', 'ledger', 'UPDATE') AS app_updates_ledger, "
        "has_table_privilege('parks_app', 'parcel_version', 'INSERT') AS app_inserts_versions, "
        "has_table_privilege('parks_reader', 'parcel_version', 'SELECT') AS reader_base_table, "
        "has_table_privilege('parks_reader', 'gis.parcels', 'SELECT') AS reader_gis_view, "
        "has_database_privilege('parks_app', current_database(), 'TEMP') AS app_temp, "
        "has_database_privilege('parks_auditor', current_database(), 'CONNECT') "
        "AS auditor_connects, "
        "has_database_privilege('parks_reader', current_database(), 'CONNECT') "
        "AS reader_connects, "
        "has_database_privilege('public', current_database(), 'CONNECT') AS public_connects, "
        "has_function_privilege('parks_app', 'rule_take_ledger_lock()', 'EXECUTE') AS app_lock, "
        "(SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'ledger'::regclass) "
        "AS ledger_owner",
    )[0]
    assert checks == {
        "app_reads_ledger": True,
        "app_updates_ledger": False,
        "app_inserts_versions": True,
        "reader_base_table": False,
        "reader_gis_view": True,
        "app_temp": True,
        "auditor_connects": True,
        "reader_connects": False,  # as the source: its reader was given no CONNECT
        "public_connects": False,
        "app_lock": True,
        "ledger_owner": "parks_owner",
    }


def test_the_restored_database_takes_change_sets_under_the_rule(scenario, restored):
    code, _ = pick(restored["url"], "status = 'reserve' AND park = 'jiangtan'")
    assert _set_status(restored["url"], code, "ready", 100) == BACKUP_SEQ + 1


def test_a_dump_with_one_byte_flipped_is_refused_before_the_target_is_touched(
    scenario, untouched_target, tmp_path
):
    copy = _copy(scenario["directory"], tmp_path)
    dump = copy / "parks.dump"
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0x01
    dump.write_bytes(bytes(data))
    with pytest.raises(BackupDamaged, match="damaged: its SHA-256 is .*refused, nothing restored"):
        restore_backup(copy, untouched_target)
    assert _own_tables(untouched_target) == 0


def test_an_edited_manifest_is_refused(scenario, untouched_target, tmp_path):
    copy = _copy(scenario["directory"], tmp_path)
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    manifest["facts"]["counts"]["public.ledger"] += 1
    (copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(BackupDamaged, match="was altered"):
        restore_backup(copy, untouched_target)
    assert _own_tables(untouched_target) == 0


def test_a_backup_of_a_schema_newer_than_this_program_is_refused(
    scenario, untouched_target, tmp_path
):
    copy = _copy(scenario["directory"], tmp_path)
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    manifest["facts"]["schema_version"] = "9999"
    mf.write_manifest(copy, manifest)
    with pytest.raises(TargetNotReady, match="schema version 9999, which this program does not"):
        restore_backup(copy, untouched_target)
    assert _own_tables(untouched_target) == 0


def test_a_restore_that_does_not_hold_what_the_manifest_says_names_each_difference(
    scenario, databases, tmp_path
):
    # A manifest sealed again after its facts were changed: the dump restores, and the
    # comparison must catch the ledger head and the row count that no longer agree.
    copy = _copy(scenario["directory"], tmp_path)
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    real_hash = manifest["facts"]["ledger"]["head"]["hash"]
    manifest["facts"]["ledger"]["head"]["hash"] = "f" * 64
    manifest["facts"]["counts"]["public.parcel_version"] += 3
    mf.write_manifest(copy, manifest)
    outcome = restore_backup(copy, _empty_target(databases))
    assert not outcome.ok
    assert outcome.verification["ok"]
    found = {d.what: (d.expected, d.found) for d in outcome.comparison.differences}
    versions = scenario["at_backup"]["counts"]["parcel_version"]
    assert found == {
        "ledger.head.hash": ("f" * 64, real_hash),
        "counts.public.parcel_version": (versions + 3, versions),
    }


def test_a_target_that_is_not_empty_is_refused(scenario, restored):
    before = _rows(restored["url"], "SELECT * FROM ledger ORDER BY seq")
    with pytest.raises(TargetNotEmpty, match="is not empty .*relation"):
        restore_backup(scenario["directory"], restored["url"])
    assert _rows(restored["url"], "SELECT * FROM ledger ORDER BY seq") == before


def test_a_target_without_postgis_is_refused_naming_what_a_superuser_must_run(scenario, databases):
    target = app_url(databases.create(template="template0"))
    with pytest.raises(TargetNotReady, match="CREATE EXTENSION postgis"):
        restore_backup(scenario["directory"], target)


def test_a_backup_of_an_older_schema_is_migrated_when_restored(
    databases, loaded_template, tmp_path
):
    source = app_url(databases.create(template=loaded_template))
    command.downgrade(alembic_config(owner_url(source)), "0017")
    taken = take_backup(owner_url(source), directory=tmp_path / "old")
    assert taken.record_id is None  # no backup_record before 0018
    assert taken.manifest["facts"]["schema_version"] == "0017"
    target = _empty_target(databases)
    outcome = restore_backup(tmp_path / "old", target)
    assert outcome.ok, outcome.body()
    head = head_revision()  # the newest migration, whichever comes after 0017
    assert head > "0017"
    assert (outcome.restored_schema, outcome.migrated_to) == ("0017", head)
    assert _value(target, "SELECT version_num FROM alembic_version") == head
    assert _value(target, "SELECT count(*) FROM backup_record") == 0


def test_the_manifest_and_the_dump_agree_while_change_sets_commit(
    databases, loaded_template, tmp_path, monkeypatch
):
    import service.operations.backup as backup_module

    source = app_url(databases.create(template=loaded_template))
    code, _ = pick(source, "status = 'reserve' AND park = 'caijiapo'")
    done, seqs, failures = threading.Event(), [], []

    def writer() -> None:
        n = 0
        while not done.is_set():
            n += 1
            try:
                seqs.append(_set_status(source, code, "ready" if n % 2 else "reserve", n))
            except Exception as exc:  # reported by the test below
                failures.append(exc)
                return

    real_facts = backup_module.database_facts

    def facts_while_a_change_set_commits(conn, **kwargs):
        # The backup's snapshot is taken: wait (on a busy machine a change set can take
        # longer than the whole backup) until the writer has committed after it.
        seen = len(seqs)
        deadline = time.monotonic() + 60
        while len(seqs) == seen and not failures and time.monotonic() < deadline:
            time.sleep(0.02)
        return real_facts(conn, **kwargs)

    monkeypatch.setattr(backup_module, "database_facts", facts_while_a_change_set_commits)
    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while not seqs and not failures:  # the writer is under way before the backup
            thread.join(0.05)
        before = len(seqs)
        taken = take_backup(owner_url(source), directory=tmp_path / "busy")
        after = len(seqs)
    finally:
        done.set()
        thread.join()
    assert not failures, failures
    assert after > before, "no change set committed while the backup ran"
    backed_up = taken.manifest["facts"]["ledger"]["head"]["seq"]
    assert 1 < backed_up < max(seqs)
    outcome = restore_backup(tmp_path / "busy", _empty_target(databases))
    assert outcome.ok, outcome.body()["differences"]
    assert outcome.comparison.differences == []

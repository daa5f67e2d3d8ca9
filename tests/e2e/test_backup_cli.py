"""``parks backup`` and ``parks restore`` as an operator runs them: subprocesses of the
console script on real databases, their output and exit codes (0 done, 1 a damaged backup
or a restore that differs, 2 a usage error)."""

from __future__ import annotations

import json
import shutil

import psycopg
import pytest
from support_reads import run_parks
from support_roles import app_url

from service.operations import manifest as mf

pytestmark = pytest.mark.e2e


def _value(url: str, sql: str):
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        return conn.execute(sql).fetchone()[0]


@pytest.fixture(scope="module")
def backed_up(databases, loaded_template, tmp_path_factory):
    """A copy of the sample backed up by ``parks backup --out``."""
    source = app_url(databases.create(template=loaded_template))
    directory = tmp_path_factory.mktemp("cli") / "backup"
    done = run_parks("backup", "--out", str(directory), url=source)
    return {"source": source, "directory": directory, "done": done}


def test_backup_writes_the_dump_and_manifest_and_says_what_it_holds(backed_up):
    done, directory = backed_up["done"], backed_up["directory"]
    assert done.returncode == 0, done.stderr
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    head = manifest["facts"]["ledger"]["head"]
    assert head["seq"] == _value(backed_up["source"], "SELECT max(seq) FROM ledger")
    assert f"ledger row {head['seq']} ({head['hash'][:16]}" in done.stdout
    assert manifest["dump"]["sha256"] in done.stdout


def test_restore_into_an_empty_database_succeeds_and_prints_json(backed_up, databases):
    target = app_url(databases.create(template=databases.postgis_template))
    done = run_parks(
        "restore",
        str(backed_up["directory"]),
        "--database-url",
        target,
        "--json",
        url=backed_up["source"],
    )
    assert done.returncode == 0, done.stderr + done.stdout
    body = json.loads(done.stdout)
    assert body["ok"] is True and body["differences"] == []
    assert body["verification"]["ok"] is True
    assert body["backup"]["ledger_seq"] == _value(target, "SELECT max(seq) FROM ledger")
    # a second restore into the same database: a usage error, nothing touched
    again = run_parks(
        "restore", str(backed_up["directory"]), "--database-url", target, url=backed_up["source"]
    )
    assert again.returncode == 2
    assert "is not empty" in again.stderr


def test_restore_of_a_damaged_dump_exits_1_and_says_so(backed_up, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(backed_up["directory"], copy)
    dump = copy / "parks.dump"
    data = bytearray(dump.read_bytes())
    data[-100] ^= 0x80
    dump.write_bytes(bytes(data))
    # refused before any database is looked at: even one that is not empty
    done = run_parks(
        "restore",
        str(copy),
        "--database-url",
        backed_up["source"],
        "--json",
        url=backed_up["source"],
    )
    assert done.returncode == 1
    assert "is damaged" in done.stderr and "nothing restored" in done.stderr
    assert json.loads(done.stdout)["error"] == "backup_damaged"


def test_restore_that_differs_from_its_manifest_exits_1_naming_the_difference(
    backed_up, databases, tmp_path
):
    copy = tmp_path / "copy"
    shutil.copytree(backed_up["directory"], copy)
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    manifest["facts"]["totals"]["city"]["manufacturing_m2"] += 1.0
    mf.write_manifest(copy, manifest)
    target = app_url(databases.create(template=databases.postgis_template))
    done = run_parks("restore", str(copy), "--database-url", target, url=backed_up["source"])
    assert done.returncode == 1
    assert "totals.city.manufacturing_m2" in done.stdout
    assert "verification passes" in done.stdout


def test_backup_into_a_directory_that_holds_something_exits_2(backed_up):
    done = run_parks("backup", "--out", str(backed_up["directory"]), url=backed_up["source"])
    assert done.returncode == 2
    assert "is not empty" in done.stderr

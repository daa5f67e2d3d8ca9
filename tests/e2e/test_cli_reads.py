"""The `parks` command line as a user runs it (a subprocess with DATABASE_URL): migrating
an empty database, loading the sample (twice), and reading the figures."""

from __future__ import annotations

import json
import subprocess

import pytest
import support_reads as sr
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient

from service.db.migrate import alembic_config, current_revision

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def head() -> str:
    (only,) = ScriptDirectory.from_config(alembic_config("postgresql://unused")).get_heads()
    return only


@pytest.fixture(scope="module")
def session(databases) -> dict[str, subprocess.CompletedProcess | str]:
    """One empty database taken through a user's first steps, in order: upgrade, upgrade
    again, load the sample, load it again. Each test below reads one step's outcome."""
    url = sr.database_url(databases.create(template=databases.postgis_template))
    steps: dict[str, subprocess.CompletedProcess | str] = {"url": url}
    steps["upgrade"] = sr.run_parks("db", "upgrade", url=url)
    steps["upgrade_again"] = sr.run_parks("db", "upgrade", url=url)
    steps["counts_before_load"] = json.dumps(sr.row_counts(url))
    steps["load"] = sr.run_parks("load", str(sr.SAMPLE), url=url)
    steps["counts_after_load"] = json.dumps(sr.row_counts(url))
    steps["load_again"] = sr.run_parks("load", "data/sample/parks.gpkg", url=url)
    steps["counts_after_second_load"] = json.dumps(sr.row_counts(url))
    return steps


def _ok(result: subprocess.CompletedProcess) -> str:
    """stdout of a run that succeeded, its whitespace collapsed (rich wraps long lines)."""
    assert result.returncode == 0, result.stderr
    return " ".join(result.stdout.split())


def _json(result: subprocess.CompletedProcess):
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_db_upgrade_migrates_an_empty_database_to_the_head(session, head):
    assert _ok(session["upgrade"]) == f"database upgraded from empty to {head}"
    assert current_revision(session["url"]) == head


def test_a_second_db_upgrade_says_there_is_nothing_to_do(session, head):
    assert _ok(session["upgrade_again"]) == f"database already at revision {head}; nothing to do"


def test_load_registers_the_sample_and_says_what_it_loaded(session):
    out = _ok(session["load"])
    parcels = len(sr.parcels())
    assert out.startswith(f"loaded {sr.SAMPLE}: 4 parks, {parcels} parcels (change set 1, ")
    before = json.loads(session["counts_before_load"])
    after = json.loads(session["counts_after_load"])
    assert after["parcel_version"] - before["parcel_version"] == parcels
    assert after["change_set"] - before["change_set"] == 1
    assert after["ledger"] - before["ledger"] == 1


def test_a_second_load_stores_nothing_and_says_nothing_to_load(session):
    out = _ok(session["load_again"])
    assert out.startswith("nothing to load from data/sample/parks.gpkg")
    assert f"all {len(sr.parcels())} parcels" in out
    assert json.loads(session["counts_after_second_load"]) == json.loads(
        session["counts_after_load"]
    )


def test_loading_a_bad_file_exits_non_zero_naming_the_problem(session, tmp_path):
    parcels = sr.parcels().head(3).copy()
    parcels["parcel_code"] = ["GX-8001", "GX-8002", "GX-8003"]
    parcels.loc[parcels.index[1], "status"] = "demolished"
    path = sr.write_gpkg(tmp_path / "bad.gpkg", parks=sr.layer("parks"), parcels=parcels)
    before = sr.row_counts(session["url"])
    result = sr.run_parks("load", str(path), url=session["url"])
    assert result.returncode == 1
    err = " ".join(result.stderr.split())
    assert "nothing was loaded" in err and "GX-8002" in err and "unknown status" in err
    assert sr.row_counts(session["url"]) == before


def test_stats_of_an_unknown_park_exits_non_zero_naming_the_park(sample_db_url):
    result = sr.run_parks("stats", "--park", "nope", url=sample_db_url)
    assert result.returncode != 0
    assert "nope" in result.stderr and "park" in result.stderr
    assert result.stdout == ""


@pytest.fixture(scope="module")
def stats_runs(sample_db_url) -> dict[str, subprocess.CompletedProcess]:
    """`parks stats` as JSON for the city and for one park, and as a table."""
    return {
        "json": sr.run_parks("stats", "--json", url=sample_db_url),
        "json_jiangtan": sr.run_parks("stats", "--json", "--park", "jiangtan", url=sample_db_url),
        "table": sr.run_parks("stats", url=sample_db_url),
    }


def test_stats_json_prints_the_same_figures_as_the_api(sample_db_url, make_client, stats_runs):
    client: TestClient = make_client(sample_db_url)
    assert _json(stats_runs["json"]) == client.get("/api/stats").json()
    assert (
        _json(stats_runs["json_jiangtan"])
        == client.get("/api/stats", params={"park": "jiangtan"}).json()
    )


def test_stats_json_manufacturing_land_is_the_files_0601_area(stats_runs):
    figures = _json(stats_runs["json"])
    expected = sr.manufacturing_by_park()
    n = sr.manufacturing_counts_by_park()
    for park in figures["parks"]:
        assert park["manufacturing_m2"] == pytest.approx(
            expected[park["park"]], abs=sr.AREA_TOL_M2 * n[park["park"]]
        )
    assert figures["city"]["manufacturing_m2"] == pytest.approx(
        sum(expected.values()), abs=sr.AREA_TOL_M2 * sum(n.values())
    )


def test_stats_as_a_table_lists_every_park_and_the_city(stats_runs):
    out = _ok(stats_runs["table"])
    for code in sr.PARK_CODES:
        assert code in out
    assert "city" in out

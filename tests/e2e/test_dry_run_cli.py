"""`parks change apply FILE --dry-run`: the dry run on the command line — a readable table
of the verdict, manufacturing land and targets (``--json``: the API's body), exit 0 when
the change set would commit, 3 when the rule would refuse it, 1 when it is invalid; nothing
is stored, whatever the verdict."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import shapely
from sqlalchemy import create_engine, text
from support_changes import (
    change_set,
    count,
    every_table_fingerprint,
    find_parcels,
    parcel,
    rezone_op,
)

pytestmark = pytest.mark.e2e

PARKS_BIN = Path(sys.executable).with_name("parks")
EXIT_INVALID, EXIT_REFUSED = 1, 3


def _dry_run(url: str, tmp_path: Path, body: dict, *extra: str) -> subprocess.CompletedProcess:
    path = tmp_path / "change.json"
    path.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    return subprocess.run(
        [str(PARKS_BIN), "change", "apply", str(path), "--dry-run", *extra],
        env={**os.environ, "DATABASE_URL": url, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _state(url: str) -> dict:
    engine = create_engine(url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as conn:
            return {**every_table_fingerprint(conn, except_=()), "refusal": count(conn, "refusal")}
    finally:
        engine.dispose()


def _codes(url: str) -> tuple[str, str, float]:
    engine = create_engine(url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as conn:
            (gainer,) = find_parcels(conn, "v.land_use_code = '0701'", limit=1)
            loser = conn.execute(
                text(
                    "SELECT parcel_code FROM parcel_version WHERE valid_to IS NULL "
                    "AND land_use_code = '0601' ORDER BY area_m2, parcel_code LIMIT 1"
                )
            ).scalar_one()
            gain_m2 = float(shapely.area(parcel(conn, gainer)["geom"]))
        return gainer, loser, gain_m2
    finally:
        engine.dispose()


def test_the_dry_run_prints_its_verdict_and_exits_by_it_storing_nothing(sample_db_url, tmp_path):
    gainer, loser, gain_m2 = _codes(sample_db_url)
    before = _state(sample_db_url)

    table = _dry_run(sample_db_url, tmp_path, change_set("rezone", rezone_op(gainer, "0601")))
    assert table.returncode == 0, table.stdout + table.stderr
    assert "would commit" in table.stdout
    assert "Manufacturing land" in table.stdout and "Reserve targets" in table.stdout
    assert f"{gain_m2:+,.2f}" in table.stdout  # the city's change, in the table

    as_json = _dry_run(
        sample_db_url, tmp_path, change_set("rezone", rezone_op(loser, "0701")), "--json"
    )
    assert as_json.returncode == EXIT_REFUSED, as_json.stdout + as_json.stderr
    body = json.loads(as_json.stdout)
    assert body["verdict"] == "refused_by_rule"
    assert body["refusal"]["parcels"] == [loser]
    assert 1 <= len(body["compensation_candidates"]) <= 5

    invalid = _dry_run(sample_db_url, tmp_path, change_set("rezone", rezone_op("NO-SUCH", "0601")))
    assert invalid.returncode == EXIT_INVALID
    assert "invalid" in invalid.stdout and "unknown parcel NO-SUCH" in invalid.stdout
    assert _state(sample_db_url) == before

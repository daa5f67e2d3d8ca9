"""`parks change apply FILE.json`: the API's change sets from the command line."""

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
    M2_PER_MU,
    change_set,
    every_table_fingerprint,
    find_parcels,
    manufacturing_totals,
    parcel,
    rezone_op,
    url_for,
)

pytestmark = pytest.mark.e2e

PARKS_BIN = Path(sys.executable).with_name("parks")
EXIT_INVALID, EXIT_REFUSED = 1, 3


@pytest.fixture(scope="module")
def cli_db_url(databases, loaded_template):
    """A copy of the sample for the CLI runs that must store nothing, shared by this module."""
    return url_for(databases.create(template=loaded_template))


def _apply(url: str, tmp_path: Path, body, *extra: str) -> subprocess.CompletedProcess:
    path = tmp_path / "change.json"
    path.write_text(body if isinstance(body, str) else json.dumps(body, ensure_ascii=False))
    env = {**os.environ, "DATABASE_URL": url, "COLUMNS": "200"}
    return subprocess.run(
        [str(PARKS_BIN), "change", "apply", str(path), *extra],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _one_line(text_: str) -> str:
    """Terminal output with its line wrapping undone."""
    return " ".join(text_.split())


class Db:
    def __init__(self, url: str):
        self.engine = create_engine(url, pool_size=1, max_overflow=0)

    def __enter__(self):
        self.conn = self.engine.connect()
        return self.conn

    def __exit__(self, *exc):
        self.conn.close()
        self.engine.dispose()


def _state(url: str) -> dict:
    with Db(url) as conn:
        return {
            **every_table_fingerprint(conn),
            "refusal": conn.execute(text("SELECT count(*) FROM refusal")).scalar(),
        }


def test_applying_a_valid_change_set_file_prints_its_outcome(fresh_db_url, tmp_path):
    with Db(fresh_db_url) as conn:
        (gainer,) = find_parcels(conn, "v.land_use_code = '0701'", limit=1)
        gain = float(shapely.area(parcel(conn, gainer)["geom"]))
        city_before, _ = manufacturing_totals(conn)
    result = _apply(
        fresh_db_url, tmp_path, change_set("rezone", rezone_op(gainer, "0601"), reason="命令行")
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["delta_m2"]["city"] == pytest.approx(gain, abs=1e-4)
    with Db(fresh_db_url) as conn:
        city_after, _ = manufacturing_totals(conn)
        actor, kind, reason = conn.execute(
            text("SELECT actor, kind, reason FROM change_set WHERE id = :i"), {"i": out["id"]}
        ).one()
        ledger_actor = conn.execute(
            text("SELECT actor FROM ledger WHERE change_set_id = :i"), {"i": out["id"]}
        ).scalar_one()
        assert parcel(conn, gainer)["land_use_code"] == "0601"
    assert city_after - city_before == pytest.approx(gain, abs=1e-3)
    assert out["manufacturing_total_m2"] == pytest.approx(city_after, abs=0.01)
    assert actor.startswith("cli:") and ledger_actor == actor
    assert (kind, reason) == ("rezone", "命令行")


def test_a_change_set_that_decreases_manufacturing_land_exits_3_with_the_shortfall(
    cli_db_url, tmp_path
):
    with Db(cli_db_url) as conn:
        (code,) = find_parcels(conn, "v.land_use_code = '0601'", limit=1)
        area = float(shapely.area(parcel(conn, code)["geom"]))
    before = _state(cli_db_url)
    result = _apply(
        cli_db_url,
        tmp_path,
        change_set("rezone", rezone_op(code, "0701")),
        "--actor",
        "cli-tester",
    )
    assert result.returncode == EXIT_REFUSED, result.stdout + result.stderr
    assert result.stdout == ""
    message = _one_line(result.stderr)
    assert message.startswith("Refused:")
    assert f"{area:,.2f} m² ({area / M2_PER_MU:,.2f} 亩) below its high-water mark" in message
    assert code in message
    after = _state(cli_db_url)
    assert after["refusal"] == before["refusal"] + 1
    assert {k: v for k, v in after.items() if k != "refusal"} == {
        k: v for k, v in before.items() if k != "refusal"
    }
    with Db(cli_db_url) as conn:
        actor = conn.execute(text("SELECT actor FROM refusal ORDER BY id DESC LIMIT 1")).scalar()
    assert actor == "cli-tester"


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ('{"kind": "rezone", "reason": "x", "operations": [', "json"),
        (
            json.dumps(
                change_set("rezone", {"op": "rezone", "parcel_code": "GX-0001", "class": "0601"})
            ),
            "land_use_code",
        ),
        (json.dumps(change_set("rezone", rezone_op("GX-9999", "0601"))), "unknown parcel GX-9999"),
    ],
    ids=["malformed-json", "invalid-operation", "unknown-parcel"],
)
def test_a_malformed_or_invalid_file_exits_1_with_a_message(cli_db_url, tmp_path, content, needle):
    before = _state(cli_db_url)
    result = _apply(cli_db_url, tmp_path, content)
    assert result.returncode == EXIT_INVALID, result.stdout + result.stderr
    assert result.stdout == ""
    assert needle.lower() in _one_line(result.stderr).lower()
    after = _state(cli_db_url)
    assert {k: v for k, v in after.items() if k != "refusal"} == {
        k: v for k, v in before.items() if k != "refusal"
    }

"""``parks targets`` on the command line: check fails (exit 5) while a park is short, for a
daily cron; set changes a target; bad values are refused naming them."""

from __future__ import annotations

import json

import pytest
import support_planning as sp
import support_reads as sr

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def cli_db_url(databases, loaded_template) -> str:
    """A copy of the loaded sample the commands below change in turn."""
    return sr.database_url(databases.create(template=loaded_template))


def test_targets_check_exits_5_naming_the_park_that_is_short(cli_db_url):
    result = sr.run_parks("targets", "check", url=cli_db_url)
    assert result.returncode == 5, result.stderr
    assert "jiangtan" in result.stderr and "short" in result.stderr
    assert "jiangtan" in result.stdout and "gaoxin" in result.stdout
    shown = sr.run_parks("targets", "check", "--json", url=cli_db_url)
    body = json.loads(shown.stdout)
    assert shown.returncode == 5 and body["short"] == ["jiangtan"]
    reserve = sp.reserve_mu_by_park()["jiangtan"]
    jiangtan = next(p for p in body["parks"] if p["park"] == "jiangtan")
    assert jiangtan["reserve_short_mu"] == pytest.approx(
        sp.sample_targets()["jiangtan"][0] - reserve, abs=1e-4
    )


def test_a_bad_value_is_refused_naming_it_and_changes_nothing(cli_db_url):
    result = sr.run_parks("targets", "set", "jiangtan", "--min-reserve-mu", "-5", url=cli_db_url)
    assert result.returncode == 1 and "min_reserve_mu" in result.stderr
    result = sr.run_parks("targets", "set", "xian", "--min-reserve-mu", "5", url=cli_db_url)
    assert result.returncode == 1 and "xian" in result.stderr


def test_after_lowering_the_target_the_check_passes(cli_db_url):
    result = sr.run_parks(
        "targets", "set", "jiangtan", "--min-reserve-mu", "2000", "--by", "园区办", url=cli_db_url
    )
    assert result.returncode == 0, result.stderr
    shown = sr.run_parks("targets", "show", "--json", url=cli_db_url)
    jiangtan = next(p for p in json.loads(shown.stdout)["parks"] if p["park"] == "jiangtan")
    assert jiangtan["min_reserve_mu"] == 2000 and jiangtan["updated_by"] == "园区办"
    assert sr.run_parks("targets", "check", url=cli_db_url).returncode == 0

"""``parks figures import FILE --year Y`` and ``parks figures list --year Y`` as an official
runs them (subprocesses on a fresh copy of the loaded sample): the summary, the JSON, a
refused file's problems with row and column and exit 1, a re-import that changes nothing,
a dry run, usage errors (exit 2) and a database out of reach (exit 4)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import support_reads as sr
from openpyxl import Workbook
from sqlalchemy import text

from service.db.engine import make_engine

pytestmark = pytest.mark.e2e

YEAR = "2026"
HEADER = ["企业名称", "税收（万元）", "销售收入（万元）", "从业人员"]


def _xlsx(path: Path, rows: list[list]) -> Path:
    book = Workbook()
    book.active.append(HEADER)
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def _standing(url: str) -> dict[str, tuple]:
    """The standing figures of YEAR by enterprise name (the register's)."""
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT e.name, f.tax_wan, f.revenue_wan, f.employees "
                    "FROM enterprise_figures f JOIN enterprise e "
                    "ON e.enterprise_code = f.enterprise_code AND e.valid_to IS NULL "
                    "WHERE f.valid_to IS NULL AND f.year = :y"
                ),
                {"y": int(YEAR)},
            ).all()
    finally:
        engine.dispose()
    return {r.name: (float(r.tax_wan), float(r.revenue_wan), r.employees) for r in rows}


def test_a_workbook_is_imported_with_a_summary_and_exit_0(fresh_db_url, tmp_path):
    path = _xlsx(tmp_path / "figures.xlsx", [["宝鸡甲科技有限公司", "1,200.5", 30000, 88]])
    result = sr.run_parks("figures", "import", str(path), "--year", YEAR, url=fresh_db_url)
    assert result.returncode == 0, result.stderr
    assert "新登记 new enterprises" in result.stdout
    assert f"stored the {YEAR} figures of 1 enterprise(s)" in result.stdout
    assert "cannot be graded" in result.stderr  # it holds nothing: warned
    assert _standing(fresh_db_url) == {"宝鸡甲科技有限公司": (1200.5, 30000.0, 88)}


def test_a_reimport_changes_nothing_and_says_so(fresh_db_url, tmp_path):
    path = _xlsx(tmp_path / "figures.xlsx", [["宝鸡乙科技有限公司", 5, 50, None]])
    assert (
        sr.run_parks("figures", "import", str(path), "--year", YEAR, url=fresh_db_url).returncode
        == 0
    )
    again = sr.run_parks("figures", "import", str(path), "--year", YEAR, "--json", url=fresh_db_url)
    assert again.returncode == 0, again.stderr
    body = json.loads(again.stdout)
    assert body["figures"] == {"made": 0, "new": 0, "replaced": 0, "unchanged": 1}
    assert body["change_set_id"] is None and "nothing changed" in body["message"]


def test_a_dry_run_reports_and_stores_nothing(fresh_db_url, tmp_path):
    path = _xlsx(tmp_path / "figures.xlsx", [["宝鸡丙科技有限公司", 5, 50, None]])
    result = sr.run_parks(
        "figures", "import", str(path), "--year", YEAR, "--dry-run", url=fresh_db_url
    )
    assert result.returncode == 0, result.stderr
    assert "dry run" in result.stdout and "nothing stored" in result.stdout
    assert _standing(fresh_db_url) == {}


def test_a_refused_file_exits_1_printing_each_problem_with_row_and_column(fresh_db_url, tmp_path):
    path = _xlsx(
        tmp_path / "bad.xlsx",
        [["宝鸡丁科技有限公司", "十二", 50, None], ["宝鸡戊科技有限公司", 1, -3, None]],
    )
    result = sr.run_parks("figures", "import", str(path), "--year", YEAR, url=fresh_db_url)
    assert result.returncode == 1, result.stdout
    stderr = " ".join(result.stderr.split())
    assert "row 2, column 税收（万元）: not a number: '十二'" in stderr
    assert "row 3, column 销售收入（万元）: negative" in stderr
    assert "2 problem(s): the file is refused; nothing stored" in stderr
    assert _standing(fresh_db_url) == {}
    shown = sr.run_parks("figures", "import", str(path), "--year", YEAR, "--json", url=fresh_db_url)
    body = json.loads(shown.stdout)
    assert shown.returncode == 1 and body["error"] == "invalid_figures_file"
    assert [(p["row"], p["field"]) for p in body["problems"]] == [
        (2, "tax_wan"),
        (3, "revenue_wan"),
    ]


def test_the_list_shows_the_years_standing_figures(fresh_db_url, tmp_path):
    path = _xlsx(tmp_path / "figures.xlsx", [["宝鸡己科技有限公司", 7, 70, 9]])
    assert (
        sr.run_parks("figures", "import", str(path), "--year", YEAR, url=fresh_db_url).returncode
        == 0
    )
    shown = sr.run_parks("figures", "list", "--year", YEAR, url=fresh_db_url)
    assert shown.returncode == 0, shown.stderr
    assert "宝鸡己科技有限公司" in shown.stdout and "1 enterprise(s)" in shown.stdout
    body = json.loads(
        sr.run_parks("figures", "list", "--year", YEAR, "--json", url=fresh_db_url).stdout
    )
    assert [(f["name"], f["tax_wan"], f["employees"]) for f in body["figures"]] == [
        ("宝鸡己科技有限公司", 7.0, 9)
    ]


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["import", "{file}"], "--year"),
        (["import", "{file}", "--year", "1800"], "--year"),
        (["import", "{missing}", "--year", YEAR], "FILE"),
        (["list", "--year", YEAR, "--park", "xian"], "--park"),
    ],
    ids=["no-year", "year-out-of-range", "no-such-file", "unknown-park"],
)
def test_a_usage_error_exits_2_naming_the_option(sample_db_url, tmp_path, args, named):
    path = _xlsx(tmp_path / "figures.xlsx", [["宝鸡庚科技有限公司", 1, 1, None]])
    args = [a.format(file=path, missing=tmp_path / "none.xlsx") if "{" in a else a for a in args]
    result = sr.run_parks("figures", *args, url=sample_db_url)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert named in result.stderr


def test_no_database_exits_4(tmp_path):
    path = _xlsx(tmp_path / "figures.xlsx", [["宝鸡辛科技有限公司", 1, 1, None]])
    url = "postgresql+psycopg://parks@127.0.0.1:1/parks"
    result = sr.run_parks("figures", "import", str(path), "--year", YEAR, url=url)
    assert result.returncode == 4, result.stderr
    assert "cannot reach the database" in " ".join(result.stderr.split())

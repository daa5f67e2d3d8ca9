"""``parks projects ranking``, ``assessment`` and ``visit-list`` on the command line, on a
copy of the sample with the test's own records (the sample's rhythm records cleared): the
ranking's table and JSON with the hand-computed score, one park's, the assessment's
workbook, the visit list's table and JSON; a bad quarter, year, week, park or file refused
with exit 2 naming the option."""

from __future__ import annotations

import json
from datetime import date

import openpyxl
import pytest
import support_projects as sp
import support_reads as sr

pytestmark = pytest.mark.e2e

Q3 = "2026Q3"


@pytest.fixture(scope="module")
def city_url(databases, loaded_template) -> str:
    """C-EX (jiangtan): the brief's example in 2026Q3 — investment 30 of 40, milestones 1
    of 2 on time (the other a day late), problems 2 of 2 on time, no scored visit: 72.22.
    C-GX (gaoxin): one visit scored 88.5 in the quarter. 2025: C-EX planned 12 × 100 and
    reported 12 × 50."""
    url = sr.database_url(databases.create(template=loaded_template))
    sp.clear_records(url)
    sp.add_project(url, "C-EX", park="jiangtan", name="示例项目")
    sp.add_project(url, "C-GX", park="gaoxin", name="高新项目")
    sp.put(
        url,
        project_official=[sp.official("C-O1", "孙六")],
        project_assignment=[sp.assignment("C-EX", "C-O1")],
        project_plan_investment=[
            *sp.plan_months("C-EX", 2026, [0, 0, 0, 0, 0, 0, 10, 10, 20]),
            *sp.plan_months("C-EX", 2025, [100] * 12),
        ],
        project_report=[
            *sp.reports("C-EX", 2026, [0, 0, 0, 0, 0, 0, 10, 10, 10], cumulative_before=600),
            *sp.reports("C-EX", 2025, [50] * 12),
        ],
        project_plan_milestone=[
            sp.plan_milestone("C-EX", "construction_start", date(2026, 7, 15)),
            sp.plan_milestone("C-EX", "structure_complete", date(2026, 9, 1)),
        ],
        project_milestone_reached=[
            sp.reached("C-EX", "construction_start", date(2026, 7, 14)),
            sp.reached("C-EX", "structure_complete", date(2026, 9, 2)),
        ],
        project_problem=[
            sp.problem(
                "C-EX-Q001",
                "C-EX",
                raised_on=date(2026, 7, 1),
                due_on=date(2026, 8, 1),
                solved_on=date(2026, 7, 30),
            ),  # fmt: skip
            sp.problem(
                "C-EX-Q002",
                "C-EX",
                raised_on=date(2026, 7, 1),
                due_on=date(2026, 9, 1),
                solved_on=date(2026, 9, 1),
            ),  # fmt: skip
        ],
        project_visit=[sp.visit("C-GX", date(2026, 8, 3), score=88.5)],
    )
    return url


def test_the_ranking_prints_its_table_with_each_criterions_points(city_url):
    result = sr.run_parks("projects", "ranking", "--quarter", Q3, url=city_url)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "重点项目季度评比 2026Q3" in out and "包抓领导排名" in out
    (row,) = [line for line in out.splitlines() if "C-EX" in line]
    # rank 2 (C-GX's 88.50 is first), the score and the points 33.33, 16.67, 22.22, 不计
    cells = [c.strip() for c in row.strip("│┃| ").split("│")]
    assert cells[0] == "2" and "72.22" in cells and "33.33" in cells and "不计" in cells
    assert "16.67" in cells and "22.22" in cells
    (gx,) = [line for line in out.splitlines() if "C-GX" in line]
    assert "88.50" in gx


def test_the_ranking_prints_json_and_one_parks(city_url):
    result = sr.run_parks("projects", "ranking", "--quarter", Q3, "--json", url=city_url)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    scores = {p["project_code"]: (p["score"], p["city_rank"]) for p in answer["projects"]}
    assert scores["C-EX"] == (72.22, 2) and scores["C-GX"] == (88.5, 1)
    assert answer["officials"][0]["official_code"] == "C-O1"
    one = sr.run_parks(
        "projects", "ranking", "--quarter", Q3, "--park", "gaoxin", "--json", url=city_url
    )
    assert one.returncode == 0, one.stderr
    assert {p["park"] for p in json.loads(one.stdout)["projects"]} == {"gaoxin"}


def test_the_assessment_writes_the_years_workbook(city_url, tmp_path):
    out = tmp_path / "年考核.xlsx"
    result = sr.run_parks("projects", "assessment", "--year", "2025", "--out", str(out),
                          url=city_url)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "年考核 2025" in result.stdout and str(out) in result.stdout
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["园区考核", "季度排名", "说明"]
    rows = list(wb["园区考核"].iter_rows(values_only=True))
    table = {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    # jiangtan 2025: 12 × 100 planned, 12 × 50 reported: 50 %
    assert table["jiangtan"]["投资目标（万元）"] == 1200
    assert table["jiangtan"]["完成投资（万元）"] == 600
    assert table["jiangtan"]["完成率（%）"] == 50
    assert table["合计"]["完成投资（万元）"] == 600


def test_the_visit_list_prints_a_table_and_json(city_url):
    result = sr.run_parks("projects", "visit-list", "--week", "2026-W44", url=city_url)
    assert result.returncode == 0, result.stderr
    assert "周观摩建议 2026-W44" in result.stdout
    as_json = sr.run_parks("projects", "visit-list", "--week", "2026-W44", "--json", url=city_url)
    assert as_json.returncode == 0, as_json.stderr
    answer = json.loads(as_json.stdout)
    assert answer["first_day"] == "2026-10-26"
    proposals = {p["project_code"]: p for p in answer["proposals"]}
    # C-EX: 40 planned through September, 30 done: 25 % short, never visited: 25 + 60;
    # it leads the list (the rest never visited score 60)
    assert answer["proposals"][0]["project_code"] == "C-EX"
    assert proposals["C-EX"]["points"] == 85.0
    assert proposals["C-EX"]["reasons"] == ["投资完成率低于计划 25%", "从未观摩"]
    assert "C-EX" in result.stdout and "投资完成率低于计划 25%" in result.stdout


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("ranking", "--quarter", "2026Q7"), "--quarter"),
        (("ranking", "--quarter", "2099Q1"), "--quarter"),
        (("ranking", "--quarter", Q3, "--park", "atlantis"), "--park"),
        (("assessment", "--year", "twenty", "--out", "x.xlsx"), "--year"),
        (("assessment", "--year", "2025", "--out", "x.csv"), "--out"),
        (("assessment", "--year", "2025"), "--out"),
        (("visit-list", "--week", "2026-W99"), "--week"),
    ],
)
def test_a_bad_option_exits_2_naming_it(city_url, tmp_path, args, option):
    args = tuple(str(tmp_path / a) if a.startswith("x.") else a for a in args)
    result = sr.run_parks("projects", *args, url=city_url)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert option in result.stderr
    assert not (tmp_path / "x.xlsx").exists()

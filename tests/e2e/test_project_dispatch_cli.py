"""``parks projects dispatch`` (重点项目月调度) as a user runs it, on a copy of the loaded
sample with its rhythm records cleared and three projects of the test's own: it writes the
workbook and the Word document carrying the totals worked out here from the records
written, prints a one-line summary (projects, behind plan, overdue problems), writes one
park's report with ``--park``, and refuses a .pdf naming ``--out``, a malformed or future
month naming ``--month`` and an unknown park naming ``--park`` (exit 2, nothing
written)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import support_projects as sp
import support_reads as sr
from docx import Document

from parks.projects.rules import is_behind_plan, problem_is_overdue
from service.projects.dispatch_xlsx import SHEETS, TITLE_ROWS
from service.settings import Settings

pytestmark = pytest.mark.e2e

D = date
MONTH = "2026-10"
AS_OF = D(2026, 10, 31)
#: code -> (park, chain, monthly plan, monthly reports from January)
PROJECTS = {
    "TC-1": ("caijiapo", "重卡", [500.0] * 12, [520.0] * 10),
    "TC-2": ("caijiapo", "新能源汽车", [250.0] * 12, [100.0] * 10),  # behind
    "TC-3": ("fengxiang", "白酒", [80.0] * 12, [75.0] * 9),  # no October report
}
#: (problem, project, raised on, due on, solved on)
PROBLEMS = [
    ("TC-1-Q001", "TC-1", D(2026, 10, 8), D(2026, 10, 15), None),  # new, overdue
    ("TC-2-Q001", "TC-2", D(2026, 9, 8), D(2026, 9, 30), D(2026, 10, 20)),  # solved by D
    ("TC-3-Q001", "TC-3", D(2026, 6, 8), D(2026, 7, 31), None),  # overdue
]


@pytest.fixture(scope="module")
def cli_db_url(databases, loaded_template) -> str:
    url = sr.database_url(databases.create(template=loaded_template))
    sp.clear_records(url)
    for code, (park, chain, _plan, _done) in PROJECTS.items():
        sp.add_project(url, code, park=park, industry_chain=chain)
    sp.put(
        url,
        project_plan_investment=[
            r for c, (_p, _ch, plan, _d) in PROJECTS.items() for r in sp.plan_months(c, 2026, plan)
        ],
        project_report=[
            r for c, (_p, _ch, _pl, done) in PROJECTS.items() for r in sp.reports(c, 2026, done)
        ],
        project_problem=[
            sp.problem(no, p, raised_on=raised, due_on=due, solved_on=solved)
            for no, p, raised, due, solved in PROBLEMS
        ],
    )
    return url


def _totals(park: str | None = None) -> dict:
    codes = [c for c, (p, *_rest) in PROJECTS.items() if park is None or p == park]
    planned = sum(sum(PROJECTS[c][2][:10]) for c in codes)
    completed = sum(sum(PROJECTS[c][3][:10]) for c in codes)
    return {
        "projects": len(codes),
        "planned": planned,
        "completed": completed,
        "behind": sum(
            is_behind_plan(sum(PROJECTS[c][3][:10]), sum(PROJECTS[c][2][:10]), behind_share=0.2)
            for c in codes
        ),
        "overdue": sum(
            1
            for _n, p, _r, due, solved in PROBLEMS
            if p in codes and problem_is_overdue(due, solved, as_of=AS_OF)
        ),
        "new": sum(1 for _n, p, raised, _d, _s in PROBLEMS if p in codes and raised.month == 10),
        "not_reported": sum(1 for c in codes if len(PROJECTS[c][3]) < 10),
    }


def _run(*args: str, url: str):
    return sr.run_parks("projects", "dispatch", *args, url=url)


def test_the_command_writes_the_workbook_with_the_totals_and_says_what_it_holds(
    cli_db_url, tmp_path
):
    out = tmp_path / "月调度.xlsx"
    result = _run("--month", MONTH, "--out", str(out), url=cli_db_url)
    assert result.returncode == 0, result.stderr
    expected = _totals()
    line = result.stdout.strip()
    assert len(line.splitlines()) == 1
    assert "重点项目月调度 2026-10" in line
    assert f"{expected['projects']} projects" in line
    assert f"{expected['behind']} behind plan" in line
    assert f"{expected['overdue']} overdue problems" in line
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == list(SHEETS.values())
    ws = wb[SHEETS["parks"]]
    header = [c.value for c in ws[TITLE_ROWS + 1]]
    rows = [dict(zip(header, (c.value for c in r), strict=True)) for r in ws.iter_rows(min_row=4)]
    city = rows[-1]
    assert city["园区"] == "全市"
    assert city["项目数"] == expected["projects"]
    assert city["累计计划投资（万元）"] == pytest.approx(expected["planned"])
    assert city["累计完成投资（万元）"] == pytest.approx(expected["completed"])
    assert city["滞后项目"] == expected["behind"]
    assert city["本月新增问题"] == expected["new"]
    assert city["逾期问题"] == expected["overdue"]
    assert city["本月未报送"] == expected["not_reported"]
    assert len(rows) == 3  # Caijiapo, Fengxiang and the city


def test_the_command_writes_the_word_document_of_one_park(cli_db_url, tmp_path):
    out = tmp_path / "dispatch.docx"
    result = _run("--month", MONTH, "--out", str(out), "--park", "caijiapo", url=cli_db_url)
    assert result.returncode == 0, result.stderr
    expected = _totals("caijiapo")
    assert f"{expected['projects']} projects" in result.stdout
    doc = Document(str(out))
    assert doc.paragraphs[0].text.startswith("重点项目月调度（2026年10月")
    table = doc.tables[0]
    header = [c.text for c in table.rows[0].cells]
    total = table.rows[-1].cells
    assert total[0].text == "合计"
    assert total[header.index("项目数")].text == str(expected["projects"])
    assert total[header.index("滞后项目")].text == str(expected["behind"])
    assert total[header.index("逾期问题")].text == str(expected["overdue"])
    assert total[header.index("累计完成投资（万元）")].text == f"{expected['completed']:,.2f}"


def _next_month() -> str:
    today = datetime.now(ZoneInfo(Settings().timezone)).date()
    year, month = (today.year, today.month + 1) if today.month < 12 else (today.year + 1, 1)
    return f"{year:04d}-{month:02d}"


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--month", MONTH, "--out", "dispatch.pdf"], "--out"),
        (["--month", "2026-13", "--out", "dispatch.xlsx"], "--month"),
        (["--month", "next", "--out", "dispatch.docx"], "--month"),
        (["--month", MONTH, "--out", "dispatch.xlsx", "--park", "atlantis"], "--park"),
    ],
)
def test_a_wrong_option_exits_2_naming_it_and_writes_nothing(cli_db_url, tmp_path, args, option):
    args = [_next_month() if a == "next" else a for a in args]
    args = [str(tmp_path / a) if a.startswith("dispatch.") else a for a in args]
    result = _run(*args, url=cli_db_url)
    assert result.returncode == 2, result.stdout + result.stderr
    assert option in result.stderr
    assert list(tmp_path.iterdir()) == []

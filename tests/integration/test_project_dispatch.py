"""The monthly dispatch report of key projects (重点项目月调度) of October 2026, recomputed
here from the records the test writes: six projects of its own in two parks and three
industry chains (one without), their plans, reports, milestones and problems, the
sample's own records cleared first. Each project's figures, the order (behind plan first,
the largest shortfall first), the milestones due, met and overdue, the problems new and
overdue, and the totals per park, per chain and for the city are worked out below from
the test's own data, with the rules of parks.projects.rules, never from the report; the
workbook (openpyxl) and the Word document (python-docx) read back carry the same totals.
A city of 2,000 projects with a year of records makes the report and its workbook within
five seconds."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from io import BytesIO

import openpyxl
import pytest
import support_projects as sp
from docx import Document

from parks.projects.periods import last_complete_month_label, month_period
from parks.projects.rules import is_behind_plan, judge_milestone, problem_is_overdue
from service.db.engine import make_engine
from service.projects.dispatch import TOTAL_COLUMNS, dispatch_report
from service.projects.dispatch_docx import write_docx
from service.projects.dispatch_xlsx import SHEETS, TITLE_ROWS, write_xlsx

pytestmark = pytest.mark.integration

D = date
TODAY = D(2026, 12, 7)
YEAR, MONTH = 2026, 10
FIRST_DAY, AS_OF = D(2026, 10, 1), D(2026, 10, 31)
BEHIND_SHARE = 0.2  # the default of progress.behind_share

#: code -> (park, chain): two parks, two chains and a project with no chain.
PROJECTS = {
    "TD-1": ("jiangtan", "钛及钛合金"),
    "TD-2": ("jiangtan", "钛及钛合金"),
    "TD-3": ("gaoxin", "钛及钛合金"),
    "TD-4": ("gaoxin", "传感器"),
    "TD-5": ("jiangtan", "传感器"),
    "TD-6": ("gaoxin", None),
}
#: The plan of each month of 2026 (万元); TD-6 plans only a milestone.
PLANS = {
    "TD-1": [100.0] * 12,
    "TD-2": [200.0] * 12,
    "TD-3": [150.0] * 6 + [160.5] * 6,
    "TD-4": [50.0] * 12,
    "TD-5": [80.0] * 12,
}
#: The reports of months 1..n of 2026 (万元): TD-2 has not reported October.
REPORTS = {
    "TD-1": [100.0] * 10,
    "TD-2": [100.0] * 9,
    "TD-3": [110.0] * 9 + [95.25],
    "TD-4": [40.0] * 10,  # exactly 20 % short: at the threshold, not behind
    "TD-5": [70.0] * 10 + [70.0],  # a November report, not counted in October
}
#: (project, milestone, planned on, reached on)
MILESTONES = [
    ("TD-1", "construction_start", D(2026, 10, 10), D(2026, 10, 11)),  # one day late
    ("TD-1", "structure_complete", D(2026, 10, 20), D(2026, 10, 20)),  # on the day: met
    ("TD-2", "signing", D(2026, 10, 5), None),  # due, overdue
    ("TD-3", "land_supply", D(2026, 8, 15), None),  # overdue since August
    ("TD-3", "construction_start", D(2026, 9, 1), D(2026, 11, 5)),  # reached after D
    ("TD-4", "production_start", D(2026, 10, 31), D(2026, 10, 25)),  # early: met
    ("TD-5", "signing", D(2026, 6, 1), D(2026, 6, 10)),  # late, but reached before
    ("TD-5", "land_supply", D(2025, 12, 1), None),  # last year's plan: not judged
    ("TD-6", "equipment_installed", D(2026, 11, 15), None),  # not due yet
]
#: (problem, project, raised on, due on, solved on)
PROBLEMS = [
    ("TD-1-Q001", "TD-1", D(2026, 10, 3), D(2026, 10, 20), None),  # new and overdue
    ("TD-2-Q001", "TD-2", D(2026, 8, 1), D(2026, 9, 1), D(2026, 10, 15)),  # solved late, by D
    ("TD-3-Q001", "TD-3", D(2026, 9, 1), D(2026, 10, 1), D(2026, 11, 10)),  # solved after D
    ("TD-4-Q001", "TD-4", D(2026, 10, 12), D(2026, 11, 30), None),  # new, not yet due
    ("TD-5-Q001", "TD-5", D(2026, 7, 1), D(2026, 8, 1), None),  # overdue since August
    ("TD-1-Q002", "TD-1", D(2026, 11, 2), D(2026, 11, 3), None),  # raised after D
    ("TD-3-Q002", "TD-3", D(2026, 10, 31), D(2026, 10, 31), None),  # due on D: not overdue
]
OFFICIALS = [("OF-1", "张三"), ("OF-2", "李四")]
#: (project, official, role)
ASSIGNMENTS = [
    ("TD-1", "OF-1", "lead"),
    ("TD-2", "OF-1", "lead"),
    ("TD-3", "OF-2", "lead"),
    ("TD-1", "OF-2", "member"),
]
NAMES = dict(OFFICIALS)


def _records() -> dict[str, list[dict]]:
    return {
        "project_official": [sp.official(code, name) for code, name in OFFICIALS],
        "project_assignment": [sp.assignment(p, o, role=r) for p, o, r in ASSIGNMENTS],
        "project_plan_investment": [
            row for code, months in PLANS.items() for row in sp.plan_months(code, YEAR, months)
        ],
        "project_plan_milestone": [sp.plan_milestone(p, m, on) for p, m, on, _r in MILESTONES],
        "project_report": [
            row for code, months in REPORTS.items() for row in sp.reports(code, YEAR, months)
        ],
        "project_milestone_reached": [
            sp.reached(p, m, r) for p, m, _on, r in MILESTONES if r is not None
        ],
        "project_problem": [
            sp.problem(no, p, raised_on=raised, due_on=due, solved_on=solved)
            for no, p, raised, due, solved in PROBLEMS
        ],
    }


@pytest.fixture(scope="module")
def db_url(databases, loaded_template) -> str:
    from support_roles import app_url

    url = app_url(databases.create(template=loaded_template))
    sp.clear_records(url)
    for code, (park, chain) in PROJECTS.items():
        sp.add_project(url, code, park=park, industry_chain=chain)
    sp.put(url, **_records())
    return url


@pytest.fixture(scope="module")
def engine(db_url):
    e = make_engine(db_url)
    yield e
    e.dispose()


@pytest.fixture(scope="module")
def report(engine) -> dict:
    with engine.connect() as conn:
        return dispatch_report(conn, month_period("2026-10", today=TODAY))


# --- the expected figures, from the test's own records -----------------------------------------


def _expected_project(code: str) -> dict:
    plan = PLANS.get(code, [])
    done = REPORTS.get(code, [])
    plan_to_date = sum(plan[:MONTH])
    completed = sum(done[:MONTH])
    due, overdue = [], []
    for p, milestone, planned_on, reached_on in MILESTONES:
        if p != code or planned_on.year != YEAR or planned_on > AS_OF:
            continue
        judged = judge_milestone(planned_on, reached_on, as_of=AS_OF)
        if planned_on >= FIRST_DAY:
            due.append((milestone, judged.state.value, judged.delay_days))
        elif reached_on is None or reached_on > AS_OF:
            overdue.append((milestone, judged.state.value, judged.delay_days))
    new = [no for no, p, raised, _d, _s in PROBLEMS if p == code and FIRST_DAY <= raised <= AS_OF]
    late = [
        (no, (AS_OF - due_on).days)
        for no, p, _r, due_on, solved in PROBLEMS
        if p == code and problem_is_overdue(due_on, solved, as_of=AS_OF)
    ]
    return {
        "park": PROJECTS[code][0],
        "industry_chain": PROJECTS[code][1],
        "officials": [NAMES[o] for p, o, r in ASSIGNMENTS if p == code and r == "lead"],
        "month_planned_wan": plan[MONTH - 1] if plan else 0.0,
        "month_completed_wan": done[MONTH - 1] if len(done) >= MONTH else None,
        "plan_to_date_wan": plan_to_date,
        "completed_to_date_wan": completed,
        "planned_year_wan": sum(plan),
        "completion_to_date_pct": completed / plan_to_date * 100 if plan_to_date else None,
        "completion_of_year_pct": completed / sum(plan) * 100 if plan else None,
        "shortfall_share": (plan_to_date - completed) / plan_to_date if plan_to_date else 0,
        "behind": is_behind_plan(completed, plan_to_date, behind_share=BEHIND_SHARE),
        "reported": len(done) >= MONTH,
        "due": due,
        "met": sum(1 for _m, state, _d in due if state == "on_time"),
        "overdue": overdue,
        "new": new,
        "late": late,
    }


EXPECTED = {code: _expected_project(code) for code in PROJECTS}


def _expected_totals(codes) -> dict:
    rows = [EXPECTED[c] for c in codes]
    plan = sum(r["plan_to_date_wan"] for r in rows)
    completed = sum(r["completed_to_date_wan"] for r in rows)
    return {
        "projects": len(rows),
        "month_planned_wan": sum(r["month_planned_wan"] for r in rows),
        "month_completed_wan": sum(r["month_completed_wan"] or 0 for r in rows),
        "plan_to_date_wan": plan,
        "completed_to_date_wan": completed,
        "completion_to_date_pct": completed / plan * 100 if plan else None,
        "behind": sum(r["behind"] for r in rows),
        "milestones_due": sum(len(r["due"]) for r in rows),
        "milestones_met": sum(r["met"] for r in rows),
        "milestones_overdue": sum(len(r["overdue"]) for r in rows),
        "new_problems": sum(len(r["new"]) for r in rows),
        "overdue_problems": sum(len(r["late"]) for r in rows),
        "not_reported": sum(not r["reported"] for r in rows),
    }


def _same(got: dict, expected: dict) -> None:
    for key, value in expected.items():
        if isinstance(value, float):
            assert got[key] == pytest.approx(value), key
        else:
            assert got[key] == value, key


# --- the report -------------------------------------------------------------------------------


def test_the_report_is_the_month_judged_on_its_last_day(report):
    assert (report["month"], report["as_of"], report["first_day"]) == (
        "2026-10",
        "2026-10-31",
        "2026-10-01",
    )
    assert report["behind_share"] == BEHIND_SHARE
    assert report["running"] is False


def test_only_projects_with_a_plan_report_or_problem_of_the_year_are_dispatched(report):
    # the sample's projects had their records ended: nothing of 2026 stands for them
    assert {p["project_code"] for p in report["projects"]} == set(PROJECTS)


def test_each_projects_figures_are_its_plan_and_reports_through_the_month(report):
    for p in report["projects"]:
        e = EXPECTED[p["project_code"]]
        _same(
            p,
            {
                k: e[k]
                for k in (
                    "park",
                    "industry_chain",
                    "officials",
                    "month_planned_wan",
                    "month_completed_wan",
                    "plan_to_date_wan",
                    "completed_to_date_wan",
                    "planned_year_wan",
                    "completion_to_date_pct",
                    "completion_of_year_pct",
                    "shortfall_share",
                    "behind",
                    "reported",
                )
            },
        )


def test_projects_behind_plan_come_first_the_largest_shortfall_first(report):
    behind = sorted(
        (c for c, e in EXPECTED.items() if e["behind"]),
        key=lambda c: -EXPECTED[c]["shortfall_share"],
    )
    rest = sorted(
        (c for c, e in EXPECTED.items() if not e["behind"]),
        key=lambda c: (PROJECTS[c][0], c),
    )
    assert [p["project_code"] for p in report["projects"]] == behind + rest
    assert len(behind) == 2  # the test's data: TD-2 (55 % short) and TD-3


def test_a_project_exactly_at_the_threshold_is_not_behind(report):
    td4 = next(p for p in report["projects"] if p["project_code"] == "TD-4")
    assert td4["shortfall_share"] == pytest.approx(0.2)
    assert td4["behind"] is False


def test_a_milestone_reached_one_day_after_its_planned_date_is_due_but_not_met(report):
    td1 = next(p for p in report["projects"] if p["project_code"] == "TD-1")
    due = {m["milestone"]: m for m in td1["milestones_due"]}
    assert due["construction_start"]["state"] == "late"
    assert due["construction_start"]["delay_days"] == 1
    assert due["construction_start"]["reached_on"] == "2026-10-11"
    assert due["structure_complete"]["state"] == "on_time"
    assert td1["milestones_met"] == 1


def test_milestones_due_met_and_overdue_are_judged_as_of_the_months_last_day(report):
    for p in report["projects"]:
        e = EXPECTED[p["project_code"]]
        assert [(m["milestone"], m["state"], m["delay_days"]) for m in p["milestones_due"]] == (
            e["due"]
        )
        assert p["milestones_met"] == e["met"]
        assert [
            (m["milestone"], m["state"], m["delay_days"]) for m in p["milestones_overdue"]
        ] == e["overdue"]
    td3 = next(p for p in report["projects"] if p["project_code"] == "TD-3")
    # reached on 5 November: not known on 31 October
    start = next(m for m in td3["milestones_overdue"] if m["milestone"] == "construction_start")
    assert start["reached_on"] is None and start["delay_days"] == (AS_OF - D(2026, 9, 1)).days


def test_a_problem_solved_after_its_due_date_but_before_the_day_judged_is_not_overdue(report):
    listed = {
        q["problem_no"]
        for p in report["projects"]
        for q in p["overdue_problems"] + p["new_problems"]
    }
    assert "TD-2-Q001" not in listed
    # solved only after 31 October: overdue on that day
    td3 = next(p for p in report["projects"] if p["project_code"] == "TD-3")
    assert [(q["problem_no"], q["days_overdue"]) for q in td3["overdue_problems"]] == [
        ("TD-3-Q001", (AS_OF - D(2026, 10, 1)).days)
    ]


def test_new_and_overdue_problems_are_those_of_the_month_and_of_the_day_judged(report):
    for p in report["projects"]:
        e = EXPECTED[p["project_code"]]
        assert [q["problem_no"] for q in p["new_problems"]] == e["new"]
        assert [(q["problem_no"], q["days_overdue"]) for q in p["overdue_problems"]] == e["late"]
    td1 = next(p for p in report["projects"] if p["project_code"] == "TD-1")
    q = td1["new_problems"][0]
    assert (q["department"], q["due_on"], q["status"]) == ("市自然资源局", "2026-10-20", "open")


def test_the_totals_per_park_per_chain_and_for_the_city_add_up_the_projects(report):
    totals = report["totals"]
    _same(totals["city"], _expected_totals(PROJECTS))
    by_park = defaultdict(list)
    by_chain = defaultdict(list)
    for code, (park, chain) in PROJECTS.items():
        by_park[park].append(code)
        by_chain[chain].append(code)
    assert [t["park"] for t in totals["parks"]] == sorted(by_park)
    for t in totals["parks"]:
        _same(t, _expected_totals(by_park[t["park"]]))
    assert {t["industry_chain"] for t in totals["chains"]} == set(by_chain)
    for t in totals["chains"]:
        _same(t, _expected_totals(by_chain[t["industry_chain"]]))
    assert next(t for t in totals["chains"] if t["industry_chain"] is None)["name_zh"] == "未分类"


def test_one_parks_report_holds_its_projects_and_totals_only(engine):
    with engine.connect() as conn:
        gaoxin = dispatch_report(conn, month_period("2026-10", today=TODAY), park="gaoxin")
    codes = [c for c, (park, _chain) in PROJECTS.items() if park == "gaoxin"]
    assert sorted(p["project_code"] for p in gaoxin["projects"]) == sorted(codes)
    _same(gaoxin["totals"]["city"], _expected_totals(codes))
    assert [t["park"] for t in gaoxin["totals"]["parks"]] == ["gaoxin"]


def test_the_behind_share_setting_decides_who_is_behind(engine):
    share = 0.1
    with engine.connect() as conn:
        stricter = dispatch_report(
            conn, month_period("2026-10", today=TODAY), settings={"progress.behind_share": share}
        )
    behind = {p["project_code"] for p in stricter["projects"] if p["behind"]}
    assert behind == {
        c
        for c, e in EXPECTED.items()
        if is_behind_plan(e["completed_to_date_wan"], e["plan_to_date_wan"], behind_share=share)
    }
    assert stricter["totals"]["city"]["behind"] == len(behind)
    assert stricter["behind_share"] == share


def test_while_the_month_runs_it_is_judged_as_of_today(engine):
    today = D(2026, 10, 15)
    with engine.connect() as conn:
        running = dispatch_report(conn, month_period("2026-10", today=today))
    assert running["as_of"] == "2026-10-15" and running["running"] is True
    td1 = next(p for p in running["projects"] if p["project_code"] == "TD-1")
    due = {m["milestone"]: m["state"] for m in td1["milestones_due"]}
    assert due == {
        "construction_start": judge_milestone(
            D(2026, 10, 10), D(2026, 10, 11), as_of=today
        ).state.value,
        "structure_complete": judge_milestone(
            D(2026, 10, 20), D(2026, 10, 20), as_of=today
        ).state.value,
    }
    assert due["structure_complete"] == "pending"


@pytest.mark.parametrize(
    ("today", "month"),
    [
        (D(2026, 12, 7), "2026-11"),
        (D(2026, 11, 30), "2026-11"),
        (D(2026, 1, 15), "2025-12"),
        (D(2026, 12, 31), "2026-12"),
    ],
)
def test_the_default_month_is_the_last_complete_one(today, month):
    assert last_complete_month_label(today) == month


# --- the files --------------------------------------------------------------------------------


def _sheet_rows(ws) -> list[dict]:
    header = [c.value for c in ws[TITLE_ROWS + 1]]
    return [
        dict(zip(header, (c.value for c in row), strict=True))
        for row in ws.iter_rows(min_row=TITLE_ROWS + 2)
    ]


def _expected_line(codes) -> dict[str, object]:
    """The totals of *codes* under the files' Chinese headings."""
    expected = _expected_totals(codes)
    return {zh: expected[key] for key, zh in TOTAL_COLUMNS}


def test_the_workbook_carries_the_totals_and_every_project(report):
    out = BytesIO()
    write_xlsx(report, out)
    wb = openpyxl.load_workbook(BytesIO(out.getvalue()))
    assert wb.sheetnames == list(SHEETS.values())
    parks = {r["园区"]: r for r in _sheet_rows(wb[SHEETS["parks"]])}
    names = {t["park"]: t["name_zh"] for t in report["totals"]["parks"]}
    for park, name in names.items():
        codes = [c for c, (p, _chain) in PROJECTS.items() if p == park]
        for heading, value in _expected_line(codes).items():
            assert parks[name][heading] == pytest.approx(value), (park, heading)
    for heading, value in _expected_line(PROJECTS).items():
        assert parks["全市"][heading] == pytest.approx(value), heading
    chains = {r["产业链"]: r for r in _sheet_rows(wb[SHEETS["chains"]])}
    titanium = [c for c, (_p, chain) in PROJECTS.items() if chain == "钛及钛合金"]
    assert chains["钛及钛合金"]["滞后项目"] == _expected_line(titanium)["滞后项目"]
    projects = _sheet_rows(wb[SHEETS["projects"]])
    assert [r["项目编号"] for r in projects] == [p["project_code"] for p in report["projects"]]
    assert sum(1 for r in projects if r["滞后"] == "是") == sum(
        e["behind"] for e in EXPECTED.values()
    )
    milestones = _sheet_rows(wb[SHEETS["milestones"]])
    assert len(milestones) == sum(len(e["due"]) + len(e["overdue"]) for e in EXPECTED.values())
    problems = _sheet_rows(wb[SHEETS["problems"]])
    assert len(problems) == sum(len(e["new"]) + len(e["late"]) for e in EXPECTED.values())


def test_the_word_document_carries_the_totals(report):
    out = BytesIO()
    write_docx(report, out)
    doc = Document(BytesIO(out.getvalue()))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    assert headings[0] == "重点项目月调度（2026年10月）"
    assert {"各园区汇总", "各产业链汇总", "项目（滞后项目在前）", "节点", "问题"} <= set(headings)
    parks_table = doc.tables[0]
    header = [c.text for c in parks_table.rows[0].cells]
    city = parks_table.rows[-1].cells
    assert city[0].text == "全市"
    expected = _expected_totals(PROJECTS)
    for key in ("projects", "behind", "milestones_due", "milestones_met", "overdue_problems"):
        heading = dict(TOTAL_COLUMNS)[key]
        assert city[header.index(heading)].text == str(expected[key]), heading
    completed = city[header.index("累计完成投资（万元）")].text
    assert completed == f"{expected['completed_to_date_wan']:,.2f}"
    chains_table = doc.tables[1]
    assert {r.cells[0].text for r in chains_table.rows[1:]} == {
        "钛及钛合金",
        "传感器",
        "未分类",
        "全市",
    }
    projects_table = doc.tables[2]
    assert [r.cells[1].text for r in projects_table.rows[1:]] == [
        p["project_code"] for p in report["projects"]
    ]

"""The monthly dispatch report of key projects (重点项目月调度) through the app, on a copy of
the loaded sample with its rhythm records cleared and four projects of the test's own in
two parks and two chains: the JSON of October 2026 with its totals recomputed here from
the records written, one park's report, the default month (the last complete one), a
month after the current one refused naming ``month`` (422), the page (Chinese headings,
the projects behind plan highlighted, the totals per park and chain, links to the files,
no external URL, its one script carrying the request's nonce) and the workbook and Word
document downloaded as attachments carrying the same totals."""

from __future__ import annotations

import re
from datetime import date, datetime
from io import BytesIO
from urllib.parse import quote
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import support_projects as sp
from docx import Document

from parks.projects.rules import is_behind_plan, problem_is_overdue
from service.projects.dispatch_xlsx import SHEETS, TITLE_ROWS
from service.settings import Settings

pytestmark = pytest.mark.e2e

D = date
MONTH = "2026-10"
AS_OF = D(2026, 10, 31)
API = "/api/projects/dispatch"
PAGE = "/projects/dispatch"
SCRIPT_TAG = re.compile(r"<script\b[^>]*>", re.IGNORECASE)

#: code -> (park, chain, monthly plan, monthly reports Jan..)
PROJECTS = {
    "TE-1": ("jiangtan", "汽车零部件", [100.0] * 12, [100.0] * 10),
    "TE-2": ("jiangtan", "新材料", [300.0] * 12, [90.0] * 10),  # 70 % short: behind
    "TE-3": ("gaoxin", "新材料", [120.0] * 12, [80.0] * 9),  # no October report: behind
    "TE-4": ("gaoxin", "汽车零部件", [60.0] * 12, [55.0] * 10),
}
#: (problem, project, raised on, due on, solved on)
PROBLEMS = [
    ("TE-1-Q001", "TE-1", D(2026, 10, 2), D(2026, 10, 9), None),  # new and overdue
    ("TE-2-Q001", "TE-2", D(2026, 9, 1), D(2026, 9, 20), D(2026, 10, 30)),  # solved by D
    ("TE-3-Q001", "TE-3", D(2026, 8, 1), D(2026, 9, 1), None),  # overdue
]
#: (project, milestone, planned on, reached on)
MILESTONES = [
    ("TE-1", "construction_start", D(2026, 10, 12), D(2026, 10, 13)),  # a day late
    ("TE-4", "signing", D(2026, 10, 2), D(2026, 10, 1)),  # met
    ("TE-3", "land_supply", D(2026, 7, 1), None),  # overdue
]


@pytest.fixture(scope="module")
def db_url(databases, loaded_template) -> str:
    from support_roles import app_url

    url = app_url(databases.create(template=loaded_template))
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
        project_plan_milestone=[sp.plan_milestone(p, m, on) for p, m, on, _r in MILESTONES],
        project_milestone_reached=[sp.reached(p, m, r) for p, m, _on, r in MILESTONES if r],
        project_problem=[
            sp.problem(no, p, raised_on=raised, due_on=due, solved_on=solved)
            for no, p, raised, due, solved in PROBLEMS
        ],
    )
    return url


@pytest.fixture(scope="module")
def client(db_url):
    from fastapi.testclient import TestClient

    from service.api.app import create_app

    with TestClient(create_app(Settings(database_url=db_url))) as c:
        yield c


@pytest.fixture(scope="module")
def report(client) -> dict:
    response = client.get(API, params={"month": MONTH})
    assert response.status_code == 200, response.text
    return response.json()


def _figures(code: str) -> dict:
    _park, _chain, plan, done = PROJECTS[code]
    planned, completed = sum(plan[:10]), sum(done[:10])
    return {
        "planned": planned,
        "completed": completed,
        "month_planned": plan[9],
        "month_completed": done[9] if len(done) >= 10 else 0.0,
        "behind": is_behind_plan(completed, planned, behind_share=0.2),
        "reported": len(done) >= 10,
        "due": sum(1 for p, _m, on, _r in MILESTONES if p == code and on >= D(2026, 10, 1)),
        "met": sum(
            1
            for p, _m, on, r in MILESTONES
            if p == code and on >= D(2026, 10, 1) and r is not None and r <= on
        ),
        "overdue_milestones": sum(
            1 for p, _m, on, r in MILESTONES if p == code and on < D(2026, 10, 1) and r is None
        ),
        "new": sum(1 for _n, p, raised, _d, _s in PROBLEMS if p == code and raised.month == 10),
        "overdue": sum(
            1
            for _n, p, _r, due, solved in PROBLEMS
            if p == code and problem_is_overdue(due, solved, as_of=AS_OF)
        ),
    }


def _totals(codes) -> dict:
    rows = [_figures(c) for c in codes]
    planned = sum(r["planned"] for r in rows)
    completed = sum(r["completed"] for r in rows)
    return {
        "projects": len(rows),
        "month_planned_wan": sum(r["month_planned"] for r in rows),
        "month_completed_wan": sum(r["month_completed"] for r in rows),
        "plan_to_date_wan": planned,
        "completed_to_date_wan": completed,
        "completion_to_date_pct": completed / planned * 100,
        "behind": sum(r["behind"] for r in rows),
        "milestones_due": sum(r["due"] for r in rows),
        "milestones_met": sum(r["met"] for r in rows),
        "milestones_overdue": sum(r["overdue_milestones"] for r in rows),
        "new_problems": sum(r["new"] for r in rows),
        "overdue_problems": sum(r["overdue"] for r in rows),
        "not_reported": sum(not r["reported"] for r in rows),
    }


def _same(got: dict, expected: dict) -> None:
    for key, value in expected.items():
        assert got[key] == pytest.approx(value), key


def _in(park: str | None = None, chain: str | None = None) -> list[str]:
    return [
        c
        for c, (p, ch, _pl, _d) in PROJECTS.items()
        if (park is None or p == park) and (chain is None or ch == chain)
    ]


# --- JSON ------------------------------------------------------------------------------------


def test_the_json_is_the_month_judged_on_its_last_day_with_the_behind_share(report):
    assert (report["month"], report["as_of"], report["behind_share"]) == (MONTH, "2026-10-31", 0.2)
    assert datetime.fromisoformat(report["generated_at"]).tzinfo is not None


def test_the_json_totals_per_park_chain_and_city_are_the_projects_records(report):
    _same(report["totals"]["city"], _totals(PROJECTS))
    for t in report["totals"]["parks"]:
        _same(t, _totals(_in(park=t["park"])))
    for t in report["totals"]["chains"]:
        _same(t, _totals(_in(chain=t["industry_chain"])))
    assert {t["park"] for t in report["totals"]["parks"]} == {"jiangtan", "gaoxin"}


def test_the_json_lists_projects_behind_plan_first_by_shortfall(report):
    def shortfall(code: str) -> float:
        f = _figures(code)
        return (f["planned"] - f["completed"]) / f["planned"]

    behind = sorted((c for c in PROJECTS if _figures(c)["behind"]), key=lambda c: -shortfall(c))
    rest = sorted(
        (c for c in PROJECTS if not _figures(c)["behind"]), key=lambda c: (PROJECTS[c][0], c)
    )
    assert [p["project_code"] for p in report["projects"]] == behind + rest


def test_one_parks_json_holds_its_projects_only(client):
    body = client.get(API, params={"month": MONTH, "park": "gaoxin"}).json()
    assert body["park"] == "gaoxin"
    assert sorted(p["project_code"] for p in body["projects"]) == _in(park="gaoxin")
    _same(body["totals"]["city"], _totals(_in(park="gaoxin")))


def test_an_unknown_park_is_a_422_naming_park(client):
    response = client.get(API, params={"month": MONTH, "park": "atlantis"})
    assert response.status_code == 422 and response.json()["parameter"] == "park"


def _today() -> date:
    return datetime.now(ZoneInfo(Settings().timezone)).date()


def test_without_a_month_the_report_is_of_the_last_complete_month(client):
    today = _today()
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    tomorrow = date.fromordinal(today.toordinal() + 1)
    if tomorrow.month != today.month:  # on a month's last day, that month is complete
        year, month = today.year, today.month
    body = client.get(API).json()
    assert body["month"] == f"{year:04d}-{month:02d}"


def _next_month() -> str:
    today = _today()
    year, month = (today.year, today.month + 1) if today.month < 12 else (today.year + 1, 1)
    return f"{year:04d}-{month:02d}"


@pytest.mark.parametrize("path", [API, PAGE])
@pytest.mark.parametrize("month", ["next", "2026-13", "26-10", "1989-12"])
def test_a_month_after_the_current_one_or_malformed_is_a_422_naming_month(client, path, month):
    month = _next_month() if month == "next" else month
    response = client.get(path, params={"month": month})
    assert response.status_code == 422, response.text
    assert response.json()["parameter"] == "month"


def test_a_format_the_page_does_not_make_is_a_422_naming_format(client):
    response = client.get(PAGE, params={"month": MONTH, "format": "pdf"})
    assert response.status_code == 422 and response.json()["parameter"] == "format"


# --- the page ----------------------------------------------------------------------------------


def test_the_page_highlights_the_projects_behind_plan_and_shows_the_totals(client, report):
    response = client.get(PAGE, params={"month": MONTH})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    for heading in ("重点项目月调度", "各园区汇总", "各产业链汇总", "节点", "问题", "全市"):
        assert heading in page, heading
    for code in PROJECTS:
        marked = f'<tr id="p-{code}" class="behind">' in page
        assert marked == _figures(code)["behind"], code
    for t in report["totals"]["parks"] + report["totals"]["chains"]:
        assert f"<td>{t['name_zh']}</td>" in page
    assert "/projects/dispatch?month=2026-10&amp;format=xlsx" in page
    assert "/projects/dispatch?month=2026-10&amp;format=docx" in page
    assert "http://" not in page and "https://" not in page
    nonce = re.search(r"'nonce-([A-Za-z0-9_-]+)'", response.headers["content-security-policy"])
    assert SCRIPT_TAG.findall(page) == [f'<script nonce="{nonce.group(1)}">']


def test_the_page_of_one_park_links_its_files(client):
    page = client.get(PAGE, params={"month": MONTH, "park": "jiangtan"}).text
    assert "/projects/dispatch?month=2026-10&amp;park=jiangtan&amp;format=xlsx" in page
    assert "TE-3" not in page  # a Gaoxin project


# --- the files ---------------------------------------------------------------------------------


def _disposition(response) -> str:
    return response.headers["content-disposition"]


def test_the_workbook_downloads_as_an_attachment_carrying_the_totals(client):
    response = client.get(PAGE, params={"month": MONTH, "format": "xlsx"})
    assert response.status_code == 200
    assert response.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    disposition = _disposition(response)
    assert disposition.startswith("attachment;")
    assert 'filename="project-dispatch-2026-10.xlsx"' in disposition
    assert f"filename*=UTF-8''{quote('重点项目月调度-2026-10.xlsx')}" in disposition
    wb = openpyxl.load_workbook(BytesIO(response.content))
    ws = wb[SHEETS["parks"]]
    header = [c.value for c in ws[TITLE_ROWS + 1]]
    city = dict(zip(header, (c.value for c in list(ws.iter_rows())[-1]), strict=True))
    expected = _totals(PROJECTS)
    assert city["园区"] == "全市"
    assert city["项目数"] == expected["projects"]
    assert city["滞后项目"] == expected["behind"]
    assert city["逾期问题"] == expected["overdue_problems"]
    assert city["累计完成投资（万元）"] == pytest.approx(expected["completed_to_date_wan"])


def test_the_word_document_downloads_as_an_attachment_carrying_the_totals(client):
    response = client.get(PAGE, params={"month": MONTH, "format": "docx", "park": "gaoxin"})
    assert response.status_code == 200
    assert 'filename="project-dispatch-2026-10-gaoxin.docx"' in _disposition(response)
    doc = Document(BytesIO(response.content))
    table = doc.tables[0]
    header = [c.text for c in table.rows[0].cells]
    total = table.rows[-1].cells
    expected = _totals(_in(park="gaoxin"))
    assert total[0].text == "合计"
    assert total[header.index("项目数")].text == str(expected["projects"])
    assert total[header.index("滞后项目")].text == str(expected["behind"])
    assert (
        total[header.index("累计计划投资（万元）")].text == f"{expected['plan_to_date_wan']:,.2f}"
    )


def test_where_reads_need_a_token_the_page_sends_a_browser_to_sign_in(db_url, make_client):
    client = make_client(db_url, reads_need_token=True)
    page = client.get(
        PAGE, params={"month": MONTH}, headers={"Accept": "text/html"}, follow_redirects=False
    )
    assert page.status_code == 303 and page.headers["location"].startswith("/login?next=")
    assert client.get(API, params={"month": MONTH}).status_code == 401

"""The quarterly ranking, the yearly assessment and the weekly visit list through the app:
the JSON of /api/projects/ranking, /assessment (and its workbook) and /visit-list with the
numbers worked out by hand here from the records the test writes (the sample's own rhythm
records cleared first); the pages (Chinese headings, how each score was made, text from
the data escaped, no external URL, the one script carrying the request's nonce); a bad
quarter, year, week or park refused 422 naming the parameter."""

from __future__ import annotations

import io
import re
from datetime import date

import openpyxl
import pytest
import support_projects as sp
import support_reads as sr

pytestmark = pytest.mark.e2e

Q3 = "2026Q3"
SCRIPT_TAG = re.compile(r"<script\b[^>]*>", re.IGNORECASE)
HOSTILE = "<img src=x>恶意项目"


def _write(url: str) -> None:
    """E-EX (jiangtan, led by 张一): the brief's example in 2026Q3 — investment 30 of 40
    planned, milestones 1 of 2 on time (one a day late), problems 2 of 2 on time, no
    scored visit: 100 × (40 × 0.75 + 30 × 0.5 + 20 × 1) ÷ 90 = 72.22. E-TOP (gaoxin, led
    by 李二): a visit scored 90 (90.00); E-HOSTILE (gaoxin): a visit scored 72.22 (a tie
    with E-EX). In 2025, E-EX planned 12 × 100 and reported 12 × 75; E-TOP started on
    plan. E-NEVER (caijiapo) was never visited. The visit list proposes up to 50."""
    sp.clear_records(url)
    sp.add_project(url, "E-EX", park="jiangtan", name="示例项目")
    sp.add_project(url, "E-TOP", park="gaoxin", name="领先项目")
    sp.add_project(url, "E-HOSTILE", park="gaoxin", name=HOSTILE)
    sp.add_project(url, "E-NEVER", park="caijiapo", name="未观摩项目")
    sp.put(
        url,
        project_official=[sp.official("E-O1", "张一"), sp.official("E-O2", "李二")],
        project_assignment=[sp.assignment("E-EX", "E-O1"), sp.assignment("E-TOP", "E-O2")],
        project_plan_investment=[
            *sp.plan_months("E-EX", 2026, [0, 0, 0, 0, 0, 0, 10, 10, 20, 100, 100, 100]),
            *sp.plan_months("E-EX", 2025, [100] * 12),
        ],
        project_report=[
            *sp.reports("E-EX", 2026, [0, 0, 0, 0, 0, 0, 10, 10, 10], cumulative_before=900),
            *sp.reports("E-EX", 2025, [75] * 12),
        ],
        project_plan_milestone=[
            sp.plan_milestone("E-EX", "construction_start", date(2026, 7, 15)),
            sp.plan_milestone("E-EX", "structure_complete", date(2026, 9, 1)),
            sp.plan_milestone("E-TOP", "construction_start", date(2025, 4, 1)),
        ],
        project_milestone_reached=[
            sp.reached("E-EX", "construction_start", date(2026, 7, 15)),
            sp.reached("E-EX", "structure_complete", date(2026, 9, 2)),
            sp.reached("E-TOP", "construction_start", date(2025, 4, 1)),
        ],
        project_problem=[
            sp.problem(
                "E-EX-Q001",
                "E-EX",
                raised_on=date(2026, 7, 1),
                due_on=date(2026, 8, 1),
                solved_on=date(2026, 8, 1),
            ),  # fmt: skip
            sp.problem(
                "E-EX-Q002",
                "E-EX",
                raised_on=date(2026, 7, 1),
                due_on=date(2026, 9, 30),
                solved_on=date(2026, 9, 10),
            ),  # fmt: skip
        ],
        project_visit=[
            sp.visit("E-TOP", date(2026, 8, 3), score=90),
            sp.visit("E-HOSTILE", date(2026, 8, 3), score=72.22),
        ],
        project_setting=[sp.setting("visit_list.size", 50)],
    )


@pytest.fixture(scope="module")
def city_url(databases, loaded_template) -> str:
    url = sr.database_url(databases.create(template=loaded_template))
    _write(url)
    return url


@pytest.fixture(scope="module")
def client(city_url):
    from fastapi.testclient import TestClient

    from service.api.app import create_app
    from service.settings import Settings

    with TestClient(create_app(Settings(database_url=city_url))) as c:
        yield c


def _by_code(answer: dict) -> dict:
    return {p["project_code"]: p for p in answer["projects"]}


def test_the_ranking_gives_the_hand_computed_score_and_how_it_was_made(client):
    response = client.get(f"/api/projects/ranking?quarter={Q3}")
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["quarter"], answer["first_day"], answer["as_of"]) == (
        Q3,
        "2026-07-01",
        "2026-09-30",
    )
    projects = _by_code(answer)
    ex = projects["E-EX"]
    assert ex["score"] == 72.22
    criteria = {c["criterion"]: c for c in ex["criteria"]}
    assert criteria["investment"]["basis"]["completed_wan"] == 30.0
    assert criteria["investment"]["basis"]["planned_wan"] == 40.0
    assert criteria["milestones"]["basis"] == {"due": 2, "on_time": 1}
    assert criteria["problems"]["basis"] == {"due": 2, "on_time": 2}
    assert criteria["visits"]["applies"] is False
    assert criteria["investment"]["name_zh"] == "投资完成率"
    # E-TOP 90 first; E-EX and E-HOSTILE tie on 72.22 at 2 (listed by code); then 4th none
    ranked = [(p["project_code"], p["city_rank"]) for p in answer["projects"][:3]]
    assert ranked == [("E-TOP", 1), ("E-EX", 2), ("E-HOSTILE", 2)]
    assert projects["E-NEVER"]["city_rank"] is None and projects["E-NEVER"]["score"] is None
    assert (projects["E-TOP"]["park_rank"], projects["E-HOSTILE"]["park_rank"]) == (1, 2)
    assert ex["park_rank"] == 1
    officials = [(o["official_code"], o["mean_score"], o["rank"]) for o in answer["officials"]]
    assert officials == [("E-O2", 90.0, 1), ("E-O1", 72.22, 2)]
    assert [c["weight"] for c in answer["criteria_in_force"]] == [40, 30, 20, 10]


def test_the_ranking_of_one_park_keeps_the_citys_ranks(client):
    answer = client.get(f"/api/projects/ranking?quarter={Q3}&park=gaoxin").json()
    assert {p["park"] for p in answer["projects"]} == {"gaoxin"}
    assert _by_code(answer)["E-HOSTILE"]["city_rank"] == 2
    assert [o["official_code"] for o in answer["officials"]] == ["E-O2"]
    assert [p["park"] for p in answer["parks"]] == ["gaoxin"]


def test_changed_weights_change_the_score(fresh_db_url, make_client):
    _write(fresh_db_url)
    client = make_client(fresh_db_url)
    sp.put(
        fresh_db_url,
        project_setting=[
            sp.setting(
                "ranking.criteria",
                {"investment": 10, "milestones": 30, "problems": 20, "visits": 40},
            )
        ],
    )
    answer = client.get(f"/api/projects/ranking?quarter={Q3}").json()
    # 100 × (10 × 0.75 + 30 × 0.5 + 20 × 1) ÷ 60 = 70.833…
    assert _by_code(answer)["E-EX"]["score"] == 70.83
    assert [c["weight"] for c in answer["criteria_in_force"]] == [10, 30, 20, 40]


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/api/projects/ranking?quarter=2026Q5", "quarter"),
        ("/api/projects/ranking?quarter=2099Q1", "quarter"),
        ("/api/projects/ranking?quarter=third", "quarter"),
        ("/projects/ranking?quarter=2026-13", "quarter"),
        ("/api/projects/ranking?quarter=2026Q3&park=atlantis", "park"),
        ("/api/projects/assessment?year=20x6", "year"),
        ("/api/projects/assessment?year=2099", "year"),
        ("/api/projects/assessment?year=2025&format=pdf", "format"),
        ("/projects/assessment?year=1800", "year"),
        ("/api/projects/visit-list?week=2026-W60", "week"),
        ("/api/projects/visit-list?week=2026-44", "week"),
        ("/api/projects/visit-list?week=2099-W01", "week"),
    ],
)
def test_a_bad_parameter_is_422_naming_it(client, path, parameter):
    response = client.get(path)
    assert response.status_code == 422, response.text
    body = response.json()
    assert (body["error"], body["parameter"]) == ("invalid_parameter", parameter)


def test_the_ranking_page_shows_the_tables_and_how_each_score_was_made(client):
    response = client.get(f"/projects/ranking?quarter={Q3}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    for heading in ("重点项目季度评比", "全市排名", "各园区排名", "包抓领导排名", "得分构成"):
        assert heading in page, heading
    assert "示例项目" in page and "张一" in page and "72.22" in page
    # how E-EX's score was made: the figures, the rates and the points
    assert "1–9 月完成 30.00 万元 / 计划 40.00 万元" in page
    assert "到期节点 2 个，按期完成 1 个" in page
    assert "到期问题 2 项，按期解决 2 项" in page
    assert "本季度无评分观摩（不计入）" in page
    assert "75.0%" in page and "33.33" in page and "16.67" in page and "22.22" in page
    assert HOSTILE not in page and "&lt;img src=x&gt;恶意项目" in page
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"""(src|href)=["']//""", page)
    policy = response.headers["content-security-policy"]
    nonce = re.search(r"'nonce-([A-Za-z0-9_-]+)'", policy).group(1)
    assert SCRIPT_TAG.findall(page) == [f'<script nonce="{nonce}">']


def test_the_assessment_recomputes_each_park_and_its_workbook_agrees(client):
    response = client.get("/api/projects/assessment?year=2025")
    assert response.status_code == 200, response.text
    answer = response.json()
    parks = {p["park"]: p for p in answer["parks"]}
    jt, gx = parks["jiangtan"], parks["gaoxin"]
    assert (jt["investment_target_wan"], jt["investment_completed_wan"]) == (1200.0, 900.0)
    assert jt["completion_pct"] == 75.0
    assert (gx["projects_to_start"], gx["projects_started"]) == (1, 1)
    assert answer["city"]["projects_to_start"] == 1
    # 2025 had no scored visit, milestone or problem due in Q1..Q4 except E-TOP's start in
    # Q2 (on time: 100) and E-EX's investment (75 % each quarter): jiangtan 75, gaoxin 100
    assert [q["rank"] for q in gx["quarters_ranked"]] == [None, 1, None, None]
    assert [q["rank"] for q in jt["quarters_ranked"]] == [1, 2, 1, 1]
    assert [q["mean_score"] for q in jt["quarters_ranked"]] == [75.0] * 4
    assert jt["average_quarterly_rank"] == 1.25
    download = client.get("/api/projects/assessment?year=2025&format=xlsx")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert 'filename="assessment-2025.xlsx"' in download.headers["content-disposition"]
    wb = openpyxl.load_workbook(io.BytesIO(download.content))
    assert wb.sheetnames == ["园区考核", "季度排名", "说明"]
    rows = list(wb["园区考核"].iter_rows(values_only=True))
    header = rows[0]
    table = {r[0]: dict(zip(header, r, strict=True)) for r in rows[1:]}
    assert table["jiangtan"]["投资目标（万元）"] == 1200
    assert table["jiangtan"]["完成投资（万元）"] == 900
    assert table["jiangtan"]["完成率（%）"] == 75
    assert table["jiangtan"]["平均季度排名"] == 1.25
    assert table["gaoxin"]["2025Q2 排名"] == 1
    assert table["合计"]["应开工项目"] == 1


def test_the_assessment_page_links_its_workbook(client):
    response = client.get("/projects/assessment?year=2025")
    assert response.status_code == 200, response.text
    page = response.text
    assert "重点项目年度考核" in page and "园区考核" in page and "季度排名" in page
    assert "/api/projects/assessment?year=2025&amp;format=xlsx" in page
    assert "http://" not in page and "https://" not in page
    nonce = re.search(r"'nonce-([A-Za-z0-9_-]+)'", response.headers["content-security-policy"])
    assert SCRIPT_TAG.findall(page) == [f'<script nonce="{nonce.group(1)}">']


def test_the_visit_list_proposes_the_projects_with_their_reasons(client):
    response = client.get("/api/projects/visit-list?week=2026-W44")
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["week"], answer["first_day"], answer["last_day"]) == (
        "2026-W44",
        "2026-10-26",
        "2026-11-01",
    )
    proposals = {p["project_code"]: p for p in answer["proposals"]}
    # E-EX: 40 planned through September 2026, 30 done: 25 % short; never visited: + 60
    ex = proposals["E-EX"]
    assert ex["reasons"] == ["投资完成率低于计划 25%", "从未观摩"]
    assert ex["points"] == 25 + 60
    assert ex["officials"][0]["name"] == "张一"
    # E-TOP and E-HOSTILE: visited 2026-08-03, 83 days before 2026-10-25: 83 / 3 each
    top = proposals["E-TOP"]
    assert top["reasons"] == ["已 83 天未观摩"] and top["points"] == round(83 / 3, 2)
    assert top["last_visit_on"] == "2026-08-03"
    codes = [p["project_code"] for p in answer["proposals"]]
    # E-EX first; every project never visited (E-NEVER and the sample's, whose records
    # were cleared) 60 each, by code; then E-HOSTILE and E-TOP
    assert codes[0] == "E-EX" and codes[-2:] == ["E-HOSTILE", "E-TOP"]
    never = codes[1:-2]
    assert "E-NEVER" in never and never == sorted(never)
    assert all(proposals[c]["points"] == 60 for c in never)
    assert answer["size"] == 50 and len(codes) <= 50

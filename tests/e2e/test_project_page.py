"""A key project's page (/projects/{code}, and the same page at /map/projects/{code})
and its JSON (/api/projects/{code}) through the app: the page carries the investment
chart (an inline SVG with its titles), the milestones with their delays, the open
problems with their owners and days overdue, the visits and the parcels with links to
their history, the links to the list, the dispatch and the ranking; an unknown project is
a 404 (a page for the page, not_found for the JSON); bad parameters are 422 naming them;
every text of the records is escaped and no inline script runs without a nonce."""

from __future__ import annotations

import re
from datetime import date

import pytest
import support_projects as sp

pytestmark = pytest.mark.e2e

CODE = "ZZ-PAGE-01"
YEAR = 2025
HOSTILE = '<img src=x onerror="window.__hit=1">'
#: Hostile text in the project's own fields and the official's title.
SCRIPT = "</script><script>window.__hit=2</script>"
SVG = '"><svg onload="window.__hit=3">'


@pytest.fixture(scope="module")
def written(sample_db_url: str) -> dict:
    """A project of the test's own on two parcels of the sample, with a plan, reports, a
    late milestone, problems (one solved, one overdue with a hostile description) and a
    visit; the sample's own rhythm records are ended first."""
    import psycopg

    with psycopg.connect(sample_db_url.replace("postgresql+psycopg://", "postgresql://")) as c:
        parcels = [
            r[0]
            for r in c.execute(
                "SELECT parcel_code FROM parcel_version WHERE valid_to IS NULL"
                " AND park = 'caijiapo' ORDER BY parcel_code LIMIT 2"
            )
        ]
    sp.clear_records(sample_db_url)
    sp.add_project(
        sample_db_url,
        CODE,
        park="caijiapo",
        parcel_codes=parcels,
        name=f"{SVG} 项目",
        industry_chain=SCRIPT,
    )
    sp.put(
        sample_db_url,
        project_official=[sp.official("OF-P", "王副市长", title=SVG)],
        project_assignment=[sp.assignment(CODE, "OF-P")],
        project_plan_investment=sp.plan_months(CODE, YEAR, [100] * 12),
        project_plan_milestone=[sp.plan_milestone(CODE, "construction_start", date(2025, 4, 1))],
        project_plan_progress=[sp.plan_progress(CODE, YEAR, 4, 80)],
        project_report=sp.reports(CODE, YEAR, [90] * 10),
        project_milestone_reached=[sp.reached(CODE, "construction_start", date(2025, 4, 8))],
        project_visit=[sp.visit(CODE, date(2025, 11, 3), score=88.5)],
        project_problem=[
            {
                **sp.problem(
                    "ZZ-PQ01", CODE, raised_on=date(2025, 6, 1), due_on=date(2025, 7, 1),
                    official_code="OF-P", category="financing",
                ),
                "description": HOSTILE,
            },
            sp.problem(
                "ZZ-PQ02", CODE, raised_on=date(2025, 6, 1), due_on=date(2025, 7, 1),
                solved_on=date(2025, 7, 20),
            ),
        ],
    )  # fmt: skip
    return {"url": sample_db_url, "parcels": parcels}


@pytest.fixture(scope="module")
def client(written):
    from fastapi.testclient import TestClient

    from service.api.app import create_app
    from service.settings import Settings

    with TestClient(create_app(Settings(database_url=written["url"]))) as c:
        yield c


def test_the_page_shows_the_chart_the_milestones_the_problems_and_the_parcels(client, written):
    response = client.get(f"/projects/{CODE}", params={"year": YEAR})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    chart = re.search(r'<svg[^>]*class="investment-chart".*?</svg>', page, re.S)
    assert chart is not None
    svg = chart.group(0)
    assert "<title" in svg and "万元" in svg
    assert "10月 完成 90.00 万元" in svg and "11月 计划 100.00 万元" in svg
    assert "11月 完成" not in svg  # no report for November
    # The milestone: planned 1 April, reached 8 April, 7 days late, in red.
    row = re.search(r'<tr class="late" data-milestone="construction_start">(.*?)</tr>', page, re.S)
    assert row is not None and "2025-04-08" in row.group(1) and ">7<" in row.group(1)
    # The open problem: its owner and days overdue as of 31 December; the solved one not open.
    open_table = re.search(r'<table id="open-problems">(.*?)</table>', page, re.S).group(1)
    assert "ZZ-PQ01" in open_table and "ZZ-PQ02" not in open_table
    assert "王副市长" in open_table and "融资" in open_table
    assert f">{(date(2025, 12, 31) - date(2025, 7, 1)).days}<" in open_table
    assert "王副市长" in page.split("<main>")[0]  # 包抓领导 in the header
    assert "88.5" in page  # the visit's score
    for code in written["parcels"]:
        assert f'href="/api/parcels/{code}/history"' in page
    assert 'href="/projects"' in page
    assert 'href="/projects/dispatch?month=2025-12"' in page
    assert 'href="/projects/ranking?quarter=2025Q4"' in page
    assert 'id="project-map"' in page and "/static/vendor/leaflet/leaflet.js" in page


def test_the_page_escapes_the_records_and_has_no_inline_script(client):
    page = client.get(f"/projects/{CODE}", params={"year": YEAR}).text
    for markup in (HOSTILE, SCRIPT, SVG, "<svg onload", "<script>window"):
        assert markup not in page, markup
    assert "&lt;img src=x onerror=" in page  # a problem's description
    assert "&lt;/script&gt;&lt;script&gt;window.__hit=2" in page  # the industry chain
    assert "&#34;&gt;&lt;svg onload=" in page or "&quot;&gt;&lt;svg onload=" in page  # name, title
    for tag in re.findall(r"<script\b[^>]*>", page):
        assert "src=" in tag or 'type="application/json"' in tag, tag


def test_an_unknown_project_is_a_404_page_and_a_404_answer(client):
    response = client.get("/projects/NOPE-1")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "NOPE-1" in response.text and 'href="/projects"' in response.text
    answer = client.get("/api/projects/NOPE-1")
    assert answer.status_code == 404 and answer.json()["error"] == "not_found"
    assert client.get("/map/projects/NOPE-1").status_code == 404


def test_the_map_address_serves_the_same_page(client):
    response = client.get(f"/map/projects/{CODE}")
    assert response.status_code == 200
    assert 'class="investment-chart"' in response.text and "ZZ-PQ01" in response.text


def test_the_json_summary_follows_the_contract(client, written):
    body = client.get(f"/api/projects/{CODE}", params={"year": YEAR}).json()
    assert body["year"] == YEAR and body["as_of"] == "2025-12-31"
    project = body["project"]
    assert project["project_code"] == CODE and project["park"] == "caijiapo"
    assert project["status_zh"] == "在建" and project["park_name"]
    assert body["officials"] == [
        {
            "official_code": "OF-P",
            "name": "王副市长",
            "title": SVG,
            "unit": "测试管委会",
            "role": "lead",
            "role_zh": "牵头包抓",
            "assigned_on": "2026-01-05",
        }
    ]
    inv = body["investment"]
    assert inv["planned_year_wan"] == 1200 and inv["completed_to_date_wan"] == 900
    assert inv["completion_of_year_pct"] == 75.0
    assert [m["completed_wan"] for m in inv["months"]] == [90] * 10 + [None, None]
    (milestone,) = body["milestones"]
    assert milestone["state"] == "late" and milestone["delay_days"] == 7
    assert [p["problem_no"] for p in body["problems"]["open"]] == ["ZZ-PQ01"]
    assert body["problems"]["open"][0]["description"] == HOSTILE
    assert body["problems"]["solved_count"] == 1 and body["problems"]["overdue_count"] == 1
    assert body["visits"][0]["kind_zh"] == "周观摩" and body["visits"][0]["score"] == 88.5
    assert {p["parcel_code"] for p in body["parcels"]} == set(written["parcels"])
    assert all("shape" not in p for p in body["parcels"])


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"year": "soon"}, "year"),
        ({"year": "1900"}, "year"),
        ({"year": "2199"}, "year"),
        ({"as_of": "yesterday"}, "as_of"),
        ({"year": "2025", "as_of": "2024-06-30"}, "as_of"),
    ],
)
def test_a_bad_year_or_day_is_a_422_naming_it(client, params, parameter):
    for path in (f"/api/projects/{CODE}", f"/projects/{CODE}"):
        response = client.get(path, params=params)
        assert response.status_code == 422, (path, params)
        assert response.json()["parameter"] == parameter


def test_with_reads_behind_sign_in_a_browser_is_sent_to_sign_in(written, make_client):
    client = make_client(written["url"], reads_need_token=True)
    answer = client.get(f"/api/projects/{CODE}")
    assert answer.status_code == 401
    page = client.get(f"/projects/{CODE}", headers={"Accept": "text/html"}, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")

"""The key-project list through the app, on a copy of the loaded sample (with whatever
rhythm records it carries — nothing here depends on its numbers): every sample project is
listed, by default for the last complete month; ``month`` as YYYY-MM or as a number of
``year`` gives the same list; the totals are those of the rows; a bad parameter is a 422
naming it; the page (/projects) lists every project with its link, the filters, the
sortable columns and the rhythm's other pages, its one script carrying the request's
nonce and nothing from another origin, and it follows the session like the other pages;
the map's marks (/api/projects/alerts) are the list's projects behind plan or with an
overdue problem, and the park map fetches them, switched on, from that URL."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import support_people as people
from sqlalchemy import text

from maps.style import LAYER_TITLES
from parks.projects.periods import last_complete_month
from parks.projects.rules import is_behind_plan
from service.db.engine import make_engine
from service.maps.project_marks import project_marks

pytestmark = pytest.mark.e2e

LIST = "/api/projects/progress"
ALERTS = "/api/projects/alerts"
SCRIPT_TAG = re.compile(r"<script\b[^>]*>", re.IGNORECASE)


@pytest.fixture(scope="module")
def client(sample_db_url):
    from fastapi.testclient import TestClient

    from service.api.app import create_app
    from service.settings import Settings

    with TestClient(create_app(Settings(database_url=sample_db_url))) as c:
        yield c


@pytest.fixture(scope="module")
def sample_projects(sample_db_url) -> dict[str, str]:
    """Every sample project's code -> park, from the database."""
    engine = make_engine(sample_db_url, pool_size=1, max_overflow=0)
    with engine.connect() as conn:
        found = dict(conn.execute(text("SELECT project_code, park FROM project")).all())
    engine.dispose()
    assert len(found) == 32
    return found


def _today() -> date:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def _get(client, path: str, **params) -> dict:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def _totals(rows: list[dict]) -> dict:
    return {
        "projects": len(rows),
        "planned_year_wan": sum(r["planned_year_wan"] for r in rows),
        "planned_to_date_wan": sum(r["planned_to_date_wan"] for r in rows),
        "completed_to_date_wan": sum(r["completed_to_date_wan"] for r in rows),
        "behind": sum(r["behind"] for r in rows),
        "milestones_late": sum(r["milestones_late"] for r in rows),
        "open_problems": sum(r["open_problems"] for r in rows),
        "overdue_problems": sum(r["overdue_problems"] for r in rows),
    }


# --- the JSON ------------------------------------------------------------------------------


def test_every_sample_project_is_listed_for_the_last_complete_month(client, sample_projects):
    answer = _get(client, LIST)
    year, month = last_complete_month(_today())
    assert (answer["year"], answer["month"]) == (year, month)
    assert answer["as_of"].startswith(f"{year:04d}-{month:02d}-")
    codes = [r["project_code"] for r in answer["projects"]]
    assert codes == sorted(sample_projects)  # by code, the default order
    for row in answer["projects"]:
        assert row["park"] == sample_projects[row["project_code"]]
        assert row["page"] == f"/projects/{row['project_code']}"
        assert row["park_name"] and row["status_zh"]
        assert row["behind"] is is_behind_plan(
            row["completed_to_date_wan"],
            row["planned_to_date_wan"],
            behind_share=answer["behind_share"],
        )
    assert answer["totals"] == pytest.approx(_totals(answer["projects"]))


@pytest.mark.parametrize(
    "params",
    [{"month": "2026-10"}, {"year": "2026", "month": "10"}, {"year": "2026", "month": "2026-10"}],
)
def test_a_month_as_yyyy_mm_or_as_a_number_of_the_year_is_the_same_list(client, params):
    answer = _get(client, LIST, **params)
    assert (answer["year"], answer["month"], answer["as_of"]) == (2026, 10, "2026-10-31")
    assert answer == _get(client, LIST, month="2026-10")


def test_a_past_year_alone_is_its_december(client):
    answer = _get(client, LIST, year="2025")
    assert (answer["year"], answer["month"], answer["as_of"]) == (2025, 12, "2025-12-31")


def test_filters_and_order_through_the_query_string(client):
    every = _get(client, LIST, month="2026-10")["projects"]
    park = every[0]["park"]
    got = _get(client, LIST, month="2026-10", park=park, status="under_construction,operating")
    expected = [
        r["project_code"]
        for r in every
        if r["park"] == park and r["status"] in ("under_construction", "operating")
    ]
    assert [r["project_code"] for r in got["projects"]] == expected
    assert got["totals"] == pytest.approx(_totals(got["projects"]))
    for flag, keep in (
        ("behind", lambda r: r["behind"]),
        ("overdue", lambda r: r["overdue_problems"] > 0),
    ):
        for value in ("true", "false"):
            rows = _get(client, LIST, month="2026-10", **{flag: value})["projects"]
            wanted = [r["project_code"] for r in every if keep(r) == (value == "true")]
            assert [r["project_code"] for r in rows] == wanted, (flag, value)
    ordered = _get(client, LIST, month="2026-10", sort="name", order="desc")["projects"]
    assert [r["name"] for r in ordered] == sorted((r["name"] for r in every), reverse=True)
    # an empty choice (as the page's form sends "all") filters nothing
    blank = _get(client, LIST, month="2026-10", park="", chain="", official="", status="")
    assert blank["projects"] == every


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"month": "13"}, "month"),
        ({"month": "2026-13"}, "month"),
        ({"month": "October"}, "month"),
        ({"month": "2999-01"}, "month"),
        ({"year": "1989"}, "year"),
        ({"year": "2999"}, "year"),
        ({"year": "2025", "month": "2026-03"}, "year"),
        ({"park": "atlantis"}, "park"),
        ({"official": "NOBODY-9"}, "official"),
        ({"status": "dreaming"}, "status"),
        ({"sort": "investor"}, "sort"),
        ({"order": "sideways"}, "order"),
        ({"behind": "perhaps"}, "behind"),
        ({"overdue": "perhaps"}, "overdue"),
    ],
)
def test_a_bad_parameter_is_a_422_naming_it(client, params, parameter):
    for path in (LIST, "/projects", ALERTS):
        if path == ALERTS and parameter not in ("month", "year", "park"):
            continue
        response = client.get(path, params=params)
        assert response.status_code == 422, (path, response.text)
        body = response.json()
        assert body["error"] == "invalid_parameter" and body["parameter"] == parameter, body


# --- the page ------------------------------------------------------------------------------


def test_the_page_lists_every_project_with_its_link_filters_and_the_rhythms_pages(
    client, sample_projects
):
    response = client.get("/projects", params={"month": "2026-10"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    answer = _get(client, LIST, month="2026-10")
    for row in answer["projects"]:
        assert f'<a href="/projects/{row["project_code"]}">' in page
        assert row["name"] in page
    assert page.count("<tr data-code=") == len(sample_projects)
    assert " hidden>" not in page.split("<tbody>")[1].split("</tbody>")[0]  # none filtered
    for href in ("/projects/dispatch", "/projects/ranking", "/projects/assessment"):
        assert f'href="{href}"' in page
    for label in (
        "重点项目一览",
        "园区",
        "产业链",
        "状态",
        "包抓领导",
        "仅看投资滞后",
        "仅看有逾期问题",
    ):
        assert label in page
    for key in ("code", "name", "status", "completion_of_year_pct", "overdue_problems"):
        assert f'data-sort="{key}"' in page
    assert f'<b id="t-projects">{answer["totals"]["projects"]}</b>' in page
    assert f'id="t-behind">{answer["totals"]["behind"]}</b>' in page
    # nothing from elsewhere; the one script carries the request's nonce
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"""(src|href)=["']//""", page)
    policy = response.headers["content-security-policy"]
    nonce = re.search(r"'nonce-([A-Za-z0-9_-]+)'", policy).group(1)
    assert SCRIPT_TAG.findall(page) == [f'<script nonce="{nonce}">']


def test_the_page_opens_with_the_query_strings_filters_and_order(client):
    every = _get(client, LIST, month="2026-10")["projects"]
    park = every[-1]["park"]
    params = {"month": "2026-10", "park": park, "sort": "name", "order": "desc"}
    page = client.get("/projects", params=params).text
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    rows = re.findall(r'<tr data-code="([^"]+)"[^>]*?(hidden)?>', body, re.S)
    listed = _get(client, LIST, **params)["projects"]
    assert [code for code, hidden in rows if not hidden] == [r["project_code"] for r in listed]
    assert len(rows) == len(every)  # the others are there, hidden, for the page's filters
    assert f'<option value="{park}" selected>' in page
    assert 'data-sort="name" data-kind="text" aria-sort="descending"' in page
    assert f'<b id="t-projects">{len(listed)}</b>' in page


def test_where_reads_need_signing_in_the_page_follows_the_session(sample_db_url, make_client):
    client = make_client(sample_db_url, reads_need_token=True)
    anonymous = client.get("/projects", headers=people.HTML, follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/login?next=")
    assert client.get(LIST).status_code == 401
    assert client.get(ALERTS).status_code == 401
    people.add_user(sample_db_url, "viewer-projects", "viewer")
    with people.people_client(sample_db_url, reads_need_token=True) as browser:
        people.signed_in(browser, "viewer-projects")
        page = browser.get("/projects", headers=people.HTML)
        assert page.status_code == 200 and "重点项目一览" in page.text
        assert browser.get(LIST).status_code == 200


# --- the map's marks ---------------------------------------------------------------------


def test_the_marks_are_the_lists_projects_behind_plan_or_with_an_overdue_problem(client):
    rows = {r["project_code"]: r for r in _get(client, LIST, month="2026-10")["projects"]}
    response = client.get(ALERTS, params={"month": "2026-10"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    fc = response.json()
    assert fc["type"] == "FeatureCollection" and fc["as_of"] == "2026-10-31"
    marked = [f["id"] for f in fc["features"]]
    assert marked == sorted(c for c, r in rows.items() if r["behind"] or r["overdue_problems"])
    for feature in fc["features"]:
        p, row = feature["properties"], rows[feature["id"]]
        for key in ("project_code", "name", "park", "behind", "shortfall_share"):
            assert p[key] == row[key]
        assert (p["overdue_problems"], p["milestones_late"]) == (
            row["overdue_problems"],
            row["milestones_late"],
        )
        assert p["page"] == row["page"]
        if feature["geometry"]:
            lon, lat = _first_position(feature["geometry"]["coordinates"])
            assert 107 < lon < 108 and 34 < lat < 35  # EPSG:4326, in the city
    for park in {r["park"] for r in rows.values()}:
        by_park = _get(client, ALERTS, month="2026-10", park=park)
        assert [f["id"] for f in by_park["features"]] == [
            c for c in marked if rows[c]["park"] == park
        ]


def _first_position(coords):
    while isinstance(coords[0], list):
        coords = coords[0]
    return coords


def _config(page: str) -> dict:
    found = re.search(r"PLM\.create\(\w+,\s*(\{.*?\})\);\n", page, re.S)
    assert found, "the page has no PLM.create(...) call"
    return json.loads(found.group(1))


@pytest.mark.parametrize(("path", "query"), [("/map/jiangtan", "?park=jiangtan"), ("/map", "")])
def test_the_park_map_fetches_the_marks_switched_on(client, path, query):
    page = client.get(path).text
    config = _config(page)
    assert config["fetched"]["alerts"] == f"{ALERTS}{query}"
    assert config["links"]["projectPage"] == "/projects/{code}"
    assert '"key":"alerts","kind":"alerts"' in page
    assert 'data-plm-section="alerts"' in page  # its legend
    zh, en = LAYER_TITLES["alerts"]
    assert zh == "重点项目预警" and (zh in page or json.dumps(zh)[1:-1] in page)
    # switched on: the layer is added to the map as the page opens
    name = re.search(r'var (\w+) = \w+\.layer\(\{"key":"alerts"', page).group(1)
    assert f"{name}.addTo(" in page
    # and the URL answers with the marks of that park
    answer = client.get(config["fetched"]["alerts"])
    assert answer.status_code == 200
    if query:
        assert {f["properties"]["park"] for f in answer.json()["features"]} <= {"jiangtan"}


def test_a_map_file_embeds_the_marks_the_api_gives(client, sample_db_url):
    engine = make_engine(sample_db_url, pool_size=1, max_overflow=0)
    with engine.connect() as conn:
        embedded = project_marks(conn, park="caijiapo", today=_today(), embed=True)["alerts"]
    engine.dispose()
    api = _get(client, ALERTS, park="caijiapo")
    assert [f["id"] for f in embedded["features"]] == [f["id"] for f in api["features"]]
    assert all(f["properties"]["as_of"] == api["as_of"] for f in embedded["features"])

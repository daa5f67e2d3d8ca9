"""A key project's page (/projects/{code}) in headless Chromium under its own
Content-Security-Policy: it renders with no console error, no script error and nothing
the policy refuses; the investment chart (server-side SVG) and the map of its parcels
(Leaflet, served by the service) are visible, the map draws every parcel of the project,
and a parcel's popup links to its history. Records written for a project of the test's
own, the sample's own rhythm records ended first."""

from __future__ import annotations

from datetime import date

import pytest
import support_projects as sp
from browser_support import db

pytestmark = pytest.mark.browser

CODE = "ZZ-BROWSER-01"
YEAR = 2025
_WATCH = (
    "window.__csp = [];"
    "document.addEventListener('securitypolicyviolation', e => window.__csp.push("
    "[e.violatedDirective, e.blockedURI].join(' ')));"
)


@pytest.fixture(scope="module")
def parcels(sample_db_url: str) -> list[str]:
    """Three parcels of the sample under a project of the test's own, with a year of
    records."""
    with db(sample_db_url) as conn:
        codes = [
            r[0]
            for r in conn.execute(
                "SELECT parcel_code FROM parcel_version WHERE valid_to IS NULL"
                " AND park = 'gaoxin' ORDER BY area_m2 DESC LIMIT 3"
            )
        ]
    sp.clear_records(sample_db_url)
    sp.add_project(sample_db_url, CODE, park="gaoxin", parcel_codes=codes)
    sp.put(
        sample_db_url,
        project_official=[sp.official("OF-BR", "赵区长", title="区长")],
        project_assignment=[sp.assignment(CODE, "OF-BR")],
        project_plan_investment=sp.plan_months(CODE, YEAR, [300] * 12),
        project_plan_milestone=[
            sp.plan_milestone(CODE, "construction_start", date(2025, 3, 1)),
            sp.plan_milestone(CODE, "structure_complete", date(2025, 9, 1)),
        ],
        project_plan_progress=[sp.plan_progress(CODE, YEAR, q, 20 * q) for q in (1, 2, 3, 4)],
        project_report=sp.reports(CODE, YEAR, [250, 310, 180, 320, 290, 260, 200, 240, 330]),
        project_milestone_reached=[sp.reached(CODE, "construction_start", date(2025, 3, 2))],
        project_visit=[sp.visit(CODE, date(2025, 10, 10), score=76)],
        project_problem=[
            sp.problem("ZZ-BQ01", CODE, raised_on=date(2025, 5, 1), due_on=date(2025, 6, 1),
                       official_code="OF-BR"),
        ],
    )  # fmt: skip
    return codes


def test_the_project_page_renders_its_chart_and_map_under_its_policy(
    service, visit, parcels, shots
):
    v = visit(service)
    v.page.context.add_init_script(_WATCH)
    v.open(f"/projects/{CODE}?year={YEAR}", wait_drawn=False)
    page = v.page
    page.wait_for_selector("#project-map[data-drawn]", state="attached", timeout=20000)
    assert page.locator("#project-map").get_attribute("data-drawn") == str(len(parcels))
    assert page.locator(".leaflet-overlay-pane path.project-parcel").count() == len(parcels)
    assert page.locator("#project-map").is_visible()
    chart = page.locator("svg.investment-chart")
    assert chart.is_visible()
    box = chart.bounding_box()
    assert box["width"] > 500 and box["height"] > 150
    assert page.locator("svg.investment-chart rect.bar.planned").count() == 12
    assert page.locator("svg.investment-chart rect.bar.completed").count() == 9
    assert page.locator("svg.milestone-timeline").is_visible()
    assert page.locator("#open-problems tr", has_text="ZZ-BQ01").is_visible()
    # A parcel's popup links to its history.
    page.locator(".leaflet-overlay-pane path.project-parcel").first.dispatch_event("click")
    link = page.locator(".leaflet-popup-content a")
    link.wait_for(timeout=5000)
    assert link.get_attribute("href") in {f"/api/parcels/{c}/history" for c in parcels}
    v.settle()
    shots(page, "project-page.png")
    assert page.evaluate("window.__csp") == []
    assert v.problems() == []


def test_an_unknown_project_is_a_page_that_says_so(service, visit):
    v = visit(service)
    response = v.page.goto(service.base + "/projects/NOPE-1")
    assert response.status == 404
    assert "NOPE-1" in v.page.locator("h1").text_content()

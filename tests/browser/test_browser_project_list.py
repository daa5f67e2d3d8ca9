"""The key-project list (/projects) and the park map's marks in headless Chromium, under the
pages' Content-Security-Policy, on the sample (its numbers come from the API, never from
here): the page lists every project; choosing a park, a chain, "behind only" or "overdue
only" shows the projects the API lists for the same filters, with their totals, without
asking the service again; a click on a column's heading orders the rows as the API orders
them (again: the other way round); the address keeps the view, and a reload opens it. On
a park's map the 重点项目预警 marks are on from the start: each project the API marks has
a red marker whose popup gives the reasons and links to the project's page."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

import pytest

pytestmark = pytest.mark.browser

MONTH = "2026-10"
LIST = "/api/projects/progress"
ALERTS = "/api/projects/alerts"
#: Recorded from the page's first byte: what the policy refused.
_WATCH = (
    "window.__csp = [];"
    "document.addEventListener('securitypolicyviolation', e => window.__csp.push("
    "[e.violatedDirective, e.blockedURI].join(' ')));"
)


def _api(base: str, path: str, **params: str) -> dict:
    with urllib.request.urlopen(f"{base}{path}?{urllib.parse.urlencode(params)}", timeout=30) as r:
        return json.loads(r.read())


def _codes(answer: dict) -> list[str]:
    return [r["project_code"] for r in answer["projects"]]


def _shown(page) -> list[str]:
    """The codes of the rows the page shows, in its order."""
    return page.eval_on_selector_all(
        "#projects tbody tr", "rows => rows.filter(r => !r.hidden).map(r => r.dataset.code)"
    )


def _total(page, key: str) -> str:
    return page.locator(f"#t-{key}").inner_text()


def _open_list(v, query: str) -> None:
    v.page.context.add_init_script(_WATCH)
    v.open(f"/projects?{query}", wait_drawn=False)
    v.page.wait_for_selector("html[data-projects-ready]", state="attached")
    # marked: a reload of the page would lose it
    v.page.evaluate("window.__samePage = true")


def test_the_list_filters_in_the_page_as_the_api_does(service, visit, shots):
    v = visit(service)
    _open_list(v, f"month={MONTH}")
    every = _api(service.base, LIST, month=MONTH)
    assert _shown(v.page) == _codes(every) and len(every["projects"]) >= 32
    assert _total(v.page, "projects") == str(every["totals"]["projects"])
    park = max(
        {r["park"] for r in every["projects"]},
        key=lambda p: sum(r["park"] == p and r["behind"] for r in every["projects"]),
    )
    v.page.select_option("#f-park", park)
    in_park = _api(service.base, LIST, month=MONTH, park=park)
    assert _shown(v.page) == _codes(in_park)
    assert _total(v.page, "projects") == str(in_park["totals"]["projects"])
    assert _total(v.page, "behind") == str(in_park["totals"]["behind"])
    assert _total(v.page, "overdue") == str(in_park["totals"]["overdue_problems"])
    assert _total(v.page, "completed") == f"{in_park['totals']['completed_to_date_wan']:,.2f}"
    v.page.check("#f-behind")
    behind = _api(service.base, LIST, month=MONTH, park=park, behind="true")
    assert _shown(v.page) == _codes(behind) and behind["projects"]
    assert _total(v.page, "behind") == str(len(behind["projects"]))
    v.page.uncheck("#f-behind")
    v.page.select_option("#f-park", "")
    v.page.check("#f-overdue")
    overdue = _api(service.base, LIST, month=MONTH, overdue="true")
    assert _shown(v.page) == _codes(overdue) and overdue["projects"]
    assert _total(v.page, "overdue") == str(overdue["totals"]["overdue_problems"])
    v.page.uncheck("#f-overdue")
    chain = every["projects"][0]["industry_chain"]
    v.page.select_option("#f-chain", chain)
    assert _shown(v.page) == _codes(_api(service.base, LIST, month=MONTH, chain=chain))
    v.page.select_option("#f-chain", "")
    officials = [o for r in every["projects"] for o in r["officials"]]
    if officials:
        code = officials[0]["official_code"]
        v.page.select_option("#f-official", code)
        assert _shown(v.page) == _codes(_api(service.base, LIST, month=MONTH, official=code))
        v.page.select_option("#f-official", "")
    v.page.select_option("#f-status", "under_construction")
    status = _api(service.base, LIST, month=MONTH, status="under_construction")
    assert _shown(v.page) == _codes(status)
    assert v.page.evaluate("window.__samePage") is True  # no reload
    shots(v.page, "project-list.png")
    assert v.page.evaluate("window.__csp") == []
    assert v.problems() == []


@pytest.mark.parametrize(
    "sort",
    ["completion_of_year_pct", "shortfall_share", "name", "status", "overdue_problems"],
)
def test_a_click_on_a_heading_orders_the_rows_as_the_api_does(service, visit, sort):
    v = visit(service)
    _open_list(v, f"month={MONTH}")
    heading = v.page.locator(f'th[data-sort="{sort}"] button')
    heading.click()
    asc = _api(service.base, LIST, month=MONTH, sort=sort, order="asc")
    assert _shown(v.page) == _codes(asc)
    assert v.page.get_attribute(f'th[data-sort="{sort}"]', "aria-sort") == "ascending"
    heading.click()
    desc = _api(service.base, LIST, month=MONTH, sort=sort, order="desc")
    assert _shown(v.page) == _codes(desc)
    assert v.page.get_attribute(f'th[data-sort="{sort}"]', "aria-sort") == "descending"
    assert v.page.evaluate("window.__samePage") is True
    assert v.page.evaluate("window.__csp") == []
    assert v.problems() == []


def test_the_address_keeps_the_view_and_a_reload_opens_it(service, visit):
    v = visit(service)
    _open_list(v, f"month={MONTH}")
    every = _api(service.base, LIST, month=MONTH)
    park = every["projects"][-1]["park"]
    v.page.select_option("#f-park", park)
    v.page.locator('th[data-sort="completion_to_date_pct"] button').click()
    v.page.locator('th[data-sort="completion_to_date_pct"] button').click()
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(v.page.url).query)
    assert query == {
        "month": [MONTH],
        "park": [park],
        "sort": ["completion_to_date_pct"],
        "order": ["desc"],
    }
    expected = _codes(
        _api(
            service.base, LIST, month=MONTH, park=park, sort="completion_to_date_pct", order="desc"
        )
    )
    assert _shown(v.page) == expected
    v.page.reload()
    v.page.wait_for_selector("html[data-projects-ready]", state="attached")
    assert _shown(v.page) == expected
    assert v.page.input_value("#f-park") == park
    # each row links to the project's page
    first = v.page.locator("#projects tbody tr:not([hidden]) td a").first
    assert first.get_attribute("href") == f"/projects/{expected[0]}"
    assert v.problems() == []


def test_the_park_map_marks_the_projects_behind_plan_or_with_overdue_problems(service, visit):
    every = _api(service.base, ALERTS)
    drawn = [f for f in every["features"] if f["geometry"]]
    assert drawn, "the sample has projects behind plan or with overdue problems, on land"
    park = max(
        {f["properties"]["park"] for f in drawn},
        key=lambda p: sum(f["properties"]["park"] == p for f in drawn),
    )
    expected = [f for f in drawn if f["properties"]["park"] == park]
    v = visit(service)
    v.page.context.add_init_script(_WATCH)
    v.open(f"/map/{park}")
    v.page.wait_for_selector("html[data-plm-fetched-alerts]", state="attached")
    assert v.page.get_attribute("html", "data-plm-fetched-alerts") == str(len(expected))
    markers = v.page.locator(".leaflet-marker-pane .plm-alert-marker")
    assert markers.count() == len(expected)
    assert v.page.locator(".leaflet-overlay-pane path.plm-alert").count() == len(expected)
    box = v.page.locator(".leaflet-control-layers-overlays label", has_text="Project alerts")
    assert box.locator("input").is_checked()
    markers.first.dispatch_event("click")
    popup = v.page.locator(".leaflet-popup-content", has_text="预警原因")
    popup.wait_for()
    text = popup.inner_text()
    code = next(f["id"] for f in expected if f["id"] in text)
    props = next(f["properties"] for f in expected if f["id"] == code)
    if props["behind"]:
        assert "投资滞后" in text
    if props["overdue_problems"]:
        assert "逾期问题" in text
    assert popup.locator("a", has_text="项目页").get_attribute("href") == f"/projects/{code}"
    v.page.locator(".leaflet-popup-close-button").last.click()
    # switched off and on: the markers go and come back, fetched once
    box.locator("input").uncheck()
    assert markers.count() == 0
    box.locator("input").check()
    assert markers.count() == len(expected)
    asked = [u for u, _s in v.responses if urllib.parse.urlsplit(u).path == ALERTS]
    assert len(asked) == 1
    v.settle()
    assert v.page.evaluate("window.__csp") == []
    assert v.problems() == []

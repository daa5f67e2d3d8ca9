"""Every kind of page the service serves works in headless Chromium under its own
Content-Security-Policy: the city, park and availability maps, a key project's page, the
audit page, an import's report, the OGC API's HTML pages (landing, collections, items, an
item), the API document (/docs) and, where the service has them, the sign-in and
proposal pages. Nothing the browser refuses (no ``securitypolicyviolation`` event, no
console message about the policy, no script error), and what the scripts draw is there:
the maps' parcels, the report's and the OGC pages' Leaflet paths, Swagger's operations,
and the measuring tool measures. One browser page visits them all."""

from __future__ import annotations

import re
import time
import urllib.error
import urllib.request

import pytest
from browser_support import PARK, db
from support_imports import dry_run, engine_on, standing, survey_frame, write_gpkg

pytestmark = pytest.mark.browser

#: Recorded from the page's first byte: what the policy refused.
_WATCH_VIOLATIONS = (
    "window.__csp = [];"
    "document.addEventListener('securitypolicyviolation', e => window.__csp.push("
    "[e.violatedDirective, e.blockedURI, e.sourceFile + ':' + e.lineNumber].join(' ')));"
)
#: What each kind of page must have drawn (a selector, and the least count of it).
MAP = (".leaflet-overlay-pane path.plm-parcel", 10)
LEAFLET = (".leaflet-overlay-pane path", 1)
SWAGGER = (".swagger-ui .opblock", 10)
NOTHING = None


@pytest.fixture(scope="module")
def planted(sample_db_url: str, tmp_path_factory) -> dict:
    """An import's dry run (one parcel of an unknown class: a problem on its map), a
    project and a parcel of the park, and an admin's token."""
    from service.auth.tokens import create_token

    with engine_on(sample_db_url) as engine, engine.connect() as conn:
        parcels = standing(conn, f"v.park = '{PARK}'")[:3]
    parcels[0]["land_use_code"] = "9999"
    survey = write_gpkg(survey_frame(parcels), tmp_path_factory.mktemp("csp") / "survey.gpkg")
    outcome = dry_run(sample_db_url, survey, park=PARK)
    assert outcome.problems, "the survey has a problem to show on the report's map"
    with db(sample_db_url) as conn:
        (project,) = conn.execute(
            "SELECT project_code FROM project WHERE park = %s ORDER BY project_code LIMIT 1",
            (PARK,),
        ).fetchone()
    with engine_on(sample_db_url) as engine, engine.begin() as conn:
        token = create_token(conn, name=f"csp-admin-{time.time_ns()}", role="admin")
    return {
        "import": outcome.id,
        "project": project,
        "parcel": parcels[1]["parcel_code"],
        "token": token,
    }


def _answers(url: str, token: str) -> bool:
    """Whether a page the service may not have (yet) answers 200."""
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status == 200
    except urllib.error.HTTPError:
        return False


def _pages(base: str, planted: dict) -> list[tuple[str, tuple[str, int] | None]]:
    items = "/ogc/collections/parcels/items"
    pages = [
        ("/map", MAP),
        (f"/map/{PARK}", MAP),
        (f"/map/availability?park={PARK}", MAP),
        (f"/map/projects/{planted['project']}", NOTHING),
        (f"/projects/{planted['project']}", ("#project-map path", 1)),
        ("/projects", NOTHING),
        ("/projects/dispatch?month=2026-10", NOTHING),
        ("/projects/ranking?quarter=2026Q3", NOTHING),
        ("/projects/assessment?year=2026", NOTHING),
        ("/audit", NOTHING),
        (f"/imports/{planted['import']}", LEAFLET),
        ("/ogc?f=html", NOTHING),
        ("/ogc/collections?f=html", NOTHING),
        (f"{items}?f=html&limit=50", LEAFLET),
        (f"{items}/{planted['parcel']}?f=html", LEAFLET),
        ("/docs", SWAGGER),
    ]
    # Pages other parts of the service add: visited where they are there.
    for path in ("/login", "/logout", "/proposals"):
        if _answers(base + path, planted["token"]):
            pages.append((path, NOTHING))
    return pages


def _measure(page) -> str:
    """Measure a line on the map with its measuring tool (between two points clear of
    the boxes and panels over the map); the results it shows."""
    page.locator(".leaflet-control-measure").hover()
    page.locator(".leaflet-control-measure .js-start").click()
    box = page.locator(".leaflet-container").bounding_box()
    for x, y in ((450, 250), (620, 400)):
        page.mouse.move(box["x"] + x, box["y"] + y)
        page.mouse.click(box["x"] + x, box["y"] + y)
    page.locator(".leaflet-control-measure").hover()
    return page.locator(".leaflet-control-measure .js-results").inner_text()


def test_every_page_works_under_its_content_security_policy(service, browser, planted):
    context = browser.new_context(
        viewport={"width": 1400, "height": 900},
        locale="zh-CN",
        extra_http_headers={"Authorization": f"Bearer {planted['token']}"},
    )
    context.add_init_script(_WATCH_VIOLATIONS)
    page = context.new_page()
    messages: list[str] = []
    refused: list[str] = []
    page.on("console", lambda m: messages.append(f"console {m.type}: {m.text}"))
    page.on("pageerror", lambda e: messages.append(f"script error: {e}"))

    def route(r) -> None:
        if r.request.url.startswith(service.base + "/") or r.request.url.startswith("data:"):
            r.continue_()
        else:
            refused.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    problems: dict[str, list[str]] = {}
    drawn: dict[str, int | str] = {}
    visited = []
    try:
        for path, expect in _pages(service.base, planted):
            messages.clear()
            response = page.goto(service.base + path)
            assert response is not None and response.status == 200, path
            policy = response.headers.get("content-security-policy", "")
            assert "script-src 'self' 'nonce-" in policy, path
            if expect is MAP:
                page.wait_for_selector("html[data-plm-drawn]", state="attached", timeout=20000)
            if expect is not NOTHING:
                selector, least = expect
                page.wait_for_function(
                    "([s, n]) => document.querySelectorAll(s).length >= n",
                    arg=[selector, least],
                    timeout=20000,
                )
                drawn[path] = page.locator(selector).count()
            else:
                page.wait_for_load_state("load")
            if path == f"/map/{PARK}":
                drawn["measured"] = _measure(page)
            page.wait_for_timeout(100)  # a late violation report is still delivered
            found = page.evaluate("window.__csp") + [
                m
                for m in messages
                if m.startswith("script error") or "content security policy" in m.lower()
            ]
            if found:
                problems[path] = found
            visited.append(path)
    finally:
        context.close()
    assert problems == {}
    assert refused == []
    assert re.search(r"路径长度 [\d,]+ 米", drawn["measured"]), drawn["measured"]
    assert len(visited) >= 11, visited

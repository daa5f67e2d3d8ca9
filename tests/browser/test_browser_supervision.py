"""The land-supervision pages in headless Chromium under their own Content-Security-Policy:
the monthly report (/supervision) works — its print button included — with nothing
refused and nothing fetched from elsewhere. On a park's map the 闲置土地 Idle land and
亩均效益 Grade layers start switched off and nothing of them is fetched; switched on, each
is fetched once from the API and draws the parcels the API answers, with their popups;
while a layer loads, and when it fails, the layer control and the legend say so, and
switching it off and on tries again; with reads that need signing in, the page's
session is what the fetch is answered for."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request

import pytest
from support_server import start_server, stop_server

pytestmark = pytest.mark.browser

PARK = "jiangtan"
#: Recorded from the page's first byte: what the policy refused.
_WATCH = (
    "window.__csp = [];"
    "document.addEventListener('securitypolicyviolation', e => window.__csp.push("
    "[e.violatedDirective, e.blockedURI].join(' ')));"
    "window.print = () => { window.__printed = true; };"
)
#: Layer key -> (its name in the layer control, the API path it is fetched from, what
#: its paths are, a word of its popup).
LAYERS = {
    "idle": ("Idle land", "/api/supervision/idle", "path.plm-idle", "计时天数"),
    "grades": ("Grade", "/api/evaluation", "path.plm-grade", "评价等级"),
}
VIEWER, PASSWORD = "viewer1", "viewer-browser-password"


def test_the_monthly_report_page_works_under_its_policy_and_prints(service, visit, shots):
    v = visit(service)
    v.page.context.add_init_script(_WATCH)
    v.open("/supervision?month=2026-10", wait_drawn=False)
    v.page.wait_for_load_state("load")
    assert v.page.locator("h2", has_text="总览").count() == 1
    assert v.page.locator("section.park").count() == 4
    v.page.locator("#print").click()
    assert v.page.evaluate("window.__printed") is True
    v.settle()
    shots(v.page, "supervision-report.png")
    assert v.page.evaluate("window.__csp") == []
    assert v.problems() == []


def _asked(v, path: str) -> list[tuple[str, int]]:
    """The answers the page got from *path* (any query)."""
    return [(url, status) for url, status in v.responses if url.split("?")[0].endswith(path)]


def _api(base: str, path: str, **params: str) -> dict:
    query = urllib.parse.urlencode({"format": "geojson", **params})
    with urllib.request.urlopen(f"{base}{path}?{query}", timeout=30) as r:
        return json.loads(r.read())


def _box(v, label: str):
    overlays = v.page.locator(".leaflet-control-layers-overlays")
    return overlays.locator("label", has_text=label).locator("input")


def test_the_supervision_layers_are_fetched_when_first_switched_on_and_draw_their_parcels(
    service, visit
):
    v = visit(service)
    v.page.context.add_init_script(_WATCH)
    v.open(f"/map/{PARK}")
    v.settle()
    for key, (label, path, selector, words) in LAYERS.items():
        assert v.page.locator(selector).count() == 0
        assert _asked(v, path) == [], f"{key} was fetched before it was switched on"
        box = _box(v, label)
        assert not box.is_checked()
        box.check()
        v.page.wait_for_selector(f"html[data-plm-fetched-{key}]", state="attached")
        # the page asked the API once, for its park's layer, and drew what it answered
        (asked,) = _asked(v, path)
        assert asked[1] == 200 and f"park={PARK}" in asked[0]
        answer = _api(service.base, path, park=PARK, **({"per": "parcel"} if key == "idle" else {}))
        expected = [f for f in answer["features"] if f["geometry"]]
        assert expected, f"the sample has {key} parcels in {PARK}"
        drawn = v.page.locator(selector)
        assert drawn.count() == len(expected)
        assert v.page.get_attribute("html", f"data-plm-fetched-{key}") == str(len(expected))
        drawn.first.dispatch_event("click")
        popup = v.page.locator(".leaflet-popup-content", has_text=words)
        popup.wait_for()
        text = popup.inner_text()
        assert "地块编号" in text
        assert any(f["properties"]["parcel_code"] in text for f in expected)
        # the day (idle land) or the year (grades) the layer is of, from the collection
        assert (answer["as_of"] if key == "idle" else str(answer["year"])) in text
        v.page.locator(".leaflet-popup-close-button").last.click()
        box.uncheck()
        assert v.page.locator(selector).count() == 0
        # switched on again: drawn from what was fetched, not fetched again
        box.check()
        assert v.page.locator(selector).count() == len(expected)
        assert len(_asked(v, path)) == 1
        box.uncheck()
    assert v.page.evaluate("window.__csp") == []
    assert v.problems() == []


def test_a_layer_says_it_is_loading_then_that_it_failed_and_a_second_try_draws_it(service, visit):
    v = visit(service)
    v.open(f"/map/{PARK}")
    label, path, selector, _words = LAYERS["idle"]
    pattern = re.compile(re.escape(path) + r"\?")
    held: list = []
    v.page.route(pattern, lambda route: held.append(route))  # answered below
    box = _box(v, label)
    box.check()
    for _ in range(200):
        if held:
            break
        v.page.wait_for_timeout(50)
    assert held, "switching the layer on asked nothing"
    section = v.page.locator('.plm-legend [data-plm-section="idle"]')
    section.locator(".plm-load-state", has_text="加载中").wait_for()
    assert (
        "加载中"
        in v.page.locator(".leaflet-control-layers-overlays label", has_text=label).inner_text()
    )
    held[0].fulfill(
        status=503,
        content_type="application/json",
        body=json.dumps({"error": "unavailable", "message": "数据库维护中 under maintenance"}),
    )
    section.locator(".plm-load-state", has_text="加载失败").wait_for()
    assert "数据库维护中" in section.inner_text()
    assert (
        "加载失败"
        in v.page.locator(".leaflet-control-layers-overlays label", has_text=label).inner_text()
    )
    assert v.page.locator(selector).count() == 0
    # off and on again: asked again (this time the service answers), drawn, the note gone
    v.page.unroute(pattern)
    box.uncheck()
    box = _box(v, label)
    box.check()
    v.page.wait_for_selector(selector, state="attached")
    assert v.page.locator(selector).count() > 0
    assert section.locator(".plm-load-state").count() == 0
    assert v.page.locator(".leaflet-control-layers-overlays .plm-load-state").count() == 0
    failed = [
        p
        for p in v.problems()
        if not ("503" in p and ("Failed to load resource" in p or path in p))
    ]
    assert failed == []


@pytest.fixture(scope="module")
def signed_in_service(sample_db_url):
    """The service with reads that need signing in, and a viewer."""
    from service.auth.users import create_user
    from service.db.engine import make_engine

    engine = make_engine(sample_db_url, pool_size=1, max_overflow=0)
    with engine.begin() as conn:
        create_user(conn, name=VIEWER, role="viewer", parks=[], password=PASSWORD)
    engine.dispose()
    server = start_server(sample_db_url, reads_need_token="true")
    yield server
    stop_server(server)


def test_a_signed_in_viewers_map_fetches_the_layer_with_its_session(signed_in_service, visit):
    base = signed_in_service.base
    label, path, selector, words = LAYERS["grades"]
    with pytest.raises(urllib.error.HTTPError) as anonymous:
        _api(base, path, park=PARK)
    assert anonymous.value.code == 401  # without the session the layer is not answered
    v = visit(signed_in_service)
    v.page.goto(f"{base}/login?next=/map/{PARK}")
    v.page.fill("#name", VIEWER)
    v.page.fill("#password", PASSWORD)
    with v.page.expect_navigation():
        v.page.click("form[action='/login'] button[type=submit]")
    v.page.wait_for_selector("html[data-plm-drawn]", state="attached", timeout=20000)
    _box(v, label).check()
    v.page.wait_for_selector("html[data-plm-fetched-grades]", state="attached")
    assert v.page.locator(selector).count() > 0
    v.page.locator(selector).first.dispatch_event("click")
    v.page.locator(".leaflet-popup-content", has_text=words).wait_for()
    assert [status for _url, status in _asked(v, path)] == [200]
    assert v.problems() == []

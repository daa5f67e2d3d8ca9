"""The land-supervision pages in headless Chromium under their own Content-Security-Policy:
the monthly report (/supervision) works — its print button included — with nothing
refused and nothing fetched from elsewhere; on a park's map the 闲置土地 Idle land and
亩均效益 Grade layers start switched off, and switched on draw the sample's idle and
graded parcels with their popups."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

PARK = "jiangtan"
#: Recorded from the page's first byte: what the policy refused.
_WATCH = (
    "window.__csp = [];"
    "document.addEventListener('securitypolicyviolation', e => window.__csp.push("
    "[e.violatedDirective, e.blockedURI].join(' ')));"
    "window.print = () => { window.__printed = true; };"
)


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


def test_the_supervision_layers_start_off_and_draw_their_parcels_when_switched_on(service, visit):
    v = visit(service)
    v.open(f"/map/{PARK}")
    overlays = v.page.locator(".leaflet-control-layers-overlays")
    assert v.page.locator("path.plm-idle").count() == 0
    assert v.page.locator("path.plm-grade").count() == 0
    for label, selector, words in (
        ("Idle land", "path.plm-idle", "计时天数"),
        ("Grade", "path.plm-grade", "评价等级"),
    ):
        box = overlays.locator("label", has_text=label).locator("input")
        assert not box.is_checked()
        box.check()
        v.page.wait_for_function(f"document.querySelectorAll('{selector}').length > 0")
        v.page.locator(selector).first.dispatch_event("click")
        popup = v.page.locator(".leaflet-popup-content", has_text=words)
        popup.wait_for()
        assert "地块编号" in popup.inner_text()
        v.page.locator(".leaflet-popup-close-button").last.click()
        box.uncheck()
        assert v.page.locator(selector).count() == 0
    assert v.problems() == []

"""No database: text from the data on the project page, in the audit page's chart and in
the map's tile URLs stays text (escaped, or encoded into a URL), never markup."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from maps.style import PARCEL_STATUSES, PROJECT_STATUSES
from service.audit.chart import step_chart_svg
from service.maps.pages import _tiles_url
from service.pages.templates import templates

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "</script><script>alert(2)</script>"
SVG = '"><svg onload=alert(3)>'
JS = "javascript:alert(4)"
MARKUP = ("<img src=x", "<script>alert", "<svg onload")


def _project_page(**project: object) -> str:
    base = {
        "project_code": "CJP-P01",
        "name": IMG,
        "park": JS,
        "investor": SCRIPT,
        "industry_chain": SVG,
        "investment_yi": 12.5,
        "status": "signed",
        "milestones": [{"date": JS, "name": SCRIPT}],
        "site_area_m2": 10000.0,
    }
    parcel = {
        "parcel_code": "CJP-0001",
        "park": JS,
        "land_use_code": "0601",
        "land_use_name": SVG,
        "status": "supplied",
        "holder": IMG,
        "area_m2": 10000.0,
    }
    return (
        templates()
        .get_template("project.html")
        .render(
            project=base | project,
            park={"code": JS, "name_zh": IMG, "name_en": SVG},
            status=PROJECT_STATUSES["signed"],
            parcels=[parcel],
            parcel_statuses=PARCEL_STATUSES,
            site_mu=15.0,
            m2_per_mu=10000 / 15,
        )
    )


def test_project_page_shows_names_holders_and_milestones_as_text_not_markup() -> None:
    page = _project_page()
    for markup in MARKUP:
        assert markup not in page
    assert "<title>&lt;img src=x onerror=alert(1)&gt; · " in page
    assert "<td>&lt;img src=x onerror=alert(1)&gt;</td>" in page  # the parcel's holder
    assert "&lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in page  # investor, milestone


def test_project_page_links_stay_paths_of_the_service_whatever_the_codes() -> None:
    page = _project_page()
    hrefs = re.findall(r'href="([^"]*)"', page)
    assert hrefs and all(h.startswith("/") for h in hrefs)
    assert "/map/javascript%3Aalert%284%29?focus=CJP-P01" in hrefs


def test_series_name_in_audit_chart_is_text_not_markup() -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    svg = step_chart_svg({IMG: [(t0, 1000.0)], SVG: [(t0, 2000.0)]}, now=t0)
    for markup in MARKUP:
        assert markup not in svg
    assert "&lt;img src=x onerror=alert(1)&gt; " in svg
    assert "&quot;&gt;&lt;svg onload=alert(3)&gt; " in svg


def test_context_layer_name_in_a_tile_url_is_encoded_whole() -> None:
    url = _tiles_url("{s}/../" + SVG, "caijiapo")
    assert url.startswith("/tiles/%7Bs%7D%2F..%2F%22%3E%3Csvg%20onload%3Dalert%283%29%3E/")
    assert url.endswith("/{z}/{x}/{y}.pbf?park=caijiapo")
    assert _tiles_url("roads", None) == "/tiles/roads/{z}/{x}/{y}.pbf"

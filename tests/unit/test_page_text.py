"""No database: text from the data in the audit page's chart and in the map's tile URLs
stays text (escaped, or encoded into a URL), never markup. (A key project's page is held
to the same in tests/e2e/test_project_page.py, with hostile records in the database.)"""

from __future__ import annotations

from datetime import UTC, datetime

from service.audit.chart import step_chart_svg
from service.maps.pages import _tiles_url

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "</script><script>alert(2)</script>"
SVG = '"><svg onload=alert(3)>'
JS = "javascript:alert(4)"
MARKUP = ("<img src=x", "<script>alert", "<svg onload")


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

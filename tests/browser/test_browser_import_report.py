"""The import's HTML report, opened from a file in headless Chromium with every request
but to the file refused: the map draws a marker per located problem (blocking red,
warnings orange) over the park's outline from the sample database, with a legend; popups
and tables show hostile codes, holders and messages as text; nothing runs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from support_import_outcomes import CAIJIAPO, IMG, SCRIPT, SVG, outcome, problems

from service.imports.report_html import SEVERITY_COLOURS, park_outlines, render_report

pytestmark = pytest.mark.browser

PARK = "caijiapo"
# Elements a payload would make; watched from the page's first byte.
_HOSTILE_NODES = """(root) => [...root.querySelectorAll('*')].filter(el =>
    (el.localName === 'img' && el.getAttribute('src') === 'x')
    || el.hasAttribute('onerror') || el.hasAttribute('onload')
    || (el.localName === 'script' && /^alert\\(\\d\\)$/.test(el.textContent.trim()))
).map(el => el.outerHTML.slice(0, 100))"""
_WATCH = (
    "window.__hostile = [];"
    f"const __scan = {_HOSTILE_NODES};"
    "new MutationObserver(records => { for (const r of records) { for (const n of r.addedNodes) {"
    " if (n.nodeType === 1) { window.__hostile.push(...__scan(n),"
    " ...(n.matches('img[src=x],[onerror],[onload]') ? [n.outerHTML] : [])); } } } })"
    ".observe(document, {childList: true, subtree: true});"
)


@dataclass
class Opened:
    """A report page and what it did that it must not."""

    page: object
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def assert_inert(self) -> None:
        self.page.wait_for_timeout(300)  # an image's error event, had one been made, fires
        assert self.dialogs == []
        assert self.page.evaluate(f"({_HOSTILE_NODES})(document)") == []
        assert self.page.evaluate("window.__hostile") == []
        assert self.errors == [] and self.refused == []


@pytest.fixture(scope="module")
def outlines(sample_db_url: str) -> dict[str, dict]:
    engine = create_engine(sample_db_url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as conn:
            return park_outlines(conn, [PARK])
    finally:
        engine.dispose()


@pytest.fixture
def open_report(browser, outlines, tmp_path: Path) -> Iterator[Callable[..., Opened]]:
    """``open_report(**changes)``: the report of ``outcome(**changes)`` written to a file
    and opened, once its map is drawn."""
    contexts = []

    def _open(**changes) -> Opened:
        path = tmp_path / f"report-{len(contexts)}.html"
        path.write_text(render_report(outcome(**changes), park_outlines=outlines), "utf-8")
        context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
        contexts.append(context)
        page = context.new_page()
        opened = Opened(page=page)
        page.on("dialog", lambda d: (opened.dialogs.append(d.message), d.dismiss()))
        page.on("pageerror", lambda e: opened.errors.append(str(e)))
        page.on("console", lambda m: opened.errors.append(m.text) if m.type == "error" else None)
        page.route(
            "**/*",
            lambda r: (
                r.continue_()
                if r.request.url.startswith(("file:", "data:"))
                else (opened.refused.append(r.request.url), r.abort())
            ),
        )
        page.add_init_script(_WATCH)
        page.goto(path.as_uri())
        page.wait_for_selector("html[data-report-drawn]", state="attached", timeout=20000)
        return opened

    yield _open
    for context in contexts:
        context.close()


def _marker_point(page, number: int) -> tuple[float, float]:
    """Viewport coordinates of the marker of problem *number* (the map scrolled into view)."""
    page.locator(".folium-map").scroll_into_view_if_needed()
    point = page.evaluate(
        """n => { var found = null;
            importReport.markers.eachLayer(m => { if (m.reportProblem === n) { found = m; } });
            var p = importReport.map.latLngToContainerPoint(found.getLatLng());
            return [p.x, p.y]; }""",
        number,
    )
    box = page.locator(".folium-map").bounding_box()
    return box["x"] + point[0], box["y"] + point[1]


def test_the_map_draws_a_marker_per_located_problem_blocking_red_warnings_orange(open_report):
    opened = open_report()
    page = opened.page
    located = [p for p in problems() if p.lon is not None]
    assert page.get_attribute("html", "data-report-drawn") == str(len(located))
    blocking = page.locator(".leaflet-overlay-pane path.report-problem-blocking")
    warning = page.locator(".leaflet-overlay-pane path.report-problem-warning")
    assert blocking.count() == sum(p.blocking for p in located) == 5
    assert warning.count() == 2
    assert {blocking.nth(i).get_attribute("fill") for i in range(5)} == {
        SEVERITY_COLOURS["blocking"]
    }
    assert warning.first.get_attribute("fill") == SEVERITY_COLOURS["warning"]
    # The park's outline is drawn under them, and the map is fitted to the problems.
    assert page.locator(".leaflet-overlay-pane path.report-park").count() == 1
    frame = page.locator(".folium-map").bounding_box()
    for i in range(blocking.count()):
        box = blocking.nth(i).bounding_box()
        assert frame["x"] <= box["x"] and box["x"] + box["width"] <= frame["x"] + frame["width"]
        assert frame["y"] <= box["y"] and box["y"] + box["height"] <= frame["y"] + frame["height"]
    opened.assert_inert()


def test_the_legend_names_both_severities_with_their_counts_and_the_park_boundary(open_report):
    opened = open_report()
    legend = opened.page.locator(".leaflet-control-container .report-legend")
    assert legend.count() == 1
    text = legend.text_content()
    assert "图例" in text and "阻断问题" in text and "警告" in text and "园区边界" in text
    assert "6" in text and "2" in text  # the import's blocking problems and warnings
    dots = legend.locator(".report-dot")
    assert dots.count() == 2


def test_clicking_a_marker_opens_its_popup_with_hostile_text_shown_literally(open_report):
    opened = open_report()
    page = opened.page
    expected = {2: IMG, 3: SCRIPT, 4: SVG}  # a code, an "other", a message
    for number, hostile in expected.items():
        x, y = _marker_point(page, number)
        page.mouse.click(x, y)
        # The popup before may still be fading out: this one is the one with the number.
        popup = page.locator(".leaflet-popup-content", has_text=f"#{number} ")
        popup.wait_for()
        text = popup.text_content()
        assert hostile in text, (number, text)
        assert problems()[number - 1].kind.value in text
    opened.assert_inert()


def test_the_tables_show_hostile_codes_holders_and_field_names_as_text(open_report):
    opened = open_report()
    page = opened.page
    assert IMG in page.locator("#problem-list").text_content()
    assert IMG in page.locator("#diff-changed").text_content()  # a holder
    assert SVG in page.locator("#diff-new").text_content()  # a new code
    assert SCRIPT in page.locator("#mapping").text_content()  # a source field's name
    assert "=1+1" in page.locator("#diff-missing").text_content()
    opened.assert_inert()


def test_a_report_without_problems_fits_the_map_to_the_park(open_report):
    opened = open_report(problems=[])
    page = opened.page
    assert page.get_attribute("html", "data-report-drawn") == "0"
    assert page.locator(".leaflet-overlay-pane path.report-park").count() == 1
    inside = page.evaluate(
        "([lat, lon]) => importReport.map.getBounds().contains([lat, lon])",
        [CAIJIAPO[1], CAIJIAPO[0]],
    )
    assert inside
    opened.assert_inert()

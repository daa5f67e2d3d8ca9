"""Real PostGIS: the parks' outlines for the import report's map, and the HTML report
rendered over them — the problems, the diff's numbers, the rule's effect and the import's
fate on the page, every text from the file shown as text."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from markupsafe import escape
from shapely.geometry import Point, shape
from sqlalchemy import create_engine
from support_import_outcomes import (
    FORMULA,
    IMG,
    SCRIPT,
    SVG,
    many_problems,
    outcome,
    problems,
    rule,
)

from service.imports.report_html import MAX_SHOWN, park_outlines, render_report

pytestmark = pytest.mark.integration

#: The parks' approximate centres (DESIGN.md).
CENTRES = {"caijiapo": (107.590, 34.315), "gaoxin": (107.200, 34.350)}
MARKUP = ("<img src=x", "<script>alert", "<svg onload")


@pytest.fixture(scope="module")
def outlines(sample_db_url: str) -> Iterator[dict[str, dict]]:
    engine = create_engine(sample_db_url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as conn:
            yield park_outlines(conn, ["caijiapo", "gaoxin", "no_such_park"])
    finally:
        engine.dispose()


def _text(page: str) -> str:
    """The page's text outside its scripts and styles (HTML entities left as they are)."""
    page = re.sub(r"<script\b.*?</script>", "", page, flags=re.S)
    return re.sub(r"<style\b.*?</style>", "", page, flags=re.S)


def _count(page: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>([^<]*)<', page)
    assert found, element_id
    return found.group(1).strip()


def test_park_outlines_are_the_parks_boundaries_in_lon_lat(outlines):
    assert set(outlines) == {"caijiapo", "gaoxin"}  # an unknown park is left out
    for code, geometry in outlines.items():
        assert geometry["type"] in ("Polygon", "MultiPolygon")
        outline = shape(geometry)
        assert outline.is_valid and not outline.is_empty
        lon, lat = CENTRES[code]
        assert outline.distance(Point(lon, lat)) < 0.05, code  # degrees: the right place


def test_no_park_asked_for_is_no_outline(sample_db_url):
    engine = create_engine(sample_db_url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as conn:
            assert park_outlines(conn, []) == {}
    finally:
        engine.dispose()


def test_the_report_lists_every_problem_with_its_kind_row_and_message(outlines):
    page = render_report(outcome(), park_outlines=outlines)
    text = _text(page)
    for problem in problems():
        assert str(escape(problem.message)) in text
    assert text.count('data-severity="blocking"') == 6
    assert text.count('data-severity="warning"') == 2
    assert "几何无效" in text and "宗地编号重复" in text and "面积不符" in text
    assert _count(page, "count-blocking") == "6" and _count(page, "count-warnings") == "2"
    assert "0.31 m²" in text and "4.75 m²" in text  # measures with their unit
    assert "107.5900000" in text and "34.3150000" in text


def test_the_report_gives_the_diffs_numbers_by_kind(outlines):
    page = render_report(outcome(), park_outlines=outlines)
    assert _count(page, "count-new") == "2"
    assert _count(page, "count-changed") == "3"
    assert _count(page, "count-unchanged") == "1"
    assert _count(page, "count-missing") == "2"
    rows = dict(re.findall(r'<tr data-diff="(\w+)">.*?<td class="num">([\d,]+)</td>', page))
    assert rows == {"new": "2", "changed": "3", "rezone": "1", "reshape": "1",
                    "set_status": "1", "supply": "1", "unchanged": "1", "missing": "2"}  # fmt: skip
    assert "改变用途、调整界址" in page and "CJP-0006" in page and FORMULA in page


def test_the_report_gives_the_rules_effect_in_square_metres_and_mu(outlines):
    page = render_report(outcome(), park_outlines=outlines)
    assert 'data-would-refuse="false"' in page
    assert "800,000.00" in page and "800,500.00" in page and "+500.00" in page
    assert "1,200.0000" in page and "+0.7500" in page
    refused = render_report(
        outcome(rule=rule(refuse=True), status="refused"), park_outlines=outlines
    )
    assert 'data-would-refuse="true"' in refused
    assert "1,000.00 m²" in refused and "1.5000 亩" in refused  # the shortfall
    assert "-1,000.00" in refused and "CJP-0002" in refused
    assert "历史最高" in refused  # the refusal's high-water mark
    # Each park's reserve against its target, before and after.
    targets = re.search(r'<table id="rule-targets">(.*?)</table>', page, re.S).group(1)
    assert "储备目标（亩）" in targets and "变更后达标" in targets
    assert "<td>caijiapo</td>" in targets and "<td>118.5000</td>" in targets


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({}, "试运行：未写入数据库；有 6 个阻断问题"),
        ({"problems": []}, "试运行：未写入数据库；无阻断问题，可以入库"),
        ({"problems": [], "status": "applied", "change_set_id": 77}, "已入库：变更集 #77"),
        ({"status": "refused", "rule": rule(refuse=True)}, "被规则拒绝"),
    ],
    ids=["dry-run-blocked", "dry-run-clean", "applied", "refused"],
)
def test_the_report_says_what_became_of_the_import(outlines, changes, words):
    page = render_report(outcome(**changes), park_outlines=outlines)
    status = re.search(r'<p class="status [^"]+" data-status="(\w+)">(.*?)<br>', page, re.S)
    assert status and status.group(1) == outcome(**changes).status
    assert words in status.group(2)


def test_hostile_text_from_the_file_is_escaped_everywhere(outlines):
    page = render_report(outcome(), park_outlines=outlines)
    for markup in MARKUP:
        assert markup not in page
    text = _text(page)
    assert "&lt;img src=x onerror=alert(1)&gt;" in text  # a code, a holder, a refused parcel
    assert "&lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in text  # a source field
    assert "&#34;&gt;&lt;svg onload=alert(3)&gt;" in text  # a new code, in a message
    # On the map the same text is data for the script, with nothing that could end it.
    script = page[page.rindex("<script>") :]
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in script
    assert "</script><script>alert(2)" not in script
    assert IMG not in script and SCRIPT not in script and SVG not in script


def test_the_report_file_carries_leaflet_so_it_opens_offline(outlines):
    page = render_report(outcome(), park_outlines=outlines)
    assert "/static/vendor" not in page
    elsewhere = r"""<(script|link|img)\b[^>]*\b(src|href)=["']?(https?:)?//"""
    assert not re.search(elsewhere, page)  # nothing loads from elsewhere
    assert "L.map(" in page and "window.L" in page  # Leaflet itself, inlined
    served = render_report(outcome(), park_outlines=outlines, inline_assets=False)
    assert '<script src="/static/vendor/leaflet/leaflet.js"></script>' in served


def test_a_large_import_shows_the_first_thousand_problems_and_counts_the_rest(outlines):
    n = MAX_SHOWN + 234
    page = render_report(outcome(problems=many_problems(n)), park_outlines=outlines)
    assert page.count('<tr data-kind="tiny" data-severity=') == MAX_SHOWN
    assert "CJP-M01000" in page and "CJP-M01001" not in _text(page)
    more = re.search(r'id="problems-more">(.*?)</p>', page, re.S).group(1)
    assert "另有 234 个问题未列出" in more
    assert 'id="map-more"' in page and "另有 234 个有位置的问题未在地图上显示" in page
    assert _count(page, "count-warnings") == f"{n:,}"

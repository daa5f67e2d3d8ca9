"""The change-set editor on a park's map, in a real browser, with reads that need signing
in and editors who propose (an approver approves):

* an editor signs in, lands on the park's map, selects a parcel with a click, draws a
  line across it, sees the parts (their areas add up to the parcel's, computed here with
  shapely in EPSG:4545) and the dry run's verdict (it would commit), submits the draft
  with a reason and a document number, and signs out; an approver signs in, opens the
  proposal and approves it; the parcel's history then shows the new parcels, who
  proposed and who approved;
* a draft that shrinks manufacturing land (a manufacturing parcel rezoned to 07,
  residential), made with the keyboard, shows the refusal — its shortfall — and the
  parcels that could compensate it, before anything is submitted.
"""

from __future__ import annotations

import pytest
import shapely
from browser_support import PARK, db, free_spot, open_parcels, pixel
from pyproj import Transformer
from shapely.geometry import LineString
from support_server import start_server, stop_server

pytestmark = pytest.mark.browser

PASSWORD = "editor-browser-password"
EDITOR, APPROVER = "editor1", "approver1"
TOLERANCE_M2 = 0.01
TO_LONLAT = Transformer.from_crs("EPSG:4545", "EPSG:4326", always_xy=True)


@pytest.fixture(scope="module")
def people_service(sample_db_url):
    """The service with reads that need signing in and editors who only propose, and the
    two officials (made with the user function the CLI uses)."""
    from service.auth.users import create_user
    from service.db.engine import make_engine

    engine = make_engine(sample_db_url, pool_size=1, max_overflow=0)
    with engine.begin() as conn:
        create_user(conn, name=EDITOR, role="editor", parks=[], password=PASSWORD)
        create_user(conn, name=APPROVER, role="approver", parks=[], password=PASSWORD)
    engine.dispose()
    server = start_server(sample_db_url, reads_need_token="true", editors_apply_directly="false")
    yield server
    stop_server(server)


def _sign_in(page, base: str, name: str, next_path: str) -> None:
    page.goto(f"{base}/login?next={next_path}")
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("form[action='/login'] button[type=submit]")


def _parcel_4545(url: str, code: str):
    with db(url) as conn:
        wkb = conn.execute(
            "SELECT ST_AsBinary(geom) FROM parcel_version WHERE parcel_code = %s "
            "AND valid_to IS NULL",
            (code,),
        ).fetchone()[0]
    return shapely.from_wkb(bytes(wkb))


def _open_editor(v, service, name: str) -> None:
    _sign_in(v.page, service.base, name, f"/map/{PARK}")
    assert v.page.url == f"{service.base}/map/{PARK}"
    v.page.wait_for_selector("html[data-plm-drawn]", state="attached", timeout=20000)
    v.page.wait_for_selector("html[data-plm-editor=ready]", state="attached", timeout=10000)


def test_an_editor_splits_a_parcel_and_an_approver_approves_it(
    people_service, visit, sample_db_url, shots
):
    v = visit(people_service)
    page = v.page
    _open_editor(v, people_service, EDITOR)

    # Select an open parcel with a click, after zooming to it.
    code, _holder, _x, _y = free_spot(page, open_parcels(sample_db_url, PARK))
    # (In braces: a Leaflet object returned to Python is serialized, seconds of work.)
    page.evaluate(
        "code => { plm.map.fitBounds(plm.index['parcels:' + code][0].sub.getBounds(),"
        " {padding: [260, 260], animate: false}); }",
        code,
    )
    code, _holder, x, y = free_spot(page, open_parcels(sample_db_url, PARK))
    page.mouse.click(x, y)
    page.wait_for_selector(f"html[data-plm-selected='{code}']", state="attached")

    # Draw a line across it (north to south, through its middle, well past its edges).
    parent = _parcel_4545(sample_db_url, code)
    minx, miny, maxx, maxy = parent.bounds
    middle = parent.centroid.x
    reach = (maxy - miny) * 0.25
    line = LineString([(middle, maxy + reach), (middle, miny - reach)])
    page.click("button[data-plm-ed-tool=split]")
    for east, north in line.coords:
        lon, lat = TO_LONLAT.transform(east, north)
        px, py = pixel(page, lon, lat)
        page.mouse.move(px, py)
        page.mouse.click(px, py)
        page.wait_for_timeout(200)  # a person's pace: quicker clicks make a double-click
    page.click(".plm-ed-form .plm-ed-finish")
    page.wait_for_selector("html[data-plm-ed-split]", state="attached", timeout=10000)

    # The preview: the parts add up to the parcel.
    areas = page.locator(".plm-ed-part-area").evaluate_all(
        "els => els.map(e => Number(e.getAttribute('data-area-m2')))"
    )
    expected = [g.area for g in shapely.get_parts(parent.difference(line.buffer(1e-6)))]
    assert len(areas) == len(expected) == 2
    assert sum(areas) == pytest.approx(parent.area, abs=TOLERANCE_M2)
    # Cut where it was drawn (to the pixel the clicks landed on).
    assert sorted(areas) == pytest.approx(sorted(expected), rel=0.02)
    page.click(".plm-ed-form .plm-ed-add")
    page.wait_for_selector("html[data-plm-dry-run=would_commit]", state="attached", timeout=15000)
    assert page.locator(".plm-ed-verdict").inner_text() == "可以提交"
    assert page.locator(".plm-ed-totals tbody tr").count() >= 2  # the city and the park
    shots(page, "map-editor-split.png")

    # Submit it for approval.
    page.fill(".plm-ed-reason", "厂区道路拓宽，分宗供地")
    page.fill(".plm-ed-docno", "宝政土批〔2026〕88号")
    page.click(".plm-ed-submit")
    page.wait_for_selector("html[data-plm-proposal]", state="attached", timeout=15000)
    proposal = page.get_attribute("html", "data-plm-proposal")
    assert page.locator(".plm-ed-proposal").get_attribute("href") == f"/proposals/{proposal}"
    assert page.get_attribute("html", "data-plm-draft") == "0"
    with page.expect_navigation():
        page.click(".plm-ed-logout button")
    assert "/login" in page.url

    # The approver approves it.
    _sign_in(page, people_service.base, APPROVER, f"/proposals/{proposal}")
    assert page.url.endswith(f"/proposals/{proposal}")
    page.click("#approve-button")
    page.wait_for_selector("#decided-by", timeout=15000)
    assert page.locator("#decided-by").inner_text() == APPROVER

    # The history: the parcel ended by the approved change set, which made the new
    # parcels; theirs names who proposed it and who approved it.
    def history(of: str) -> dict:
        return page.evaluate(
            "code => fetch('/api/parcels/' + encodeURIComponent(code) + '/history')"
            ".then(r => r.json())",
            of,
        )

    parent_history = history(code)
    children = parent_history["lineage"]["became"]
    assert sorted(c["parcel_code"] for c in children) == [f"{code}-1", f"{code}-2"]
    change_set = children[0]["change_set_id"]
    assert parent_history["versions"][-1]["ended_by_change_set"]["id"] == change_set
    made_by = history(f"{code}-1")["versions"][0]["change_set"]
    assert made_by["id"] == change_set and made_by["proposal_id"] == int(proposal)
    assert (made_by["proposed_by"], made_by["approved_by"]) == (EDITOR, APPROVER)
    with db(sample_db_url) as conn:
        made = conn.execute(
            "SELECT parcel_code, area_m2 FROM parcel_version WHERE valid_to IS NULL "
            "AND parcel_code LIKE %s ORDER BY parcel_code",
            (f"{code}-%",),
        ).fetchall()
    assert [c for c, _ in made] == [f"{code}-1", f"{code}-2"]
    assert sum(a for _, a in made) == pytest.approx(parent.area, abs=TOLERANCE_M2)
    assert v.problems() == []


def _smallest_manufacturing_parcel(url: str) -> tuple[str, float]:
    with db(url) as conn:
        return conn.execute(
            "SELECT v.parcel_code, v.area_m2 FROM parcel_version v "
            "JOIN land_use_class c ON c.code = v.land_use_code "
            "WHERE v.valid_to IS NULL AND v.park = %s AND c.is_manufacturing "
            "ORDER BY v.area_m2 LIMIT 1",
            (PARK,),
        ).fetchone()


def test_a_shrinking_draft_shows_the_refusal_and_its_candidates_before_submitting(
    people_service, visit, sample_db_url, shots
):
    v = visit(people_service)
    page = v.page
    _open_editor(v, people_service, EDITOR)
    code, area_m2 = _smallest_manufacturing_parcel(sample_db_url)

    # With the keyboard: find the parcel in the list, Enter selects it.
    page.fill(".plm-ed-filter", code)
    page.focus(".plm-ed-filter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('data-plm-code')") == code
    page.keyboard.press("Enter")
    page.wait_for_selector(f"html[data-plm-selected='{code}']", state="attached")
    page.focus("button[data-plm-ed-tool=rezone]")
    page.keyboard.press("Enter")
    page.select_option(".plm-ed-form select", "07")
    page.click(".plm-ed-form .plm-ed-add")
    page.wait_for_selector(
        "html[data-plm-dry-run=refused_by_rule]", state="attached", timeout=15000
    )

    assert page.locator(".plm-ed-verdict").inner_text() == "将被拒绝"
    shortfall = float(page.get_attribute(".plm-ed-shortfall", "data-shortfall-m2"))
    assert shortfall == pytest.approx(area_m2, abs=TOLERANCE_M2)
    listed = page.locator(".plm-ed-candidates li").evaluate_all(
        "els => els.map(e => e.getAttribute('data-plm-code'))"
    )
    assert 1 <= len(listed) <= 5
    with db(sample_db_url) as conn:
        rows = conn.execute(
            "SELECT v.parcel_code, v.area_m2, v.status, c.is_manufacturing "
            "FROM parcel_version v JOIN land_use_class c ON c.code = v.land_use_code "
            "WHERE v.valid_to IS NULL AND v.parcel_code = ANY(%s)",
            (listed,),
        ).fetchall()
    assert len(rows) == len(listed)
    for _code, area, status, manufacturing in rows:
        assert area >= shortfall - TOLERANCE_M2
        assert status in ("reserve", "ready") and not manufacturing
    # Nothing can be submitted while the rule would refuse it.
    page.fill(".plm-ed-reason", "试一试")
    page.fill(".plm-ed-docno", "测试〔2026〕1号")
    assert page.locator(".plm-ed-submit").is_disabled()
    shots(page, "map-editor-refusal.png")
    assert v.problems() == []

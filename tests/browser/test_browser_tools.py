"""The map's tools in a real browser: draw an area and see the land available in it, the
availability map, targets marked on the map, and large layers drawn from vector tiles."""

from __future__ import annotations

import json

import pytest
from browser_support import PARK, db, free_spot, open_parcels, pixel
from support_server import start_server, stop_server

pytestmark = pytest.mark.browser

AVAILABLE = ("reserve", "ready")  # the availability search's default statuses


def _covered_available(url: str, park: str, ring: list[list[float]]) -> set[str]:
    """Codes of the park's current reserve/ready parcels that lie inside the lon/lat
    *ring* (boundary included), computed here with PostGIS."""
    polygon = json.dumps({"type": "Polygon", "coordinates": [ring]})
    with db(url) as conn:
        rows = conn.execute(
            """
            SELECT parcel_code FROM parcel_version
             WHERE valid_to IS NULL AND park = %s AND status = ANY(%s)
               AND ST_CoveredBy(geom, ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON(%s), 4326),
                                                   ST_SRID(geom)))
            """,
            (park, list(AVAILABLE), polygon),
        ).fetchall()
    return {r[0] for r in rows}


def test_drawing_an_area_lists_the_land_available_in_it(service, visit, sample_db_url, shots):
    v = visit(service)
    v.open(f"/map/{PARK}")
    page = v.page
    corners = [(560, 260), (900, 260), (900, 560), (560, 560)]
    ring = page.evaluate(
        "(pts) => pts.map(p => plm.map.containerPointToLatLng(p)).map(ll => [ll.lng, ll.lat])",
        corners,
    )
    ring.append(ring[0])
    expected = _covered_available(sample_db_url, PARK, ring)
    assert 0 < len(expected) < 50  # inside the search's default limit, and not nothing
    page.locator(".leaflet-draw-draw-polygon").click()
    box = page.locator(".leaflet-container").bounding_box()
    for x, y in [*corners, corners[0]]:
        page.mouse.move(box["x"] + x, box["y"] + y)
        page.mouse.click(box["x"] + x, box["y"] + y)
        page.wait_for_timeout(150)  # a person's pace: quicker clicks make a double-click
    page.wait_for_selector("html[data-plm-draw-result]", state="attached", timeout=20000)
    listed = set(
        page.locator(".plm-draw-result tr[data-plm-code]").evaluate_all(
            "rows => rows.map(r => r.getAttribute('data-plm-code'))"
        )
    )
    assert listed == expected
    summary = page.locator(".plm-draw-summary").inner_text()
    assert summary.startswith(f"{len(expected)} ")
    assert page.locator(".leaflet-overlay-pane path.plm-candidate").count() == len(expected)
    assert v.problems() == []
    shots(page, "map-draw-query.png")


def test_availability_map_highlights_candidates_and_writes_the_criteria(
    service, visit, sample_db_url, shots
):
    with db(sample_db_url) as conn:
        n = conn.execute(
            "SELECT count(*) FROM parcel_version WHERE valid_to IS NULL AND park = %s"
            " AND status = ANY(%s) AND area_m2 >= 20 * 10000.0 / 15",
            (PARK, list(AVAILABLE)),
        ).fetchone()[0]
        roads = conn.execute(
            "SELECT count(*) FROM context_feature WHERE layer = 'roads' AND park = %s", (PARK,)
        ).fetchone()[0]
    assert n > 0 and roads > 0
    v = visit(service)
    v.open(f"/map/availability?park={PARK}&min_area_mu=20&limit=200")
    page = v.page
    assert page.locator(".leaflet-overlay-pane path.plm-candidate").count() == n
    criteria = page.locator(".plm-criteria").inner_text()
    assert "不小于 20 亩" in criteria and "at least 20 mu" in criteria
    ranks = page.locator(".plm-rank").all_inner_texts()
    assert sorted(int(r.lstrip("#")) for r in ranks) == list(range(1, n + 1))
    # Context layers switch on and off.
    roads_box = page.locator(".leaflet-control-layers-overlays label", has_text="Roads")
    assert page.locator("path.plm-context").count() == 0
    roads_box.locator("input").check()
    assert page.locator("path.plm-context").count() == roads
    roads_box.locator("input").uncheck()
    assert page.locator("path.plm-context").count() == 0
    assert v.problems() == []
    shots(page, "map-availability.png")


def test_a_park_that_misses_a_target_is_marked_and_its_popup_says_so(fresh_db_url, visit):
    with db(fresh_db_url) as conn:
        conn.execute(
            "SELECT admin_set_target(%s, 1e6, 0, 'test', 'a target the park misses')", (PARK,)
        )
        vacant = conn.execute(
            """
            SELECT sum(b.floor_area_m2 - coalesce(l.leased, 0))
              FROM factory_building b
              LEFT JOIN (SELECT building_code, sum(leased_m2) AS leased FROM lease
                          WHERE start_date <= current_date
                            AND (end_date IS NULL OR end_date >= current_date)
                          GROUP BY building_code) l USING (building_code)
             WHERE b.park = %s
            """,
            (PARK,),
        ).fetchone()[0]
    s = start_server(fresh_db_url)
    try:
        v = visit(s)
        v.open(f"/map/{PARK}")
        page = v.page
        assert "target missed" in page.locator(".plm-park-label").inner_text()
        outline = page.locator(".leaflet-overlay-pane path.plm-park").get_attribute("stroke")
        assert outline == "#c81e1e"
        assert "未达标" in page.locator(".plm-panel").inner_text()
        # The park's popup: vacant factory floor and the target status.
        edge = page.evaluate(
            "(() => { var ll; plm.layers.parks.eachLayer(l => { ll = l.getLatLngs()[0][0]; });"
            " return [(ll[0].lng + ll[1].lng) / 2, (ll[0].lat + ll[1].lat) / 2]; })()"
        )
        x, y = pixel(page, *edge)
        page.mouse.click(x, y)
        popup = page.locator(".leaflet-popup-content")
        popup.wait_for()
        text = popup.inner_text()
        assert "Vacant factory floor" in text and f"{vacant:,.1f} m²" in text
        assert "未达标" in text and "short" in text
        assert v.problems() == []
    finally:
        stop_server(s)


# --- vector tiles ------------------------------------------------------------------------


def _park_codes(url: str, park: str) -> list[str]:
    with db(url) as conn:
        return sorted(
            r[0]
            for r in conn.execute(
                "SELECT parcel_code FROM parcel_version WHERE valid_to IS NULL AND park = %s",
                (park,),
            )
        )


def test_large_layers_are_drawn_from_vector_tiles(tiled_service, visit, sample_db_url):
    v = visit(tiled_service)
    v.open(f"/map/{PARK}")
    page = v.page
    assert page.locator(".leaflet-overlay-pane path.plm-parcel").count() == 0
    assert page.locator(".leaflet-tile-container canvas").count() > 0
    assert page.evaluate("plm.drawnCodes('parcels_use')") == _park_codes(sample_db_url, PARK)
    tiles = [(u, s) for u, s in v.responses if "/tiles/parcels/" in u]
    assert tiles and all(s == 200 for _u, s in tiles)
    assert all(f"park={PARK}" in u for u, _s in tiles)
    v.settle()
    assert v.problems() == []


def test_a_tiled_parcel_opens_the_same_popup_on_click(tiled_service, visit, sample_db_url):
    v = visit(tiled_service)
    v.open(f"/map/{PARK}")
    code, _holder, x, y = free_spot(v.page, open_parcels(sample_db_url, PARK), tiled=True)
    v.page.mouse.click(x, y)
    popup = v.page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert code in popup.inner_text()
    assert popup.locator("a", has_text="History").get_attribute("href") == (
        f"/api/parcels/{code}/history"
    )
    assert v.problems() == []


def test_search_finds_a_tiled_parcel_through_the_service(tiled_service, visit, sample_db_url):
    v = visit(tiled_service)
    v.open(f"/map/{PARK}")
    code = open_parcels(sample_db_url, PARK)[3][0]
    v.page.locator(".leaflet-control-search input.search-input").press_sequentially(code)
    tip = v.page.locator(".search-tooltip .search-tip", has_text=code).first
    tip.wait_for()
    tip.click()
    popup = v.page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert code in popup.inner_text()
    assert any("/map/search?q=" in u for u, _s in v.responses)
    assert v.problems() == []

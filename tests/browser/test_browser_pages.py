"""The park and city maps in a real browser, with nothing but the service reachable: they
load without errors, draw every parcel, switch layers, open popups, find a parcel, measure
and switch language."""

from __future__ import annotations

import math
import re

import pytest
from browser_support import PARK, current_parcels, db, free_spot, open_parcels, paths

pytestmark = pytest.mark.browser


def test_park_map_loads_with_nothing_but_the_service_and_draws_every_parcel(
    service, visit, sample_db_url, shots
):
    v = visit(service)
    v.open(f"/map/{PARK}")
    expected = current_parcels(sample_db_url, PARK)
    assert expected > 100
    assert paths(v.page) == expected
    v.settle()
    assert v.problems() == []
    # Every script and stylesheet came from the service itself.
    assets = [u for u, _s in v.responses if u.endswith((".js", ".css"))]
    assert assets and all(u.startswith(service.base + "/static/") for u in assets)
    shots(v.page, "map-caijiapo.png")


def test_city_map_draws_the_parcels_of_every_park(service, visit, sample_db_url, shots):
    v = visit(service)
    v.open("/map")
    assert paths(v.page) == current_parcels(sample_db_url, None)
    labels = v.page.locator(".plm-park-label").all_inner_texts()
    assert len(labels) == 4
    assert any("蔡家坡经济技术开发区" in t for t in labels)
    v.settle()
    assert v.problems() == []
    shots(v.page, "map-city.png")


def test_parcel_layer_toggles_off_and_on(service, visit, sample_db_url):
    v = visit(service)
    v.open(f"/map/{PARK}")
    expected = current_parcels(sample_db_url, PARK)
    control = v.page.locator(
        ".leaflet-control-layers-overlays label", has_text="Parcels by land use"
    )
    checkbox = control.locator("input")
    assert checkbox.is_checked()
    checkbox.uncheck()
    assert paths(v.page) == 0
    checkbox.check()
    assert paths(v.page) == expected
    # The other view of the same parcels takes their place, and gives it back.
    status = v.page.locator(".leaflet-control-layers-overlays label", has_text="Parcels by status")
    status.locator("input").check()
    v.page.wait_for_function("!plm.map.hasLayer(plm.layers.parcels_use)")
    assert paths(v.page) == expected
    assert not checkbox.is_checked()
    assert v.problems() == []


def test_popup_opens_on_a_parcel_with_its_history_link(service, visit, sample_db_url):
    v = visit(service)
    v.open(f"/map/{PARK}")
    code, _holder, x, y = free_spot(v.page, open_parcels(sample_db_url, PARK))
    v.page.mouse.click(x, y)
    popup = v.page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert code in popup.inner_text()
    href = popup.locator("a", has_text="History").get_attribute("href")
    assert href == f"/api/parcels/{code}/history"
    history = v.page.request.get(service.base + href)
    assert history.status == 200
    assert v.problems() == []


def test_search_finds_a_parcel_by_code_and_opens_it(service, visit, sample_db_url):
    v = visit(service)
    v.open(f"/map/{PARK}")
    code = open_parcels(sample_db_url, PARK)[5][0]
    box = v.page.locator(".leaflet-control-search input.search-input")
    box.press_sequentially(code)
    tip = v.page.locator(".search-tooltip .search-tip", has_text=code).first
    tip.wait_for()
    tip.click()
    popup = v.page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert code in popup.inner_text()
    assert v.problems() == []


def test_search_finds_parcels_by_holder(service, visit, sample_db_url):
    v = visit(service)
    v.open(f"/map/{PARK}")
    holders = [h for _c, h, _x, _y in open_parcels(sample_db_url, PARK) if h]
    holder = holders[0]
    with db(sample_db_url) as conn:
        expected = {
            r[0]
            for r in conn.execute(
                "SELECT parcel_code FROM parcel_version WHERE valid_to IS NULL AND park = %s"
                " AND holder = %s",
                (PARK, holder),
            )
        }
    v.page.locator(".leaflet-control-search input.search-input").press_sequentially(holder)
    v.page.locator(".search-tooltip .search-tip").first.wait_for()
    tips = v.page.locator(".search-tooltip .search-tip").all_inner_texts()
    found = {t.split(" · ")[0] for t in tips}
    assert expected <= found or len(tips) == 15  # the list shows at most 15
    assert v.problems() == []


def test_language_switch_shows_one_language_at_a_time(service, visit):
    v = visit(service)
    v.open(f"/map/{PARK}")
    legend_zh = v.page.locator(".plm-legend .plm-zh").first
    legend_en = v.page.locator(".plm-legend .plm-en").first
    assert legend_zh.is_visible() and legend_en.is_visible()
    v.page.locator(".plm-lang [data-plm-lang-set=en]").click()
    assert not legend_zh.is_visible() and legend_en.is_visible()
    layer_label = v.page.locator(".leaflet-control-layers-overlays label").first.inner_text()
    assert not re.search(r"[\u4e00-\u9fff]", layer_label), layer_label
    v.page.locator(".plm-lang [data-plm-lang-set=zh]").click()
    assert legend_zh.is_visible() and not legend_en.is_visible()
    # The choice is kept for the next page.
    v.open("/map")
    assert v.page.locator("html").get_attribute("data-plm-lang") == "zh"
    assert v.problems() == []


def _metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance on a sphere of radius 6371008.8 m (haversine)."""
    r = 6371008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def test_measure_tool_measures_a_distance(service, visit):
    v = visit(service)
    v.open(f"/map/{PARK}")
    page = v.page
    page.locator(".leaflet-control-measure").hover()
    page.locator(".leaflet-control-measure .js-start").click()
    box = page.locator(".leaflet-container").bounding_box()
    a = (box["x"] + 600, box["y"] + 300)
    b = (box["x"] + 900, box["y"] + 500)
    for x, y in (a, b):
        page.mouse.move(x, y)
        page.mouse.click(x, y)
    ends = page.evaluate(
        "(() => [[600, 300], [900, 500]].map(p => plm.map.containerPointToLatLng(p))"
        ".map(ll => [ll.lng, ll.lat]))()"
    )
    expected = _metres(*ends[0], *ends[1])
    page.locator(".leaflet-control-measure").hover()
    text = page.locator(".leaflet-control-measure .js-results").inner_text()
    shown = float(re.search(r"([\d,]+(?:\.\d+)?) 米", text).group(1).replace(",", ""))
    assert shown == pytest.approx(expected, rel=0.01), text
    assert v.problems() == []

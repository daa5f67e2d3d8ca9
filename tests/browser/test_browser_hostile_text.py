"""Text from the data is shown as text on every page, never run as markup: hostile values
in every text field that reaches a page (a parcel's holder, building, project, park,
land-use class and context-layer names, a change set's reason, document number and
actor) show literally in the search results, popups, tooltips, legend, panels, the
project and audit pages and the map file ``parks map --out`` writes, and no script of
theirs runs (no dialog opens, no element of theirs is made)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import PARK, db
from support_roles import owner_url
from support_server import Server, start_server, stop_server

pytestmark = pytest.mark.browser

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "</script><script>alert(2)</script>"
SVG = '"><svg onload=alert(3)>'
JS = "javascript:alert(4)"
HOSTILE = (IMG, SCRIPT, SVG, JS)
#: The name of a context layer (a key that goes into attributes, selectors and URLs).
LAYER = 'x"><svg onload=alert(3)>'
ACTOR = SVG  # the editor's token name: the ledger and the refusals name it

# Elements a payload would make, and links that would run script, in *root* (an element
# or the document). Nothing is cloned: a cloned <img onerror> would load, and fire, itself.
_HOSTILE_NODES = """(root) => {
    const found = [];
    const all = [...(root.nodeType === 1 ? [root] : []), ...root.querySelectorAll('*')];
    for (const el of all) {
        const href = el.getAttribute('href') || el.getAttribute('xlink:href') || '';
        if ((el.localName === 'img' && el.getAttribute('src') === 'x')
                || el.hasAttribute('onerror') || el.hasAttribute('onload')
                || (el.localName === 'script' && /^alert\\(\\d\\)$/.test(el.textContent.trim()))
                || /^[\\s\\u0000-\\u001f]*javascript:/i.test(href)) {
            found.push(el.outerHTML.slice(0, 100));
        }
    }
    return found;
}"""
# Watches the page from its first byte, so that an element made and removed again (a
# search tip replaced by the next) is still seen.
_WATCH = (
    "window.__hostile = [];"
    f"const __scan = {_HOSTILE_NODES};"
    "new MutationObserver(records => { for (const r of records) { for (const n of r.addedNodes) {"
    " if (n.nodeType === 1) { window.__hostile.push(...__scan(n)); } } } })"
    ".observe(document, {childList: true, subtree: true});"
)


# --- the hostile data -------------------------------------------------------------------


def _post(service: Server, path: str, body: dict, token: str) -> tuple[int, dict]:
    request = urllib.request.Request(
        service.base + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def _token(url: str, *, name: str, role: str) -> str:
    from service.auth.tokens import create_token
    from service.db.engine import make_engine

    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        with engine.begin() as conn:
            return create_token(conn, name=name, role=role)
    finally:
        engine.dispose()


def _plant_rows(url: str) -> dict:
    """Hostile names written with SQL: the park, buildings and leases, a project, a
    land-use class and a new context layer, as the owner (the data the service only loads).
    Returns the codes the tests look at."""
    with db(owner_url(url)) as conn:
        conn.execute("UPDATE park SET name_zh = %s, name_en = %s WHERE code = %s", (IMG, SVG, PARK))
        buildings = [
            r[0]
            for r in conn.execute(
                "SELECT building_code FROM factory_building WHERE park = %s"
                " ORDER BY building_code LIMIT 4",
                (PARK,),
            )
        ]
        for code, value in zip(buildings, HOSTILE, strict=True):
            conn.execute(
                "UPDATE factory_building SET name = %s WHERE building_code = %s", (value, code)
            )
            conn.execute("UPDATE lease SET tenant = %s WHERE building_code = %s", (value, code))
        project = conn.execute(
            "SELECT project_code FROM project WHERE park = %s ORDER BY project_code LIMIT 1",
            (PARK,),
        ).fetchone()[0]
        milestones = [{"date": "2026-01-15", "name": SVG}, {"date": JS, "name": SCRIPT}]
        conn.execute(
            "UPDATE project SET name = %s, investor = %s, industry_chain = %s, milestones = %s"
            " WHERE project_code = %s",
            (IMG + " 项目", SCRIPT, SVG, json.dumps(milestones), project),
        )
        conn.execute(
            "UPDATE land_use_class SET name_zh = %s, name_en = %s WHERE code = '0601'", (IMG, SVG)
        )
        conn.execute(
            "INSERT INTO context_layer (name, title_zh, title_en) VALUES (%s, %s, %s)",
            (LAYER, IMG, SCRIPT),
        )
        conn.execute(
            "INSERT INTO context_feature (layer, park, name, kind, properties, geom)"
            " SELECT %s, park, %s, %s, '{}'::jsonb, geom FROM context_feature"
            " WHERE layer = 'roads' AND park = %s ORDER BY id LIMIT 2",
            (LAYER, JS, SVG, PARK),
        )
    return {"buildings": buildings, "project": project}


def _plant_change_sets(service: Server, url: str, project: str) -> dict:
    """Hostile holders, reason and document number through the API as an editor whose
    token has a hostile name; and a refused change set with hostile text."""
    with db(url) as conn:
        ready = [
            r[0]
            for r in conn.execute(
                """
                SELECT v.parcel_code FROM parcel_version v
                 WHERE v.valid_to IS NULL AND v.park = %s AND v.status IN ('reserve', 'ready')
                   AND NOT EXISTS (SELECT 1 FROM factory_building b
                                    WHERE b.parcel_code = v.parcel_code)
                   AND NOT EXISTS (SELECT 1 FROM project_parcel p
                                    WHERE p.parcel_code = v.parcel_code)
                 ORDER BY v.area_m2 DESC LIMIT 5
                """,
                (PARK,),
            )
        ]
        industrial = conn.execute(
            "SELECT parcel_code FROM parcel_version WHERE valid_to IS NULL AND park = %s"
            " AND land_use_code = '0601' ORDER BY area_m2 DESC LIMIT 1",
            (PARK,),
        ).fetchone()[0]
    token = _token(url, name=ACTOR, role="editor")
    holders = dict(zip(ready, HOSTILE, strict=False))
    operations = [
        {"op": "supply", "parcel_code": code, "holder": holder, "mode": "grant"}
        for code, holder in holders.items()
    ]
    # The fifth goes to the project, so its page lists a hostile holder too.
    operations.append(
        {
            "op": "supply",
            "parcel_code": ready[4],
            "holder": IMG,
            "mode": "lease",
            "project": project,
        }
    )
    status, body = _post(
        service,
        "/api/change-sets",
        {"kind": "supply", "reason": SCRIPT, "document_no": IMG, "operations": operations},
        token,
    )
    assert status == 201, body
    status, body = _post(
        service,
        "/api/change-sets",
        {
            "kind": "rezone",
            "reason": SVG,
            "document_no": JS,
            "operations": [{"op": "rezone", "parcel_code": industrial, "land_use_code": "0701"}],
        },
        token,
    )
    assert status == 409, body
    return {"holders": holders, "project_parcel": ready[4]}


@pytest.fixture(scope="module")
def hostile(sample_db_url: str) -> Iterator[dict]:
    """This module's copy of the sample with a hostile value in every text field that
    reaches a page, and the service on it: ``{"service", "url", "holders", ...}``."""
    rows = _plant_rows(sample_db_url)
    s = start_server(sample_db_url)
    try:
        planted = _plant_change_sets(s, sample_db_url, rows["project"])
        auditor = _token(sample_db_url, name="auditor", role="auditor")
        yield {"service": s, "url": sample_db_url, "auditor": auditor, **rows, **planted}
    finally:
        stop_server(s)


@pytest.fixture(scope="module")
def hostile_tiled(hostile: dict) -> Iterator[Server]:
    """The service on the same data with parcels, buildings and projects drawn from
    vector tiles, so that the search box asks the service."""
    s = start_server(hostile["url"], map_vector_tile_threshold="20")
    yield s
    stop_server(s)


# --- watching the page ------------------------------------------------------------------


@pytest.fixture
def watched(visit):
    """``watched(service)``: a :func:`visit` whose page records every dialog (and
    dismisses it) and every element a payload would make."""

    def _watched(service: Server):
        v = visit(service)
        v.dialogs = []

        def on_dialog(d) -> None:
            v.dialogs.append(d.message)
            d.dismiss()

        v.page.on("dialog", on_dialog)
        v.page.add_init_script(_WATCH)
        return v

    return _watched


def _assert_inert(v) -> None:
    """No dialog opened, no element or link of a payload is in the page or was ever
    added to it, and nothing went wrong."""
    v.page.wait_for_timeout(300)  # an image's error event, had one been made, fires by now
    assert v.dialogs == []
    assert v.page.evaluate(f"({_HOSTILE_NODES})(document)") == []
    assert v.page.evaluate("window.__hostile") == []
    assert v.problems() == []


def _open(v, path: str, *, wait_drawn: bool = True) -> None:
    """Open *path*; when the map never finishes drawing, say what went wrong."""
    try:
        v.open(path, wait_drawn=wait_drawn)
    except Exception as exc:
        raise AssertionError(f"{path} did not draw: {v.problems()}") from exc


def _search(page, word: str) -> list[str]:
    """Type *word* into the map's search box; the texts of the tips it lists."""
    box = page.locator(".leaflet-control-search input.search-input")
    box.fill("")
    box.press_sequentially(word)
    page.locator(".search-tooltip .search-tip").first.wait_for(timeout=10000)
    page.wait_for_timeout(400)  # the list is final once typing has paused
    return page.locator(".search-tooltip .search-tip").all_text_contents()


def _popup(page, script: str, arg: object = None) -> str:
    """Run *script* (which opens a popup) and return the popup's text. A script whose
    value is a Leaflet object wraps its call in braces: whatever it returns is serialized
    back to Python, seconds of work for a layer and its map."""
    page.evaluate(script, arg)
    popup = page.locator(".leaflet-popup-content").last  # the one before may be fading out
    popup.wait_for()
    return popup.text_content()


# --- the tests ----------------------------------------------------------------------------


def test_search_tips_show_hostile_holders_and_names_as_text(hostile, watched):
    v = watched(hostile["service"])
    _open(v, f"/map/{PARK}")
    holders = hostile["holders"]
    for word, value in (("img", IMG), ("svg", SVG), ("script", SCRIPT), ("javascript", JS)):
        tips = _search(v.page, word)
        expected = {f"{code} · {h}" for code, h in holders.items() if h == value}
        assert expected <= set(tips), (word, tips)
    # A project's name is searched too.
    assert f"{IMG} 项目 · {hostile['project']}" in _search(v.page, "img")
    # Choosing a tip opens the parcel's popup, the holder in it as text.
    code = next(c for c, h in holders.items() if h == IMG)
    _search(v.page, "img")
    v.page.locator(".search-tooltip .search-tip", has_text=code).first.click()
    popup = v.page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert IMG in popup.text_content()
    _assert_inert(v)


def test_search_through_the_service_shows_hostile_titles_as_text(hostile, hostile_tiled, watched):
    holders = hostile["holders"]
    for path in ("/map", f"/map/{PARK}"):
        v = watched(hostile_tiled)
        _open(v, path)
        for word, value in (("img", IMG), ("svg", SVG), ("script", SCRIPT), ("javascript", JS)):
            tips = _search(v.page, word)
            expected = {f"{code} · {h}" for code, h in holders.items() if h == value}
            assert expected <= set(tips), (path, word, tips)
        assert any("/map/search?q=" in u for u, _s in v.responses)
        # The tip opens the popup of the tiled parcel, the holder in it as text.
        code = next(c for c, h in holders.items() if h == SVG)
        _search(v.page, "svg")
        v.page.locator(".search-tooltip .search-tip", has_text=code).first.click()
        popup = v.page.locator(".leaflet-popup-content", has_text=code)
        popup.wait_for()
        assert SVG in popup.text_content()
        _assert_inert(v)


def test_popups_tooltips_legend_and_panels_show_hostile_text_literally(hostile, watched):
    v = watched(hostile["service"])
    _open(v, f"/map/{PARK}")
    page = v.page
    # Title box, key figures and the park's label: the park's names.
    assert IMG in page.locator(".plm-title").text_content()
    label = page.locator(".plm-park-label").text_content()
    assert IMG in label and SVG in label
    # Parcels: the holder (and the class names) in the popup.
    for code, holder in hostile["holders"].items():
        text = _popup(page, "code => plm.focus({kind: 'parcel', code: code})", code)
        assert holder in text and code in text
    # Buildings: the name in the popup and the tooltip.
    for code, name in zip(hostile["buildings"], HOSTILE, strict=True):
        text = _popup(page, "code => { plm.index['buildings:' + code][0].sub.openPopup(); }", code)
        assert name in text
        page.evaluate("code => { plm.index['buildings:' + code][0].sub.openTooltip(); }", code)
        tip = page.locator(".leaflet-tooltip.plm-tooltip").last
        assert tip.text_content() == f"{code} {name}"
    # The project: name, investor, industry chain, latest milestone; its tooltip.
    project = hostile["project"]
    text = _popup(page, "code => plm.focus({kind: 'project', code: code})", project)
    for value in (IMG + " 项目", SCRIPT, SVG, f"{JS} {SCRIPT}"):
        assert value in text, value
    link = page.locator(".leaflet-popup-content a", has_text="Project page")
    assert link.get_attribute("href") == f"/map/projects/{project}"
    # The park's popup.
    text = _popup(page, "code => { plm.index['parks:' + code][0].sub.openPopup(); }", PARK)
    assert IMG in text and SVG in text
    # The context layer: its title in the layer control and the legend, its features'
    # names and kinds in their popups.
    overlays = page.locator(".leaflet-control-layers-overlays")
    assert IMG in overlays.text_content() and SCRIPT in overlays.text_content()
    legend = page.locator(".plm-legend")
    assert IMG in legend.text_content() and SCRIPT in legend.text_content()
    assert SVG in legend.text_content()  # the name of class 0601
    overlays.locator("label", has_text=SCRIPT).locator("input").check()
    section = page.evaluate(
        "key => [...document.querySelectorAll('[data-plm-section]')]"
        ".filter(s => s.getAttribute('data-plm-section') === key).map(s => s.className)",
        f"context:{LAYER}",
    )
    assert section == [""]  # its legend section is there, and on with its layer
    text = _popup(
        page,
        "key => { var subs = []; plm.layers[key].eachLayer(s => subs.push(s));"
        " subs[0].openPopup(); }",
        f"context:{LAYER}",
    )
    assert JS in text and SVG in text and SCRIPT in text
    _assert_inert(v)


def test_city_map_shows_hostile_park_names_as_text(hostile, watched):
    v = watched(hostile["service"])
    _open(v, "/map")
    page = v.page
    row = page.locator(f'.plm-park-table tr[data-plm-park="{PARK}"]')
    assert IMG in row.text_content() and SVG in row.text_content()
    chip = page.locator(f'.plm-title button[data-plm-park="{PARK}"]')
    assert IMG in chip.text_content()
    assert any(IMG in t for t in page.locator(".plm-park-label").all_text_contents())
    _assert_inert(v)


def test_availability_map_writes_a_hostile_park_name_in_its_criteria_as_text(hostile, watched):
    v = watched(hostile["service"])
    query = urllib.parse.urlencode({"park": PARK, "near": "roads:5000"})
    _open(v, f"/map/availability?{query}")
    criteria = v.page.locator(".plm-criteria").text_content()
    assert IMG in criteria and SVG in criteria  # the park's names
    assert IMG in v.page.title()
    _assert_inert(v)


def test_map_file_written_by_the_cli_shows_hostile_text_literally(hostile, browser, tmp_path: Path):
    out = tmp_path / "map.html"
    env = {**os.environ, "DATABASE_URL": hostile["url"]}
    parks = Path(sys.executable).with_name("parks")
    subprocess.run([str(parks), "map", "--park", PARK, "--out", str(out)], check=True, env=env)
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        page = context.new_page()
        dialogs: list[str] = []
        errors: list[str] = []
        refused: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.route(
            "**/*",
            lambda r: (
                r.continue_()
                if r.request.url.startswith(("file:", "data:"))
                else (refused.append(r.request.url), r.abort())
            ),
        )
        page.add_init_script(_WATCH)
        page.goto(out.as_uri())
        page.wait_for_selector("html[data-plm-drawn]", state="attached", timeout=20000)
        for word, value in (("img", IMG), ("svg", SVG), ("script", SCRIPT), ("javascript", JS)):
            tips = _search(page, word)
            expected = {f"{c} · {h}" for c, h in hostile["holders"].items() if h == value}
            assert expected <= set(tips), (word, tips)
        code = next(c for c, h in hostile["holders"].items() if h == SCRIPT)
        text = _popup(page, "code => plm.focus({kind: 'parcel', code: code})", code)
        assert SCRIPT in text
        page.wait_for_timeout(300)
        assert dialogs == []
        assert page.evaluate(f"({_HOSTILE_NODES})(document)") == []
        assert page.evaluate("window.__hostile") == []
        assert errors == [] and refused == []
    finally:
        context.close()


def test_project_page_shows_hostile_values_as_text(hostile, watched):
    v = watched(hostile["service"])
    project = hostile["project"]
    _open(v, f"/map/projects/{project}", wait_drawn=False)
    page = v.page
    body = page.locator("body").text_content()
    for value in (IMG + " 项目", SCRIPT, SVG, JS, IMG):
        assert value in body, value
    assert page.title().startswith(IMG)
    row = page.locator("tr", has_text=hostile["project_parcel"])
    assert IMG in row.text_content()  # the holder of its parcel
    _assert_inert(v)


def test_audit_page_shows_hostile_change_sets_as_text(hostile, watched):
    v = watched(hostile["service"])
    # As an auditor: the refusals name their actor to auditors.
    v.page.set_extra_http_headers({"Authorization": f"Bearer {hostile['auditor']}"})
    _open(v, "/audit", wait_drawn=False)
    page = v.page
    ledger = page.locator("section", has_text="Recent ledger rows")
    row = ledger.locator("tr", has_text=IMG)
    assert row.count() == 1 and ACTOR in row.text_content()  # document number and actor
    refused = page.locator("section", has_text="Refused change sets")
    assert ACTOR in refused.text_content()
    _assert_inert(v)

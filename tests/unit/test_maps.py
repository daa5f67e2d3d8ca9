"""The park map's HTML: what it carries, that everything it loads is local, how it styles
the land, and what it switches to for large layers."""

from __future__ import annotations

import json
import re
from pathlib import Path

import folium
import pytest

from maps.builder import (
    LAYER_NAMES,
    MANUFACTURING_OUTLINE,
    PARCEL_STATUSES,
    ContextLayer,
    MapOptionError,
    MissingAsset,
    Tiles,
    build_park_map,
    land_use_colour,
    render_html,
    tianditu_url,
    vacancy_colour,
)
from maps.elements import Data, PlmLayer, Setup, script_json
from maps.style import LAYER_TITLES, PARK_MISSED_OUTLINE, hatch_colour, hatch_id

REPO = Path(__file__).resolve().parents[2]
STATIC = REPO / "web" / "static"
CDN_HOSTS = (
    "cdn.jsdelivr.net",
    "cdnjs.cloudflare.com",
    "unpkg.com",
    "code.jquery.com",
    "bootstrapcdn.com",
    "googleapis.com",
)
M2_PER_MU = 10000 / 15

CLASSES = [
    {"code": "0601", "name_zh": "工业用地", "name_en": "Industrial land", "is_manufacturing": True},
    {"code": "0604", "name_zh": "仓储用地", "name_en": "Storage land", "is_manufacturing": False},
    {"code": "0701", "name_zh": "城镇住宅用地", "name_en": "Urban residential land"},
    {
        "code": "1001",
        "name_zh": "工业用地",
        "name_en": "Industrial (2023)",
        "is_manufacturing": True,
    },
]


def _square(lon: float, lat: float, size: float = 0.004) -> dict:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def _fc(*features: dict) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


def _feature(geometry: dict | None, **props: object) -> dict:
    return {"type": "Feature", "geometry": geometry, "properties": props}


def _parcel(code: str, lon: float, lat: float, use: str, *, mfg: bool, **extra: object) -> dict:
    props = {
        "parcel_code": code,
        "park": "caijiapo",
        "land_use_code": use,
        "land_use_name": "工业用地" if mfg else "仓储用地",
        "land_use_name_en": "Industrial land" if mfg else "Storage land",
        "is_manufacturing": mfg,
        "status": "operating",
        "holder": None,
        "area_m2": 160000.0,
        "area_mu": 240.0,
        "area_ha": 16.0,
        "valid_from": "2026-01-01T00:00:00+00:00",
        "change_set_id": 7,
    }
    props.update(extra)
    return _feature(_square(lon, lat), **props)


PARKS = _fc(
    _feature(
        _square(107.585, 34.310, 0.02),
        code="caijiapo",
        name_zh="蔡家坡经济技术开发区",
        name_en="Caijiapo EDZ",
        area_m2=4_000_000.0,
        parcels=3,
        manufacturing_m2=320_000.0,
    ),
    _feature(
        _square(107.260, 34.360, 0.02),
        code="jiangtan",
        name_zh="姜谭经济技术开发区",
        name_en="Jiangtan EDZ",
        area_m2=4_000_000.0,
        parcels=0,
        manufacturing_m2=0.0,
    ),
)


def _inputs(**overrides: object) -> dict:
    parcels = _fc(
        _parcel("CJP-001", 107.590, 34.315, "0601", mfg=True),
        _parcel("CJP-002", 107.594, 34.315, "0604", mfg=False, status="ready"),
        # A later standard's industrial class: the flag, not the code, makes it manufacturing.
        _parcel("CJP-003", 107.598, 34.315, "1001", mfg=True, status="idle"),
    )
    buildings = _fc(
        _feature(
            _square(107.5905, 34.3155, 0.001),
            building_code="CJP-B01",
            park="caijiapo",
            parcel_code="CJP-001",
            name="1号标准化厂房",
            storeys=4,
            floor_area_m2=12000.0,
            leased_m2=12000.0,
            vacant_m2=0.0,
        ),
    )
    projects = _fc(
        _feature(
            {"type": "MultiPolygon", "coordinates": [_square(107.590, 34.315)["coordinates"]]},
            project_code="XM-001",
            name="新能源重卡车桥项目",
            park="caijiapo",
            investor="汉德车桥",
            industry_chain="汽车及零部件",
            investment_yi=25.0,
            status="under_construction",
            parcel_codes=["CJP-001"],
        ),
        _feature(None, project_code="XM-NOSITE", name="无用地项目", status="planned"),
    )
    args: dict = {
        "title_zh": "宝鸡市工业园区用地台账",
        "title_en": "Baoji industrial parks land ledger",
        "parks": PARKS,
        "parcels": parcels,
        "buildings": buildings,
        "projects": projects,
        "land_use_classes": CLASSES,
    }
    args.update(overrides)
    return args


def _children(m: folium.Map, cls: type) -> list:
    return [c for c in m._children.values() if isinstance(c, cls)]


def _layer(m: folium.Map, key: str) -> PlmLayer:
    (layer,) = [c for c in _children(m, PlmLayer) if c.key == key]
    return layer


def _config(m: folium.Map) -> dict:
    (setup,) = _children(m, Setup)
    return setup.config


@pytest.fixture(scope="module")
def built() -> tuple[folium.Map, str]:
    m = build_park_map(**_inputs())
    return m, render_html(m)


# --- offline: everything from the service ---------------------------------------------------


def _asset_urls(page: str) -> list[str]:
    return re.findall(r'<script src="([^"]+)"', page) + re.findall(
        r'<link rel="stylesheet" href="([^"]+)"', page
    )


def test_page_loads_nothing_from_a_cdn(built: tuple[folium.Map, str]) -> None:
    _, page = built
    for host in CDN_HOSTS:
        assert host not in page
    assert not re.search(r'<script[^>]+src="(https?:)?//', page)
    assert not re.search(r'<link[^>]+href="(https?:)?//', page)
    for unused in ("jquery", "bootstrap", "awesome-markers", "fontawesome"):
        assert unused not in page.lower()


def test_every_script_and_stylesheet_is_a_file_the_service_serves(
    built: tuple[folium.Map, str],
) -> None:
    _, page = built
    urls = _asset_urls(page)
    # Leaflet, fullscreen, measure, draw, search, and the page's own script and style.
    assert len(urls) == 12, urls
    for url in urls:
        assert url.startswith("/static/"), url
        assert (STATIC / url.removeprefix("/static/")).is_file(), f"{url}: run vendor-web.sh"


def test_every_image_the_stylesheets_use_is_there(built: tuple[folium.Map, str]) -> None:
    _, page = built
    for url in _asset_urls(page):
        if not url.endswith(".css"):
            continue
        css_path = STATIC / url.removeprefix("/static/")
        for ref in re.findall(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)""", css_path.read_text()):
            if ref.startswith(("data:", "#")):
                continue
            assert (css_path.parent / ref).resolve().is_file(), f"{url} needs {ref}"


def test_page_asks_for_no_favicon(built: tuple[folium.Map, str]) -> None:
    _, page = built
    assert '<link rel="icon" href="data:,">' in page


def test_vector_grid_loads_only_when_a_layer_is_tiled(built: tuple[folium.Map, str]) -> None:
    _, page = built
    assert "Leaflet.VectorGrid" not in page
    tiled = render_html(
        build_park_map(**_inputs(parcels=Tiles("/tiles/parcels/{z}/{x}/{y}.pbf", "parcels")))
    )
    assert (
        '<script src="/static/vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js">'
        in tiled
    )


def test_assets_load_from_the_bases_given() -> None:
    page = render_html(
        build_park_map(**_inputs(asset_base="/parks/assets/", app_base="/parks/app"))
    )
    assert '<script src="/parks/assets/leaflet/leaflet.js"></script>' in page
    assert '<script src="/parks/app/plm.js"></script>' in page
    assert "/static/" not in page


def test_an_asset_base_that_is_not_a_plain_path_is_refused() -> None:
    with pytest.raises(MapOptionError):
        build_park_map(**_inputs(asset_base='/x"><script>'))


def _fake_static(root: Path) -> tuple[Path, Path]:
    vendor, app = root / "vendor", root / "map"
    for url in _asset_urls(render_html(build_park_map(**_inputs()))):
        rel = url.removeprefix("/static/")
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if url.endswith(".css"):
            path.write_text(".x { background-image: url(img/x.png); }\n.y { behavior: url(#a); }\n")
            (path.parent / "img").mkdir(exist_ok=True)
            (path.parent / "img" / "x.png").write_bytes(b"\x89PNG\r\n\x1a\nfake")
        else:
            path.write_text(f"/* {rel} */ window.X = '</script>';\n//# sourceMappingURL=x.map\n")
    return vendor, app


def test_inline_assets_put_every_file_in_the_page(tmp_path: Path) -> None:
    vendor, app = _fake_static(tmp_path)
    page = render_html(build_park_map(**_inputs()), inline_assets_from=vendor, inline_app_from=app)
    assert "/* vendor/leaflet/leaflet.js */ window.X = '<\\/script>';" in page
    assert "/* map/plm.js */" in page
    assert "sourceMappingURL" not in page
    assert "/static/" not in page
    assert not re.search(r'<(script|link)[^>]+(src|href)="(?!data:)', page)
    assert 'url("data:image/png;base64,' in page
    assert "url(#a)" in page


def test_inline_assets_from_the_vendored_libraries() -> None:
    vendor = STATIC / "vendor"
    assert (vendor / "leaflet" / "leaflet.js").is_file(), "run scripts/vendor-web.sh"
    page = render_html(build_park_map(**_inputs()), inline_assets_from=vendor)
    assert "Leaflet 1.9.4" in page
    assert "PLM.create" in page and "Plm.prototype.popup" in page
    assert not re.search(r'(src|href)="/static/', page)
    assert not re.search(r'<(script|link)[^>]+(src|href)="(?!data:)', page)


def test_inline_assets_missing_from_the_folder_are_reported(tmp_path: Path) -> None:
    with pytest.raises(MissingAsset, match="vendor-web.sh"):
        render_html(build_park_map(**_inputs()), inline_assets_from=tmp_path)


# --- basemaps ---------------------------------------------------------------------------------


def test_basemap_none_has_no_tile_layer(built: tuple[folium.Map, str]) -> None:
    m, page = built
    assert "L.tileLayer" not in page
    assert not _children(m, folium.TileLayer)


def test_basemap_osm_adds_openstreetmap_tiles() -> None:
    page = render_html(build_park_map(**_inputs(basemap="osm")))
    assert "tile.openstreetmap.org/{z}/{x}/{y}.png" in page


def test_basemap_custom_uses_the_tile_url_given() -> None:
    url = "/tiles/vec/{z}/{x}/{y}.png"
    page = render_html(build_park_map(**_inputs(basemap="custom", tile_url=url)))
    assert "L.tileLayer" in page
    assert json.dumps(url) in page


def test_tianditu_url_carries_the_layer_and_key() -> None:
    url = tianditu_url("abc123", layer="img")
    assert url.startswith("https://t{s}.tianditu.gov.cn/img_w/wmts?")
    assert "LAYER=img" in url and url.endswith("tk=abc123")
    assert all(p in url for p in ("TILEMATRIX={z}", "TILEROW={y}", "TILECOL={x}"))
    labels = tianditu_url("abc123", layer="vec", labels=True)
    assert "/cva_w/" in labels and "LAYER=cva" in labels


def test_basemap_tianditu_draws_its_labels_above_its_tiles() -> None:
    base, labels = tianditu_url("k1", layer="vec"), tianditu_url("k1", layer="vec", labels=True)
    m = build_park_map(**_inputs(basemap="tianditu", tile_url=base, label_url=labels))
    tiles = _children(m, folium.TileLayer)
    assert [t.tiles for t in tiles] == [base, labels]
    assert tiles[0].options["subdomains"] == "01234567"


@pytest.mark.parametrize("key", ["", "abc def", "k&tk=x"])
def test_tianditu_needs_a_plain_key(key: str) -> None:
    with pytest.raises(MapOptionError):
        tianditu_url(key)


@pytest.mark.parametrize(
    ("basemap", "tile_url"),
    [
        ("custom", None),
        ("tianditu", None),
        ("custom", "/tiles/vec.png"),
        ("none", "/tiles/{z}/{x}/{y}.png"),
        ("google", None),
    ],
)
def test_basemap_that_cannot_be_honoured_is_refused(basemap: str, tile_url: str | None) -> None:
    with pytest.raises(MapOptionError):
        build_park_map(**_inputs(basemap=basemap, tile_url=tile_url))


# --- layers -----------------------------------------------------------------------------------


def test_layer_control_names_every_layer_in_both_languages(built: tuple[folium.Map, str]) -> None:
    _, page = built
    control = page[page.index("overlays :") : page.index("L.control.layers(")]
    for key in ("parks", "parcels_use", "parcels_status", "buildings", "projects"):
        zh, en = LAYER_TITLES[key]
        name = f'<span class="plm-zh">{zh}</span> <span class="plm-en">{en}</span>'
        assert json.dumps(name).replace("<", "\\u003c").replace(">", "\\u003e") in control, key
    assert set(LAYER_NAMES) >= {"parks", "parcels_use", "parcels_status"}


def test_parcels_are_embedded_once_for_both_views(built: tuple[folium.Map, str]) -> None:
    m, _page = built
    use, status = _layer(m, "parcels_use"), _layer(m, "parcels_status")
    assert use.data is status.data
    assert [f["id"] for f in use.data.data["features"]] == ["CJP-001", "CJP-002", "CJP-003"]
    parcel_data = [d for d in _children(m, Data) if d is use.data]
    assert len(parcel_data) == 1


def test_status_view_is_off_at_first(built: tuple[folium.Map, str]) -> None:
    m, page = built
    assert f"{_layer(m, 'parcels_use').get_name()}.addTo(" in page
    assert f"{_layer(m, 'parcels_status').get_name()}.addTo(" not in page


def test_embedded_parcels_keep_only_what_the_map_shows(built: tuple[folium.Map, str]) -> None:
    m, _page = built
    props = _layer(m, "parcels_use").data.data["features"][0]["properties"]
    assert "valid_from" not in props and "change_set_id" not in props and "area_mu" not in props
    assert props["parcel_code"] == "CJP-001" and props["area_m2"] == 160000.0


def test_a_tiled_layer_embeds_no_features_and_names_its_tiles() -> None:
    url = "/tiles/parcels/{z}/{x}/{y}.pbf?park=caijiapo"
    m = build_park_map(**_inputs(parcels=Tiles(url, "parcels", 100_000)))
    for key in ("parcels_use", "parcels_status"):
        layer = _layer(m, key)
        assert layer.data is None and layer.tiled
        assert layer.spec["tiles"] == {"url": url, "layer": "parcels"}
    page = render_html(m)
    assert "CJP-002" not in page and "CJP-003" not in page
    # The title still counts the parcels, from the parks' figures.
    assert "<b>3</b>" in page


def test_context_layers_are_offered_switched_off() -> None:
    roads = _fc(
        _feature(
            {"type": "LineString", "coordinates": [[107.59, 34.31], [107.6, 34.32]]},
            name="经一路",
            kind="main",
            park="caijiapo",
            layer="roads",
        )
    )
    m = build_park_map(**_inputs(context=[ContextLayer("roads", "道路", "Roads", roads)]))
    layer = _layer(m, "context:roads")
    assert not layer.show and layer.spec["view"] == "roads"
    page = render_html(m)
    assert "经一路" in page
    assert 'data-plm-section="context:roads"' in page


def test_projects_without_a_site_are_left_out(built: tuple[folium.Map, str]) -> None:
    m, _page = built
    assert [f["id"] for f in _layer(m, "projects").data.data["features"]] == ["XM-001"]


def test_coordinates_are_rounded_to_six_decimals() -> None:
    inputs = _inputs()
    inputs["parcels"]["features"][0]["geometry"] = _square(107.123456789, 34.987654321)
    m = build_park_map(**inputs)
    ring = _layer(m, "parcels_use").data.data["features"][0]["geometry"]["coordinates"][0]
    assert ring[0] == [107.123457, 34.987654]


def test_empty_collections_still_make_a_map_with_every_layer() -> None:
    empty = _fc()
    m = build_park_map(
        **_inputs(parks=empty, parcels=empty, buildings=empty, projects=empty, land_use_classes=[])
    )
    page = render_html(m)
    for key in ("parks", "parcels_use", "parcels_status", "buildings", "projects"):
        layer = _layer(m, key)
        assert layer.data.data["features"] == []
    assert "L.control.layers(" in page


# --- colours (one source: the config plm.js draws with) ----------------------------------------


def test_config_colours_every_class_like_the_legend(built: tuple[folium.Map, str]) -> None:
    m, _page = built
    colours = _config(m)["colours"]
    assert colours["landUse"] == {c["code"]: land_use_colour(c["code"]) for c in CLASSES}
    assert colours["status"] == {k: v[2] for k, v in PARCEL_STATUSES.items()}
    assert colours["mfgOutline"] == MANUFACTURING_OUTLINE
    assert colours["parkMissed"] == PARK_MISSED_OUTLINE


def test_manufacturing_is_decided_by_the_flag_not_the_code(built: tuple[folium.Map, str]) -> None:
    m, _page = built
    assert _config(m)["manufacturing"] == ["0601", "1001"]


def test_every_manufacturing_colour_has_a_hatch_pattern(built: tuple[folium.Map, str]) -> None:
    m, page = built
    hatches = _config(m)["hatches"]
    for code in ("0601", "1001"):
        colour = land_use_colour(code)
        assert hatches[colour] == [hatch_colour(colour), hatch_id(colour)]
        assert f'<pattern id="{hatch_id(colour)}"' in page
    assert land_use_colour("0604") not in hatches


def test_land_use_colours_follow_the_class() -> None:
    assert land_use_colour("0601") != land_use_colour("0604")
    assert land_use_colour("0505") == land_use_colour("05")
    assert land_use_colour("0810") != land_use_colour("0801")
    assert land_use_colour("9999") == land_use_colour("9999")
    assert land_use_colour("9999").startswith("#")


def test_buildings_are_coloured_from_full_green_to_empty_red() -> None:
    assert vacancy_colour(0.0) == "#1a9641"
    assert vacancy_colour(1.0) == "#d7191c"
    assert vacancy_colour(None) != vacancy_colour(0.0)


# --- title, legend, key figures ---------------------------------------------------------------


def test_title_box_carries_both_titles(built: tuple[folium.Map, str]) -> None:
    _, page = built
    assert '<h1 class="plm-zh">宝鸡市工业园区用地台账</h1>' in page
    assert '<h2 class="plm-en">Baoji industrial parks land ledger</h2>' in page


def test_legend_lists_every_class_given(built: tuple[folium.Map, str]) -> None:
    _, page = built
    legend = re.search(r'<template id="[^"]+_legend">(.*?)</template>', page, re.S)
    assert legend
    for c in CLASSES:
        for text in (c["code"], c["name_zh"], c["name_en"]):
            assert text in legend.group(1), text
    for zh, en, _colour in PARCEL_STATUSES.values():
        assert zh in legend.group(1) and en in legend.group(1)
    assert "制造业用地" in legend.group(1) and "Manufacturing land" in legend.group(1)


def _figures(target: dict | None) -> dict:
    park = {
        "park": "caijiapo",
        "name_zh": "蔡家坡经济技术开发区",
        "name_en": "Caijiapo EDZ",
        "manufacturing_m2": 5_780_000.0,
        "reserve_m2": 1_729_000.0,
        "ready_m2": 1_183_333.0,
        "factory_buildings": 34,
        "factory_floor_m2": 156_780.0,
        "factory_vacant_m2": 53_729.0,
        "projects_by_status": {"planned": 1, "operating": 2},
        "target": target,
    }
    return {"city": None, "parks": [park]}


def _panel(page: str) -> str:
    found = re.search(r'<template id="[^"]+_panel">(.*?)</template>', page, re.S)
    assert found
    return found.group(1)


def test_key_figures_show_the_park_in_mu_and_m2() -> None:
    parks = _fc(PARKS["features"][0])
    page = render_html(build_park_map(**_inputs(parks=parks, figures=_figures(None))))
    panel = _panel(page)
    assert f"<b>{5_780_000 / M2_PER_MU:,.1f}</b> 亩" in panel  # manufacturing land
    assert f"<b>{1_729_000 / M2_PER_MU:,.1f}</b> 亩" in panel  # reserve
    assert "<b>53,729</b> m²" in panel and "156,780 m²" in panel and "(34%)" in panel
    assert "no target set" in panel


def test_a_missed_target_is_marked_in_panel_and_config() -> None:
    target = {
        "target_set": True,
        "met": False,
        "reserve_met": False,
        "floor_met": True,
        "min_reserve_mu": 5000.0,
        "actual_reserve_mu": 4361.0,
        "reserve_short_mu": 639.0,
        "min_vacant_floor_m2": 0.0,
        "actual_vacant_floor_m2": 53729.0,
        "floor_short_m2": 0.0,
    }
    parks = _fc(PARKS["features"][0])
    m = build_park_map(**_inputs(parks=parks, figures=_figures(target)))
    panel = _panel(render_html(m))
    assert "plm-missed" in panel and "639.0 亩" in panel
    assert _config(m)["figures"]["caijiapo"]["target"]["met"] is False


def test_availability_criteria_are_written_in_the_title_box() -> None:
    page = render_html(
        build_park_map(
            **_inputs(
                candidates=_fc(),
                criteria_lines=[("面积：不小于 20 亩", "Area: at least 20 mu")],
            )
        )
    )
    assert "面积：不小于 20 亩" in page and "Area: at least 20 mu" in page
    assert 'data-plm-section="candidates"' in page


# --- escaping -------------------------------------------------------------------------------


def test_data_cannot_end_the_script_it_is_written_into() -> None:
    inputs = _inputs()
    inputs["parcels"]["features"][0]["properties"]["holder"] = (
        "</script><img src=x onerror=alert(1)>"
    )
    page = render_html(build_park_map(**inputs))
    assert "<img src=x" not in page
    assert "\\u003c/script\\u003e\\u003cimg src=x onerror=alert(1)\\u003e" in page


def test_script_json_keeps_chinese_and_escapes_markup() -> None:
    text = script_json({"a": "宝鸡 <b>&'"})
    assert "宝鸡" in text
    assert json.loads(text) == {"a": "宝鸡 <b>&'"}
    assert not re.search(r"[<>&']", text)


def test_titles_from_data_are_escaped() -> None:
    page = render_html(build_park_map(**_inputs(title_zh="<b>园区</b>", title_en="A & B")))
    assert "&lt;b&gt;园区&lt;/b&gt;" in page and "A &amp; B" in page


IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "</script><script>alert(2)</script>"
SVG = '"><svg onload=alert(3)>'
#: What a payload left unescaped would leave in the page.
MARKUP = ("<img src=x", "<script>alert", "<svg onload")


def _hostile_inputs() -> dict:
    """Map inputs with a hostile value in every text field that comes from the data."""
    inputs = _inputs()
    for i, feature in enumerate(inputs["parcels"]["features"]):
        feature["properties"]["holder"] = (IMG, SCRIPT, SVG)[i]
    inputs["buildings"]["features"][0]["properties"]["name"] = SCRIPT
    project = inputs["projects"]["features"][0]["properties"]
    project.update(name=IMG, investor=SCRIPT, industry_chain=SVG)
    project["milestones"] = [{"date": SVG, "name": IMG}]
    park = dict(PARKS["features"][0], properties=dict(PARKS["features"][0]["properties"]))
    park["properties"].update(name_zh=IMG, name_en=SVG)
    inputs["parks"] = _fc(park)
    inputs["land_use_classes"] = [dict(c, name_zh=IMG, name_en=SCRIPT) for c in CLASSES]
    figures = _figures(None)
    figures["parks"][0].update(name_zh=IMG, name_en=SVG)
    figures["city"] = dict(figures["parks"][0], park="city")
    inputs["figures"] = figures
    road = _feature(
        {"type": "LineString", "coordinates": [[107.59, 34.31], [107.6, 34.32]]},
        name=IMG,
        kind=SVG,
        park="caijiapo",
        layer=SVG,
    )
    inputs["context"] = [ContextLayer(SVG, IMG, SCRIPT, _fc(road))]
    inputs["candidates"] = _fc()
    inputs["criteria_lines"] = [(f"园区：{IMG}", f"Park: {SVG}")]
    inputs.update(title_zh=IMG, title_en=SCRIPT)
    return inputs


def test_text_from_the_data_never_becomes_markup_in_the_map_page() -> None:
    page = render_html(build_park_map(**_hostile_inputs()))
    for markup in MARKUP:
        assert markup not in page
    # Shown as text: escaped in the HTML, \u003c-escaped in the script's data.
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in page


def test_context_layer_name_in_a_legend_attribute_is_text_not_markup() -> None:
    page = render_html(build_park_map(**_hostile_inputs()))
    assert 'data-plm-section="context:&quot;&gt;&lt;svg onload=alert(3)&gt;"' in page


def test_holder_in_popup_data_is_text_not_markup() -> None:
    # Popups are built in plm.js from the embedded data, which must keep the holder a
    # JSON string that no "</script>" in it can end.
    m = build_park_map(**_hostile_inputs())
    page = render_html(m)
    holders = [f["properties"]["holder"] for f in _layer(m, "parcels_use").data.data["features"]]
    assert holders == [IMG, SCRIPT, SVG]
    assert "\\u003c/script\\u003e\\u003cscript\\u003ealert(2)\\u003c/script\\u003e" in page

"""The park map: what its HTML carries, that it needs no CDN, and how it styles the land."""

from __future__ import annotations

import json
import re
from pathlib import Path

import folium
import pytest

from gis.maps import (
    LAYER_NAMES,
    MANUFACTURING_OUTLINE,
    MANUFACTURING_WEIGHT,
    PARCEL_STATUSES,
    MapOptionError,
    MissingAsset,
    build_park_map,
    land_use_colour,
    render_html,
    vacancy_colour,
)

REPO = Path(__file__).resolve().parents[2]
CDN_HOSTS = (
    "cdn.jsdelivr.net",
    "cdnjs.cloudflare.com",
    "unpkg.com",
    "code.jquery.com",
    "bootstrapcdn.com",
    "googleapis.com",
)

CLASSES = [
    {"code": "0601", "name_zh": "工业用地", "name_en": "Industrial land", "is_manufacturing": True},
    {"code": "0604", "name_zh": "仓储用地", "name_en": "Storage land", "is_manufacturing": False},
    {"code": "0701", "name_zh": "城镇住宅用地", "name_en": "Urban residential land"},
    {"code": "0810", "name_zh": "公园与绿地", "name_en": "Park and green space"},
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
    }
    props.update(extra)
    return _feature(_square(lon, lat), **props)


def _inputs(**overrides: object) -> dict:
    parks = _fc(
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
        _feature(
            _square(107.5925, 34.3155, 0.001),
            building_code="CJP-B02",
            park="caijiapo",
            parcel_code="CJP-001",
            name="2号标准化厂房",
            storeys=4,
            floor_area_m2=12000.0,
            leased_m2=0.0,
            vacant_m2=12000.0,
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
        "parks": parks,
        "parcels": parcels,
        "buildings": buildings,
        "projects": projects,
        "land_use_classes": CLASSES,
    }
    args.update(overrides)
    return args


def _layer(m: folium.Map, key: str) -> folium.GeoJson:
    (layer,) = [
        child
        for child in m._children.values()
        if isinstance(child, folium.GeoJson) and child.layer_name == LAYER_NAMES[key]
    ]
    return layer


def _styles(page: str, layer: folium.GeoJson) -> dict[str, dict]:
    """The style the page gives each feature id of *layer* (``"*"``: everything else)."""
    body = re.search(
        rf"function {layer.get_name()}_styler\(feature\) \{{\s*switch\(feature\.id\) \{{(.*?)"
        r"default:\s*return (\{.*?\});",
        page,
        re.S,
    )
    assert body, f"no style function for {layer.layer_name}"
    styles = {"*": json.loads(body.group(2))}
    for ids, style in re.findall(r'((?:case "[^"]*": )+)\s*return (\{.*?\});', body.group(1)):
        for fid in re.findall(r'case "([^"]*)":', ids):
            styles[fid] = json.loads(style)
    return styles


def _style_of(styles: dict[str, dict], fid: str) -> dict:
    return styles.get(fid, styles["*"])


@pytest.fixture(scope="module")
def built() -> tuple[folium.Map, str]:
    m = build_park_map(**_inputs())
    return m, render_html(m)


def test_map_names_every_park_in_chinese_and_english(built: tuple[folium.Map, str]) -> None:
    _, page = built
    for name in ("蔡家坡经济技术开发区", "Caijiapo EDZ", "姜谭经济技术开发区", "Jiangtan EDZ"):
        assert name in page


def test_layer_control_carries_every_layer_name(built: tuple[folium.Map, str]) -> None:
    _, page = built
    control = page[page.index("overlays :") : page.index("L.control.layers(")]
    for name in LAYER_NAMES.values():
        assert json.dumps(name) in control, name


def test_page_loads_nothing_from_a_cdn(built: tuple[folium.Map, str]) -> None:
    _, page = built
    for host in CDN_HOSTS:
        assert host not in page
    assert not re.search(r'<script[^>]+src="(https?:)?//', page)
    assert not re.search(r'<link[^>]+href="(https?:)?//', page)
    for unused in ("jquery", "bootstrap", "awesome-markers", "fontawesome"):
        assert unused not in page.lower()


def test_page_loads_leaflet_from_static_vendor_by_default(built: tuple[folium.Map, str]) -> None:
    _, page = built
    assert '<script src="/static/vendor/leaflet/leaflet.js"></script>' in page
    assert '<link rel="stylesheet" href="/static/vendor/leaflet/leaflet.css"/>' in page


def test_page_loads_leaflet_from_the_asset_base_given() -> None:
    page = render_html(build_park_map(**_inputs(asset_base="/parks/assets/")))
    assert '<script src="/parks/assets/leaflet/leaflet.js"></script>' in page
    assert "/static/vendor" not in page


def _fake_vendor(root: Path) -> Path:
    leaflet = root / "leaflet"
    (leaflet / "images").mkdir(parents=True)
    (leaflet / "leaflet.js").write_text(
        "/* fake leaflet */ window.FAKE_LEAFLET = '</script>';\n"
        "//# sourceMappingURL=leaflet.js.map\n"
    )
    (leaflet / "leaflet.css").write_text(
        ".leaflet-control-layers-toggle { background-image: url(images/layers.png); }\n"
        ".leaflet-vml-shape { behavior: url(#default#VML); }\n"
    )
    (leaflet / "images" / "layers.png").write_bytes(b"\x89PNG\r\n\x1a\nfake")
    return root


def test_inline_assets_put_leaflet_in_the_page_and_leave_no_vendor_url(tmp_path: Path) -> None:
    m = build_park_map(**_inputs())
    page = render_html(m, inline_assets_from=_fake_vendor(tmp_path))
    assert "/* fake leaflet */ window.FAKE_LEAFLET = '<\\/script>';" in page
    assert "sourceMappingURL" not in page
    assert "/static/vendor" not in page
    assert "<script src=" not in page
    assert 'url("data:image/png;base64,' in page
    assert "url(#default#VML)" in page


def test_inline_assets_from_the_vendored_leaflet() -> None:
    vendor = REPO / "web" / "static" / "vendor"
    # `make test` vendors the assets first (make install runs scripts/vendor-web.sh).
    assert (vendor / "leaflet" / "leaflet.js").is_file(), "run scripts/vendor-web.sh"
    page = render_html(build_park_map(**_inputs()), inline_assets_from=vendor)
    assert "Leaflet 1.9.4" in page
    assert "/static/vendor" not in page
    assert not re.search(r'<(script|link)[^>]+(src|href)="', page)


def test_inline_assets_missing_from_the_folder_are_reported(tmp_path: Path) -> None:
    with pytest.raises(MissingAsset, match="vendor-web.sh"):
        render_html(build_park_map(**_inputs()), inline_assets_from=tmp_path)


def test_basemap_none_has_no_tile_layer(built: tuple[folium.Map, str]) -> None:
    m, page = built
    assert "L.tileLayer" not in page
    assert not any(isinstance(c, folium.TileLayer) for c in m._children.values())


def test_basemap_osm_adds_openstreetmap_tiles() -> None:
    page = render_html(build_park_map(**_inputs(basemap="osm")))
    assert "L.tileLayer" in page
    assert "tile.openstreetmap.org/{z}/{x}/{y}.png" in page


def test_basemap_custom_uses_the_tile_url_given() -> None:
    url = "/tiles/vec/{z}/{x}/{y}.png"
    page = render_html(build_park_map(**_inputs(basemap="custom", tile_url=url)))
    assert "L.tileLayer" in page
    assert json.dumps(url) in page


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


def test_manufacturing_parcels_get_the_manufacturing_style(built: tuple[folium.Map, str]) -> None:
    m, page = built
    styles = _styles(page, _layer(m, "parcels_use"))
    for fid in ("CJP-001", "CJP-003"):  # 0601, and 1001 flagged as manufacturing
        style = _style_of(styles, fid)
        assert style["fillColor"].startswith("url(#plm-hatch-"), fid
        assert style["color"] == MANUFACTURING_OUTLINE
        assert style["weight"] == MANUFACTURING_WEIGHT
        pattern_id = style["fillColor"][len("url(#") : -1]
        assert f'<pattern id="{pattern_id}"' in page
    plain = _style_of(styles, "CJP-002")
    assert plain["fillColor"] == land_use_colour("0604")
    assert plain["weight"] < MANUFACTURING_WEIGHT
    assert plain["color"] != MANUFACTURING_OUTLINE


def test_status_layer_is_off_at_first_and_coloured_by_status(
    built: tuple[folium.Map, str],
) -> None:
    m, page = built
    status = _layer(m, "parcels_status")
    assert f"{status.get_name()}.addTo(" not in page
    assert f"{_layer(m, 'parcels_use').get_name()}.addTo(" in page
    styles = _styles(page, status)
    assert _style_of(styles, "CJP-002")["fillColor"] == PARCEL_STATUSES["ready"][2]
    assert _style_of(styles, "CJP-003")["fillColor"] == PARCEL_STATUSES["idle"][2]
    # Manufacturing land keeps its outline in the status view too.
    assert _style_of(styles, "CJP-003")["color"] == MANUFACTURING_OUTLINE


def test_buildings_are_coloured_from_full_green_to_empty_red(
    built: tuple[folium.Map, str],
) -> None:
    m, page = built
    styles = _styles(page, _layer(m, "buildings"))
    assert _style_of(styles, "CJP-B01")["fillColor"] == vacancy_colour(0.0)
    assert _style_of(styles, "CJP-B02")["fillColor"] == vacancy_colour(1.0)
    assert vacancy_colour(0.0) != vacancy_colour(1.0)


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


def test_title_box_carries_both_titles(built: tuple[folium.Map, str]) -> None:
    _, page = built
    assert "<h1>宝鸡市工业园区用地台账</h1>" in page
    assert "<h2>Baoji industrial parks land ledger</h2>" in page


def test_projects_without_a_site_are_left_out(built: tuple[folium.Map, str]) -> None:
    m, _ = built
    ids = [f["id"] for f in _layer(m, "projects").data["features"]]
    assert ids == ["XM-001"]


def test_popup_text_is_escaped() -> None:
    inputs = _inputs()
    inputs["parcels"]["features"][0]["properties"]["holder"] = "<img src=x onerror=alert(1)>"
    page = render_html(build_park_map(**inputs))
    assert "<img src=x" not in page
    assert "\\u0026lt;img src=x onerror=alert(1)\\u0026gt;" in page


def test_coordinates_are_rounded_to_six_decimals() -> None:
    inputs = _inputs()
    inputs["parcels"]["features"][0]["geometry"] = _square(107.123456789, 34.987654321)
    m = build_park_map(**inputs)
    ring = _layer(m, "parcels_use").data["features"][0]["geometry"]["coordinates"][0]
    assert ring[0] == [107.123457, 34.987654]


def test_land_use_colours_follow_the_class() -> None:
    assert land_use_colour("0601") != land_use_colour("0604")
    assert land_use_colour("0505") == land_use_colour("05")
    assert land_use_colour("0810") != land_use_colour("0801")
    assert land_use_colour("9999") == land_use_colour("9999")
    assert land_use_colour("9999").startswith("#")


def test_empty_collections_still_make_a_map_with_every_layer() -> None:
    empty = _fc()
    m = build_park_map(
        **_inputs(parks=empty, parcels=empty, buildings=empty, projects=empty, land_use_classes=[])
    )
    page = render_html(m)
    for key in LAYER_NAMES:
        assert _layer(m, key).data["features"] == []
    assert "L.control.layers(" in page

"""No database: the park map's land-supervision layers — 闲置土地 Idle land (parcels by
idle stage: warning amber, idle ≥ 1 year orange-red, ≥ 2 years dark red) and 亩均效益
Grade (parcels by their holder's grade, A green … D red) — are offered switched off,
embedded with only what their popups show, named in both languages in the layer control
and explained in the legend; a map without them is the map it was."""

from __future__ import annotations

import json

import folium

from maps.assets import render_html
from maps.builder import build_park_map
from maps.elements import PlmLayer, Setup
from maps.style import GRADE_COLOURS, IDLE_STAGE_COLOURS, LAYER_TITLES

SQUARE = [[[107.59, 34.31], [107.594, 34.31], [107.594, 34.314], [107.59, 34.314], [107.59, 34.31]]]
PARKS = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "geometry": {"type": "Polygon", "coordinates": SQUARE},
            "properties": {"code": "caijiapo", "name_zh": "蔡家坡", "name_en": "Caijiapo"},
        }
    ],
}


def _fc(**props) -> dict:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": SQUARE},
                "properties": props,
            }
        ],
    }


IDLE = _fc(
    parcel_code="CJP-001",
    park="caijiapo",
    holder="甲公司",
    contract_no="C-1",
    stage="idle_1y",
    clock="no_start",
    days_on_clock=400,
    fee_wan=120.5,
    price_wan=602.5,  # not shown: left out of the page
)
GRADES = _fc(parcel_code="CJP-001", park="caijiapo", holder="甲公司", grade="D", score=23.5)


def _build(**layers) -> folium.Map:
    empty = {"type": "FeatureCollection", "features": []}
    return build_park_map(
        title_zh="蔡家坡",
        title_en="Caijiapo",
        parks=PARKS,
        parcels=empty,
        buildings=empty,
        projects=empty,
        land_use_classes=[],
        **layers,
    )


def _layers(m: folium.Map) -> dict[str, PlmLayer]:
    return {c.key: c for c in m._children.values() if isinstance(c, PlmLayer)}


def test_the_idle_land_and_grade_layers_are_offered_switched_off():
    m = _build(idle=IDLE, grades=GRADES)
    layers = _layers(m)
    assert layers["idle"].show is False and layers["grades"].show is False
    assert layers["idle"].spec["kind"] == "idle" and layers["grades"].spec["kind"] == "grades"
    page = render_html(m)
    for key in ("idle", "grades"):
        assert f"{layers[key].get_name()}.addTo(" not in page
    assert LAYER_TITLES["idle"] == ("闲置土地", "Idle land")
    assert LAYER_TITLES["grades"] == ("亩均效益", "Grade")


def test_the_layer_control_and_the_legend_name_both_layers_in_both_languages():
    page = render_html(_build(idle=IDLE, grades=GRADES))
    control = page[page.index("overlays :") : page.index("L.control.layers(")]
    for key in ("idle", "grades"):
        zh, en = LAYER_TITLES[key]
        name = f'<span class="plm-zh">{zh}</span> <span class="plm-en">{en}</span>'
        assert json.dumps(name).replace("<", "\\u003c").replace(">", "\\u003e") in control
        assert f'data-plm-section="{key}"' in page
    for words in ("预警", "闲置满一年", "闲置满两年", "A类 优先发展", "D类 整治淘汰"):
        assert words in page, words


def test_the_stages_and_grades_have_their_colours_in_the_pages_config():
    m = _build(idle=IDLE, grades=GRADES)
    (setup,) = [c for c in m._children.values() if isinstance(c, Setup)]
    colours = setup.config["colours"]
    assert colours["idle"] == IDLE_STAGE_COLOURS
    assert set(IDLE_STAGE_COLOURS) == {"warning", "idle_1y", "idle_2y"}
    assert colours["grades"] == GRADE_COLOURS and list(GRADE_COLOURS) == ["A", "B", "C", "D"]
    assert len(set(IDLE_STAGE_COLOURS.values())) == 3 and len(set(GRADE_COLOURS.values())) == 4
    assert setup.config["names"]["idleStage"]["idle_2y"] == ["闲置满两年", "Idle ≥ 2 years"]


def test_an_embedded_layer_keeps_only_what_its_popup_shows():
    layers = _layers(_build(idle=IDLE, grades=GRADES))
    idle = layers["idle"].data.data["features"][0]
    assert idle["id"] == "CJP-001" and idle["properties"]["stage"] == "idle_1y"
    assert "price_wan" not in idle["properties"]
    assert layers["grades"].data.data["features"][0]["properties"]["grade"] == "D"


def test_a_map_without_them_has_neither_layer_nor_legend():
    page = render_html(_build())
    assert not {"idle", "grades"} & set(_layers(_build()))
    assert 'data-plm-section="idle"' not in page and 'data-plm-section="grades"' not in page

"""No database: the park map's land-supervision layers — 闲置土地 Idle land (parcels by
idle stage: warning amber, idle ≥ 1 year orange-red, ≥ 2 years dark red) and 亩均效益
Grade (parcels by their holder's grade, A green … D red) — are offered switched off,
named in both languages in the layer control and explained in the legend. A served map
carries only their URLs (the page fetches a layer when it is first switched on) and
builds nothing for them; a file that works without the service embeds them with only
what their popups show. A parcel with several contracts is drawn once, in its most
severe stage. A map without them is the map it was."""

from __future__ import annotations

import json
from datetime import date

import folium
import pytest

from maps.assets import render_html
from maps.builder import Fetched, build_park_map
from maps.elements import Data, PlmLayer, Setup
from maps.errors import MapOptionError
from maps.style import GRADE_COLOURS, IDLE_STAGE_COLOURS, LAYER_TITLES
from service.maps.supervision_layers import one_feature_per_parcel, supervision_layers

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


def _data_count(m: folium.Map) -> int:
    return sum(isinstance(c, Data) for c in m._children.values())


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


# --- served maps: the layers are fetched, not embedded ---------------------------------------

IDLE_URL = "/api/supervision/idle?format=geojson&per=parcel&park=caijiapo"
GRADES_URL = "/api/evaluation?format=geojson&park=caijiapo"


def test_a_served_map_carries_the_layers_urls_and_none_of_their_features():
    m = _build(idle=Fetched(IDLE_URL), grades=Fetched(GRADES_URL))
    layers = _layers(m)
    (setup,) = [c for c in m._children.values() if isinstance(c, Setup)]
    assert setup.config["fetched"] == {"idle": IDLE_URL, "grades": GRADES_URL}
    for key in ("idle", "grades"):
        assert layers[key].data is None and layers[key].spec["tiles"] is None
        assert layers[key].show is False and layers[key].spec["kind"] == key
    # nothing written into the page for them: the same data as a map without them
    assert _data_count(m) == _data_count(_build())
    page = render_html(m)
    # still offered and explained like the embedded ones
    for key in ("idle", "grades"):
        assert f'data-plm-section="{key}"' in page
        assert f"{layers[key].get_name()}.addTo(" not in page
    for words in ("预警", "闲置满两年", "A类 优先发展", "D类 整治淘汰"):
        assert words in page, words


def test_an_embedded_map_names_no_url_to_fetch():
    (setup,) = [
        c for c in _build(idle=IDLE, grades=GRADES)._children.values() if isinstance(c, Setup)
    ]
    assert setup.config["fetched"] == {}


@pytest.mark.parametrize(
    "url", ["https://elsewhere.example/api", "//elsewhere.example/api", "/\\elsewhere", "api/x"]
)
def test_a_fetched_layer_must_come_from_the_service_itself(url):
    with pytest.raises(MapOptionError):
        Fetched(url)


class _NoDatabase:
    """A connection that fails the test if anything asks it anything."""

    def __getattr__(self, name):
        raise AssertionError(f"the served map asked the database ({name})")


@pytest.mark.parametrize(
    ("park", "query"), [("caijiapo", "&park=caijiapo"), (None, ""), ("a&b", "&park=a%26b")]
)
def test_a_served_map_builds_neither_layer_only_their_urls(park, query):
    layers = supervision_layers(
        _NoDatabase(), park=park, today=date(2026, 10, 31), zone="Asia/Shanghai", embed=False
    )
    assert layers == {
        "idle": Fetched(f"/api/supervision/idle?format=geojson&per=parcel{query}"),
        "grades": Fetched(f"/api/evaluation?format=geojson{query}"),
    }


# --- one feature per parcel: its most severe stage ---------------------------------------------


def _contract(no: str, parcel: str, stage: str, days: int, *, geometry=True) -> dict:
    return {
        "type": "Feature",
        "id": no,
        "geometry": {"type": "Polygon", "coordinates": SQUARE} if geometry else None,
        "properties": {
            "contract_no": no,
            "parcel_code": parcel,
            "stage": stage,
            "days_on_clock": days,
        },
    }


def test_a_parcel_with_several_contracts_is_drawn_once_in_its_most_severe_stage():
    fc = {
        "type": "FeatureCollection",
        "as_of": "2026-10-31",
        "counts": {"warning": 3, "idle_1y": 2, "idle_2y": 1},
        "numberReturned": 6,
        # listed in no helpful order: the rule must not lean on the list's order
        "features": [
            _contract("C-1", "P-1", "warning", 300),
            _contract("C-2", "P-1", "idle_2y", 800),
            _contract("C-3", "P-1", "idle_1y", 500),
            _contract("C-4", "P-2", "idle_1y", 400),
            _contract("C-5", "P-2", "idle_1y", 450),  # the longer clock of the same stage
            _contract("C-6", "P-3", "warning", 280, geometry=False),  # no longer stands
        ],
    }
    out = one_feature_per_parcel(fc)
    chosen = {f["id"]: f["properties"]["contract_no"] for f in out["features"]}
    assert chosen == {"P-1": "C-2", "P-2": "C-5"}
    assert out["numberReturned"] == 2
    assert all(f["properties"]["as_of"] == "2026-10-31" for f in out["features"])
    # the summaries stay those of every contract
    assert out["counts"] == fc["counts"] and out["type"] == "FeatureCollection"


def test_equal_contracts_of_a_parcel_keep_the_first_listed():
    fc = {
        "as_of": "2026-10-31",
        "features": [
            _contract("C-1", "P-1", "idle_1y", 400),
            _contract("C-2", "P-1", "idle_1y", 400),
        ],
    }
    (feature,) = one_feature_per_parcel(fc)["features"]
    assert feature["properties"]["contract_no"] == "C-1"

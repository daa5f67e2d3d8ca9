"""No database: the desktop-GIS documents (GL style, SLD, QGIS project) repeat the web map's
look and nothing else — the page script's own outlines and widths are held here to
``maps.style`` and ``maps.layer_looks`` — and what goes into a QGIS data source or an XML
document comes out as it went in."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import parse_qsl

from maps.gl_style import land_use_colour_expression, land_use_style
from maps.layer_looks import (
    BUILDING_FILL_OPACITY,
    BUILDING_STROKE,
    MANUFACTURING_FILL_OPACITY,
    OVERVIEW_FILL_OPACITY,
    PARCEL_FILL_OPACITY,
    PARCEL_STROKE,
    PARK,
    PROJECT_DASH_PX,
    PROJECT_FILL_OPACITY,
    PROJECT_WIDTH_PX,
    ContextLayerInfo,
    context_look,
    land_use_entries,
)
from maps.qgis_project import ProjectSpec, qgis_project, tiles_source, uri_value
from maps.qgis_symbols import qgis_colour
from maps.style import (
    BUILDING_OUTLINE,
    NO_DATA_COLOUR,
    PARCEL_OUTLINE,
    land_use_colour,
)
from maps.xml_text import xml_text

PLM_JS = (Path(__file__).resolve().parents[2] / "web" / "static" / "map" / "plm.js").read_text(
    encoding="utf-8"
)
CLASSES = [
    {"code": "0501", "name_zh": "零售商业用地", "name_en": "Retail", "is_manufacturing": False},
    {"code": "0505", "name_zh": "商务金融用地", "name_en": "Business", "is_manufacturing": False},
    {"code": "0601", "name_zh": "工业用地", "name_en": "Industrial", "is_manufacturing": True},
]


def test_the_page_script_draws_the_outlines_and_opacities_the_desktop_styles_repeat():
    def has(fragment: str) -> bool:
        return fragment in PLM_JS

    stroke = PARCEL_STROKE
    assert has(
        f'{{color: "{PARCEL_OUTLINE}", weight: {stroke.width_px:g}, opacity: {stroke.opacity}}}'
    )
    assert has(
        f'fillOpacity: {BUILDING_FILL_OPACITY}, color: "{BUILDING_OUTLINE}", '
        f"weight: {BUILDING_STROKE.width_px:g}"
    )
    assert has(f"fillOpacity: mfg ? {MANUFACTURING_FILL_OPACITY} : {PARCEL_FILL_OPACITY}")
    assert has(f"fillOpacity: {OVERVIEW_FILL_OPACITY},")
    assert has(f"weight: {PROJECT_WIDTH_PX:g}, opacity: 1, fill: true, fillColor: s[0], ")
    assert has(f"fillOpacity: {PROJECT_FILL_OPACITY},")
    assert has(f'dashArray: s[1] ? "{" ".join(f"{d:g}" for d in PROJECT_DASH_PX)}" : null')
    park_dash = " ".join(f"{d:g}" for d in PARK.stroke.dash_px)
    assert has(f'opacity: {PARK.stroke.opacity}, dashArray: "{park_dash}"')


def test_classes_of_one_colour_share_a_match_branch_with_array_labels():
    expression = land_use_colour_expression(land_use_entries(CLASSES))
    assert expression[:2] == ["match", ["get", "land_use_code"]]
    assert expression[2:] == [
        ["0501", "0505"],
        land_use_colour("0501"),
        ["0601"],
        land_use_colour("0601"),
        NO_DATA_COLOUR,
    ]
    assert land_use_colour_expression([]) == NO_DATA_COLOUR  # a match needs a branch


def test_a_context_layer_looks_as_its_leaflet_path_style_says():
    rail = context_look("rail")  # {"color": "#111827", "weight": 3, "dashArray": "8 5", ...}
    assert (rail.stroke.colour, rail.stroke.width_px, rail.stroke.dash_px) == (
        "#111827",
        3.0,
        (8.0, 5.0),
    )
    assert rail.fill is None
    style = land_use_style(
        tiles=lambda layer: f"http://h/tiles/{layer}/{{z}}/{{x}}/{{y}}.pbf",
        land_use=land_use_entries(CLASSES),
        context=[ContextLayerInfo("rail", "铁路", "Rail", frozenset({"LineString"}))],
        minzoom=0,
        maxzoom=22,
    )
    [line] = [layer for layer in style["layers"] if layer["id"] == "context-rail-linestring-line"]
    assert line["paint"]["line-dasharray"] == [round(8 / 3, 3), round(5 / 3, 3)]  # in widths
    assert line["filter"] == ["==", "$type", "LineString"]


def test_a_data_source_value_comes_back_as_it_went_in():
    value = "http://h/it's \\ here"
    quoted = uri_value(value)
    found = re.fullmatch(r"'((?:[^'\\]|\\.)*)'", quoted)
    assert found and re.sub(r"\\(.)", r"\1", found.group(1)) == value


def test_a_vector_tile_source_is_percent_encoded_as_qgis_writes_it():
    source = tiles_source(
        "http://h:1/a b", "河流 & co", zmin=0, zmax=22, style_url="http://h/s?f=mapbox&x=1"
    )
    assert source.startswith("type=xyz&url=http://h:1/a%20b/tiles/")
    assert "%7Bz%7D/%7Bx%7D/%7By%7D.pbf" in source
    params = dict(parse_qsl(source))
    assert params["url"] == "http://h:1/a b/tiles/%E6%B2%B3%E6%B5%81%20%26%20co/{z}/{x}/{y}.pbf"
    assert params["styleUrl"] == "http://h/s?f=mapbox&x=1"
    assert (params["zmin"], params["zmax"]) == ("0", "22")


def test_colours_and_text_are_written_as_qgis_and_xml_need_them():
    assert qgis_colour("#8e4a1f", 0.9) == "142,74,31,230"
    assert xml_text("a\x00b\x1fc\td\ue000") == "a\ufffdb\ufffdc\td\ue000"


def test_a_project_of_an_empty_database_is_still_a_project():
    body = qgis_project(ProjectSpec(base_url="http://h", crs_epsg=4545, extent=(0, 0, 1, 1)))
    root = ET.fromstring(body.split(b"\n", 1)[1])
    assert root.findtext("projectCrs/spatialrefsys/authid") == "EPSG:4545"
    parcels = [m for m in root.iter("maplayer") if "'parcels'" in m.findtext("datasource")]
    [category] = parcels[0].findall("renderer-v2/categories/category")
    assert category.get("value") == ""  # every parcel, whatever its class

"""QGIS symbols as the XML of a QGIS 3.22 project (``<symbol>`` with its ``<layer>``s), made
from :mod:`maps.layer_looks`: a fill (solid, outlined, and hatched with a line-pattern
fill for manufacturing land), a line, a circle marker. Widths and dashes are in pixels,
as the web map draws them. Each symbol layer's properties are written twice, as QGIS
3.22 itself writes them: as an ``<Option type="Map">`` and as the older ``<prop>``s."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from maps.layer_looks import (
    HATCH_ANGLE_DEG,
    HATCH_SPACING_PX,
    HATCH_WIDTH_PX,
    POINT_RADIUS_PX,
    Look,
    Stroke,
)

PIXEL = "Pixel"
NO_SCALE = "3x:0,0,0,0,0,0"


def qgis_colour(colour: str, opacity: float = 1.0) -> str:
    """``#rrggbb`` and an opacity as QGIS writes a colour: ``r,g,b,a`` (0..255)."""
    rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    return ",".join(str(v) for v in [*rgb, round(max(0.0, min(opacity, 1.0)) * 255)])


def _empty_properties(parent: ET.Element) -> None:
    """An empty collection of data-defined properties (what QGIS writes when none is set)."""
    options = ET.SubElement(ET.SubElement(parent, "data_defined_properties"), "Option")
    options.set("type", "Map")
    ET.SubElement(options, "Option", name="name", type="QString", value="")
    ET.SubElement(options, "Option", name="properties")
    ET.SubElement(options, "Option", name="type", type="QString", value="collection")


def _symbol_layer(parent: ET.Element, cls: str, props: dict[str, str]) -> ET.Element:
    layer = ET.SubElement(parent, "layer", {"class": cls, "enabled": "1", "locked": "0"})
    layer.set("pass", "0")
    options = ET.SubElement(layer, "Option", type="Map")
    for key in sorted(props):
        ET.SubElement(options, "Option", name=key, type="QString", value=props[key])
    for key in sorted(props):
        ET.SubElement(layer, "prop", k=key, v=props[key])
    _empty_properties(layer)
    return layer


def _symbol(parent: ET.Element | None, name: str, kind: str) -> ET.Element:
    attrib = {"name": name, "type": kind, "alpha": "1", "clip_to_extent": "1", "force_rhr": "0"}
    symbol = (
        ET.Element("symbol", attrib) if parent is None else ET.SubElement(parent, "symbol", attrib)
    )
    _empty_properties(symbol)
    return symbol


def _line_props(stroke: Stroke) -> dict[str, str]:
    props = {
        "line_color": qgis_colour(stroke.colour, stroke.opacity),
        "line_width": f"{stroke.width_px:g}",
        "line_width_unit": PIXEL,
        "width_map_unit_scale": NO_SCALE,
        "line_style": "solid",
        "capstyle": "round",
        "joinstyle": "round",
        "offset": "0",
        "offset_unit": PIXEL,
        "use_custom_dash": "1" if stroke.dash_px else "0",
        "customdash": ";".join(f"{d:g}" for d in stroke.dash_px) or "5;2",
        "customdash_unit": PIXEL,
        "draw_inside_polygon": "0",
        "ring_filter": "0",
    }
    if stroke.dash_px:
        props["capstyle"] = "flat"
    return props


def _simple_line(symbol: ET.Element, stroke: Stroke) -> None:
    _symbol_layer(symbol, "SimpleLine", _line_props(stroke))


def _hatch(symbol: ET.Element, colour: str) -> None:
    line = Stroke(colour, HATCH_WIDTH_PX)
    layer = _symbol_layer(
        symbol,
        "LinePatternFill",
        {
            "angle": f"{HATCH_ANGLE_DEG:g}",
            "color": qgis_colour(colour),
            "distance": f"{HATCH_SPACING_PX:g}",
            "distance_unit": PIXEL,
            "line_width": f"{HATCH_WIDTH_PX:g}",
            "line_width_unit": PIXEL,
            "offset": "0",
            "offset_unit": PIXEL,
            "outline_width_unit": PIXEL,
        },
    )
    sub = _symbol(layer, f"@{symbol.get('name')}@{len(symbol.findall('layer')) - 1}", "line")
    _simple_line(sub, line)


def fill_symbol(name: str, look: Look, *, parent: ET.Element | None = None) -> ET.Element:
    """A fill symbol: *look*'s fill (none when it has no fill colour), its hatch, and its
    outline (a solid outline on the fill itself; a dashed one as a line layer, which can
    dash in pixels)."""
    symbol = _symbol(parent, name, "fill")
    stroke = look.stroke
    solid_outline = stroke is not None and not stroke.dash_px
    props = {
        "color": qgis_colour(look.fill, look.fill_opacity) if look.fill else "0,0,0,0",
        "style": "solid" if look.fill else "no",
        "outline_style": "solid" if solid_outline else "no",
        "outline_color": qgis_colour(stroke.colour, stroke.opacity) if stroke else "0,0,0,0",
        "outline_width": f"{stroke.width_px:g}" if stroke else "0",
        "outline_width_unit": PIXEL,
        "border_width_map_unit_scale": NO_SCALE,
        "joinstyle": "round",
        "offset": "0,0",
        "offset_unit": PIXEL,
    }
    if look.hatch:
        # The outline is drawn last, over the hatch: the fill goes without one.
        props["outline_style"] = "no"
    _symbol_layer(symbol, "SimpleFill", props)
    if look.hatch:
        _hatch(symbol, look.hatch)
    if stroke is not None and (stroke.dash_px or look.hatch):
        _simple_line(symbol, stroke)
    return symbol


def line_symbol(name: str, stroke: Stroke, *, parent: ET.Element | None = None) -> ET.Element:
    """A line symbol drawing *stroke*."""
    symbol = _symbol(parent, name, "line")
    _simple_line(symbol, stroke)
    return symbol


def marker_symbol(name: str, look: Look, *, parent: ET.Element | None = None) -> ET.Element:
    """A circle marker (the web map's circle markers): *look*'s fill inside, its stroke
    around."""
    symbol = _symbol(parent, name, "marker")
    stroke = look.stroke
    fill = look.fill or (stroke.colour if stroke else "#000000")
    _symbol_layer(
        symbol,
        "SimpleMarker",
        {
            "name": "circle",
            "color": qgis_colour(fill, look.fill_opacity if look.fill else 0.0),
            "outline_color": qgis_colour(stroke.colour, stroke.opacity) if stroke else "0,0,0,0",
            "outline_style": "solid" if stroke else "no",
            "outline_width": f"{stroke.width_px:g}" if stroke else "0",
            "outline_width_unit": PIXEL,
            "size": f"{2 * POINT_RADIUS_PX:g}",
            "size_unit": PIXEL,
            "scale_method": "diameter",
            "angle": "0",
            "offset": "0,0",
            "offset_unit": PIXEL,
            "horizontal_anchor_point": "1",
            "vertical_anchor_point": "1",
        },
    )
    return symbol


def symbol_for(name: str, look: Look, geometry: str, *, parent: ET.Element | None = None):
    """The symbol of *look* for features of *geometry* (``Point``, ``LineString`` or
    ``Polygon``)."""
    if geometry == "Point":
        return marker_symbol(name, look, parent=parent)
    if geometry == "LineString":
        return line_symbol(name, look.stroke or Stroke(look.fill or "#000000", 1.0), parent=parent)
    return fill_symbol(name, look, parent=parent)

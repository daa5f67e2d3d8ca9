"""The parcels' land-use legend as an OGC Styled Layer Descriptor 1.1 (Symbology Encoding
1.1): one rule per land-use class, filtered by ``land_use_code``, filled in the web map's
colour; manufacturing land thickly outlined and hatched (a second polygon symbolizer whose
fill is a graphic of 45° lines — the way QGIS writes, and reads back, a line-pattern
fill). QGIS reads a literal that looks like a number as a number (``0601`` as 601); its
comparison with the text field converts the text too, so the rules still hold (no two
GB/T 21010 codes are the same number). For a WFS or OGC API – Features layer of parcels
in QGIS (Layer Properties › Symbology › Style › Load Style) and other SLD readers."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from maps.layer_looks import (
    HATCH_ANGLE_DEG,
    HATCH_SPACING_PX,
    HATCH_WIDTH_PX,
    LandUseEntry,
    Look,
)
from maps.xml_text import xml_text

SLD_NS = "http://www.opengis.net/sld"
SE_NS = "http://www.opengis.net/se"
OGC_NS = "http://www.opengis.net/ogc"
XLINK_NS = "http://www.w3.org/1999/xlink"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
SLD_SCHEMA = "http://schemas.opengis.net/sld/1.1.0/StyledLayerDescriptor.xsd"
#: The media type of an SLD 1.1 document (as OGC API – Styles names it).
SLD_MEDIA_TYPE = "application/vnd.ogc.sld+xml;version=1.1"
LAND_USE_PROPERTY = "land_use_code"

# The tags are written with their prefixes, declared on the root, as QGIS writes an SLD (the
# layer's own elements in the SLD namespace unprefixed): ElementTree's own namespace
# handling would prefix those too, or need a process-wide registry of prefixes.


def _se(parent: ET.Element, tag: str, text: str | None = None, **attrib: str) -> ET.Element:
    element = ET.SubElement(parent, f"se:{tag}", attrib)
    if text is not None:
        element.text = xml_text(text)
    return element


def _parameters(parent: ET.Element, tag: str, values: dict[str, str]) -> ET.Element:
    element = _se(parent, tag)
    for name, value in values.items():
        _se(element, "SvgParameter", value, name=name)
    return element


def _number(value: float) -> str:
    return f"{value:g}"


def _polygon_symbolizers(rule: ET.Element, look: Look) -> None:
    symbolizer = _se(rule, "PolygonSymbolizer")
    if look.fill:
        _parameters(
            symbolizer, "Fill", {"fill": look.fill, "fill-opacity": _number(look.fill_opacity)}
        )
    if look.stroke:
        stroke = {
            "stroke": look.stroke.colour,
            "stroke-width": _number(look.stroke.width_px),
            "stroke-opacity": _number(look.stroke.opacity),
            "stroke-linejoin": "bevel",
        }
        if look.stroke.dash_px:
            stroke["stroke-dasharray"] = " ".join(_number(d) for d in look.stroke.dash_px)
        _parameters(symbolizer, "Stroke", stroke)
    if look.hatch:
        hatch = _se(rule, "PolygonSymbolizer")
        graphic = _se(_se(_se(hatch, "Fill"), "GraphicFill"), "Graphic")
        mark = _se(graphic, "Mark")
        _se(mark, "WellKnownName", "horline")
        _parameters(mark, "Stroke", {"stroke": look.hatch, "stroke-width": _number(HATCH_WIDTH_PX)})
        _se(graphic, "Size", _number(HATCH_SPACING_PX))
        rotation = _se(graphic, "Rotation")
        ET.SubElement(rotation, "ogc:Literal").text = _number(HATCH_ANGLE_DEG)


def _rule(parent: ET.Element, entry: LandUseEntry) -> None:
    rule = _se(parent, "Rule")
    _se(rule, "Name", entry.code)
    _se(_se(rule, "Description"), "Title", entry.label)
    equal = ET.SubElement(ET.SubElement(rule, "ogc:Filter"), "ogc:PropertyIsEqualTo")
    ET.SubElement(equal, "ogc:PropertyName").text = LAND_USE_PROPERTY
    ET.SubElement(equal, "ogc:Literal").text = xml_text(entry.code)
    _polygon_symbolizers(rule, entry.look)


def land_use_sld(
    entries: Sequence[LandUseEntry],
    *,
    layer_name: str = "parcels",
    style_name: str = "landuse",
    title: str = "园区用地 Land use",
) -> bytes:
    """The SLD 1.1 document (UTF-8) of the land-use legend of *entries* for the layer
    *layer_name*: a rule per class. No rule for "any other class": QGIS 3.22 reads an
    ``ElseFilter`` as no filter at all, and would paint every parcel over with it."""
    root = ET.Element(
        "StyledLayerDescriptor",
        {
            "xmlns": SLD_NS,
            "xmlns:se": SE_NS,
            "xmlns:ogc": OGC_NS,
            "xmlns:xlink": XLINK_NS,
            "xmlns:xsi": XSI_NS,
            "version": "1.1.0",
            "xsi:schemaLocation": f"{SLD_NS} {SLD_SCHEMA}",
        },
    )
    layer = ET.SubElement(root, "NamedLayer")
    _se(layer, "Name", layer_name)
    style = ET.SubElement(layer, "UserStyle")
    _se(style, "Name", style_name)
    description = _se(style, "Description")
    _se(description, "Title", title)
    _se(
        description,
        "Abstract",
        "Parcels by land-use class (GB/T 21010-2017), as the web map draws them; "
        "manufacturing land thickly outlined and hatched.",
    )
    features = _se(style, "FeatureTypeStyle")
    for entry in entries:
        _rule(features, entry)
    ET.indent(root)
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True)

"""The land-use map as a Mapbox/MapLibre GL style (version 8) over the service's vector
tiles, for MapLibre and for QGIS's vector-tile layers.

The style keeps to what QGIS 3.22's converter (``QgsMapBoxGlStyleConverter``) turns into
its own symbology without loss: ``fill``, ``line`` and ``circle`` layers, constant widths
and opacities, filters in the legacy form (``["==", "key", value]``, ``["!has", "key"]``,
``"$type"``), and colours either constant or a ``match`` on a property whose labels are
arrays (3.22 reads a bare string label as an empty list). Manufacturing land is drawn
with the web map's thick dark outline; a hatch in a GL style needs a sprite image, which
the service does not serve: the hatch is in the SLD legend and the QGIS project instead.
Factory buildings are drawn without their vacancy (a ratio of two properties: arithmetic
the 3.22 converter does not translate)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from maps.layer_looks import (
    BUILDING,
    MANUFACTURING_FILL_OPACITY,
    MANUFACTURING_STROKE,
    PARCEL_FILL_OPACITY,
    PARCEL_STROKE,
    PARK,
    POINT_RADIUS_PX,
    PROJECT_FILL_OPACITY,
    PROJECT_WIDTH_PX,
    ContextLayerInfo,
    LandUseEntry,
    Stroke,
    colour_groups,
    context_look,
    project_status_looks,
)
from maps.style import NO_DATA_COLOUR

GL_STYLE_VERSION = 8
#: The property parcels are coloured by (the detail tiles' and the overview cells').
LAND_USE_PROPERTY = "land_use_code"
MANUFACTURING_PROPERTY = "is_manufacturing"

IS_MANUFACTURING = ["==", MANUFACTURING_PROPERTY, True]
NOT_MANUFACTURING = ["!=", MANUFACTURING_PROPERTY, True]


def land_use_colour_expression(entries: Sequence[LandUseEntry]) -> str | list:
    """The fill colour of a parcel by its land-use code: a ``match`` with one branch per
    colour (its codes as an array label), the no-data colour otherwise."""
    groups = colour_groups(entries)
    if not groups:
        return NO_DATA_COLOUR
    expression: list[Any] = ["match", ["get", LAND_USE_PROPERTY]]
    for colour, codes in groups.items():
        expression += [codes, colour]
    return [*expression, NO_DATA_COLOUR]


def _line_paint(stroke: Stroke) -> dict[str, Any]:
    paint: dict[str, Any] = {
        "line-color": stroke.colour,
        "line-width": stroke.width_px,
        "line-opacity": stroke.opacity,
    }
    if stroke.dash_px:
        # GL dashes are in line widths, the web map's in pixels.
        paint["line-dasharray"] = [round(d / stroke.width_px, 3) for d in stroke.dash_px]
    return paint


def _layer(
    id: str, type: str, source: str, paint: dict, filter: list | None = None
) -> dict[str, Any]:
    layer: dict[str, Any] = {"id": id, "type": type, "source": source, "source-layer": source}
    if filter is not None:
        layer["filter"] = filter
    layer["paint"] = paint
    return layer


def _context_layers(info: ContextLayerInfo, *, below_parcels: bool) -> list[dict[str, Any]]:
    """The style layers of one context layer: its areas' fill under the parcels, its lines,
    areas' outlines and points over them."""
    look = context_look(info.name)
    kinds = info.geometry_types
    out = []
    if below_parcels:
        if "Polygon" in kinds and look.fill:
            out.append(
                _layer(
                    f"context-{info.name}-fill",
                    "fill",
                    info.name,
                    {"fill-color": look.fill, "fill-opacity": look.fill_opacity},
                    ["==", "$type", "Polygon"],
                )
            )
        return out
    if look.stroke is not None:
        for kind in ("LineString", "Polygon"):
            if kind in kinds:
                out.append(
                    _layer(
                        f"context-{info.name}-{kind.lower()}-line",
                        "line",
                        info.name,
                        _line_paint(look.stroke),
                        ["==", "$type", kind],
                    )
                )
    if "Point" in kinds:
        stroke = look.stroke or Stroke(look.fill or NO_DATA_COLOUR, 1.0)
        out.append(
            _layer(
                f"context-{info.name}-point",
                "circle",
                info.name,
                {
                    "circle-radius": POINT_RADIUS_PX,
                    "circle-color": look.fill or stroke.colour,
                    "circle-opacity": look.fill_opacity if look.fill else 0.0,
                    "circle-stroke-color": stroke.colour,
                    "circle-stroke-width": stroke.width_px,
                    "circle-stroke-opacity": stroke.opacity,
                },
                ["==", "$type", "Point"],
            )
        )
    return out


def land_use_style(
    *,
    tiles: Callable[[str], str],
    land_use: Sequence[LandUseEntry],
    context: Sequence[ContextLayerInfo] = (),
    minzoom: int,
    maxzoom: int,
    center: tuple[float, float, float] | None = None,
    name: str = "园区用地 Land use",
) -> dict[str, Any]:
    """The GL style (version 8) of the land-use map: context areas, parcels filled by
    land-use class (manufacturing land outlined thick and dark), factory buildings, key
    projects by status, context lines and points, park boundaries. *tiles* gives the
    absolute XYZ template of a tile layer; *center* is ``(lon, lat, zoom)``. Each source
    is named after its tile layer, and so is its source layer."""
    names = ["parcels", "buildings", "projects", "parks", *(c.name for c in context)]
    sources: dict[str, Any] = {}
    for layer in names:
        sources[layer] = {
            "type": "vector",
            "tiles": [tiles(layer)],
            "minzoom": minzoom,
            "maxzoom": maxzoom,
        }
    fill = land_use_colour_expression(land_use)
    layers: list[dict[str, Any]] = []
    for info in context:
        layers += _context_layers(info, below_parcels=True)
    layers += [
        _layer(
            "parcels-fill",
            "fill",
            "parcels",
            {"fill-color": fill, "fill-opacity": PARCEL_FILL_OPACITY},
            NOT_MANUFACTURING,
        ),
        _layer(
            "parcels-manufacturing-fill",
            "fill",
            "parcels",
            {"fill-color": fill, "fill-opacity": MANUFACTURING_FILL_OPACITY},
            IS_MANUFACTURING,
        ),
        # Overview cells (``overview``: zooms up to 12) are a pixel or two: no outline.
        _layer(
            "parcels-outline",
            "line",
            "parcels",
            _line_paint(PARCEL_STROKE),
            ["all", ["!has", "overview"], NOT_MANUFACTURING],
        ),
        _layer(
            "parcels-manufacturing-outline",
            "line",
            "parcels",
            _line_paint(MANUFACTURING_STROKE),
            IS_MANUFACTURING,
        ),
        _layer(
            "buildings-fill",
            "fill",
            "buildings",
            {"fill-color": BUILDING.fill, "fill-opacity": BUILDING.fill_opacity},
        ),
        _layer("buildings-outline", "line", "buildings", _line_paint(BUILDING.stroke)),
    ]
    statuses = project_status_looks()
    layers.append(
        _layer(
            "projects-fill",
            "fill",
            "projects",
            {
                "fill-color": [
                    "match",
                    ["get", "status"],
                    *[x for s in statuses for x in ([s.code], s.look.fill)],
                    NO_DATA_COLOUR,
                ],
                "fill-opacity": PROJECT_FILL_OPACITY,
            },
        )
    )
    for s in statuses:
        paint = _line_paint(s.look.stroke or Stroke(NO_DATA_COLOUR, PROJECT_WIDTH_PX))
        layers.append(
            _layer(
                f"projects-{s.code}-outline", "line", "projects", paint, ["==", "status", s.code]
            )
        )
    for info in context:
        layers += _context_layers(info, below_parcels=False)
    layers.append(_layer("parks-outline", "line", "parks", _line_paint(PARK.stroke)))
    style: dict[str, Any] = {"version": GL_STYLE_VERSION, "name": name}
    if center is not None:
        style["center"] = [round(center[0], 6), round(center[1], 6)]
        style["zoom"] = center[2]
    style["metadata"] = {
        "parks:land_use": {
            e.code: {"name_zh": e.name_zh, "name_en": e.name_en, "colour": e.look.fill}
            for e in land_use
        },
        "parks:manufacturing": [e.code for e in land_use if e.is_manufacturing],
    }
    style["sources"] = sources
    style["layers"] = layers
    return style

"""A QGIS project file (``.qgs``, QGIS 3.22 and later) whose layers are connected to the
service: the parks, factory buildings, key projects, parcels and context layers as OGC API
– Features layers (QGIS's ``OAPIF`` provider) on ``<base>/ogc``, and the parcels' vector
tiles (``vectortile`` provider) on ``<base>/tiles``, each drawn as the web map draws it.

The document is built with ElementTree, so every name from the data — park names, context
layers' titles, class names — is escaped as XML needs; characters XML cannot hold at all
are replaced (:func:`maps.xml_text.xml_text`). Layer ids are fixed (the same data make the
same file), and the project opens on the parks, with a spatial bookmark per park."""

from __future__ import annotations

import re
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

from pyproj import CRS

from maps.layer_looks import (
    BUILDINGS_TITLE,
    OTHER_LABEL,
    OTHER_LAND_USE,
    OVERVIEW_FILL_OPACITY,
    PARCELS_TITLE,
    PARK,
    PARKS_TITLE,
    PROJECTS_TITLE,
    ContextLayerInfo,
    LandUseEntry,
    Look,
    context_look,
    project_status_looks,
    vacancy_classes,
)
from maps.qgis_symbols import fill_symbol, symbol_for
from maps.xml_text import xml_text

#: The QGIS version the file is written for (QGIS opens a file of its own or an older
#: version without asking).
QGIS_VERSION = "3.22.0-Białowieża"
DOCTYPE = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"
#: The CRS the OGC API – Features layers are read in (QGIS 3.22 asks for CRS84).
FEATURES_EPSG = 4326
TILES_EPSG = 3857
ID_PREFIX = "park_ledger_"

#: Geometry type name -> (QGIS geometry attribute, WKB type a layer of it is read as).
_GEOMETRY = {
    "Point": ("Point", "Point"),
    "LineString": ("Line", "MultiLineString"),
    "Polygon": ("Polygon", "MultiPolygon"),
}
#: The vector-tile renderer's geometry codes (QgsWkbTypes::GeometryType).
_TILE_GEOMETRY = {"Point": "0", "LineString": "1", "Polygon": "2"}


@dataclass(frozen=True, slots=True)
class ParkMark:
    """A park: code, names, and its extent in the project's CRS (a spatial bookmark)."""

    code: str
    name_zh: str
    name_en: str
    extent: tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class ProjectSpec:
    """What the project is made of: the service's base URL (``http://host:port``), the
    project's CRS and initial extent (the parks), the parks, the land-use classes in use
    (the parcels' categories), the context layers, the zooms there are tiles of, the
    project's title, and the GL style the vector-tile layer may reload (QGIS's "load
    default style")."""

    base_url: str
    crs_epsg: int
    extent: tuple[float, float, float, float]
    parks: Sequence[ParkMark] = ()
    land_use: Sequence[LandUseEntry] = ()
    context: Sequence[ContextLayerInfo] = ()
    tile_minzoom: int = 0
    tile_maxzoom: int = 22
    title: str = "园区用地台账 Park land ledger"
    styles_url: str | None = None


def uri_value(value: str) -> str:
    """*value* quoted as a value of a QGIS data source URI (``key='value'``)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def oapif_source(base_url: str, collection: str, *, bbox_requests: bool = False) -> str:
    """The data source of an OGC API – Features layer of QGIS's ``OAPIF`` provider on
    *collection* of the service at *base_url*."""
    parts = [f"url={uri_value(base_url.rstrip('/') + '/ogc')}", f"typename={uri_value(collection)}"]
    if bbox_requests:
        # Only what is in view is asked for: a city's parcels are too many to read at once.
        parts.append("restrictToRequestBBOX='1'")
    return " ".join(parts)


def tiles_source(
    base_url: str, layer: str, *, zmin: int, zmax: int, style_url: str | None = None
) -> str:
    """The data source of a vector-tile layer (QGIS's ``vectortile`` provider) on the tiles
    of *layer* (its URL percent-encoded, as QGIS writes it)."""
    url = f"{base_url.rstrip('/')}/tiles/{quote(layer, safe='')}/{{z}}/{{x}}/{{y}}.pbf"
    parts = [("type", "xyz"), ("url", url), ("zmin", str(zmin)), ("zmax", str(zmax))]
    if style_url:
        parts.append(("styleUrl", style_url))
    return "&".join(f"{k}={quote(v, safe=':/')}" for k, v in parts)


def _text(parent: ET.Element, tag: str, content: object = None, /, **attrib: str) -> ET.Element:
    """A child *tag* of *parent* with *content* as its text and *attrib* as attributes."""
    element = ET.SubElement(parent, tag, {k: xml_text(v) for k, v in attrib.items()})
    if content is not None:
        element.text = xml_text(content)
    return element


def _spatialrefsys(parent: ET.Element, epsg: int) -> None:
    crs = CRS.from_epsg(epsg)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "you will likely lose information": it is a hint
        proj4 = crs.to_proj4() or ""
    srs = _text(parent, "spatialrefsys")
    _text(srs, "wkt", crs.to_wkt("WKT2_2019"))
    _text(srs, "proj4", proj4)
    _text(srs, "srid", epsg)
    _text(srs, "authid", f"EPSG:{epsg}")
    _text(srs, "description", crs.name)
    found = re.search(r"\+proj=(\w+)", proj4)
    _text(srs, "projectionacronym", found.group(1) if found else "")
    ellipsoid = (crs.ellipsoid.to_json_dict().get("id") or {}) if crs.ellipsoid else {}
    code = f"{ellipsoid['authority']}:{ellipsoid['code']}" if ellipsoid.get("code") else ""
    _text(srs, "ellipsoidacronym", code)
    _text(srs, "geographicflag", "true" if crs.is_geographic else "false")


def _extent(parent: ET.Element, tag: str, box: Sequence[float]) -> None:
    element = _text(parent, tag)
    for name, value in zip(("xmin", "ymin", "xmax", "ymax"), box, strict=True):
        _text(element, name, repr(float(value)))


def _renderer(parent: ET.Element, kind: str, **attrib: str) -> ET.Element:
    attrs = {
        "type": kind,
        "symbollevels": "0",
        "forceraster": "0",
        "enableorderby": "0",
        "referencescale": "-1",
    }
    attrs.update(attrib)
    return _text(parent, "renderer-v2", **attrs)


def _finish_renderer(renderer: ET.Element) -> None:
    _text(renderer, "rotation")
    _text(renderer, "sizescale")


def single_renderer(parent: ET.Element, look: Look, geometry: str) -> ET.Element:
    """A single-symbol renderer drawing every feature with *look*."""
    renderer = _renderer(parent, "singleSymbol")
    symbol_for("0", look, geometry, parent=_text(renderer, "symbols"))
    _finish_renderer(renderer)
    return renderer


def categorized_renderer(
    parent: ET.Element,
    attribute: str,
    categories: Sequence[tuple[str, str, Look]],
    geometry: str,
    *,
    other: tuple[str, Look] | None = None,
) -> ET.Element:
    """A categorized renderer on *attribute*: a ``(value, label, look)`` per category, and
    *other* (label, look) for every value not listed."""
    renderer = _renderer(parent, "categorizedSymbol", attr=attribute)
    listed = _text(renderer, "categories")
    symbols = _text(renderer, "symbols")
    rows = [*categories, *([("", other[0], other[1])] if other else [])]
    for i, (value, label, look) in enumerate(rows):
        _text(listed, "category", symbol=str(i), value=value, label=label, render="true")
        symbol_for(str(i), look, geometry, parent=symbols)
    _finish_renderer(renderer)
    return renderer


def _vacancy_renderer(parent: ET.Element) -> ET.Element:
    """Factory buildings by their vacant share of floor area, as the web map colours
    them."""
    renderer = _renderer(
        parent,
        "graduatedSymbol",
        attr='"vacant_m2" / "floor_area_m2"',
        graduatedMethod="GraduatedColor",
    )
    ranges = _text(renderer, "ranges")
    symbols = _text(renderer, "symbols")
    for i, v in enumerate(vacancy_classes()):
        _text(
            ranges,
            "range",
            symbol=str(i),
            lower=f"{v.lower:.15f}",
            upper=f"{v.upper:.15f}",
            label=v.label,
            render="true",
        )
        fill_symbol(str(i), v.look, parent=symbols)
    method = _text(renderer, "classificationMethod", id="Custom")
    _text(method, "symmetricMode", enabled="0", astride="0", symmetrypoint="0")
    _text(method, "labelFormat", format="%1 - %2", labelprecision="4", trimtrailingzeroes="1")
    _text(method, "parameters")
    _text(method, "extraInformation")
    _finish_renderer(renderer)
    return renderer


def _quoted(value: str) -> str:
    """*value* as a QGIS expression's string literal."""
    return "'" + value.replace("'", "''") + "'"


def _tile_style(
    styles: ET.Element,
    name: str,
    expression: str,
    look: Look,
    *,
    layer: str = "parcels",
    geometry: str = "Polygon",
) -> None:
    style = _text(
        styles,
        "style",
        name=name,
        layer=layer,
        geometry=_TILE_GEOMETRY[geometry],
        expression=expression,
        enabled="1",
        **{"min-zoom": "-1", "max-zoom": "-1"},
    )
    symbol_for("0", look, geometry, parent=_text(style, "symbols"))


def tile_renderer(parent: ET.Element, land_use: Sequence[LandUseEntry]) -> ET.Element:
    """The vector-tile layer's renderer (QGIS's "basic" renderer: one style per rule): each
    class of *land_use* as the parcels layer draws it; the overview cells of the lower
    zooms (``overview``) filled only, a little stronger."""
    renderer = _text(parent, "renderer", type="basic")
    styles = _text(renderer, "styles")
    codes = [e.code for e in land_use]
    for e in land_use:
        match = f'"land_use_code" = {_quoted(e.code)}'
        _tile_style(styles, e.label, f'{match} AND "overview" IS NULL', e.look)
        cell = Look(e.look.fill, OVERVIEW_FILL_OPACITY)
        _tile_style(styles, f"{e.label} (overview)", f'{match} AND "overview"', cell)
    others = (
        f'("land_use_code" IS NULL OR "land_use_code" NOT IN ({", ".join(map(_quoted, codes))}))'
        if codes
        else "TRUE"
    )
    _tile_style(styles, OTHER_LABEL, f'{others} AND "overview" IS NULL', OTHER_LAND_USE)
    cell = Look(OTHER_LAND_USE.fill, OVERVIEW_FILL_OPACITY)
    _tile_style(styles, f"{OTHER_LABEL} (overview)", f'{others} AND "overview"', cell)
    return renderer


def context_tile_renderer(parent: ET.Element, info: ContextLayerInfo) -> ET.Element:
    """The vector-tile renderer of context layer *info*: a style per geometry type it has,
    each in the layer's look."""
    renderer = _text(parent, "renderer", type="basic")
    styles = _text(renderer, "styles")
    look = context_look(info.name)
    for kind in ("Polygon", "LineString", "Point"):
        if kind in info.geometry_types:
            _tile_style(styles, f"{info.title} ({kind})", "", look, layer=info.name, geometry=kind)
    return renderer


@dataclass
class _Layer:
    id: str
    name: str
    provider: str
    source: str
    element: ET.Element


class _Project:
    """The document being built, and the layers it holds."""

    def __init__(self, spec: ProjectSpec) -> None:
        self.spec = spec
        self.root = ET.Element(
            "qgis", {"version": QGIS_VERSION, "projectname": xml_text(spec.title)}
        )
        _text(self.root, "homePath", path="")
        _text(self.root, "title", spec.title)
        _spatialrefsys(_text(self.root, "projectCrs"), spec.crs_epsg)
        self.tree = _text(self.root, "layer-tree-group")
        _text(self.tree, "customproperties")
        self.layers_element = _text(self.root, "projectlayers")
        self.layers: list[_Layer] = []
        self.ids: set[str] = set()

    def new_id(self, key: str) -> str:
        base = ID_PREFIX + (re.sub(r"[^A-Za-z0-9_]", "_", key) or "layer")
        found, n = base, 1
        while found in self.ids:
            n += 1
            found = f"{base}_{n}"
        self.ids.add(found)
        return found

    def map_layer(
        self, key: str, name: str, *, kind: str, provider: str, source: str, epsg: int, **attrib
    ) -> _Layer:
        layer_id = self.new_id(key)
        element = _text(
            self.layers_element,
            "maplayer",
            type=kind,
            hasScaleBasedVisibilityFlag="0",
            minScale="100000000",
            maxScale="0",
            styleCategories="AllStyleCategories",
            **attrib,
        )
        _text(element, "id", layer_id)
        _text(element, "datasource", source)
        _text(_text(element, "keywordList"), "value", "")
        _text(element, "layername", name)
        _spatialrefsys(_text(element, "srs"), epsg)
        provider_element = _text(element, "provider", provider)
        if kind == "vector":
            provider_element.set("encoding", "UTF-8")
        layer = _Layer(layer_id, name, provider, source, element)
        self.layers.append(layer)
        return layer

    def features_layer(
        self, key: str, collection: str, name: str, geometry: str, *, bbox_requests=False
    ) -> _Layer:
        attr, wkb = _GEOMETRY[geometry]
        return self.map_layer(
            key,
            name,
            kind="vector",
            provider="OAPIF",
            source=oapif_source(self.spec.base_url, collection, bbox_requests=bbox_requests),
            epsg=FEATURES_EPSG,
            geometry=attr,
            wkbType=wkb,
            readOnly="1",
        )

    @staticmethod
    def finish(layer: _Layer, *, vector: bool = True) -> None:
        _text(layer.element, "blendMode", "0")
        if vector:
            _text(layer.element, "featureBlendMode", "0")
        _text(layer.element, "layerOpacity", "1")

    def tree_layer(self, group: ET.Element, layer: _Layer, *, checked: bool = True) -> None:
        node = _text(
            group,
            "layer-tree-layer",
            id=layer.id,
            name=layer.name,
            source=layer.source,
            providerKey=layer.provider,
            checked="Qt::Checked" if checked else "Qt::Unchecked",
            expanded="1" if checked else "0",
            legend_exp="",
        )
        _text(node, "customproperties")

    def tree_group(self, name: str, *, checked: bool = True, expanded: bool = True):
        group = _text(
            self.tree,
            "layer-tree-group",
            name=name,
            checked="Qt::Checked" if checked else "Qt::Unchecked",
            expanded="1" if expanded else "0",
        )
        _text(group, "customproperties")
        return group


def qgis_project(spec: ProjectSpec) -> bytes:
    """The ``.qgs`` document (UTF-8) of *spec*: park boundaries, key projects by status,
    factory buildings by vacancy, the context layers, parcels by land use (manufacturing
    land hatched and thickly outlined) — all OGC API – Features layers — and, switched
    off below them, the parcels' vector tiles drawn the same way. The map opens on the
    parks in the project's CRS; each park is a spatial bookmark."""
    p = _Project(spec)
    geometry = "Polygon"

    parks = p.features_layer("parks", "parks", PARKS_TITLE, geometry)
    single_renderer(parks.element, PARK, geometry)
    p.finish(parks)

    projects = p.features_layer("projects", "projects", PROJECTS_TITLE, geometry)
    statuses = [(s.code, s.label, s.look) for s in project_status_looks()]
    categorized_renderer(projects.element, "status", statuses, geometry)
    p.finish(projects)

    buildings = p.features_layer("buildings", "buildings", BUILDINGS_TITLE, geometry)
    _vacancy_renderer(buildings.element)
    p.finish(buildings)

    context_layers = []
    for info in spec.context:
        kinds = [k for k in ("Polygon", "LineString", "Point") if k in info.geometry_types]
        if len(kinds) > 1:
            # QGIS reads an OGC API collection as one geometry type (its first features'),
            # and draws nothing of the others: a layer of mixed types comes as vector tiles,
            # where each feature is drawn by its own type.
            layer = p.map_layer(
                f"context_{info.name}",
                info.title,
                kind="vector-tile",
                provider="vectortile",
                source=tiles_source(
                    spec.base_url, info.name, zmin=spec.tile_minzoom, zmax=spec.tile_maxzoom
                ),
                epsg=TILES_EPSG,
            )
            context_tile_renderer(layer.element, info)
            p.finish(layer, vector=False)
        else:
            kind = kinds[0] if kinds else "LineString"
            layer = p.features_layer(f"context_{info.name}", info.collection_id, info.title, kind)
            single_renderer(layer.element, context_look(info.name), kind)
            p.finish(layer)
        context_layers.append(layer)

    parcels = p.features_layer("parcels", "parcels", PARCELS_TITLE, geometry, bbox_requests=True)
    categories = [(e.code, e.label, e.look) for e in spec.land_use]
    categorized_renderer(
        parcels.element,
        "land_use_code",
        categories,
        geometry,
        other=(OTHER_LABEL, OTHER_LAND_USE),
    )
    p.finish(parcels)

    tiles = p.map_layer(
        "parcels_tiles",
        f"{PARCELS_TITLE} (vector tiles 矢量瓦片)",
        kind="vector-tile",
        provider="vectortile",
        source=tiles_source(
            spec.base_url,
            "parcels",
            zmin=spec.tile_minzoom,
            zmax=spec.tile_maxzoom,
            style_url=spec.styles_url,
        ),
        epsg=TILES_EPSG,
    )
    tile_renderer(tiles.element, spec.land_use)
    p.finish(tiles, vector=False)

    # The tree, top first (drawn last): parks over projects over buildings, the context
    # layers, then the parcels; the tiles (the same parcels, faster for a large city) off.
    for layer in (parks, projects, buildings):
        p.tree_layer(p.tree, layer)
    if context_layers:
        group = p.tree_group("背景图层 Context layers", expanded=False)
        for layer in context_layers:
            p.tree_layer(group, layer)
    p.tree_layer(p.tree, parcels)
    p.tree_layer(p.tree, tiles, checked=False)

    order = _text(p.root, "layerorder")
    for layer in p.layers:
        _text(order, "layer", id=layer.id)
    _view(p.root, spec)
    _bookmarks(p.root, spec)
    properties = _text(p.root, "properties")
    _text(_text(properties, "SpatialRefSys"), "ProjectionsEnabled", "1", type="int")
    metadata = _text(p.root, "projectMetadata")
    _text(metadata, "title", spec.title)
    _text(
        metadata,
        "abstract",
        f"Layers of the park land ledger at {spec.base_url} (OGC API – Features and vector tiles).",
    )
    ET.indent(p.root)
    body = ET.tostring(p.root, encoding="unicode")
    return (DOCTYPE + "\n" + body + "\n").encode("utf-8")


def _padded(box: Sequence[float], fraction: float = 0.05) -> tuple[float, float, float, float]:
    xmin, ymin, xmax, ymax = box
    dx, dy = (xmax - xmin) * fraction, (ymax - ymin) * fraction
    return xmin - dx, ymin - dy, xmax + dx, ymax + dy


def _view(root: ET.Element, spec: ProjectSpec) -> None:
    """Open on the parks: the desktop's map canvas and the project's default view."""
    box = _padded(spec.extent)
    canvas = _text(root, "mapcanvas", name="theMapCanvas", annotationsVisible="1")
    _text(canvas, "units", "degrees" if CRS.from_epsg(spec.crs_epsg).is_geographic else "meters")
    _extent(canvas, "extent", box)
    _text(canvas, "rotation", "0")
    _spatialrefsys(_text(canvas, "destinationsrs"), spec.crs_epsg)
    _text(canvas, "rendermaptile", "0")
    settings = _text(root, "ProjectViewSettings", UseProjectScales="0", rotation="0")
    _text(settings, "Scales")
    view = _text(
        settings,
        "DefaultViewExtent",
        **dict(zip(("xmin", "ymin", "xmax", "ymax"), map(repr, box), strict=True)),
    )
    _spatialrefsys(view, spec.crs_epsg)


def _bookmarks(root: ET.Element, spec: ProjectSpec) -> None:
    """A spatial bookmark per park, named in both languages."""
    marks = _text(root, "Bookmarks")
    for park in spec.parks:
        xmin, ymin, xmax, ymax = _padded(park.extent)
        ring = f"{xmin!r} {ymin!r}, {xmax!r} {ymin!r}, {xmax!r} {ymax!r}, {xmin!r} {ymax!r}"
        mark = _text(
            marks,
            "Bookmark",
            id=f"park_{park.code}",
            name=f"{park.name_zh} {park.name_en}",
            group="园区 Parks",
            extent=f"POLYGON(({ring}, {xmin!r} {ymin!r}))",
        )
        _spatialrefsys(mark, spec.crs_epsg)

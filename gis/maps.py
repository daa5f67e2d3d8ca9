"""Folium maps of a city's parks: park boundaries, parcels by land use and by status,
standard factory buildings by vacancy and key project sites, with a bilingual legend.

The maps work offline: every script and stylesheet comes from ``asset_base`` (the service
serves ``web/static`` at ``/static``, so the default is ``/static/vendor``), or is inlined
into the HTML by :func:`render_html` for a file that must open without the server. There
is no tile layer unless one is asked for.

Inputs are GeoJSON FeatureCollections (dicts) in EPSG:4326; see :func:`build_park_map`.
"""

from __future__ import annotations

import base64
import html
import mimetypes
import re
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import folium
from branca.element import MacroElement
from folium.template import Template
from folium.utilities import JsCode

from gis.errors import GisError

DEFAULT_ASSET_BASE = "/static/vendor"
#: Paths under ``asset_base`` (and under ``web/static/vendor``) of what every map page loads.
LEAFLET_JS = "leaflet/leaflet.js"
LEAFLET_CSS = "leaflet/leaflet.css"

BASEMAPS = ("none", "osm", "tianditu", "custom")

#: Layer names in the layer control, Chinese with English beside it.
LAYER_NAMES: dict[str, str] = {
    "parks": "园区边界 Park boundaries",
    "parcels_use": "地块·用途 Parcels by land use",
    "parcels_status": "地块·状态 Parcels by status",
    "buildings": "标准化厂房 Factory buildings (vacancy)",
    "projects": "重点项目 Key projects",
}

M2_PER_MU = 10000.0 / 15.0
M2_PER_HA = 10000.0
COORD_DIGITS = 6

# Fill colour per GB/T 21010-2017 class, by code prefix (the longest prefix that is here
# wins): industrial land in a strong brown, storage a lighter purple, commercial red,
# residential yellow, public services blue with parks green, transport grey, water blue.
LAND_USE_COLOURS: dict[str, str] = {
    "01": "#d4e2a0",  # 耕地 cultivated land
    "02": "#b3d68a",  # 园地 garden land
    "03": "#6ea66a",  # 林地 forest
    "04": "#c6e3a3",  # 草地 grassland
    "05": "#e2493b",  # 商服用地 commercial and service
    "06": "#b0876a",  # 工矿仓储用地 industrial, mining and storage
    "0601": "#8e4a1f",  # 工业用地 industrial
    "0602": "#7d6b5d",  # 采矿用地 mining
    "0603": "#c9b8a8",  # 盐田 salt pan
    "0604": "#a990d2",  # 仓储用地 storage
    "07": "#f4d13d",  # 住宅用地 residential
    "08": "#4d86c9",  # 公共管理与公共服务用地 public services
    "0810": "#55b05a",  # 公园与绿地 parks and green space
    "09": "#8f8a6a",  # 特殊用地 special
    "10": "#a3a3a3",  # 交通运输用地 transport
    "11": "#7cc0ea",  # 水域及水利设施用地 water
    "12": "#ddd5c4",  # 其他土地 other land
}
#: Colours for classes the table above does not know, chosen by a checksum of the code.
FALLBACK_COLOURS = ("#8dd3c7", "#bebada", "#fb8072", "#80b1d3", "#fdb462", "#b3de69", "#fccde5")
NO_DATA_COLOUR = "#c8c8c8"

#: Outline of manufacturing land: thick and dark, over a hatched fill.
MANUFACTURING_OUTLINE = "#2b1206"
MANUFACTURING_WEIGHT = 2.5

#: Parcel status: code -> (name_zh, name_en, colour).
PARCEL_STATUSES: dict[str, tuple[str, str, str]] = {
    "reserve": ("储备", "Reserve", "#a5d46a"),
    "ready": ("待供应", "Ready for supply", "#2e8b3e"),
    "supplied": ("已供应", "Supplied", "#2f7fd0"),
    "under_construction": ("在建", "Under construction", "#f28c1c"),
    "operating": ("投产", "Operating", "#4b3f9e"),
    "idle": ("闲置", "Idle", "#d7302a"),
}

#: Key project status: code -> (name_zh, name_en, colour, dashed outline).
PROJECT_STATUSES: dict[str, tuple[str, str, str, bool]] = {
    "planned": ("谋划", "Planned", "#7f8c99", True),
    "signed": ("签约", "Signed", "#1f6fd1", False),
    "under_construction": ("在建", "Under construction", "#ef7d00", False),
    "operating": ("投产", "Operating", "#2e9a3e", False),
    "suspended": ("停缓建", "Suspended", "#d7302a", True),
}

#: Factory vacancy (vacant / floor area): (upper bound, colour), green full to red empty.
VACANCY_CLASSES: tuple[tuple[float, str], ...] = (
    (0.2, "#1a9641"),
    (0.4, "#a6d96a"),
    (0.6, "#ffe08a"),
    (0.8, "#fdae61"),
    (1.0, "#d7191c"),
)

PARK_OUTLINE = "#1d3557"

_ATTRIBUTION_PREFIX = "Leaflet"  # attribution prefix: Leaflet's own is a link with a flag icon
_DASH = "—"


class MapOptionError(GisError):
    """A map option that cannot be honoured (basemap, tile URL, asset base)."""


class MissingAsset(GisError):
    """A vendored asset to inline is not there (run ``scripts/vendor-web.sh``)."""


# --- colours -------------------------------------------------------------------------------


def land_use_colour(code: str | None) -> str:
    """The fill colour of a GB/T 21010-2017 land-use class: the colour of the longest code
    prefix in :data:`LAND_USE_COLOURS`, else a fixed colour chosen by the code."""
    if not code:
        return NO_DATA_COLOUR
    code = str(code)
    for length in range(len(code), 1, -1):
        colour = LAND_USE_COLOURS.get(code[:length])
        if colour:
            return colour
    return FALLBACK_COLOURS[zlib.crc32(code.encode()) % len(FALLBACK_COLOURS)]


def vacancy_colour(ratio: float | None) -> str:
    """The fill colour of a factory building whose vacant share of floor area is *ratio*
    (0 = fully let, 1 = empty); grey when unknown."""
    if ratio is None:
        return NO_DATA_COLOUR
    for upper, colour in VACANCY_CLASSES:
        if ratio <= upper:
            return colour
    return VACANCY_CLASSES[-1][1]


def _shade(colour: str, factor: float) -> str:
    """*colour* (``#rrggbb``) darkened towards black by *factor* (0..1)."""
    rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(c * (1 - factor)):02x}" for c in rgb)


def _hatch_id(colour: str) -> str:
    return "plm-hatch-" + colour.lstrip("#").lower()


# --- formatting ----------------------------------------------------------------------------


def _esc(value: Any) -> str:
    """Text for HTML (popups and tooltips set innerHTML): escaped, ``—`` when empty."""
    if value is None or value == "":
        return _DASH
    return html.escape(str(value))


def _num(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _fmt_m2(value: Any) -> str:
    area = _num(value)
    return _DASH if area is None else f"{area:,.1f} m²"


def _fmt_area(props: dict, key: str = "area_m2") -> str:
    """``12,345.6 m² · 18.52 亩 · 1.23 ha`` (亩 and ha from the properties when given)."""
    area = _num(props.get(key))
    if area is None:
        return _DASH
    mu = _num(props.get("area_mu")) if key == "area_m2" else None
    ha = _num(props.get("area_ha")) if key == "area_m2" else None
    mu = area / M2_PER_MU if mu is None else mu
    ha = area / M2_PER_HA if ha is None else ha
    return f"{area:,.1f} m² · {mu:,.2f} 亩 · {ha:,.2f} ha"


def _bilingual(zh: Any, en: Any) -> str:
    parts = [str(p) for p in (zh, en) if p not in (None, "")]
    return _esc(" ".join(parts)) if parts else _DASH


# --- GeoJSON -------------------------------------------------------------------------------


def _round_coords(coords: Any, digits: int = COORD_DIGITS) -> Any:
    if isinstance(coords, (list, tuple)):
        return [_round_coords(c, digits) for c in coords]
    if isinstance(coords, float):
        return round(coords, digits)
    return coords


def _features(fc: dict | None) -> Iterator[dict]:
    """The features of *fc* that have a geometry."""
    for feature in (fc or {}).get("features") or []:
        if feature and feature.get("geometry"):
            yield feature


def _positions(geometry: dict) -> Iterator[tuple[float, float]]:
    def walk(coords: Any) -> Iterator[tuple[float, float]]:
        if coords and isinstance(coords[0], (int, float)):
            yield float(coords[0]), float(coords[1])
        else:
            for c in coords or []:
                yield from walk(c)

    if geometry.get("type") == "GeometryCollection":
        for g in geometry.get("geometries") or []:
            yield from _positions(g)
    else:
        yield from walk(geometry.get("coordinates"))


def _bounds(fc: dict | None) -> list[list[float]] | None:
    """``[[south, west], [north, east]]`` of *fc*, or None when it has no coordinates."""
    points = [p for f in _features(fc) for p in _positions(f["geometry"])]
    if not points:
        return None
    lons = [p[0] for p in points]
    lats = [p[1] for p in points]
    return [[min(lats), min(lons)], [max(lats), max(lons)]]


def _collection(
    fc: dict | None, code_key: str, make_props: Callable[[dict], dict[str, str]]
) -> tuple[dict, list[dict]]:
    """A slim FeatureCollection for the map (rounded coordinates, display properties, a
    unique ``id`` per feature) and the source properties in the same order."""
    features: list[dict] = []
    sources: list[dict] = []
    seen: set[str] = set()
    for i, feature in enumerate(_features(fc)):
        props = feature.get("properties") or {}
        fid = str(props.get(code_key) or f"#{i}")
        if fid in seen:
            fid = f"{fid}#{i}"
        seen.add(fid)
        geometry = feature["geometry"]
        features.append(
            {
                "type": "Feature",
                "id": fid,
                "geometry": {
                    "type": geometry["type"],
                    "coordinates": _round_coords(geometry.get("coordinates")),
                },
                "properties": make_props(props),
            }
        )
        sources.append(props)
    return {"type": "FeatureCollection", "features": features}, sources


def _styled(styles: dict[str, dict]) -> Callable[[dict], dict]:
    def style(feature: dict) -> dict:
        return dict(styles[feature["id"]])

    return style


def _popup(data: dict, fields: list[tuple[str, str]]) -> folium.GeoJsonPopup | None:
    # folium checks the fields against the features: an empty layer gets no popup.
    if not data["features"]:
        return None
    return folium.GeoJsonPopup(
        fields=[f for f, _ in fields],
        aliases=[a for _, a in fields],
        localize=False,
        labels=True,
        class_name="plm-popup",
        max_width=420,
    )


def _tooltip(data: dict, fields: list[str]) -> folium.GeoJsonTooltip | None:
    if not data["features"]:
        return None
    return folium.GeoJsonTooltip(
        fields=fields, labels=False, localize=False, class_name="plm-tooltip", sticky=True
    )


# --- the map ------------------------------------------------------------------------------


class ParkMap(folium.Map):
    """A :class:`folium.Map` that loads only Leaflet, from ``asset_base`` (no CDN, no jQuery,
    Bootstrap or Font Awesome: nothing on these maps uses them)."""

    def __init__(self, *, asset_base: str = DEFAULT_ASSET_BASE, **kwargs: Any):
        base = asset_base.rstrip("/")
        if any(ch in base for ch in "\"'<> "):
            raise MapOptionError(f"asset_base {asset_base!r} is not a plain URL path")
        super().__init__(**kwargs)
        self.asset_base = base
        # Instance lists: folium's class-level defaults (CDN URLs) stay untouched.
        self.default_js = [("leaflet", f"{base}/{LEAFLET_JS}")]
        self.default_css = [("leaflet_css", f"{base}/{LEAFLET_CSS}")]


def _tile_layer(basemap: str, tile_url: str | None) -> folium.TileLayer | None:
    if basemap not in BASEMAPS:
        raise MapOptionError(f"basemap must be one of {', '.join(BASEMAPS)}, not {basemap!r}")
    if basemap == "none":
        if tile_url:
            raise MapOptionError("tile_url needs basemap 'custom' or 'tianditu'")
        return None
    if basemap == "osm":
        return folium.TileLayer("OpenStreetMap", name="OpenStreetMap", control=False)
    if not tile_url:
        raise MapOptionError(f"basemap {basemap!r} needs tile_url (an XYZ URL template)")
    if not all(p in tile_url for p in ("{z}", "{x}")) or not re.search(r"\{-?y\}", tile_url):
        raise MapOptionError("tile_url must be an XYZ template with {z}, {x} and {y}")
    attr = "天地图 Tianditu" if basemap == "tianditu" else "底图 Basemap"
    subdomains = "01234567" if basemap == "tianditu" else "abc"
    return folium.TileLayer(
        tiles=tile_url,
        attr=attr,
        name=attr,
        control=False,
        subdomains=subdomains,
        max_zoom=19,
    )


def build_park_map(
    *,
    title_zh: str,
    title_en: str,
    parks: dict,
    parcels: dict,
    buildings: dict,
    projects: dict,
    land_use_classes: list[dict],
    asset_base: str = DEFAULT_ASSET_BASE,
    basemap: str = "none",
    tile_url: str | None = None,
) -> folium.Map:
    """Build the map of *parks* with their *parcels*, factory *buildings* and key *projects*.

    Each of *parks*, *parcels*, *buildings* and *projects* is a GeoJSON FeatureCollection
    in EPSG:4326 (features without geometry are left out); *land_use_classes* lists the
    classes present (``code``, ``name_zh``, ``name_en``, ``is_manufacturing``) for the
    legend. Scripts and styles load from *asset_base*. *basemap* is ``"none"`` (no tile
    layer: a plain background), ``"osm"``, or ``"tianditu"``/``"custom"`` with *tile_url*
    (an XYZ template). Raises :class:`MapOptionError` for a basemap it cannot honour.
    """
    tiles = _tile_layer(basemap, tile_url)
    classes = {str(c["code"]): c for c in land_use_classes or []}
    park_names = {
        str(p.get("code")): (p.get("name_zh"), p.get("name_en"))
        for p in ((f.get("properties") or {}) for f in (parks or {}).get("features") or [])
    }
    bounds = next(
        (b for b in map(_bounds, (parks, parcels, buildings, projects)) if b),
        [[34.30, 107.10], [34.55, 107.65]],  # the city's parks, when there is nothing to fit
    )
    centre = [(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2]

    m = ParkMap(
        asset_base=asset_base,
        location=centre,
        zoom_start=12,
        tiles=None,
        zoom_control=False,  # added below the title box
        control_scale=False,  # a metric-only scale is added instead
        prefer_canvas=False,  # SVG: the hatch pattern of manufacturing land needs it
        maxZoom=20,
        minZoom=4,
        # Vector-only maps fit their parks best with fractional zoom; tiles look best whole.
        zoomSnap=0.25 if tiles is None else 1,
    )
    m.get_root().title = html.escape(f"{title_zh} {title_en}")
    if tiles is not None:
        tiles.add_to(m)

    hatches: dict[str, str] = {}  # fill colour -> hatch colour, for manufacturing land
    parks_layer = _parks_layer(parks)
    use_layer, status_layer = _parcel_layers(parcels, classes, park_names, hatches)
    buildings_layer = _buildings_layer(buildings, park_names)
    projects_layer = _projects_layer(projects, park_names)
    for layer in (parks_layer, use_layer, status_layer, buildings_layer, projects_layer):
        layer.add_to(m)
    folium.LayerControl(position="topright", collapsed=False).add_to(m)

    _MapChrome(
        title_html=_title_html(title_zh, title_en, parks, parcels, classes),
        legend_html=_legend_html(classes, hatches),
        hatches=hatches,
        bounds=bounds,
        parks=parks_layer,
        parcels_use=use_layer,
        parcels_status=status_layer,
        buildings=buildings_layer,
        projects=projects_layer,
    ).add_to(m)
    return m


def _park_label(code: str, park_names: dict[str, tuple[Any, Any]]) -> str:
    zh, en = park_names.get(str(code), (None, None))
    return _bilingual(zh, en) if (zh or en) else _esc(code)


def _parks_layer(parks: dict) -> folium.GeoJson:
    def props(p: dict) -> dict[str, str]:
        count = p.get("parcels")
        return {
            "code": _esc(p.get("code")),
            "name": _bilingual(p.get("name_zh"), p.get("name_en")),
            "area": _fmt_area(p),
            "parcels": _DASH if count is None else f"{int(count):,} 宗 parcels",
            "mfg": _fmt_area(p, "manufacturing_m2"),
            "label": f"<b>{_esc(p.get('name_zh'))}</b><br>{_esc(p.get('name_en'))}",
        }

    data, _ = _collection(parks, "code", props)
    style = {
        "fill": False,
        "color": PARK_OUTLINE,
        "weight": 3,
        "opacity": 0.9,
        "dashArray": "10 6",
    }
    return folium.GeoJson(
        data,
        name=LAYER_NAMES["parks"],
        style_function=lambda _f: dict(style),
        popup=_popup(
            data,
            [
                ("name", "园区 Park"),
                ("code", "代码 Code"),
                ("area", "面积 Area"),
                ("parcels", "地块 Parcels"),
                ("mfg", "制造业用地 Manufacturing land"),
            ],
        ),
        # The name sits above the park's northern edge, where it hides no parcel.
        on_each_feature=JsCode(
            """function (feature, layer) {
                var b = layer.getBounds();
                var label = L.tooltip({permanent: true, direction: "top",
                        className: "plm-park-label", interactive: false})
                    .setLatLng([b.getNorth(), b.getCenter().lng])
                    .setContent(feature.properties.label);
                layer.on("add", function () { label.addTo(layer._map); });
                layer.on("remove", function () { label.remove(); });
            }"""
        ),
    )


def _parcel_layers(
    parcels: dict,
    classes: dict[str, dict],
    park_names: dict[str, tuple[Any, Any]],
    hatches: dict[str, str],
) -> tuple[folium.GeoJson, folium.GeoJson]:
    def is_manufacturing(p: dict) -> bool:
        flag = p.get("is_manufacturing")
        if flag is None:
            flag = classes.get(str(p.get("land_use_code")), {}).get("is_manufacturing")
        return bool(flag)

    def props(p: dict) -> dict[str, str]:
        code = p.get("land_use_code")
        known = classes.get(str(code), {})
        zh = p.get("land_use_name") or known.get("name_zh")
        en = p.get("land_use_name_en") or known.get("name_en")
        status = PARCEL_STATUSES.get(str(p.get("status")))
        return {
            "code": _esc(p.get("parcel_code")),
            "park": _park_label(p.get("park"), park_names),
            "use": f"{_esc(code)} {_bilingual(zh, en)}",
            "mfg": "是 Yes" if is_manufacturing(p) else "否 No",
            "status": _bilingual(*status[:2]) if status else _esc(p.get("status")),
            "holder": _esc(p.get("holder")),
            "area": _fmt_area(p),
        }

    data, sources = _collection(parcels, "parcel_code", props)
    use_styles: dict[str, dict] = {}
    status_styles: dict[str, dict] = {}
    for feature, p in zip(data["features"], sources, strict=True):
        colour = land_use_colour(p.get("land_use_code"))
        status_colour = PARCEL_STATUSES.get(str(p.get("status")), ("", "", NO_DATA_COLOUR))[2]
        if is_manufacturing(p):
            hatches[colour] = _shade(colour, 0.55)
            outline = {"color": MANUFACTURING_OUTLINE, "weight": MANUFACTURING_WEIGHT, "opacity": 1}
            use = {"fillColor": f"url(#{_hatch_id(colour)})", "fillOpacity": 0.9, **outline}
            status = {"fillColor": status_colour, "fillOpacity": 0.85, **outline}
        else:
            thin = {"color": "#ffffff", "weight": 1, "opacity": 0.9}
            use = {"fillColor": colour, "fillOpacity": 0.75, **thin}
            status = {"fillColor": status_colour, "fillOpacity": 0.85, **thin}
        use_styles[feature["id"]] = use
        status_styles[feature["id"]] = status

    fields = [
        ("code", "地块编号 Parcel"),
        ("park", "园区 Park"),
        ("use", "用途 Land use"),
        ("mfg", "制造业用地 Manufacturing"),
        ("status", "状态 Status"),
        ("holder", "权利人 Holder"),
        ("area", "面积 Area"),
    ]
    highlight = {"weight": 3.5, "color": "#00b8d9", "fillOpacity": 0.95}
    layers = []
    for key, styles, show in (
        ("parcels_use", use_styles, True),
        ("parcels_status", status_styles, False),
    ):
        layers.append(
            folium.GeoJson(
                data,
                name=LAYER_NAMES[key],
                show=show,
                style_function=_styled(styles),
                highlight_function=lambda _f: dict(highlight),
                popup=_popup(data, fields),
                tooltip=_tooltip(data, ["code"]),
                className="plm-parcel",
            )
        )
    return layers[0], layers[1]


def _buildings_layer(buildings: dict, park_names: dict[str, tuple[Any, Any]]) -> folium.GeoJson:
    def vacancy(p: dict) -> float | None:
        floor = _num(p.get("floor_area_m2"))
        if not floor or floor <= 0:
            return None
        vacant = _num(p.get("vacant_m2"))
        if vacant is None:
            leased = _num(p.get("leased_m2"))
            vacant = None if leased is None else floor - leased
        return None if vacant is None else min(max(vacant / floor, 0.0), 1.0)

    def share(value: Any, floor: Any) -> str:
        v, f = _num(value), _num(floor)
        text = _fmt_m2(v)
        return f"{text} ({v / f:.0%})" if v is not None and f else text

    def props(p: dict) -> dict[str, str]:
        storeys = p.get("storeys")
        return {
            "code": _esc(p.get("building_code")),
            "name": _esc(p.get("name")),
            "park": _park_label(p.get("park"), park_names),
            "parcel": _esc(p.get("parcel_code")),
            "storeys": _DASH if storeys is None else f"{storeys} 层 storeys",
            "floor": _fmt_m2(p.get("floor_area_m2")),
            "leased": share(p.get("leased_m2"), p.get("floor_area_m2")),
            "vacant": share(p.get("vacant_m2"), p.get("floor_area_m2")),
        }

    data, sources = _collection(buildings, "building_code", props)
    styles = {
        feature["id"]: {
            "fillColor": vacancy_colour(vacancy(p)),
            "fillOpacity": 0.92,
            "color": "#263238",
            "weight": 1.2,
            "opacity": 1,
        }
        for feature, p in zip(data["features"], sources, strict=True)
    }
    return folium.GeoJson(
        data,
        name=LAYER_NAMES["buildings"],
        style_function=_styled(styles),
        highlight_function=lambda _f: {"weight": 3, "color": "#00b8d9"},
        popup=_popup(
            data,
            [
                ("code", "厂房编号 Building"),
                ("name", "名称 Name"),
                ("park", "园区 Park"),
                ("parcel", "所在地块 Parcel"),
                ("storeys", "层数 Storeys"),
                ("floor", "建筑面积 Floor area"),
                ("leased", "已出租 Leased"),
                ("vacant", "空置 Vacant"),
            ],
        ),
        tooltip=_tooltip(data, ["code", "name"]),
        className="plm-building",
    )


def _projects_layer(projects: dict, park_names: dict[str, tuple[Any, Any]]) -> folium.GeoJson:
    def invest(value: Any) -> str:
        yi = _num(value)
        return _DASH if yi is None else f"{yi:,.2f} 亿元 (CNY {yi / 10:,.2f} bn)"

    def props(p: dict) -> dict[str, str]:
        status = PROJECT_STATUSES.get(str(p.get("status")))
        codes = p.get("parcel_codes") or []
        return {
            "code": _esc(p.get("project_code")),
            "name": _esc(p.get("name")),
            "park": _park_label(p.get("park"), park_names),
            "investor": _esc(p.get("investor")),
            "chain": _esc(p.get("industry_chain")),
            "invest": invest(p.get("investment_yi")),
            "status": _bilingual(*status[:2]) if status else _esc(p.get("status")),
            "parcels": _esc(", ".join(map(str, codes))) if codes else _DASH,
        }

    data, sources = _collection(projects, "project_code", props)
    styles = {}
    for feature, p in zip(data["features"], sources, strict=True):
        _zh, _en, colour, dashed = PROJECT_STATUSES.get(
            str(p.get("status")), ("", "", NO_DATA_COLOUR, True)
        )
        styles[feature["id"]] = {
            "color": colour,
            "weight": 4,
            "opacity": 1,
            "fillColor": colour,
            "fillOpacity": 0.12,
            **({"dashArray": "7 5"} if dashed else {}),
        }
    return folium.GeoJson(
        data,
        name=LAYER_NAMES["projects"],
        style_function=_styled(styles),
        highlight_function=lambda _f: {"weight": 6, "fillOpacity": 0.25},
        # Only the outline takes clicks (see _CSS): the parcels inside keep their popups.
        className="plm-project",
        popup=_popup(
            data,
            [
                ("name", "项目 Project"),
                ("code", "编号 Code"),
                ("park", "园区 Park"),
                ("investor", "投资方 Investor"),
                ("chain", "产业链 Industry chain"),
                ("invest", "总投资 Investment"),
                ("status", "状态 Status"),
                ("parcels", "用地 Parcels"),
            ],
        ),
        tooltip=_tooltip(data, ["code", "name"]),
    )


# --- title box and legend -----------------------------------------------------------------


def _title_html(
    title_zh: str, title_en: str, parks: dict, parcels: dict, classes: dict[str, dict]
) -> str:
    park_props = [f.get("properties") or {} for f in (parks or {}).get("features") or []]
    parcel_props = [f.get("properties") or {} for f in (parcels or {}).get("features") or []]
    mfg_m2: float | None
    if park_props and all(_num(p.get("manufacturing_m2")) is not None for p in park_props):
        mfg_m2 = sum(_num(p.get("manufacturing_m2")) or 0.0 for p in park_props)
    else:
        mfg_m2 = sum(
            _num(p.get("area_m2")) or 0.0
            for p in parcel_props
            if p.get("is_manufacturing")
            or (
                p.get("is_manufacturing") is None
                and classes.get(str(p.get("land_use_code")), {}).get("is_manufacturing")
            )
        )
    stats = (
        f"<b>{len(park_props)}</b> 个园区 parks · <b>{len(parcel_props):,}</b> 宗地块 parcels"
        f"<br>制造业用地 Manufacturing land <b>{mfg_m2 / M2_PER_MU:,.1f}</b> 亩"
        f" ({mfg_m2 / M2_PER_HA:,.1f} ha)"
    )
    chips = "".join(
        f'<button type="button" data-plm-park="{html.escape(str(p.get("code")), quote=True)}"'
        f' title="{_esc(p.get("code"))}">{_esc(p.get("name_zh"))}'
        f' <span class="plm-en">{_esc(p.get("name_en"))}</span></button>'
        for p in park_props
    )
    if len(park_props) > 1:
        chips += '<button type="button" data-plm-park="">全部 All</button>'
    return (
        '<div class="plm-title">'
        f"<h1>{_esc(title_zh)}</h1><h2>{_esc(title_en)}</h2>"
        f'<div class="plm-stats">{stats}</div>'
        f'<div class="plm-parks">{chips}</div>'
        "</div>"
    )


def _swatch(colour: str, *, hatch: str | None = None, outline: str | None = None) -> str:
    style = f"background-color:{colour}"
    if hatch:
        style += (
            f";background-image:repeating-linear-gradient(135deg,{hatch} 0 1.6px,"
            f"transparent 1.6px 5px)"
        )
    if outline:
        style += f";border:2px solid {outline}"
    return f'<span class="plm-sw" style="{style}"></span>'


def _line(colour: str, *, dashed: bool = False, width: int = 3) -> str:
    kind = "dashed" if dashed else "solid"
    return f'<span class="plm-line" style="border-top:{width}px {kind} {colour}"></span>'


def _row(symbol: str, label: str) -> str:
    return f'<div class="plm-row">{symbol}<span>{label}</span></div>'


def _legend_html(classes: dict[str, dict], hatches: dict[str, str]) -> str:
    use_rows = []
    for code in sorted(classes):
        c = classes[code]
        colour = land_use_colour(code)
        label = (
            f'<span class="plm-code">{_esc(code)}</span> {_esc(c.get("name_zh"))}'
            f' <span class="plm-en">{_esc(c.get("name_en"))}</span>'
        )
        if c.get("is_manufacturing"):
            hatches.setdefault(colour, _shade(colour, 0.55))
            symbol = _swatch(colour, hatch=hatches[colour], outline=MANUFACTURING_OUTLINE)
            label += ' <span class="plm-badge">制造业 Mfg</span>'
        else:
            symbol = _swatch(colour)
        use_rows.append(_row(symbol, label))
    mfg_colour = next(iter(hatches), LAND_USE_COLOURS["0601"])
    use_rows.append(
        _row(
            _swatch(
                mfg_colour,
                hatch=hatches.get(mfg_colour, _shade(mfg_colour, 0.55)),
                outline=MANUFACTURING_OUTLINE,
            ),
            "<b>制造业用地</b>（粗边框·斜线，只增不减）"
            '<br><span class="plm-en">Manufacturing land (thick outline, hatched;'
            " never decreases)</span>",
        )
    )
    status_rows = [
        _row(_swatch(colour), f'{_esc(zh)} <span class="plm-en">{_esc(en)}</span>')
        for zh, en, colour in PARCEL_STATUSES.values()
    ]
    ramp = "".join(
        f'<span style="background:{colour}"></span>' for _upper, colour in VACANCY_CLASSES
    )
    ticks = "".join(f"<span>{upper:.0%}</span>" for upper, _c in VACANCY_CLASSES)
    project_rows = [
        _row(_line(colour, dashed=dashed), f'{_esc(zh)} <span class="plm-en">{_esc(en)}</span>')
        for zh, en, colour, dashed in PROJECT_STATUSES.values()
    ]

    def section(key: str, body: str, extra: str = "") -> str:
        zh, en = LAYER_NAMES[key].split(" ", 1)
        return (
            f'<section data-plm-section="{key}"{extra}>'
            f'<h4>{zh} <span class="plm-en">{en}</span></h4>{body}</section>'
        )

    return (
        '<div class="plm-legend"><details open><summary>图例 <span class="plm-en">Legend'
        "</span></summary>"
        + section("parcels_use", "".join(use_rows))
        + section("parcels_status", f'<div class="plm-grid">{"".join(status_rows)}</div>')
        + section(
            "buildings",
            f'<div class="plm-ramp">{ramp}</div>'
            f'<div class="plm-ticks"><span>0%</span>{ticks}</div>'
            '<div class="plm-ramp-ends"><span>满租 <span class="plm-en">fully let</span></span>'
            '<span>空置率 <span class="plm-en">vacancy</span></span>'
            '<span>全空 <span class="plm-en">empty</span></span></div>',
        )
        + section("projects", f'<div class="plm-grid">{"".join(project_rows)}</div>')
        + section(
            "parks",
            _row(
                _line(PARK_OUTLINE, dashed=True),
                '园区边界 <span class="plm-en">Park boundary</span>',
            ),
        )
        + "</details></div>"
    )


_CSS = """
#{{ map }}.leaflet-container {
    background: #f1efe8;
    font: 12px/1.45 "Helvetica Neue", Arial, "PingFang SC", "Hiragino Sans GB",
        "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei",
        sans-serif;
}
.plm-title, .plm-legend, #{{ map }} .leaflet-control-layers {
    background: rgba(255, 255, 255, 0.96); border-radius: 6px; color: #1f2933;
    box-shadow: 0 1px 6px rgba(15, 30, 50, 0.28); border: none;
}
.plm-title { padding: 10px 14px 10px 12px; max-width: 440px; border-left: 5px solid #1d3557; }
.plm-title h1 { margin: 0; font-size: 17px; font-weight: 600; color: #1d3557; }
.plm-title h2 { margin: 1px 0 6px; font-size: 12.5px; font-weight: 400; color: #52606d; }
.plm-stats { font-size: 12px; color: #323f4b; }
.plm-stats b { color: #6b3410; }
.plm-parks { margin-top: 7px; display: flex; flex-wrap: wrap; gap: 4px; }
.plm-parks button {
    font: inherit; font-size: 11.5px; cursor: pointer; color: #1d3557;
    border: 1px solid #c5cbd3; background: #f5f7fa; border-radius: 11px; padding: 1px 9px;
}
.plm-parks button:hover { background: #1d3557; color: #fff; }
.plm-parks button:hover .plm-en { color: #dbe4ee; }
#{{ map }} .leaflet-control-layers-expanded { padding: 6px 10px 6px 8px; font-size: 12.5px; }
#{{ map }} .leaflet-control-layers-overlays label { margin: 2px 0; }
.plm-legend {
    padding: 6px 11px 8px; min-width: 240px; max-width: 330px; font-size: 12px;
    max-height: calc(100vh - 160px); overflow-y: auto;
}
.plm-legend summary { font-weight: 600; font-size: 13px; cursor: pointer; color: #1d3557; }
.plm-legend section { margin-top: 7px; }
.plm-legend section.plm-off { opacity: 0.38; }
.plm-legend h4 {
    margin: 0 0 3px; padding-bottom: 2px; font-size: 12px; color: #1d3557;
    border-bottom: 1px solid #e4e7eb;
}
.plm-row { display: flex; align-items: flex-start; gap: 7px; line-height: 1.3; margin: 2px 0; }
.plm-sw {
    flex: none; width: 20px; height: 13px; box-sizing: border-box;
    border: 1px solid rgba(0, 0, 0, 0.22); border-radius: 2px; margin-top: 1px;
}
.plm-line { flex: none; width: 20px; height: 0; margin-top: 7px; }
.plm-grid { display: grid; grid-template-columns: 1fr 1fr; column-gap: 10px; }
.plm-en { color: #616e7c; }
.plm-code { color: #7b8794; font-variant-numeric: tabular-nums; }
.plm-badge {
    font-size: 10px; background: #2b1206; color: #fff; border-radius: 3px; padding: 0 4px;
    white-space: nowrap;
}
.plm-ramp { display: flex; height: 11px; border-radius: 2px; overflow: hidden;
    border: 1px solid rgba(0, 0, 0, 0.2); margin-top: 3px; }
.plm-ramp span { flex: 1; }
.plm-ticks, .plm-ramp-ends { display: flex; justify-content: space-between; font-size: 10.5px;
    color: #52606d; }
.plm-popup .leaflet-popup-content { margin: 10px 12px; }
.plm-popup table { border-collapse: collapse; font-size: 12px; }
.plm-popup tr + tr { border-top: 1px solid #eef0f3; }
.plm-popup th { text-align: left; font-weight: 500; color: #616e7c; padding: 3px 12px 3px 0;
    white-space: nowrap; vertical-align: top; }
.plm-popup td { padding: 3px 0; color: #1f2933; }
.plm-popup tr:first-child td { font-weight: 600; color: #1d3557; }
.plm-tooltip table { font-size: 12px; }
.plm-tooltip td { padding: 0 2px; }
.leaflet-tooltip.plm-park-label {
    background: rgba(255, 255, 255, 0.82); border: 1px solid #1d3557; color: #1d3557;
    font-size: 12.5px; text-align: center; line-height: 1.25; box-shadow: none;
    padding: 3px 8px;
}
.leaflet-tooltip.plm-park-label::before { display: none; }
.leaflet-pane > svg path.leaflet-interactive.plm-project { pointer-events: visibleStroke; }
#{{ map }}.plm-far path.plm-parcel, #{{ map }}.plm-far path.plm-building { stroke-width: 0.6px; }
#{{ map }}.plm-far path.plm-project { stroke-width: 2px; }
.plm-defs { position: absolute; width: 0; height: 0; overflow: hidden; }
"""


class _MapChrome(MacroElement):
    """Title box, legend, zoom and scale controls, the manufacturing hatch patterns and the
    behaviour that ties them to the layers (rendered after the layers and the layer
    control)."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>{{ this.css }}</style>
        {% endmacro %}

        {% macro html(this, kwargs) %}
        <svg class="plm-defs" aria-hidden="true" focusable="false"><defs>
        {%- for colour, hatch in this.hatches.items() %}
        <pattern id="{{ this.hatch_id(colour) }}" patternUnits="userSpaceOnUse" width="6"
            height="6" patternTransform="rotate(45)"><rect width="6" height="6"
            fill="{{ colour }}"/><rect width="1.8" height="6" fill="{{ hatch }}"/></pattern>
        {%- endfor %}
        </defs></svg>
        <template id="{{ this.get_name() }}_title">{{ this.title_html }}</template>
        <template id="{{ this.get_name() }}_legend">{{ this.legend_html }}</template>
        {% endmacro %}

        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var layers = {
                parks: {{ this.parks.get_name() }},
                parcels_use: {{ this.parcels_use.get_name() }},
                parcels_status: {{ this.parcels_status.get_name() }},
                buildings: {{ this.buildings.get_name() }},
                projects: {{ this.projects.get_name() }}
            };
            var Box = L.Control.extend({
                onAdd: function () { return this.options.el; }
            });
            function fromTemplate(id) {
                var el = document.getElementById(id).content.firstElementChild.cloneNode(true);
                L.DomEvent.disableClickPropagation(el);
                L.DomEvent.disableScrollPropagation(el);
                return el;
            }
            var title = fromTemplate("{{ this.get_name() }}_title");
            new Box({position: "topleft", el: title}).addTo(map);
            L.control.zoom({position: "topleft", zoomInTitle: "放大 Zoom in",
                zoomOutTitle: "缩小 Zoom out"}).addTo(map);
            L.control.scale({position: "bottomleft", imperial: false, maxWidth: 160})
                .addTo(map);
            var legend = fromTemplate("{{ this.get_name() }}_legend");
            new Box({position: "bottomright", el: legend}).addTo(map);
            if (map.attributionControl) {
                map.attributionControl.setPrefix({{ this.prefix|tojson }});
            }

            // Small layers stay clickable above the parcels, and boundaries stay visible,
            // whatever order the layer control adds layers in.
            function keepInFront() {
                [layers.projects, layers.buildings, layers.parks].forEach(function (layer) {
                    if (map.hasLayer(layer)) { layer.bringToFront(); }
                });
            }
            function syncLegend() {
                Object.keys(layers).forEach(function (key) {
                    var section = legend.querySelector('[data-plm-section="' + key + '"]');
                    if (section) {
                        section.classList.toggle("plm-off", !map.hasLayer(layers[key]));
                    }
                });
            }
            // The two parcel layers colour the same parcels: showing one hides the other
            // (after the layer control has finished with the click, so it shows the change).
            var parcelViews = [layers.parcels_use, layers.parcels_status];
            map.on("overlayadd", function (e) {
                var i = parcelViews.indexOf(e.layer);
                if (i < 0) { return; }
                setTimeout(function () {
                    if (map.hasLayer(parcelViews[1 - i])) { map.removeLayer(parcelViews[1 - i]); }
                    keepInFront();
                }, 0);
            });
            map.on("overlayadd", keepInFront);
            map.on("overlayadd overlayremove", syncLegend);
            keepInFront();
            syncLegend();

            // Fit to the parks in the part of the map the title box and legend leave free.
            function fit(bounds) {
                var size = map.getSize();
                var right = Math.min(legend.offsetWidth + 24, size.x * 0.35);
                var top = Math.min(title.offsetHeight + 24, size.y * 0.3);
                map.fitBounds(bounds, {paddingTopLeft: [24, top], paddingBottomRight: [right, 24],
                    maxZoom: 17});
            }
            var allBounds = L.latLngBounds({{ this.bounds|tojson }});
            fit(allBounds);

            // Seen from afar, parcel outlines would bury the fills: draw them hairline.
            function syncScale() {
                map.getContainer().classList.toggle("plm-far", map.getZoom() < 13.5);
            }
            map.on("zoomend", syncScale);
            syncScale();
            title.querySelectorAll("[data-plm-park]").forEach(function (button) {
                button.addEventListener("click", function () {
                    var code = button.getAttribute("data-plm-park");
                    if (!code) {
                        fit(allBounds);
                        return;
                    }
                    layers.parks.eachLayer(function (layer) {
                        if (layer.feature && layer.feature.properties.code === code) {
                            fit(layer.getBounds());
                        }
                    });
                });
            });
        })();
        {% endmacro %}
        """
    )

    def __init__(
        self,
        *,
        title_html: str,
        legend_html: str,
        hatches: dict[str, str],
        bounds: list[list[float]],
        **layers: folium.GeoJson,
    ):
        super().__init__()
        self._name = "MapChrome"
        self.title_html = title_html
        self.legend_html = legend_html
        self.hatches = hatches
        self.hatch_id = _hatch_id
        self.bounds = bounds
        self.prefix = _ATTRIBUTION_PREFIX
        for key, layer in layers.items():
            setattr(self, key, layer)

    def render(self, **kwargs: Any) -> None:
        self.css = Template(_CSS).render(map=self._parent.get_name())
        super().render(**kwargs)


# --- HTML ----------------------------------------------------------------------------------

_SCRIPT_LINK = re.compile(r'<script src="([^"]+)"></script>')
_CSS_LINK = re.compile(r'<link rel="stylesheet" href="([^"]+)"/>')
_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)""")
_SOURCE_MAP = re.compile(r"^\s*(//# sourceMappingURL=.*|/\*# sourceMappingURL=.*\*/)\s*$", re.M)


def render_html(m: folium.Map, *, inline_assets_from: Path | None = None) -> str:
    """The map as a whole HTML page.

    With *inline_assets_from* (the ``web/static/vendor`` directory), every script and
    stylesheet under the map's asset base is copied into the page, and the images the
    stylesheets use become data URIs, so the file works offline without the server;
    otherwise the page loads them from the asset base. Raises :class:`MissingAsset` when a
    file to inline is not there.
    """
    page = m.get_root().render()
    if inline_assets_from is None:
        return page
    root = Path(inline_assets_from)
    base = getattr(m, "asset_base", DEFAULT_ASSET_BASE).rstrip("/") + "/"

    def local(url: str) -> Path | None:
        if not url.startswith(base):
            return None
        path = root / url[len(base) :]
        if not path.is_file():
            raise MissingAsset(f"{path} is missing: run scripts/vendor-web.sh")
        return path

    def script(match: re.Match[str]) -> str:
        path = local(match.group(1))
        if path is None:
            return match.group(0)
        code = _SOURCE_MAP.sub("", path.read_text(encoding="utf-8"))
        return "<script>" + code.replace("</script", "<\\/script") + "</script>"

    def style(match: re.Match[str]) -> str:
        path = local(match.group(1))
        if path is None:
            return match.group(0)
        css = _SOURCE_MAP.sub("", path.read_text(encoding="utf-8"))
        css = _CSS_URL.sub(lambda u: _data_uri(u, path.parent), css)
        return "<style>" + css.replace("</style", "<\\/style") + "</style>"

    # Functions as replacements: the inlined code is taken literally, backslashes and all.
    page = _SCRIPT_LINK.sub(script, page)
    return _CSS_LINK.sub(style, page)


def _data_uri(match: re.Match[str], folder: Path) -> str:
    """``url(images/x.png)`` of a stylesheet in *folder* as a data URI, when the file is
    there; other URLs (data:, fragments, absent files) stay as they are."""
    ref = match.group(2).strip()
    if ref.startswith(("data:", "#", "/")) or "://" in ref:
        return match.group(0)
    path = (folder / ref.split("?")[0].split("#")[0]).resolve()
    if not path.is_file():
        return match.group(0)
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    payload = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'url("data:{mime};base64,{payload}")'

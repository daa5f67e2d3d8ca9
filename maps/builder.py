"""Folium maps of a city's parks: park boundaries, parcels by land use and by status,
standard factory buildings by vacancy, key project sites and context layers, with a
bilingual legend, key figures and targets, search, measuring, draw-to-query and a
Chinese/English switch.

The maps work offline: every script and stylesheet comes from ``asset_base`` (the
vendored libraries; the service serves ``web/static`` at ``/static``, so the default is
``/static/vendor``) or ``app_base`` (the pages' own ``plm.js``/``plm.css``,
``/static/map``), or is inlined into the HTML by :func:`render_html` for a file that must
open without the server. There is no tile layer unless one is asked for.

A layer is embedded as GeoJSON (a FeatureCollection dict in EPSG:4326), drawn from
vector tiles (:class:`Tiles`) or, for a layer offered switched off, fetched as GeoJSON
from the service the first time it is switched on (:class:`Fetched`); plm.js styles
them alike and builds the same popups.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import folium
from branca.element import Element, MacroElement
from folium.elements import JSCSSMixin

from maps import fragments as h
from maps.assets import render_html
from maps.elements import (
    Chrome,
    Data,
    LocalFullscreen,
    LocalMeasureControl,
    PlmLayer,
    Setup,
    layer_control,
)
from maps.errors import MapOptionError, MissingAsset
from maps.style import (
    ALERT_COLOUR,
    CANDIDATE_COLOUR,
    FALLBACK_COLOURS,
    GRADE_LOOKS,
    IDLE_OUTLINE,
    IDLE_STAGE_LOOKS,
    LAND_USE_COLOURS,
    LAYER_NAMES,
    LAYER_TITLES,
    MANUFACTURING_OUTLINE,
    MANUFACTURING_WEIGHT,
    NO_DATA_COLOUR,
    PARCEL_STATUSES,
    PARK_MISSED_OUTLINE,
    PARK_OUTLINE,
    PROJECT_STATUSES,
    VACANCY_CLASSES,
    context_style,
    hatch_colour,
    hatch_id,
    land_use_colour,
    vacancy_colour,
)
from parks.supervision.words import IDLE_CLOCKS

__all__ = [
    "BASEMAPS",
    "DEFAULT_APP_BASE",
    "DEFAULT_ASSET_BASE",
    "FALLBACK_COLOURS",
    "LAND_USE_COLOURS",
    "LAYER_NAMES",
    "MANUFACTURING_OUTLINE",
    "MANUFACTURING_WEIGHT",
    "PARCEL_STATUSES",
    "PROJECT_STATUSES",
    "ContextLayer",
    "Fetched",
    "MapOptionError",
    "MissingAsset",
    "ParkMap",
    "Tiles",
    "basemap_tile_urls",
    "build_park_map",
    "feature_boxes",
    "land_use_colour",
    "render_html",
    "tianditu_url",
    "vacancy_colour",
]

DEFAULT_ASSET_BASE = "/static/vendor"
DEFAULT_APP_BASE = "/static/map"
#: Paths under ``asset_base`` (and under ``web/static/vendor``) of what every map page loads.
LEAFLET_JS = "leaflet/leaflet.js"
LEAFLET_CSS = "leaflet/leaflet.css"
#: The change-set editor's files under the app base (``web/static/map``).
EDITOR_JS = "editor.js"
EDITOR_CSS = "editor.css"

BASEMAPS = ("none", "osm", "tianditu", "custom")
#: What a basemap's tile server is told of the page: the site's origin, never the page's
#: address. The pages' own policy (``same-origin``) would tell it nothing, and OSM's tile
#: usage policy and 天地图's browser keys want the site named.
TILE_REFERRER_POLICY = "strict-origin-when-cross-origin"
#: 天地图 layers: vector (vec) or imagery (img), each with its annotation layer.
TIANDITU_LAYERS = {"vec": "cva", "img": "cia"}

COORD_DIGITS = 6
_ATTRIBUTION_PREFIX = "Leaflet"  # attribution prefix: Leaflet's own is a link with a flag icon

#: Properties each embedded layer keeps (the popups and styles use no others).
_KEEP: dict[str, tuple[str, ...]] = {
    "parcels": (
        "parcel_code",
        "park",
        "land_use_code",
        "is_manufacturing",
        "status",
        "holder",
        "supply_mode",
        "supplied_on",
        "area_m2",
    ),
    "buildings": (
        "building_code",
        "park",
        "parcel_code",
        "name",
        "storeys",
        "floor_area_m2",
        "leased_m2",
        "vacant_m2",
    ),
    "projects": (
        "project_code",
        "name",
        "park",
        "investor",
        "industry_chain",
        "investment_yi",
        "status",
        "milestones",
        "parcel_codes",
        "site_area_m2",
    ),
    "parks": ("code", "name_zh", "name_en", "area_m2", "parcels", "manufacturing_m2"),
    "context": ("name", "kind", "park", "layer"),
    "idle": (
        "parcel_code",
        "park",
        "holder",
        "contract_no",
        "stage",
        "clock",
        "clock_started_on",
        "days_on_clock",
        "delay_days",
        "idle_on",
        "recovery_on",
        "fee_wan",
        "for_decision",
        "land_area_m2",
        "as_of",
    ),
    "grades": (
        "parcel_code",
        "park",
        "holder",
        "enterprise_code",
        "grade",
        "score",
        "rank",
        "year",
        "low_efficiency",
        "area_m2",
    ),
    "alerts": (
        "project_code",
        "name",
        "park",
        "status",
        "behind",
        "planned_to_date_wan",
        "completed_to_date_wan",
        "completion_to_date_pct",
        "shortfall_share",
        "overdue_problems",
        "max_days_overdue",
        "milestones_late",
        "as_of",
    ),
}
_CODE_KEY = {
    "parcels": "parcel_code",
    "buildings": "building_code",
    "projects": "project_code",
    "parks": "code",
    "idle": "parcel_code",
    "grades": "parcel_code",
    "alerts": "project_code",
}


@dataclass(frozen=True, slots=True)
class Tiles:
    """A layer drawn from vector tiles: an XYZ URL template (``{z}/{x}/{y}``) of
    Mapbox Vector Tiles, and the name of the layer inside the tiles."""

    url: str
    layer: str
    count: int | None = None


@dataclass(frozen=True, slots=True)
class Fetched:
    """A layer the page fetches, the first time it is switched on, as GeoJSON (a
    FeatureCollection in EPSG:4326) from *url*: a path of the service that served the
    page (``/api/...?...``), asked with the page's own credentials (its session cookie).
    For a layer that is costly to build and seldom looked at."""

    url: str

    def __post_init__(self) -> None:
        # The page asks only the service that served it: a path, never another origin.
        if not self.url.startswith("/") or self.url.startswith("//") or "\\" in self.url:
            raise MapOptionError(
                f"a fetched layer's URL must be a path of the service, not {self.url!r}"
            )


@dataclass(frozen=True, slots=True)
class ContextLayer:
    """A context layer (roads, rail, river, ...): its name, bilingual title, and its
    features (a FeatureCollection) or :class:`Tiles`."""

    name: str
    title_zh: str
    title_en: str
    source: dict | Tiles = field(default_factory=lambda: {"features": []})


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


def feature_boxes(fc: dict | None) -> list[tuple[float, float, float, float]]:
    """``(west, south, east, north)`` of each feature of *fc* that has coordinates."""
    out = []
    for f in _features(fc):
        b = _bounds({"features": [f]})
        if b:
            out.append((b[0][1], b[0][0], b[1][1], b[1][0]))
    return out


def slim(fc: dict | None, kind: str) -> dict:
    """The FeatureCollection a page embeds: features with a geometry, coordinates rounded
    to :data:`COORD_DIGITS`, only the properties the map shows (all for unknown kinds),
    and a unique ``id`` each (the feature's code where it has one)."""
    keep = _KEEP.get(kind)
    code_key = _CODE_KEY.get(kind)
    out: list[dict] = []
    seen: set[str] = set()
    for i, feature in enumerate(_features(fc)):
        props = feature.get("properties") or {}
        fid = str(props.get(code_key) or feature.get("id") or f"#{i}")
        if fid in seen:
            fid = f"{fid}#{i}"
        seen.add(fid)
        geometry = feature["geometry"]
        out.append(
            {
                "type": "Feature",
                "id": fid,
                "geometry": {
                    "type": geometry["type"],
                    "coordinates": _round_coords(geometry.get("coordinates")),
                },
                "properties": {k: props.get(k) for k in keep} if keep else dict(props),
            }
        )
    return {"type": "FeatureCollection", "features": out}


# --- the map ------------------------------------------------------------------------------


def _plain_path(value: str, what: str) -> str:
    base = value.rstrip("/")
    if any(ch in base for ch in "\"'<> "):
        raise MapOptionError(f"{what} {value!r} is not a plain URL path")
    return base


class ParkMap(folium.Map):
    """A :class:`folium.Map` that loads only Leaflet, from ``asset_base`` (no CDN, no jQuery,
    Bootstrap or Font Awesome: nothing on these maps uses them); its own script and
    style come from ``app_base``."""

    def __init__(
        self, *, asset_base: str = DEFAULT_ASSET_BASE, app_base: str = DEFAULT_APP_BASE, **kwargs
    ):
        base = _plain_path(asset_base, "asset_base")
        app = _plain_path(app_base, "app_base")
        super().__init__(**kwargs)
        self.asset_base = base
        self.app_base = app
        # Instance lists: folium's class-level defaults (CDN URLs) stay untouched.
        self.default_js = [("leaflet", f"{base}/{LEAFLET_JS}")]
        self.default_css = [("leaflet_css", f"{base}/{LEAFLET_CSS}")]
        # No icon to fetch: the browser would otherwise ask for /favicon.ico.
        self.get_root().header.add_child(Element('<link rel="icon" href="data:,">'), name="icon")


class EditorAssets(JSCSSMixin, MacroElement):
    """The change-set editor's script and style (``editor.js``, ``editor.css`` under the
    app base). No call in the page starts it: it starts itself once the page is read,
    from the map's config (``config.editor``)."""

    def __init__(self, *, app_base: str):
        super().__init__()
        self._name = "PlmEditor"
        self.default_js = [("plm_editor_js", f"{app_base}/{EDITOR_JS}")]
        self.default_css = [("plm_editor_css", f"{app_base}/{EDITOR_CSS}")]


def tianditu_url(key: str, *, layer: str = "vec", labels: bool = False) -> str:
    """The XYZ template of a 天地图 (Tianditu) web-Mercator layer: ``vec`` (vector) or
    ``img`` (imagery), or with *labels* its annotation layer; *key* is the 天地图 key."""
    if layer not in TIANDITU_LAYERS:
        raise MapOptionError(f"tianditu layer must be vec or img, not {layer!r}")
    if not key or not re.fullmatch(r"[A-Za-z0-9]+", key):
        raise MapOptionError("tianditu needs a key (letters and digits)")
    name = TIANDITU_LAYERS[layer] if labels else layer
    return (
        f"https://t{{s}}.tianditu.gov.cn/{name}_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
        f"&VERSION=1.0.0&LAYER={name}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
        f"&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}"
    )


def _check_xyz(url: str) -> None:
    if not all(p in url for p in ("{z}", "{x}")) or not re.search(r"\{-?y\}", url):
        raise MapOptionError("tile_url must be an XYZ template with {z}, {x} and {y}")


def _tile_layers(
    basemap: str, tile_url: str | None, label_url: str | None
) -> list[folium.TileLayer]:
    if basemap not in BASEMAPS:
        raise MapOptionError(f"basemap must be one of {', '.join(BASEMAPS)}, not {basemap!r}")
    if basemap == "none":
        if tile_url or label_url:
            raise MapOptionError("tile_url needs basemap 'custom' or 'tianditu'")
        return []
    if basemap == "osm":
        return [
            folium.TileLayer(
                "OpenStreetMap",
                name="OpenStreetMap",
                control=False,
                referrer_policy=TILE_REFERRER_POLICY,
            )
        ]
    if not tile_url:
        raise MapOptionError(f"basemap {basemap!r} needs tile_url (an XYZ URL template)")
    _check_xyz(tile_url)
    attr = "天地图 Tianditu" if basemap == "tianditu" else "底图 Basemap"
    subdomains = "01234567" if basemap == "tianditu" else "abc"
    layers = [
        folium.TileLayer(
            tiles=tile_url,
            attr=attr,
            name=attr,
            control=False,
            subdomains=subdomains,
            max_zoom=19,
            referrer_policy=TILE_REFERRER_POLICY,
        )
    ]
    if label_url:
        _check_xyz(label_url)
        layers.append(
            folium.TileLayer(
                tiles=label_url,
                attr=attr,
                name=attr + " labels",
                control=False,
                overlay=True,
                subdomains=subdomains,
                max_zoom=19,
                referrer_policy=TILE_REFERRER_POLICY,
            )
        )
    return layers


def basemap_tile_urls(
    basemap: str = "none", tile_url: str | None = None, label_url: str | None = None
) -> list[str]:
    """Every URL template the basemap's tiles load from (one per subdomain, ``{s}``
    filled in): what a page's Content-Security-Policy must allow images from; none for
    ``basemap="none"``. Raises :class:`MapOptionError` as :func:`build_park_map` would."""
    urls: list[str] = []
    for layer in _tile_layers(basemap, tile_url, label_url):
        subdomains = layer.options.get("subdomains") or ""
        if "{s}" in layer.tiles and subdomains:
            urls += [layer.tiles.replace("{s}", s) for s in subdomains]
        else:
            urls.append(layer.tiles)
    return urls


def _is_manufacturing(props: dict, classes: Mapping[str, dict]) -> bool:
    flag = props.get("is_manufacturing")
    if flag is None:
        flag = classes.get(str(props.get("land_use_code")), {}).get("is_manufacturing")
    return bool(flag)


def _config(
    *,
    classes: Mapping[str, dict],
    hatches: dict[str, str],
    park_props: list[dict],
    figures: Mapping[str, Any] | None,
    context: Sequence[ContextLayer],
    links: Mapping[str, str] | None,
    search_url: str | None,
    draw_url: str | None,
    park: str | None,
    bounds: list[list[float]],
    park_boxes: list[list[list[float]]],
    focus: str | None,
    search_index: bool,
    fetched: Mapping[str, str],
) -> dict:
    by_park = {str(f.get("park")): f for f in (figures or {}).get("parks") or []}
    return {
        "colours": {
            "landUse": {code: land_use_colour(code) for code in classes},
            "noData": NO_DATA_COLOUR,
            "status": {code: s[2] for code, s in PARCEL_STATUSES.items()},
            "vacancy": [list(v) for v in VACANCY_CLASSES],
            "projects": {code: [s[2], s[3]] for code, s in PROJECT_STATUSES.items()},
            "mfgOutline": MANUFACTURING_OUTLINE,
            "mfgWeight": MANUFACTURING_WEIGHT,
            "park": PARK_OUTLINE,
            "parkMissed": PARK_MISSED_OUTLINE,
            "candidate": CANDIDATE_COLOUR,
            "context": {c.name: context_style(c.name) for c in context},
            "idle": {code: s[2] for code, s in IDLE_STAGE_LOOKS.items()},
            "idleOutline": IDLE_OUTLINE,
            "grades": {code: s[2] for code, s in GRADE_LOOKS.items()},
            "alert": ALERT_COLOUR,
        },
        "hatches": {colour: [hatch, hatch_id(colour)] for colour, hatch in hatches.items()},
        "manufacturing": sorted(c for c, v in classes.items() if v.get("is_manufacturing")),
        "names": {
            "status": {code: list(s[:2]) for code, s in PARCEL_STATUSES.items()},
            "projectStatus": {code: list(s[:2]) for code, s in PROJECT_STATUSES.items()},
            "landUse": {code: [c.get("name_zh"), c.get("name_en")] for code, c in classes.items()},
            "parks": {str(p.get("code")): [p.get("name_zh"), p.get("name_en")] for p in park_props},
            "context": {c.name: [c.title_zh, c.title_en] for c in context},
            "idleStage": {code: list(s[:2]) for code, s in IDLE_STAGE_LOOKS.items()},
            "idleClock": {code: list(names) for code, names in IDLE_CLOCKS.items()},
            "grade": {code: list(s[:2]) for code, s in GRADE_LOOKS.items()},
        },
        "figures": {
            code: {
                k: f.get(k)
                for k in (
                    "reserve_m2",
                    "ready_m2",
                    "factory_floor_m2",
                    "factory_vacant_m2",
                    "projects_by_status",
                )
            }
            | {"target": f.get("target")}
            for code, f in by_park.items()
        },
        "links": dict(links or {}),
        "search": {"url": search_url, "park": park, "local": search_index},
        "draw": {"url": draw_url, "park": park} if draw_url else None,
        "fetched": dict(fetched),
        "bounds": bounds,
        "parkBoxes": park_boxes,
        "focus": focus,
        "attributionPrefix": _ATTRIBUTION_PREFIX,
    }


def build_park_map(
    *,
    title_zh: str,
    title_en: str,
    parks: dict,
    parcels: dict | Tiles,
    buildings: dict | Tiles,
    projects: dict | Tiles,
    land_use_classes: list[dict],
    context: Sequence[ContextLayer] = (),
    figures: Mapping[str, Any] | None = None,
    candidates: dict | None = None,
    criteria_lines: Sequence[tuple[str, str]] = (),
    links: Mapping[str, str] | None = None,
    search_url: str | None = None,
    draw_url: str | None = None,
    park: str | None = None,
    focus: str | None = None,
    asset_base: str = DEFAULT_ASSET_BASE,
    app_base: str = DEFAULT_APP_BASE,
    basemap: str = "none",
    tile_url: str | None = None,
    label_url: str | None = None,
    editor: Mapping[str, Any] | None = None,
    idle: dict | Fetched | None = None,
    grades: dict | Fetched | None = None,
    alerts: dict | Fetched | None = None,
) -> folium.Map:
    """Build the map of *parks* with their *parcels*, factory *buildings*, key *projects*
    and *context* layers (and, when given, the land-supervision layers *idle* and
    *grades*).

    *parks* is a GeoJSON FeatureCollection in EPSG:4326 (always embedded: it frames the
    map); each of *parcels*, *buildings* and *projects* is one too, or :class:`Tiles` for
    a layer too large to embed. *land_use_classes* lists the classes present (``code``,
    ``name_zh``, ``name_en``, ``is_manufacturing``). *figures* (``{"city": {...},
    "parks": [{"park": code, ...figures, "target": {...}}]}``, the key figures of
    ``GET /api/stats`` with each park's target status) fill the key-figures panel, the
    park popups and the outline of a park that misses a target. *candidates* (an
    availability search's FeatureCollection) are highlighted, with *criteria_lines*
    (Chinese, English) written in the title box. *links* holds URL templates
    (``history``, ``project``, ``availabilityMap``) for the popups and panels;
    *search_url* the server-side search (else the embedded layers are searched);
    *draw_url* the draw-to-query endpoint (no drawing tool without it); *park* the park
    the map is of; *focus* a parcel or project code to open at first. *editor* (the
    ``editor`` entry of the page's config: its URLs and words) adds the change-set editor,
    ``editor.js``, which starts itself and shows only to a signed-in editor.

    *idle* (闲置土地: the parcels on an idle-land clock in a stage, ``stage`` one of
    warning, idle_1y, idle_2y, one feature per parcel) and *grades* (亩均效益: parcels
    with their holder's ``grade`` A–D) are offered switched off, coloured by stage and
    by grade: each a FeatureCollection in EPSG:4326 (embedded) or :class:`Fetched` (the
    page fetches it when the layer is first switched on, saying so in the layer control
    and the legend while it loads or if it fails); None leaves a layer out.

    *alerts* (重点项目预警: the key projects behind plan or with an overdue problem, a
    feature per project with its site, ``behind``, ``shortfall_share``,
    ``overdue_problems``, ``milestones_late``) is offered switched on: each project
    outlined in red with a red marker whose popup gives the reasons (and, with
    ``links["projectPage"]``, a link to its page); a FeatureCollection or :class:`Fetched`
    (fetched as the page opens); None leaves it out.

    Scripts and styles load from *asset_base* and *app_base*. *basemap* is ``"none"`` (a
    plain background), ``"osm"``, or ``"tianditu"``/``"custom"`` with *tile_url* (an XYZ
    template) and optionally *label_url* (an annotation layer above it). Raises
    :class:`MapOptionError` for a basemap it cannot honour.
    """
    tiles = _tile_layers(basemap, tile_url, label_url)
    classes = {str(c["code"]): c for c in land_use_classes or []}
    park_props = [f.get("properties") or {} for f in (parks or {}).get("features") or []]
    sources = {"parcels": parcels, "buildings": buildings, "projects": projects}
    embedded = {k: v for k, v in sources.items() if not isinstance(v, Tiles)}
    bounds = next(
        (b for b in map(_bounds, [parks, *embedded.values()]) if b),
        [[34.30, 107.10], [34.55, 107.65]],  # the city's parks, when there is nothing to fit
    )
    centre = [(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2]

    m = ParkMap(
        asset_base=asset_base,
        app_base=app_base,
        location=centre,
        zoom_start=12,
        tiles=None,
        zoom_control=False,  # added below the title box
        control_scale=False,  # a metric-only scale is added instead
        prefer_canvas=False,  # SVG: the hatch pattern of manufacturing land needs it
        maxZoom=20,
        minZoom=4,
        # Vector-only maps fit their parks best with fractional zoom; tiles look best whole.
        zoomSnap=0.25 if not tiles else 1,
    )
    m.get_root().title = h.esc(f"{title_zh} {title_en}")
    for layer in tiles:
        layer.add_to(m)

    # Hatch patterns for every manufacturing class that can appear (tiles included).
    hatches: dict[str, str] = {}
    for code, c in classes.items():
        if c.get("is_manufacturing"):
            colour = land_use_colour(code)
            hatches[colour] = hatch_colour(colour)
    if not isinstance(parcels, Tiles):
        for f in _features(parcels):
            p = f.get("properties") or {}
            if _is_manufacturing(p, classes):
                colour = land_use_colour(p.get("land_use_code"))
                hatches[colour] = hatch_colour(colour)

    any_tiles = any(isinstance(v, Tiles) for v in sources.values()) or any(
        isinstance(c.source, Tiles) for c in context
    )
    fetched = {
        k: v.url
        for k, v in (("idle", idle), ("grades", grades), ("alerts", alerts))
        if isinstance(v, Fetched)
    }
    setup = Setup(
        config=_config(
            classes=classes,
            hatches=hatches,
            park_props=park_props,
            figures=figures,
            context=context,
            links=links,
            search_url=search_url,
            draw_url=draw_url,
            park=park,
            bounds=bounds,
            park_boxes=[[[s, w], [n, e]] for w, s, e, n in feature_boxes(parks)],
            focus=focus,
            search_index=search_url is None,
            fetched=fetched,
        )
        | ({"editor": dict(editor)} if editor else {}),
        asset_base=m.asset_base,
        app_base=m.app_base,
        vector_tiles=any_tiles,
    )
    setup.add_to(m)
    if editor:
        EditorAssets(app_base=m.app_base).add_to(m)

    layers: dict[str, PlmLayer] = {}

    def add(
        key: str,
        kind: str,
        source: dict | Tiles | Fetched | None,
        *,
        name: str,
        view=None,
        show=True,
    ):
        data = None
        tile_spec = None
        if isinstance(source, Tiles):
            tile_spec = {"url": source.url, "layer": source.layer}
        elif isinstance(source, Fetched):
            pass  # neither data nor tiles: plm.js fetches config.fetched[key] when shown
        else:
            data = Data(slim(source, kind))
            data.add_to(m)
        layer = PlmLayer(
            setup=setup,
            key=key,
            name=name,
            kind=kind,
            view=view,
            data=data,
            tiles=tile_spec,
            show=show,
        )
        layer.add_to(m)
        layers[key] = layer
        return layer

    def title(key: str) -> str:
        return h.bi(*LAYER_TITLES[key])

    # Parcels are embedded once and drawn twice (by use, by status: one shown at a time).
    parcel_source: dict | Tiles = parcels
    if not isinstance(parcels, Tiles):
        parcel_data = Data(slim(parcels, "parcels"))
        parcel_data.add_to(m)
    for key, view, show in (("parcels_use", "use", True), ("parcels_status", "status", False)):
        if isinstance(parcel_source, Tiles):
            add(key, "parcels", parcel_source, name=title(key), view=view, show=show)
        else:
            layer = PlmLayer(
                setup=setup, key=key, name=title(key), kind="parcels", view=view,
                data=parcel_data, show=show,
            )  # fmt: skip
            layer.add_to(m)
            layers[key] = layer
    add("buildings", "buildings", buildings, name=title("buildings"))
    add("projects", "projects", projects, name=title("projects"))
    if alerts is not None:  # next to the projects in the layer control; kept above them
        add("alerts", "alerts", alerts, name=title("alerts"))
    for c in context:
        add(
            f"context:{c.name}",
            "context",
            c.source,
            name=h.bi(c.title_zh, c.title_en),
            view=c.name,
            show=False,
        )
    if candidates is not None:
        add("candidates", "candidates", candidates, name=title("candidates"))
    if idle is not None:
        add("idle", "idle", idle, name=title("idle"), show=False)
    if grades is not None:
        add("grades", "grades", grades, name=title("grades"), show=False)
    # The boundaries go last: drawn on top, their labels above everything.
    add("parks", "parks", parks, name=title("parks"))
    layer_control(m)
    LocalFullscreen(
        asset_base=m.asset_base,
        position="topleft",
        title="全屏 Full screen",
        title_cancel="退出全屏 Exit full screen",
        force_separate_button=True,
    ).add_to(m)
    LocalMeasureControl(
        asset_base=m.asset_base,
        app_base=m.app_base,
        position="topleft",
        primary_length_unit="meters",
        secondary_length_unit="kilometers",
        primary_area_unit="sqmeters",
        secondary_area_unit="mu",
        units={"mu": {"factor": 0.0015, "display": "亩", "decimals": 2}},
        active_color="#c2410c",
        completed_color="#1d3557",
    ).add_to(m)

    parcel_count = sum(int(h.num(p.get("parcels")) or 0) for p in park_props)
    if not parcel_count and not isinstance(parcels, Tiles):
        parcel_count = sum(1 for _ in _features(parcels))
    mfg_m2 = _manufacturing_m2(park_props, parcels, classes)
    single = len(park_props) == 1
    Chrome(
        setup=setup,
        title_html=h.title_html(
            title_zh=title_zh,
            title_en=title_en,
            park_props=park_props,
            parcel_count=parcel_count,
            manufacturing_m2=mfg_m2,
            subtitle=h.criteria_html(criteria_lines),
        ),
        panel_html=h.panel_html(figures, PROJECT_STATUSES, single_park=single),
        legend_html=_legend(
            classes,
            hatches,
            context,
            candidates is not None,
            idle=idle is not None,
            grades=grades is not None,
            alerts=alerts is not None,
        ),
        hatches=hatches,
        hatch_id=hatch_id,
        layers=layers,
    ).add_to(m)
    return m


def _manufacturing_m2(park_props: list[dict], parcels: dict | Tiles, classes) -> float:
    if park_props and all(h.num(p.get("manufacturing_m2")) is not None for p in park_props):
        return sum(h.num(p.get("manufacturing_m2")) or 0.0 for p in park_props)
    if isinstance(parcels, Tiles):
        return 0.0
    return sum(
        h.num((f.get("properties") or {}).get("area_m2")) or 0.0
        for f in _features(parcels)
        if _is_manufacturing(f.get("properties") or {}, classes)
    )


# --- legend ---------------------------------------------------------------------------------


def _legend(
    classes: dict[str, dict],
    hatches: dict[str, str],
    context: Sequence[ContextLayer],
    with_candidates: bool,
    *,
    idle: bool = False,
    grades: bool = False,
    alerts: bool = False,
) -> str:
    use_rows = []
    for code in sorted(classes):
        c = classes[code]
        colour = land_use_colour(code)
        name = h.bi(c.get("name_zh"), c.get("name_en"))
        label = f'<span class="plm-code">{h.esc(code)}</span> {name}'
        if c.get("is_manufacturing"):
            hatches.setdefault(colour, hatch_colour(colour))
            symbol = h.swatch(colour, hatch=hatches[colour], outline=MANUFACTURING_OUTLINE)
            label += f' <span class="plm-badge">{h.bi("制造业", "Mfg")}</span>'
        else:
            symbol = h.swatch(colour)
        use_rows.append(h.row(symbol, label))
    mfg_colour = next(iter(hatches), LAND_USE_COLOURS["0601"])
    use_rows.append(
        h.row(
            h.swatch(
                mfg_colour,
                hatch=hatches.get(mfg_colour, hatch_colour(mfg_colour)),
                outline=MANUFACTURING_OUTLINE,
            ),
            "<b>"
            + h.bi("制造业用地（粗边框·斜线，只增不减）", "Manufacturing land")
            + '</b><span class="plm-en"> (thick outline, hatched; never decreases)</span>',
        )
    )
    status_rows = [
        h.row(h.swatch(colour), h.bi(zh, en)) for zh, en, colour in PARCEL_STATUSES.values()
    ]
    ramp = "".join(f'<span style="background:{colour}"></span>' for _u, colour in VACANCY_CLASSES)
    ticks = "".join(f"<span>{upper:.0%}</span>" for upper, _c in VACANCY_CLASSES)
    project_rows = [
        h.row(h.line(colour, dashed=dashed), h.bi(zh, en))
        for zh, en, colour, dashed in PROJECT_STATUSES.values()
    ]
    sections = [
        h.section("parcels_use", LAYER_TITLES["parcels_use"], "".join(use_rows)),
        h.section(
            "parcels_status",
            LAYER_TITLES["parcels_status"],
            f'<div class="plm-grid">{"".join(status_rows)}</div>',
        ),
        h.section(
            "buildings",
            LAYER_TITLES["buildings"],
            f'<div class="plm-ramp">{ramp}</div>'
            f'<div class="plm-ticks"><span>0%</span>{ticks}</div>'
            f'<div class="plm-ramp-ends"><span>{h.bi("满租", "fully let")}</span>'
            f"<span>{h.bi('空置率', 'vacancy')}</span><span>{h.bi('全空', 'empty')}</span></div>",
        ),
        h.section(
            "projects",
            LAYER_TITLES["projects"],
            f'<div class="plm-grid">{"".join(project_rows)}</div>',
        ),
    ]
    if with_candidates:
        sections.append(
            h.section(
                "candidates",
                LAYER_TITLES["candidates"],
                h.row(
                    h.swatch(CANDIDATE_COLOUR, outline=CANDIDATE_COLOUR),
                    h.bi("符合条件（按排名标号）", "Meets the criteria (numbered by rank)"),
                ),
            )
        )
    if idle:
        sections.append(
            h.section(
                "idle",
                LAYER_TITLES["idle"],
                "".join(
                    h.row(h.swatch(colour, outline=IDLE_OUTLINE), h.bi(zh, en))
                    for zh, en, colour in IDLE_STAGE_LOOKS.values()
                ),
            )
        )
    if grades:
        sections.append(
            h.section(
                "grades",
                LAYER_TITLES["grades"],
                "".join(
                    h.row(h.swatch(colour), h.bi(zh, en)) for zh, en, colour in GRADE_LOOKS.values()
                ),
            )
        )
    if alerts:
        sections.append(
            h.section(
                "alerts",
                LAYER_TITLES["alerts"],
                h.row(
                    '<span class="plm-alert-marker plm-alert-key" aria-hidden="true">!</span>',
                    h.bi("投资滞后或有逾期问题", "Behind plan or with an overdue problem"),
                )
                + h.row(
                    h.line(ALERT_COLOUR), h.bi("项目用地（红框）", "Project site (red outline)")
                ),
            )
        )
    for c in context:
        style = context_style(c.name)
        symbol = (
            h.swatch(style.get("fillColor"), outline=style.get("color"))
            if style.get("fillColor") and c.name not in ("utilities",)
            else h.line(style.get("color", "#374151"), dashed=bool(style.get("dashArray")))
        )
        sections.append(
            h.section(
                f"context:{c.name}",
                (c.title_zh, c.title_en),
                h.row(symbol, h.bi(c.title_zh, c.title_en)),
            )
        )
    sections.append(
        h.section(
            "parks",
            LAYER_TITLES["parks"],
            h.row(h.line(PARK_OUTLINE, dashed=True), h.bi("园区边界", "Park boundary"))
            + h.row(
                h.line(PARK_MISSED_OUTLINE, dashed=True),
                h.bi("未达目标的园区", "Park missing a target"),
            ),
        )
    )
    return h.legend_html(sections)

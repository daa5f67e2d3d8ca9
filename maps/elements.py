"""The folium elements of the park maps. Their behaviour lives in ``plm.js`` (served from
the app's static files, like the vendored libraries); these elements write the calls
into the page and declare the scripts and stylesheets each needs, all from local URLs."""

from __future__ import annotations

import json
from typing import Any

import folium
from branca.element import MacroElement
from folium.elements import JSCSSMixin
from folium.map import Layer
from folium.plugins import Fullscreen, MeasureControl
from folium.template import Template

#: Files under the vendored-library base (``web/static/vendor``) each feature loads.
VENDOR_JS: dict[str, str] = {
    "fullscreen_js": "leaflet.fullscreen/Control.FullScreen.js",
    "draw_js": "leaflet-draw/leaflet.draw.js",
    "search_js": "leaflet-search/dist/leaflet-search.min.js",
    "vectorgrid_js": "leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js",
}
VENDOR_CSS: dict[str, str] = {
    "fullscreen_css": "leaflet.fullscreen/Control.FullScreen.css",
    "measure_css": "leaflet-measure/leaflet-measure.css",
    "draw_css": "leaflet-draw/leaflet.draw.css",
    "search_css": "leaflet-search/dist/leaflet-search.min.css",
}
#: The pages' own behaviour and style, under the app's base (``web/static/map``).
APP_JS = "plm.js"
APP_CSS = "plm.css"
#: The measuring tool: leaflet-measure's control without its use of ``eval``, which the
#: pages' Content-Security-Policy forbids (its stylesheet still comes from the vendor base).
MEASURE_JS = "measure.js"


def script_json(value: Any) -> str:
    """JSON for a ``<script>``: UTF-8 kept (CJK stays one character, not six), and the
    characters that could end the script or open a comment escaped."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for ch, sub in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("'", "\\u0027")):
        text = text.replace(ch, sub)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _links(base: str, table: dict[str, str], *names: str) -> list[tuple[str, str]]:
    return [(name, f"{base}/{table[name]}") for name in names]


class LocalFullscreen(Fullscreen):
    """folium's fullscreen button, loading leaflet.fullscreen from *asset_base*."""

    def __init__(self, *, asset_base: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.default_js = _links(asset_base, VENDOR_JS, "fullscreen_js")
        self.default_css = _links(asset_base, VENDOR_CSS, "fullscreen_css")


class LocalMeasureControl(MeasureControl):
    """folium's measure tool: leaflet-measure's control, in Chinese, as ``measure.js``
    under *app_base* makes it (the same options, markup and look, no ``eval``), styled by
    leaflet-measure's stylesheet from *asset_base*."""

    def __init__(self, *, asset_base: str, app_base: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.default_js = [("measure_js", f"{app_base}/{MEASURE_JS}")]
        self.default_css = _links(asset_base, VENDOR_CSS, "measure_css")


class Setup(JSCSSMixin, MacroElement):
    """``var plm = PLM.create(map, config)``: rendered before every layer that uses it.
    Loads plm.js and plm.css (from *app_base*) and the libraries the layers and tools
    need (from *asset_base*): Leaflet.draw, Leaflet Search and, when a layer is tiled,
    Leaflet.VectorGrid."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = PLM.create({{ this._parent.get_name() }},
            {{ this.json }});
        {% endmacro %}
        """
    )

    def __init__(self, *, config: dict, asset_base: str, app_base: str, vector_tiles: bool):
        super().__init__()
        self._name = "PlmSetup"
        self.config = config
        self.json = script_json(config)
        names = ["draw_js", "search_js"] + (["vectorgrid_js"] if vector_tiles else [])
        self.default_js = _links(asset_base, VENDOR_JS, *names) + [
            ("plm_js", f"{app_base}/{APP_JS}")
        ]
        self.default_css = _links(asset_base, VENDOR_CSS, "draw_css", "search_css") + [
            ("plm_css", f"{app_base}/{APP_CSS}")
        ]


class Data(MacroElement):
    """A FeatureCollection written into the page once (``var data = {...}``), however
    many layers draw it."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = {{ this.json }};
        {% endmacro %}
        """
    )

    def __init__(self, data: dict):
        super().__init__()
        self._name = "PlmData"
        self.data = data
        self.json = script_json(data)


class PlmLayer(Layer):
    """A map layer drawn by plm.js: embedded GeoJSON (*data*, an element made by
    :class:`Data`) or vector tiles (*tiles*, an XYZ URL and the tile's layer name),
    styled and with popups by *kind* (and *view*)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = {{ this.setup.get_name() }}.layer({{ this.spec_json }},
            {% if this.data %}{{ this.data.get_name() }}{% else %}null{% endif %});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        *,
        setup: Setup,
        key: str,
        name: str,
        kind: str,
        view: str | None = None,
        data: Data | None = None,
        tiles: dict | None = None,
        show: bool = True,
    ):
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "PlmLayer"
        self.setup = setup
        self.key = key
        self.data = data
        self.spec = {"key": key, "kind": kind, "view": view, "tiles": tiles}
        self.spec_json = script_json(self.spec)

    @property
    def tiled(self) -> bool:
        """Whether the layer is drawn from vector tiles."""
        return self.spec["tiles"] is not None


class Chrome(MacroElement):
    """Title box, key-figures panel, legend, tools and behaviour that tie them to the
    layers (rendered after the layers and the layer control)."""

    _template = Template(
        """
        {% macro html(this, kwargs) %}
        <svg class="plm-defs" aria-hidden="true" focusable="false"><defs>
        {%- for colour, hatch in this.hatches.items() %}
        <pattern id="{{ this.hatch_id(colour) }}" patternUnits="userSpaceOnUse" width="6"
            height="6" patternTransform="rotate(45)"><rect width="6" height="6"
            fill="{{ colour }}"/><rect width="1.8" height="6" fill="{{ hatch }}"/></pattern>
        {%- endfor %}
        </defs></svg>
        <template id="{{ this.get_name() }}_title">{{ this.title_html }}</template>
        <template id="{{ this.get_name() }}_panel">{{ this.panel_html }}</template>
        <template id="{{ this.get_name() }}_legend">{{ this.legend_html }}</template>
        {% endmacro %}

        {% macro script(this, kwargs) %}
        {{ this.setup.get_name() }}.chrome({
            title: "{{ this.get_name() }}_title",
            panel: "{{ this.get_name() }}_panel",
            legend: "{{ this.get_name() }}_legend",
            layers: {
            {%- for key, layer in this.layers.items() %}
                {{ key|tojson }}: {{ layer.get_name() }},
            {%- endfor %}
            }
        });
        {% endmacro %}
        """
    )

    def __init__(
        self,
        *,
        setup: Setup,
        title_html: str,
        panel_html: str,
        legend_html: str,
        hatches: dict[str, str],
        hatch_id,
        layers: dict[str, PlmLayer],
    ):
        super().__init__()
        self._name = "PlmChrome"
        self.setup = setup
        self.title_html = title_html
        self.panel_html = panel_html
        self.legend_html = legend_html
        self.hatches = hatches
        self.hatch_id = hatch_id
        self.layers = layers


def layer_control(m: folium.Map) -> folium.LayerControl:
    """The layer control (expanded; names are bilingual HTML)."""
    return folium.LayerControl(position="topright", collapsed=False).add_to(m)

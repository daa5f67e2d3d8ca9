"""The import's validation report as one HTML page: how the file was read, a map of the
problems over the parks' outlines (blocking red, warnings orange), the problems, the diff,
the effect on manufacturing land and what became of the import.

The page is rendered by the service's one Jinja environment (autoescaping) from
``web/templates/import_report.html``; the map is a :class:`maps.builder.ParkMap` (Leaflet
only, from the local asset base, inlined by default so that a report file opens on a
machine with no network). Everything from the file is hostile text: in the tables it is
escaped by the template; on the map it travels as JSON made safe for a ``<script>``
(:func:`maps.elements.script_json`) and is put into popups and tooltips as DOM text, never
as HTML.

A large import shows its first :data:`MAX_SHOWN` problems (and codes of each diff list) on
the page, with a line saying how many more there are; the GeoJSON and the workbook carry
them all.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import folium
from branca.element import MacroElement
from folium.template import Template
from sqlalchemy import Connection, text

from maps import fragments as h
from maps.assets import inline_assets as inline_page_assets
from maps.builder import DEFAULT_ASSET_BASE, ParkMap, feature_boxes
from maps.elements import script_json
from maps.style import PARK_OUTLINE
from parks.imports.diff import CHANGE_KINDS
from parks.imports.problems import (
    KIND_NAMES_ZH,
    SEVERITY,
    ImportProblem,
    ProblemKind,
    Severity,
)
from parks.units import m2_to_mu
from service.db.sqlfiles import sql
from service.imports.outcome import ImportOutcome, RuleEffect
from service.imports.report_geojson import problem_feature, problem_point
from service.imports.report_words import (
    CHANGE_KIND_NAMES_ZH,
    CRS_SOURCES_ZH,
    ENCODING_SOURCES_ZH,
    IMPORT_STATUS_NAMES_ZH,
    PARK_SOURCES_ZH,
    SEVERITY_NAMES_ZH,
    change_kinds_text,
    changes_text,
    field_label,
    source_text,
    target_columns,
    target_label,
    unit_text,
)
from service.pages.csp import with_nonce
from service.pages.templates import VENDOR_DIR, templates

#: Problems (and codes of each diff list) shown on the page; the rest are counted.
MAX_SHOWN = 1_000
#: Colours of the problem markers, by severity.
SEVERITY_COLOURS: dict[str, str] = {
    Severity.BLOCKING.value: "#d7191c",
    Severity.WARNING.value: "#f28c1c",
}
SEVERITY_NAMES_EN: dict[str, str] = {"blocking": "Blocking", "warning": "Warning"}
CHANGE_KIND_NAMES_EN: dict[str, str] = {
    "rezone": "Rezone",
    "reshape": "Reshape",
    "set_status": "Status change",
    "supply": "Supply",
}
#: Decimal places of the park outlines drawn (about 10 cm).
OUTLINE_PRECISION = 6
#: Where the map looks when there is nothing to fit: the city's parks.
CITY_BOUNDS = [[34.30, 107.10], [34.55, 107.65]]
TEMPLATE = "import_report.html"


# --- the parks' outlines ------------------------------------------------------------------


def park_outlines(conn: Connection, parks: list[str]) -> dict[str, dict]:
    """Park code → its boundary as a GeoJSON geometry in EPSG:4326, for each park of
    *parks* that exists (none asked, none given)."""
    if not parks:
        return {}
    rows = conn.execute(
        text(sql("service.sql", "import_report_park_outlines.sql")),
        {"parks": sorted(set(parks)), "precision": OUTLINE_PRECISION},
    )
    return {code: json.loads(geometry) for code, geometry in rows if geometry}


# --- the map ------------------------------------------------------------------------------


class ProblemsLayer(MacroElement):
    """The parks' outlines (dashed) and a circle marker per problem, blocking red and
    warnings orange, each with a popup of its kind, feature and message built as DOM text;
    a legend (a ``<template>`` of escaped HTML); the map fitted to *bounds*. When drawn,
    ``<html data-report-drawn="n">`` says how many markers it drew."""

    _template = Template(
        """
        {% macro html(this, kwargs) %}
        <template id="{{ this.get_name() }}_legend">{{ this.legend_html }}</template>
        {% endmacro %}

        {% macro script(this, kwargs) %}
        (function (map, cfg, legendId) {
            function el(tag, cls, value) {
                var node = document.createElement(tag);
                if (cls) { node.className = cls; }
                if (value !== undefined && value !== null) { node.textContent = String(value); }
                return node;
            }
            function line(box, label, value) {
                if (value === undefined || value === null || value === "") { return; }
                var row = el("div", "report-popup-row");
                row.appendChild(el("span", "report-popup-label", label + " "));
                row.appendChild(el("span", null, value));
                box.appendChild(row);
            }
            function popup(f) {
                var p = f.properties;
                var box = el("div", "report-popup");
                var head = el("div", "report-popup-head");
                head.appendChild(el("span", "report-popup-number", "#" + f.id + " "));
                head.appendChild(el("b", null, p.kind_zh));
                head.appendChild(el("span", "report-popup-kind", " " + p.kind + " "));
                head.appendChild(el("span", "report-sev report-sev-" + p.severity,
                    cfg.severity[p.severity] || p.severity));
                box.appendChild(head);
                line(box, "行号 Row", p.row);
                line(box, "宗地编号 Parcel", p.parcel_code);
                box.appendChild(el("div", "report-popup-message", p.message));
                if (p.measure !== null && p.measure !== undefined) {
                    line(box, "量值 Measure", p.measure.toLocaleString("zh-CN",
                        {maximumFractionDigits: 2}) + (p.unit_text ? " " + p.unit_text : ""));
                }
                line(box, "关联 Other", p.other);
                return box;
            }
            var parks = L.geoJSON(cfg.parks, {
                style: function () {
                    return {color: cfg.parkColour, weight: 2, dashArray: "6 4",
                            fillColor: cfg.parkColour, fillOpacity: 0.04,
                            className: "report-park"};
                },
                onEachFeature: function (f, layer) {
                    layer.bindTooltip(el("span", null, f.properties.code), {sticky: true});
                }
            }).addTo(map);
            var markers = L.featureGroup().addTo(map);
            // Warnings first, so that blocking problems are drawn on top of them.
            ["warning", "blocking"].forEach(function (severity) {
                cfg.problems.features.forEach(function (f) {
                    var p = f.properties;
                    if (p.severity !== severity || !f.geometry) { return; }
                    var colour = cfg.colours[severity];
                    var marker = L.circleMarker(
                        [f.geometry.coordinates[1], f.geometry.coordinates[0]],
                        {radius: severity === "blocking" ? 7 : 6, color: "#ffffff", weight: 1.5,
                         fillColor: colour, fillOpacity: 0.9,
                         className: "report-problem report-problem-" + severity});
                    marker.bindPopup(function () { return popup(f); }, {maxWidth: 360});
                    marker.bindTooltip(el("span", null,
                        p.kind_zh + (p.parcel_code ? " · " + p.parcel_code : "")));
                    marker.reportProblem = f.id;
                    markers.addLayer(marker);
                });
            });
            var legend = L.control({position: "bottomright"});
            legend.onAdd = function () {
                var box = el("div", "report-legend leaflet-bar");
                box.appendChild(document.getElementById(legendId).content.cloneNode(true));
                L.DomEvent.disableClickPropagation(box);
                return box;
            };
            legend.addTo(map);
            if (map.attributionControl) { map.attributionControl.setPrefix(cfg.attributionPrefix); }
            map.fitBounds(cfg.bounds, {padding: [30, 30], maxZoom: 18});
            window.importReport = {map: map, markers: markers, parks: parks};
            document.documentElement.setAttribute("data-report-drawn",
                String(markers.getLayers().length));
        })({{ this._parent.get_name() }}, {{ this.json }}, "{{ this.get_name() }}_legend");
        {% endmacro %}
        """
    )

    def __init__(self, *, config: dict, legend_html: str):
        super().__init__()
        self._name = "ImportProblems"
        self.json = script_json(config)
        self.legend_html = legend_html


def _legend_html(blocking: int, warnings: int, *, with_parks: bool) -> str:
    """The legend: a dot per severity with the import's counts, and the park outline."""

    def dot(severity: str) -> str:
        return f'<span class="report-dot" style="background:{SEVERITY_COLOURS[severity]}"></span>'

    rows = [
        h.row(dot("blocking"), f"{h.bi('阻断问题', 'Blocking')} <b>{blocking:,}</b>"),
        h.row(dot("warning"), f"{h.bi('警告', 'Warning')} <b>{warnings:,}</b>"),
    ]
    if with_parks:
        rows.append(h.row(h.line(PARK_OUTLINE, dashed=True), h.bi("园区边界", "Park boundary")))
    return f"<h4>{h.bi('图例', 'Legend')}</h4>{''.join(rows)}"


def _outline_collection(outlines: dict[str, dict]) -> dict:
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": geometry, "properties": {"code": code}}
            for code, geometry in sorted(outlines.items())
            if geometry
        ],
    }


def _bounds(points: Sequence[tuple[float, float]], outlines: dict) -> list[list[float]]:
    """``[[south, west], [north, east]]`` of the problems, else of the parks, else the
    city's."""
    if points:
        lons = [p[0] for p in points]
        lats = [p[1] for p in points]
        return [[min(lats), min(lons)], [max(lats), max(lons)]]
    boxes = feature_boxes(outlines)
    if boxes:
        return [
            [min(b[1] for b in boxes), min(b[0] for b in boxes)],
            [max(b[3] for b in boxes), max(b[2] for b in boxes)],
        ]
    return CITY_BOUNDS


def problems_map(
    problems: Sequence[ImportProblem],
    *,
    park_outlines: dict[str, dict],
    limit: int = MAX_SHOWN,
    asset_base: str = DEFAULT_ASSET_BASE,
) -> folium.Map:
    """The map of the first *limit* of *problems* that have a place, over
    *park_outlines*; each marker is numbered by its problem's place in *problems* (the
    number the report's table gives it). The legend counts all *problems*."""
    features = []
    points = []
    for number, problem in enumerate(problems, 1):
        if len(features) >= limit:
            break
        feature = problem_feature(problem, number=number)
        if feature["geometry"] is None:
            continue
        feature["properties"]["unit_text"] = unit_text(problem.unit)
        features.append(feature)
        points.append(tuple(feature["geometry"]["coordinates"]))
    outlines = _outline_collection(park_outlines)
    bounds = _bounds(points, outlines)
    centre = [(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2]
    m = ParkMap(
        asset_base=asset_base,
        location=centre,
        zoom_start=13,
        tiles=None,
        height="560px",
        prefer_canvas=False,  # SVG: every marker an element (and the tests count them)
        maxZoom=21,
        zoomSnap=0.25,
    )
    ProblemsLayer(
        config={
            "problems": {"type": "FeatureCollection", "features": features},
            "parks": outlines,
            "bounds": bounds,
            "colours": SEVERITY_COLOURS,
            "parkColour": PARK_OUTLINE,
            "attributionPrefix": "Leaflet",  # Leaflet's own is a link with a flag icon
            "severity": {k: f"{v} {SEVERITY_NAMES_EN[k]}" for k, v in SEVERITY_NAMES_ZH.items()},
        },
        legend_html=_legend_html(
            sum(1 for p in problems if p.blocking),
            sum(1 for p in problems if not p.blocking),
            with_parks=bool(outlines["features"]),
        ),
    ).add_to(m)
    return m


def _map_parts(m: folium.Map) -> dict[str, str]:
    """The map's head (scripts, styles), body (its ``<div>``) and script, to be put into
    the page's template."""
    figure = m.get_root()
    figure.render()  # renders every element into the figure's header, html and script
    return {
        "head": figure.header.render(),
        "body": figure.html.render(),
        "script": figure.script.render(),
    }


# --- the page's figures -------------------------------------------------------------------


def _num(value: float | None, digits: int = 2, *, sign: bool = False) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    return f"{value:{'+' if sign else ''},.{digits}f}"


def _area(value_m2: float | None, *, sign: bool = False) -> dict[str, str]:
    """An area as m² and 亩, formatted."""
    if value_m2 is None:
        return {"m2": "—", "mu": "—"}
    return {"m2": _num(value_m2, 2, sign=sign), "mu": _num(m2_to_mu(value_m2), 4, sign=sign)}


def _measure(problem: ImportProblem) -> str:
    if problem.measure is None or not math.isfinite(problem.measure):
        return ""
    unit = unit_text(problem.unit)
    return f"{problem.measure:,.2f}{' ' + unit if unit else ''}"


def _degrees(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return ""
    return f"{value:.7f}"


def _problem_rows(outcome: ImportOutcome) -> list[dict[str, Any]]:
    skipped = set(outcome.skipped_rows)
    return [
        {
            "number": number,
            "kind": p.kind.value,
            "kind_zh": KIND_NAMES_ZH.get(p.kind, p.kind.value),
            "severity": p.severity.value,
            "severity_zh": SEVERITY_NAMES_ZH[p.severity.value],
            "severity_en": SEVERITY_NAMES_EN[p.severity.value],
            "row": p.row,
            "parcel_code": p.parcel_code,
            "message": p.message,
            "lon": _degrees(p.lon),
            "lat": _degrees(p.lat),
            "measure": _measure(p),
            "other": p.other,
            "skipped": p.row is not None and p.row in skipped,
        }
        for number, p in enumerate(outcome.problems[:MAX_SHOWN], 1)
    ]


def _kinds(outcome: ImportOutcome) -> list[dict[str, Any]]:
    counts: dict[ProblemKind, int] = {}
    for p in outcome.problems:
        counts[p.kind] = counts.get(p.kind, 0) + 1
    return [
        {
            "kind": kind.value,
            "kind_zh": KIND_NAMES_ZH.get(kind, kind.value),
            "severity": SEVERITY[kind].value,
            "severity_zh": SEVERITY_NAMES_ZH[SEVERITY[kind].value],
            "count": counts[kind],
        }
        for kind in ProblemKind
        if kind in counts
    ]


def _facts(outcome: ImportOutcome) -> list[tuple[str, str, Any]]:
    src = outcome.source
    return [
        ("文件", "File", src.name),
        ("图层", "Layer", src.layer),
        ("驱动", "Driver", src.driver),
        ("要素数", "Features", f"{src.features:,}"),
        (
            "编码",
            "Encoding",
            f"{src.encoding or '—'}（{source_text(src.encoding_source, ENCODING_SOURCES_ZH)}）",
        ),
        ("坐标系", "CRS", f"{src.crs}（{source_text(src.crs_source, CRS_SOURCES_ZH)}）"),
        ("园区归属", "Park assignment", source_text(src.park_source, PARK_SOURCES_ZH)),
        ("经办人", "Actor", outcome.actor),
        (
            "创建时间",
            "Created",
            outcome.created_at.isoformat(timespec="seconds") if outcome.created_at else "—",
        ),
        ("导入编号", "Import id", outcome.id if outcome.id is not None else "—"),
    ]


def _status(outcome: ImportOutcome) -> dict[str, str]:
    status = outcome.status
    if status == "applied":
        zh = f"已入库：变更集 #{outcome.change_set_id}"
        en = f"Applied as change set #{outcome.change_set_id}"
    elif status == "refused":
        zh = "被规则拒绝：制造业用地将减少，未写入数据库"
        en = "Refused by the rule (manufacturing land would decrease); nothing was stored"
    elif outcome.blocking:
        zh = f"试运行：未写入数据库；有 {outcome.blocking:,} 个阻断问题，修正后才能入库"
        en = f"Dry run, nothing stored; {outcome.blocking:,} blocking problems must be fixed first"
    else:
        zh = "试运行：未写入数据库；无阻断问题，可以入库"
        en = "Dry run, nothing stored; no blocking problem: it can be applied"
    css = {"applied": "ok", "refused": "bad"}.get(status, "bad" if outcome.blocking else "dry")
    return {
        "code": status,
        "name_zh": IMPORT_STATUS_NAMES_ZH.get(status, status),
        "zh": zh,
        "en": en,
        "class": css,
    }


def _rule(rule: RuleEffect | None) -> dict[str, Any] | None:
    if rule is None:
        return None
    rows = [{"scope": "全市 City", **_scope(rule.total_before_m2, rule.total_after_m2)}]
    for park in sorted(set(rule.parks_before_m2) | set(rule.parks_after_m2)):
        before = rule.parks_before_m2.get(park, 0.0)
        rows.append({"scope": park, **_scope(before, rule.parks_after_m2.get(park, before))})
    refusal = rule.refusal or {}
    keys = target_columns(rule.targets)
    return {
        "rows": rows,
        "would_refuse": rule.would_refuse,
        "delta": _area(rule.delta_m2, sign=True),
        "shortfall": _area(rule.shortfall_m2),
        "refusal_scope": refusal.get("scope"),
        "refusal_high_water": _num(refusal["high_water_m2"])
        if refusal.get("high_water_m2")
        else None,
        "refusal_parcels": [str(p) for p in refusal.get("parcels") or []][:MAX_SHOWN],
        "refusal_message": refusal.get("message"),
        "target_headers": [target_label(k) for k in keys],
        "targets": [[_target_value(t.get(k)) for k in keys] for t in rule.targets],
    }


def _target_value(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "是 yes" if value else "否 no"
    if isinstance(value, (int, float)):
        return _num(float(value), 4 if isinstance(value, float) else 0)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _scope(before: float, after: float) -> dict[str, Any]:
    delta = after - before
    return {
        "before": _area(before),
        "after": _area(after),
        "delta": _area(delta, sign=True),
        "loss": delta < 0,
    }


def _diff(outcome: ImportOutcome) -> dict[str, Any]:
    diff = outcome.diff
    counts = diff.counts()
    return {
        "counts": counts,
        "kinds": [
            {
                "kind": k,
                "zh": CHANGE_KIND_NAMES_ZH[k],
                "en": CHANGE_KIND_NAMES_EN[k],
                "count": counts["changed"][k],
            }
            for k in CHANGE_KINDS
        ],  # fmt: skip
        "new": diff.new[:MAX_SHOWN],
        "new_more": max(0, len(diff.new) - MAX_SHOWN),
        "changed": [
            {
                "row": c.row,
                "parcel_code": c.parcel_code,
                "kinds": change_kinds_text(c.kinds),
                "before": changes_text(c.before),
                "after": changes_text(c.after),
            }
            for c in diff.changed[:MAX_SHOWN]
        ],
        "changed_more": max(0, len(diff.changed) - MAX_SHOWN),
        "missing": diff.missing[:MAX_SHOWN],
        "missing_more": max(0, len(diff.missing) - MAX_SHOWN),
        "retire_missing": bool(outcome.options.get("retire_missing")),
    }


# --- the page -----------------------------------------------------------------------------


def render_report(
    outcome: ImportOutcome,
    *,
    park_outlines: dict[str, dict],
    inline_assets: bool = True,
    asset_base: str = DEFAULT_ASSET_BASE,
    csp_nonce: str | None = None,
) -> str:
    """The validation report of *outcome* as a whole HTML page, its map drawn over
    *park_outlines* (:func:`park_outlines`).

    With *inline_assets* (the default) Leaflet is copied into the page, so the file works
    offline without the service (``parks import --report OUT.html``); otherwise the page
    loads it from *asset_base* (a page the service serves), and every inline script of
    it carries *csp_nonce* when one is given. Raises :class:`maps.errors.MissingAsset` when
    the assets to inline are not installed.
    """
    m = problems_map(outcome.problems, park_outlines=park_outlines, asset_base=asset_base)
    map_parts = _map_parts(m)
    if csp_nonce:
        map_parts["head"] = with_nonce(map_parts["head"], csp_nonce)
    located = sum(1 for p in outcome.problems if problem_point(p) is not None)
    src = outcome.source
    page = (
        templates()
        .get_template(TEMPLATE)
        .render(
            title_zh="导入校验报告",
            title_en="Import validation report",
            file_name=src.name,
            status=_status(outcome),
            facts=_facts(outcome),
            mapping=[(t, field_label(t), s) for t, s in sorted(src.mapping.items())],
            untranslated=sorted(src.untranslated_land_use.items(), key=lambda kv: (-kv[1], kv[0])),
            skipped_rows=outcome.skipped_rows,
            blocking=outcome.blocking,
            warnings=outcome.warnings,
            kinds=_kinds(outcome),
            problems=_problem_rows(outcome),
            problems_total=len(outcome.problems),
            problems_more=max(0, len(outcome.problems) - MAX_SHOWN),
            map_shown=min(located, MAX_SHOWN),
            map_located=located,
            map_unlocated=len(outcome.problems) - located,
            max_shown=MAX_SHOWN,
            diff=_diff(outcome),
            rule=_rule(outcome.rule),
            report_map=map_parts,
            colours=SEVERITY_COLOURS,
            csp_nonce=csp_nonce,
        )
    )
    if not inline_assets:
        return page
    return inline_page_assets(page, {m.asset_base: VENDOR_DIR})

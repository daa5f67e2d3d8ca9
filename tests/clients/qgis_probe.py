"""QGIS itself, headless, on a job: run with Debian's ``/usr/bin/python3`` (where
``python3-qgis`` puts the bindings), never with the project's venv.

    /usr/bin/python3 tests/clients/qgis_probe.py < job.json

The job is ``{"profile": <folder>, "checks": [{"name": ..., "kind": ..., ...}, ...]}``
(*profile*: a QGIS profile folder for the run); each check opens what a QGIS user would
open — a layer by its data source URI and provider, a project file — and reports what QGIS
made of it. The answer is one line on stdout, ``QGIS_PROBE_RESULT`` followed by JSON:
``{"qgis_version", "results": {name: {...}}, "messages": [...]}`` where *messages* is
everything QGIS wrote to its message log (network errors, provider errors).
The probe judges nothing: the tests compare its answers with the database.

Kinds of check:

``vector``     ``uri``, ``provider`` (``OAPIF``, ``postgres``, ...); optional ``subset`` (a
               subset string, as typed in the layer's query builder), ``subset_date`` (a
               day or instant: the subset string QGIS 3.22 turns into the OGC ``datetime``
               parameter, ``"<date field>" = '<day>'``, on the layer's first Date/DateTime
               field, ``valid_from`` preferred), ``sld_path`` (an SLD file to style the
               layer with), ``attributes`` (names whose values to
               return for every feature), ``geometry_of`` (``[key field, [values]]``: the
               WKT of those features), ``write`` (try to add a feature and commit it).
``vectortile`` ``uri``; optional ``style_url`` (a Mapbox GL style QGIS converts and
               applies) and ``render`` (``[xmin, ymin, xmax, ymax]`` in EPSG:4326: draw the
               layer there and count the pixels that are not background).
``project``    ``path``: ``QgsProject.read`` it; every layer with its provider, validity,
               error and renderer, and the feature count of vector layers (``count: true``).
"""

from __future__ import annotations

import json
import os
import sys
import traceback

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp")

RESULT_PREFIX = "QGIS_PROBE_RESULT "


def _plain(value):
    """A Python value JSON can carry, from what PyQGIS hands back (QVariant NULL, QDate...)."""
    from qgis.PyQt.QtCore import QDate, QDateTime, Qt, QTime, QVariant

    if value is None or (isinstance(value, QVariant) and value.isNull()):
        return None
    if isinstance(value, QDateTime):
        return value.toString(Qt.ISODateWithMs)
    if isinstance(value, QDate | QTime):
        return value.toString(Qt.ISODate)
    if isinstance(value, QVariant):
        return str(value.value())
    return value


def _layer_error(layer) -> str:
    error = layer.error()
    return error.summary() if error is not None and not error.isEmpty() else ""


def _date_field(layer) -> str | None:
    from qgis.PyQt.QtCore import QVariant

    dated = [f.name() for f in layer.fields() if f.type() in (QVariant.Date, QVariant.DateTime)]
    if "valid_from" in dated:
        return "valid_from"
    return dated[0] if dated else None


def check_vector(check: dict) -> dict:
    from qgis.core import QgsVectorLayer

    layer = QgsVectorLayer(check["uri"], check.get("name", "layer"), check["provider"])
    out: dict = {"valid": layer.isValid(), "error": _layer_error(layer)}
    if not layer.isValid():
        return out
    out["crs"] = layer.crs().authid()
    out["fields"] = {f.name(): f.typeName() for f in layer.fields()}
    out["capabilities"] = layer.dataProvider().capabilitiesString()
    if check.get("sld_path"):
        message, ok = layer.loadSldStyle(check["sld_path"])
        out["sld_loaded"], out["sld_message"] = ok, message
        out["renderer"] = _renderer(layer)
    subset = check.get("subset")
    if check.get("subset_date"):
        field = _date_field(layer)
        out["date_field"] = field
        if field is None:
            out["error"] = "no Date/DateTime field to put a date on"
            return out
        subset = f"\"{field}\" = '{check['subset_date']}'"
    if subset is not None:
        out["subset_accepted"] = layer.setSubsetString(subset)
        out["subset"] = layer.subsetString()
    names = [n for n in check.get("attributes", []) if layer.fields().indexOf(n) >= 0]
    key, wanted = check.get("geometry_of") or (None, [])
    wanted = set(wanted)
    rows, geometries = [], {}
    for feature in layer.getFeatures():
        rows.append({n: _plain(feature[n]) for n in names})
        if key is not None and _plain(feature[key]) in wanted:
            geometries[_plain(feature[key])] = feature.geometry().asWkt(17)
    out["iterated"] = len(rows)
    out["feature_count"] = layer.featureCount()
    if names:
        out["features"] = rows
    if key is not None:
        out["geometries"] = geometries
    if check.get("write"):
        out["write"] = _try_write(layer, check["write"])
    return out


def _renderer(layer) -> dict:
    """The renderer's type, and what it classifies on and into how many classes."""
    renderer = layer.renderer()
    if renderer is None:
        return {"type": None}
    out = {"type": renderer.type()}
    if hasattr(renderer, "classAttribute"):
        out["attribute"] = renderer.classAttribute()
    if hasattr(renderer, "categories"):
        out["classes"] = len(renderer.categories())
    elif hasattr(renderer, "rootRule"):
        out["classes"] = len(renderer.rootRule().descendants())
    return out


def _try_write(layer, attributes: dict) -> dict:
    """Add one feature (a copy of the layer's first geometry) and commit: what QGIS says at
    each step."""
    from qgis.core import QgsFeature

    first = next(layer.getFeatures(), None)
    feature = QgsFeature(layer.fields())
    for name, value in attributes.items():
        if layer.fields().indexOf(name) >= 0:
            feature[name] = value
    if first is not None:
        feature.setGeometry(first.geometry())
    started = layer.startEditing()
    added = layer.addFeature(feature) if started else False
    committed = layer.commitChanges() if started else False
    errors = list(layer.commitErrors())
    if layer.isEditable():
        layer.rollBack()
    return {"started": started, "added": added, "committed": committed, "errors": errors}


def check_vectortile(check: dict) -> dict:
    from qgis.core import QgsVectorTileLayer

    layer = QgsVectorTileLayer(check["uri"], check.get("name", "tiles"))
    out: dict = {
        "valid": layer.isValid(),
        "error": _layer_error(layer),
        "source_type": layer.sourceType(),
        "min_zoom": layer.sourceMinZoom(),
        "max_zoom": layer.sourceMaxZoom(),
    }
    if not layer.isValid():
        return out
    if check.get("style_url"):
        message, ok = layer.loadDefaultStyle()
        out["style_loaded"] = ok
        out["style_message"] = message
        renderer = layer.renderer()
        styles = renderer.styles() if hasattr(renderer, "styles") else []
        out["style_layers"] = sorted({s.layerName() for s in styles})
        out["style_rules"] = len(styles)
    if check.get("render"):
        out["render"] = _render(layer, check["render"])
    return out


def _render(layer, bbox_4326: list[float]) -> dict:
    """Draw *layer* over *bbox_4326* (in EPSG:3857, 512 px square) on white; count the
    pixels that are not white."""
    from qgis.core import (
        QgsCoordinateReferenceSystem,
        QgsCoordinateTransform,
        QgsMapRendererSequentialJob,
        QgsMapSettings,
        QgsProject,
        QgsRectangle,
    )
    from qgis.PyQt.QtCore import QSize
    from qgis.PyQt.QtGui import QColor

    web = QgsCoordinateReferenceSystem("EPSG:3857")
    to_web = QgsCoordinateTransform(
        QgsCoordinateReferenceSystem("EPSG:4326"), web, QgsProject.instance()
    )
    settings = QgsMapSettings()
    settings.setLayers([layer])
    settings.setDestinationCrs(web)
    settings.setBackgroundColor(QColor(255, 255, 255))
    settings.setOutputSize(QSize(512, 512))
    settings.setExtent(to_web.transformBoundingBox(QgsRectangle(*bbox_4326)))
    job = QgsMapRendererSequentialJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    white = QColor(255, 255, 255).rgb()
    inked = sum(
        1
        for x in range(0, image.width(), 2)
        for y in range(0, image.height(), 2)
        if image.pixel(x, y) != white
    )
    return {
        "sampled": (image.width() // 2) * (image.height() // 2),
        "inked": inked,
        "errors": [f"{e.layerID}: {e.message}" for e in job.errors()],
    }


def check_project(check: dict) -> dict:
    from qgis.core import QgsMapLayerType, QgsProject

    project = QgsProject.instance()
    read = project.read(check["path"])
    layers = []
    for layer in project.mapLayers().values():
        row = {
            "name": layer.name(),
            "provider": layer.providerType(),
            "valid": layer.isValid(),
            "error": _layer_error(layer),
            "crs": layer.crs().authid(),
            "source": layer.publicSource(),
        }
        if layer.type() == QgsMapLayerType.VectorLayer and layer.isValid():
            row["renderer"] = _renderer(layer)
            if check.get("count"):
                row["feature_count"] = sum(1 for _ in layer.getFeatures())
        layers.append(row)
    out = {"read": read, "error": project.error(), "layers": layers, "crs": project.crs().authid()}
    project.clear()
    return out


CHECKS = {"vector": check_vector, "vectortile": check_vectortile, "project": check_project}


def main() -> None:
    job = json.load(sys.stdin)
    from qgis.core import Qgis, QgsApplication

    # A profile folder of the run's own, so a user's QGIS settings are neither read nor
    # written.
    app = QgsApplication([], False, job.get("profile", ""))
    app.initQgis()
    messages: list[str] = []
    QgsApplication.messageLog().messageReceived.connect(
        lambda message, tag, _level: messages.append(f"{tag}: {message}")
    )
    results = {}
    for check in job["checks"]:
        try:
            results[check["name"]] = CHECKS[check["kind"]](check)
        except Exception:  # reported, judged by the test
            results[check["name"]] = {"exception": traceback.format_exc()}
    answer = {"qgis_version": Qgis.QGIS_VERSION, "results": results, "messages": messages}
    sys.stdout.write(RESULT_PREFIX + json.dumps(answer, default=str) + "\n")
    sys.stdout.flush()
    # QGIS's own teardown can crash on the way out in headless runs; the answer is written.
    os._exit(0)


if __name__ == "__main__":
    main()

"""The conformance classes ``/ogc/conformance`` declares: only those that work here.
Clients act on them — QGIS pushes a layer's filter to the server only when the filter
and CQL2 classes are declared — so a class is listed once its tests pass, not before."""

from __future__ import annotations

from service.ogc import cql2

_FEATURES_1 = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"
_FEATURES_2 = "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/"
_FEATURES_3 = "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/"

CLASSES: tuple[str, ...] = (
    # Part 1: Core, GeoJSON, HTML, OpenAPI 3.0 (tests/e2e/test_ogc_*.py)
    _FEATURES_1 + "core",
    _FEATURES_1 + "geojson",
    _FEATURES_1 + "html",
    _FEATURES_1 + "oas30",
    # Part 2: crs, bbox-crs, Content-Crs, storageCrs
    _FEATURES_2 + "crs",
    # Part 3: queryables, their equality parameters, filter / filter-lang / filter-crs
    _FEATURES_3 + "queryables",
    _FEATURES_3 + "queryables-query-parameters",
    _FEATURES_3 + "filter",
    _FEATURES_3 + "features-filter",
    # CQL2, as service/ogc/cql2.py compiles it (it lists what it implements)
    *cql2.CONFORMANCE_CLASSES,
    # basic-spatial-functions under the name drafts of CQL2 gave it, which clients of
    # that time look for
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-operators",
)


def conformance() -> dict[str, list[str]]:
    """The conformance declaration."""
    return {"conformsTo": list(CLASSES)}

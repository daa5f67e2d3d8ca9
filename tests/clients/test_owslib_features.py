"""OWSLib's OGC API – Features client (``owslib.ogcapi.features.Features``) reads the
service: the landing page, the conformance classes, the collections, items with paging
members, queryables, a CQL2 filter and the parcels of a past day."""

from __future__ import annotations

import pytest
from clients_support import CORE_COLLECTIONS, PAST_DAY

pytestmark = pytest.mark.clients

CORE = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
GEOJSON = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"
OAS30 = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30"
CRS = "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs"
FILTER = "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter"
FEATURES_FILTER = "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter"
CQL2_TEXT = "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text"
BASIC_CQL2 = "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2"


@pytest.fixture(scope="module")
def features(city):
    from owslib.ogcapi.features import Features

    return Features(f"{city.base}/ogc", timeout=60)


def test_owslib_reads_the_landing_page_links(features):
    rels = {link.get("rel") for link in features.links}
    assert {"self", "conformance", "data", "service-desc"} <= rels, rels


def test_owslib_reads_the_conformance_classes_clients_rely_on(features):
    classes = set(features.conformance()["conformsTo"])
    expected = {CORE, GEOJSON, OAS30, CRS, FILTER, FEATURES_FILTER, CQL2_TEXT, BASIC_CQL2}
    assert expected <= classes, sorted(expected - classes)


def test_owslib_lists_every_collection_as_features(features, city):
    listed = {c["id"] for c in features.collections()["collections"]}
    context = {r[0] for r in city.rows("SELECT name FROM context_layer")}
    assert set(CORE_COLLECTIONS) | context <= listed, sorted(
        set(CORE_COLLECTIONS) | context - listed
    )
    assert set(CORE_COLLECTIONS) <= set(features.feature_collections())


def test_owslib_reads_the_parcels_collection_with_its_extent_and_crs(features):
    parcels = features.collection("parcels")
    assert parcels["id"] == "parcels"
    bbox = parcels["extent"]["spatial"]["bbox"][0]
    assert 107.0 < bbox[0] < bbox[2] < 108.0 and 34.0 < bbox[1] < bbox[3] < 35.0, bbox
    assert parcels["extent"]["temporal"]["interval"], parcels["extent"]
    assert parcels["storageCrs"] == "http://www.opengis.net/def/crs/EPSG/0/4545"
    assert "http://www.opengis.net/def/crs/EPSG/0/4545" in parcels["crs"]


def test_owslib_reads_a_page_of_parcels_with_the_paging_members(features, city):
    page = features.collection_items("parcels", limit=7)
    assert page["type"] == "FeatureCollection"
    assert page["numberReturned"] == len(page["features"]) == 7
    assert page["numberMatched"] == len(city.current_codes())
    assert "timeStamp" in page
    assert any(link["rel"] == "next" for link in page["links"]), page["links"]
    first = page["features"][0]
    assert first["id"] == first["properties"]["parcel_code"]
    assert {"parcel_code", "land_use_code", "area_m2", "area_mu"} <= set(first["properties"])


def test_owslib_reads_one_parcel_by_its_code(features, city):
    feature = features.collection_item("parcels", city.rezoned)
    assert feature["id"] == city.rezoned
    assert feature["properties"]["land_use_code"] == "0601"


def test_owslib_reads_the_parcels_queryables(features):
    queryables = features.collection_queryables("parcels")
    assert {"parcel_code", "land_use_code", "status", "park"} <= set(queryables["properties"])


def test_owslib_sends_a_cql2_filter_the_server_answers(features, city):
    page = features.collection_items(
        "parcels",
        filter="land_use_code = '0601' AND park = 'caijiapo'",
        **{"filter-lang": "cql2-text"},
        limit=10000,
    )
    got = {f["id"] for f in page["features"]}
    assert got == city.current_codes("land_use_code = '0601' AND park = 'caijiapo'")
    assert page["numberReturned"] == len(got)
    assert page["numberMatched"] == len(got)  # the page holds every match: given, not counted


def test_owslib_reads_the_parcels_of_a_past_day(features, city):
    page = features.collection_items("parcels", datetime_=PAST_DAY, limit=10000)
    got = {f["id"]: f["properties"]["land_use_code"] for f in page["features"]}
    assert got == city.classes_on(PAST_DAY)

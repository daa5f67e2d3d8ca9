"""OGC API – Features under /ogc: the landing page, conformance, the OpenAPI 3.0 document,
the collections with their CRSs and extents, the queryables; JSON and HTML with their
exact media types; reads as open as the rest of the API. Expected values come from our
own SQL and pyproj, never from the service's code."""

from __future__ import annotations

from datetime import datetime

import pytest
import support_ogc as so
import support_reads as sr
from openapi_spec_validator import OpenAPIV30SpecValidator, validate
from pyproj import Transformer
from sqlalchemy import text

pytestmark = pytest.mark.e2e

OPENAPI_TYPE = "application/vnd.oai.openapi+json;version=3.0"
F1 = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"
F3 = "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/"
CQL2 = "http://www.opengis.net/spec/cql2/1.0/conf/"


@pytest.fixture
def client(sample_db_url, make_client):
    return make_client(sample_db_url)


@pytest.fixture(scope="module")
def layers(sample_db_url) -> list[str]:
    with sr.connect(sample_db_url) as conn:
        return list(conn.execute(text("SELECT name FROM context_layer ORDER BY name")).scalars())


def _json(client, url: str, media_type: str = "application/json", **kw):
    response = client.get(url, **kw)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == media_type
    return response.json()


# --- landing page, conformance --------------------------------------------------------------


def test_the_landing_page_links_the_api_definition_conformance_and_collections(client):
    body = _json(client, "/ogc")
    assert body["title"]
    rels = {(lk["rel"], lk["type"]): so.path_of(lk["href"]) for lk in body["links"]}
    assert rels[("service-desc", OPENAPI_TYPE)] == "/ogc/api"
    assert rels[("service-doc", "text/html")] == "/ogc/api?f=html"
    assert rels[("conformance", "application/json")] == "/ogc/conformance"
    assert rels[("data", "application/json")] == "/ogc/collections"
    assert rels[("self", "application/json")] == "/ogc?f=json"
    assert rels[("alternate", "text/html")] == "/ogc?f=html"


def test_conformance_declares_core_geojson_html_oas30_crs_and_what_qgis_needs_to_push_filters(
    client,
):
    classes = set(_json(client, "/ogc/conformance")["conformsTo"])
    assert {F1 + c for c in ("core", "geojson", "html", "oas30")} <= classes
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in classes
    assert {F3 + "filter", F3 + "features-filter", F3 + "queryables"} <= classes
    assert {CQL2 + c for c in ("cql2-text", "cql2-json", "basic-cql2")} <= classes
    assert CQL2 + "advanced-comparison-operators" in classes
    assert CQL2 + "basic-spatial-functions" in classes


# --- collections ------------------------------------------------------------------------------


def test_the_collections_are_the_fixed_ones_and_each_context_layer(client, layers):
    body = _json(client, "/ogc/collections")
    ids = [c["id"] for c in body["collections"]]
    assert ids == [*so.FIXED_COLLECTIONS, *layers]
    for c in body["collections"]:
        assert c["itemType"] == "feature"
        items = so.link(c, "items", "application/geo+json")
        assert so.path_of(items["href"]) == f"/ogc/collections/{c['id']}/items"
        queryables = so.link(c, "http://www.opengis.net/def/rel/ogc/1.0/queryables")
        assert queryables["type"] == "application/schema+json"


def test_a_collection_with_geometry_offers_the_five_crs_and_stores_in_epsg_4545(client):
    body = _json(client, "/ogc/collections/parcels")
    assert body["crs"][0] == so.CRS84
    assert set(body["crs"]) == {so.CRS84} | {so.EPSG.format(n) for n in (4326, 4490, 4545, 3857)}
    assert body["storageCrs"] == so.EPSG.format(4545)


def test_leases_have_no_geometry_so_no_crs_and_no_spatial_extent(client):
    body = _json(client, "/ogc/collections/leases")
    assert "crs" not in body and "storageCrs" not in body
    assert "spatial" not in body.get("extent", {})


def test_the_spatial_extent_is_the_crs84_box_of_the_data(client, sample_db_url):
    with sr.connect(sample_db_url) as conn:
        xmin, ymin, xmax, ymax = conn.execute(
            text(
                "SELECT min(ST_XMin(geom)), min(ST_YMin(geom)), max(ST_XMax(geom)), "
                "max(ST_YMax(geom)) FROM parcel_version WHERE valid_to IS NULL"
            )
        ).one()
    lonlat = Transformer.from_crs(4545, 4326, always_xy=True)
    expected = lonlat.transform_bounds(xmin, ymin, xmax, ymax, densify_pts=50)
    body = _json(client, "/ogc/collections/parcels")
    (box,) = body["extent"]["spatial"]["bbox"]
    assert body["extent"]["spatial"]["crs"] == so.CRS84
    # Holds the data, and no more than about a metre around it (PostGIS boxes are floats).
    assert box[0] <= expected[0] and box[1] <= expected[1]
    assert box[2] >= expected[2] and box[3] >= expected[3]
    assert max(abs(a - b) for a, b in zip(box, expected, strict=True)) < 2e-5


def test_the_temporal_extent_of_parcels_runs_from_the_first_version_and_stays_open(
    client, sample_db_url
):
    with sr.connect(sample_db_url) as conn:
        first = conn.execute(text("SELECT min(valid_from) FROM parcel_version")).scalar_one()
    for collection in ("parcels", "parcel_versions"):
        temporal = _json(client, f"/ogc/collections/{collection}")["extent"]["temporal"]
        (interval,) = temporal["interval"]
        assert interval[1] is None
        assert interval[0].endswith("Z")
        assert datetime.fromisoformat(interval[0].replace("Z", "+00:00")) == first
    assert "temporal" not in _json(client, "/ogc/collections/buildings").get("extent", {})


def test_an_unknown_collection_is_404_and_an_unknown_parameter_400_naming_it(client):
    missing = client.get("/ogc/collections/nowhere")
    assert missing.status_code == 404
    assert "nowhere" in missing.json()["message"]
    for url in ("/ogc?foo=1", "/ogc/collections?limit=3", "/ogc/collections/parcels?bbox=1"):
        response = client.get(url)
        assert response.status_code == 400, url
        assert response.json()["parameter"] in ("foo", "limit", "bbox")


# --- queryables -------------------------------------------------------------------------------


def test_the_queryables_of_parcels_are_a_json_schema_with_types_and_roles(client):
    body = _json(
        client, "/ogc/collections/parcels/queryables", media_type="application/schema+json"
    )
    assert body["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert body["type"] == "object"
    props = body["properties"]
    assert props["geometry"]["$ref"].startswith("https://geojson.org/schema/")
    assert props["geometry"]["x-ogc-role"] == "primary-geometry"
    assert props["parcel_code"] == {
        "title": props["parcel_code"]["title"],
        "type": "string",
        "x-ogc-role": "id",
    }
    assert props["area_m2"]["type"] == "number"
    assert props["is_manufacturing"]["type"] == "boolean"
    assert props["change_set_id"]["type"] == "integer"
    assert props["valid_from"]["format"] == "date-time"
    assert props["supplied_on"]["format"] == "date"
    assert "reserve" in props["status"]["enum"]


def test_the_queryables_of_a_context_layer_include_the_columns_its_features_carry(client):
    props = _json(
        client, "/ogc/collections/roads/queryables", media_type="application/schema+json"
    )["properties"]
    assert {"geometry", "id", "layer", "park", "name", "kind", "road_class"} <= set(props)
    assert props["geometry"]["$ref"] == "https://geojson.org/schema/Geometry.json"


def test_leases_queryables_have_no_geometry(client):
    props = _json(
        client, "/ogc/collections/leases/queryables", media_type="application/schema+json"
    )["properties"]
    assert "geometry" not in props
    assert props["start_date"] == {**props["start_date"], "type": "string", "format": "date"}


# --- the OpenAPI 3.0 document -----------------------------------------------------------------


def test_the_api_document_is_openapi_3_0_and_validates(client, layers):
    document = _json(client, "/ogc/api", media_type=OPENAPI_TYPE)
    assert document["openapi"].startswith("3.0.")
    validate(document, cls=OpenAPIV30SpecValidator)
    for collection in (*so.FIXED_COLLECTIONS, *layers):
        assert f"/collections/{collection}/items" in document["paths"]
        assert f"/collections/{collection}/items/{{featureId}}" in document["paths"]
        assert f"/collections/{collection}/queryables" in document["paths"]
    assert document["servers"] == [{"url": "http://testserver/ogc"}]


def test_the_api_document_publishes_limit_default_100_and_maximum_10000(client):
    document = _json(client, "/ogc/api", media_type=OPENAPI_TYPE)
    limit = document["components"]["parameters"]["limit"]
    assert limit["schema"] == {"type": "integer", "minimum": 1, "maximum": 10000, "default": 100}
    operation = document["paths"]["/collections/parcels/items"]["get"]
    assert {"$ref": "#/components/parameters/limit"} in operation["parameters"]
    names = {p.get("name") for p in operation["parameters"]}
    assert {"land_use_code", "park", "status", "is_manufacturing"} <= names
    # No 3.1-isms anywhere (QGIS 3.22 and OWSLib read 3.0).
    text_ = str(document)
    assert "'examples'" not in text_ and "'const'" not in text_ and "'null'" not in text_


def test_the_service_doc_is_swagger_ui_reading_the_ogc_document(client):
    response = client.get("/ogc/api", params={"f": "html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "/ogc/api?f=json" in response.text
    assert "/static/vendor/swagger-ui-dist/" in response.text


# --- HTML and content negotiation -------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/ogc",
        "/ogc/conformance",
        "/ogc/collections",
        "/ogc/collections/parcels",
        "/ogc/collections/parcels/queryables",
        "/ogc/collections/parcels/items?limit=5",
        "/ogc/collections/parcels/items/{code}",
        "/ogc/collections/leases/items?limit=3",
        "/ogc/collections/roads/items",
    ],
)
def test_every_page_renders_as_html_with_f_html_and_for_a_browser(client, sample_db_url, url):
    with sr.connect(sample_db_url) as conn:
        code = min(so.current_codes(conn))
    url = url.format(code=code)
    for kwargs in (
        {"params": {"f": "html"}},
        {"headers": {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}},
    ):
        response = client.get(url, **kwargs)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert response.text.lstrip().startswith("<!DOCTYPE html>")


def test_json_is_the_default_and_what_a_gis_client_asking_for_json_gets(client):
    for accept in (None, "*/*", "application/json", "application/geo+json, application/json"):
        headers = {"Accept": accept} if accept else {}
        response = client.get("/ogc/collections/parks/items", headers=headers)
        assert response.headers["content-type"] == "application/geo+json", accept
    assert client.get("/ogc", params={"f": "xml"}).json()["parameter"] == "f"


def test_a_text_from_the_data_is_shown_as_text_in_the_html_pages(fresh_db_url, make_client):
    marker = '<script>alert("x")</script>'
    with sr.connect(fresh_db_url) as conn:
        conn.execute(
            text(
                "INSERT INTO context_feature (layer, park, name, kind, geom) SELECT 'roads', "
                "'gaoxin', :name, 'main', ST_PointOnSurface(boundary) FROM park "
                "WHERE code = 'gaoxin'"
            ),
            {"name": marker},
        )
        conn.commit()
    client = make_client(fresh_db_url)
    for url in ("/ogc/collections/roads/items?limit=10000&f=html",):
        page = client.get(url).text
        assert marker not in page
        assert "&lt;script&gt;alert(" in page


# --- access -----------------------------------------------------------------------------------


def test_reads_need_a_token_when_the_setting_says_so(sample_db_url, make_client, make_token):
    client = make_client(sample_db_url, reads_need_token=True)
    for url in ("/ogc", "/ogc/collections", "/ogc/collections/parcels/items?limit=1"):
        assert client.get(url).status_code == 401, url
    headers = make_token(sample_db_url, "viewer")
    for url in ("/ogc", "/ogc/collections", "/ogc/collections/parcels/items?limit=1"):
        assert client.get(url, headers=headers).status_code == 200, url


# --- the document says what the endpoints answer ----------------------------------------------


def _contract_paths() -> list[str]:
    """The paths schemathesis drives: every path of the fixed collections and those of one
    context layer (the other layers' are the same code)."""
    from service.ogc import openapi, registry

    fixed = list(registry.FIXED.values())
    paths = openapi.openapi("http://testserver/ogc", fixed, storage_srid=4545)["paths"]
    roads = [f"/collections/roads/{p}" for p in ("items", "items/{featureId}", "queryables")]
    return sorted([*paths, *roads])


@pytest.fixture(scope="module")
def ogc_schema(sample_db_url):
    """The app on the module's copy of the sample, and its /ogc/api document."""
    import schemathesis

    from service.api.app import create_app
    from service.settings import Settings

    app = create_app(Settings(database_url=sample_db_url))
    yield schemathesis.openapi.from_asgi("/ogc/api", app)
    from schemathesis.python.asgi import shutdown_lifespans

    shutdown_lifespans()


@pytest.mark.parametrize("mode", ["positive", "negative"])
@pytest.mark.parametrize("path", _contract_paths())
def test_every_answer_is_one_the_ogc_api_document_declares(ogc_schema, path, mode):
    import hypothesis
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    operation = ogc_schema[path]["GET"]
    generation = GenerationMode.POSITIVE if mode == "positive" else GenerationMode.NEGATIVE

    @hypothesis.settings(
        max_examples=15,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    @hypothesis.given(case=operation.as_strategy(generation_mode=generation))
    def check(case):
        case.call_and_validate(checks=checks)

    check()

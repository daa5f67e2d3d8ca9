"""TileJSON and styles for desktop GIS: ``GET /tiles/{layer}/tilejson.json`` describes each
tile layer as its tiles really are (decoded here with mapbox-vector-tile, an independent
MVT reader), ``GET /ogc/styles/landuse`` is a GL style (version 8) over those tiles in the
web map's colours, ``?f=sld`` the land-use legend as SLD 1.1, and ``GET /ogc/styles``
lists them.

Expected values come from the sample GeoPackage (pyogrio, shapely, pyproj), from SQL of
our own, and from ``maps.style`` — the one home of the colours the styles must repeat."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import mapbox_vector_tile
import pytest
import shapely
import support_reads as sr
from pyproj import Transformer
from sqlalchemy import text

from maps.style import (
    MANUFACTURING_OUTLINE,
    MANUFACTURING_WEIGHT,
    NO_DATA_COLOUR,
    PARK_OUTLINE,
    PROJECT_STATUSES,
    hatch_colour,
    land_use_colour,
)

pytestmark = pytest.mark.e2e

BASE = "http://testserver"
CORE = ("parcels", "buildings", "projects", "parks")
GL_TYPE = "application/vnd.mapbox.style+json"
SLD_TYPE = "application/vnd.ogc.sld+xml;version=1.1"
SLD = "{http://www.opengis.net/sld}"
SE = "{http://www.opengis.net/se}"
OGC = "{http://www.opengis.net/ogc}"
#: Zooms whose tiles hold every parcel (detail) and the overview cells.
DETAIL_Z, OVERVIEW_Z = 13, 11


@pytest.fixture
def client(sample_db_url, make_client):
    return make_client(sample_db_url)


@pytest.fixture(scope="module")
def context_names(sample_db_url) -> list[str]:
    with sr.connect(sample_db_url) as conn:
        return list(conn.execute(text("SELECT name FROM context_layer ORDER BY name")).scalars())


@pytest.fixture(scope="module")
def classes_in_use(sample_db_url) -> dict[str, bool]:
    """Land-use code -> is manufacturing, of the parcels as they stand (our own SQL)."""
    with sr.connect(sample_db_url) as conn:
        rows = conn.execute(
            text(
                "SELECT DISTINCT v.land_use_code, c.is_manufacturing FROM parcel_version v "
                "JOIN land_use_class c ON c.code = v.land_use_code WHERE v.valid_to IS NULL"
            )
        ).all()
    return dict(rows)


def _tiles_covering(bounds, z: int) -> list[tuple[int, int, int]]:
    def tile(lon: float, lat: float) -> tuple[int, int]:
        n = 2**z
        x = int((lon + 180) / 360 * n)
        rad = math.radians(lat)
        y = int((1 - math.log(math.tan(rad) + 1 / math.cos(rad)) / math.pi) / 2 * n)
        return min(max(x, 0), n - 1), min(max(y, 0), n - 1)

    west, south, east, north = bounds
    x0, y0 = tile(west, north)
    x1, y1 = tile(east, south)
    return [(z, x, y) for y in range(y0, y1 + 1) for x in range(x0, x1 + 1)]


def _decode(body: bytes) -> dict:
    return mapbox_vector_tile.decode(body, default_options={"y_coord_down": True}) if body else {}


def _type_of(value) -> str:
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int | float):
        return "Number"
    assert isinstance(value, str), value
    return "String"


def _properties_in_tiles(client, layer: str, bounds, z: int) -> dict[str, set[str]]:
    """Property name -> the types its values have, over every tile of *layer* at *z*
    covering *bounds*."""
    found: dict[str, set[str]] = {}
    for tz, tx, ty in _tiles_covering(bounds, z):
        response = client.get(f"/tiles/{layer}/{tz}/{tx}/{ty}.pbf")
        assert response.status_code == 200
        for feature in _decode(response.content).get(layer, {}).get("features", []):
            for name, value in feature["properties"].items():
                found.setdefault(name, set()).add(_type_of(value))
    return found


def _tilejson(client, layer: str, **params) -> dict:
    response = client.get(f"/tiles/{layer}/tilejson.json", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return response.json()


# --- TileJSON ---------------------------------------------------------------------------------


def test_every_tile_layer_has_a_tilejson_3_document_with_absolute_tile_urls(client, context_names):
    for layer in (*CORE, *context_names):
        doc = _tilejson(client, layer)
        assert doc["tilejson"] == "3.0.0"
        assert doc["tiles"] == [f"{BASE}/tiles/{layer}/{{z}}/{{x}}/{{y}}.pbf"]
        assert (doc["minzoom"], doc["maxzoom"]) == (0, 22)  # what the tile route serves
        assert doc["scheme"] == "xyz"
        west, south, east, north = doc["bounds"]
        assert 107.0 < west < east < 107.8 and 34.2 < south < north < 34.6, layer
        lon, lat, zoom = doc["center"]
        assert west <= lon <= east and south <= lat <= north
        assert isinstance(zoom, int) and doc["minzoom"] <= zoom <= doc["maxzoom"]
        [vector_layer] = doc["vector_layers"]
        assert vector_layer["id"] == layer
        assert all(v in ("String", "Number", "Boolean") for v in vector_layer["fields"].values())
    # Served tiles answer at both ends of the declared zooms.
    assert client.get("/tiles/parcels/0/0/0.pbf").status_code == 200
    assert client.get("/tiles/parcels/22/3336960/1637376.pbf").status_code == 200
    assert client.get("/tiles/parcels/23/0/0.pbf").status_code == 422


def test_tilejson_fields_are_exactly_the_properties_the_tiles_carry(client, context_names):
    for layer in (*CORE, *context_names):
        doc = _tilejson(client, layer)
        fields = doc["vector_layers"][0]["fields"]
        found = _properties_in_tiles(client, layer, doc["bounds"], DETAIL_Z)
        if layer == "parcels":  # the overview cells of the lower zooms carry their own
            for name, types in _properties_in_tiles(
                client, layer, doc["bounds"], OVERVIEW_Z
            ).items():
                found.setdefault(name, set()).update(types)
        assert set(fields) == set(found), layer
        for name, types in found.items():
            assert types == {fields[name]}, (layer, name, types)


def test_tilejson_bounds_hold_the_data_and_no_more(client):
    to_lonlat = Transformer.from_crs(sr.STORAGE_EPSG, 4326, always_xy=True)
    for layer, frame in (("parcels", sr.parcels()), ("parks", sr.parks())):
        lonlat = shapely.transform(frame.geometry.values, to_lonlat.transform, interleaved=False)
        west, south, east, north = shapely.total_bounds(lonlat)
        got = _tilejson(client, layer)["bounds"]
        assert got[0] <= west + 1e-6 and got[1] <= south + 1e-6
        assert got[2] >= east - 1e-6 and got[3] >= north - 1e-6
        exact = (west, south, east, north)
        assert max(abs(a - b) for a, b in zip(got, exact, strict=True)) < 0.01, layer


def test_one_parks_tilejson_points_at_that_parks_tiles(client):
    city = _tilejson(client, "parcels")["bounds"]
    doc = _tilejson(client, "parcels", park="caijiapo")
    assert doc["tiles"] == [f"{BASE}/tiles/parcels/{{z}}/{{x}}/{{y}}.pbf?park=caijiapo"]
    west, south, east, north = doc["bounds"]
    assert city[0] < west < east <= city[2] and city[1] <= south < north <= city[3]
    assert east - west < (city[2] - city[0]) / 2


def test_tilejson_of_a_layer_there_are_no_tiles_of_is_404(client):
    response = client.get("/tiles/nowhere/tilejson.json")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    assert "nowhere" in response.json()["message"]
    assert client.get("/tiles/parcels/tilejson.json", params={"park": "atlantis"}).status_code in (
        404,
        422,
    )


# --- the GL style -----------------------------------------------------------------------------


def _referenced_properties(node) -> set[str]:
    """Properties an expression or (legacy) filter reads."""
    found: set[str] = set()
    if isinstance(node, list) and node:
        op = node[0]
        if op == "get" and len(node) == 2 and isinstance(node[1], str):
            return {node[1]}
        legacy = ("==", "!=", "has", "!has", "in", "!in", "<", "<=", ">", ">=")
        if op in legacy and len(node) >= 2 and isinstance(node[1], str) and node[1] != "$type":
            found.add(node[1])
        for item in node[1:]:
            found |= _referenced_properties(item)
    return found


def _match_branches(expression) -> tuple[dict[str, str], str]:
    """A ``match`` expression's label -> output, and its fallback."""
    assert expression[0] == "match"
    branches: dict[str, str] = {}
    pairs = expression[2:-1]
    for labels, output in zip(pairs[::2], pairs[1::2], strict=True):
        assert isinstance(labels, list), "QGIS 3.22 reads only array labels"
        for label in labels:
            branches[label] = output
    return branches, expression[-1]


def test_landuse_style_is_a_gl_style_v8_over_the_services_tiles(client, context_names):
    response = client.get("/ogc/styles/landuse")
    assert response.status_code == 200
    assert response.headers["content-type"] == GL_TYPE
    style = response.json()
    assert style["version"] == 8
    assert set(style["sources"]) == {*CORE, *context_names}
    for name, source in style["sources"].items():
        assert source["type"] == "vector"
        assert source["tiles"] == [f"{BASE}/tiles/{name}/{{z}}/{{x}}/{{y}}.pbf"]
        assert (source["minzoom"], source["maxzoom"]) == (0, 22)
    ids = [layer["id"] for layer in style["layers"]]
    assert len(ids) == len(set(ids))
    fields = {
        name: _tilejson(client, name)["vector_layers"][0]["fields"] for name in style["sources"]
    }
    for layer in style["layers"]:
        # QGIS 3.22 converts fill, line and circle layers (and symbols, none needed here).
        assert layer["type"] in ("fill", "line", "circle"), layer["id"]
        assert layer["source"] in style["sources"], layer["id"]
        assert layer["source-layer"] == layer["source"]
        used = _referenced_properties(layer.get("filter")) | _referenced_properties(
            list(layer["paint"].values())
        )
        assert used <= set(fields[layer["source"]]), (layer["id"], used)


def test_every_source_layer_of_the_style_is_a_layer_of_its_tiles(client):
    style = client.get("/ogc/styles/landuse").json()
    for name in {layer["source-layer"] for layer in style["layers"]}:
        bounds = _tilejson(client, name)["bounds"]
        for z, x, y in _tiles_covering(bounds, 12):
            decoded = _decode(client.get(f"/tiles/{name}/{z}/{x}/{y}.pbf").content)
            if decoded:
                assert list(decoded) == [name]
                break
        else:
            pytest.fail(f"no tile of {name} holds a feature")


def test_parcels_are_filled_in_the_web_maps_colours_and_manufacturing_outlined(
    client, classes_in_use
):
    style = client.get("/ogc/styles/landuse").json()
    layers = {layer["id"]: layer for layer in style["layers"]}
    fills = [lay for lay in style["layers"] if lay["type"] == "fill" and lay["source"] == "parcels"]
    assert fills
    for layer in fills:
        branches, fallback = _match_branches(layer["paint"]["fill-color"])
        assert layer["paint"]["fill-color"][1] == ["get", "land_use_code"]
        assert set(branches) == set(classes_in_use)
        for code, colour in branches.items():
            assert colour == land_use_colour(code), code
        assert fallback == NO_DATA_COLOUR
    outline = layers["parcels-manufacturing-outline"]
    assert outline["type"] == "line"
    assert outline["filter"] == ["==", "is_manufacturing", True]
    assert outline["paint"]["line-color"] == MANUFACTURING_OUTLINE
    assert outline["paint"]["line-width"] == MANUFACTURING_WEIGHT
    others = [lay for lay in style["layers"] if lay is not outline]
    assert all(lay["paint"].get("line-color") != MANUFACTURING_OUTLINE for lay in others)
    assert style["metadata"]["parks:manufacturing"] == sorted(
        code for code, mfg in classes_in_use.items() if mfg
    )


def test_projects_and_parks_keep_the_web_maps_colours(client):
    style = client.get("/ogc/styles/landuse").json()
    layers = {layer["id"]: layer for layer in style["layers"]}
    for code, (_zh, _en, colour, dashed) in PROJECT_STATUSES.items():
        line = layers[f"projects-{code}-outline"]
        assert line["filter"] == ["==", "status", code]
        assert line["paint"]["line-color"] == colour
        assert ("line-dasharray" in line["paint"]) == dashed
    branches, _ = _match_branches(layers["projects-fill"]["paint"]["fill-color"])
    assert branches == {code: s[2] for code, s in PROJECT_STATUSES.items()}
    assert layers["parks-outline"]["paint"]["line-color"] == PARK_OUTLINE
    assert style["layers"][-1]["id"] == "parks-outline"  # drawn last, over everything


def test_the_style_is_centred_on_the_parks(client):
    style = client.get("/ogc/styles/landuse").json()
    west, south, east, north = _tilejson(client, "parks")["bounds"]
    lon, lat = style["center"]
    assert west < lon < east and south < lat < north
    assert 8 <= style["zoom"] <= 14


# --- the SLD ----------------------------------------------------------------------------------


def _svg_parameters(element) -> dict[str, str]:
    return {p.get("name"): p.text for p in element.findall(f"{SE}SvgParameter")}


def test_sld_is_se_1_1_with_a_rule_per_class_the_parcels_have(client, classes_in_use):
    response = client.get("/ogc/styles/landuse", params={"f": "sld"})
    assert response.status_code == 200
    assert response.headers["content-type"] == SLD_TYPE
    root = ET.fromstring(response.content)
    assert root.tag == f"{SLD}StyledLayerDescriptor" and root.get("version") == "1.1.0"
    layer = root.find(f"{SLD}NamedLayer")
    assert layer.find(f"{SE}Name").text == "parcels"
    rules = layer.findall(f"{SLD}UserStyle/{SE}FeatureTypeStyle/{SE}Rule")
    by_code = {}
    for rule in rules:
        equal = rule.find(f"{OGC}Filter/{OGC}PropertyIsEqualTo")
        assert equal.find(f"{OGC}PropertyName").text == "land_use_code"
        by_code[equal.find(f"{OGC}Literal").text] = rule
    assert len(rules) == len(by_code)
    assert set(by_code) == set(classes_in_use)
    for code, rule in by_code.items():
        symbolizers = rule.findall(f"{SE}PolygonSymbolizer")
        fill = _svg_parameters(symbolizers[0].find(f"{SE}Fill"))
        assert fill["fill"] == land_use_colour(code)
        stroke = _svg_parameters(symbolizers[0].find(f"{SE}Stroke"))
        assert code in rule.find(f"{SE}Description/{SE}Title").text
        if classes_in_use[code]:
            assert stroke["stroke"] == MANUFACTURING_OUTLINE
            assert float(stroke["stroke-width"]) == MANUFACTURING_WEIGHT
            mark = symbolizers[1].find(f"{SE}Fill/{SE}GraphicFill/{SE}Graphic/{SE}Mark")
            assert mark is not None, "manufacturing land is hatched"
            hatch = _svg_parameters(mark.find(f"{SE}Stroke"))
            assert hatch["stroke"] == hatch_colour(land_use_colour(code))
        else:
            assert stroke["stroke"] != MANUFACTURING_OUTLINE
            assert len(symbolizers) == 1


# --- the list, the errors, the read rule --------------------------------------------------------


def test_the_styles_list_links_each_encoding_and_the_links_work(client):
    response = client.get("/ogc/styles")
    assert response.status_code == 200
    body = response.json()
    assert body["default"] == "landuse"
    [style] = body["styles"]
    assert style["id"] == "landuse" and style["title"]
    types = {}
    for link in style["links"]:
        assert link["rel"] == "stylesheet"
        assert link["href"].startswith(f"{BASE}/ogc/styles/landuse?f=")
        followed = client.get(link["href"].removeprefix(BASE))
        assert followed.status_code == 200
        assert followed.headers["content-type"] == link["type"]
        types[link["type"]] = link["href"]
    assert set(types) == {GL_TYPE, SLD_TYPE}


def test_an_unknown_style_is_404_and_an_unknown_encoding_422(client):
    missing = client.get("/ogc/styles/nonesuch")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    wrong = client.get("/ogc/styles/landuse", params={"f": "css"})
    assert wrong.status_code == 422 and wrong.json()["parameter"] == "f"


def test_styles_and_tilejson_follow_the_read_rule(sample_db_url, make_client, make_token):
    closed = make_client(sample_db_url, reads_need_token=True)
    paths = ("/ogc/styles", "/ogc/styles/landuse", "/tiles/parcels/tilejson.json")
    for path in paths:
        assert closed.get(path).status_code == 401, path
    headers = make_token(sample_db_url, "viewer")
    for path in paths:
        response = closed.get(path, headers=headers)
        assert response.status_code == 200, path
        if path != "/ogc/styles":  # made from the data: kept a minute, by the reader only
            assert response.headers["cache-control"] == "private, max-age=60"

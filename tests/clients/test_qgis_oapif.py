"""QGIS 3 (Debian's 3.22) connects to the service as a GIS technician would: an OGC API –
Features layer on ``parcels``, a subset string, the parcels of a past day, and the vector
tiles (with the land-use style). One headless QGIS run does every check of this module; the
tests compare its answers with the database and with the service's access log.

What QGIS 3.22 sends to the server (its OAPIF provider, src/providers/wfs/oapif/, in
3.22.16): a subset string is translated for the server only where it compares a Date or
DateTime field with a literal — that becomes the OGC ``datetime`` parameter (an open end as
``0000-01-01T00:00:00Z`` or ``9999-12-31T00:00:00Z``); everything else, ``"land_use_code" =
'0601'`` included, is evaluated by QGIS on the features it downloaded. QGIS 3.22 has no CQL2
(``filter=``); later versions push CQL2 text when the server declares the filter classes.
So the subset pushed to the server here is the date one, and the temporal controller (whose
expressions are function calls QGIS 3.22 does not translate) is stood in for by that subset
string, which is what the datasource's filter holds when a user types it.
"""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest
import shapely
from clients_support import PAST_DAY
from pyproj import Transformer

pytestmark = pytest.mark.clients

#: Vertex agreement between QGIS's geometry (EPSG:4326 from the service) and ours: 1e-7°
#: is about a centimetre.
DEGREE_TOL = 1e-7
SAMPLED_CODES = 5


def oapif_uri(base: str, collection: str) -> str:
    """The data source of an OAPIF layer as QGIS 3.22 writes it (the Data Source Manager's
    "OGC API - Features" connection)."""
    return f"url='{base}/ogc' typename='{collection}'"


def xyz_uri(template: str, *, zmin: int, zmax: int, style_url: str | None = None) -> str:
    """The data source of a vector-tile layer as QGIS writes it (an XYZ connection)."""
    uri = f"type=xyz&url={quote(template, safe=':/')}&zmin={zmin}&zmax={zmax}"
    if style_url:
        uri += f"&styleUrl={quote(style_url, safe=':/')}"
    return uri


@pytest.fixture(scope="module")
def tilejson(city) -> dict:
    """The parcels' TileJSON, or what was wrong with it (``{"problem": ...}``)."""
    response = httpx.get(f"{city.base}/tiles/parcels/tilejson.json")
    if response.status_code != 200:
        return {"problem": f"GET /tiles/parcels/tilejson.json -> {response.status_code}"}
    return response.json()


@pytest.fixture(scope="module")
def park_box(city) -> list[float]:
    """The Caijiapo park's bounding box in EPSG:4326 (lon/lat), our SQL."""
    row = city.rows(
        "SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM "
        "(SELECT ST_Transform(boundary, 4326)::box2d AS b FROM park WHERE code = 'caijiapo') s"
    )[0]
    return list(row)


@pytest.fixture(scope="module")
def sampled(city) -> list[str]:
    codes = sorted(city.current_codes())
    step = max(1, len(codes) // SAMPLED_CODES)
    return codes[::step][:SAMPLED_CODES]


@pytest.fixture(scope="module")
def qgis(city, run_qgis, tilejson, park_box, sampled):
    """One QGIS run with every check of this module, and the requests the service saw."""
    base = city.base
    template = (tilejson.get("tiles") or [f"{base}/tiles/parcels/{{z}}/{{x}}/{{y}}.pbf"])[0]
    zmin, zmax = int(tilejson.get("minzoom", 0)), int(tilejson.get("maxzoom", 16))
    parcels = {"kind": "vector", "provider": "OAPIF", "uri": oapif_uri(base, "parcels")}
    codes = ["parcel_code", "land_use_code"]
    mark = city.service.log.mark()
    answer = run_qgis(
        [
            parcels
            | {"name": "parcels", "attributes": codes, "geometry_of": ["parcel_code", sampled]},
            parcels
            | {"name": "industrial", "attributes": codes, "subset": "\"land_use_code\" = '0601'"},
            parcels | {"name": "past_day", "attributes": codes, "subset_date": PAST_DAY},
            {
                "name": "tiles",
                "kind": "vectortile",
                "uri": xyz_uri(template, zmin=zmin, zmax=zmax),
                "render": park_box,
            },
            {
                "name": "styled_tiles",
                "kind": "vectortile",
                "uri": xyz_uri(
                    template, zmin=zmin, zmax=zmax, style_url=f"{base}/ogc/styles/landuse"
                ),
                "style_url": True,
                "render": park_box,
            },
        ]
    )
    answer.requests = city.service.log.requests_since(mark)
    return answer


def _valid(qgis, name: str) -> dict:
    result = qgis[name]
    assert result["valid"], f"QGIS says the layer is not valid:\n{qgis.explain(name)}"
    return result


def _codes(result: dict) -> list[str]:
    return [row["parcel_code"] for row in result["features"]]


def test_qgis_opens_the_parcels_collection_as_a_valid_oapif_layer(qgis):
    result = _valid(qgis, "parcels")
    assert qgis.version.startswith("3."), qgis.version
    assert result["error"] == ""


def test_qgis_reads_every_current_parcel_once(qgis, city):
    result = _valid(qgis, "parcels")
    expected = city.current_codes()
    codes = _codes(result)
    assert len(codes) == len(set(codes)), "QGIS got a parcel twice"
    assert set(codes) == expected
    assert result["iterated"] == result["feature_count"] == len(expected)


def test_qgis_sees_the_parcel_fields_by_name(qgis):
    fields = _valid(qgis, "parcels")["fields"]
    assert {"parcel_code", "land_use_code", "area_m2"} <= set(fields), fields


def test_qgis_layer_is_in_the_served_crs_with_longitude_first(qgis, city, sampled):
    """The service serves GeoJSON in CRS84; QGIS's layer is in EPSG:4326 with x = longitude,
    and the vertices are where our own transform of the stored geometry puts them."""
    result = _valid(qgis, "parcels")
    assert result["crs"] in ("EPSG:4326", "OGC:CRS84"), result["crs"]
    to_lonlat = Transformer.from_crs("EPSG:4545", "EPSG:4326", always_xy=True)
    stored = dict(
        city.rows(
            "SELECT parcel_code, ST_AsBinary(geom) FROM parcel_version "
            "WHERE valid_to IS NULL AND parcel_code = ANY(:codes)",
            codes=sampled,
        )
    )
    assert set(result["geometries"]) == set(sampled)
    for code in sampled:
        ours = shapely.transform(
            shapely.from_wkb(bytes(stored[code])), lambda xy: _stack(to_lonlat.transform(*xy.T))
        )
        theirs = shapely.from_wkt(result["geometries"][code])
        assert len(shapely.get_coordinates(theirs)) == len(shapely.get_coordinates(ours)), code
        assert _vertex_distance(ours, theirs) < DEGREE_TOL, code


def _vertex_distance(a, b) -> float:
    """The Hausdorff distance between the two geometries' vertex sets."""
    return shapely.hausdorff_distance(
        shapely.multipoints(shapely.get_coordinates(a)),
        shapely.multipoints(shapely.get_coordinates(b)),
    )


def _stack(xy):
    import numpy as np

    return np.column_stack(xy)


def test_qgis_subset_on_land_use_returns_exactly_the_industrial_parcels(qgis, city):
    result = _valid(qgis, "industrial")
    assert result["subset_accepted"], qgis.explain("industrial")
    codes = _codes(result)
    assert len(codes) == len(set(codes))
    assert set(codes) == city.current_codes("land_use_code = '0601'")
    assert city.rezoned in codes  # rezoned to industrial today
    assert {row["land_use_code"] for row in result["features"]} == {"0601"}


def test_qgis_pushes_a_date_subset_to_the_server_as_datetime(qgis):
    """The log shows QGIS's items requests for the past day carrying ``datetime``, answered
    200, and no other items request of that run carrying it."""
    result = _valid(qgis, "past_day")
    assert result["subset_accepted"], qgis.explain("past_day")
    items = [r for r in qgis.requests if r.path == "/ogc/collections/parcels/items"]
    dated = [r for r in items if "datetime" in r.query]
    assert dated, f"no items request with datetime; QGIS asked: {[r.target for r in items]}"
    assert {r.query["datetime"] for r in dated} == {PAST_DAY}, [r.target for r in dated]
    assert all(r.status == 200 for r in dated), [(r.target, r.status) for r in dated]


def test_qgis_layer_on_a_past_day_shows_the_parcels_of_that_day(qgis, city):
    """As they stood at the end of PAST_DAY: before today's rezoning and registration."""
    result = _valid(qgis, "past_day")
    then = city.classes_on(PAST_DAY)
    got = {row["parcel_code"]: row["land_use_code"] for row in result["features"]}
    assert len(got) == len(result["features"]), "QGIS got a parcel twice"
    assert got == then
    assert city.registered not in got
    assert got[city.rezoned] == city.rezoned_from != "0601"


def test_tilejson_describes_the_parcels_tiles(tilejson, city):
    assert "problem" not in tilejson, tilejson.get("problem")
    assert tilejson["tilejson"].startswith("3."), tilejson.get("tilejson")
    assert tilejson["tiles"] and tilejson["tiles"][0].startswith(city.base), tilejson["tiles"]
    assert "{z}" in tilejson["tiles"][0] and tilejson["tiles"][0].endswith(".pbf")
    assert [layer["id"] for layer in tilejson["vector_layers"]] == ["parcels"]
    assert 0 <= tilejson["minzoom"] <= tilejson["maxzoom"] <= 24


def test_qgis_vector_tile_layer_is_valid_and_draws_the_parcels(qgis):
    result = _valid(qgis, "tiles")
    assert result["render"]["errors"] == [], qgis.explain("tiles")
    assert result["render"]["inked"] > 0.05 * result["render"]["sampled"], qgis.explain("tiles")
    tiles = [
        r for r in qgis.requests if r.path.startswith("/tiles/parcels/") and r.path.endswith(".pbf")
    ]
    assert tiles and all(r.status == 200 for r in tiles), [(r.target, r.status) for r in tiles]


def test_qgis_applies_the_landuse_style_to_the_vector_tiles(qgis):
    result = _valid(qgis, "styled_tiles")
    assert result["style_loaded"], qgis.explain("styled_tiles")
    assert "parcels" in result["style_layers"], qgis.explain("styled_tiles")
    assert result["render"]["inked"] > 0.05 * result["render"]["sampled"], qgis.explain(
        "styled_tiles"
    )

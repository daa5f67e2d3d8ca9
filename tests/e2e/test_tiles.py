"""Vector tiles: GET /tiles/{layer}/{z}/{x}/{y}.pbf serves Mapbox Vector Tiles made by
PostGIS, holding the features that touch the tile, with the API's properties, and tells
caches how long to keep them.

Expected values come from the GeoPackage (shapely + pyproj into Web Mercator, with the
tile grid worked out here), and tiles are read with an independent MVT decoder
(mapbox-vector-tile)."""

from __future__ import annotations

import gzip
import json
import math

import mapbox_vector_tile
import pytest
import shapely
import support_reads as sr
from pyproj import Transformer
from sqlalchemy import text

pytestmark = pytest.mark.e2e

MVT = "application/vnd.mapbox-vector-tile"
HALF_WORLD = 20037508.342789244  # Web Mercator: pi * 6378137
EXTENT, BUFFER = 4096, 64
PARK = "caijiapo"


@pytest.fixture
def client(sample_db_url, make_client):
    return make_client(sample_db_url)


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int(
        (1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi)
        / 2
        * n
    )
    return x, y


def _envelope(z: int, x: int, y: int, margin: float = 0.0) -> shapely.Polygon:
    size = 2 * HALF_WORLD / 2**z
    minx, maxy = -HALF_WORLD + x * size, HALF_WORLD - y * size
    m = margin * size
    return shapely.box(minx - m, maxy - size - m, minx + size + m, maxy + m)


@pytest.fixture(scope="module")
def parcels_3857():
    frame = sr.parcels()
    to_3857 = Transformer.from_crs(4545, 3857, always_xy=True)
    frame["g3857"] = shapely.transform(frame.geometry.values, to_3857.transform, interleaved=False)
    return frame


def _centre_lonlat(frame) -> tuple[float, float]:
    to_4326 = Transformer.from_crs(4545, 4326, always_xy=True)
    centre = shapely.unary_union(frame.geometry.values).centroid
    return to_4326.transform(centre.x, centre.y)


def _decode(body: bytes) -> dict:
    return mapbox_vector_tile.decode(body, default_options={"y_coord_down": True})


def test_a_parcel_tile_holds_exactly_the_parcels_that_touch_it(client, parcels_3857):
    park = parcels_3857[parcels_3857["park"] == PARK]
    lon, lat = _centre_lonlat(park)
    z = 16
    x, y = _tile_of(lon, lat, z)
    response = client.get(f"/tiles/parcels/{z}/{x}/{y}.pbf")
    assert response.status_code == 200
    assert response.headers["content-type"] == MVT
    tile = _decode(response.content)
    assert list(tile) == ["parcels"]
    assert tile["parcels"]["extent"] == EXTENT
    got = {f["properties"]["parcel_code"] for f in tile["parcels"]["features"]}
    inner, outer = _envelope(z, x, y), _envelope(z, x, y, BUFFER / EXTENT)
    must = {
        c
        for c, g in zip(parcels_3857["parcel_code"], parcels_3857["g3857"], strict=True)
        if shapely.intersection(g, inner).area > 0
    }
    may = {
        c
        for c, g in zip(parcels_3857["parcel_code"], parcels_3857["g3857"], strict=True)
        if shapely.intersects(g, outer)
    }
    assert must, "the tile at the park's centre holds parcels"
    assert must <= got <= may


def test_tile_geometry_lies_where_the_parcel_is(client, parcels_3857):
    park = parcels_3857[parcels_3857["park"] == PARK]
    lon, lat = _centre_lonlat(park)
    z = 16
    x, y = _tile_of(lon, lat, z)
    tile = _decode(client.get(f"/tiles/parcels/{z}/{x}/{y}.pbf").content)
    size = 2 * HALF_WORLD / 2**z
    unit = size / EXTENT
    left, top = -HALF_WORLD + x * size, HALF_WORLD - y * size
    outer = _envelope(z, x, y, BUFFER / EXTENT)
    by_code = dict(zip(parcels_3857["parcel_code"], parcels_3857["g3857"], strict=True))
    for feature in tile["parcels"]["features"]:
        shape = shapely.geometry.shape(feature["geometry"])
        minx, miny, maxx, maxy = shape.bounds  # tile units, y down
        got = (left + minx * unit, top - maxy * unit, left + maxx * unit, top - miny * unit)
        expected = shapely.intersection(by_code[feature["properties"]["parcel_code"]], outer).bounds
        assert got == pytest.approx(expected, abs=1.5 * unit)


def test_tile_properties_are_the_apis(client):
    api = client.get("/api/parcels", params={"park": PARK, "limit": 1000}).json()["features"]
    by_code = {f["properties"]["parcel_code"]: f["properties"] for f in api}
    lon, lat = api[0]["geometry"]["coordinates"][0][0][0]
    x, y = _tile_of(lon, lat, 15)
    tile = _decode(client.get(f"/tiles/parcels/15/{x}/{y}.pbf").content)
    features = tile["parcels"]["features"]
    assert features
    for feature in features:
        props = feature["properties"]
        expected = {k: v for k, v in by_code[props["parcel_code"]].items() if v is not None}
        assert props == expected  # MVT has no nulls: a null property is left out


def test_buildings_and_projects_tiles_carry_their_apis_properties(client):
    buildings = client.get("/api/buildings", params={"park": PARK}).json()["features"]
    b = buildings[0]
    lon, lat = shapely.geometry.shape(b["geometry"]).representative_point().coords[0]
    x, y = _tile_of(lon, lat, 16)
    tile = _decode(client.get(f"/tiles/buildings/16/{x}/{y}.pbf").content)
    found = [
        f["properties"]
        for f in tile["buildings"]["features"]
        if f["properties"]["building_code"] == b["properties"]["building_code"]
    ]
    assert found == [{k: v for k, v in b["properties"].items() if v is not None}]

    project = client.get("/api/projects", params={"park": PARK}).json()["features"][0]
    lon, lat = shapely.geometry.shape(project["geometry"]).representative_point().coords[0]
    x, y = _tile_of(lon, lat, 16)
    tile = _decode(client.get(f"/tiles/projects/16/{x}/{y}.pbf").content)
    (props,) = [
        f["properties"]
        for f in tile["projects"]["features"]
        if f["properties"]["project_code"] == project["properties"]["project_code"]
    ]
    expected = dict(project["properties"])
    assert json.loads(props.pop("milestones")) == expected.pop("milestones")
    assert props.pop("parcel_codes").split(",") == expected.pop("parcel_codes")
    assert props == {k: v for k, v in expected.items() if v is not None}


def test_context_layers_have_tiles_named_after_them(client):
    roads = client.get("/api/layers/roads", params={"park": PARK})
    names = (
        {f["properties"]["name"] for f in roads.json()["features"]}
        if roads.status_code == 200
        else None
    )
    frame = sr.layer("roads")
    frame = frame[frame["park"] == PARK]
    to_4326 = Transformer.from_crs(4545, 4326, always_xy=True)
    centre = shapely.unary_union(frame.geometry.values).centroid
    lon, lat = to_4326.transform(centre.x, centre.y)
    x, y = _tile_of(lon, lat, 13)
    tile = _decode(client.get(f"/tiles/roads/13/{x}/{y}.pbf").content)
    assert list(tile) == ["roads"]
    got = {
        f["properties"]["name"]
        for f in tile["roads"]["features"]
        if f["properties"]["park"] == PARK
    }
    # At zoom 13 one or two tiles hold the whole park: its roads that are in this tile.
    to_3857 = Transformer.from_crs(4545, 3857, always_xy=True)
    outer = _envelope(13, x, y, BUFFER / EXTENT)
    expected = {
        n
        for n, g in zip(frame["name"], frame.geometry.values, strict=True)
        if shapely.intersects(shapely.transform(g, to_3857.transform, interleaved=False), outer)
    }
    assert got == expected
    if names is not None:
        assert got <= names
    assert all(
        f["geometry"]["type"] in ("LineString", "MultiLineString")
        for f in tile["roads"]["features"]
    )


def test_a_low_zoom_tile_still_holds_every_parcel_of_the_park(client, parcels_3857):
    park = parcels_3857[parcels_3857["park"] == PARK]
    lon, lat = _centre_lonlat(park)
    z = 13  # simplified: vertices may move by one tile unit (about 5 m), none is lost
    codes = set()
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            x, y = _tile_of(lon, lat, z)
            body = client.get(f"/tiles/parcels/{z}/{x + dx}/{y + dy}.pbf", params={"park": PARK})
            tile = _decode(body.content)
            codes |= {
                f["properties"]["parcel_code"] for f in tile.get("parcels", {}).get("features", [])
            }
    assert codes == set(park["parcel_code"])


def test_at_low_zoom_a_parcel_tile_is_an_overview_that_counts_every_parcel_once(
    client, parcels_3857
):
    park = parcels_3857[parcels_3857["park"] == PARK]
    lon, lat = _centre_lonlat(park)
    z = 12  # a parcel is a pixel or two: cells of 32 units (2 px) instead
    x0, y0 = _tile_of(lon, lat, z)
    counted, area = 0, 0.0
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            body = client.get(f"/tiles/parcels/{z}/{x0 + dx}/{y0 + dy}.pbf", params={"park": PARK})
            for f in _decode(body.content).get("parcels", {}).get("features", []):
                props = f["properties"]
                assert props["overview"] is True and props["park"] == PARK
                minx, miny, maxx, maxy = shapely.geometry.shape(f["geometry"]).bounds
                assert maxx - minx == pytest.approx(32, abs=1) and maxy - miny == pytest.approx(
                    32, abs=1
                )
                # Cells in the buffer belong to the neighbouring tile: count each cell once.
                if 0 <= minx < EXTENT and 0 <= miny < EXTENT:
                    counted += props["parcels"]
                    area += props["area_m2"]
    assert counted == len(park)
    assert area == pytest.approx(park["file_area_m2"].sum(), abs=0.01 * len(park))


def test_an_overview_tile_follows_a_committed_change(fresh_db_url, make_client, make_token):
    client = make_client(fresh_db_url)
    parcels = sr.parcels()
    park = parcels[parcels["park"] == PARK]
    # A parcel whose retirement the rule allows: not manufacturing land, not a project's.
    projects = sr.layer("projects")
    used = {c for codes in projects["parcel_codes"] for c in codes.split(",")}
    code = next(
        c
        for c, use in zip(park["parcel_code"], park["land_use_code"], strict=True)
        if use == "0701" and c not in used
    )
    lon, lat = _centre_lonlat(park)
    x, y = _tile_of(lon, lat, 11)

    def parcels_counted() -> int:
        total = 0
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                body = client.get(f"/tiles/parcels/11/{x + dx}/{y + dy}.pbf", params={"park": PARK})
                for f in _decode(body.content).get("parcels", {}).get("features", []):
                    minx, miny, *_ = shapely.geometry.shape(f["geometry"]).bounds
                    if 0 <= minx < EXTENT and 0 <= miny < EXTENT:
                        total += f["properties"]["parcels"]
        return total

    assert parcels_counted() == len(park)
    change = {
        "kind": "retire",
        "reason": "test",
        "operations": [{"op": "retire", "parcel_code": code}],
    }
    response = client.post(
        "/api/change-sets", json=change, headers=make_token(fresh_db_url, "editor")
    )
    assert response.status_code == 201, response.text
    assert parcels_counted() == len(park) - 1


def test_a_city_map_has_its_first_overview_tiles_made_while_it_loads(sample_db_url):
    from gis.tiles import tiles_covering
    from service.db.engine import make_engine
    from service.maps import tiles

    boxes = []
    to_4326 = Transformer.from_crs(4545, 4326, always_xy=True)
    for geom in sr.parks().geometry.values:
        minx, miny, maxx, maxy = geom.bounds
        west, south = to_4326.transform(minx, miny)
        east, north = to_4326.transform(maxx, maxy)
        boxes.append((west, south, east, north))
    # The four parks span about 45 km: a city map opens at zoom 10 or 11.
    assert tiles.prefetch_zooms(boxes) == [10, 11]
    engine = make_engine(sample_db_url, pool_size=1, max_overflow=1)
    try:
        thread = tiles.prefetch_overview(engine, boxes, storage_srid=4545, cache_max_mb=64)
        thread.join(timeout=60)
        assert not thread.is_alive()
        with engine.connect() as conn:
            seq = conn.exec_driver_sql("SELECT last_seq FROM ledger_head").scalar()
            # Made into the tile cache every worker reads (service.maps.tiles.cached_tile).
            kept = {
                (r.z, r.x, r.y): gzip.decompress(r.body_gzip)
                for r in conn.execute(
                    text(
                        "SELECT z, x, y, body_gzip FROM tile_cache WHERE layer = 'parcels' "
                        "AND park = '' AND ledger_seq = :seq"
                    ),
                    {"seq": seq},
                )
            }
        counted = 0
        for z in (10, 11):
            for t in {t for b in boxes for t in tiles_covering(b, z)}:
                made = kept.get((t.z, t.x, t.y))
                assert made is not None, t
                for f in _decode(made).get("parcels", {}).get("features", []):
                    assert f["properties"]["overview"] is True
                    minx, miny, *_ = shapely.geometry.shape(f["geometry"]).bounds
                    if z == 11 and 0 <= minx < EXTENT and 0 <= miny < EXTENT:
                        counted += f["properties"]["parcels"]
        assert counted == len(sr.parcels())  # the zoom-11 tiles hold every parcel once
    finally:
        engine.dispose()


def test_the_park_filter_keeps_other_parks_out(client):
    # At zoom 9 one tile (106.875..107.578 E) holds Gaoxin and Jiangtan.
    x, y = _tile_of(107.23, 34.36, 9)
    both = _decode(client.get(f"/tiles/parcels/9/{x}/{y}.pbf").content)
    parks = {f["properties"]["park"] for f in both["parcels"]["features"]}
    assert {"gaoxin", "jiangtan"} <= parks
    one = _decode(client.get(f"/tiles/parcels/9/{x}/{y}.pbf", params={"park": "jiangtan"}).content)
    assert {f["properties"]["park"] for f in one["parcels"]["features"]} == {"jiangtan"}


def test_a_tile_where_there_is_nothing_is_empty(client):
    response = client.get("/tiles/parcels/10/300/380.pbf")  # the Americas
    assert response.status_code == 200
    assert response.content == b""
    assert _decode(response.content) == {}


def test_tiles_carry_cache_headers_and_answer_a_conditional_request(client):
    x, y = _tile_of(107.59, 34.315, 14)
    first = client.get(f"/tiles/parcels/14/{x}/{y}.pbf")
    assert "max-age=" in first.headers["cache-control"]
    assert first.headers["cache-control"].startswith("public")
    etag = first.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"')
    again = client.get(f"/tiles/parcels/14/{x}/{y}.pbf", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    other = client.get(f"/tiles/parcels/14/{x}/{y}.pbf", headers={"If-None-Match": '"nope"'})
    assert other.status_code == 200 and other.content == first.content


def test_tiles_of_guarded_reads_are_private(sample_db_url, make_client, make_token):
    client = make_client(sample_db_url, reads_need_token=True)
    x, y = _tile_of(107.59, 34.315, 14)
    assert client.get(f"/tiles/parcels/14/{x}/{y}.pbf").status_code == 401
    headers = make_token(sample_db_url, "viewer")
    response = client.get(f"/tiles/parcels/14/{x}/{y}.pbf", headers=headers)
    assert response.status_code == 200
    assert response.headers["cache-control"].startswith("private")


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/tiles/parcels/23/0/0.pbf", "z"),
        ("/tiles/parcels/-1/0/0.pbf", "z"),
        ("/tiles/parcels/3/8/0.pbf", "x"),
        ("/tiles/parcels/3/0/8.pbf", "y"),
        ("/tiles/parcels/3/-1/0.pbf", "x"),
        ("/tiles/parcels/a/0/0.pbf", "z"),
        ("/tiles/parcels/3/0/b.pbf", "y"),
        ("/tiles/parcels/3/0/0.pbf?park=atlantis", "park"),
    ],
)
def test_a_bad_tile_address_is_a_422_naming_the_parameter(client, path, parameter):
    response = client.get(path)
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_parameter"
    assert body["parameter"] == parameter


def test_an_unknown_layer_is_a_404(client):
    response = client.get("/tiles/atlantis/3/0/0.pbf")
    assert response.status_code == 404
    assert "atlantis" in response.json()["message"]

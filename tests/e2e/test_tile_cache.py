"""The tile cache: a vector tile is made once per change of the data it shows, kept gzipped
in the database's ``tile_cache`` for every worker, and served gzipped to a client that
accepts it.

A cached tile must be exactly the tile made afresh; a committed change set (a new ledger
row) or a change of the other data tiles show (``map_data_epoch``) must change the tile a
client gets at once; two app instances (two workers) must share what either made."""

from __future__ import annotations

import gzip
import math

import mapbox_vector_tile
import pytest
import support_reads as sr
from sqlalchemy import create_engine, pool, text
from support_roles import owner_url

pytestmark = pytest.mark.e2e

PARK = "caijiapo"


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    rad = math.radians(lat)
    y = int((1 - math.log(math.tan(rad) + 1 / math.cos(rad)) / math.pi) / 2 * n)
    return x, y


def _decode(body: bytes) -> dict:
    return mapbox_vector_tile.decode(body, default_options={"y_coord_down": True})


def _codes(body: bytes) -> set[str]:
    features = _decode(body).get("parcels", {}).get("features", [])
    return {f["properties"]["parcel_code"] for f in features}


def _sql(url: str, query: str, **params):
    """Run *query* as the database's owner: these tests plant what the service's role may
    not write (a cache entry, a class)."""
    engine = create_engine(owner_url(url), poolclass=pool.NullPool)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(query), params)
            return result.all() if result.returns_rows else None
    finally:
        engine.dispose()


def _retirable_parcel(client) -> dict:
    """A current parcel of the park the rule lets one retire (not manufacturing land, not
    a key project's), as the API gives it."""
    projects = sr.layer("projects")
    used = {c for codes in projects["parcel_codes"] for c in codes.split(",")}
    page = client.get("/api/parcels", params={"park": PARK, "land_use": "07", "limit": 1000})
    return next(f for f in page.json()["features"] if f["id"] not in used)


def _parcel_tile(feature: dict, z: int = 16) -> str:
    lon, lat = feature["geometry"]["coordinates"][0][0][0]
    x, y = _tile_of(lon, lat, z)
    return f"/tiles/parcels/{z}/{x}/{y}.pbf"


def test_a_cached_tile_is_the_tile_made_afresh(sample_db_url, make_client):
    from gis.tiles import Tile
    from service.db.engine import make_engine
    from service.maps import tiles

    client = make_client(sample_db_url)
    x, y = _tile_of(107.59, 34.315, 14)
    first = client.get(f"/tiles/parcels/14/{x}/{y}.pbf")
    again = client.get(f"/tiles/parcels/14/{x}/{y}.pbf")
    assert first.status_code == again.status_code == 200
    assert first.content == again.content and _codes(first.content)
    engine = make_engine(sample_db_url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as conn:
            fresh = tiles.vector_tile(conn, layer="parcels", tile=Tile(14, x, y), storage_srid=4545)
            cached = tiles.cached_tile(
                conn, layer="parcels", tile=Tile(14, x, y), storage_srid=4545
            )
    finally:
        engine.dispose()
    assert cached.cached
    assert cached.body() == fresh == first.content
    (row,) = _sql(
        sample_db_url,
        "SELECT body_gzip, size_bytes, sha1 FROM tile_cache WHERE layer = 'parcels' "
        "AND z = 14 AND x = :x AND y = :y AND park = ''",
        x=x,
        y=y,
    )
    assert gzip.decompress(row.body_gzip) == fresh and row.size_bytes == len(fresh)


def test_after_a_change_set_commits_the_tile_shows_it(fresh_db_url, make_client, make_token):
    client = make_client(fresh_db_url)
    parcel = _retirable_parcel(client)
    path = _parcel_tile(parcel)
    assert parcel["id"] in _codes(client.get(path).content)
    assert parcel["id"] in _codes(client.get(path).content)  # now from the cache
    (before,) = _sql(fresh_db_url, "SELECT last_seq FROM ledger_head")
    change = {
        "kind": "retire",
        "reason": "test",
        "operations": [{"op": "retire", "parcel_code": parcel["id"]}],
    }
    response = client.post(
        "/api/change-sets", json=change, headers=make_token(fresh_db_url, "editor")
    )
    assert response.status_code == 201, response.text
    (after,) = _sql(fresh_db_url, "SELECT last_seq FROM ledger_head")
    assert after.last_seq == before.last_seq + 1
    assert parcel["id"] not in _codes(client.get(path).content)
    # The tiles made from the data before the commit are gone.
    versions = _sql(fresh_db_url, "SELECT DISTINCT ledger_seq FROM tile_cache")
    assert [v.ledger_seq for v in versions] == [after.last_seq]


def test_a_change_without_a_ledger_row_changes_the_tiles_too(fresh_db_url, make_client):
    client = make_client(fresh_db_url)
    parcel = _retirable_parcel(client)
    path = _parcel_tile(parcel)

    def name_en() -> str:
        features = _decode(client.get(path).content)["parcels"]["features"]
        (props,) = [
            f["properties"] for f in features if f["properties"]["parcel_code"] == parcel["id"]
        ]
        return props["land_use_name_en"]

    assert name_en() == parcel["properties"]["land_use_name_en"]
    # A class renamed by plain SQL: no ledger row, but map_data_epoch moves.
    _sql(
        fresh_db_url,
        "UPDATE land_use_class SET name_en = 'Renamed' WHERE code = :code",
        code=parcel["properties"]["land_use_code"],
    )
    assert name_en() == "Renamed"
    page = client.get("/api/parcels", params={"park": PARK, "land_use": "07", "limit": 1000})
    (again,) = [f for f in page.json()["features"] if f["id"] == parcel["id"]]
    assert again["properties"]["land_use_name_en"] == "Renamed"


def test_two_app_instances_share_one_cache_in_the_database(sample_db_url, make_client):
    one, two = make_client(sample_db_url), make_client(sample_db_url)
    x, y = _tile_of(107.59, 34.315, 15)
    path = f"/tiles/parcels/15/{x}/{y}.pbf"
    made = one.get(path).content
    assert _codes(made)
    # Mark the kept tile: the other instance (another worker, another pool) can only
    # answer with the mark if it reads what the first one kept.
    marked = b"not a tile: the cached one"
    _sql(
        sample_db_url,
        "UPDATE tile_cache SET body_gzip = :gz, size_bytes = :n, sha1 = 'marked' "
        "WHERE layer = 'parcels' AND z = 15 AND x = :x AND y = :y AND park = ''",
        gz=gzip.compress(marked),
        n=len(marked),
        x=x,
        y=y,
    )
    response = two.get(path)
    assert response.content == marked
    assert response.headers["etag"] in ('"marked"', '"marked-gzip"')
    count = _sql(sample_db_url, "SELECT count(*) AS n FROM tile_cache WHERE z = 15")
    assert count[0].n == 1


def test_a_client_that_accepts_gzip_gets_the_kept_gzip(sample_db_url, make_client):
    client = make_client(sample_db_url)
    x, y = _tile_of(107.59, 34.315, 14)
    path = f"/tiles/parcels/14/{x}/{y}.pbf"
    zipped = client.get(path, headers={"Accept-Encoding": "gzip"})
    plain = client.get(path, headers={"Accept-Encoding": "identity"})
    refused = client.get(path, headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers and "content-encoding" not in refused.headers
    assert zipped.content == plain.content == refused.content  # httpx unzips the first
    assert int(zipped.headers["content-length"]) < len(plain.content)
    for response in (zipped, plain):
        assert response.headers["vary"] == "Accept-Encoding"
        assert response.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    # One ETag per representation; either answers a conditional request for the tile.
    assert zipped.headers["etag"] == plain.headers["etag"][:-1] + '-gzip"'
    for etag in (zipped.headers["etag"], plain.headers["etag"]):
        again = client.get(path, headers={"If-None-Match": etag, "Accept-Encoding": "gzip"})
        assert again.status_code == 304


def test_an_empty_tile_is_sent_empty_and_unzipped(sample_db_url, make_client):
    client = make_client(sample_db_url)
    response = client.get("/tiles/parcels/10/300/380.pbf", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.content == b"" and "content-encoding" not in response.headers


@pytest.mark.parametrize(
    ("header", "gzip_ok"),
    [
        ("gzip", True),
        ("gzip, deflate, br", True),
        ("deflate, GZIP;q=0.5", True),
        ("x-gzip", True),
        ("*", True),
        ("gzip;q=0", False),
        ("gzip; q=0.0, identity", False),
        ("identity", False),
        ("br", False),
        ("", False),
        (None, False),
    ],
)
def test_gzip_is_sent_only_to_a_client_that_accepts_it(header, gzip_ok):
    from service.api.routes.tiles import accepts_gzip

    assert accepts_gzip(header) is gzip_ok


def test_without_a_cache_every_tile_is_made_and_none_is_kept(fresh_db_url, make_client):
    client = make_client(fresh_db_url, tile_cache_max_mb=0)
    x, y = _tile_of(107.59, 34.315, 14)
    response = client.get(f"/tiles/parcels/14/{x}/{y}.pbf")
    assert response.status_code == 200 and _codes(response.content)
    assert _sql(fresh_db_url, "SELECT count(*) AS n FROM tile_cache")[0].n == 0

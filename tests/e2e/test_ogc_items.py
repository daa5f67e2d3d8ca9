"""OGC API – Features items under /ogc: complete and stable paging, ``numberMatched`` on a
query's first page only (always when that page holds every match; counted otherwise only
without bbox and filter), bbox in any offered CRS, property equality filters, coordinates
in each CRS in its own axis order with Content-Crs, one item, gzip for a client that
accepts it, and every bad input a 400 naming the parameter (never a 500).

The expected answers are our own: parcel codes and geometry read with plain SQL, turned
with shapely and pyproj."""

from __future__ import annotations

import gzip
import json
import re

import pytest
import shapely
import support_ogc as so
import support_reads as sr
from shapely.geometry import box, shape
from sqlalchemy import text
from support_roles import owner_url

pytestmark = pytest.mark.e2e

ITEMS = "/ogc/collections/parcels/items"


@pytest.fixture
def client(sample_db_url, make_client):
    return make_client(sample_db_url)


@pytest.fixture(scope="module")
def codes(sample_db_url) -> list[str]:
    """Every current parcel code, ordered as PostgreSQL orders them."""
    with sr.connect(sample_db_url) as conn:
        return list(
            conn.execute(
                text(
                    "SELECT parcel_code FROM parcel_version WHERE valid_to IS NULL "
                    "ORDER BY parcel_code"
                )
            ).scalars()
        )


def _ids(body) -> list:
    return [f["id"] for f in body["features"]]


# --- paging -----------------------------------------------------------------------------------


def test_following_next_links_reads_every_current_parcel_once(client, codes):
    features, pages = so.every_page(client, ITEMS, limit=97)
    ids = [f["id"] for f in features]
    assert len(ids) == len(set(ids)), "a parcel came twice"
    assert set(ids) == set(codes)
    assert ids == codes  # ordered by the id
    assert len(pages) == -(-len(codes) // 97)
    assert pages[0]["numberMatched"] == len(codes)
    assert all("numberMatched" not in p for p in pages[1:])  # counted once per query
    assert all(p["numberReturned"] == 97 for p in pages[:-1])
    assert so.link(pages[-1], "next") is None


def test_a_page_has_self_alternate_and_collection_links_and_a_timestamp(client):
    response = client.get(ITEMS, params={"limit": 5, "park": "caijiapo"})
    assert response.headers["content-type"] == "application/geo+json"
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert body["timeStamp"].endswith("Z")
    assert so.path_of(so.link(body, "self")["href"]) == f"{ITEMS}?limit=5&park=caijiapo&f=json"
    assert so.link(body, "alternate", "text/html")
    assert so.path_of(so.link(body, "collection")["href"]) == "/ogc/collections/parcels"
    following = so.path_of(so.link(body, "next")["href"])
    assert "park=caijiapo" in following and "limit=5" in following
    assert so.link(body, "prev") is None


def test_prev_leads_back_to_the_page_before(client, codes):
    first = client.get(ITEMS, params={"limit": 10}).json()
    second = client.get(so.path_of(so.link(first, "next")["href"])).json()
    third = client.get(so.path_of(so.link(second, "next")["href"])).json()
    assert _ids(third) == codes[20:30]
    back = client.get(so.path_of(so.link(third, "prev")["href"])).json()
    assert _ids(back) == codes[10:20]
    back_again = client.get(so.path_of(so.link(back, "prev")["href"])).json()
    assert _ids(back_again) == codes[:10]
    assert so.link(back_again, "prev") is None
    assert so.link(back_again, "next") is not None


def test_offset_pages_as_asked_and_its_links_are_offsets(client, codes):
    body = client.get(ITEMS, params={"limit": 100, "offset": 200}).json()
    assert _ids(body) == codes[200:300]
    assert "offset=300" in so.link(body, "next")["href"]
    assert "offset=100" in so.link(body, "prev")["href"]


def test_every_page_of_every_collection_holds_each_feature_once(client, sample_db_url):
    with sr.connect(sample_db_url) as conn:
        expected = {
            "parcel_versions": conn.execute(text("SELECT count(*) FROM parcel_version")).scalar(),
            "buildings": conn.execute(text("SELECT count(*) FROM factory_building")).scalar(),
            "leases": conn.execute(text("SELECT count(*) FROM lease")).scalar(),
            "projects": conn.execute(text("SELECT count(*) FROM project")).scalar(),
            "parks": conn.execute(text("SELECT count(*) FROM park")).scalar(),
        }
        for name, n in conn.execute(
            text("SELECT layer, count(*) FROM context_feature GROUP BY layer")
        ):
            expected[name] = n
    for collection, n in expected.items():
        features, pages = so.every_page(client, f"/ogc/collections/{collection}/items", limit=40)
        ids = [f["id"] for f in features]
        assert len(ids) == len(set(ids)) == n, collection
        assert pages[0]["numberMatched"] == n, collection


def test_leases_come_with_a_null_geometry(client):
    features, _ = so.every_page(client, "/ogc/collections/leases/items", limit=10000)
    assert features and all(f["geometry"] is None for f in features)
    assert {"lease_id", "tenant", "leased_m2", "in_force"} <= set(features[0]["properties"])


# --- bbox -------------------------------------------------------------------------------------


def _stored(conn) -> dict[str, object]:
    rows = conn.execute(
        text("SELECT parcel_code, ST_AsBinary(geom) FROM parcel_version WHERE valid_to IS NULL")
    )
    return {code: shapely.from_wkb(wkb) for code, wkb in rows}


@pytest.fixture(scope="module")
def stored(sample_db_url) -> dict[str, object]:
    """Every current parcel's geometry in EPSG:4545, as stored."""
    with sr.connect(sample_db_url) as conn:
        return _stored(conn)


#: A box over part of the Caijiapo park (longitude, latitude).
LONLAT_BOX = (107.565, 34.305, 107.585, 34.325)


def _lonlat_box_in_storage():
    outline = shapely.segmentize(box(*LONLAT_BOX), 0.0001)
    return so.from_lonlat(outline, 4545)


def test_bbox_returns_the_parcels_that_meet_the_box(client, stored):
    area = _lonlat_box_in_storage()
    expected = {code for code, geom in stored.items() if geom.intersects(area)}
    assert 10 < len(expected) < len(stored)
    features, pages = so.every_page(client, ITEMS, bbox=",".join(map(str, LONLAT_BOX)), limit=1000)
    assert {f["id"] for f in features} == expected
    assert len(pages) == 1
    assert pages[0]["numberMatched"] == len(expected)  # the page holds every match


def test_a_bbox_query_of_several_pages_gives_no_number_matched(client, stored):
    """A map sends a box on every pan: its first page is not counted when there is more."""
    area = _lonlat_box_in_storage()
    expected = {code for code, geom in stored.items() if geom.intersects(area)}
    features, pages = so.every_page(client, ITEMS, bbox=",".join(map(str, LONLAT_BOX)), limit=7)
    assert {f["id"] for f in features} == expected
    assert len(pages) > 1
    assert all("numberMatched" not in p for p in pages)


def test_bbox_in_epsg_4326_by_uri_is_latitude_first_and_six_numbers_carry_heights(client):
    lon0, lat0, lon1, lat1 = LONLAT_BOX
    as_crs84 = _ids(
        client.get(ITEMS, params={"bbox": f"{lon0},{lat0},{lon1},{lat1}", "limit": 1000}).json()
    )
    as_4326 = client.get(
        ITEMS,
        params={
            "bbox": f"{lat0},{lon0},{lat1},{lon1}",
            "bbox-crs": so.EPSG.format(4326),
            "limit": 1000,
        },
    ).json()
    assert _ids(as_4326) == as_crs84
    with_heights = client.get(
        ITEMS, params={"bbox": f"{lon0},{lat0},-10,{lon1},{lat1},900", "limit": 1000}
    ).json()
    assert _ids(with_heights) == as_crs84


def test_bbox_in_epsg_4545_is_northing_first(client, stored):
    area = box(461000, 3797500, 462500, 3799000)  # easting, northing
    expected = {code for code, geom in stored.items() if geom.intersects(area)}
    assert expected
    body = client.get(
        ITEMS,
        params={
            "bbox": "3797500,461000,3799000,462500",
            "bbox-crs": so.EPSG.format(4545),
            "limit": 1000,
        },
    ).json()
    assert set(_ids(body)) == expected


def test_bbox_in_web_mercator_selects_what_the_same_place_in_lonlat_does(client, stored):
    mercator = so.from_lonlat(box(*LONLAT_BOX), 3857)
    minx, miny, maxx, maxy = mercator.bounds
    # The mercator box, as the area it covers in the storage CRS.
    area = so.from_lonlat(
        so.to_lonlat(shapely.segmentize(box(minx, miny, maxx, maxy), 20), 3857), 4545
    )
    expected = {code for code, geom in stored.items() if geom.intersects(area)}
    body = client.get(
        ITEMS,
        params={"bbox": f"{minx},{miny},{maxx},{maxy}", "bbox-crs": "EPSG:3857", "limit": 1000},
    ).json()
    assert set(_ids(body)) == expected


def test_a_bbox_far_from_the_parks_is_empty_not_an_error(client):
    body = client.get(ITEMS, params={"bbox": "-80,-10,-70,0"}).json()
    assert body["features"] == [] and body["numberMatched"] == 0


# --- property filters -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "where"),
    [
        (
            {"land_use_code": "0601", "park": "caijiapo"},
            "v.land_use_code = '0601' AND v.park = 'caijiapo'",
        ),
        ({"status": "reserve"}, "v.status = 'reserve'"),
        (
            {"is_manufacturing": "true"},
            "v.land_use_code IN (SELECT code FROM land_use_class WHERE is_manufacturing)",
        ),
        ({"change_set_id": "1", "park": "gaoxin"}, "v.change_set_id = 1 AND v.park = 'gaoxin'"),
    ],
)
def test_property_equalities_select_what_sql_selects(client, sample_db_url, params, where):
    with sr.connect(sample_db_url) as conn:
        expected = so.current_codes(conn, where)
    assert expected
    features, pages = so.every_page(client, ITEMS, limit=60, **params)
    assert {f["id"] for f in features} == expected
    # Without bbox and filter the first page is counted, one page or several.
    assert pages[0]["numberMatched"] == len(expected)
    assert all("numberMatched" not in p for p in pages[1:])


def test_a_property_filter_on_a_context_layers_own_column(client, sample_db_url):
    with sr.connect(sample_db_url) as conn:
        expected = set(
            conn.execute(
                text(
                    "SELECT id FROM context_feature WHERE layer = 'roads' "
                    "AND properties ->> 'road_class' = 'main'"
                )
            ).scalars()
        )
    assert expected
    body = client.get(
        "/ogc/collections/roads/items", params={"road_class": "main", "limit": 1000}
    ).json()
    assert set(_ids(body)) == expected


# --- CRS and axis order -----------------------------------------------------------------------


def _one(client, code: str, crs: str | None = None):
    params = {"crs": crs} if crs else {}
    response = client.get(f"{ITEMS}/{code}", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/geo+json"
    return response


def test_crs84_is_the_default_longitude_first(client, codes, stored):
    code = codes[len(codes) // 2]
    response = _one(client, code)
    assert response.headers["content-crs"] == f"<{so.CRS84}>"
    expected = so.to_lonlat(stored[code])
    assert so.max_distance(shape(response.json()["geometry"]), expected) < 2e-7


def test_epsg_4545_coordinates_are_the_stored_ones_northing_first(client, codes, stored):
    for code in codes[::150]:
        response = _one(client, code, so.EPSG.format(4545))
        assert response.headers["content-crs"] == f"<{so.EPSG.format(4545)}>"
        got = shape(response.json()["geometry"])
        assert so.max_distance(got, so.swapped(stored[code])) <= 0.0005
        # Areas stay the stored planar ones, whatever the coordinates are in.
        area = response.json()["properties"]["area_m2"]
        assert area == pytest.approx(stored[code].area, abs=0.005)


def test_epsg_4326_and_4490_by_uri_are_latitude_first(client, codes, stored):
    code = codes[7]
    expected = so.swapped(so.to_lonlat(stored[code]))
    for epsg in (4326, 4490):
        response = _one(client, code, so.EPSG.format(epsg))
        assert response.headers["content-crs"] == f"<{so.EPSG.format(epsg)}>"
        got = shape(response.json()["geometry"])
        assert so.max_distance(got, expected) < 2e-7
        lat, lon = shapely.get_coordinates(got)[0]
        assert 34 < lat < 35 and 107 < lon < 108
    short = _one(client, code, "EPSG:4326")
    assert short.headers["content-crs"] == f"<{so.EPSG.format(4326)}>"
    assert short.json()["geometry"] == _one(client, code, so.EPSG.format(4326)).json()["geometry"]


def test_web_mercator_is_easting_first(client, codes, stored):
    code = codes[3]
    response = _one(client, code, so.EPSG.format(3857))
    expected = so.from_lonlat(so.to_lonlat(stored[code]), 3857)
    assert so.max_distance(shape(response.json()["geometry"]), expected) <= 0.002


def test_a_page_in_another_crs_says_so_and_its_links_keep_it(client):
    crs = so.EPSG.format(4545)
    response = client.get(ITEMS, params={"crs": crs, "limit": 3})
    assert response.headers["content-crs"] == f"<{crs}>"
    assert "crs=http" in so.link(response.json(), "next")["href"]
    northing, easting = shapely.get_coordinates(shape(response.json()["features"][0]["geometry"]))[
        0
    ]
    assert 3_700_000 < northing < 3_900_000 and 400_000 < easting < 500_000


# --- one item ---------------------------------------------------------------------------------


def test_one_item_is_the_feature_the_page_has_with_its_links(client, codes):
    code = codes[42]
    page = client.get(ITEMS, params={"limit": 1, "offset": 42}).json()["features"][0]
    one = _one(client, code).json()
    links = one.pop("links")
    assert one == page
    assert so.path_of(so.link({"links": links}, "self")["href"]) == f"{ITEMS}/{code}?f=json"
    assert so.link({"links": links}, "collection")


def test_an_unknown_feature_is_404(client):
    for url in (
        f"{ITEMS}/NO-SUCH-PARCEL",
        f"{ITEMS}/CJP-0001@99999999999999999999999",
        f"{ITEMS}/CJP-0001@",
        "/ogc/collections/parcel_versions/items/99999999",
        "/ogc/collections/parcel_versions/items/not-a-number",
        "/ogc/collections/roads/items/12345678901234567890123",
        "/ogc/collections/nowhere/items",
        "/ogc/collections/nowhere/items/1",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.json()["error"] == "not_found"


# --- the stored feature text ------------------------------------------------------------------


def test_a_page_put_together_from_the_stored_text_equals_one_made_in_full(
    fresh_db_url, make_client
):
    client = make_client(fresh_db_url)
    stored_page = client.get(ITEMS, params={"limit": 50}).text
    # The service may not touch parcel_feature (its trigger keeps it); the owner may.
    with sr.connect(owner_url(fresh_db_url)) as conn:
        held = conn.execute(text("SELECT count(*) FROM parcel_feature")).scalar()
        assert held > 50
        conn.execute(text("DELETE FROM parcel_feature"))
        conn.commit()
    made_page = client.get(ITEMS, params={"limit": 50}).text

    def features(page: str) -> str:  # the envelope holds the time of the answer
        return page[page.index('"features"') :]

    assert features(made_page) == features(stored_page)


# --- gzip -------------------------------------------------------------------------------------


def _raw(client, url: str, params: dict, accept_encoding: str):
    """The status, headers and body bytes of *url* as sent (not decoded by the client)."""
    with client.stream(
        "GET", url, params=params, headers={"Accept-Encoding": accept_encoding}
    ) as response:
        return response.status_code, response.headers, b"".join(response.iter_raw())


def _without_timestamp(body: bytes, *, html: bool) -> object:
    """The answer without the time it was made (a page's ``timeStamp``)."""
    if html:
        return re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"", body)
    doc = json.loads(body)
    doc.pop("timeStamp", None)
    return doc


@pytest.mark.parametrize(
    ("path", "params"),
    [
        (ITEMS, {"limit": 100}),
        (ITEMS, {"limit": 20, "bbox": ",".join(map(str, LONLAT_BOX))}),
        (ITEMS, {"limit": 20, "f": "html"}),
        (f"{ITEMS}/{{code}}", {}),
        (f"{ITEMS}/{{code}}", {"f": "html"}),
    ],
)
def test_items_and_an_item_are_gzipped_for_a_client_that_accepts_gzip(client, codes, path, params):
    url = path.format(code=codes[0])
    status, plain_headers, plain = _raw(client, url, params, "identity")
    assert status == 200 and "content-encoding" not in plain_headers
    assert len(plain) > 600  # long enough to be worth compressing
    for accepted in ("gzip", "br, gzip;q=0.5", "*"):
        status, headers, zipped = _raw(client, url, params, accepted)
        assert status == 200
        assert headers["content-encoding"] == "gzip", accepted
        assert headers["content-type"] == plain_headers["content-type"]
        assert int(headers["content-length"]) == len(zipped) < len(plain)
        html = params.get("f") == "html"
        assert _without_timestamp(gzip.decompress(zipped), html=html) == _without_timestamp(
            plain, html=html
        )
    for refused in ("identity", "gzip;q=0", "deflate"):
        _, headers, body = _raw(client, url, params, refused)
        assert "content-encoding" not in headers, refused
        assert len(body) == len(plain)
    assert "accept-encoding" in plain_headers["vary"].lower()
    assert "accept-encoding" in headers["vary"].lower()


# --- bad input: 400 naming the parameter, never 500 -------------------------------------------


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"bbox": "a,b,c,d"}, "bbox"),
        ({"bbox": "1,2,3"}, "bbox"),
        ({"bbox": "107.6,34.3,107.5,34.4"}, "bbox"),
        ({"bbox": "200,0,201,1"}, "bbox"),
        ({"bbox": "nan,0,1,1"}, "bbox"),
        ({"bbox": ""}, "bbox"),
        ({"bbox": "1,2,3,4", "bbox-crs": "EPSG:99999"}, "bbox-crs"),
        ({"limit": "0"}, "limit"),
        ({"limit": "10001"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": "-1"}, "limit"),
        ({"limit": "1e3"}, "limit"),
        ({"offset": "-5"}, "offset"),
        ({"offset": "99999999999999999999"}, "offset"),
        ({"datetime": "yesterday"}, "datetime"),
        ({"datetime": "2025-13-01"}, "datetime"),
        ({"datetime": "2025-02-01/2025-01-01"}, "datetime"),
        ({"datetime": "a/b/c"}, "datetime"),
        ({"datetime": ".."}, "datetime"),
        ({"crs": "EPSG:2000"}, "crs"),
        ({"crs": "http://www.opengis.net/def/crs/EPSG/0/32649"}, "crs"),
        ({"crs": "urn:nothing"}, "crs"),
        ({"f": "xml"}, "f"),
        ({"after": "%%%"}, "after"),
        ({"after": "WyJhIiwiYiIsImMiXQ"}, "after"),
        ({"before": "bm90IGpzb24"}, "before"),
        ({"after": "WyJBIl0", "before": "WyJBIl0"}, "before"),
        ({"after": "WyJBIl0", "offset": "3"}, "offset"),
        ({"color": "red"}, "color"),
        ({"area_m2": "big"}, "area_m2"),
        ({"change_set_id": "1.5"}, "change_set_id"),
        ({"is_manufacturing": "maybe"}, "is_manufacturing"),
        ({"supplied_on": "last spring"}, "supplied_on"),
        ({"filter-lang": "sql"}, "filter-lang"),
        ({"filter-crs": "EPSG:1"}, "filter-crs"),
    ],
)
def test_a_bad_parameter_is_400_naming_it(client, params, parameter):
    response = client.get(ITEMS, params=params)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["parameter"] == parameter
    assert body["error"] == "invalid_parameter"


def test_a_parameter_given_twice_is_400_naming_it(client):
    response = client.get(f"{ITEMS}?park=gaoxin&park=caijiapo")
    assert response.status_code == 400
    assert response.json()["parameter"] == "park"


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/ogc/collections/buildings/items?datetime=2025-01-01", "datetime"),
        ("/ogc/collections/leases/items?bbox=107,34,108,35", "bbox"),
        ("/ogc/collections/leases/items?crs=EPSG:4545", "crs"),
        ("/ogc/collections/parks/items?land_use_code=0601", "land_use_code"),
        (f"{ITEMS}/CJP-0001?limit=3", "limit"),
        (f"{ITEMS}/CJP-0001?crs=EPSG:1234", "crs"),
        ("/ogc/collections/parcel_versions/items?after=WyJBIl0", "after"),
    ],
)
def test_what_a_collection_does_not_take_is_400_naming_it(client, url, parameter):
    response = client.get(url)
    assert response.status_code == 400, response.text
    assert response.json()["parameter"] == parameter

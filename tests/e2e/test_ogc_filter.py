"""The CQL2 ``filter`` through /ogc items: cql2-text and cql2-json select what our own SQL
(or shapely, for the spatial functions) selects, with ``filter-crs`` in each CRS's axis
order, combined with bbox, property equalities and datetime; pages follow with the filter
kept and without a count (``numberMatched`` only when the first page holds every match);
a bad filter is a 400 naming it, never a 500."""

from __future__ import annotations

import json

import pytest
import shapely
import support_ogc as so
import support_reads as sr
from shapely.geometry import box
from sqlalchemy import text
from support_roles import owner_url

from service.db.sqlfiles import sql

pytestmark = pytest.mark.e2e

ITEMS = "/ogc/collections/parcels/items"


@pytest.fixture
def client(sample_db_url, make_client):
    return make_client(sample_db_url)


@pytest.fixture(scope="module")
def stored(sample_db_url) -> dict[str, object]:
    with sr.connect(sample_db_url) as conn:
        rows = conn.execute(
            text("SELECT parcel_code, ST_AsBinary(geom) FROM parcel_version WHERE valid_to IS NULL")
        )
        return {code: shapely.from_wkb(wkb) for code, wkb in rows}


def _selected(client, url: str = ITEMS, **params) -> set:
    features, pages = so.every_page(client, url, limit=300, **params)
    if len(pages) == 1:  # the page holds every match: numberMatched needs no count
        assert pages[0]["numberMatched"] == len(features)
    else:  # no count under a filter
        assert all("numberMatched" not in p for p in pages)
    ids = [f["id"] for f in features]
    assert len(ids) == len(set(ids))
    return set(ids)


@pytest.mark.parametrize(
    ("cql", "where"),
    [
        (
            "land_use_code = '0601' AND park = 'caijiapo'",
            "v.land_use_code = '0601' AND v.park = 'caijiapo'",
        ),
        ("holder LIKE '宝鸡%'", "v.holder LIKE '宝鸡%'"),
        ("status IN ('reserve', 'ready')", "v.status IN ('reserve', 'ready')"),
        ("area_m2 BETWEEN 10000 AND 20000", "round(v.area_m2::numeric, 2) BETWEEN 10000 AND 20000"),
        ("holder IS NULL", "v.holder IS NULL"),
        (
            "NOT (park = 'gaoxin') AND is_manufacturing = true",
            "v.park <> 'gaoxin' AND v.land_use_code IN "
            "(SELECT code FROM land_use_class WHERE is_manufacturing)",
        ),
        (
            "area_mu > 100 OR supplied_on < DATE('2019-01-01')",
            "m2_to_mu(v.area_m2) > 100 OR v.supplied_on < DATE '2019-01-01'",
        ),
    ],
)
def test_a_cql2_text_filter_selects_what_sql_selects(client, sample_db_url, cql, where):
    with sr.connect(sample_db_url) as conn:
        expected = so.current_codes(conn, where)
    assert expected, "the case must select something"
    assert _selected(client, filter=cql) == expected


def test_cql2_json_selects_what_the_same_cql2_text_selects(client):
    as_text = _selected(client, filter="land_use_code = '0601' AND park = 'caijiapo'")
    as_json = _selected(
        client,
        **{
            "filter-lang": "cql2-json",
            "filter": json.dumps(
                {
                    "op": "and",
                    "args": [
                        {"op": "=", "args": [{"property": "land_use_code"}, "0601"]},
                        {"op": "=", "args": [{"property": "park"}, "caijiapo"]},
                    ],
                }
            ),
        },
    )
    assert as_json == as_text and as_text


#: A box over part of Caijiapo (longitude, latitude) and the same outline in EPSG:4545.
LONLAT = (107.565, 34.305, 107.585, 34.325)


def _polygon_wkt(coords) -> str:
    return "POLYGON((" + ", ".join(f"{x!r} {y!r}" for x, y in coords) + "))"


def test_s_intersects_in_crs84_selects_what_shapely_selects(client, stored):
    outline = box(*LONLAT)
    area = so.from_lonlat(outline, 4545)
    expected = {code for code, geom in stored.items() if geom.intersects(area)}
    assert 5 < len(expected) < len(stored)
    wkt = _polygon_wkt(outline.exterior.coords)
    assert _selected(client, filter=f"S_INTERSECTS(geometry, {wkt})") == expected


def test_filter_crs_reads_literals_in_that_crs_axis_order(client, stored):
    outline = box(*LONLAT)
    crs84 = _selected(
        client, filter=f"S_INTERSECTS(geometry, {_polygon_wkt(outline.exterior.coords)})"
    )
    lat_first = _polygon_wkt((y, x) for x, y in outline.exterior.coords)
    by_4326 = _selected(
        client,
        filter=f"S_INTERSECTS(geometry, {lat_first})",
        **{"filter-crs": so.EPSG.format(4326)},
    )
    assert by_4326 == crs84
    square = box(461000, 3797500, 462500, 3799000)  # easting, northing
    northing_first = _polygon_wkt((y, x) for x, y in square.exterior.coords)
    expected = {code for code, geom in stored.items() if geom.within(square)}
    assert expected
    by_4545 = _selected(
        client,
        filter=f"S_WITHIN(geometry, {northing_first})",
        **{"filter-crs": so.EPSG.format(4545)},
    )
    assert by_4545 == expected


def test_a_filter_bbox_equality_and_datetime_are_all_applied(client, sample_db_url, stored):
    area = so.from_lonlat(shapely.segmentize(box(*LONLAT), 0.0001), 4545)
    with sr.connect(sample_db_url) as conn:
        industrial = so.current_codes(conn, "v.land_use_code = '0601'")
        reserve = so.current_codes(conn, "v.status = 'reserve'")
        now = conn.execute(text("SELECT now()")).scalar_one()
    expected = {c for c, g in stored.items() if g.intersects(area)} & industrial & reserve
    got = _selected(
        client,
        filter="land_use_code = '0601'",
        bbox=",".join(map(str, LONLAT)),
        status="reserve",
        datetime=now.isoformat(),
    )
    assert got == expected


def test_a_filter_on_a_context_layers_own_column(client, sample_db_url):
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
    assert _selected(client, "/ogc/collections/roads/items", filter="road_class = 'main'") == (
        expected
    )


@pytest.mark.parametrize(
    ("queryable", "exact"),
    [
        ("area_m2", "round(v.area_m2::numeric, 2)"),
        ("area_mu", "round((v.area_m2 * 15 / 10000)::numeric, 4)"),
        ("area_ha", "round((v.area_m2 / 10000)::numeric, 4)"),
    ],
)
def test_the_planner_estimates_a_rounded_area_filter_from_statistics(
    sample_db_url, queryable, exact
):
    """Without statistics of the rounded areas (migration 0011) the planner guesses that
    an inequality on one keeps a third of the rows, and picks its plan by that guess;
    with them it expects about as many as there are."""
    source = sql("service.sql", "ogc_source_parcel_versions.sql")
    with sr.connect(owner_url(sample_db_url)) as conn:
        conn.execute(text("ANALYZE parcel_version"))  # as autovacuum does after a load
        conn.commit()
        total = conn.execute(text("SELECT count(*) FROM parcel_version")).scalar()
        # the 10th largest: a filter only a few versions pass
        threshold = conn.execute(
            text(f"SELECT {exact} FROM parcel_version v ORDER BY 1 DESC OFFSET 9 LIMIT 1")
        ).scalar()
        actual = conn.execute(
            text(f"SELECT count(*) FROM parcel_version v WHERE {exact} > :t"), {"t": threshold}
        ).scalar()
        plan = conn.execute(
            text(f"EXPLAIN (FORMAT JSON) SELECT 1 FROM ({source}\n) s WHERE s.{queryable} > :t"),
            {"t": threshold},
        ).scalar()
    assert actual == 9 and total > 1000
    estimated = plan[0]["Plan"]["Plan Rows"]
    assert estimated <= 5 * actual, (estimated, actual, total)


def test_the_next_link_keeps_the_filter(client):
    body = client.get(ITEMS, params={"filter": "park = 'caijiapo'", "limit": 5}).json()
    assert "numberMatched" not in body
    following = so.link(body, "next")["href"]
    assert "filter=park" in following


@pytest.mark.parametrize(
    ("url", "params"),
    [
        (ITEMS, {"filter": "park = "}),
        (ITEMS, {"filter": "nonsense_property = 1"}),
        (ITEMS, {"filter": "area_m2 = 'big'"}),
        (ITEMS, {"filter": "S_INTERSECTS(geometry, POLYGON((1 2, 3)))"}),
        (ITEMS, {"filter": "{not json", "filter-lang": "cql2-json"}),
        (ITEMS, {"filter": "[1, 2]", "filter-lang": "cql2-json"}),
        (ITEMS, {"filter": "   "}),
        ("/ogc/collections/leases/items", {"filter": "S_INTERSECTS(geometry, POINT(107 34))"}),
    ],
)
def test_a_bad_filter_is_400_naming_filter(client, url, params):
    response = client.get(url, params=params)
    assert response.status_code == 400, response.text
    assert response.json()["parameter"] == "filter"

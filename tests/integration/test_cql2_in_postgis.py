"""Real PostGIS: each compiled CQL2 filter, run against the current parcels, selects exactly
the parcels that the same predicate selects when evaluated independently in Python (pandas
and shapely, with pyproj for the CRS) on the rows fetched without a filter."""

from __future__ import annotations

import re

import pandas as pd
import pytest
import shapely
import support_reads as sr
from pyproj import Transformer
from sqlalchemy import text

from service.ogc.cql2 import Queryable, compile_filter

pytestmark = pytest.mark.integration

QUERYABLES = {
    q.name: q
    for q in (
        Queryable("parcel_code", "v.parcel_code", "string"),
        Queryable("park", "v.park", "string"),
        Queryable("land_use_code", "v.land_use_code", "string"),
        Queryable("status", "v.status", "string"),
        Queryable("holder", "v.holder", "string"),
        Queryable("area_m2", "v.area_m2", "number"),
        Queryable("supplied_on", "v.supplied_on", "date"),
        Queryable("geometry", "v.geom", "geometry"),
    )
}
CURRENT = "SELECT v.parcel_code FROM parcel_version v WHERE v.valid_to IS NULL"
#: CRS84 -> storage, x/y order, written out here rather than taken from the code under test.
TO_STORAGE = Transformer.from_crs("OGC:CRS84", f"EPSG:{sr.STORAGE_EPSG}", always_xy=True)


@pytest.fixture(scope="module")
def parcels(sample_db_url) -> pd.DataFrame:
    """The current parcels as stored, fetched without any filter, geometry as shapely."""
    with sr.connect(sample_db_url) as conn:
        rows = conn.execute(
            text(
                "SELECT parcel_code, park, land_use_code, status, holder, area_m2, supplied_on, "
                "ST_AsBinary(geom) AS wkb FROM parcel_version WHERE valid_to IS NULL"
            )
        ).mappings()
        frame = pd.DataFrame([dict(r) for r in rows]).set_index("parcel_code")
    frame["geom"] = shapely.from_wkb(frame["wkb"].map(bytes).to_numpy())
    return frame


@pytest.fixture(scope="module")
def select(sample_db_url):
    """``select(expression, **options)``: the codes the compiled filter selects in PostGIS."""
    with sr.connect(sample_db_url) as conn:

        def _select(expression, **options) -> set[str]:
            options.setdefault("storage_srid", sr.STORAGE_EPSG)
            fragment, params = compile_filter(expression, queryables=QUERYABLES, **options)
            rows = conn.execute(text(f"{CURRENT} AND ({fragment})"), params)
            return {code for (code,) in rows}

        yield _select


def codes(frame: pd.DataFrame, mask) -> set[str]:
    chosen = set(frame.index[mask])
    assert chosen and len(chosen) < len(frame), "a test predicate must select some, not all"
    return chosen


def like(pattern: str):
    """A CQL2 LIKE pattern (% any run, _ one character) as an anchored regex."""
    return re.compile(
        "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern) + r"\Z",
        re.S,
    )


def test_equality_selects_the_same_parcels(select, parcels) -> None:
    assert select("land_use_code = '0601'") == codes(parcels, parcels.land_use_code == "0601")


def test_not_equal_and_ordering_select_the_same_parcels(select, parcels) -> None:
    assert select("land_use_code <> '0601'") == codes(parcels, parcels.land_use_code != "0601")
    assert select("area_m2 >= 50000") == codes(parcels, parcels.area_m2 >= 50000)


def test_like_selects_the_same_parcels(select, parcels) -> None:
    for pattern in ("GX-00%", "JT-01_5", "%-00_1"):
        regex = like(pattern)
        expected = codes(parcels, [bool(regex.match(c)) for c in parcels.index])
        assert select(f"parcel_code LIKE '{pattern}'") == expected, pattern


def test_case_insensitive_like_selects_the_same_parcels(select, parcels) -> None:
    expected = codes(parcels, parcels.index.str.lower().str.startswith("gx-00"))
    assert select("CASEI(parcel_code) LIKE CASEI('gx-00%')") == expected
    assert select("parcel_code LIKE 'gx-00%'") == set()


def test_in_selects_the_same_parcels(select, parcels) -> None:
    expected = codes(parcels, parcels.land_use_code.isin(["0604", "0701"]))
    assert select("land_use_code IN ('0604', '0701')") == expected
    assert select("land_use_code NOT IN ('0604', '0701')") == set(parcels.index) - expected


def test_between_on_area_selects_the_same_parcels(select, parcels) -> None:
    low, high = (round(q) for q in parcels.area_m2.quantile([0.25, 0.75]))
    expected = codes(parcels, parcels.area_m2.between(low, high))
    assert select(f"area_m2 BETWEEN {low} AND {high}") == expected


def test_is_null_on_holder_selects_the_same_parcels(select, parcels) -> None:
    expected = codes(parcels, parcels.holder.isna())
    assert select("holder IS NULL") == expected
    assert select("holder IS NOT NULL") == set(parcels.index) - expected


def test_and_or_not_select_the_same_parcels(select, parcels) -> None:
    p = parcels
    expected = codes(
        p,
        (p.land_use_code == "0601")
        & ((p.status == "reserve") | (p.status == "idle"))
        & ~(p.park == "gaoxin"),
    )
    got = select(
        "land_use_code = '0601' AND (status = 'reserve' OR status = 'idle') AND NOT park = 'gaoxin'"
    )
    assert got == expected


def test_and_binds_tighter_than_or_in_postgis_too(select, parcels) -> None:
    p = parcels
    expected = codes(
        p, (p.status == "idle") | ((p.land_use_code == "0604") & (p.park == "jiangtan"))
    )
    assert select("status = 'idle' OR land_use_code = '0604' AND park = 'jiangtan'") == expected


def test_a_date_literal_selects_the_same_parcels(select, parcels) -> None:
    supplied = pd.to_datetime(parcels.supplied_on)
    expected = codes(parcels, supplied.notna() & (supplied >= pd.Timestamp("2023-01-01")))
    assert select("supplied_on >= DATE('2023-01-01')") == expected


def _crs84_square(parcels: pd.DataFrame) -> tuple[str, shapely.Geometry]:
    """A square of about 2 km around the middle of the densest park, as CRS84 WKT, and the
    same square in the storage CRS (its vertices transformed by pyproj)."""
    centre = shapely.centroid(shapely.union_all(parcels.geom[parcels.park == "gaoxin"].to_numpy()))
    to_crs84 = Transformer.from_crs(f"EPSG:{sr.STORAGE_EPSG}", "OGC:CRS84", always_xy=True)
    lon, lat = to_crs84.transform(centre.x, centre.y)
    d = 0.011
    ring = [(lon - d, lat - d), (lon + d, lat - d), (lon + d, lat + d), (lon - d, lat + d)]
    wkt = "POLYGON((" + ", ".join(f"{x:.6f} {y:.6f}" for x, y in [*ring, ring[0]]) + "))"
    storage = shapely.Polygon([TO_STORAGE.transform(x, y) for x, y in ring])
    return wkt, storage


def test_s_intersects_with_a_crs84_polygon_selects_the_same_parcels(select, parcels) -> None:
    wkt, square = _crs84_square(parcels)
    expected = codes(parcels, shapely.intersects(parcels.geom.to_numpy(), square))
    assert select(f"S_INTERSECTS(geometry, {wkt})") == expected
    assert select(f"S_DISJOINT(geometry, {wkt})") == set(parcels.index) - expected
    within = codes(parcels, shapely.within(parcels.geom.to_numpy(), square))
    assert select(f"S_WITHIN(geometry, {wkt})") == within


def test_latitude_first_coordinates_select_the_same_parcels_when_axes_are_swapped(
    select, parcels
) -> None:
    wkt, square = _crs84_square(parcels)
    swapped = re.sub(r"(-?[\d.]+) (-?[\d.]+)", r"\2 \1", wkt)
    expected = codes(parcels, shapely.intersects(parcels.geom.to_numpy(), square))
    assert select(f"S_INTERSECTS(geometry, {swapped})", swap_axes=True) == expected


def test_s_intersects_with_an_epsg4545_polygon_selects_the_same_parcels(select, parcels) -> None:
    minx, miny, maxx, maxy = shapely.total_bounds(
        parcels.geom[parcels.park == "caijiapo"].to_numpy()
    )
    midx, midy = (minx + maxx) / 2, (miny + maxy) / 2
    triangle = shapely.Polygon([(minx, miny), (midx, maxy), (maxx, midy)])
    wkt = shapely.to_wkt(triangle, rounding_precision=-1)
    expected = codes(parcels, shapely.intersects(parcels.geom.to_numpy(), triangle))
    assert select(f"S_INTERSECTS(geometry, {wkt})", filter_srid=4545) == expected


def test_s_contains_a_point_selects_the_parcel_under_it(select, parcels) -> None:
    code = parcels.index[len(parcels) // 2]
    point = shapely.point_on_surface(parcels.geom[code])
    expected = codes(parcels, shapely.contains(parcels.geom.to_numpy(), point))
    assert code in expected
    assert (
        select(f"S_CONTAINS(geometry, POINT({point.x!r} {point.y!r}))", filter_srid=4545)
        == expected
    )


def test_cql2_json_selects_the_same_parcels_as_cql2_text(select, parcels) -> None:
    wkt, square = _crs84_square(parcels)
    shape = shapely.geometry.mapping(shapely.from_wkt(wkt))
    as_json = {
        "op": "or",
        "args": [
            {"op": "s_intersects", "args": [{"property": "geometry"}, shape]},
            {
                "op": "and",
                "args": [
                    {"op": "isNull", "args": [{"property": "holder"}]},
                    {"op": "between", "args": [{"property": "area_m2"}, 10000, 30000]},
                ],
            },
        ],
    }
    p = parcels
    expected = codes(
        p,
        shapely.intersects(p.geom.to_numpy(), square)
        | (p.holder.isna() & p.area_m2.between(10000, 30000)),
    )
    assert select(as_json, lang="cql2-json") == expected
    text_form = (
        f"S_INTERSECTS(geometry, {wkt}) OR holder IS NULL AND area_m2 BETWEEN 10000 AND 30000"
    )
    assert select(text_form) == expected


def test_a_quote_injection_matches_nothing_and_harms_nothing(
    select, parcels, sample_db_url
) -> None:
    assert select("land_use_code = '0601'' OR 1=1 --'") == set()
    assert select("holder = '''); DELETE FROM parcel_version; --'") == set()
    with sr.connect(sample_db_url) as conn:
        count = conn.execute(text(f"SELECT count(*) FROM ({CURRENT}) c")).scalar_one()
    assert count == len(parcels)

"""The read API over HTTP, checked against computations on the GeoPackage itself: parks,
parcels and every filter, one parcel, factory buildings and vacancy, projects, figures;
and every bad parameter gets a 4xx that names it, never a 500."""

from __future__ import annotations

import re

import pandas as pd
import pytest
import shapely
import support_reads as sr
from pyproj import Transformer
from shapely.geometry import box, shape
from sqlalchemy import text

pytestmark = pytest.mark.e2e

DOCUMENTED_PROPERTIES = {
    "parcel_code",
    "park",
    "land_use_code",
    "land_use_name",
    "is_manufacturing",
    "status",
    "holder",
    "area_m2",
    "area_mu",
    "area_ha",
}


@pytest.fixture
def client(sample_db_url, make_client):
    return make_client(sample_db_url)


@pytest.fixture(scope="module")
def today(sample_db_url):
    # "Today" is the database's date: the API asks PostgreSQL for current_date, and the
    # test's host clock or time zone must not decide which leases are in force.
    with sr.connect(sample_db_url) as conn:
        return conn.execute(text("SELECT current_date")).scalar_one()


@pytest.fixture(scope="module")
def file_parcels() -> pd.DataFrame:
    frame = sr.parcels()
    frame["area_mu"] = frame["file_area_m2"] / sr.M2_PER_MU
    return frame


@pytest.fixture(scope="module")
def class_names() -> dict[str, str]:
    classes = pd.read_csv(sr.ROOT / "parks" / "reference" / "gbt21010-2017-classes.csv", dtype=str)
    return dict(zip(classes["code"], classes["name_zh"], strict=True))


@pytest.fixture(scope="module")
def lonlat_bounds() -> tuple[float, float, float, float]:
    """The parks' extent in longitude and latitude (pyproj via geopandas)."""
    return tuple(sr.parks().to_crs(epsg=4326).total_bounds)


def _codes(client, **params) -> list[str]:
    """Every parcel code the API returns for *params*, following next_offset."""
    codes: list[str] = []
    offset = 0
    while offset is not None:
        response = client.get("/api/parcels", params={**params, "limit": 1000, "offset": offset})
        assert response.status_code == 200, response.text
        body = response.json()
        codes += [f["properties"]["parcel_code"] for f in body["features"]]
        offset = body["next_offset"]
    assert len(codes) == len(set(codes)), "a parcel came twice"
    return codes


def _all_coordinates(geometry: dict) -> list[tuple[float, float]]:
    return [tuple(c) for c in shapely.get_coordinates(shape(geometry))]


# --- service ---------------------------------------------------------------------------------


def test_health_says_ok_and_names_the_postgis_version(client, sample_db_url):
    body = client.get("/health").json()
    with sr.connect(sample_db_url) as conn:
        extension = conn.execute(
            text("SELECT extversion FROM pg_extension WHERE extname = 'postgis'")
        ).scalar_one()
    assert set(body) == {"status", "postgis"}
    assert body["status"] == "ok"
    assert re.fullmatch(r"\d+\.\d+(\.\d+)?\S*", body["postgis"])
    assert body["postgis"].split(".")[:2] == extension.split(".")[:2]


# --- parks -----------------------------------------------------------------------------------


def test_parks_lists_the_four_parks_with_the_files_names_areas_and_parcel_counts(client):
    parks = sr.parks().set_index("code")
    counts = sr.parcels().groupby("park").size()
    body = client.get("/api/parks").json()
    assert sorted(p["code"] for p in body) == sorted(sr.PARK_CODES)
    for p in body:
        assert p["name_zh"] == parks.at[p["code"], "name_zh"]
        assert p["name_en"] == parks.at[p["code"], "name_en"]
        assert p["area_m2"] == pytest.approx(parks.at[p["code"], "file_area_m2"], abs=0.01)
        assert p["parcels"] == counts[p["code"]]


def test_parks_manufacturing_m2_is_the_area_of_the_parks_0601_parcels(client):
    expected = sr.manufacturing_by_park()
    n = sr.manufacturing_counts_by_park()
    for p in client.get("/api/parks").json():
        tolerance = sr.AREA_TOL_M2 * n[p["code"]]
        assert p["manufacturing_m2"] == pytest.approx(expected[p["code"]], abs=tolerance)
        assert p["manufacturing_mu"] == pytest.approx(
            expected[p["code"]] / sr.M2_PER_MU, abs=1e-4 + tolerance / sr.M2_PER_MU
        )


# --- parcels ---------------------------------------------------------------------------------


def test_parcels_are_a_geojson_feature_collection_in_wgs84(client, lonlat_bounds):
    response = client.get("/api/parcels", params={"limit": 1000})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert body["numberReturned"] == len(body["features"]) == 1000
    minlon, minlat, maxlon, maxlat = lonlat_bounds
    for feature in body["features"]:
        assert feature["type"] == "Feature"
        assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
        assert "crs" not in feature["geometry"]  # RFC 7946: no crs member
        for lon, lat in _all_coordinates(feature["geometry"]):
            assert minlon - 1e-6 <= lon <= maxlon + 1e-6
            assert minlat - 1e-6 <= lat <= maxlat + 1e-6


def test_every_parcel_carries_the_documented_properties_with_the_files_values(
    client, file_parcels, class_names
):
    by_code = file_parcels.set_index("parcel_code")
    manufacturing = sr.manufacturing_codes()
    features = []
    for offset in (0, 1000):
        features += client.get("/api/parcels", params={"limit": 1000, "offset": offset}).json()[
            "features"
        ]
    assert len(features) == len(by_code)
    for feature in features:
        props = feature["properties"]
        assert set(props) >= DOCUMENTED_PROPERTIES, DOCUMENTED_PROPERTIES - set(props)
        row = by_code.loc[props["parcel_code"]]
        assert props["park"] == row["park"]
        assert props["land_use_code"] == row["land_use_code"]
        assert props["land_use_name"] == class_names[row["land_use_code"]]
        assert props["is_manufacturing"] is (row["land_use_code"] in manufacturing)
        assert props["status"] == row["status"]
        assert props["holder"] == (None if pd.isna(row["holder"]) else row["holder"])
        assert props["area_m2"] == pytest.approx(row["file_area_m2"], abs=0.01)
        assert props["area_mu"] == pytest.approx(row["area_mu"], abs=1e-4)
        assert props["area_ha"] == pytest.approx(row["file_area_m2"] / 10000, abs=1e-4)


def test_a_parcels_wgs84_outline_is_the_files_outline_transformed(client, file_parcels):
    to_wgs84 = Transformer.from_crs(4545, 4326, always_xy=True)
    by_code = file_parcels.set_index("parcel_code")
    features = client.get("/api/parcels", params={"park": "fengxiang", "limit": 50}).json()[
        "features"
    ]
    for feature in features:
        polygon = by_code.at[feature["properties"]["parcel_code"], "geometry"]
        xs, ys = to_wgs84.transform(*zip(*polygon.exterior.coords, strict=True))
        expected = shapely.Polygon(zip(xs, ys, strict=True))
        got = shape(feature["geometry"])
        # 7 decimals of a degree: within a centimetre or so of the exact vertices.
        assert shapely.hausdorff_distance(got, expected) < 2e-7


def _file_codes(frame: pd.DataFrame, mask) -> list[str]:
    return sorted(frame.loc[mask, "parcel_code"])


FILTERS = [
    ({"park": "caijiapo"}, lambda f: f["park"] == "caijiapo"),
    ({"park": "fengxiang"}, lambda f: f["park"] == "fengxiang"),
    ({"land_use": "0601"}, lambda f: f["land_use_code"] == "0601"),
    ({"land_use": "0604"}, lambda f: f["land_use_code"] == "0604"),
    ({"land_use": "06"}, lambda f: f["land_use_code"].str.startswith("06")),
    ({"land_use": "08"}, lambda f: f["land_use_code"].str.startswith("08")),
    ({"land_use": "0701,0810"}, lambda f: f["land_use_code"].isin(["0701", "0810"])),
    (
        {"land_use": "05,0604"},
        lambda f: f["land_use_code"].str.startswith("05") | (f["land_use_code"] == "0604"),
    ),
    ({"status": "reserve"}, lambda f: f["status"] == "reserve"),
    ({"status": "reserve,ready"}, lambda f: f["status"].isin(["reserve", "ready"])),
    ({"status": "idle"}, lambda f: f["status"] == "idle"),
    ({"min_area_mu": "60"}, lambda f: f["area_mu"] >= 60),
    ({"max_area_mu": "20"}, lambda f: f["area_mu"] <= 20),
    ({"min_area_mu": "20.5", "max_area_mu": "45.25"}, lambda f: f["area_mu"].between(20.5, 45.25)),
    (
        {"park": "jiangtan", "land_use": "0601", "status": "reserve,ready", "min_area_mu": "30"},
        lambda f: (
            (f["park"] == "jiangtan")
            & (f["land_use_code"] == "0601")
            & f["status"].isin(["reserve", "ready"])
            & (f["area_mu"] >= 30)
        ),
    ),
]


@pytest.mark.parametrize(
    ("params", "mask"),
    FILTERS,
    ids=["&".join(f"{k}={v}" for k, v in p.items()) for p, _ in FILTERS],
)
def test_each_parcel_filter_returns_exactly_the_files_matching_parcels(
    client, file_parcels, params, mask
):
    expected = _file_codes(file_parcels, mask(file_parcels))
    assert expected, "the filter should select something in the sample"
    # Area thresholds: no parcel sits within a micro-亩 of a bound, so the comparison
    # can't hinge on floating-point rounding.
    for key in ("min_area_mu", "max_area_mu"):
        if key in params:
            assert (file_parcels["area_mu"] - float(params[key])).abs().min() > 1e-6
    assert _codes(client, **params) == expected


def test_the_bbox_filter_returns_the_parcels_whose_wgs84_outline_meets_the_box(
    client, file_parcels
):
    boundary = sr.parks().set_index("code").to_crs(epsg=4326).loc["caijiapo", "geometry"]
    centre = boundary.centroid
    bbox = (centre.x - 0.006, centre.y - 0.004, centre.x + 0.008, centre.y + 0.005)
    box_4326 = box(*bbox)
    in_wgs84 = file_parcels.to_crs(epsg=4326)
    hits = in_wgs84.intersects(box_4326)
    expected = set(in_wgs84.loc[hits, "parcel_code"])
    got = set(_codes(client, bbox=",".join(f"{v:.6f}" for v in bbox)))
    assert 5 < len(expected) < len(file_parcels) / 4
    # The service tests the box (densified, then projected) against the planar parcels;
    # the test, the parcels (vertices projected) against the box. A parcel that merely
    # grazes the box's edge could land on either side: allow only those, within 5 cm.
    disagreements = expected ^ got
    edge = shapely.boundary(box_4326)
    in_metres = file_parcels.set_index("parcel_code")
    to_4545 = Transformer.from_crs(4326, 4545, always_xy=True)
    xs, ys = to_4545.transform(*shapely.get_coordinates(shapely.segmentize(edge, 1e-4)).T)
    edge_m = shapely.LineString(list(zip(xs, ys, strict=True)))
    for code in disagreements:
        assert in_metres.at[code, "geometry"].distance(edge_m) < 0.05, code


@pytest.mark.parametrize(
    "bbox",
    [
        "100,20,100.1,20.1",  # in China, far from the parks
        "0,0,10,10",  # far outside EPSG:4545's zone (106.5°E–109.5°E)
        "-75,40,-73,41",  # the other side of the world
    ],
)
def test_a_bbox_far_from_every_park_returns_no_parcel(client, bbox):
    try:
        response = client.get("/api/parcels", params={"bbox": bbox})
    except Exception as exc:  # the TestClient re-raises what became a 500
        pytest.fail(f"500 Internal Server Error: {exc!r}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["features"] == [] and body["numberReturned"] == 0
    assert body["next_offset"] is None


@pytest.mark.parametrize("bbox", ["-180,-90,180,90", "60,0,150,60", "107,34,108,35"])
def test_a_bbox_around_all_the_parks_returns_every_parcel(client, file_parcels, bbox):
    # Every one of these boxes contains all four parks (107.1–107.7°E, 34.2–34.6°N).
    assert _codes(client, bbox=bbox) == sorted(file_parcels["parcel_code"])


def test_paging_with_limit_and_offset_returns_each_parcel_of_a_park_exactly_once(
    client, file_parcels
):
    expected = _file_codes(file_parcels, file_parcels["park"] == "gaoxin")
    assert len(expected) == 290
    seen: list[str] = []
    offsets: list[int | None] = []
    offset: int | None = 0
    while offset is not None:
        body = client.get(
            "/api/parcels", params={"park": "gaoxin", "limit": 100, "offset": offset}
        ).json()
        assert (body["limit"], body["offset"]) == (100, offset)
        seen += [f["properties"]["parcel_code"] for f in body["features"]]
        offset = body["next_offset"]
        offsets.append(offset)
    assert offsets == [100, 200, None]
    assert seen == expected  # ordered by parcel code, no gaps, no repeats


def test_a_full_last_page_points_to_an_empty_page_that_ends_the_paging(client):
    full = client.get("/api/parcels", params={"park": "gaoxin", "limit": 290}).json()
    assert full["numberReturned"] == 290 and full["next_offset"] == 290
    after = client.get(
        "/api/parcels", params={"park": "gaoxin", "limit": 290, "offset": 290}
    ).json()
    assert after["features"] == [] and after["next_offset"] is None


def test_the_default_page_is_the_first_hundred_parcels_by_code(client, file_parcels):
    body = client.get("/api/parcels").json()
    assert (body["limit"], body["offset"], body["next_offset"]) == (100, 0, 100)
    assert [f["properties"]["parcel_code"] for f in body["features"]] == sorted(
        file_parcels["parcel_code"]
    )[:100]


# --- one parcel ------------------------------------------------------------------------------


def test_one_parcel_is_one_feature_in_wgs84(client, file_parcels):
    row = file_parcels.set_index("parcel_code").loc["CJP-0007"]
    response = client.get("/api/parcels/CJP-0007")
    assert response.status_code == 200, response.text
    feature = response.json()
    assert feature["type"] == "Feature"
    assert feature["properties"]["parcel_code"] == "CJP-0007"
    assert feature["properties"]["area_m2"] == pytest.approx(row["file_area_m2"], abs=0.01)
    lon, lat = _all_coordinates(feature["geometry"])[0]
    assert 107 < lon < 108 and 34 < lat < 35


def test_one_parcel_in_epsg4545_has_the_files_coordinates_and_planar_area(client, file_parcels):
    row = file_parcels.set_index("parcel_code").loc["GX-0042"]
    response = client.get("/api/parcels/GX-0042", params={"crs": "EPSG:4545"})
    assert response.status_code == 200, response.text
    geometry = shape(response.json()["geometry"])
    assert geometry.area == pytest.approx(row["file_area_m2"], abs=0.01)
    assert shapely.hausdorff_distance(geometry, row["geometry"]) < 0.001
    x, y = _all_coordinates(response.json()["geometry"])[0]
    assert 400_000 < x < 600_000 and 3_700_000 < y < 3_900_000  # easting, northing


def test_an_unknown_parcel_is_404_naming_it(client):
    response = client.get("/api/parcels/GX-9999")
    assert response.status_code == 404
    body = response.json()
    assert body["error"] == "not_found"
    assert "GX-9999" in body["message"]


# --- buildings and projects ------------------------------------------------------------------


def test_building_vacancy_is_floor_area_minus_the_leases_in_force_today(client, today):
    expected = sr.vacant_today(today)
    leased = sr.leased_today(today)
    floors = sr.layer("buildings").set_index("building_code")["floor_area_m2"]
    response = client.get("/api/buildings")
    assert response.status_code == 200
    features = response.json()["features"]
    assert sorted(f["properties"]["building_code"] for f in features) == sorted(expected)
    for f in features:
        p = f["properties"]
        code = p["building_code"]
        assert p["floor_area_m2"] == pytest.approx(floors[code], abs=0.005)
        assert p["leased_m2"] == pytest.approx(leased.get(code, 0.0), abs=0.005)
        assert p["vacant_m2"] == pytest.approx(expected[code], abs=0.01)
    # the sample has wholly vacant, partly let and fully let buildings
    assert any(v == pytest.approx(floors[c]) for c, v in expected.items())
    assert any(0 < v < floors[c] for c, v in expected.items())


def test_only_leases_in_force_today_count_against_the_floor_area(fresh_db_url, make_client):
    # Every sample lease is in force now; add one that ended yesterday, one that starts
    # tomorrow and one that starts today, and only the last may change the vacancy.
    code = sr.layer("buildings")["building_code"].iloc[0]
    client = make_client(fresh_db_url)

    def vacant() -> float:
        features = client.get("/api/buildings").json()["features"]
        return next(
            f["properties"]["vacant_m2"]
            for f in features
            if f["properties"]["building_code"] == code
        )

    before = vacant()
    with sr.connect(fresh_db_url) as conn:
        conn.execute(
            text(
                "INSERT INTO lease (lease_id, building_code, tenant, floor, leased_m2, "
                "start_date, end_date) VALUES "
                "('T-PAST', :b, 'past', 1, 11.0, current_date - 30, current_date - 1), "
                "('T-NEXT', :b, 'next', 1, 13.0, current_date + 1, NULL), "
                "('T-NOW', :b, 'now', 1, 17.0, current_date, current_date)"
            ),
            {"b": code},
        )
        conn.commit()
    assert vacant() == pytest.approx(before - 17.0, abs=0.005)


@pytest.mark.parametrize("park", ["caijiapo", "jiangtan"])
def test_buildings_of_one_park_are_the_files_buildings_of_that_park(client, park):
    buildings = sr.layer("buildings")
    expected = sorted(buildings.loc[buildings["park"] == park, "building_code"])
    got = client.get("/api/buildings", params={"park": park}).json()["features"]
    assert sorted(f["properties"]["building_code"] for f in got) == expected


def test_min_vacant_m2_returns_exactly_the_buildings_with_that_much_vacant_floor(client, today):
    expected = sr.vacant_today(today)
    threshold = 1000.5
    assert all(abs(v - threshold) > 0.01 for v in expected.values())
    got = client.get("/api/buildings", params={"min_vacant_m2": threshold}).json()["features"]
    wanted = sorted(c for c, v in expected.items() if v >= threshold)
    assert wanted and len(wanted) < len(expected)
    assert sorted(f["properties"]["building_code"] for f in got) == wanted


def _file_projects() -> pd.DataFrame:
    projects = sr.layer("projects")
    projects["codes"] = projects["parcel_codes"].map(
        lambda s: sorted(c.strip() for c in s.split(",") if c.strip())
    )
    return projects.set_index("project_code")


def test_projects_carry_the_files_names_statuses_and_parcels(client, file_parcels):
    projects = _file_projects()
    area = file_parcels.set_index("parcel_code")["file_area_m2"]
    features = client.get("/api/projects").json()["features"]
    assert sorted(f["properties"]["project_code"] for f in features) == sorted(projects.index)
    for f in features:
        p = f["properties"]
        row = projects.loc[p["project_code"]]
        assert (p["name"], p["status"], p["park"]) == (row["name"], row["status"], row["park"])
        assert p["parcel_codes"] == row["codes"]
        assert p["site_area_m2"] == pytest.approx(area[row["codes"]].sum(), abs=0.01 * 3)
        site = shape(f["geometry"])
        assert site.geom_type in ("Polygon", "MultiPolygon") and not site.is_empty


@pytest.mark.parametrize(
    "params",
    [
        {"park": "gaoxin"},
        {"status": "operating"},
        {"park": "fengxiang", "status": "planned,signed"},
    ],
)
def test_project_filters_return_the_files_matching_projects(client, params):
    projects = _file_projects()
    mask = pd.Series(True, index=projects.index)
    if "park" in params:
        mask &= projects["park"] == params["park"]
    if "status" in params:
        mask &= projects["status"].isin(params["status"].split(","))
    got = client.get("/api/projects", params=params).json()["features"]
    assert sorted(f["properties"]["project_code"] for f in got) == sorted(projects.index[mask])
    assert mask.any()


# --- figures ---------------------------------------------------------------------------------

ADDITIVE = (
    "parcels",
    "area_m2",
    "manufacturing_m2",
    "reserve_m2",
    "ready_m2",
    "factory_buildings",
    "factory_floor_m2",
    "factory_vacant_m2",
)


def test_city_figures_are_the_sum_of_the_parks(client):
    body = client.get("/api/stats").json()
    assert sorted(p["park"] for p in body["parks"]) == sorted(sr.PARK_CODES)
    for key in ADDITIVE:
        total = sum(p[key] for p in body["parks"])
        assert body["city"][key] == pytest.approx(total, abs=0.01 * len(body["parks"])), key
    for key in ("area_by_class", "projects_by_status"):
        summed: dict[str, float] = {}
        for p in body["parks"]:
            for k, v in p[key].items():
                summed[k] = summed.get(k, 0) + v
        assert body["city"][key].keys() == summed.keys()
        for k, v in summed.items():
            assert body["city"][key][k] == pytest.approx(v, abs=0.01 * len(body["parks"]))


def test_stats_figures_are_the_files_figures(client, file_parcels, today):
    body = client.get("/api/stats").json()
    parks = {p["park"]: p for p in body["parks"]}
    mfg = sr.manufacturing_by_park()
    buildings = sr.layer("buildings")
    vacant = sr.vacant_today(today)
    projects = sr.layer("projects")
    for code, p in parks.items():
        mine = file_parcels[file_parcels["park"] == code]
        n = len(mine)
        assert p["parcels"] == n
        assert p["area_m2"] == pytest.approx(mine["file_area_m2"].sum(), abs=0.01 * n)
        assert p["manufacturing_m2"] == pytest.approx(mfg[code], abs=0.01 * n)
        reserve = mine.loc[mine["status"] == "reserve", "file_area_m2"].sum()
        assert p["reserve_m2"] == pytest.approx(reserve, abs=0.01 * n)
        ready = mine.loc[mine["status"] == "ready", "file_area_m2"].sum()
        assert p["ready_m2"] == pytest.approx(ready, abs=0.01 * n)
        by_class = mine.groupby("land_use_code")["file_area_m2"].sum()
        assert p["area_by_class"].keys() == set(by_class.index)
        for k, v in by_class.items():
            assert p["area_by_class"][k] == pytest.approx(v, abs=0.01 * n)
        theirs = buildings[buildings["park"] == code]
        assert p["factory_buildings"] == len(theirs)
        assert p["factory_floor_m2"] == pytest.approx(theirs["floor_area_m2"].sum(), abs=0.01)
        assert p["factory_vacant_m2"] == pytest.approx(
            sum(vacant[b] for b in theirs["building_code"]), abs=0.01 * len(theirs)
        )
        statuses = projects[projects["park"] == code]["status"].value_counts().to_dict()
        assert p["projects_by_status"] == statuses
        assert p["manufacturing_mu"] == pytest.approx(mfg[code] / sr.M2_PER_MU, abs=0.01)
    assert body["city"]["manufacturing_m2"] == pytest.approx(
        sum(mfg.values()), abs=0.01 * len(file_parcels)
    )


def test_stats_of_one_park_lists_that_park_but_keeps_the_whole_city(client):
    everything = client.get("/api/stats").json()
    one = client.get("/api/stats", params={"park": "caijiapo"}).json()
    assert [p["park"] for p in one["parks"]] == ["caijiapo"]
    assert one["city"] == everything["city"]
    assert one["parks"][0] == next(p for p in everything["parks"] if p["park"] == "caijiapo")


# --- bad input -------------------------------------------------------------------------------

BAD = [
    ("/api/parcels?park=nope", "park"),
    ("/api/buildings?park=nope", "park"),
    ("/api/projects?park=nope", "park"),
    ("/api/stats?park=nope", "park"),
    ("/api/parcels?land_use=99", "land_use"),
    ("/api/parcels?land_use=0601,9999", "land_use"),
    ("/api/parcels?status=demolished", "status"),
    ("/api/parcels?status=reserve,nope", "status"),
    ("/api/projects?status=cancelled", "status"),
    ("/api/parcels?min_area_mu=-1", "min_area_mu"),
    ("/api/parcels?min_area_mu=abc", "min_area_mu"),
    ("/api/parcels?max_area_mu=-0.5", "max_area_mu"),
    ("/api/parcels?max_area_mu=ten", "max_area_mu"),
    ("/api/parcels?min_area_mu=50&max_area_mu=10", "min_area_mu"),
    ("/api/parcels?bbox=107.5,34.3,107.6", "bbox"),
    ("/api/parcels?bbox=a,b,c,d", "bbox"),
    ("/api/parcels?bbox=107.6,34.3,107.5,34.4", "bbox"),
    ("/api/parcels?bbox=107.5,34.4,107.6,34.3", "bbox"),
    ("/api/parcels?bbox=107.5,-91,107.6,34.4", "bbox"),
    ("/api/parcels?bbox=107.5,34.3,107.6,95", "bbox"),
    ("/api/parcels?bbox=nan,34.3,107.6,34.4", "bbox"),
    ("/api/parcels?limit=0", "limit"),
    ("/api/parcels?limit=1001", "limit"),
    ("/api/parcels?limit=x", "limit"),
    ("/api/parcels?offset=-1", "offset"),
    ("/api/parcels?offset=99999999999999999999", "offset"),
    ("/api/buildings?min_vacant_m2=-1", "min_vacant_m2"),
    ("/api/buildings?min_vacant_m2=lots", "min_vacant_m2"),
    ("/api/parcels/CJP-0001?crs=EPSG:99999", "crs"),
    ("/api/parcels/CJP-0001?crs=nonsense", "crs"),
    # pyproj knows these, PostGIS's spatial_ref_sys doesn't (vertical / compound CRS)
    ("/api/parcels/CJP-0001?crs=EPSG:5773", "crs"),
    ("/api/parcels/CJP-0001?crs=EPSG:9518", "crs"),
]


@pytest.mark.parametrize(("url", "parameter"), BAD, ids=[u for u, _ in BAD])
def test_a_bad_parameter_gets_a_4xx_naming_it_never_a_500(client, url, parameter):
    try:
        response = client.get(url)
    except Exception as exc:  # the TestClient re-raises what became a 500
        pytest.fail(f"500 Internal Server Error: {exc!r}")
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    body = response.json()
    assert body.get("parameter") == parameter or parameter in body["message"], body


def test_an_unknown_parks_map_is_404_naming_the_park(client):
    response = client.get("/map/nope")
    assert response.status_code == 404
    assert "park" in response.json()["message"] and "nope" in response.json()["message"]

"""The synthetic sample generator (service/sample/generator.py, its parks in
service/sample/parks.toml), checked with independent shapely, pandas and geopandas
computations. No database."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from parks.vocabulary import ParcelStatus, ProjectStatus, SupplyMode
from service.sample.generator import (
    PARK_SPECS,
    Sample,
    generate,
    load_park_specs,
    read,
    write,
)

ROOT = Path(__file__).resolve().parents[2]
CLASSES_CSV = ROOT / "parks" / "reference" / "gbt21010-2017-classes.csv"
COMMITTED = ROOT / "data" / "sample" / "parks.gpkg"
OVERLAP_TOLERANCE_M2 = 0.01
PARK_CODES = [spec.code for spec in PARK_SPECS]
PREFIXES = {"gaoxin": "GX", "jiangtan": "JT", "caijiapo": "CJP", "fengxiang": "FX"}
HELD = {"supplied", "under_construction", "operating", "idle"}


@pytest.fixture(scope="module")
def sample() -> Sample:
    return generate()


def overlapping_pairs(geoms: np.ndarray, among: np.ndarray | None = None) -> np.ndarray:
    """Areas of the pairwise intersections of *geoms* (each pair once) that touch or
    overlap; with *among*, only pairs that involve those indices."""
    tree = shapely.STRtree(geoms)
    query = geoms if among is None else geoms[among]
    left, right = tree.query(query, predicate="intersects")
    if among is not None:
        left = among[left]
    distinct = left < right if among is None else left != right
    return shapely.area(shapely.intersection(geoms[left[distinct]], geoms[right[distinct]]))


def classes() -> dict[str, bool]:
    with CLASSES_CSV.open(encoding="utf-8") as f:
        return {row["code"]: row["is_manufacturing"] == "true" for row in csv.DictReader(f)}


def assert_same_layers(a: Sample, b: Sample) -> None:
    for name, left in a.layers().items():
        right = b.layers()[name]
        assert list(left.columns) == list(right.columns), name
        plain = [c for c in left.columns if c != "geometry"]
        pd.testing.assert_frame_equal(
            left[plain].reset_index(drop=True),
            right[plain].reset_index(drop=True),
            check_dtype=False,
            obj=name,
        )
        if "geometry" in left.columns:
            assert shapely.equals_exact(
                left.geometry.to_numpy(), right.geometry.to_numpy(), tolerance=0
            ).all(), name


# --- determinism ------------------------------------------------------------------------


def test_the_same_seed_gives_an_identical_sample(sample):
    assert_same_layers(sample, generate())


def test_another_seed_gives_other_parcels(sample):
    other = generate(seed=7)
    assert not np.array_equal(
        shapely.to_wkb(other.parcels.geometry.to_numpy()[:50]),
        shapely.to_wkb(sample.parcels.geometry.to_numpy()[:50]),
    )


def test_the_committed_sample_is_what_the_generator_makes(sample):
    assert_same_layers(read(COMMITTED), sample)


def test_progress_is_reported_up_to_done():
    calls: list[tuple[int, int]] = []
    generate(progress=lambda done, total: calls.append((done, total)))
    assert calls[-1][0] == calls[-1][1]
    assert [done for done, _ in calls] == list(range(1, len(calls) + 1))


# --- parks --------------------------------------------------------------------------------


def test_parks_are_the_four_with_plausible_areas(sample):
    parks = sample.parks.set_index("code")
    assert list(parks.index) == PARK_CODES
    areas_km2 = shapely.area(parks.geometry.to_numpy()) / 1e6
    assert ((areas_km2 >= 4) & (areas_km2 <= 9)).all(), areas_km2
    assert (parks.geometry.geom_type == "MultiPolygon").all()
    assert sample.parks.crs.to_epsg() == 4545


def test_park_boundaries_do_not_overlap_each_other(sample):
    geoms = sample.parks.geometry.to_numpy()
    for i in range(len(geoms)):
        for j in range(i + 1, len(geoms)):
            assert not shapely.intersects(geoms[i], geoms[j]), (i, j)


def test_each_park_lies_near_its_stated_centre(sample):
    parks = generate(srid=4326).parks
    lonlat = pd.Series(shapely.centroid(parks.geometry.to_numpy()), index=parks["code"])
    for spec in PARK_SPECS:
        point = lonlat[spec.code]
        assert abs(point.x - spec.centre_lon) < 0.02 and abs(point.y - spec.centre_lat) < 0.02


def test_every_geometry_is_valid(sample):
    for name, frame in sample.layers().items():
        if "geometry" in frame.columns:
            assert shapely.is_valid(frame.geometry.to_numpy()).all(), name


def test_every_spatial_layer_names_its_park(sample):
    for name, frame in sample.layers().items():
        if name != "parks" and "park" in frame.columns:
            named = set(frame["park"])
            # Every park has each layer but the red line, which a park may lack.
            assert named == set(PARK_CODES) or (name == "eco_redline" and named < set(PARK_CODES))


# --- parcels ------------------------------------------------------------------------------


def test_each_park_has_150_to_400_parcels_and_at_least_1000_in_all(sample):
    counts = sample.parcels.groupby("park").size()
    assert set(counts.index) == set(PARK_CODES)
    assert counts.between(150, 400).all(), counts
    assert counts.sum() >= 1000


def test_parcel_codes_are_unique_and_carry_their_parks_prefix(sample):
    parcels = sample.parcels
    assert parcels["parcel_code"].is_unique
    for code, prefix in PREFIXES.items():
        codes = parcels.loc[parcels["park"] == code, "parcel_code"]
        assert codes.str.fullmatch(rf"{prefix}-\d{{4}}").all()


def test_every_status_occurs_in_every_park(sample):
    for park, statuses in sample.parcels.groupby("park")["status"]:
        assert set(statuses) == {s.value for s in ParcelStatus}, park


def test_reserve_and_ready_industrial_land_is_plentiful(sample):
    parcels = sample.parcels
    industrial = parcels[parcels["land_use_code"] == "0601"]
    for park, group in industrial.groupby("park"):
        available = group["status"].isin(["reserve", "ready"])
        assert available.sum() >= 30, park
        assert group.loc[available].geometry.area.sum() > 1_000_000, park


def test_land_use_codes_are_gbt21010_classes_mostly_industrial(sample):
    known = classes()
    parcels = sample.parcels
    assert parcels["land_use_code"].isin(list(known)).all()
    manufacturing = parcels["land_use_code"].map(known)
    for park, share in manufacturing.groupby(parcels["park"]).mean().items():
        assert 0.5 < share < 0.95, park
    assert parcels["land_use_code"].nunique() >= 6


def test_held_land_has_holder_mode_and_date_and_other_land_has_none(sample):
    parcels = sample.parcels
    held = parcels["status"].isin(HELD)
    assert parcels.loc[held, ["holder", "supply_mode", "supplied_on"]].notna().all().all()
    assert parcels.loc[~held, ["holder", "supply_mode", "supplied_on"]].isna().all().all()
    assert parcels.loc[held, "supply_mode"].isin([m.value for m in SupplyMode]).all()
    days = pd.to_datetime(parcels.loc[held, "supplied_on"], format="%Y-%m-%d")
    assert days.dt.year.between(2019, 2026).all()
    assert days.dt.year.nunique() == 8


def test_parcels_are_polygons_of_plausible_size(sample):
    parcels = sample.parcels
    assert (parcels.geometry.geom_type == "Polygon").all()
    area = parcels.geometry.area
    assert area.min() >= 500
    assert area.max() <= 150_000
    industrial_mu = area[parcels["land_use_code"] == "0601"] * 15 / 10_000
    assert 20 <= industrial_mu.median() <= 150


def test_no_two_parcels_overlap(sample):
    overlaps = overlapping_pairs(sample.parcels.geometry.to_numpy())
    assert len(overlaps) > len(sample.parcels)  # neighbours touch: shared edges exist
    assert overlaps.max() < OVERLAP_TOLERANCE_M2


def test_every_parcel_lies_within_its_park(sample):
    boundary = sample.parks.set_index("code").geometry
    parcels = sample.parcels
    inside = shapely.within(parcels.geometry.to_numpy(), boundary[parcels["park"]].to_numpy())
    assert inside.all(), parcels.loc[~inside, "parcel_code"].tolist()


def test_the_eco_red_line_overlaps_no_parcel(sample):
    parcels = sample.parcels.geometry.to_numpy()
    for redline in sample.eco_redline.geometry:
        touching = parcels[shapely.intersects(parcels, redline)]
        assert shapely.area(shapely.intersection(touching, redline)).sum() < OVERLAP_TOLERANCE_M2


def test_no_feature_has_an_empty_geometry_so_a_park_whose_gully_misses_has_no_red_line(sample):
    for name, frame in sample.layers().items():
        if hasattr(frame, "geometry"):
            assert not frame.geometry.is_empty.any(), name
    assert set(sample.eco_redline["park"]) < set(PARK_CODES)  # Fengxiang's gully misses


# --- the parks as data -------------------------------------------------------------------


def test_the_parks_and_their_targets_come_from_the_package_data(sample):
    assert [s.code for s in load_park_specs()] == PARK_CODES
    targets = sample.targets.set_index("park")
    for spec in PARK_SPECS:
        assert targets.loc[spec.code, "min_reserve_mu"] == spec.min_reserve_mu > 0
        assert targets.loc[spec.code, "min_vacant_floor_m2"] == spec.min_vacant_floor_m2 > 0


def test_a_park_added_as_data_takes_the_defaults_it_does_not_give():
    (spec,) = load_park_specs(
        """
        [[park]]
        code = "newpark"
        prefix = "NP"
        name_zh = "新园区"
        name_en = "New park"
        short_zh = "新"
        centre_lon = 107.5
        centre_lat = 34.4
        width_m = 2000
        height_m = 2000
        target_parcels = 150
        industries = ["装备制造"]
        enterprises = ["宝鸡新园装备有限公司"]
        tenants = ["宝鸡新园电子有限公司"]

        [[park.project]]
        name = "装备制造基地"
        investor = "宝鸡新园装备有限公司"
        industry_chain = "装备制造"
        investment_yi = 3
        status = "signed"
        """
    )
    assert spec.width_m == 2000.0 and isinstance(spec.width_m, float)
    assert spec.min_reserve_mu == 0.0 and spec.river_name == "渭河"
    (project,) = spec.projects
    assert project.status is ProjectStatus.SIGNED and project.n_parcels == 1


# --- standard factory buildings and leases -------------------------------------------------


def test_every_building_lies_strictly_inside_its_parcel(sample):
    joined = sample.buildings.merge(
        sample.parcels[["parcel_code", "park", "land_use_code", "status", "geometry"]],
        on="parcel_code",
        suffixes=("", "_parcel"),
    )
    assert len(joined) == len(sample.buildings)
    assert (joined["park"] == joined["park_parcel"]).all()
    assert shapely.contains_properly(
        joined["geometry_parcel"].to_numpy(), joined["geometry"].to_numpy()
    ).all()
    assert (joined["land_use_code"] == "0601").all()
    assert joined["status"].isin(["operating", "supplied"]).all()


def test_floor_area_is_footprint_times_storeys(sample):
    buildings = sample.buildings
    assert buildings["storeys"].between(1, 6).all()
    expected = (buildings.geometry.area * buildings["storeys"]).round(2)
    assert np.allclose(buildings["floor_area_m2"], expected, atol=0.005)
    assert buildings["building_code"].is_unique


def floor_occupancy(sample: Sample) -> pd.DataFrame:
    """Per building: storeys, floors fully let, floors with any lease."""
    buildings = sample.buildings.set_index("building_code")
    per_floor = sample.leases.groupby(["building_code", "floor"])["leased_m2"].sum().reset_index()
    per_floor["floor_m2"] = (
        buildings.loc[per_floor["building_code"], "floor_area_m2"].to_numpy()
        / buildings.loc[per_floor["building_code"], "storeys"].to_numpy()
    )
    per_floor["full"] = per_floor["floor_m2"] - per_floor["leased_m2"] < 0.01
    occupancy = per_floor.groupby("building_code").agg(
        full_floors=("full", "sum"), let_floors=("floor", "size")
    )
    occupancy = occupancy.reindex(buildings.index, fill_value=0)
    occupancy["storeys"] = buildings["storeys"]
    occupancy["park"] = buildings["park"]
    return occupancy


def test_each_park_has_20_buildings_some_full_some_partly_let_some_vacant(sample):
    occupancy = floor_occupancy(sample)
    for park, group in occupancy.groupby("park"):
        full = group["full_floors"] == group["storeys"]
        vacant = group["let_floors"] == 0
        assert len(group) >= 20, park
        assert full.any() and vacant.any() and (~full & ~vacant).any(), park


def test_leases_never_exceed_a_floor(sample):
    leases = sample.leases.merge(
        sample.buildings[["building_code", "storeys", "floor_area_m2"]], on="building_code"
    )
    assert len(leases) == len(sample.leases)
    assert (leases["floor"] >= 1).all() and (leases["floor"] <= leases["storeys"]).all()
    assert (leases["leased_m2"] > 0).all()
    per_floor = leases.groupby(["building_code", "floor"]).agg(
        leased=("leased_m2", "sum"), area=("floor_area_m2", "first"), storeys=("storeys", "first")
    )
    assert (per_floor["leased"] <= per_floor["area"] / per_floor["storeys"] + 1e-6).all()


def test_leases_have_ids_tenants_and_ordered_dates(sample):
    leases = sample.leases
    assert leases["lease_id"].is_unique
    assert leases["tenant"].notna().all()
    start = pd.to_datetime(leases["start_date"], format="%Y-%m-%d")
    end = pd.to_datetime(leases["end_date"], format="%Y-%m-%d")
    assert (end.isna() | (end > start)).all()
    assert end.isna().any() and end.notna().any()


# --- projects -----------------------------------------------------------------------------


def test_each_park_has_6_projects_on_its_own_industrial_parcels(sample):
    parcels = sample.parcels.set_index("parcel_code")
    projects = sample.projects
    assert projects["project_code"].is_unique
    assert projects.groupby("park").size().reindex(PARK_CODES).ge(6).all()
    assert projects["status"].isin([s.value for s in ProjectStatus]).all()
    assert projects["status"].nunique() >= 4
    assert (projects["investment_yi"] > 0).all()
    used: list[str] = []
    for project in projects.itertuples():
        codes = project.parcel_codes.split(",")
        assert 1 <= len(codes) <= 3, project.project_code
        assert set(codes) <= set(parcels.index), project.project_code
        assert (parcels.loc[codes, "park"] == project.park).all()
        assert (parcels.loc[codes, "land_use_code"] == "0601").all()
        used += codes
    assert len(used) == len(set(used))


def test_projects_name_the_reports_projects(sample):
    names = " ".join(sample.projects["name"])
    phrases = ["陕汽车架生产基地", "汉德车桥二期", "吉利新能源车型", "西凤酒", "基酒"]
    phrases += ["循环经济", "宝钛", "秦川机床", "传感器产业园", "麦克传感器", "军民融合"]
    for phrase in phrases:
        assert phrase in names


def test_milestones_are_json_lists_of_dated_steps_in_order(sample):
    for project in sample.projects.itertuples():
        steps = json.loads(project.milestones)
        assert steps, project.project_code
        dates = [date.fromisoformat(step["date"]) for step in steps]
        assert all(step["name"] for step in steps)
        assert dates == sorted(dates)


# --- context layers -----------------------------------------------------------------------


def test_context_layers_have_their_columns_and_geometry_types(sample):
    assert set(sample.roads["road_class"]) == {"main", "secondary"}
    assert (sample.roads.geometry.geom_type == "LineString").all()
    assert (sample.rail.geometry.geom_type == "LineString").all()
    assert (sample.river.geometry.geom_type == "LineString").all()
    assert (sample.flood_zone.geometry.geom_type == "Polygon").all()
    assert (sample.eco_redline.geometry.geom_type == "Polygon").all()
    assert set(sample.utilities["kind"]) == {"power", "water", "gas", "sewage"}
    assert set(sample.utilities.geometry.geom_type) == {"Point", "LineString"}
    for frame in (sample.roads, sample.rail, sample.river, sample.flood_zone, sample.utilities):
        assert frame["name"].notna().all()


def test_rail_and_river_run_outside_the_parks(sample):
    boundary = sample.parks.set_index("code").geometry
    for frame in (sample.rail, sample.river):
        inside = shapely.intersects(frame.geometry.to_numpy(), boundary[frame["park"]].to_numpy())
        assert not inside.any()


def test_roads_lie_within_their_park(sample):
    boundary = sample.parks.set_index("code").geometry
    roads = sample.roads
    assert shapely.covered_by(roads.geometry.to_numpy(), boundary[roads["park"]].to_numpy()).all()
    for park, group in roads.groupby("park"):
        assert group["name"].str.fullmatch(r"[经纬].+路").all(), park


# --- files --------------------------------------------------------------------------------


def test_write_then_read_gives_the_same_sample(sample, tmp_path):
    path = tmp_path / "sample.gpkg"
    write(sample, path)
    back = read(path)
    assert_same_layers(back, sample)
    assert back.srid == 4545
    assert "geometry" not in back.leases.columns and "geometry" not in back.projects.columns


def test_writing_the_same_sample_twice_gives_the_same_bytes(sample, tmp_path):
    first, second = tmp_path / "a.gpkg", tmp_path / "b.gpkg"
    write(sample, first)
    write(sample, second)
    assert first.read_bytes() == second.read_bytes()


# --- bigger samples -----------------------------------------------------------------------


def test_asking_for_5000_parcels_gives_about_5000_that_do_not_overlap():
    big = generate(total_parcels=5000)
    parcels = big.parcels
    assert abs(len(parcels) - 5000) <= 250
    assert set(parcels["park"]) == set(PARK_CODES)
    rng = np.random.default_rng(0)
    some = rng.choice(len(parcels), size=500, replace=False)
    assert overlapping_pairs(parcels.geometry.to_numpy(), among=some).max() < OVERLAP_TOLERANCE_M2
    boundary = big.parks.set_index("code").geometry
    chosen = parcels.iloc[some]
    assert shapely.within(chosen.geometry.to_numpy(), boundary[chosen["park"]].to_numpy()).all()
    geoms = big.parks.geometry.to_numpy()
    assert not any(
        shapely.intersects(geoms[i], geoms[j]) for i in range(4) for j in range(i + 1, 4)
    )
    assert parcels["parcel_code"].str.match(r"^(GX|JT|CJP|FX)-\d{4,}$").all()


def test_too_few_parcels_are_refused():
    with pytest.raises(ValueError, match="at least"):
        generate(total_parcels=100)


def test_parcel_coordinates_are_on_the_construction_grid(sample):
    xy = shapely.get_coordinates(sample.parcels.geometry.to_numpy())
    quarter = xy * 4
    assert np.array_equal(quarter, np.round(quarter))  # 0.25 m: exact in binary, and cm

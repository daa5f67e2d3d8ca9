"""Loading a GeoPackage: the sample registers exactly its parcels as one 'register' change
set with one ledger row; a second load changes nothing and says so; a file with any
problem is refused naming every problem, and nothing of it is stored."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd
import pytest
import shapely
import support_reads as sr
from shapely import affinity
from shapely.geometry import Polygon, box
from sqlalchemy import text
from support_roles import owner_url

from service.db.engine import make_engine
from service.db.migrate import upgrade
from service.imports.loader import LoadError, LoadReport, load_dataset

pytestmark = pytest.mark.integration


def _load(url: str, path, **kwargs) -> LoadReport:
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        return load_dataset(engine, path, storage_srid=sr.STORAGE_EPSG, **kwargs)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def migrated_url(databases) -> str:
    """A migrated database with no parcels, shared by the tests whose loads must fail."""
    url = sr.database_url(databases.create(template=databases.postgis_template))
    upgrade(owner_url(url))
    return url


# --- the sample ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def first_load(databases) -> tuple[str, LoadReport]:
    """A migrated empty database loaded once with the sample, and the load's report."""
    url = sr.database_url(databases.create(template=databases.postgis_template))
    upgrade(owner_url(url))
    return url, _load(url, sr.SAMPLE, actor="loader-test")


def test_loading_the_sample_registers_exactly_its_parcels_as_one_register_change_set(
    first_load,
):
    url, report = first_load
    parcels = sr.parcels()

    assert report.parcels_added == len(parcels)
    assert report.parks_added == len(sr.layer("parks"))
    assert report.buildings_added == len(sr.layer("buildings"))
    assert report.leases_added == len(sr.layer("leases"))
    assert report.projects_added == len(sr.layer("projects"))
    assert report.changed_anything
    assert report.lines()[0].startswith(f"loaded {sr.SAMPLE}: 4 parks, {len(parcels)} parcels")

    with sr.connect(url) as conn:
        change_sets = conn.execute(text("SELECT id, kind, actor FROM change_set")).all()
        assert [(cs.kind, cs.actor) for cs in change_sets] == [("register", "loader-test")]
        (change_set_id,) = (cs.id for cs in change_sets)
        assert report.change_set_id == change_set_id
        per_park = dict(
            conn.execute(
                text(
                    "SELECT park, count(*) FROM parcel_version "
                    "WHERE valid_to IS NULL AND change_set_id = :id GROUP BY park"
                ),
                {"id": change_set_id},
            ).all()
        )
        versions = conn.execute(text("SELECT count(*) FROM parcel_version")).scalar_one()
    assert per_park == parcels.groupby("park").size().to_dict()
    assert per_park == {"gaoxin": 290, "jiangtan": 250, "caijiapo": 320, "fengxiang": 230}
    assert versions == len(parcels), "every version is current: nothing was closed"


def test_loading_the_sample_appends_one_ledger_row_holding_its_manufacturing_land(first_load):
    url, report = first_load
    expected = sr.manufacturing_by_park()
    counts = sr.manufacturing_counts_by_park()
    with sr.connect(url) as conn:
        rows = conn.execute(text("SELECT * FROM ledger")).mappings().all()
    assert len(rows) == 1
    row = rows[0]
    assert row["seq"] == report.ledger_seq == 1
    assert row["change_set_id"] == report.change_set_id
    assert row["kind"] == "register"
    assert row["prev_hash"] == "0" * 64
    tolerance = sr.AREA_TOL_M2 * sum(counts.values())
    assert row["delta_city_m2"] == pytest.approx(sum(expected.values()), abs=tolerance)
    assert row["total_city_m2"] == pytest.approx(sum(expected.values()), abs=tolerance)
    assert row["high_water_city_m2"] == pytest.approx(row["total_city_m2"], abs=1e-6)
    assert set(row["total_parks"]) == set(sr.PARK_CODES)
    for park in sr.PARK_CODES:
        assert row["total_parks"][park] == pytest.approx(
            expected[park], abs=sr.AREA_TOL_M2 * counts[park]
        )


def test_loading_the_sample_stores_every_layer_it_carries(first_load):
    url, report = first_load
    context_layers = ("roads", "rail", "river", "flood_zone", "utilities", "eco_redline")
    # An empty geometry is not a feature one can draw: the loader skips it.
    expected_features = {
        name: int((~sr.layer(name).geometry.is_empty).sum()) for name in context_layers
    }
    expected_links = {
        (p.project_code, c.strip())
        for p in sr.layer("projects").itertuples()
        for c in p.parcel_codes.split(",")
        if c.strip()
    }
    with sr.connect(url) as conn:
        features = dict(
            conn.execute(
                text(
                    "SELECT layer, count(*) FILTER (WHERE NOT ST_IsEmpty(geom)) "
                    "FROM context_feature GROUP BY layer"
                )
            ).all()
        )
        stored = conn.execute(text("SELECT count(*) FROM context_feature")).scalar_one()
        links = set(conn.execute(text("SELECT project_code, parcel_code FROM project_parcel")))
    assert features == expected_features
    assert report.context_features_added == stored
    assert {tuple(r) for r in links} == expected_links


@pytest.fixture(scope="module")
def loaded_url(databases, loaded_template) -> str:
    """A copy of the loaded sample for the loads below: they add at most a parcel of their
    own, and each checks only what its own load did."""
    return sr.database_url(databases.create(template=loaded_template))


def test_a_second_load_changes_nothing_and_says_so(loaded_url):
    before = sr.row_counts(loaded_url)
    report = _load(loaded_url, sr.SAMPLE)
    assert sr.row_counts(loaded_url) == before
    assert not report.changed_anything
    assert report.parcels_added == 0
    assert report.parcels_unchanged == len(sr.parcels())
    assert report.parcels_differing == []
    assert report.change_set_id is None and report.ledger_seq is None
    assert report.lines() == [
        f"nothing to load from {sr.SAMPLE}: all {len(sr.parcels())} parcels "
        "and everything else are already present and identical"
    ]


def test_a_parcel_already_present_with_other_attributes_is_reported_and_left_alone(
    loaded_url, tmp_path
):
    parcels = sr.parcels()
    code = parcels.loc[parcels["holder"].notna(), "parcel_code"].iloc[0]
    parcels.loc[parcels["parcel_code"] == code, "holder"] = "某某新公司"
    path = sr.write_gpkg(tmp_path / "differs.gpkg", parks=sr.layer("parks"), parcels=parcels)
    before = sr.row_counts(loaded_url)
    report = _load(loaded_url, path)
    assert sr.row_counts(loaded_url) == before
    assert report.parcels_differing == [code]
    assert report.parcels_unchanged == len(parcels) - 1
    assert not report.changed_anything
    assert any(code in line and "left alone" in line for line in report.lines())
    with sr.connect(loaded_url) as conn:
        holder = conn.execute(
            text("SELECT holder FROM parcel_version WHERE parcel_code = :c AND valid_to IS NULL"),
            {"c": code},
        ).scalar_one()
    assert holder != "某某新公司"


def _square_in_eco_redline(park: str, side: float) -> Polygon:
    """A square of *side* metres inside *park*'s ecological red line (which no parcel uses)."""
    redline = sr.layer("eco_redline")
    zone = redline.loc[redline["park"] == park].geometry.union_all()
    centre = zone.buffer(-side).representative_point()
    return box(centre.x - side / 2, centre.y - side / 2, centre.x + side / 2, centre.y + side / 2)


def test_a_file_adding_one_industrial_parcel_registers_only_that_parcel(loaded_url, tmp_path):
    parcels = sr.parcels()
    square = _square_in_eco_redline("caijiapo", 40.0)
    # Preconditions, checked on the file itself: inside the park, clear of every parcel.
    boundary = sr.parks().set_index("code").loc["caijiapo"].geometry
    assert shapely.covered_by(square, boundary)
    assert not shapely.intersects(square, parcels.geometry.values).any()
    new = parcels.iloc[[0]].copy()
    new["parcel_code"], new["park"], new["land_use_code"] = "CJP-9001", "caijiapo", "0601"
    new["status"] = "reserve"
    new[["holder", "supply_mode", "supplied_on"]] = None
    new = new.set_geometry([square], crs=parcels.crs)
    path = sr.write_gpkg(
        tmp_path / "one-more.gpkg",
        parks=sr.layer("parks"),
        parcels=pd.concat([parcels, new], ignore_index=True),
    )
    with sr.connect(loaded_url) as conn:
        last = conn.execute(
            text("SELECT seq, total_city_m2 FROM ledger ORDER BY seq DESC LIMIT 1")
        ).one()
    report = _load(loaded_url, path)
    assert report.parcels_added == 1
    assert report.parcels_unchanged == len(parcels)
    with sr.connect(loaded_url) as conn:
        row = conn.execute(
            text("SELECT seq, delta_city_m2, total_city_m2 FROM ledger ORDER BY seq DESC LIMIT 1")
        ).one()
        registered = conn.execute(
            text(
                "SELECT v.parcel_code, cs.kind FROM parcel_version v "
                "JOIN change_set cs ON cs.id = v.change_set_id WHERE cs.id = :id"
            ),
            {"id": report.change_set_id},
        ).all()
    assert registered == [("CJP-9001", "register")]
    assert row.seq == last[0] + 1 == report.ledger_seq
    assert row.delta_city_m2 == pytest.approx(1600.0, abs=sr.AREA_TOL_M2)
    assert row.total_city_m2 == pytest.approx(last[1] + 1600.0, abs=sr.AREA_TOL_M2)


# --- files that must be refused ---------------------------------------------------------------


@dataclass
class Expected:
    """A problem the load must name: its row, its parcel code and a pattern."""

    row_no: int
    code: str
    pattern: str

    def matches(self, problem: str) -> bool:
        prefix = f"row {self.row_no} ({self.code}): "
        return problem.startswith(prefix) and re.fullmatch(self.pattern, problem[len(prefix) :])


def _rows(parcels, park: str, n: int, *, start: int = 0, min_area: float = 0.0) -> list[int]:
    candidates = parcels.index[
        (parcels["park"] == park) & (parcels["file_area_m2"] > min_area)
    ].tolist()
    return candidates[start : start + n]


def _bow_tie(geom) -> Polygon:
    minx, miny, maxx, maxy = geom.bounds
    return Polygon([(minx, miny), (maxx, maxy), (maxx, miny), (minx, maxy), (minx, miny)])


def corrupt(parcels, kind: str) -> list[Expected]:
    """Spoil *parcels* (in place) with one kind of problem; each kind uses its own parcels,
    so several kinds can spoil one file. Returns the problems the load must report."""
    row = parcels.index.get_loc  # frame index -> 1-based row number below

    def rn(i: int) -> int:
        return row(i) + 1

    def code(i: int) -> str:
        return parcels.at[i, "parcel_code"]

    if kind == "overlap":
        a, b = _rows(parcels, "caijiapo", 2, start=0, min_area=5000)
        centre = parcels.at[a, "geometry"].representative_point()
        square = box(centre.x - 5, centre.y - 5, centre.x + 5, centre.y + 5)
        assert shapely.within(square, parcels.at[a, "geometry"])  # 100 m² of a's interior
        parcels.at[b, "geometry"] = square
        first, second = sorted((a, b), key=rn)
        return [
            Expected(
                rn(first),
                code(first),
                rf"overlaps parcel {code(second)} of the file "
                r"by 100\.00 m²",
            )
        ]
    if kind == "outside_park":
        (c,) = _rows(parcels, "gaoxin", 1, start=3)
        moved = affinity.translate(parcels.at[c, "geometry"], yoff=-30_000)
        others = parcels.geometry.drop(index=c).values
        assert not shapely.intersects(moved, others).any()
        boundary = sr.parks().set_index("code").loc["gaoxin"].geometry
        outside = moved.area - moved.intersection(boundary).area
        assert outside > 0
        parcels.at[c, "geometry"] = moved
        return [Expected(rn(c), code(c), r"lies (?P<m2>[0-9.]+) m² outside park gaoxin")]
    if kind == "unknown_class":
        (d,) = _rows(parcels, "jiangtan", 1, start=0)
        parcels.at[d, "land_use_code"] = "9999"
        return [Expected(rn(d), code(d), r"unknown land_use_code '9999'")]
    if kind == "unknown_park":
        (e,) = _rows(parcels, "jiangtan", 1, start=1)
        parcels.at[e, "park"] = "nowhere"
        return [Expected(rn(e), code(e), r"unknown park 'nowhere'")]
    if kind == "unknown_status":
        (f,) = _rows(parcels, "jiangtan", 1, start=2)
        parcels.at[f, "status"] = "demolished"
        return [Expected(rn(f), code(f), r"unknown status 'demolished'")]
    if kind == "invalid_geometry":
        (g,) = _rows(parcels, "fengxiang", 1, start=0)
        parcels.at[g, "geometry"] = _bow_tie(parcels.at[g, "geometry"])
        return [Expected(rn(g), code(g), r"geometry is not valid: Self-intersection.*")]
    if kind == "duplicate_code":
        h, k = _rows(parcels, "fengxiang", 2, start=3)
        parcels.at[k, "parcel_code"] = code(h)
        return [
            Expected(rn(h), code(h), r"duplicate parcel_code in the file"),
            Expected(rn(k), code(h), r"duplicate parcel_code in the file"),
        ]
    raise AssertionError(kind)


KINDS = [
    "overlap",
    "outside_park",
    "unknown_class",
    "unknown_park",
    "unknown_status",
    "invalid_geometry",
    "duplicate_code",
]


def _refused(url: str, path) -> list[str]:
    before = sr.row_counts(url)
    with pytest.raises(LoadError) as caught:
        _load(url, path)
    assert sr.row_counts(url) == before, "a refused load stored something"
    assert str(caught.value).startswith(f"nothing was loaded; {len(caught.value.problems)} ")
    return caught.value.problems


def _assert_named(problems: list[str], expected: list[Expected]) -> None:
    for e in expected:
        assert [p for p in problems if e.matches(p)], f"{e} not among {problems}"
    assert len(problems) == len(expected), problems


def _few_parcels():
    """A dozen sample parcels of each park: a small, valid file to spoil (loads fast)."""
    parcels = sr.parcels()
    return parcels.groupby("park", sort=False).head(12).reset_index(drop=True)


@pytest.mark.parametrize("kind", KINDS)
def test_a_file_with_one_bad_parcel_is_refused_naming_it_and_nothing_is_stored(
    migrated_url, tmp_path, kind
):
    parcels = _few_parcels()
    expected = corrupt(parcels, kind)
    path = sr.write_gpkg(tmp_path / f"{kind}.gpkg", parks=sr.layer("parks"), parcels=parcels)
    problems = _refused(migrated_url, path)
    _assert_named(problems, expected)


def test_the_outside_area_a_refusal_names_is_the_area_beyond_the_park(migrated_url, tmp_path):
    parcels = _few_parcels()
    (expected,) = corrupt(parcels, "outside_park")
    moved = parcels.geometry.iloc[expected.row_no - 1]
    boundary = sr.parks().set_index("code").loc["gaoxin"].geometry
    outside_m2 = moved.area - moved.intersection(boundary).area
    path = sr.write_gpkg(tmp_path / "outside.gpkg", parks=sr.layer("parks"), parcels=parcels)
    (problem,) = _refused(migrated_url, path)
    stated = float(re.search(r"lies ([0-9.]+) m²", problem).group(1))
    assert stated == pytest.approx(outside_m2, abs=0.01)


def test_a_whole_sample_with_every_kind_of_problem_is_refused_naming_each_one(
    migrated_url, tmp_path
):
    parcels = sr.parcels()
    expected = [e for kind in KINDS for e in corrupt(parcels, kind)]
    path = sr.write_gpkg(tmp_path / "all-wrong.gpkg", parks=sr.layer("parks"), parcels=parcels)
    problems = _refused(migrated_url, path)
    _assert_named(problems, expected)


def test_a_building_off_its_parcel_aborts_the_whole_load(migrated_url, tmp_path):
    buildings = sr.layer("buildings").iloc[:3].copy()
    parcels = sr.parcels()
    parcels = parcels[parcels["parcel_code"].isin(buildings["parcel_code"])]
    buildings.loc[0, "geometry"] = affinity.translate(buildings.loc[0, "geometry"], xoff=2_000)
    path = sr.write_gpkg(
        tmp_path / "building.gpkg",
        parks=sr.layer("parks"),
        parcels=parcels,
        buildings=buildings,
    )
    problems = _refused(migrated_url, path)
    assert problems == [
        f"building {buildings.loc[0, 'building_code']}: not on its parcel "
        f"{buildings.loc[0, 'parcel_code']}"
    ]


def test_a_file_without_a_parcels_layer_is_refused(migrated_url, tmp_path):
    path = sr.write_gpkg(tmp_path / "parks-only.gpkg", parks=sr.layer("parks"))
    assert _refused(migrated_url, path) == [f"{path}: missing layer(s) parcels"]


def test_a_missing_file_is_refused(migrated_url, tmp_path):
    path = tmp_path / "nope.gpkg"
    assert _refused(migrated_url, path) == [f"{path}: no such file"]


def _small_file_with(tmp_path, name: str, **layers) -> object:
    """Two sample buildings with their parcels, leases and a project, with *layers*
    replacing any of those."""
    buildings = sr.layer("buildings").iloc[:2].copy()
    parcels = sr.parcels()
    parcels = parcels[parcels["parcel_code"].isin(buildings["parcel_code"])]
    leases = sr.layer("leases")
    leases = leases[leases["building_code"].isin(buildings["building_code"])].copy()
    base = {"parks": sr.layer("parks"), "parcels": parcels, "buildings": buildings}
    base["leases"] = leases
    return sr.write_gpkg(tmp_path / f"{name}.gpkg", **{**base, **layers})


def _spoilt(kind: str) -> tuple[dict, str]:
    """Layers with one bad row of a non-parcel layer, and the code the refusal must name."""
    if kind == "lease_of_unknown_building":
        leases = sr.layer("leases").iloc[:1].copy()  # any one lease, moved to no building
        leases.loc[leases.index[0], "building_code"] = "GX-B999"
        return {"leases": leases}, "GX-B999"
    if kind == "project_in_unknown_park":
        projects = sr.layer("projects").iloc[:1].assign(park="nowhere", parcel_codes="")
        return {"projects": projects}, "nowhere"
    if kind == "project_with_unknown_status":
        projects = sr.layer("projects").iloc[:1].assign(status="cancelled", parcel_codes="")
        return {"projects": projects}, "cancelled"
    if kind == "building_in_unknown_park":
        buildings = sr.layer("buildings").iloc[:2].copy()
        buildings.loc[0, "park"] = "nowhere"
        return {"buildings": buildings}, "nowhere"
    raise AssertionError(kind)


@pytest.mark.parametrize(
    "kind",
    [
        "lease_of_unknown_building",
        "project_in_unknown_park",
        "project_with_unknown_status",
        "building_in_unknown_park",
    ],
)
def test_a_bad_row_in_another_layer_is_refused_as_a_load_error_naming_it(
    migrated_url, tmp_path, kind
):
    # "Any problem with the new data aborts the whole load" — and, like a bad parcel, is
    # reported as a LoadError naming it (not a raw database error the CLI can't explain).
    layers, named = _spoilt(kind)
    path = _small_file_with(tmp_path, kind, **layers)
    before = sr.row_counts(migrated_url)
    with pytest.raises(Exception) as caught:
        _load(migrated_url, path)
    assert sr.row_counts(migrated_url) == before, "a refused load stored something"
    assert isinstance(caught.value, LoadError), repr(caught.value)[:300]
    assert any(named in problem for problem in caught.value.problems)

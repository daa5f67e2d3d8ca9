"""The yearly supply figure: land supplied in a year by park, class and mode, with the
manufacturing share — from the loaded data's supply dates and from supply operations, a
split's parts never counted again."""

from __future__ import annotations

from datetime import date

import pytest
import shapely
import support_planning as sp
import support_reads as sr
from shapely.geometry import mapping
from sqlalchemy import text

from parks.errors import InvalidParameter
from parks.operations import ChangeSetRequest
from service.changes.apply import apply_change_set
from service.db.engine import make_engine
from service.planning.supply import supply_figures

pytestmark = pytest.mark.integration


def _figures(url: str, **kwargs) -> dict:
    with sr.connect(url) as conn:
        return supply_figures(conn, **kwargs)


def _apply(url: str, body: dict) -> None:
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        apply_change_set(
            engine, ChangeSetRequest.model_validate(body), actor="supply-test", storage_srid=4545
        )
    finally:
        engine.dispose()


@pytest.mark.parametrize("year", [2019, 2023, 2025, 2026])
def test_a_years_supply_matches_the_loaded_supply_dates(sample_db_url, year):
    expected = sp.supplied_in(year)
    got = _figures(sample_db_url, year=year)
    manufacturing = expected[expected["land_use_code"].isin(sr.manufacturing_codes())]
    assert got["total"]["parcels"] == len(expected) > 0
    assert got["total"]["area_m2"] == pytest.approx(expected["file_area_m2"].sum(), abs=0.05)
    assert got["total"]["manufacturing_m2"] == pytest.approx(
        manufacturing["file_area_m2"].sum(), abs=0.05
    )
    assert got["total"]["manufacturing_share"] == pytest.approx(
        manufacturing["file_area_m2"].sum() / expected["file_area_m2"].sum(), abs=1e-4
    )
    for entry in got["by_park"]:
        mine = expected[expected["park"] == entry["park"]]
        assert entry["parcels"] == len(mine)
        assert entry["area_m2"] == pytest.approx(mine["file_area_m2"].sum(), abs=0.05)
    assert [e["park"] for e in got["by_park"]] == list(sr.PARK_CODES)
    table = expected.groupby(["park", "land_use_code", "supply_mode"])["file_area_m2"].agg(
        ["sum", "size"]
    )
    rows = {(r["park"], r["land_use_code"], r["supply_mode"]): r for r in got["rows"]}
    assert set(rows) == set(table.index)
    for key, r in table.iterrows():
        assert rows[key]["parcels"] == r["size"]
        assert rows[key]["area_m2"] == pytest.approx(r["sum"], abs=0.01)
    modes = {e["supply_mode"]: e["area_m2"] for e in got["by_mode"]}
    for mode, area in expected.groupby("supply_mode")["file_area_m2"].sum().items():
        assert modes[mode] == pytest.approx(area, abs=0.05)
    classes = {e["land_use_code"]: e["area_m2"] for e in got["by_class"]}
    for code, area in expected.groupby("land_use_code")["file_area_m2"].sum().items():
        assert classes[code] == pytest.approx(area, abs=0.05)


def test_one_park_and_a_year_without_supply(sample_db_url):
    got = _figures(sample_db_url, year=2025, park="caijiapo")
    expected = sp.supplied_in(2025)
    assert [e["park"] for e in got["by_park"]] == ["caijiapo"]
    assert got["total"]["parcels"] == int((expected["park"] == "caijiapo").sum())
    empty = _figures(sample_db_url, year=2010)
    assert empty["total"]["parcels"] == 0 and empty["total"]["manufacturing_share"] is None
    assert empty["rows"] == []


def test_a_supply_operation_counts_in_the_year_of_its_change_set(fresh_db_url):
    frame = sp.parcels()
    ready = frame[(frame["status"] == "ready") & (frame["land_use_code"] == "0601")].iloc[0]
    with sr.connect(fresh_db_url) as conn:
        year = conn.execute(text("SELECT extract(year FROM now())::int")).scalar_one()
    before = _figures(fresh_db_url, year=year)
    _apply(
        fresh_db_url,
        {
            "kind": "supply",
            "reason": "出让",
            "operations": [
                {
                    "op": "supply",
                    "parcel_code": ready["parcel_code"],
                    "holder": "宝鸡某公司",
                    "mode": "lease",
                }
            ],
        },
    )
    after = _figures(fresh_db_url, year=year)
    assert after["total"]["parcels"] == before["total"]["parcels"] + 1
    assert after["total"]["area_m2"] == pytest.approx(
        before["total"]["area_m2"] + ready["file_area_m2"], abs=0.05
    )
    assert after["total"]["manufacturing_m2"] == pytest.approx(
        before["total"]["manufacturing_m2"] + ready["file_area_m2"], abs=0.05
    )
    lease = {e["supply_mode"]: e for e in after["by_mode"]}["lease"]
    lease_before = {e["supply_mode"]: e for e in before["by_mode"]}.get("lease", {"parcels": 0})
    assert lease["parcels"] == lease_before["parcels"] + 1


def test_splitting_supplied_land_does_not_count_its_supply_again(fresh_db_url):
    frame = sp.parcels()
    supplied = frame[frame["supplied_on"].notna() & (frame["status"] == "operating")]
    rectangles = supplied[(supplied.geometry.area - supplied.geometry.envelope.area).abs() < 0.01]
    parent = rectangles.iloc[0]
    year = date.fromisoformat(str(parent["supplied_on"])).year
    x0, y0, x1, y1 = parent.geometry.bounds
    xm = (x0 + x1) / 2
    parts = [shapely.box(x0, y0, xm, y1), shapely.box(xm, y0, x1, y1)]
    before = _figures(fresh_db_url, year=year)
    _apply(
        fresh_db_url,
        {
            "kind": "split",
            "reason": "分割",
            "operations": [
                {
                    "op": "split",
                    "parcel_code": parent["parcel_code"],
                    "crs": "EPSG:4545",
                    "parts": [
                        {"parcel_code": f"{parent['parcel_code']}-{i}", "geometry": mapping(p)}
                        for i, p in enumerate(parts, start=1)
                    ],
                }
            ],
        },
    )
    with sr.connect(fresh_db_url) as conn:
        inherited = conn.execute(
            text(
                "SELECT count(*) FROM parcel_version WHERE parcel_code LIKE :c AND supplied_on = :d"
            ),
            {
                "c": f"{parent['parcel_code']}-%",
                "d": date.fromisoformat(str(parent["supplied_on"])),
            },
        ).scalar_one()
    assert inherited == 2  # the parts do carry the supply date…
    after = _figures(fresh_db_url, year=year)
    assert after["total"] == before["total"]  # …and are not counted again


def test_merging_land_supplied_on_one_day_does_not_count_its_supply_again(fresh_db_url):
    frame = sp.parcels()
    supplied = frame[frame["supplied_on"].notna()]
    pair = sorted(
        tuple(sorted(p))
        for p in sp.touching_pairs(supplied)
        if len({tuple(supplied.loc[c, ["supplied_on", "status", "land_use_code"]]) for c in p}) == 1
    )[0]
    year = date.fromisoformat(str(frame.loc[pair[0], "supplied_on"])).year
    before = _figures(fresh_db_url, year=year)
    _apply(
        fresh_db_url,
        {
            "kind": "merge",
            "reason": "合并",
            "operations": [{"op": "merge", "parcel_codes": list(pair), "parcel_code": "M-0001"}],
        },
    )
    with sr.connect(fresh_db_url) as conn:
        kept = conn.execute(
            text("SELECT supplied_on FROM parcel_version WHERE parcel_code = 'M-0001'")
        ).scalar_one()
    assert kept == date.fromisoformat(str(frame.loc[pair[0], "supplied_on"]))  # it keeps it…
    assert _figures(fresh_db_url, year=year)["total"] == before["total"]  # …and isn't counted


@pytest.mark.parametrize("year", [1800, 3000])
def test_a_year_out_of_range_is_refused_naming_it(sample_db_url, year):
    with pytest.raises(InvalidParameter) as caught:
        _figures(sample_db_url, year=year)
    assert caught.value.parameter == "year"

"""Vacant factory floor, floor by floor, against an independent pandas computation from
the sample's buildings and leases (each floor is floor area / storeys; the leases in force
today occupy it)."""

from __future__ import annotations

import pytest
import support_planning as sp
import support_reads as sr
from sqlalchemy import text
from support_roles import owner_url

from parks.errors import InvalidParameter
from service.planning.vacancy import vacancy

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def today(sample_db_url):
    with sr.connect(sample_db_url) as conn:
        return conn.execute(text("SELECT current_date")).scalar_one()


def _floors(result: dict) -> dict[tuple[str, int], dict]:
    return {
        (f["properties"]["building_code"], floor["floor"]): floor
        for f in result["features"]
        for floor in f["properties"]["floors"]
    }


def _vacancy(url: str, **kwargs) -> dict:
    with sr.connect(url) as conn:
        return vacancy(conn, **kwargs)


def test_every_floor_with_free_area_is_listed_with_its_leases(sample_db_url, today):
    expected = sp.floors_today(today)
    free = expected[expected["vacant_m2"] > 0.005]
    got = _floors(_vacancy(sample_db_url))
    assert set(got) == {(r.building_code, r.floor) for r in free.itertuples()}
    for r in free.itertuples():
        floor = got[(r.building_code, r.floor)]
        assert floor["floor_area_m2"] == pytest.approx(r.floor_area_m2, abs=0.006)
        assert floor["leased_m2"] == pytest.approx(r.leased_m2, abs=0.006)
        assert floor["vacant_m2"] == pytest.approx(r.vacant_m2, abs=0.006)
        assert sorted(lease["lease_id"] for lease in floor["leases"]) == r.lease_ids


def test_fully_let_floors_and_buildings_are_left_out_unless_asked_for(sample_db_url, today):
    expected = sp.floors_today(today)
    full = expected[expected["vacant_m2"] <= 0.005]
    assert len(full)  # the sample has fully let floors
    got = _floors(_vacancy(sample_db_url))
    assert not set(got) & {(r.building_code, r.floor) for r in full.itertuples()}
    everything = _floors(_vacancy(sample_db_url, min_vacant_m2=0))
    assert set(everything) == {(r.building_code, r.floor) for r in expected.itertuples()}


def test_2000_m2_free_on_one_floor_in_jiangtan(sample_db_url, today):
    expected = sp.floors_today(today)
    wanted = expected[(expected["park"] == "jiangtan") & (expected["vacant_m2"] >= 2000)]
    result = _vacancy(sample_db_url, park="jiangtan", min_vacant_m2=2000)
    assert len(wanted) and set(_floors(result)) == {
        (r.building_code, r.floor) for r in wanted.itertuples()
    }
    assert {f["properties"]["park"] for f in result["features"]} == {"jiangtan"}
    largest = [max(fl["vacant_m2"] for fl in f["properties"]["floors"]) for f in result["features"]]
    assert largest == sorted(largest, reverse=True)  # the best building first


def test_one_storey_only(sample_db_url, today):
    expected = sp.floors_today(today)
    wanted = expected[(expected["floor"] == 2) & (expected["vacant_m2"] >= 500)]
    got = _floors(_vacancy(sample_db_url, storey=2, min_vacant_m2=500))
    assert len(wanted) and set(got) == {(r.building_code, 2) for r in wanted.itertuples()}


def test_a_buildings_totals_are_the_whole_building(sample_db_url, today):
    expected = sp.floors_today(today)
    totals = expected.groupby("building_code")[["floor_area_m2", "leased_m2", "vacant_m2"]].sum()
    result = _vacancy(sample_db_url, storey=1, min_vacant_m2=0)
    assert len(result["features"]) == len(totals)
    for feature in result["features"]:
        p = feature["properties"]
        row = totals.loc[p["building_code"]]
        assert p["floor_area_m2"] == pytest.approx(row["floor_area_m2"], abs=0.01)
        assert p["leased_m2"] == pytest.approx(row["leased_m2"], abs=0.01)
        assert p["vacant_m2"] == pytest.approx(row["vacant_m2"], abs=0.01)
        assert [fl["floor"] for fl in p["floors"]] == [1]


def test_a_lease_ended_yesterday_frees_its_floor(fresh_db_url):
    # Leases are loaded, not edited by the service: the owner ends one.
    with sr.connect(owner_url(fresh_db_url)) as conn:
        lease = conn.execute(
            text("SELECT lease_id, building_code, floor, leased_m2 FROM lease ORDER BY lease_id")
        ).first()
        before = _floors(vacancy(conn, min_vacant_m2=0))[(lease.building_code, lease.floor)]
        conn.execute(
            text(
                "UPDATE lease SET start_date = least(start_date, current_date - 2), "
                "end_date = current_date - 1 WHERE lease_id = :id"
            ),
            {"id": lease.lease_id},
        )
        conn.commit()
        after = _floors(vacancy(conn, min_vacant_m2=0))[(lease.building_code, lease.floor)]
    assert after["vacant_m2"] == pytest.approx(before["vacant_m2"] + lease.leased_m2, abs=0.01)
    assert lease.lease_id not in {item["lease_id"] for item in after["leases"]}


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"park": "xian"}, "park"),
        ({"min_vacant_m2": -1.0}, "min_vacant_m2"),
        ({"min_vacant_m2": float("nan")}, "min_vacant_m2"),
        ({"storey": 0}, "storey"),
    ],
)
def test_bad_vacancy_questions_are_refused_naming_the_parameter(sample_db_url, kwargs, parameter):
    with pytest.raises(InvalidParameter) as caught:
        _vacancy(sample_db_url, **kwargs)
    assert caught.value.parameter == parameter

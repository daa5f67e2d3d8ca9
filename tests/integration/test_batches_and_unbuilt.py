"""批而未供, 供而未用 and 用而未尽 on real PostGIS: approval batches with their supplied and
unsupplied land, the disposal rate, batches at risk of lapsing, supplied land not started
by its agreed date and completed land under its minimum plot ratio. Each test writes its
own records with put_versions on a fresh copy of the loaded sample — on parcels the
sample's own supervision records leave alone, under its own batch and contract numbers —
and works the expected figures out by hand; totals are compared before and after it
wrote them. The last test recounts the sample's own records in plain Python."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import support_supply as s
from sqlalchemy import text

from parks.errors import InvalidParameter
from service.db.engine import make_engine
from service.supervision.batches import batches
from service.supervision.unbuilt import unbuilt

pytestmark = pytest.mark.integration


@pytest.fixture
def url(fresh_db_url):
    return fresh_db_url


@pytest.fixture
def free(url) -> s.FreeParcels:
    return s.prepare(url)


def _batches(url: str, **kwargs) -> dict:
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as conn:
            return batches(conn, **kwargs)
    finally:
        engine.dispose()


def _unbuilt(url: str, **kwargs) -> dict:
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as conn:
            return unbuilt(conn, **kwargs)
    finally:
        engine.dispose()


def _mine(rows: list[dict], key: str, *names: str) -> dict[str, dict]:
    """The rows whose *key* is one of *names* (the test's own records), by that key."""
    return {r[key]: r for r in rows if r[key] in names}


def _added(after: dict, before: dict, *fields: str) -> dict[str, float]:
    """What the test's records added to a summary (a cohort, a park, the totals)."""
    return {f: after.get(f, 0) - before.get(f, 0) for f in fields}


AREAS = ("batches", "approved_area_m2", "supplied_area_m2", "unsupplied_area_m2", "at_risk_batches")


def _one_batch(url: str, free: s.FreeParcels) -> tuple[str, str, str]:
    """Batch P-1 in Jiangtan, approved 2023-05-10 for 100,000 m²: 30,000 m² in parcel a
    (contract signed 2023-08-01), 20,000 m² in b (signed 2024-02-01, and a second
    contract on it signed 2024-03-01), 25,000 m² in c (no contract)."""
    a, b, c = free.jiangtan[:3]
    s.put(
        url,
        approval_batch=[
            s.batch("P-1", approved_on=date(2023, 5, 10), approved_area_m2=100_000),
        ],
        approval_batch_parcel=[
            s.batch_parcel("P-1", a, 30_000),
            s.batch_parcel("P-1", b, 20_000),
            s.batch_parcel("P-1", c, 25_000),
        ],
        supply_contract=[
            s.contract("C-1", a, signed_on=date(2023, 8, 1)),
            s.contract("C-2", b, signed_on=date(2024, 2, 1)),
            s.contract("C-2B", b, signed_on=date(2024, 3, 1)),
        ],
    )
    return a, b, c


# --- 批而未供 ------------------------------------------------------------------------------


def test_disposal_rate_is_supplied_over_approved_on_a_hand_made_batch(url, free):
    _one_batch(url, free)
    body = _batches(url, as_of=date(2024, 6, 30))
    row = _mine(body["batches"], "batch_no", "P-1")["P-1"]
    # supplied: a 30,000 + b 20,000 (once, though b has two contracts)
    assert row["park"] == "jiangtan" and row["kind"] == "conversion_expropriation"
    assert row["approved_area_m2"] == 100_000 and row["approved_area_mu"] == 150
    assert row["supplied_area_m2"] == 50_000 and row["supplied_area_mu"] == 75
    assert row["unsupplied_area_m2"] == 50_000 and row["unsupplied_area_mu"] == 75
    assert row["disposal_rate"] == 0.5
    assert row["parcels"] == 3 and row["parcels_supplied"] == 2
    assert row["approved_on"] == "2023-05-10"
    # 21 days left of May 2023, June 2023 … May 2024 (2024 a leap year), 30 days of June
    assert (
        row["age_days"] == 21 + (30 + 31 + 31 + 30 + 31 + 30 + 31) + (31 + 29 + 31 + 30 + 31) + 30
    )
    assert row["at_risk"] is False


def test_a_contract_signed_after_as_of_does_not_count_as_supplied(url, free):
    _one_batch(url, free)
    # on 2024-01-31 only C-1 (2023-08-01) is signed; C-2 comes the next day
    row = _mine(_batches(url, as_of=date(2024, 1, 31))["batches"], "batch_no", "P-1")["P-1"]
    assert row["supplied_area_m2"] == 30_000 and row["disposal_rate"] == 0.3
    assert row["unsupplied_area_m2"] == 70_000
    row = _mine(_batches(url, as_of=date(2024, 2, 1))["batches"], "batch_no", "P-1")["P-1"]
    assert row["supplied_area_m2"] == 50_000


def test_a_batch_approved_after_as_of_is_not_there_yet(url, free):
    before = _batches(url, as_of=date(2023, 5, 9))
    _one_batch(url, free)
    body = _batches(url, as_of=date(2023, 5, 9))
    assert _mine(body["batches"], "batch_no", "P-1") == {}
    assert body["totals"] == before["totals"]
    assert _mine(_batches(url, as_of=date(2023, 5, 10))["batches"], "batch_no", "P-1")


def test_a_batch_two_years_and_a_day_old_with_unsupplied_land_is_at_risk_two_years_exactly_is_not(
    url, free
):
    a, b = free.jiangtan[:2]
    # approved 2021-03-01: two years later is 2023-03-01, 730 days on (no 29 February between)
    s.put(
        url,
        approval_batch=[
            s.batch("OLD", approved_on=date(2021, 3, 1), approved_area_m2=40_000),
            s.batch("DONE", approved_on=date(2021, 3, 1), approved_area_m2=20_000),
        ],
        approval_batch_parcel=[
            s.batch_parcel("OLD", a, 10_000),
            s.batch_parcel("DONE", b, 20_000),
        ],
        supply_contract=[
            s.contract("C-OLD", a, signed_on=date(2021, 6, 1)),
            s.contract("C-DONE", b, signed_on=date(2021, 6, 1)),
        ],
    )
    exactly = _mine(_batches(url, as_of=date(2023, 3, 1))["batches"], "batch_no", "OLD")
    assert exactly["OLD"]["age_days"] == 730 and exactly["OLD"]["at_risk"] is False
    body = _batches(url, as_of=date(2023, 3, 2))
    a_day_more = _mine(body["batches"], "batch_no", "OLD", "DONE")
    assert a_day_more["OLD"]["age_days"] == 731 and a_day_more["OLD"]["at_risk"] is True
    assert a_day_more["OLD"]["lapse_on"] == "2023-03-02"
    # every m² of DONE is supplied: old, but nothing to lapse
    assert a_day_more["DONE"]["unsupplied_area_m2"] == 0 and a_day_more["DONE"]["at_risk"] is False
    at_risk = _batches(url, as_of=date(2023, 3, 2), at_risk=True)
    assert "OLD" in _mine(at_risk["batches"], "batch_no", "OLD", "DONE")
    assert "DONE" not in _mine(at_risk["batches"], "batch_no", "OLD", "DONE")
    assert all(b["at_risk"] for b in at_risk["batches"])
    assert at_risk["totals"] == body["totals"]  # the totals cover every batch
    not_at_risk = _batches(url, as_of=date(2023, 3, 2), at_risk=False)
    assert list(_mine(not_at_risk["batches"], "batch_no", "OLD", "DONE")) == ["DONE"]
    assert not any(b["at_risk"] for b in not_at_risk["batches"])


def test_batches_at_risk_add_their_unsupplied_land_to_the_totals_at_risk(url, free):
    as_of = date(2023, 3, 2)
    before = _batches(url, as_of=as_of)["totals"]
    s.put(
        url,
        approval_batch=[s.batch("OLD", approved_on=date(2021, 3, 1), approved_area_m2=40_000)],
        approval_batch_parcel=[s.batch_parcel("OLD", free.jiangtan[0], 10_000)],
        supply_contract=[s.contract("C-OLD", free.jiangtan[0], signed_on=date(2021, 6, 1))],
    )
    after = _batches(url, as_of=as_of)["totals"]
    added = _added(after, before, "at_risk_batches", "at_risk_unsupplied_area_m2")
    assert added["at_risk_batches"] == 1
    assert added["at_risk_unsupplied_area_m2"] == pytest.approx(30_000, abs=0.02)


def test_the_lapse_period_is_a_setting(url):
    s.put(
        url,
        approval_batch=[s.batch("B", approved_on=date(2024, 1, 1), approved_area_m2=10_000)],
    )
    row = _mine(_batches(url, as_of=date(2025, 1, 2))["batches"], "batch_no", "B")["B"]
    assert row["at_risk"] is False
    s.put(url, supervision_setting=[s.setting("batches.lapse_days", 365)])
    body = _batches(url, as_of=date(2025, 1, 2))
    assert body["lapse_days"] == 365
    row = _mine(body["batches"], "batch_no", "B")["B"]
    # 2024 is a leap year: 2024-01-01 + 366 days = 2025-01-01, 367 days to 2025-01-02
    assert row["age_days"] == 367 and row["at_risk"] is True


def test_cohorts_parks_and_totals_add_up_their_batches(url, free):
    as_of = date(2024, 12, 31)
    before = _batches(url, as_of=as_of)
    j1, j2, j3 = free.jiangtan[:3]
    g1, g2 = free.gaoxin[:2]
    s.put(
        url,
        approval_batch=[
            s.batch("J21", approved_on=date(2021, 4, 1), approved_area_m2=60_000),
            s.batch("J23", approved_on=date(2023, 4, 1), approved_area_m2=30_000),
            s.batch("G21", park="gaoxin", approved_on=date(2021, 9, 1), approved_area_m2=40_000),
        ],
        approval_batch_parcel=[
            s.batch_parcel("J21", j1, 15_000),
            s.batch_parcel("J21", j2, 45_000),
            s.batch_parcel("J23", j3, 30_000),
            s.batch_parcel("G21", g1, 10_000),
            s.batch_parcel("G21", g2, 30_000),
        ],
        supply_contract=[
            s.contract("CJ1", j1, signed_on=date(2021, 8, 1)),
            s.contract("CJ3", j3, signed_on=date(2023, 9, 1)),
            s.contract("CG1", g1, park="gaoxin", signed_on=date(2022, 1, 5)),
        ],
    )
    body = _batches(url, as_of=as_of)
    listed = [b["batch_no"] for b in body["batches"]]
    assert [n for n in listed if n in {"J21", "J23", "G21"}] == ["J21", "G21", "J23"]
    assert [b["approved_on"] for b in body["batches"]] == sorted(
        b["approved_on"] for b in body["batches"]
    )
    years_before = {c["year"]: c for c in before["by_year"]}
    years = {c["year"]: c for c in body["by_year"]}
    # 2021: J21 (60,000 approved, 15,000 supplied) and G21 (40,000, 10,000), both over
    # 730 days old with land unsupplied
    assert _added(years[2021], years_before.get(2021, {}), *AREAS) == {
        "batches": 2,
        "approved_area_m2": pytest.approx(100_000, abs=0.02),
        "supplied_area_m2": pytest.approx(25_000, abs=0.02),
        "unsupplied_area_m2": pytest.approx(75_000, abs=0.02),
        "at_risk_batches": 2,
    }
    # 2023: J23 all supplied
    assert _added(years[2023], years_before.get(2023, {}), *AREAS) == {
        "batches": 1,
        "approved_area_m2": pytest.approx(30_000, abs=0.02),
        "supplied_area_m2": pytest.approx(30_000, abs=0.02),
        "unsupplied_area_m2": pytest.approx(0, abs=0.02),
        "at_risk_batches": 0,
    }
    parks_before = {p["park"]: p for p in before["by_park"]}
    parks = {p["park"]: p for p in body["by_park"]}
    assert _added(parks["jiangtan"], parks_before.get("jiangtan", {}), *AREAS)[
        "approved_area_m2"
    ] == pytest.approx(90_000, abs=0.02)
    assert _added(parks["gaoxin"], parks_before.get("gaoxin", {}), *AREAS)[
        "supplied_area_m2"
    ] == pytest.approx(10_000, abs=0.02)
    assert _added(body["totals"], before["totals"], *AREAS) == {
        "batches": 3,
        "approved_area_m2": pytest.approx(130_000, abs=0.02),
        "supplied_area_m2": pytest.approx(55_000, abs=0.02),
        "unsupplied_area_m2": pytest.approx(75_000, abs=0.02),
        "at_risk_batches": 2,
    }
    for summary in [body["totals"], *body["by_year"], *body["by_park"]]:
        # the rate of a summary is that of its sums, and 亩 are m² × 15 / 10,000
        assert summary["disposal_rate"] == pytest.approx(
            summary["supplied_area_m2"] / summary["approved_area_m2"], abs=1e-6
        )
        assert summary["unsupplied_area_mu"] == pytest.approx(
            summary["unsupplied_area_m2"] * 15 / 10_000, abs=1e-3
        )
    gaoxin = _batches(url, as_of=as_of, park="gaoxin")
    assert gaoxin["park"] == "gaoxin" and {b["park"] for b in gaoxin["batches"]} == {"gaoxin"}
    assert "G21" in [b["batch_no"] for b in gaoxin["batches"]]
    assert [p["park"] for p in gaoxin["by_park"]] == ["gaoxin"]


def test_an_unknown_park_is_refused_naming_the_parameter(url):
    with pytest.raises(InvalidParameter) as refused:
        _batches(url, as_of=date(2024, 1, 1), park="xian")
    assert refused.value.parameter == "park"
    with pytest.raises(InvalidParameter) as refused:
        _unbuilt(url, as_of=date(2024, 1, 1), park="xian")
    assert refused.value.parameter == "park"


# --- 供而未用 ------------------------------------------------------------------------------


def test_a_parcel_not_started_is_unstarted_from_the_day_after_its_agreed_start(url, free):
    agreed = date(2023, 6, 1)
    before = _unbuilt(url, as_of=agreed + timedelta(days=1))["totals"]
    s.put(
        url,
        supply_contract=[
            s.contract(
                "LATE",
                free.jiangtan[0],
                signed_on=date(2023, 1, 10),
                agreed_start_on=agreed,
                land_area_m2=12_000,
            )
        ],
    )
    assert _mine(_unbuilt(url, as_of=agreed)["unstarted"], "contract_no", "LATE") == {}
    body = _unbuilt(url, as_of=agreed + timedelta(days=1))
    row = _mine(body["unstarted"], "contract_no", "LATE")["LATE"]
    assert row["parcel_code"] == free.jiangtan[0]
    assert row["park"] == "jiangtan" and row["holder"] == "宝鸡测试制造有限公司"
    assert row["agreed_start_on"] == "2023-06-01" and row["days_late"] == 1
    assert row["land_area_m2"] == 12_000 and row["land_area_mu"] == 18
    added = _added(body["totals"], before, "unstarted", "unstarted_area_m2")
    assert added["unstarted"] == 1
    assert added["unstarted_area_m2"] == pytest.approx(12_000, abs=0.02)
    later = _unbuilt(url, as_of=date(2024, 6, 1))["unstarted"]
    assert _mine(later, "contract_no", "LATE")["LATE"]["days_late"] == 366  # 2024: leap


def test_a_start_reported_by_as_of_takes_land_off_the_unstarted_list_a_later_one_does_not(
    url, free
):
    s.put(
        url,
        supply_contract=[
            s.contract("STARTED", free.jiangtan[0], agreed_start_on=date(2023, 6, 1)),
            s.contract("LATER", free.jiangtan[1], agreed_start_on=date(2023, 6, 1)),
            s.contract(
                "OTHER_PARK", free.gaoxin[0], park="gaoxin", agreed_start_on=date(2023, 6, 1)
            ),
        ],
        site_progress=[
            s.progress("STARTED", date(2023, 7, 15), "start", investment_wan=100),
            s.progress("LATER", date(2023, 12, 1), "start", investment_wan=100),
        ],
    )
    mine = ("STARTED", "LATER", "OTHER_PARK")
    body = _unbuilt(url, as_of=date(2023, 9, 1))
    assert sorted(_mine(body["unstarted"], "contract_no", *mine)) == ["LATER", "OTHER_PARK"]
    body = _unbuilt(url, as_of=date(2023, 12, 1))
    assert sorted(_mine(body["unstarted"], "contract_no", *mine)) == ["OTHER_PARK"]
    jiangtan = _unbuilt(url, as_of=date(2023, 9, 1), park="jiangtan")
    assert sorted(_mine(jiangtan["unstarted"], "contract_no", *mine)) == ["LATER"]
    assert {u["park"] for u in jiangtan["unstarted"]} == {"jiangtan"}
    assert [u["days_late"] for u in body["unstarted"]] == sorted(
        (u["days_late"] for u in body["unstarted"]), reverse=True
    )


def test_a_contract_signed_after_as_of_is_not_supplied_land_yet(url, free):
    s.put(
        url,
        supply_contract=[
            s.contract(
                "FUTURE",
                free.jiangtan[0],
                signed_on=date(2024, 1, 1),
                agreed_start_on=date(2024, 1, 1),
            )
        ],
    )
    assert (
        _mine(_unbuilt(url, as_of=date(2023, 12, 31))["unstarted"], "contract_no", "FUTURE") == {}
    )
    later = _unbuilt(url, as_of=date(2024, 1, 2))["unstarted"]
    assert _mine(later, "contract_no", "FUTURE")["FUTURE"]["days_late"] == 1


# --- 用而未尽 ------------------------------------------------------------------------------


def test_a_completion_at_plot_ratio_0_9_against_min_1_0_is_underbuilt_short_by_0_1(url, free):
    a, b, c, d = free.jiangtan[:4]
    before = _unbuilt(url, as_of=date(2024, 12, 31))["totals"]
    s.put(
        url,
        supply_contract=[
            s.contract("LOW", a, plot_ratio_min=1.0, land_area_m2=20_000),
            s.contract("OK", b, plot_ratio_min=1.0),
            s.contract("NO_MIN", c, plot_ratio_min=None),
            s.contract("NOT_YET", d, plot_ratio_min=1.0),
        ],
        site_progress=[
            s.progress("LOW", date(2022, 10, 1), "start"),
            s.progress("LOW", date(2024, 8, 20), "completion", plot_ratio=0.9),
            s.progress("OK", date(2022, 10, 1), "start"),
            s.progress("OK", date(2024, 8, 20), "completion", plot_ratio=1.0),
            s.progress("NO_MIN", date(2022, 10, 1), "start"),
            s.progress("NO_MIN", date(2024, 8, 20), "completion", plot_ratio=0.4),
            s.progress("NOT_YET", date(2022, 10, 1), "start"),
            s.progress("NOT_YET", date(2025, 3, 1), "completion", plot_ratio=0.5),
        ],
    )
    mine = ("LOW", "OK", "NO_MIN", "NOT_YET")
    body = _unbuilt(url, as_of=date(2024, 12, 31))
    found = _mine(body["underbuilt"], "contract_no", *mine)
    assert list(found) == ["LOW"]
    row = found["LOW"]
    assert row["parcel_code"] == a and row["completed_on"] == "2024-08-20"
    assert row["plot_ratio_min"] == 1.0 and row["plot_ratio"] == 0.9
    assert row["short_by"] == 0.1
    assert row["land_area_m2"] == 20_000 and row["land_area_mu"] == 30
    added = _added(body["totals"], before, "underbuilt", "underbuilt_area_m2")
    assert added["underbuilt"] == 1
    assert added["underbuilt_area_m2"] == pytest.approx(20_000, abs=0.02)
    assert _mine(body["unstarted"], "contract_no", *mine) == {}  # every one has started
    later = _unbuilt(url, as_of=date(2025, 3, 1))["underbuilt"]
    # the larger shortfall first: NOT_YET (1.0 − 0.5) before LOW (1.0 − 0.9)
    assert [r["contract_no"] for r in later if r["contract_no"] in mine] == ["NOT_YET", "LOW"]
    assert _mine(later, "contract_no", "NOT_YET")["NOT_YET"]["short_by"] == 0.5
    assert [r["short_by"] for r in later] == sorted((r["short_by"] for r in later), reverse=True)


# --- the sample's own records, recounted plainly ---------------------------------------------


def test_the_samples_own_batches_and_unbuilt_land_agree_with_a_plain_recount(sample_db_url):
    """Whatever supervision records the loaded sample carries (none, or the generator's),
    the lists agree with a recount in plain Python over the standing rows."""
    as_of = date(2026, 10, 31)
    engine = make_engine(sample_db_url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as conn:
            standing = {
                table: [
                    dict(r)
                    for r in conn.execute(
                        text(f"SELECT * FROM {table} WHERE valid_to IS NULL")
                    ).mappings()
                ]
                for table in ("approval_batch", "approval_batch_parcel", "supply_contract")
            }
            progress = [
                dict(r)
                for r in conn.execute(
                    text("SELECT * FROM site_progress WHERE valid_to IS NULL")
                ).mappings()
            ]
            found = batches(conn, as_of=as_of)
            land = unbuilt(conn, as_of=as_of)
    finally:
        engine.dispose()
    supplied_parcels = {
        c["parcel_code"] for c in standing["supply_contract"] if c["signed_on"] <= as_of
    }
    expected = {}
    for b in standing["approval_batch"]:
        if b["approved_on"] > as_of:
            continue
        supplied = sum(
            p["area_m2"]
            for p in standing["approval_batch_parcel"]
            if p["batch_no"] == b["batch_no"] and p["parcel_code"] in supplied_parcels
        )
        unsupplied = max(b["approved_area_m2"] - supplied, 0)
        expected[b["batch_no"]] = (
            supplied,
            (as_of - b["approved_on"]).days > 730 and unsupplied > 0,
        )
    got = {b["batch_no"]: (b["supplied_area_m2"], b["at_risk"]) for b in found["batches"]}
    assert set(got) == set(expected)
    for batch_no, (supplied, at_risk) in expected.items():
        assert got[batch_no][0] == pytest.approx(supplied, abs=0.01), batch_no
        assert got[batch_no][1] is at_risk, batch_no
    started = {
        p["contract_no"]
        for p in progress
        if p["kind"] in ("start", "completion") and p["reported_on"] <= as_of
    }
    late = {
        c["contract_no"]
        for c in standing["supply_contract"]
        if c["signed_on"] <= as_of
        and c["agreed_start_on"] < as_of
        and c["contract_no"] not in started
    }
    assert {u["contract_no"] for u in land["unstarted"]} == late

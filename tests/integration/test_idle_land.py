"""The idle-land list from PostGIS (service/supervision/sql/idle_land.sql) proves the rule on
the same hand-computed cases as the Python reference (tests/support_idle.py), written onto
real sample parcels in change sets: a year not started is idle, the day before a warning,
90 days before it the warning starts; two years: for decision, the fee 20 % of the price;
a government delay stops the clock; the ⅓ and 25 % tests; a resumption stops the stalled
clock; completed land is never idle; an admin's setting changes the stage. Then the SQL
and the reference agree on every contract of the database (the sample's, these, and 40
varied ones drawn at random) on several days."""

from __future__ import annotations

import dataclasses
import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
import support_idle as si
from sqlalchemy import text
from support_roles import app_url

from parks.errors import InvalidParameter
from parks.supervision.idle import Contract, Delay, IdleClock, Progress, Thresholds, idle_clock
from service.audit.verify import verify
from service.db.engine import make_engine
from service.supervision.idle import ROW_KEYS, idle_land, idle_land_body, idle_rows

pytestmark = pytest.mark.integration

D = date.fromisoformat


@pytest.fixture(scope="module")
def cases_engine(databases, loaded_template):
    """A copy of the sample with the hand-computed sites written (reads only after)."""
    engine = make_engine(app_url(databases.create(template=loaded_template)))
    si.write_sites(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def settings_engine(databases, loaded_template):
    """A copy of the sample with the sites and an admin's override idle.warning_days = 30."""
    engine = make_engine(app_url(databases.create(template=loaded_template)))
    si.write_sites(engine, settings={"idle.warning_days": 30})
    yield engine
    engine.dispose()


def _row(engine, case: si.Case) -> dict | None:
    with engine.connect() as conn:
        rows = idle_land(conn, as_of=case.as_of)
    return next((r for r in rows if r["contract_no"] == case.contract_no), None)


@pytest.mark.parametrize("case", si.CASES, ids=[c.rule for c in si.CASES])
def test_the_idle_land_rule_in_postgis_on_hand_computed_cases(
    cases_engine, settings_engine, case: si.Case
):
    assert set(case.settings) <= {"idle.warning_days"}  # the one override written
    row = _row(settings_engine if case.settings else cases_engine, case)
    if case.expected is None:
        assert row is None, row
        return
    assert row is not None, f"{case.contract_no} is not listed on {case.as_of}"
    assert {key: row[key] for key in case.expected} == case.expected


def test_a_row_has_the_contract_keys_the_parcel_and_the_land_in_mu(cases_engine):
    with cases_engine.connect() as conn:
        rows = idle_land(conn, as_of=D("2022-07-01"))
        parcel = conn.execute(
            text(
                "SELECT p.parcel_code, p.park, p.holder FROM supply_contract c "
                "JOIN parcel_version p ON p.parcel_code = c.parcel_code AND p.valid_to IS NULL "
                "WHERE c.contract_no = 'IDLE-STALL' AND c.valid_to IS NULL"
            )
        ).one()
    row = next(r for r in rows if r["contract_no"] == "IDLE-STALL")
    assert tuple(row) == ROW_KEYS
    assert (row["parcel_code"], row["park"]) == (parcel.parcel_code, parcel.park)
    assert row["holder"] == (parcel.holder or "试验企业")
    assert row["land_area_m2"] == 30_000.0 and row["land_area_mu"] == 45.0  # 30000 × 15 / 1e4
    assert row["price_wan"] == 612.37 and row["agreed_start_on"] == si.AGREED_START


def test_the_list_is_idle_2y_first_then_by_days_on_the_clock(cases_engine):
    with cases_engine.connect() as conn:
        rows = idle_land(conn, as_of=D("2023-03-01"))
    order = {"idle_2y": 0, "idle_1y": 1, "warning": 2}
    keys = [(order[r["stage"]], -r["days_on_clock"]) for r in rows]
    assert keys == sorted(keys) and {r["stage"] for r in rows} == set(order)


def test_the_list_keeps_to_the_stage_and_the_park_asked_for(cases_engine):
    day = D("2022-07-01")
    with cases_engine.connect() as conn:
        every = idle_land(conn, as_of=day)
        idle = idle_land(conn, as_of=day, stage="idle_1y")
        park = every[0]["park"]
        in_park = idle_land(conn, as_of=day, park=park)
    assert idle == [r for r in every if r["stage"] == "idle_1y"] and idle
    assert in_park == [r for r in every if r["park"] == park] and in_park


def test_the_body_sums_the_fees_and_the_land_by_stage(cases_engine):
    day = D("2022-07-01")
    with cases_engine.connect() as conn:
        body = idle_land_body(conn, as_of=day)
        rows = idle_land(conn, as_of=day)
    ours = {r["contract_no"]: r for r in rows if r["contract_no"].startswith("IDLE-")}
    # hand-counted on 2022-07-01: no start: IDLE-NS (487 days), -DELAY, -DELAY-EARLY,
    # -DELAY-OVERLAP idle; -DELAY-OPEN warning (306); stalled: -STALL, -INVEST-SHORT,
    # -SUSPENDED-TWICE, -NO-AMOUNTS idle; -STALL-DELAY warning (334)
    idle_1y = {
        "IDLE-NS",
        "IDLE-DELAY",
        "IDLE-DELAY-EARLY",
        "IDLE-DELAY-OVERLAP",
        "IDLE-STALL",
        "IDLE-INVEST-SHORT",
        "IDLE-SUSPENDED-TWICE",
        "IDLE-NO-AMOUNTS",
    }
    assert {no for no, r in ours.items() if r["stage"] == "idle_1y"} == idle_1y
    assert {no for no, r in ours.items() if r["stage"] == "warning"} == {
        "IDLE-DELAY-OPEN",
        "IDLE-STALL-DELAY",
    }
    assert body["counts"] == {
        s: sum(1 for r in rows if r["stage"] == s) for s in ("warning", "idle_1y", "idle_2y")
    }
    others = sum(Decimal(str(r["fee_wan"])) for r in rows if r["contract_no"] not in ours)
    assert Decimal(str(body["fee_wan_total"])) == others + 8 * Decimal("122.47")
    assert body["settings"]["idle.warning_days"] == 90 and all(
        k.startswith("idle.") for k in body["settings"]
    )
    assert [p["contract_no"] for p in body["parcels"]] == [r["contract_no"] for r in rows]
    assert body["area_mu_by_stage"]["idle_1y"] == pytest.approx(
        body["area_m2_by_stage"]["idle_1y"] * 15 / 10000
    )


def test_writing_the_cases_kept_the_ledger_verifiable(cases_engine):
    with cases_engine.connect() as conn:
        assert verify(conn).ok


# --- the SQL agrees with the reference on every contract -----------------------------------------


def _random_sites(rng: random.Random, count: int) -> dict[str, si.Site]:
    """*count* varied sites: not started, started and working, stalled short of the ⅓ or
    25 % test, resumed, completed; delays closed, open, overlapping."""
    sites = {}
    for i in range(count):
        agreed = D("2019-01-01") + timedelta(days=rng.randrange(0, 5 * 365))
        events: list[tuple] = []
        day = agreed + timedelta(days=rng.randrange(-60, 500))
        if rng.random() < 0.75:  # started
            developed, invested = 0.0, 0
            events.append((day.isoformat(), "start", rng.choice([None, 0.0]), None))
            for _ in range(rng.randrange(0, 7)):
                day += timedelta(days=rng.randrange(1, 200))
                kind = rng.choice(["report", "report", "suspension", "suspension", "resumption"])
                if kind == "report" or rng.random() < 0.3:
                    developed += rng.choice([0.0, 2_000.0, 5_000.0, 10_000.0])
                    invested += rng.choice([0, 200, 750, 1000])
                    amounts = (developed, str(invested))
                else:
                    amounts = (None, None)
                events.append((day.isoformat(), kind, *amounts))
            if rng.random() < 0.15:
                day += timedelta(days=rng.randrange(1, 300))
                events.append((day.isoformat(), "completion", 30_000.0, "3000"))
        delays = []
        for _ in range(rng.choice([0, 0, 1, 2, 3])):
            first = agreed + timedelta(days=rng.randrange(-100, 900))
            last = None if rng.random() < 0.25 else first + timedelta(days=rng.randrange(0, 200))
            delays.append((first.isoformat(), None if last is None else last.isoformat()))
        # one standing record per key
        events = list({(e[0], e[1]): e for e in events}.values())
        delays = list({d[0]: d for d in delays}.values())
        sites[f"XCHK-{i:03d}"] = si.Site(
            events=tuple(events), delays=tuple(delays), agreed_start_on=agreed
        )
    return sites


@pytest.fixture(scope="module")
def crosscheck_engine(databases, loaded_template):
    """A copy of the sample with the hand-computed sites and 40 random ones."""
    engine = make_engine(app_url(databases.create(template=loaded_template)))
    si.write_sites(engine)
    sites = _random_sites(random.Random(20261207), 40)
    with engine.connect() as conn:
        parcels = si.land_parcels(conn, len(sites))
    contracts, progress, delays = [], [], []
    for (no, site), parcel in zip(sites.items(), parcels, strict=True):
        contracts.append(si.contract_row(no, parcel, agreed_start_on=site.agreed_start_on))
        progress += [si.progress_row(no, *event) for event in site.events]
        delays += [si.delay_row(no, first, last) for first, last in site.delays]
    si.write_records(engine, contracts, progress, delays)
    yield engine
    engine.dispose()


def _reference(conn, as_of: date, thresholds: Thresholds) -> dict[str, dict]:
    """Every standing contract's clock by the Python reference, as the list's rows."""
    contracts = conn.execute(
        text(
            "SELECT contract_no, land_area_m2, price_wan, agreed_start_on, "
            "committed_investment_wan FROM supply_contract WHERE valid_to IS NULL"
        )
    ).all()
    events: dict[str, list[Progress]] = {}
    for r in conn.execute(
        text(
            "SELECT contract_no, reported_on, kind, developed_area_m2, investment_wan "
            "FROM site_progress WHERE valid_to IS NULL"
        )
    ):
        events.setdefault(r.contract_no, []).append(
            Progress(r.reported_on, r.kind, r.developed_area_m2, r.investment_wan)
        )
    delays: dict[str, list[Delay]] = {}
    for r in conn.execute(
        text("SELECT contract_no, delay_from, delay_to FROM idle_delay WHERE valid_to IS NULL")
    ):
        delays.setdefault(r.contract_no, []).append(Delay(r.delay_from, r.delay_to))
    out = {}
    for c in contracts:
        clock = idle_clock(
            Contract(*c),
            events.get(c.contract_no, []),
            delays.get(c.contract_no, []),
            as_of=as_of,
            settings=thresholds,
        )
        if clock is not None and clock.stage is not None:
            out[c.contract_no] = {k: getattr(clock, k) for k in _CLOCK_KEYS}
    return out


#: What the reference computes of a clock (its contract number is the key).
_CLOCK_KEYS = tuple(f.name for f in dataclasses.fields(IdleClock) if f.name != "contract_no")


DAYS = [
    "2019-06-01",
    "2020-12-31",
    "2021-07-01",
    "2022-03-01",
    "2023-03-15",
    "2024-12-31",
    "2026-06-30",
    "9999-12-31",
]


@pytest.mark.parametrize("day", DAYS)
def test_the_sql_and_the_python_reference_agree_on_every_contract(crosscheck_engine, day):
    as_of = D(day)
    with crosscheck_engine.connect() as conn:
        expected = _reference(conn, as_of, Thresholds())
        rows = idle_land(conn, as_of=as_of)
    got = {r["contract_no"]: {k: r[k] for k in _CLOCK_KEYS} for r in rows}
    assert got == expected


def test_the_cross_check_covers_every_stage_and_both_clocks(crosscheck_engine):
    seen = set()
    with crosscheck_engine.connect() as conn:
        for day in DAYS:
            seen |= {
                (r["clock"], r["stage"], r["delay_days"] > 0)
                for r in idle_land(conn, as_of=D(day))
                if r["contract_no"].startswith("XCHK-")
            }
    clocks = {c for c, _, _ in seen}
    stages = {s for _, s, _ in seen}
    assert clocks == {"no_start", "stalled"} and stages == {"warning", "idle_1y", "idle_2y"}
    assert any(delayed for _, _, delayed in seen)


def test_the_sql_and_the_python_reference_agree_every_37_days_and_with_other_settings(
    crosscheck_engine,
):
    settings = [
        Thresholds(),
        Thresholds(warning_days=30, no_start_days=400, stopped_days=200, recovery_days=600),
        Thresholds(developed_share_min=0.5, investment_share_min=0.4, fee_share_of_price=0.15),
        # a warning longer than the thresholds, recovery at once, investment alone decides
        Thresholds(
            no_start_days=100,
            stopped_days=50,
            warning_days=200,
            recovery_days=0,
            developed_share_min=0.0,
            investment_share_min=1.0,
        ),
    ]
    day, checked = D("2019-01-01"), 0
    with crosscheck_engine.connect() as conn:
        while day < D("2027-01-01"):
            for thresholds in settings:
                expected = _reference(conn, day, thresholds)
                rows = idle_rows(conn, as_of=day, park=None, stage=None, thresholds=thresholds)
                got = {r["contract_no"]: {k: r[k] for k in _CLOCK_KEYS} for r in rows}
                assert got == expected, (day, thresholds)
                checked += len(rows)
            day += timedelta(days=37)
    assert checked > 1000


def test_an_unknown_stage_is_refused_naming_it(cases_engine):
    with cases_engine.connect() as conn, pytest.raises(InvalidParameter) as refused:
        idle_land(conn, as_of=D("2022-07-01"), stage="idle_3y")
    assert refused.value.parameter == "stage"

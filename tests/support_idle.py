"""Hand-computed idle-land cases, shared by the rule's unit tests (the Python reference,
parks.supervision.idle) and its integration tests (the SQL on PostGIS): the same
contracts, the same days, the same expected clocks.

Every contract has 30,000 m² of land, a price of 612.37 万元 (the fee at 20 %:
612.37 / 5 = 122.474 → 122.47), 3,000 万元 of committed investment (25 %: 750) and agreed
to start on 2021-03-01. Counted by hand from 2021-03-01 (2021, 2022 and 2023 are not leap
years): +274 days = 2021-11-30, +275 = 2021-12-01 (Mar 31 + Apr 30 + May 31 + Jun 30 +
Jul 31 + Aug 31 + Sep 30 + Oct 31 + Nov 30), +364 = 2022-02-28, +365 = 2022-03-01, +729 =
2023-02-28, +730 = 2023-03-01. From 2021-07-01: +364 = 2022-06-30, +365 = 2022-07-01, +730
= 2023-07-01.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

D = date.fromisoformat

LAND_M2 = 30_000.0
PRICE_WAN = "612.37"
FEE_WAN = 122.47
COMMITTED_WAN = "3000.00"
AGREED_START = D("2021-03-01")
SIGNED = D("2021-01-15")


@dataclass(frozen=True)
class Site:
    """A contract's events (reported_on, kind, developed m², investment 万元) and its
    delays (from, to or None), and its agreed start when not 2021-03-01."""

    events: tuple[tuple[str, str, float | None, str | None], ...] = ()
    delays: tuple[tuple[str, str | None], ...] = ()
    agreed_start_on: date = AGREED_START


_STARTED = ("2021-03-01", "start", 0.0, "0")
_STALLED = (
    _STARTED,
    ("2021-06-01", "report", 9_000.0, "1000"),  # 0.3 of the land (< ⅓), 1/3 invested
    ("2021-07-01", "suspension", None, None),
)

#: contract number -> what happened on its land
SITES: dict[str, Site] = {
    "IDLE-NS": Site(),
    "IDLE-NS-LATE": Site(events=(("2022-06-01", "start", 100.0, "10"),)),
    "IDLE-DELAY": Site(delays=(("2021-06-01", "2021-06-30"),)),
    "IDLE-DELAY-OPEN": Site(delays=(("2022-01-01", None),)),
    "IDLE-DELAY-OVERLAP": Site(delays=(("2021-06-01", "2021-06-30"), ("2021-06-16", "2021-07-15"))),
    "IDLE-DELAY-EARLY": Site(delays=(("2021-01-01", "2021-03-31"),)),
    "IDLE-STALL": Site(events=_STALLED),
    "IDLE-THIRD-EXACT": Site(
        events=(
            _STARTED,
            ("2021-06-01", "report", 10_000.0, "750"),  # exactly ⅓ and exactly 25 %
            ("2021-07-01", "suspension", None, None),
        )
    ),
    "IDLE-INVEST-SHORT": Site(
        events=(
            _STARTED,
            ("2021-06-01", "report", 20_000.0, "700"),  # ⅔ developed, 700 < 750 invested
            ("2021-07-01", "suspension", None, None),
        )
    ),
    "IDLE-RESUMED": Site(events=(*_STALLED, ("2022-05-01", "resumption", None, None))),
    "IDLE-COMPLETED": Site(
        events=(
            _STARTED,
            ("2021-04-01", "suspension", None, None),
            ("2021-05-01", "completion", 30_000.0, "3000"),
        )
    ),
    "IDLE-SUSPENDED-TWICE": Site(events=(*_STALLED, ("2021-10-01", "suspension", None, None))),
    "IDLE-SAME-DAY-RESUME": Site(
        events=(*_STALLED, ("2021-07-01", "resumption", None, None)),
    ),
    "IDLE-NO-AMOUNTS": Site(
        events=(("2021-03-01", "start", None, None), ("2021-07-01", "suspension", None, None))
    ),
    "IDLE-STALL-DELAY": Site(events=_STALLED, delays=(("2021-08-01", "2021-08-31"),)),
    "IDLE-FUTURE": Site(agreed_start_on=D("2030-01-01")),
}


@dataclass(frozen=True)
class Case:
    """A rule, one contract on one day, and what its clock must be (None: in no stage)."""

    rule: str
    contract_no: str
    as_of: date
    expected: dict[str, Any] | None = None
    settings: dict[str, Any] = field(default_factory=dict)


NS_DATES = {
    "clock": "no_start",
    "clock_started_on": AGREED_START,
    "warning_on": D("2021-12-01"),
    "idle_on": D("2022-03-01"),
    "recovery_on": D("2023-03-01"),
}
STALL = {
    "clock": "stalled",
    "clock_started_on": D("2021-07-01"),
    "actual_start_on": AGREED_START,
    "idle_on": D("2022-07-01"),
}

CASES: list[Case] = [
    Case("not_started_before_the_agreed_start_runs_no_clock", "IDLE-NS", D("2021-02-28")),
    Case("the_day_before_the_warning_window_is_in_no_stage", "IDLE-NS", D("2021-11-30")),
    Case(
        "ninety_days_before_the_threshold_starts_the_warning",
        "IDLE-NS",
        D("2021-12-01"),
        {**NS_DATES, "stage": "warning", "days_on_clock": 275, "fee_wan": None},
    ),
    Case(
        "not_started_the_day_before_the_year_is_in_warning",
        "IDLE-NS",
        D("2022-02-28"),
        {**NS_DATES, "stage": "warning", "days_on_clock": 364, "delay_days": 0},
    ),
    Case(
        "not_started_a_year_after_the_agreed_start_is_idle_with_the_fee",
        "IDLE-NS",
        D("2022-03-01"),
        {
            **NS_DATES,
            "stage": "idle_1y",
            "days_on_clock": 365,
            "fee_wan": FEE_WAN,
            "for_decision": False,
        },
    ),
    Case(
        "not_started_one_day_past_the_year_is_idle",
        "IDLE-NS",
        D("2022-03-02"),
        {**NS_DATES, "stage": "idle_1y", "days_on_clock": 366, "fee_wan": FEE_WAN},
    ),
    Case(
        "the_day_before_two_years_is_still_idle_1y",
        "IDLE-NS",
        D("2023-02-28"),
        {**NS_DATES, "stage": "idle_1y", "days_on_clock": 729, "for_decision": False},
    ),
    Case(
        "not_started_two_years_after_is_idle_2y_for_decision_with_the_fee",
        "IDLE-NS",
        D("2023-03-01"),
        {
            **NS_DATES,
            "stage": "idle_2y",
            "days_on_clock": 730,
            "fee_wan": FEE_WAN,
            "for_decision": True,
        },
    ),
    Case(
        "a_start_reported_after_the_day_asked_is_not_counted",
        "IDLE-NS-LATE",
        D("2022-03-01"),
        {**NS_DATES, "stage": "idle_1y", "days_on_clock": 365, "actual_start_on": None},
    ),
    Case("a_start_stops_the_no_start_clock", "IDLE-NS-LATE", D("2022-06-01")),
    Case(
        "a_government_delay_stops_the_clock",
        "IDLE-DELAY",
        D("2022-03-01"),
        {
            "clock": "no_start",
            "stage": "warning",
            "days_on_clock": 335,  # 365 − 30 (June 2021)
            "delay_days": 30,
            "warning_on": D("2021-12-31"),  # 2021-12-01 + 30
            "idle_on": D("2022-03-31"),  # 2022-03-01 + 30
            "recovery_on": D("2023-03-31"),
            "fee_wan": None,
        },
    ),
    Case(
        "a_delayed_clock_is_idle_the_delay_later",
        "IDLE-DELAY",
        D("2022-03-31"),
        {"stage": "idle_1y", "days_on_clock": 365, "delay_days": 30, "fee_wan": FEE_WAN},
    ),
    Case(
        "an_open_delay_stops_the_clock_up_to_the_day_asked",
        "IDLE-DELAY-OPEN",
        D("2022-03-01"),
        {
            "stage": "warning",
            "days_on_clock": 306,  # 365 − 59 (Jan 31 + Feb 28)
            "delay_days": 59,
            "warning_on": D("2021-12-01"),  # reached before the delay began
            "idle_on": D("2022-04-29"),  # 2022-03-01 + (365 − 306)
        },
    ),
    Case(
        "an_open_delay_keeps_the_clock_standing",
        "IDLE-DELAY-OPEN",
        D("2023-06-01"),
        {"stage": "warning", "days_on_clock": 306, "delay_days": 516},
    ),
    Case(
        "a_stage_date_past_9999_is_unknown",
        "IDLE-DELAY-OPEN",
        D("9999-12-31"),
        {
            "stage": "warning",
            "days_on_clock": 306,
            "warning_on": D("2021-12-01"),
            "idle_on": None,
            "recovery_on": None,
        },
    ),
    Case(
        "overlapping_delays_are_not_counted_twice",
        "IDLE-DELAY-OVERLAP",
        D("2022-03-01"),
        {
            "stage": "warning",
            "days_on_clock": 320,  # 365 − 45 (2021-06-01 .. 2021-07-15)
            "delay_days": 45,
            "idle_on": D("2022-04-15"),
        },
    ),
    Case(
        "delay_days_before_the_clock_starts_do_not_count",
        "IDLE-DELAY-EARLY",
        D("2022-03-01"),
        {"stage": "warning", "days_on_clock": 334, "delay_days": 31},  # March 2021 only
    ),
    Case(
        "started_under_a_third_developed_and_stopped_a_year_is_idle",
        "IDLE-STALL",
        D("2022-07-01"),
        {
            **STALL,
            "stage": "idle_1y",
            "days_on_clock": 365,
            "fee_wan": FEE_WAN,
            "developed_share": 0.3,
            "investment_share": 1000 / 3000,
        },
    ),
    Case(
        "stopped_a_day_short_of_the_year_is_in_warning",
        "IDLE-STALL",
        D("2022-06-30"),
        {**STALL, "stage": "warning", "days_on_clock": 364, "fee_wan": None},
    ),
    Case(
        "stopped_two_years_is_idle_2y_for_decision",
        "IDLE-STALL",
        D("2023-07-01"),
        {**STALL, "stage": "idle_2y", "days_on_clock": 730, "for_decision": True},
    ),
    Case(
        "exactly_a_third_developed_and_a_quarter_invested_is_not_idle",
        "IDLE-THIRD-EXACT",
        D("2023-07-01"),
    ),
    Case(
        "under_a_quarter_invested_and_stopped_a_year_is_idle",
        "IDLE-INVEST-SHORT",
        D("2022-07-01"),
        {**STALL, "stage": "idle_1y", "days_on_clock": 365, "developed_share": 20_000 / 30_000},
    ),
    Case("a_resumption_stops_the_stalled_clock", "IDLE-RESUMED", D("2022-07-01")),
    Case(
        "before_the_resumption_the_stalled_clock_ran",
        "IDLE-RESUMED",
        D("2022-04-15"),
        {**STALL, "stage": "warning", "days_on_clock": 288},  # 2022-04-02 is +275
    ),
    Case("completed_land_is_never_idle", "IDLE-COMPLETED", D("2025-01-01")),
    Case(
        "work_stopped_since_the_first_of_a_run_of_suspensions",
        "IDLE-SUSPENDED-TWICE",
        D("2022-07-01"),
        {**STALL, "stage": "idle_1y", "days_on_clock": 365},
    ),
    Case(
        "a_resumption_the_day_of_a_suspension_keeps_work_going",
        "IDLE-SAME-DAY-RESUME",
        D("2022-07-01"),
    ),
    Case(
        "amounts_never_reported_count_as_nothing_developed",
        "IDLE-NO-AMOUNTS",
        D("2022-07-01"),
        {
            **STALL,
            "stage": "idle_1y",
            "days_on_clock": 365,
            "developed_share": None,
            "investment_share": None,
        },
    ),
    Case(
        "a_government_delay_stops_the_stalled_clock_too",
        "IDLE-STALL-DELAY",
        D("2022-07-01"),
        {
            **STALL,
            "stage": "warning",
            "days_on_clock": 334,
            "delay_days": 31,
            "idle_on": D("2022-08-01"),
        },
    ),
    Case("land_agreed_to_start_later_runs_no_clock", "IDLE-FUTURE", D("2025-06-01")),
    # the thresholds are data
    Case(
        "a_shorter_warning_setting_leaves_earlier_days_out_of_warning",
        "IDLE-NS",
        D("2022-01-01"),
        None,
        {"idle.warning_days": 30},
    ),
    Case(
        "with_the_default_warning_the_same_day_is_in_warning",
        "IDLE-NS",
        D("2022-01-01"),
        {"stage": "warning", "days_on_clock": 306},
    ),
    Case(
        "a_shorter_warning_setting_still_warns_within_its_days",
        "IDLE-NS",
        D("2022-02-01"),
        {"stage": "warning", "days_on_clock": 337, "warning_on": D("2022-01-30")},
        {"idle.warning_days": 30},
    ),
]


# --- writing the cases into a database ---------------------------------------------------------


def land_parcels(conn, count: int) -> list[Any]:
    """*count* standing sample parcels supplied to someone (code, park, holder), by code."""
    from sqlalchemy import text

    rows = conn.execute(
        text(
            "SELECT parcel_code, park, coalesce(holder, '试验企业') AS holder "
            "FROM parcel_version WHERE valid_to IS NULL "
            "AND status IN ('supplied', 'under_construction', 'idle') ORDER BY parcel_code"
        )
    ).all()
    assert len(rows) >= count, f"the sample has {len(rows)} supplied parcels, {count} wanted"
    # spread over the parks: every n-th parcel
    step = max(1, len(rows) // count)
    return rows[::step][:count]


def contract_row(
    contract_no: str,
    parcel: Any,
    *,
    agreed_start_on: date = AGREED_START,
    land_area_m2: float = LAND_M2,
    price_wan: str = PRICE_WAN,
    committed_wan: str = COMMITTED_WAN,
) -> dict[str, Any]:
    """A supply_contract record of *parcel* (every column given)."""
    return {
        "contract_no": contract_no,
        "parcel_code": parcel.parcel_code,
        "park": parcel.park,
        "holder": parcel.holder,
        "enterprise_code": None,
        "batch_no": None,
        "signed_on": min(SIGNED, agreed_start_on),
        "supply_mode": "grant",
        "price_wan": price_wan,
        "land_area_m2": land_area_m2,
        "agreed_start_on": agreed_start_on,
        "agreed_completion_on": date(agreed_start_on.year + 3, agreed_start_on.month, 1),
        "committed_investment_wan": committed_wan,
        "plot_ratio_min": "1.0",
        "plot_ratio_max": "2.5",
        "building_coverage_min": "0.3",
        "office_share_max": "0.07",
        "committed_tax_wan_per_mu_year": None,
        "document_no": f"DOC-{contract_no}",
    }


def progress_row(contract_no: str, on: str | date, kind: str, developed, invested) -> dict:
    """A site_progress record (every column given)."""
    return {
        "contract_no": contract_no,
        "reported_on": _as_date(on),
        "kind": kind,
        "developed_area_m2": developed,
        "investment_wan": invested,
        "plot_ratio": None,
        "building_coverage": None,
        "office_share": None,
        "note": None,
    }


def _as_date(value: str | date) -> date:
    return value if isinstance(value, date) else D(value)


def delay_row(contract_no: str, first: str | date, last: str | date | None) -> dict:
    """An idle_delay record (every column given)."""
    return {
        "contract_no": contract_no,
        "delay_from": _as_date(first),
        "delay_to": None if last is None else _as_date(last),
        "cause": "规划调整（政府原因）",
        "document_no": f"DELAY-{contract_no}-{first}",
    }


def write_records(
    engine, contracts: list[dict], progress: list[dict], delays: list[dict], settings=None
) -> None:
    """Write the records (and *settings* overrides) in change sets, as an official would."""
    from service.changes.session import open_change_set
    from service.db.versioned_records import put_versions

    if contracts or progress or delays:
        with engine.begin() as conn:
            cs = open_change_set(conn, kind="supervision", reason="idle cases", actor="idle-test")
            put_versions(conn, change_set_id=cs.id, table="supply_contract", rows=contracts)
            put_versions(conn, change_set_id=cs.id, table="site_progress", rows=progress)
            put_versions(conn, change_set_id=cs.id, table="idle_delay", rows=delays)
    if settings:
        with engine.begin() as conn:
            cs = open_change_set(
                conn, kind="supervision_setting", reason="idle settings", actor="idle-test"
            )
            rows = [{"name": k, "value": v} for k, v in settings.items()]
            put_versions(conn, change_set_id=cs.id, table="supervision_setting", rows=rows)


def write_sites(engine, sites: dict[str, Site] = SITES, settings=None) -> dict[str, Any]:
    """Write *sites* onto real sample parcels; contract number -> its parcel."""
    with engine.connect() as conn:
        parcels = dict(zip(sites, land_parcels(conn, len(sites)), strict=True))
    contracts, progress, delays = [], [], []
    for no, site in sites.items():
        contracts.append(contract_row(no, parcels[no], agreed_start_on=site.agreed_start_on))
        progress += [progress_row(no, *event) for event in site.events]
        delays += [delay_row(no, first, last) for first, last in site.delays]
    write_records(engine, contracts, progress, delays, settings)
    return parcels

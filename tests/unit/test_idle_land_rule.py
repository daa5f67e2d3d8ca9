"""The idle-land rule (闲置土地) as plain functions, on hand-computed cases
(tests/support_idle.py — the integration tests prove the SQL on the same cases): a year
not started is idle, the day before it a warning, 90 days before it the warning starts;
two years: for decision; a government delay stops the clock, an open one up to the day
asked, overlapping ones counted once; the ⅓ and 25 % tests; a resumption stops the
stalled clock; completed land is never idle; the thresholds are data."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import support_idle as si

from parks.supervision.idle import (
    Contract,
    Delay,
    Progress,
    Thresholds,
    clock_date,
    delay_spans,
    fee_wan,
    idle_clock,
    stage_of,
)
from parks.supervision.settings import DEFAULTS, in_force

D = date.fromisoformat


def contract_of(contract_no: str) -> tuple[Contract, list[Progress], list[Delay]]:
    """A case's contract, events and delays as the rule takes them."""
    site = si.SITES[contract_no]
    contract = Contract(
        contract_no=contract_no,
        land_area_m2=si.LAND_M2,
        price_wan=Decimal(si.PRICE_WAN),
        agreed_start_on=site.agreed_start_on,
        committed_investment_wan=Decimal(si.COMMITTED_WAN),
    )
    events = [
        Progress(D(on), kind, developed, None if invested is None else Decimal(invested))
        for on, kind, developed, invested in site.events
    ]
    delays = [Delay(D(first), None if last is None else D(last)) for first, last in site.delays]
    return contract, events, delays


@pytest.mark.parametrize("case", si.CASES, ids=[c.rule for c in si.CASES])
def test_the_idle_land_rule_on_hand_computed_cases(case: si.Case):
    contract, events, delays = contract_of(case.contract_no)
    clock = idle_clock(contract, events, delays, as_of=case.as_of, settings=in_force(case.settings))
    if case.expected is None:
        assert clock is None or clock.stage is None, clock
        return
    assert clock is not None
    got = {key: getattr(clock, key) for key in case.expected}
    assert got == case.expected


def test_events_given_in_any_order_give_the_same_clock():
    contract, events, delays = contract_of("IDLE-SUSPENDED-TWICE")
    settings = in_force({})
    forward = idle_clock(contract, events, delays, as_of=D("2022-07-01"), settings=settings)
    backward = idle_clock(contract, events[::-1], delays, as_of=D("2022-07-01"), settings=settings)
    assert forward == backward and forward.clock_started_on == D("2021-07-01")


def test_the_stage_boundaries_are_the_settings_days():
    t = Thresholds()  # the defaults: 365, warning 90, recovery 730
    assert [stage_of(d, threshold=365, thresholds=t) for d in (274, 275, 364, 365, 729, 730)] == [
        None,
        "warning",
        "warning",
        "idle_1y",
        "idle_1y",
        "idle_2y",
    ]


def test_the_thresholds_are_read_from_the_settings_in_force():
    t = Thresholds.from_settings(in_force({"idle.warning_days": 30, "idle.no_start_days": 400}))
    assert (t.warning_days, t.no_start_days, t.stopped_days, t.recovery_days) == (30, 400, 365, 730)
    assert Thresholds.from_settings(DEFAULTS) == Thresholds()


def test_a_longer_no_start_setting_moves_the_idle_day():
    contract, events, delays = contract_of("IDLE-NS")
    settings = in_force({"idle.no_start_days": 400})
    clock = idle_clock(contract, events, delays, as_of=D("2022-03-01"), settings=settings)
    # 365 days on the clock: 400 − 90 = 310 ≤ 365 < 400
    assert clock.stage == "warning" and clock.idle_on == D("2022-04-05")  # 2022-03-01 + 35


def test_the_fee_is_the_share_of_the_price_rounded_half_up_to_a_hundred_yuan():
    t = Thresholds()
    assert fee_wan(Decimal("612.37"), t) == 122.47  # 122.474
    assert fee_wan(Decimal("0.05"), t) == 0.01  # 0.010
    assert fee_wan(Decimal("1000.05"), Thresholds(fee_share_of_price=0.5)) == 500.03  # 500.025


def test_delays_merge_into_the_days_the_clock_stands_still():
    since, as_of = D("2021-03-01"), D("2022-03-01")
    spans = delay_spans(
        [Delay(D("2021-06-16"), D("2021-07-15")), Delay(D("2021-06-01"), D("2021-06-30"))],
        since=since,
        as_of=as_of,
    )
    assert spans == [(D("2021-06-01").toordinal(), D("2021-07-16").toordinal())]
    # touching delays are one; an open one runs to as_of; one ending before the start drops
    spans = delay_spans(
        [
            Delay(D("2021-01-01"), D("2021-02-28")),
            Delay(D("2021-04-01"), D("2021-04-10")),
            Delay(D("2021-04-11"), None),
        ],
        since=since,
        as_of=as_of,
    )
    assert spans == [(D("2021-04-01").toordinal(), as_of.toordinal())]


def test_a_stage_date_counts_only_the_delays_that_begin_before_it():
    since = D("2021-03-01")
    spans = [(D("2021-06-01").toordinal(), D("2021-07-01").toordinal())]  # 30 days
    assert clock_date(since, 365, spans) == D("2022-03-31")
    assert clock_date(since, 92, spans) == D("2021-06-01")  # reached as the delay begins
    assert clock_date(since, 93, spans) == D("2021-07-02")
    assert clock_date(D("9999-12-01"), 365, []) is None


def test_a_contract_with_no_committed_investment_is_judged_by_its_developed_area_alone():
    contract = Contract("X", 30_000.0, Decimal("100"), D("2021-03-01"), Decimal("0"))
    events = [
        Progress(D("2021-03-01"), "start", 20_000.0, Decimal("0")),
        Progress(D("2021-07-01"), "suspension"),
    ]
    clock = idle_clock(contract, events, [], as_of=D("2023-01-01"), settings=Thresholds())
    assert clock is None
    events[0] = Progress(D("2021-03-01"), "start", 5_000.0, Decimal("0"))
    clock = idle_clock(contract, events, [], as_of=D("2022-07-01"), settings=Thresholds())
    assert clock.stage == "idle_1y" and clock.investment_share is None

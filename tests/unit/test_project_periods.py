"""The rhythm's periods: a month, a quarter, a year and an ISO week are judged as of their
last day or today while they run; a period that has not begun, or a malformed one, is
refused naming the parameter."""

from __future__ import annotations

from datetime import date

import pytest

from parks.errors import InvalidParameter
from parks.projects.periods import month_period, quarter_period, week_period, year_period

TODAY = date(2026, 12, 7)


def test_a_past_month_is_judged_on_its_last_day():
    period = month_period("2026-02", today=TODAY)
    assert (period.first_day, period.last_day, period.as_of) == (
        date(2026, 2, 1),
        date(2026, 2, 28),
        date(2026, 2, 28),
    )
    assert period.months == (2,) and period.year_to_date_months() == (1, 2)
    assert not period.running


def test_the_current_month_is_judged_as_of_today():
    period = month_period(None, today=TODAY)
    assert period.label == "2026-12" and period.as_of == TODAY and period.running


def test_a_quarter_covers_three_months_and_the_year_to_its_end():
    period = quarter_period("2026Q3", today=TODAY)
    assert (period.first_day, period.last_day) == (date(2026, 7, 1), date(2026, 9, 30))
    assert period.months == (7, 8, 9)
    assert period.year_to_date_months() == tuple(range(1, 10))
    assert quarter_period("2026-q3", today=TODAY).label == "2026Q3"


def test_a_year_running_is_judged_as_of_today():
    period = year_period(2026, today=TODAY)
    assert period.as_of == TODAY and period.months == tuple(range(1, 13))
    assert year_period("2025", today=TODAY).as_of == date(2025, 12, 31)


def test_an_iso_week_runs_monday_to_sunday():
    period = week_period("2026-W44", today=TODAY)
    assert period.first_day == date(2026, 10, 26) and period.first_day.weekday() == 0
    assert period.last_day == date(2026, 11, 1)


def test_next_week_may_be_asked_for_a_visit_list():
    assert week_period("2026-W51", today=TODAY).first_day == date(2026, 12, 14)


@pytest.mark.parametrize(
    ("parse", "value", "parameter"),
    [
        (month_period, "2026-13", "month"),
        (month_period, "2027-01", "month"),  # not begun
        (month_period, "October", "month"),
        (quarter_period, "2026Q5", "quarter"),
        (quarter_period, "2027Q1", "quarter"),
        (year_period, "20x6", "year"),
        (year_period, 1800, "year"),
        (year_period, 2027, "year"),
        (week_period, "2026-W54", "week"),
        (week_period, "2027-W20", "week"),
        (week_period, "44", "week"),
    ],
)
def test_a_bad_or_future_period_is_refused_naming_its_parameter(parse, value, parameter):
    with pytest.raises(InvalidParameter) as refused:
        parse(value, today=TODAY)
    assert refused.value.parameter == parameter

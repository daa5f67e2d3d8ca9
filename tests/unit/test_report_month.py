"""No database: the month of a monthly supervision report — ``YYYY-MM`` up to the current
month; as of its last day (today in the current month), compared with the last day of the
month before; anything else refused naming ``month``."""

from __future__ import annotations

from datetime import date

import pytest

from parks.errors import InvalidParameter
from parks.supervision.months import report_month

TODAY = date(2026, 12, 7)


@pytest.mark.parametrize(
    ("month", "as_of", "previous"),
    [
        ("2026-10", date(2026, 10, 31), date(2026, 9, 30)),
        ("2026-03", date(2026, 3, 31), date(2026, 2, 28)),
        ("2024-03", date(2024, 3, 31), date(2024, 2, 29)),  # a leap year's February
        ("2026-01", date(2026, 1, 31), date(2025, 12, 31)),  # the month before is last year's
        ("2024-02", date(2024, 2, 29), date(2024, 1, 31)),
    ],
)
def test_a_month_is_reported_as_of_its_last_day_against_the_last_day_before(month, as_of, previous):
    span = report_month(month, today=TODAY)
    assert (span.month, span.as_of, span.previous_as_of) == (month, as_of, previous)
    assert span.first_day == date(as_of.year, as_of.month, 1) and span.last_day == as_of


def test_the_current_month_is_reported_as_of_today():
    span = report_month("2026-12", today=TODAY)
    assert (span.as_of, span.last_day, span.previous_as_of) == (
        TODAY,
        date(2026, 12, 31),
        date(2026, 11, 30),
    )
    assert report_month(None, today=TODAY) == span
    assert span.label_zh == "2026年12月"


@pytest.mark.parametrize(
    "month",
    ["2026-13", "2026-00", "2026-1", "26-10", "2026/10", "", "2026-10-01", "2027-01", "1989-12"],
)
def test_anything_else_is_refused_naming_month(month):
    with pytest.raises(InvalidParameter) as refused:
        report_month(month, today=TODAY)
    assert refused.value.parameter == "month"

"""The periods the rhythm works in: a month (月调度, ``2026-10``), a quarter (季评比,
``2026Q3``), a year (年考核) and an ISO week (周观摩, ``2026-W44``).

A period is judged as of its last day, or as of today while it runs (its last day has not
come). A period that starts after today has nothing to judge yet and is refused, as is one
before :data:`FIRST_YEAR`. Every refusal is :class:`~parks.errors.InvalidParameter` naming
the parameter the caller gave (``month``, ``quarter``, ``year`` or ``week``).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from parks.errors import InvalidParameter

#: The first year the rhythm's records may be of (the records' own check).
FIRST_YEAR = 1990

_MONTH = re.compile(r"(\d{4})-(\d{2})")
_QUARTER = re.compile(r"(\d{4})-?[Qq]([1-4])")
_WEEK = re.compile(r"(\d{4})-?W(\d{2})")


@dataclass(frozen=True, slots=True)
class Period:
    """A period: ``label`` as the caller names it (``2026-10``, ``2026Q3``, ``2026``,
    ``2026-W44``), its ``first_day`` and ``last_day``, and ``as_of``: the day it is
    judged on (its last day, or today while it runs)."""

    label: str
    first_day: date
    last_day: date
    as_of: date

    @property
    def year(self) -> int:
        """The year of the period's first day (the plan it is judged against)."""
        return self.first_day.year

    @property
    def months(self) -> tuple[int, ...]:
        """The months (1..12) of :attr:`year` the period covers, in order."""
        last = self.last_day.month if self.last_day.year == self.year else 12
        return tuple(range(self.first_day.month, last + 1))

    @property
    def running(self) -> bool:
        """True while the period runs (it is judged as of today, before its last day)."""
        return self.as_of < self.last_day

    def year_to_date_months(self) -> tuple[int, ...]:
        """Months 1 .. the period's last month (of :attr:`year`): the plan to date."""
        return tuple(range(1, self.months[-1] + 1))


def _judged(label: str, first: date, last: date, *, today: date, parameter: str) -> Period:
    if first.year < FIRST_YEAR:
        raise InvalidParameter(parameter, f"{label!r}: nothing before {FIRST_YEAR}")
    if first > today:
        raise InvalidParameter(
            parameter, f"{label!r} starts after today ({today.isoformat()}): nothing to judge yet"
        )
    return Period(label=label, first_day=first, last_day=last, as_of=min(last, today))


def month_period(value: str | None, *, today: date) -> Period:
    """The month *value* (``YYYY-MM``; None: the month of *today*)."""
    if value is None:
        value = f"{today.year:04d}-{today.month:02d}"
    found = _MONTH.fullmatch(value.strip()) if isinstance(value, str) else None
    if found is None:
        raise InvalidParameter("month", f"expected YYYY-MM (e.g. 2026-10), not {value!r}")
    year, month = int(found.group(1)), int(found.group(2))
    if not 1 <= month <= 12:
        raise InvalidParameter("month", f"{value!r}: the month must be 01–12")
    first = date(year, month, 1)
    last = date(year, month, calendar.monthrange(year, month)[1])
    return _judged(f"{year:04d}-{month:02d}", first, last, today=today, parameter="month")


def quarter_period(value: str | None, *, today: date) -> Period:
    """The quarter *value* (``YYYYQn`` or ``YYYY-Qn``; None: the quarter of *today*)."""
    if value is None:
        value = f"{today.year:04d}Q{(today.month - 1) // 3 + 1}"
    found = _QUARTER.fullmatch(value.strip()) if isinstance(value, str) else None
    if found is None:
        raise InvalidParameter("quarter", f"expected YYYYQn (e.g. 2026Q3), not {value!r}")
    year, quarter = int(found.group(1)), int(found.group(2))
    first = date(year, 3 * quarter - 2, 1)
    last_month = 3 * quarter
    last = date(year, last_month, calendar.monthrange(year, last_month)[1])
    return _judged(f"{year:04d}Q{quarter}", first, last, today=today, parameter="quarter")


def year_period(value: int | str | None, *, today: date) -> Period:
    """The year *value* (None: the year of *today*)."""
    if value is None:
        value = today.year
    try:
        year = int(value)
    except (TypeError, ValueError):
        raise InvalidParameter("year", f"expected a year such as 2026, not {value!r}") from None
    if not FIRST_YEAR <= year <= 2200:
        raise InvalidParameter("year", f"{value!r}: expected a year {FIRST_YEAR}–2200")
    return _judged(str(year), date(year, 1, 1), date(year, 12, 31), today=today, parameter="year")


def week_period(value: str | None, *, today: date) -> Period:
    """The ISO week *value* (``YYYY-Www``, Monday to Sunday; None: the week of *today*).
    Unlike the other periods a week may be the next one (a visit list is made ahead)."""
    if value is None:
        iso = today.isocalendar()
        value = f"{iso.year:04d}-W{iso.week:02d}"
    found = _WEEK.fullmatch(value.strip()) if isinstance(value, str) else None
    if found is None:
        raise InvalidParameter("week", f"expected YYYY-Www (e.g. 2026-W44), not {value!r}")
    year, week = int(found.group(1)), int(found.group(2))
    try:
        first = date.fromisocalendar(year, week, 1)
    except ValueError:
        raise InvalidParameter("week", f"{value!r}: {year} has no week {week}") from None
    if year < FIRST_YEAR:
        raise InvalidParameter("week", f"{value!r}: nothing before {FIRST_YEAR}")
    if first > today + timedelta(days=7):
        raise InvalidParameter(
            "week", f"{value!r} is more than a week ahead of today ({today.isoformat()})"
        )
    label = f"{year:04d}-W{week:02d}"
    last = first + timedelta(days=6)
    return Period(label=label, first_day=first, last_day=last, as_of=min(last, max(first, today)))


def last_complete_month(today: date) -> tuple[int, int]:
    """(year, month) of the last complete month on *today*: the month before today's, or
    today's own month on its last day — the month the rhythm's outputs default to."""
    if (today + timedelta(days=1)).month != today.month:
        return today.year, today.month
    previous = today.replace(day=1) - timedelta(days=1)
    return previous.year, previous.month


def last_complete_month_label(today: date) -> str:
    """:func:`last_complete_month` as ``YYYY-MM``."""
    year, month = last_complete_month(today)
    return f"{year:04d}-{month:02d}"

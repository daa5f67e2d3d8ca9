"""The month of a monthly supervision report (月调度): ``YYYY-MM``, its days, the day its
figures are taken on and the day last month's were.

A month's report is as of its last day; the current month's, as of today (its last day
has not come). Last month's figures are as of the last day of the month before. A month
after the current one has no report yet.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from parks.errors import InvalidParameter

#: The first year a report may be asked for (the supervision records' own first year).
FIRST_YEAR = 1990
_MONTH = re.compile(r"(\d{4})-(\d{2})")


@dataclass(frozen=True, slots=True)
class ReportMonth:
    """A report's month: ``month`` (``YYYY-MM``), its ``first_day`` and ``last_day``, the
    day the report is taken on (``as_of``: the last day, or today in the current month)
    and the day last month's figures are taken on (``previous_as_of``)."""

    month: str
    first_day: date
    last_day: date
    as_of: date
    previous_as_of: date

    @property
    def label_zh(self) -> str:
        """``2026年10月``."""
        return f"{self.first_day.year}年{self.first_day.month}月"


def report_month(value: str | None, *, today: date) -> ReportMonth:
    """The month *value* (``YYYY-MM``; None: the month of *today*), from January
    :data:`FIRST_YEAR` to the month of *today*. Raises :class:`InvalidParameter` naming
    ``month`` otherwise."""
    if value is None:
        value = f"{today.year:04d}-{today.month:02d}"
    found = _MONTH.fullmatch(value.strip()) if isinstance(value, str) else None
    if found is None:
        raise InvalidParameter("month", f"expected YYYY-MM (e.g. 2026-10), not {value!r}")
    year, month = int(found.group(1)), int(found.group(2))
    if not 1 <= month <= 12:
        raise InvalidParameter("month", f"{value!r}: the month must be 01–12")
    if year < FIRST_YEAR:
        raise InvalidParameter("month", f"{value!r}: no report before {FIRST_YEAR}-01")
    if (year, month) > (today.year, today.month):
        raise InvalidParameter(
            "month",
            f"{value!r} is after the current month ({today.year:04d}-{today.month:02d}): "
            "it has no report yet",
        )
    first = date(year, month, 1)
    last = date(year, month, calendar.monthrange(year, month)[1])
    return ReportMonth(
        month=f"{year:04d}-{month:02d}",
        first_day=first,
        last_day=last,
        as_of=min(last, today),
        previous_as_of=first - timedelta(days=1),
    )

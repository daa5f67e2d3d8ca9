"""The ``datetime`` parameter: an instant or an interval (RFC 3339, as OGC API – Features
Part 1 has it), read the way the rest of the API reads moments.

* An instant: ``2025-12-31T16:00:00Z`` (or with an offset). Without a zone, or a date
  alone, it is in the city's time zone (``PARKS_TIMEZONE``), and a date alone means the
  end of that day — as ``as_of`` does (``/api/audit/totals``, exports).
* An interval ``start/end``, both ends included; ``..`` or nothing is an open end. A date
  alone starts at the beginning of its day and ends at its end.
* QGIS 3.22 writes open ends as ``0000-01-01T00:00:00Z`` and ``9999-12-31T23:59:59Z``:
  both are read as open (year 0 is no year Python or RFC 3339 knows anyway).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from service.ogc.errors import BadOgcParameter

PARAMETER = "datetime"
#: The ends QGIS writes for an open interval, read as open.
_OPEN_START = {"..", "", "0000-01-01t00:00:00z", "0000-01-01t00:00:00.000z"}
_OPEN_END = {"..", "", "9999-12-31t23:59:59z", "9999-12-31t23:59:59.999z"}


@dataclass(frozen=True, slots=True)
class Instant:
    """The state at one moment."""

    at: datetime


@dataclass(frozen=True, slots=True)
class Interval:
    """Every state valid at some time from *start* to *end* (both included; None: open)."""

    start: datetime | None
    end: datetime | None


def parse(value: str, *, zone: str) -> Instant | Interval:
    """The instant or interval *value* writes; 400 naming ``datetime`` otherwise."""
    text = value.strip()
    if "/" not in text:
        if text in ("", ".."):
            raise BadOgcParameter(PARAMETER, f"{value!r}: an instant or an interval start/end")
        return Instant(_moment(text, zone=zone, end_of_day=True))
    if text.count("/") != 1:
        raise BadOgcParameter(PARAMETER, f"{value!r}: an interval has one '/' (start/end)")
    first, last = (part.strip() for part in text.split("/"))
    start = None if first.lower() in _OPEN_START else _moment(first, zone=zone)
    end = None if last.lower() in _OPEN_END else _moment(last, zone=zone, end_of_day=True)
    if start is not None and end is not None and start > end:
        raise BadOgcParameter(PARAMETER, f"{value!r}: the interval ends before it starts")
    return Interval(start, end)


def _moment(text: str, *, zone: str, end_of_day: bool = False) -> datetime:
    """An RFC 3339 date-time (or ISO 8601 date), in *zone* when it has none."""
    try:
        if len(text) <= 10:  # a date alone: 2025-12-31
            day = date.fromisoformat(text)
            moment = datetime.combine(day, time.max if end_of_day else time.min)
        else:
            moment = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        raise BadOgcParameter(
            PARAMETER,
            f"{text!r} is not an RFC 3339 date-time or date "
            "(e.g. 2025-12-31T16:00:00Z, 2025-12-31, or an interval 2025-01-01/..)",
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone))
    return moment

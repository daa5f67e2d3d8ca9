"""The key-project list: every project's progress against its year's plan through a month
— investment planned and completed (万元), late milestones, open and overdue problems, its
officials and last visit — filtered and sorted, with totals; and the park map's marks on
the projects behind plan or with an overdue problem.

Each is one query (``sql/progress_rows.sql`` makes the rows, ``sql/progress.sql`` the
list's JSON text, ``sql/progress_alerts.sql`` the marks' GeoJSON text), judged on day D
of the month (its last day, or today while it runs) by the rules of
:mod:`parks.projects.rules`, with ``progress.behind_share`` in force.

The month: ``month`` is ``YYYY-MM`` (its year is the list's; a ``year`` given too must be
the same), or a month number 1–12 of ``year`` (of the last complete month's year when no
``year`` is given). Without ``month``: the last complete month (the month before today's,
or today's on its last day); for a past ``year``, its December; for this ``year`` when the
last complete month is of last year (early January), January, judged as of today. A month
that starts after today, or before 1990, is refused.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, text

from parks.errors import InvalidParameter
from parks.projects.periods import last_complete_month, month_period, year_period
from parks.vocabulary import PROJECT_STATUS_NAMES_ZH, ProjectStatus
from service.db.sqlfiles import sql
from service.projects.settings import settings_in_force

#: What the list may be sorted by -> the SQL that orders by it (a fixed text: nothing of
#: the request goes into the query). Texts compare by code point ("C"); a status by its
#: place in the vocabulary (谋划 … 停缓建).
SORT_COLUMNS: dict[str, str] = {
    "code": 'project_code COLLATE "C"',
    "name": 'name COLLATE "C"',
    "park": 'park COLLATE "C"',
    "status": "array_position(CAST(:status_order AS text[]), status)",
    "completion_of_year_pct": "completion_of_year_pct",
    "completion_to_date_pct": "completion_to_date_pct",
    "shortfall_share": "shortfall_share",
    "milestones_late": "milestones_late",
    "open_problems": "open_problems",
    "overdue_problems": "overdue_problems",
    "last_visit_on": "last_visit_on",
}
SORT_KEYS: tuple[str, ...] = tuple(SORT_COLUMNS)
ORDERS: tuple[str, ...] = ("asc", "desc")
#: Decimal places of the marks' coordinates (about 10 cm, as the map's own layers).
MAP_PRECISION = 6

_YEAR_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
_MONTH_NUMBER = re.compile(r"\d{1,2}")


@dataclass(frozen=True, slots=True)
class ProgressMonth:
    """Month *month* (1–12) of *year*, judged on *as_of* (D: its last day, or today)."""

    year: int
    month: int
    as_of: date


@dataclass(frozen=True, slots=True)
class ProgressFilters:
    """Which projects the list shows: of *park*, of industry chain *chain*, in one of
    *statuses*, with official *official* assigned (lead or member), behind plan or not
    (*behind*), with an overdue problem or without (*overdue*). None: any."""

    park: str | None = None
    chain: str | None = None
    statuses: tuple[str, ...] = ()
    official: str | None = None
    behind: bool | None = None
    overdue: bool | None = None


def progress_month(year: int | None, month: str | None, *, today: date) -> ProgressMonth:
    """The month the list is of (see the module's docstring); :class:`InvalidParameter`
    naming ``year`` or ``month`` for one that is malformed, before 1990 or after today."""
    if year is not None:
        year = year_period(year, today=today).year  # the range, and not after today
    if month is not None:
        value = month.strip()
        found = _YEAR_MONTH.fullmatch(value)
        if found:
            month_year, number = int(found.group(1)), int(found.group(2))
            if year is not None and year != month_year:
                raise InvalidParameter("year", f"{year} is not the year of month {month!r}")
            year = month_year
        elif _MONTH_NUMBER.fullmatch(value):
            number = int(value)
            if year is None:
                year = last_complete_month(today)[0]
        else:
            raise InvalidParameter(
                "month", f"expected 1–12 or YYYY-MM (e.g. 2026-10), not {month!r}"
            )
        if not 1 <= number <= 12:
            raise InvalidParameter("month", f"{month!r}: the month must be 1–12")
    else:
        last_year, last_month = last_complete_month(today)
        if year is None or year == last_year:
            year, number = last_year, last_month
        elif year < last_year:
            number = 12
        else:  # this year, whose first month has not ended: January so far
            number = 1
    period = month_period(f"{year:04d}-{number:02d}", today=today)
    return ProgressMonth(year=period.year, month=number, as_of=period.as_of)


def check_official(conn: Connection, official: str | None) -> str | None:
    """*official* when an official of that code stands or is assigned to a project (or
    None); :class:`InvalidParameter` naming ``official`` otherwise."""
    if official is None:
        return None
    known = conn.execute(
        text(
            "SELECT EXISTS (SELECT 1 FROM project_official WHERE valid_to IS NULL "
            "AND official_code = :o) OR EXISTS (SELECT 1 FROM project_assignment "
            "WHERE valid_to IS NULL AND official_code = :o)"
        ),
        {"o": official},
    ).scalar_one()
    if not known:
        raise InvalidParameter("official", f"no official {official!r}")
    return official


def _rows_query(file: str, order_by: str | None = None) -> str:
    query = sql("service.projects", file).replace(
        "{rows}", sql("service.projects", "sql/progress_rows.sql")
    )
    return query.replace("{order_by}", order_by) if order_by is not None else query


def _behind_share(conn: Connection) -> str:
    """``progress.behind_share`` in force, as exact decimal text for the database."""
    return str(Decimal(str(settings_in_force(conn)["progress.behind_share"])))


def _common(when: ProgressMonth, park: str | None, behind_share: str) -> dict[str, Any]:
    return {
        "year": when.year,
        "month": when.month,
        "as_of": when.as_of,
        "park": park,
        "behind_share": behind_share,
    }


def progress_json(
    conn: Connection,
    *,
    when: ProgressMonth,
    filters: ProgressFilters = ProgressFilters(),
    sort: str = "code",
    order: str = "asc",
) -> str:
    """The list as JSON text: ``{year, month, as_of, behind_share, projects: [...],
    totals: {...}}`` — one row per project passing *filters*, sorted by *sort* (one of
    :data:`SORT_KEYS`) in *order* (asc or desc) with nulls last and ties by project code,
    and the totals of those rows. Money 万元, ``*_pct`` per cent (2 decimals, null with
    nothing planned), ``shortfall_share`` a fraction of the plan to date (4 decimals, 0
    with nothing planned; negative when ahead)."""
    if sort not in SORT_COLUMNS:
        raise InvalidParameter("sort", f"one of {', '.join(SORT_KEYS)}, not {sort!r}")
    if order not in ORDERS:
        raise InvalidParameter("order", f"asc or desc, not {order!r}")
    order_by = f"{SORT_COLUMNS[sort]} {order.upper()}"
    params = _common(when, filters.park, _behind_share(conn)) | {
        "chain": filters.chain,
        "statuses": list(filters.statuses) or None,
        "official": filters.official,
        "behind": filters.behind,
        "overdue": filters.overdue,
        "status_names": json.dumps(
            {s.value: PROJECT_STATUS_NAMES_ZH[s] for s in ProjectStatus}, ensure_ascii=False
        ),
        "status_order": [s.value for s in ProjectStatus],
    }
    if sort != "status":
        del params["status_order"]
    return conn.execute(text(_rows_query("sql/progress.sql", order_by)), params).scalar_one()


def project_progress(
    conn: Connection,
    *,
    when: ProgressMonth,
    filters: ProgressFilters = ProgressFilters(),
    sort: str = "code",
    order: str = "asc",
) -> dict[str, Any]:
    """:func:`progress_json`, parsed."""
    return json.loads(progress_json(conn, when=when, filters=filters, sort=sort, order=order))


def alerts_geojson(
    conn: Connection, *, when: ProgressMonth, park: str | None, precision: int = MAP_PRECISION
) -> str:
    """The projects of *park* (every park: None) behind plan or with an overdue problem
    in *when*, as a GeoJSON FeatureCollection text in EPSG:4326: each project's site (the
    union of its standing parcels; null geometry without any) with ``project_code``,
    ``name``, ``park``, ``status``, ``behind``, ``planned_to_date_wan``,
    ``completed_to_date_wan``, ``completion_to_date_pct``, ``shortfall_share``,
    ``overdue_problems``, ``max_days_overdue``, ``milestones_late`` and ``page``; the
    collection carries ``year``, ``month``, ``as_of`` and ``behind_share``."""
    params = _common(when, park, _behind_share(conn)) | {"precision": precision}
    return conn.execute(text(_rows_query("sql/progress_alerts.sql")), params).scalar_one()


def alerts_layer(conn: Connection, *, park: str | None, today: date) -> dict[str, Any]:
    """:func:`alerts_geojson` of the last complete month on *today*, parsed (the layer a
    map file embeds)."""
    return json.loads(alerts_geojson(conn, when=progress_month(None, None, today=today), park=park))

"""The yearly assessment (年考核) of each park's key projects: investment completed against
the year's target, projects started and put into production against plan, and the park's
rank in each quarter's ranking (季评比) of the year.

A year is judged as of its last day, or today while it runs (``D``). Per park
(``sql/assessment_parks.sql``, one query for every park):

* ``investment_target_wan``: Σ of the year's planned investment (all 12 months) of the
  park's projects; ``investment_completed_wan``: Σ of the reported investment of the
  year's months up to D's month; ``completion_pct`` = completed ÷ target × 100 (None when
  nothing is planned);
* ``projects_to_start``: projects whose plan of the year sets a day for 开工
  (construction_start); ``projects_started``: those of them that reached it by D (an
  early start, before the year, counts); ``projects_to_produce`` / ``projects_producing``
  likewise for 投产 (production_start);
* ``quarters_ranked``: for each quarter of the year that has begun, the park's mean score
  of its ranked projects in that quarter's ranking (:mod:`service.projects.ranking`, as of
  the quarter's last day or today) and its competition rank among the parks by it (None
  when none of its projects is ranked); ``average_quarterly_rank``: the mean of the ranks
  it has (2 decimals; None when it has none).

The city's totals (``city``) add up the parks' figures. Money 万元.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, text

from parks.projects.periods import Period, last_complete_month, quarter_period, year_period
from parks.projects.scoring import mean_ranking, mean_score, round_half_up
from service.db.sqlfiles import sql
from service.projects.ranking import score_quarter
from service.projects.settings import settings_in_force

#: The counts of projects per park, as the answer names them.
COUNTS = ("projects_to_start", "projects_started", "projects_to_produce", "projects_producing")


def default_year(today: date) -> int:
    """The year of the last complete month (in January, the year before)."""
    return last_complete_month(today)[0]


def assessment_year(value: int | str | None, *, today: date) -> Period:
    """The year *value* names (default :func:`default_year`); InvalidParameter naming
    ``year`` when it is not one."""
    return year_period(value if value is not None else default_year(today), today=today)


def _pct(completed: float, target: float) -> float | None:
    return None if target <= 0 else round_half_up(completed / target * 100)


def begun_quarters(period: Period, *, today: date) -> list[Period]:
    """The quarters of the year *period* that have begun by *today*."""
    return [
        quarter_period(f"{period.year:04d}Q{q}", today=today)
        for q in range(1, 5)
        if date(period.year, 3 * q - 2, 1) <= today
    ]


def yearly_assessment(conn: Connection, *, year: int | str | None, today: date) -> dict[str, Any]:
    """The assessment of *year* (default :func:`default_year`):

    ``{year, first_day, last_day, as_of, running, quarters: [labels], parks: [{park, name,
    investment_target_wan, investment_completed_wan, completion_pct, projects_to_start,
    projects_started, projects_to_produce, projects_producing, quarters_ranked: [{quarter,
    mean_score, ranked_projects, rank}], average_quarterly_rank}], city: {the same sums,
    completion_pct}}`` — as the module's doc says."""
    period = assessment_year(year, today=today)
    rows = conn.execute(
        text(sql("service.projects", "sql/assessment_parks.sql")),
        {"year": period.year, "through_month": period.as_of.month, "as_of": period.as_of},
    ).all()
    weights = settings_in_force(conn)["ranking.criteria"]
    quarters = begun_quarters(period, today=today)
    codes = [r.park for r in rows]
    quarterly: dict[str, list[dict[str, Any]]] = {code: [] for code in codes}
    for quarter in quarters:
        projects, _ = score_quarter(conn, period=quarter, weights=weights)
        scores: dict[str, list[float | None]] = {code: [] for code in codes}
        for p in projects:
            scores.setdefault(p["park"], []).append(p["score"])
        ranks = mean_ranking(scores)
        for code in codes:
            quarterly[code].append(
                {
                    "quarter": quarter.label,
                    "mean_score": ranks[code].mean_score,
                    "ranked_projects": sum(s is not None for s in scores[code]),
                    "rank": ranks[code].rank,
                }
            )
    parks = []
    for row in rows:
        target = float(row.investment_target_wan)
        completed = float(row.investment_completed_wan)
        ranks = [q["rank"] for q in quarterly[row.park] if q["rank"] is not None]
        parks.append(
            {
                "park": row.park,
                "name": row.name,
                "investment_target_wan": target,
                "investment_completed_wan": completed,
                "completion_pct": _pct(completed, target),
                **{name: int(getattr(row, name)) for name in COUNTS},
                "quarters_ranked": quarterly[row.park],
                "average_quarterly_rank": mean_score(ranks),
            }
        )
    target = round(sum(p["investment_target_wan"] for p in parks), 2)
    completed = round(sum(p["investment_completed_wan"] for p in parks), 2)
    return {
        "year": period.year,
        "first_day": period.first_day.isoformat(),
        "last_day": period.last_day.isoformat(),
        "as_of": period.as_of.isoformat(),
        "running": period.running,
        "quarters": [q.label for q in quarters],
        "parks": parks,
        "city": {
            "investment_target_wan": target,
            "investment_completed_wan": completed,
            "completion_pct": _pct(completed, target),
            **{name: sum(p[name] for p in parks) for name in COUNTS},
        },
    }

"""The quarterly ranking (季评比) of the key projects: every project's score from the
criteria in force, its rank in the city and in its park, and the officials (包抓领导)
ranked by the mean score of the projects they lead.

The figures come from the standing records of the whole city in two queries
(``sql/ranking_rates.sql``: every project's investment, milestones, problems and visits of
the quarter; ``sql/ranking_officials.sql``: the assignments); the rates, scores and ranks
are :mod:`parks.projects.scoring`'s. A quarter is judged as of its last day, or today while
it runs (``D``). Money 万元, rates fractions of 1, scores 0..100 with 2 decimals.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, text

from parks.projects.periods import Period, last_complete_month, quarter_period
from parks.projects.scoring import (
    RATE_DIGITS,
    competition_ranks,
    criteria_order,
    investment_rate,
    mean_ranking,
    ranked_order,
    score_project,
    share_rate,
    visit_rate,
)
from parks.projects.vocabulary import CRITERION_NAMES_ZH, AssignmentRole, Criterion
from service.db.sqlfiles import sql
from service.projects.settings import settings_in_force


def default_quarter(today: date) -> str:
    """The quarter of the last complete month (``2026Q3``)."""
    year, month = last_complete_month(today)
    return f"{year:04d}Q{(month - 1) // 3 + 1}"


def ranking_quarter(value: str | None, *, today: date) -> Period:
    """The quarter *value* names (default :func:`default_quarter`); InvalidParameter
    naming ``quarter`` when it is not one."""
    return quarter_period(value if value is not None else default_quarter(today), today=today)


def project_officials(conn: Connection) -> dict[str, list[dict[str, Any]]]:
    """Every project's officials (standing assignments, lead first): code -> [{official_code,
    name, title, role}]."""
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in conn.execute(text(sql("service.projects", "sql/ranking_officials.sql"))):
        found[row.project_code].append(
            {
                "official_code": row.official_code,
                "name": row.name,
                "title": row.title,
                "role": row.role,
            }
        )
    return found


def _rate(value: Decimal | None) -> float | None:
    return None if value is None else round(float(value), RATE_DIGITS)


def _number(value: Any) -> float:
    return float(value) if value is not None else 0.0


def _bases(row: Any, through_month: int) -> tuple[dict[str, Decimal | None], dict[str, dict]]:
    """A project's rates and the figures behind them, by criterion."""
    visits = int(row.scored_visits)
    mean = float(row.visit_score_sum) / visits if visits else None
    rates = {
        Criterion.INVESTMENT.value: investment_rate(row.completed_wan, row.planned_wan),
        Criterion.MILESTONES.value: share_rate(row.milestones_on_time, row.milestones_due),
        Criterion.PROBLEMS.value: share_rate(row.problems_on_time, row.problems_due),
        Criterion.VISITS.value: visit_rate(row.visit_score_sum, visits),
    }
    bases = {
        Criterion.INVESTMENT.value: {
            "completed_wan": _number(row.completed_wan),
            "planned_wan": _number(row.planned_wan),
            "through_month": through_month,
        },
        Criterion.MILESTONES.value: {
            "due": int(row.milestones_due),
            "on_time": int(row.milestones_on_time),
        },
        Criterion.PROBLEMS.value: {
            "due": int(row.problems_due),
            "on_time": int(row.problems_on_time),
        },
        Criterion.VISITS.value: {
            "scored_visits": visits,
            "mean_score": None if mean is None else round(mean, 2),
        },
    }
    return rates, bases


def score_quarter(
    conn: Connection, *, period: Period, weights: dict[str, Any]
) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """Every project of the city scored and ranked for *period* (a quarter) with
    *weights* (criterion -> weight): the projects in city-rank order (unranked last, ties
    by code) and every project's officials."""
    through_month = period.months[-1]
    rows = conn.execute(
        text(sql("service.projects", "sql/ranking_rates.sql")),
        {
            "year": period.year,
            "through_month": through_month,
            "first_day": period.first_day,
            "as_of": period.as_of,
        },
    ).all()
    officials = project_officials(conn)
    projects = []
    for row in rows:
        rates, bases = _bases(row, through_month)
        scored = score_project(weights, rates)
        projects.append(
            {
                "project_code": row.project_code,
                "name": row.name,
                "park": row.park,
                "industry_chain": row.industry_chain,
                "status": row.status,
                "officials": officials.get(row.project_code, []),
                "score": scored.score,
                "city_rank": None,
                "park_rank": None,
                "criteria": [
                    {
                        "criterion": part.criterion,
                        "name_zh": CRITERION_NAMES_ZH.get(part.criterion, part.criterion),
                        "weight": part.weight,
                        "applies": part.applies,
                        "rate": _rate(part.rate),
                        "points": part.points,
                        "basis": bases[part.criterion],
                    }
                    for part in scored.criteria
                ],
            }
        )
    for project, rank in zip(
        projects, competition_ranks([p["score"] for p in projects]), strict=True
    ):
        project["city_rank"] = rank
    by_park: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for project in projects:
        by_park[project["park"]].append(project)
    for members in by_park.values():
        for project, rank in zip(
            members, competition_ranks([p["score"] for p in members]), strict=True
        ):
            project["park_rank"] = rank
    ordered = ranked_order(
        projects, rank=lambda p: p["city_rank"], code=lambda p: p["project_code"]
    )
    return ordered, officials


def official_ranking(projects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The officials who lead (role lead) any of *projects*, each with the projects they
    lead that are ranked, the mean of those projects' scores and their competition rank
    by it (None when none is ranked: listed last); ties by official code."""
    led: dict[str, list[dict[str, Any]]] = defaultdict(list)
    names: dict[str, str] = {}
    for project in projects:
        for official in project["officials"]:
            if official["role"] == AssignmentRole.LEAD.value:
                led[official["official_code"]].append(project)
                names[official["official_code"]] = official["name"]
    ranks = mean_ranking({code: [p["score"] for p in found] for code, found in led.items()})
    answer = [
        {
            "official_code": code,
            "name": names[code],
            "projects": [
                {
                    "project_code": p["project_code"],
                    "name": p["name"],
                    "park": p["park"],
                    "score": p["score"],
                    "city_rank": p["city_rank"],
                }
                for p in led[code]
                if p["score"] is not None
            ],
            "mean_score": ranks[code].mean_score,
            "rank": ranks[code].rank,
        }
        for code in led
    ]
    return ranked_order(answer, rank=lambda o: o["rank"], code=lambda o: o["official_code"])


def criteria_in_force(weights: dict[str, Any]) -> list[dict[str, Any]]:
    """The criteria in force: [{criterion, name_zh, weight}] in the vocabulary's order."""
    return [
        {"criterion": c, "name_zh": CRITERION_NAMES_ZH.get(c, c), "weight": float(weights[c])}
        for c in criteria_order(weights)
    ]


def quarterly_ranking(
    conn: Connection, *, quarter: str | None, today: date, park: str | None = None
) -> dict[str, Any]:
    """The ranking of *quarter* (``2026Q3``; default the quarter of the last complete
    month), as of its last day or *today* while it runs:

    ``{quarter, first_day, last_day, as_of, running, park, criteria_in_force: [{criterion,
    name_zh, weight}], projects: [{project_code, name, park, industry_chain, status,
    officials, score, city_rank, park_rank, criteria: [{criterion, name_zh, weight,
    applies, rate, points, basis}]}], parks: [{park, name, projects: [{project_code, name,
    score, park_rank, city_rank}]}], officials: [{official_code, name, projects, mean_score,
    rank}]}``.

    *park* narrows the lists to one park (its projects, and the officials leading any of
    them); the ranks stay the city's. Scores per :mod:`parks.projects.scoring` with the
    weights in force (``ranking.criteria``)."""
    period = ranking_quarter(quarter, today=today)
    weights = settings_in_force(conn)["ranking.criteria"]
    projects, _ = score_quarter(conn, period=period, weights=weights)
    officials = official_ranking(projects)
    park_names = dict(conn.execute(text("SELECT code, name_zh FROM park")).all())
    if park is not None:
        projects = [p for p in projects if p["park"] == park]
        leads = {
            o["official_code"]
            for p in projects
            for o in p["officials"]
            if o["role"] == AssignmentRole.LEAD.value
        }
        officials = [o for o in officials if o["official_code"] in leads]
    parks: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for p in projects:
        parks[p["park"]].append(p)
    return {
        "quarter": period.label,
        "first_day": period.first_day.isoformat(),
        "last_day": period.last_day.isoformat(),
        "as_of": period.as_of.isoformat(),
        "running": period.running,
        "park": park,
        "criteria_in_force": criteria_in_force(weights),
        "projects": projects,
        "parks": [
            {
                "park": code,
                "name": park_names.get(code, code),
                "projects": [
                    {
                        "project_code": p["project_code"],
                        "name": p["name"],
                        "score": p["score"],
                        "park_rank": p["park_rank"],
                        "city_rank": p["city_rank"],
                    }
                    for p in ranked_order(
                        members, rank=lambda p: p["park_rank"], code=lambda p: p["project_code"]
                    )
                ],
            }
            for code, members in sorted(parks.items())
        ],
        "officials": officials,
    }

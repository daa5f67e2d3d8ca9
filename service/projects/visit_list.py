"""The weekly visit list (周观摩): the projects proposed for an ISO week's site visits, with
the points and reasons of :mod:`parks.projects.visit_list`.

Every project's figures come in one query (``sql/visit_list_candidates.sql``), judged as
of the day before the week starts; the officials of the proposed projects from
``sql/ranking_officials.sql``. Money 万元.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, text

from parks.projects.periods import week_period
from parks.projects.visit_list import (
    VisitCandidate,
    judged_on,
    shortfall_month,
    visit_proposals,
)
from parks.projects.vocabulary import MILESTONE_ORDER
from service.db.sqlfiles import sql
from service.projects.ranking import project_officials
from service.projects.settings import settings_in_force


def weekly_visit_list(conn: Connection, *, week: str | None, today: date) -> dict[str, Any]:
    """The visit list of *week* (``2026-W44``; default the week of *today*; at most the
    next week):

    ``{week, first_day, last_day, judged_on, shortfall_through: "YYYY-MM", size,
    proposals: [{project_code, name, park, points, reasons, last_visit_on, officials,
    basis}]}`` — the first ``visit_list.size`` candidates by points (ties by code), as
    :mod:`parks.projects.visit_list` says. InvalidParameter naming ``week`` for a week
    that is not one."""
    period = week_period(week, today=today)
    as_of = judged_on(period.first_day)
    year, month = shortfall_month(period.first_day)
    settings = settings_in_force(conn)
    rows = conn.execute(
        text(sql("service.projects", "sql/visit_list_candidates.sql")),
        {
            "year": year,
            "through_month": month,
            "judged_on": as_of,
            "milestone_order": list(MILESTONE_ORDER),
        },
    ).all()
    by_code = {r.project_code: r for r in rows}
    candidates = [
        VisitCandidate(
            project_code=r.project_code,
            planned_wan=float(r.planned_wan),
            completed_wan=float(r.completed_wan),
            overdue_problems=int(r.overdue_problems),
            overdue_milestones=tuple(r.overdue_milestones),
            last_visit_on=r.last_visit_on,
        )
        for r in rows
    ]
    proposed = visit_proposals(candidates, as_of=as_of, settings=settings)
    officials = project_officials(conn) if proposed else {}
    return {
        "week": period.label,
        "first_day": period.first_day.isoformat(),
        "last_day": period.last_day.isoformat(),
        "judged_on": as_of.isoformat(),
        "shortfall_through": f"{year:04d}-{month:02d}",
        "size": int(settings["visit_list.size"]),
        "proposals": [
            {
                "project_code": p.candidate.project_code,
                "name": by_code[p.candidate.project_code].name,
                "park": by_code[p.candidate.project_code].park,
                "points": p.priority.points,
                "reasons": list(p.priority.reasons),
                "last_visit_on": (
                    p.candidate.last_visit_on.isoformat() if p.candidate.last_visit_on else None
                ),
                "officials": officials.get(p.candidate.project_code, []),
                "basis": p.priority.basis,
            }
            for p in proposed
        ],
    }

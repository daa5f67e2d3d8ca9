"""A key project's summary for a year (``GET /api/projects/{project_code}`` and the page
``/projects/{project_code}``): the project and its officials, plan vs actual investment by
month, the milestones planned vs reached, the image-progress targets and the latest
report, open problems with their owners and days overdue, the visits and the parcels with
their history.

Everything is judged as of one day, ``as_of`` (today in the current year, the year's last
day for a past year), with the rules of :mod:`parks.projects.rules` and the shared
definitions: the plan to date and the investment completed to date run through the last
complete month as of ``as_of`` (``through_month``: ``as_of``'s month on its last day, else
the month before). Money 万元, areas m² and 亩, percentages 0..100. A handful of queries
(``sql/summary_*.sql``), none per month or per row.
"""

from __future__ import annotations

import calendar
import json
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, text

from parks.errors import InvalidParameter, NotFound
from parks.projects.periods import year_period
from parks.projects.rules import (
    MilestoneState,
    is_behind_plan,
    judge_milestone,
    problem_is_overdue,
    problem_overdue_days,
    problem_solved_on_time,
)
from parks.projects.vocabulary import (
    ASSIGNMENT_ROLE_NAMES_ZH,
    MILESTONE_NAMES_ZH,
    MILESTONE_ORDER,
    PROBLEM_CATEGORY_NAMES_ZH,
    PROBLEM_STATUS_NAMES_ZH,
    VISIT_KIND_NAMES_ZH,
)
from parks.units import M2_PER_MU
from parks.vocabulary import PROJECT_STATUS_NAMES_ZH, STATUS_NAMES_ZH
from service.db.sqlfiles import sql
from service.projects.settings import settings_in_force

#: The state of a milestone reached that the year's plan does not name.
UNPLANNED = "unplanned"
#: A milestone's state -> its Chinese name.
MILESTONE_STATE_NAMES_ZH: dict[str, str] = {
    MilestoneState.ON_TIME: "按期完成",
    MilestoneState.LATE: "滞后完成",
    MilestoneState.OVERDUE: "逾期未完成",
    MilestoneState.PENDING: "未到期",
    UNPLANNED: "计划外完成",
}
#: Where a parcel's history is served (``service/api/routes/audit.py``).
PARCEL_HISTORY_URL = "/api/parcels/{code}/history"


def _query(conn: Connection, name: str, params: dict[str, Any]):
    return conn.execute(text(sql("service.projects", f"sql/{name}")), params)


def _wan(value: Any) -> float | None:
    """An amount as a float rounded to the 万元's two decimals (None stays None)."""
    return None if value is None else round(float(value), 2)


def _number(value: Any) -> Any:
    """A JSON-ish value with every Decimal a float (PostgreSQL's numerics)."""
    return float(value) if isinstance(value, Decimal) else value


def judged_day(*, year: int | None, as_of: date | None, today: date) -> tuple[int, date]:
    """The year and the day a summary is judged on: *as_of* if given (in *year* when both
    are given, and not after *today*), else today in the current year and the year's last
    day for a past year. Raises :class:`InvalidParameter` naming ``year`` (a year after
    today's, or outside 1990–2200) or ``as_of``."""
    if as_of is not None:
        if year is not None and as_of.year != year:
            raise InvalidParameter("as_of", f"{as_of.isoformat()} is not in the year {year}")
        if as_of > today:
            raise InvalidParameter(
                "as_of", f"{as_of.isoformat()} is after today ({today.isoformat()})"
            )
        year = as_of.year
    period = year_period(year, today=today)
    return period.year, as_of or period.as_of


def through_month(as_of: date) -> int:
    """The last complete month as of *as_of* (0 in January before its last day)."""
    last_day = calendar.monthrange(as_of.year, as_of.month)[1]
    return as_of.month if as_of.day == last_day else as_of.month - 1


def _project(conn: Connection, project_code: str) -> tuple[dict[str, Any], list[dict]]:
    row = _query(conn, "summary_project.sql", {"project_code": project_code}).mappings().first()
    if row is None:
        raise NotFound(f"project_code: no project {project_code!r}")
    project = {
        "project_code": row["project_code"],
        "name": row["name"],
        "park": row["park"],
        "park_name": row["park_name"],
        "investor": row["investor"],
        "industry_chain": row["industry_chain"],
        "investment_yi": _number(row["investment_yi"]),
        "status": row["status"],
        "status_zh": PROJECT_STATUS_NAMES_ZH.get(row["status"], row["status"]),
        "recorded_milestones": list(row["milestones"] or []),
    }
    officials = [
        {**o, "role_zh": ASSIGNMENT_ROLE_NAMES_ZH.get(o["role"], o["role"])}
        for o in row["officials"]
    ]
    return project, officials


def _investment(
    conn: Connection, params: dict[str, Any], *, through: int, behind_share: float
) -> dict[str, Any]:
    rows = _query(conn, "summary_investment.sql", params).mappings().all()
    reported = [r["month"] for r in rows if r["completed_wan"] is not None]
    known_until = max([through, *reported])
    months, planned_sum, completed_sum = [], 0.0, 0.0
    planned_to_date = completed_to_date = 0.0
    for r in rows:
        planned = float(r["planned_wan"])
        completed = None if r["completed_wan"] is None else float(r["completed_wan"])
        planned_sum += planned
        completed_sum += completed or 0.0
        if r["month"] <= through:
            planned_to_date, completed_to_date = planned_sum, completed_sum
        months.append(
            {
                "month": r["month"],
                "planned_wan": _wan(planned),
                "completed_wan": _wan(completed),
                "cumulative_planned_wan": _wan(planned_sum),
                "cumulative_completed_wan": (
                    _wan(completed_sum) if r["month"] <= known_until else None
                ),
            }
        )
    return {
        "months": months,
        "through_month": through,
        "planned_year_wan": _wan(planned_sum),
        "planned_to_date_wan": _wan(planned_to_date),
        "completed_to_date_wan": _wan(completed_to_date),
        "completion_of_year_pct": (
            round(completed_to_date / planned_sum * 100, 2) if planned_sum > 0 else None
        ),
        "completion_to_date_pct": (
            round(completed_to_date / planned_to_date * 100, 2) if planned_to_date > 0 else None
        ),
        "behind_plan": is_behind_plan(
            completed_to_date, planned_to_date, behind_share=behind_share
        ),
        "behind_share": behind_share,
    }


def _milestones(conn: Connection, params: dict[str, Any], *, as_of: date) -> list[dict]:
    rows = _query(conn, "summary_milestones.sql", params).mappings().all()
    order = {m: i for i, m in enumerate(MILESTONE_ORDER)}
    out = []
    for r in sorted(rows, key=lambda r: (order.get(r["milestone"], len(order)), r["milestone"])):
        if r["planned_on"] is None:
            state, delay = UNPLANNED, None
        else:
            judged = judge_milestone(r["planned_on"], r["reached_on"], as_of=as_of)
            state, delay = judged.state.value, judged.delay_days
        out.append(
            {
                "milestone": r["milestone"],
                "name_zh": MILESTONE_NAMES_ZH.get(r["milestone"], r["milestone"]),
                "planned_on": r["planned_on"],
                "reached_on": r["reached_on"],
                "state": state,
                "state_zh": MILESTONE_STATE_NAMES_ZH[state],
                "delay_days": delay,
                "late": state in (MilestoneState.LATE, MilestoneState.OVERDUE),
            }
        )
    return out


def _progress(conn: Connection, params: dict[str, Any], *, as_of: date) -> dict[str, Any]:
    found = _query(conn, "summary_progress.sql", params).scalar_one()
    found = found if isinstance(found, dict) else json.loads(found)
    targets = [{k: _number(v) for k, v in t.items()} for t in found["targets"]]
    latest = found["latest"]
    quarter = (as_of.month - 1) // 3 + 1
    return {
        "targets": targets,
        "current_quarter": quarter,
        "current_target": next((t for t in targets if t["quarter"] == quarter), None),
        "latest": {k: _number(v) for k, v in latest.items()} if latest else None,
    }


def _problems(conn: Connection, params: dict[str, Any], *, as_of: date) -> dict[str, Any]:
    rows = _query(conn, "summary_problems.sql", params).mappings().all()
    open_, solved = [], []
    for r in rows:
        days = problem_overdue_days(r["due_on"], r["solved_on"], as_of=as_of)
        item = {
            "problem_no": r["problem_no"],
            "description": r["description"],
            "category": r["category"],
            "category_zh": PROBLEM_CATEGORY_NAMES_ZH.get(r["category"], r["category"]),
            "department": r["department"],
            "official_code": r["official_code"],
            "official_name": r["official_name"],
            "raised_on": r["raised_on"],
            "due_on": r["due_on"],
            "days_overdue": days,
        }
        if r["solved_on"] is not None and r["solved_on"] <= as_of:
            solved.append(
                {
                    **item,
                    "status": r["status"],
                    "status_zh": PROBLEM_STATUS_NAMES_ZH.get(r["status"], r["status"]),
                    "solved_on": r["solved_on"],
                    "resolution": r["resolution"],
                    "solved_on_time": problem_solved_on_time(r["due_on"], r["solved_on"]),
                }
            )
        else:
            # Solved only after the judged day: it was still being worked on then.
            status = "in_progress" if r["status"] == "solved" else r["status"]
            open_.append(
                {
                    **item,
                    "status": status,
                    "status_zh": PROBLEM_STATUS_NAMES_ZH.get(status, status),
                    "overdue": problem_is_overdue(r["due_on"], r["solved_on"], as_of=as_of),
                }
            )
    open_.sort(key=lambda p: (-p["days_overdue"], p["due_on"], p["problem_no"]))
    solved.sort(key=lambda p: (p["solved_on"], p["problem_no"]), reverse=True)
    return {
        "open": open_,
        "solved": solved,
        "open_count": len(open_),
        "solved_count": len(solved),
        "overdue_count": sum(1 for p in open_ if p["overdue"]),
    }


def _visits(conn: Connection, params: dict[str, Any]) -> list[dict]:
    return [
        {
            "visited_on": r["visited_on"],
            "kind": r["kind"],
            "kind_zh": VISIT_KIND_NAMES_ZH.get(r["kind"], r["kind"]),
            "visitors": r["visitors"],
            "findings": r["findings"],
            "score": _number(r["score"]),
        }
        for r in _query(conn, "summary_visits.sql", params).mappings()
    ]


def _parcels(conn: Connection, project_code: str, *, with_shapes: bool) -> list[dict]:
    rows = _query(
        conn, "summary_parcels.sql", {"project_code": project_code, "with_shapes": with_shapes}
    ).mappings()
    out = []
    for r in rows:
        parcel = {
            "parcel_code": r["parcel_code"],
            "park": r["park"],
            "status": r["status"],
            "status_zh": STATUS_NAMES_ZH.get(r["status"], r["status"]),
            "land_use": r["land_use_code"],
            "land_use_name": r["land_use_name"],
            "is_manufacturing": r["is_manufacturing"],
            "area_m2": round(float(r["area_m2"]), 2),
            "area_mu": round(float(r["area_m2"]) / M2_PER_MU, 4),
            "holder": r["holder"],
            "parcel_history_url": PARCEL_HISTORY_URL.format(code=r["parcel_code"]),
            "history": [
                {
                    **h,
                    "area_m2": round(float(h["area_m2"]), 2),
                    "status_zh": STATUS_NAMES_ZH.get(h["status"], h["status"]),
                }
                for h in r["history"] or []
            ],
        }
        if with_shapes:
            parcel["shape"] = json.loads(r["shape"])
        out.append(parcel)
    return out


def project_summary(
    conn: Connection,
    *,
    project_code: str,
    today: date,
    year: int | None = None,
    as_of: date | None = None,
    with_shapes: bool = False,
) -> dict[str, Any]:
    """The summary of *project_code* for *year* as of *as_of* (see :func:`judged_day`).
    Raises :class:`NotFound` for an unknown project, :class:`InvalidParameter` for a bad
    year or as_of. With *with_shapes* each parcel carries its ``shape`` (a GeoJSON
    geometry in EPSG:4326), for the page's map."""
    year, as_of = judged_day(year=year, as_of=as_of, today=today)
    project, officials = _project(conn, project_code)
    params = {
        "project_code": project_code,
        "year": year,
        "as_of": as_of,
        "as_of_month": as_of.month,
    }
    settings = settings_in_force(conn)
    milestones = _milestones(conn, params, as_of=as_of)
    return {
        "project": project,
        "officials": officials,
        "year": year,
        "as_of": as_of,
        "investment": _investment(
            conn,
            params,
            through=through_month(as_of),
            behind_share=float(settings["progress.behind_share"]),
        ),
        "milestones": milestones,
        "milestones_late": sum(1 for m in milestones if m["late"]),
        "progress": _progress(conn, params, as_of=as_of),
        "problems": _problems(conn, params, as_of=as_of),
        "visits": _visits(conn, params),
        "parcels": _parcels(conn, project_code, with_shapes=with_shapes),
    }

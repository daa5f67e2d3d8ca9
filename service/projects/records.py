"""Reading key projects' records back, JSON-ready: a project's plan for a year, its monthly
reports and the milestones it reached, its site visits, its problems (one with every
version it had), the officials who take charge of projects and the rhythm's settings.

Only standing versions are read (``valid_to IS NULL``), except a problem's history. Money
is 万元 (floats), percentages 0..100, dates ISO ``YYYY-MM-DD``, times ISO 8601 with their
zone. Days overdue follow :mod:`parks.projects.rules`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import Connection, text

from parks.errors import NotFound
from parks.projects.rules import problem_is_overdue, problem_overdue_days
from parks.projects.settings import DEFAULTS, in_force
from parks.projects.vocabulary import (
    MILESTONE_NAMES_ZH,
    MILESTONE_ORDER,
    PROBLEM_CATEGORY_NAMES_ZH,
    PROBLEM_STATUS_NAMES_ZH,
    VISIT_KIND_NAMES_ZH,
)
from service.db.sqlfiles import sql
from service.supervision.contracts import plain

_PACKAGE = "service.projects"

#: What the problem list's ``status`` filter takes: a stored status, or ``overdue``
#: (unsolved and past its due date as of the day asked).
PROBLEM_FILTERS: tuple[str, ...] = ("open", "in_progress", "solved", "overdue")


def _rows(conn: Connection, name: str, **params: Any) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(text(sql(_PACKAGE, name)), params).mappings()]


def _plain(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: plain(v) for k, v in row.items()}


def standing_project(conn: Connection, project_code: str) -> dict[str, Any]:
    """Key project *project_code*: its ``project_code``, ``name`` and ``park``;
    :class:`NotFound` naming the code when there is none."""
    rows = _rows(conn, "sql/records_project.sql", project_code=project_code)
    if not rows:
        raise NotFound(f"project_code: no key project {project_code!r}")
    return rows[0]


# --- plans ----------------------------------------------------------------------------------


def plan(conn: Connection, project_code: str, *, year: int) -> dict[str, Any]:
    """The standing plan of *project_code* for *year*: ``investment`` (the planned months,
    each ``month`` and ``planned_wan``), ``planned_year_wan`` (their sum), ``milestones``
    (each ``milestone``, ``name_zh`` and ``planned_on``, in the order a project reaches
    them) and ``progress_targets`` (each ``quarter``, ``target_pct``, ``target_text``).
    :class:`NotFound` for an unknown project."""
    standing_project(conn, project_code)
    row = _rows(conn, "sql/records_plan.sql", project_code=project_code, year=year)[0]
    investment = [
        {"month": i["month"], "planned_wan": float(i["planned_wan"])} for i in row["investment"]
    ]
    rank = {m: n for n, m in enumerate(MILESTONE_ORDER)}
    milestones = sorted(row["milestones"], key=lambda m: rank.get(m["milestone"], len(rank)))
    return {
        "project_code": project_code,
        "year": year,
        "investment": investment,
        "planned_year_wan": round(sum(i["planned_wan"] for i in investment), 2),
        "milestones": [
            {
                "milestone": m["milestone"],
                "name_zh": MILESTONE_NAMES_ZH.get(m["milestone"], m["milestone"]),
                "planned_on": m["planned_on"],
            }
            for m in milestones
        ],
        "progress_targets": [
            {
                "quarter": q["quarter"],
                "target_pct": float(q["target_pct"]),
                "target_text": q["target_text"],
            }
            for q in row["progress_targets"]
        ],
    }


# --- reports --------------------------------------------------------------------------------


def _report(row: Mapping[str, Any]) -> dict[str, Any]:
    out = _plain(row)
    year, month = out.pop("year"), out.pop("month")
    return {"month": f"{year:04d}-{month:02d}", "year": year, "month_no": month, **out}


def report_rows(conn: Connection, project_code: str, *, year: int) -> list[dict[str, Any]]:
    """The standing reports of *project_code* of *year*, by month: each ``month``
    (``YYYY-MM``), ``year``, ``month_no``, ``investment_wan``,
    ``cumulative_investment_wan``, ``image_progress_text``, ``image_progress_pct``,
    ``employment``, ``output_wan``, ``reported_on`` and the ``change_set_id`` of its
    standing version."""
    return [
        _report(r)
        for r in _rows(conn, "sql/records_reports.sql", project_code=project_code, year=year)
    ]


def milestones_reached(conn: Connection, project_code: str) -> list[dict[str, Any]]:
    """The milestones *project_code* reached (standing), in the order a project reaches
    them: each ``milestone``, ``name_zh`` and ``reached_on``."""
    rank = {m: n for n, m in enumerate(MILESTONE_ORDER)}
    rows = _rows(conn, "sql/records_reached.sql", project_code=project_code)
    rows.sort(key=lambda r: (rank.get(r["milestone"], len(rank)), r["reached_on"]))
    return [
        {
            "milestone": r["milestone"],
            "name_zh": MILESTONE_NAMES_ZH.get(r["milestone"], r["milestone"]),
            "reached_on": r["reached_on"].isoformat(),
        }
        for r in rows
    ]


def reports(conn: Connection, project_code: str, *, year: int) -> dict[str, Any]:
    """``{project_code, year, reports, milestones_reached}``: the standing reports of
    *year* (:func:`report_rows`) and every milestone the project reached
    (:func:`milestones_reached`). :class:`NotFound` for an unknown project."""
    standing_project(conn, project_code)
    return {
        "project_code": project_code,
        "year": year,
        "reports": report_rows(conn, project_code, year=year),
        "milestones_reached": milestones_reached(conn, project_code),
    }


def report_neighbours(
    conn: Connection, project_code: str, *, year: int, month: int
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The standing reports of *project_code* just before and just after month
    (*year*, *month*) — each ``year``, ``month``, ``cumulative_investment_wan`` — or None."""
    rows = _rows(
        conn,
        "sql/records_report_neighbours.sql",
        project_code=project_code,
        year=year,
        month=month,
    )
    sides = {r.pop("side"): r for r in rows}
    return sides.get("previous"), sides.get("following")


# --- visits ---------------------------------------------------------------------------------


def visits(conn: Connection, project_code: str) -> list[dict[str, Any]]:
    """The standing visits to *project_code*, newest first: each ``visited_on``, ``kind``,
    ``kind_zh``, ``visitors``, ``findings``, ``score`` (0..100 or null) and the
    ``change_set_id`` of its standing version. :class:`NotFound` for an unknown project."""
    standing_project(conn, project_code)
    out = []
    for row in _rows(conn, "sql/records_visits.sql", project_code=project_code):
        visit = _plain(row)
        visit["kind_zh"] = VISIT_KIND_NAMES_ZH.get(visit["kind"], visit["kind"])
        out.append(visit)
    return out


# --- problems -------------------------------------------------------------------------------


def problem_json(row: Mapping[str, Any], *, as_of: date) -> dict[str, Any]:
    """A stored problem (dates as dates) as the API gives it, judged as of *as_of*:
    with ``category_zh``, ``status_zh``, ``days_overdue`` and ``overdue``."""
    out = {
        k: plain(v)
        for k, v in row.items()
        if k not in ("valid_from", "valid_to", "ended_by_change_set_id", "actor", "reason")
    }
    out["category_zh"] = PROBLEM_CATEGORY_NAMES_ZH.get(row["category"], row["category"])
    out["status_zh"] = PROBLEM_STATUS_NAMES_ZH.get(row["status"], row["status"])
    out["days_overdue"] = problem_overdue_days(row["due_on"], row["solved_on"], as_of=as_of)
    out["overdue"] = problem_is_overdue(row["due_on"], row["solved_on"], as_of=as_of)
    return out


def standing_problem(conn: Connection, project_code: str, problem_no: str) -> dict[str, Any] | None:
    """The standing version of problem *problem_no* of *project_code* as stored (dates as
    dates, with ``official_name``), or None."""
    rows = _rows(conn, "sql/records_problems.sql", project_code=project_code, problem_no=problem_no)
    return rows[0] if rows else None


def problems(
    conn: Connection, project_code: str, *, as_of: date, status: str | None = None
) -> list[dict[str, Any]]:
    """The standing problems of *project_code* raised on or before *as_of*, in the order
    they were raised (:func:`problem_json`, judged as of *as_of*); with *status*, only
    those of that stored status, or (``overdue``) those unsolved past their due date as
    of *as_of*. :class:`NotFound` for an unknown project."""
    standing_project(conn, project_code)
    rows = _rows(conn, "sql/records_problems.sql", project_code=project_code, problem_no=None)
    out = []
    for row in rows:
        if row["raised_on"] > as_of:
            continue
        problem = problem_json(row, as_of=as_of)
        if status == "overdue" and not problem["overdue"]:
            continue
        if status not in (None, "overdue") and problem["status"] != status:
            continue
        out.append(problem)
    return out


def problem_detail(
    conn: Connection, project_code: str, problem_no: str, *, as_of: date
) -> dict[str, Any]:
    """Problem *problem_no* of *project_code*: ``problem`` (as :func:`problems` gives it)
    and ``history``: every version it had, oldest first, each with its fields,
    ``valid_from``, ``valid_to`` (null: standing), ``change_set_id``,
    ``ended_by_change_set_id``, ``actor`` and ``reason``. :class:`NotFound` for an
    unknown project or when no such problem of the project stands."""
    standing_project(conn, project_code)
    row = standing_problem(conn, project_code, problem_no)
    if row is None:
        raise NotFound(f"problem_no: project {project_code} has no problem {problem_no!r}")
    history = _rows(
        conn, "sql/records_problem_history.sql", project_code=project_code, problem_no=problem_no
    )
    return {"problem": problem_json(row, as_of=as_of), "history": [_plain(v) for v in history]}


def problem_numbers(conn: Connection, project_code: str) -> list[str]:
    """Every problem number ever given to *project_code*'s problems, or of its form
    (``{project_code}-Q…``), ended ones included."""
    rows = _rows(
        conn,
        "sql/records_problem_numbers.sql",
        project_code=project_code,
        prefix=f"{project_code}-Q",
    )
    return [r["problem_no"] for r in rows]


# --- officials ------------------------------------------------------------------------------


def officials(conn: Connection, official_code: str | None = None) -> list[dict[str, Any]]:
    """The standing officials (or the one of *official_code*), by code: each
    ``official_code``, ``name``, ``title``, ``unit`` and ``projects`` — the projects
    they stand assigned to (``project_code``, ``name``, ``role``, ``assigned_on``), leads
    first."""
    return _rows(conn, "sql/records_officials.sql", official_code=official_code)


def assignment(conn: Connection, project_code: str, official_code: str) -> dict[str, Any] | None:
    """The standing assignment of *official_code* to *project_code*: ``project_code``,
    ``official_code``, ``name`` (the official's), ``role``, ``assigned_on`` and its
    ``change_set_id``; or None."""
    rows = _rows(
        conn,
        "sql/records_assignment.sql",
        project_code=project_code,
        official_code=official_code,
    )
    return _plain(rows[0]) if rows else None


# --- settings -------------------------------------------------------------------------------


def settings_body(conn: Connection) -> dict[str, dict[str, Any]]:
    """Every key-project setting by name: ``value`` (in force), ``default``,
    ``changed_at`` and ``actor`` (when and by whom an admin set the value in force; null
    while the default is in force)."""
    overrides = {r["name"]: r for r in _rows(conn, "sql/records_settings.sql")}
    values = in_force({name: r["value"] for name, r in overrides.items()})
    out = {}
    for name in sorted(DEFAULTS):
        override = overrides.get(name)
        out[name] = {
            "value": values[name],
            "default": DEFAULTS[name],
            "changed_at": plain(override["valid_from"]) if override else None,
            "actor": override["actor"] if override else None,
        }
    return out

"""Building key-project records for the tests of the rhythm (plans, reports, visits,
problems, officials): whole records with plain defaults, written with ``put_versions`` in
one change set of kind ``projects``, on a copy of the loaded sample.

The sample carries its own rhythm records for its 32 projects; a test that wants only its
own calls :func:`clear_records` first (every standing record ended, in one change set: the
projects and their land stay) and then writes what it needs — onto the sample's projects
or onto projects of its own made by :func:`add_project`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import text

from service.changes.session import open_change_set
from service.db.engine import make_engine
from service.db.versioned_records import put_versions

#: The key-project record tables, in the order they are written.
TABLE_ORDER = (
    "project_official",
    "project_assignment",
    "project_plan_investment",
    "project_plan_milestone",
    "project_plan_progress",
    "project_report",
    "project_milestone_reached",
    "project_visit",
    "project_problem",
    "project_setting",
)


def put(url: str, **tables: Sequence[dict[str, Any]]) -> int:
    """Write *tables* (name -> records) as the standing versions, in one change set of kind
    ``projects`` (``project_setting`` when only settings are given); its id."""
    unknown = set(tables) - set(TABLE_ORDER)
    assert not unknown, f"not key-project tables: {unknown}"
    kind = "project_setting" if set(tables) == {"project_setting"} else "projects"
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        with engine.begin() as conn:
            cs = open_change_set(conn, kind=kind, reason="project test", actor="project-test")
            for table in TABLE_ORDER:
                if tables.get(table):
                    put_versions(conn, change_set_id=cs.id, table=table, rows=list(tables[table]))
    finally:
        engine.dispose()
    return cs.id


def clear_records(url: str) -> int:
    """End every standing key-project record (officials, plans, reports, visits, problems,
    settings) in one change set: the number ended. The projects and their parcels stay."""
    engine = make_engine(url, pool_size=1, max_overflow=0)
    ended = 0
    try:
        with engine.begin() as conn:
            cs = open_change_set(conn, kind="projects", reason="clear", actor="project-test")
            for table in TABLE_ORDER:
                ended += conn.execute(
                    text(
                        f"UPDATE {table} SET valid_to = :at, ended_by_change_set_id = :cs "
                        "WHERE valid_to IS NULL"
                    ),
                    {"at": cs.at, "cs": cs.id},
                ).rowcount
    finally:
        engine.dispose()
    return ended


def add_project(
    url: str,
    code: str,
    *,
    park: str = "jiangtan",
    name: str | None = None,
    industry_chain: str = "测试产业链",
    status: str = "under_construction",
    investment_yi: float = 5.0,
    parcel_codes: Sequence[str] = (),
) -> str:
    """Insert key project *code* (and its parcels) as the loader does; its code."""
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO project (project_code, name, park, investor, industry_chain, "
                    "investment_yi, status) VALUES (:c, :n, :p, '测试投资方', :chain, :inv, :s)"
                ),
                {
                    "c": code,
                    "n": name or f"测试项目 {code}",
                    "p": park,
                    "chain": industry_chain,
                    "inv": investment_yi,
                    "s": status,
                },
            )
            for parcel in parcel_codes:
                conn.execute(
                    text("INSERT INTO project_parcel (project_code, parcel_code) VALUES (:c, :p)"),
                    {"c": code, "p": parcel},
                )
    finally:
        engine.dispose()
    return code


# --- records ---------------------------------------------------------------------------------


def official(code: str, name: str, *, title: str = "副区长", unit: str = "测试管委会") -> dict:
    return {"official_code": code, "name": name, "title": title, "unit": unit}


def assignment(
    project_code: str, official_code: str, *, role: str = "lead", assigned_on=date(2026, 1, 5)
) -> dict:
    return {
        "project_code": project_code,
        "official_code": official_code,
        "role": role,
        "assigned_on": assigned_on,
    }


def plan_months(project_code: str, year: int, planned_wan: Sequence[float]) -> list[dict]:
    """The plan's investment for months 1..len(planned_wan) of *year* (万元)."""
    return [
        {"project_code": project_code, "year": year, "month": m, "planned_wan": amount}
        for m, amount in enumerate(planned_wan, start=1)
    ]


def plan_milestone(project_code: str, milestone: str, planned_on: date) -> dict:
    return {
        "project_code": project_code,
        "year": planned_on.year,
        "milestone": milestone,
        "planned_on": planned_on,
    }


def plan_progress(project_code: str, year: int, quarter: int, target_pct: float) -> dict:
    return {
        "project_code": project_code,
        "year": year,
        "quarter": quarter,
        "target_pct": target_pct,
        "target_text": f"第{quarter}季度 {target_pct:g}%",
    }


def reports(
    project_code: str, year: int, investment_wan: Sequence[float], *, cumulative_before=0.0
) -> list[dict]:
    """Monthly reports for months 1..len(investment_wan) of *year*, the cumulative
    investment running on from *cumulative_before* (万元)."""
    rows, cumulative = [], cumulative_before
    for m, amount in enumerate(investment_wan, start=1):
        cumulative += amount
        rows.append(
            {
                "project_code": project_code,
                "year": year,
                "month": m,
                "investment_wan": amount,
                "cumulative_investment_wan": round(cumulative, 2),
                "image_progress_text": f"{m}月进度",
                "image_progress_pct": min(100, m * 8),
                "employment": 100,
                "output_wan": None,
                "reported_on": date(year + (m == 12), m % 12 + 1, 5),
            }
        )
    return rows


def reached(project_code: str, milestone: str, reached_on: date) -> dict:
    return {"project_code": project_code, "milestone": milestone, "reached_on": reached_on}


def visit(
    project_code: str,
    visited_on: date,
    *,
    score: float | None = None,
    kind: str = "weekly",
    visitors: str = "市重点项目办",
) -> dict:
    return {
        "project_code": project_code,
        "visited_on": visited_on,
        "kind": kind,
        "visitors": visitors,
        "findings": "现场观摩",
        "score": score,
    }


def problem(
    problem_no: str,
    project_code: str,
    *,
    raised_on: date,
    due_on: date,
    solved_on: date | None = None,
    category: str = "land",
    official_code: str | None = None,
    department: str = "市自然资源局",
) -> dict:
    return {
        "problem_no": problem_no,
        "project_code": project_code,
        "description": f"问题 {problem_no}",
        "category": category,
        "raised_on": raised_on,
        "department": department,
        "official_code": official_code,
        "due_on": due_on,
        "status": "solved" if solved_on else "open",
        "resolution": "已协调解决" if solved_on else None,
        "solved_on": solved_on,
    }


def setting(name: str, value: Any) -> dict:
    return {"name": name, "value": value}

"""The monthly dispatch report of key projects (重点项目月调度): for a month *m* of year *Y*,
judged as of D (the month's last day, or today while the month runs), each project's
investment of the month and of the year to date against its plan, its milestones due in
the month (and met) and those overdue, its problems raised in the month and those overdue;
projects behind plan first; and the totals per park, per industry chain and for the city.

Every figure is aggregated in the database (``sql/dispatch_*.sql``: four queries for the
whole city, none per project); this module attaches the milestone and problem lists to
their projects and adds the Chinese names. The shared definitions of the rhythm hold
(``parks.projects.rules``): plan to date = Σ planned of months 1..m of Y, completed to
date = Σ reported of months 1..m, behind = :func:`~parks.projects.rules.is_behind_plan`
with the setting ``progress.behind_share``, milestones judged as
:func:`~parks.projects.rules.judge_milestone` does, overdue problems as
:func:`~parks.projects.rules.problem_is_overdue`.

The report is a JSON-ready dict (dates ISO ``YYYY-MM-DD``, money 万元, shares fractions
of 1, percentages 0..100). The workbook (:mod:`service.projects.dispatch_xlsx`), the Word
document (:mod:`service.projects.dispatch_docx`) and the page
(:mod:`service.projects.dispatch_page`) show the same dict.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, text

from parks.projects.periods import Period
from parks.projects.rules import MilestoneState
from parks.projects.vocabulary import (
    MILESTONE_NAMES_ZH,
    PROBLEM_CATEGORY_NAMES_ZH,
    PROBLEM_STATUS_NAMES_ZH,
)
from parks.vocabulary import PROJECT_STATUS_NAMES_ZH
from service.db.sqlfiles import sql
from service.projects.settings import settings_in_force
from service.supervision.report import plain

#: Chinese names of a milestone's state on the judged day.
MILESTONE_STATE_NAMES_ZH: dict[str, str] = {
    MilestoneState.ON_TIME: "按期完成",
    MilestoneState.LATE: "滞后完成",
    MilestoneState.OVERDUE: "逾期未完成",
    MilestoneState.PENDING: "未到期",
}
#: What a total counts, in the order every rendering shows them: key, Chinese heading.
TOTAL_COLUMNS: tuple[tuple[str, str], ...] = (
    ("projects", "项目数"),
    ("month_planned_wan", "本月计划投资（万元）"),
    ("month_completed_wan", "本月完成投资（万元）"),
    ("plan_to_date_wan", "累计计划投资（万元）"),
    ("completed_to_date_wan", "累计完成投资（万元）"),
    ("completion_to_date_pct", "累计完成率（%）"),
    ("behind", "滞后项目"),
    ("milestones_due", "本月应完成节点"),
    ("milestones_met", "按期完成节点"),
    ("milestones_overdue", "逾期未完成节点"),
    ("new_problems", "本月新增问题"),
    ("overdue_problems", "逾期问题"),
    ("not_reported", "本月未报送"),
)
#: The name a total per chain gets for projects without an industry chain.
NO_CHAIN_ZH = "未分类"
#: A project's milestone lists and problem lists: key, Chinese name of the list.
MILESTONE_LISTS: tuple[tuple[str, str], ...] = (
    ("milestones_due", "本月应完成"),
    ("milestones_overdue", "此前逾期"),
)
PROBLEM_LISTS: tuple[tuple[str, str], ...] = (
    ("new_problems", "本月新增"),
    ("overdue_problems", "逾期未解决"),
)


@cache
def _query(name: str) -> str:
    """The text of ``sql/<name>.sql``, with the lists the counts are made of put in."""
    body = sql("service.projects", f"sql/{name}.sql")
    if name == "dispatch_projects":
        return body.format(
            milestones=_query("dispatch_milestones"), problems=_query("dispatch_problems")
        )
    if name == "dispatch_totals":
        return body.format(projects=_query("dispatch_projects"))
    return body


def _rows(conn: Connection, name: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(text(_query(name)), params)]


def _milestone(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "milestone": row["milestone"],
        "name_zh": MILESTONE_NAMES_ZH.get(row["milestone"], row["milestone"]),
        "planned_on": row["planned_on"],
        "reached_on": row["reached_on"],
        "state": row["state"],
        "state_zh": MILESTONE_STATE_NAMES_ZH.get(row["state"], row["state"]),
        "delay_days": row["delay_days"],
    }


def _problem(row: Mapping[str, Any], *, overdue: bool) -> dict[str, Any]:
    out = {
        "problem_no": row["problem_no"],
        "description": row["description"],
        "category": row["category"],
        "category_zh": PROBLEM_CATEGORY_NAMES_ZH.get(row["category"], row["category"]),
        "raised_on": row["raised_on"],
        "department": row["department"],
        "official_code": row["official_code"],
        "official": row["official"],
        "due_on": row["due_on"],
        "status": row["status"],
        "status_zh": PROBLEM_STATUS_NAMES_ZH.get(row["status"], row["status"]),
        "solved_on": row["solved_on"],
    }
    if overdue:
        out["days_overdue"] = row["days_overdue"]
    return out


def _total(row: Mapping[str, Any]) -> dict[str, Any]:
    return {key: row[key] for key, _zh in TOTAL_COLUMNS} | {
        "planned_year_wan": row["planned_year_wan"]
    }


def dispatch_report(
    conn: Connection,
    period: Period,
    *,
    settings: Mapping[str, Any] | None = None,
    park: str | None = None,
    generated_at: datetime | None = None,
) -> dict[str, Any]:
    """The monthly dispatch report of the month *period*
    (:func:`parks.projects.periods.month_period`) for the city, or for *park* alone, as a
    JSON-ready dict::

        {"month", "month_zh", "year", "first_day", "last_day", "as_of", "running", "park",
         "behind_share", "generated_at",
         "projects": [PROJECT, ...],
         "totals": {"city": TOTAL, "parks": [TOTAL + park, park_name_zh, ...],
                    "chains": [TOTAL + industry_chain, name_zh, ...]}}

    A PROJECT: ``project_code``, ``name``, ``park``, ``park_name_zh``, ``industry_chain``,
    ``status`` (+ ``status_zh``), ``officials`` (the names of its lead officials, 牵头包抓),
    ``month_planned_wan``, ``month_completed_wan`` (the month's report; null when none
    stands), ``plan_to_date_wan``, ``completed_to_date_wan`` (months 1..m),
    ``completion_to_date_pct``, ``planned_year_wan``, ``completion_of_year_pct`` (null
    when the plan is 0), ``shortfall_share`` (fraction of the plan to date), ``behind``,
    ``reported`` (a report of the month stands), ``milestones_due`` (planned in the month:
    milestone, name_zh, planned_on, reached_on, state, state_zh, delay_days),
    ``milestones_met`` (of those, how many were reached on or before their planned date),
    ``milestones_overdue`` (planned earlier in the year, not reached as of D: the same
    keys), ``new_problems`` (raised in the month: problem_no, description, category,
    department, official, due_on, status as it stands now and solved_on ...) and
    ``overdue_problems`` (as of D, the same keys and ``days_overdue``).

    A project is in the month's dispatch when it has a standing plan of the year
    (investment, a milestone or an image-progress target), a report of a month of the year
    up to the month, or a problem raised in the month or overdue as of D.

    A TOTAL: the counts and sums of :data:`TOTAL_COLUMNS` and ``planned_year_wan``.
    Projects behind plan come first, the largest shortfall first, then the rest by park
    and code. *settings* are the key-project settings in force (default: read them);
    ``progress.behind_share`` decides who is behind."""
    settings = settings_in_force(conn) if settings is None else settings
    behind_share = float(settings["progress.behind_share"])
    year, month = period.year, period.months[-1]
    params = {
        "year": year,
        "month": month,
        "first_day": period.first_day,
        "last_day": period.last_day,
        "as_of": period.as_of,
        "park": park,
        "behind_share": behind_share,
    }
    projects = _rows(conn, "dispatch_projects", params)
    milestones: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for row in _rows(conn, "dispatch_milestones", params):
        milestones[row["project_code"]][row["kind"]].append(_milestone(row))
    problems: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for row in _rows(conn, "dispatch_problems", params):
        if row["is_new"]:
            problems[row["project_code"]]["new"].append(_problem(row, overdue=False))
        if row["is_overdue"]:
            problems[row["project_code"]]["overdue"].append(_problem(row, overdue=True))
    listed = []
    for p in projects:
        code = p["project_code"]
        listed.append(
            {
                "project_code": code,
                "name": p["name"],
                "park": p["park"],
                "park_name_zh": p["park_name_zh"],
                "industry_chain": p["industry_chain"],
                "status": p["status"],
                "status_zh": PROJECT_STATUS_NAMES_ZH.get(p["status"], p["status"]),
                "officials": list(p["officials"]),
                "month_planned_wan": p["month_planned_wan"],
                "month_completed_wan": p["month_completed_wan"],
                "plan_to_date_wan": p["plan_to_date_wan"],
                "completed_to_date_wan": p["completed_to_date_wan"],
                "completion_to_date_pct": p["completion_to_date_pct"],
                "planned_year_wan": p["planned_year_wan"],
                "completion_of_year_pct": p["completion_of_year_pct"],
                "shortfall_share": p["shortfall_share"],
                "behind": p["behind"],
                "reported": p["reported"],
                "milestones_due": milestones[code]["due"] if code in milestones else [],
                "milestones_met": p["milestones_met"],
                "milestones_overdue": milestones[code]["overdue"] if code in milestones else [],
                "new_problems": problems[code]["new"] if code in problems else [],
                "overdue_problems": problems[code]["overdue"] if code in problems else [],
            }
        )
    totals: dict[str, Any] = {"city": None, "parks": [], "chains": []}
    for row in _rows(conn, "dispatch_totals", params):
        if row["scope"] == "city":
            totals["city"] = _total(row)
        elif row["scope"] == "park":
            totals["parks"].append(
                {"park": row["park"], "name_zh": row["park_name_zh"]} | _total(row)
            )
        else:
            chain = row["industry_chain"]
            totals["chains"].append(
                {"industry_chain": chain, "name_zh": chain or NO_CHAIN_ZH} | _total(row)
            )
    generated_at = generated_at or datetime.now(UTC)
    return plain(
        {
            "month": period.label,
            "month_zh": f"{year}年{month}月",
            "year": year,
            "first_day": period.first_day,
            "last_day": period.last_day,
            "as_of": period.as_of,
            "running": period.running,
            "park": park,
            "behind_share": behind_share,
            "generated_at": generated_at.isoformat(timespec="seconds"),
            "projects": listed,
            "totals": totals,
        }
    )


def listed_items(
    projects: Iterable[Mapping[str, Any]], lists: Iterable[tuple[str, str]]
) -> list[dict[str, Any]]:
    """The milestones (:data:`MILESTONE_LISTS`) or problems (:data:`PROBLEM_LISTS`) of
    every project, a line each, with the project's ``project_code``, ``project_name`` and
    ``park_name_zh`` and the list it is on (``list``, ``list_zh``): what the renderings
    show below the projects."""
    lists = tuple(lists)
    return [
        {
            "project_code": p["project_code"],
            "project_name": p["name"],
            "park_name_zh": p["park_name_zh"],
            "list": key,
            "list_zh": list_zh,
            **item,
        }
        for p in projects
        for key, list_zh in lists
        for item in p[key]
    ]


def whole_line(report: Mapping[str, Any]) -> dict[str, Any]:
    """The totals' last line: the city's (全市), or with a park chosen its total (合计);
    ``city`` True marks it."""
    name_zh = "合计" if report.get("park") else "全市"
    return {"name_zh": name_zh, "city": True, **report["totals"]["city"]}


def summary_line(report: Mapping[str, Any]) -> str:
    """One line saying what the report holds: projects, behind plan, overdue problems."""
    city = report["totals"]["city"]
    scope = f" {report['park']}" if report.get("park") else ""
    return (
        f"重点项目月调度 {report['month']}{scope} (as of {report['as_of']}): "
        f"{city['projects']} projects, {city['behind']} behind plan, "
        f"{city['overdue_problems']} overdue problems"
    )

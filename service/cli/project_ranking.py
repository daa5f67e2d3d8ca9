"""``parks projects ranking``, ``parks projects assessment`` and ``parks projects visit-
list``: the quarterly ranking (季评比), the yearly assessment (年考核) and the weekly visit list
(周观摩).

* ``parks projects ranking [--quarter 2026Q3] [--park P] [--json]``: the ranking table
  (rank, code, name, park, score, each criterion's points), or the JSON of
  ``GET /api/projects/ranking``;
* ``parks projects assessment [--year 2026] --out F.xlsx``: the assessment's workbook;
* ``parks projects visit-list [--week 2026-W44] [--json]``: the proposals as a table, or
  the JSON of ``GET /api/projects/visit-list``.

Exit codes: 0 done, 2 a wrong option named (a quarter, year or week that is not one, an
unknown park, an --out that is not .xlsx), 1 a file that can't be written, 4 the database
out of reach.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from parks.errors import InvalidParameter
from service.cli.commands import EXIT_INVALID, console, err, handled
from service.cli.projects import projects_app
from service.settings import get_settings


def _today() -> date:
    return datetime.now(ZoneInfo(get_settings().timezone)).date()


def _engine():
    from service.db.engine import get_engine

    return get_engine()


def _bad(exc: InvalidParameter, option: str) -> typer.BadParameter:
    return typer.BadParameter(exc.message.removeprefix(f"{exc.parameter}: "), param_hint=option)


def _num(value: Any, digits: int = 2) -> str:
    return "—" if value is None else f"{float(value):,.{digits}f}"


def _rank(value: int | None) -> str:
    return "—" if value is None else str(value)


def _print_json(answer: dict[str, Any]) -> None:
    # print, not rich: the JSON is for programs (no wrapping, no markup).
    print(json.dumps(answer, ensure_ascii=False, indent=2))


@projects_app.command("ranking")
def ranking(
    quarter: Annotated[
        str | None,
        typer.Option(help="the quarter, YYYYQn (default: that of the last complete month)"),
    ] = None,
    park: Annotated[str | None, typer.Option(help="only this park (code)")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="print the JSON of /api/projects/ranking")
    ] = False,
) -> None:
    """Print the quarterly ranking (季评比) of QUARTER: rank, project, park, score and each
    criterion's points."""
    from service.projects.ranking import quarterly_ranking, ranking_quarter
    from service.reads.queries import check_park

    today = _today()
    try:
        ranking_quarter(quarter, today=today)
    except InvalidParameter as exc:
        raise _bad(exc, "--quarter") from None
    with handled(), _engine().connect() as conn:
        try:
            check_park(conn, park)
        except InvalidParameter as exc:
            raise _bad(exc, "--park") from None
        answer = quarterly_ranking(conn, quarter=quarter, today=today, park=park)
    if as_json:
        _print_json(answer)
        return
    criteria = answer["criteria_in_force"]
    table = Table(
        title=f"重点项目季度评比 {answer['quarter']}（截至 {answer['as_of']}）",
        title_justify="left",
    )
    for heading, justify in (
        ("名次", "right"),
        ("园区名次", "right"),
        ("项目编号", "left"),
        ("项目名称", "left"),
        ("园区", "left"),
        ("得分", "right"),
    ):
        table.add_column(heading, justify=justify)
    for c in criteria:
        table.add_column(f"{c['name_zh']}({c['weight']:g})", justify="right")
    for p in answer["projects"]:
        table.add_row(
            _rank(p["city_rank"]),
            _rank(p["park_rank"]),
            p["project_code"],
            p["name"],
            p["park"],
            _num(p["score"]),
            *(_num(c["points"]) if c["applies"] else "不计" for c in p["criteria"]),
        )
    console.print(table, markup=False, highlight=False)
    officials = Table(title="包抓领导排名", title_justify="left")
    for heading, justify in (
        ("名次", "right"),
        ("领导", "left"),
        ("项目", "right"),
        ("平均分", "right"),
    ):
        officials.add_column(heading, justify=justify)
    for o in answer["officials"]:
        officials.add_row(
            _rank(o["rank"]), o["name"], str(len(o["projects"])), _num(o["mean_score"])
        )
    console.print(officials, markup=False, highlight=False)


@projects_app.command("assessment")
def assessment(
    out: Annotated[Path, typer.Option(dir_okay=False, help="the workbook to write (.xlsx)")],
    year: Annotated[
        str | None, typer.Option(help="the year (default: that of the last complete month)")
    ] = None,
) -> None:
    """Write the yearly assessment (年考核) of YEAR as a workbook: 园区考核, 季度排名, 说明."""
    from service.projects.assessment import assessment_year, yearly_assessment
    from service.projects.assessment_xlsx import write_assessment_xlsx

    today = _today()
    try:
        assessment_year(year, today=today)
    except InvalidParameter as exc:
        raise _bad(exc, "--year") from None
    if out.suffix.lower() != ".xlsx":
        raise typer.BadParameter(f"{out.name}: write a .xlsx file", param_hint="--out")
    with handled(), _engine().connect() as conn:
        result = yearly_assessment(conn, year=year, today=today)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        write_assessment_xlsx(result, out)
    except OSError as exc:
        err.print(f"cannot write {out}: {exc.strerror or exc}", markup=False)
        raise typer.Exit(EXIT_INVALID) from None
    city = result["city"]
    console.print(
        f"年考核 {result['year']} (as of {result['as_of']}) written to {out}: "
        f"完成投资 {_num(city['investment_completed_wan'])} / 目标 "
        f"{_num(city['investment_target_wan'])} 万元, 已开工 {city['projects_started']}/"
        f"{city['projects_to_start']}, 已投产 {city['projects_producing']}/"
        f"{city['projects_to_produce']}",
        markup=False,
        highlight=False,
    )


@projects_app.command("visit-list")
def visit_list(
    week: Annotated[
        str | None, typer.Option(help="the ISO week, YYYY-Www (default: this week)")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="print the JSON of /api/projects/visit-list")
    ] = False,
) -> None:
    """Print the projects proposed for WEEK's site visits (周观摩), with their points and
    reasons."""
    from parks.projects.periods import week_period
    from service.projects.visit_list import weekly_visit_list

    today = _today()
    try:
        week_period(week, today=today)
    except InvalidParameter as exc:
        raise _bad(exc, "--week") from None
    with handled(), _engine().connect() as conn:
        answer = weekly_visit_list(conn, week=week, today=today)
    if as_json:
        _print_json(answer)
        return
    table = Table(
        title=f"周观摩建议 {answer['week']}（{answer['first_day']} – {answer['last_day']}，"
        f"截至 {answer['judged_on']}）",
        title_justify="left",
    )
    for heading, justify in (
        ("序号", "right"),
        ("项目编号", "left"),
        ("项目名称", "left"),
        ("园区", "left"),
        ("分值", "right"),
        ("理由", "left"),
        ("上次观摩", "left"),
        ("包抓领导", "left"),
    ):
        table.add_column(heading, justify=justify)
    for i, p in enumerate(answer["proposals"], start=1):
        table.add_row(
            str(i),
            p["project_code"],
            p["name"],
            p["park"],
            _num(p["points"]),
            "；".join(p["reasons"]),
            p["last_visit_on"] or "从未",
            "、".join(o["name"] for o in p["officials"]),
        )
    console.print(table, markup=False, highlight=False)
    if not answer["proposals"]:
        console.print("无建议观摩项目 (no project to propose)", markup=False)

"""``parks projects dispatch``: the monthly dispatch report (月调度) as xlsx or docx.

Exit codes: 0 written, 2 a wrong option named (a month that is not YYYY-MM or is after
the current month: ``--month``; a file that is not .xlsx or .docx: ``--out``; a park
that does not exist: ``--park``), 1 a file that can't be written, 4 the database out of
reach.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from parks.errors import InvalidParameter
from service.cli.commands import EXIT_INVALID, console, err, handled
from service.cli.projects import projects_app
from service.settings import get_settings

#: The report's file types, by suffix.
DISPATCH_SUFFIXES = (".xlsx", ".docx")


def _engine():
    from service.db.engine import get_engine

    return get_engine()


@projects_app.command("dispatch")
def projects_dispatch(
    out: Annotated[
        Path, typer.Option(help="the file to write: .xlsx (a workbook) or .docx (Word)")
    ],
    month: Annotated[
        str | None,
        typer.Option(
            help="the month, YYYY-MM, up to the current month, e.g. 2026-10 (default: the "
            "last complete month)"
        ),
    ] = None,
    park: Annotated[str | None, typer.Option(help="one park's code (default: every park)")] = None,
) -> None:
    """Write the monthly dispatch report of key projects (重点项目月调度) of MONTH: each
    project's investment of the month and to date against plan, milestones due and met,
    new and overdue problems, projects behind plan first; totals per park and per
    industry chain."""
    from parks.projects.periods import last_complete_month_label, month_period
    from service.projects.dispatch import dispatch_report, summary_line
    from service.reads.queries import check_park

    settings = get_settings()
    zone = ZoneInfo(settings.timezone)
    today = datetime.now(zone).date()
    try:
        period = month_period(
            month if month is not None else last_complete_month_label(today), today=today
        )
    except InvalidParameter as exc:
        raise typer.BadParameter(
            exc.message.removeprefix("month: "), param_hint="--month"
        ) from None
    suffix = out.suffix.lower()
    if suffix not in DISPATCH_SUFFIXES:
        raise typer.BadParameter(f"{out.name}: write a .xlsx or .docx file", param_hint="--out")
    with handled(), _engine().connect() as conn:
        try:
            park = check_park(conn, park)
        except InvalidParameter as exc:
            raise typer.BadParameter(
                exc.message.removeprefix("park: "), param_hint="--park"
            ) from None
        report = dispatch_report(conn, period, park=park, generated_at=datetime.now(zone))
    try:
        if suffix == ".xlsx":
            from service.projects.dispatch_xlsx import write_xlsx

            write_xlsx(report, out)
        else:
            from service.projects.dispatch_docx import write_docx

            write_docx(report, out)
    except OSError as exc:
        err.print(f"[red]cannot write {out}: {exc.strerror or exc}[/red]")
        raise typer.Exit(EXIT_INVALID) from None
    console.print(f"{summary_line(report)}; written to {out}", markup=False, highlight=False)

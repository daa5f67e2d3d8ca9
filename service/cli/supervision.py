"""``parks supervision ...``: land supervision from the command line (the monthly report).

Registered on the ``parks`` app by importing this module (``service/cli/__init__.py``).
Exit codes: 0 written, 2 a wrong option (a month that is not YYYY-MM or is after the
current month, a file that is not .xlsx or .docx) named, 1 a file that can't be written,
4 the database out of reach.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from parks.errors import InvalidParameter
from service.cli.commands import EXIT_INVALID, app, console, err, handled
from service.settings import get_settings

supervision_app = typer.Typer(help="Land supervision (土地监管).", no_args_is_help=True)
app.add_typer(supervision_app, name="supervision")

#: The report's file types, by suffix.
REPORT_SUFFIXES = (".xlsx", ".docx")


def _engine():
    from service.db.engine import get_engine

    return get_engine()


@supervision_app.command("report")
def supervision_report(
    month: Annotated[
        str, typer.Option(help="the month, YYYY-MM (up to the current month), e.g. 2026-10")
    ],
    out: Annotated[
        Path, typer.Option(help="the file to write: .xlsx (a workbook) or .docx (Word)")
    ],
) -> None:
    """Write the monthly supervision report (月调度) of MONTH: for the city and each park,
    idle land by stage with the days on each clock, batches at risk, contracts out of
    compliance, new supplies and starts in the month and the changes since last month."""
    from parks.supervision.months import report_month
    from service.supervision.report import monthly_report, summary_row

    today = datetime.now(ZoneInfo(get_settings().timezone)).date()
    try:
        span = report_month(month, today=today)
    except InvalidParameter as exc:
        raise typer.BadParameter(
            exc.message.removeprefix("month: "), param_hint="--month"
        ) from None
    suffix = out.suffix.lower()
    if suffix not in REPORT_SUFFIXES:
        raise typer.BadParameter(f"{out.name}: write a .xlsx or .docx file", param_hint="--out")
    with handled(), _engine().connect() as conn:
        report = monthly_report(conn, month=span.month, today=today)
    try:
        if suffix == ".xlsx":
            from service.supervision.report_xlsx import write_xlsx

            write_xlsx(report, out)
        else:
            from service.supervision.report_docx import write_docx

            write_docx(report, out)
    except OSError as exc:
        err.print(f"[red]cannot write {out}: {exc.strerror or exc}[/red]")
        raise typer.Exit(EXIT_INVALID) from None
    city = summary_row(report["city"])
    console.print(
        f"月调度 {report['month']} (as of {report['as_of']}) written to {out}: "
        f"预警 {city['warning']}, 闲置满一年 {city['idle_1y']}, 闲置满两年 {city['idle_2y']}, "
        f"批而未供逾期批次 {city['batches_at_risk']}, 未履约 {city['out_of_compliance']}, "
        f"本月供地 {city['supplies']}, 本月开工 {city['starts']}",
        markup=False,
        highlight=False,
    )

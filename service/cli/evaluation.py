"""``parks evaluation ...``: the yearly 亩均效益 evaluation from the command line.

Registered on the ``parks`` app by importing this module (``service/cli/__init__.py``).
``parks evaluation report --year Y --out F.xlsx [--park P]`` writes the workbook of
:mod:`service.supervision.evaluation_xlsx`. Exit codes: 0 written; 1 refused (no figures
for the year, an unknown park); 2 usage (a missing or bad option, an --out that is not
.xlsx); 4 the database is out of reach.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from service.cli.commands import app, console, handled
from service.settings import get_settings

evaluation_app = typer.Typer(help="The 亩均效益 evaluation.", no_args_is_help=True)
app.add_typer(evaluation_app, name="evaluation")


def _xlsx(path: Path) -> Path:
    if path.suffix.lower() != ".xlsx":
        raise typer.BadParameter(f"{path}: the report is an Excel workbook: name it *.xlsx")
    return path


@evaluation_app.command("report")
def evaluation_report(
    year: Annotated[int, typer.Option(min=1990, max=2200, help="the year evaluated")],
    out: Annotated[
        Path, typer.Option(callback=_xlsx, dir_okay=False, help="the workbook to write (.xlsx)")
    ],
    park: Annotated[str | None, typer.Option(help="only this park (code)")] = None,
) -> None:
    """Write the 亩均效益 evaluation of YEAR as a workbook: 企业评价, 园区汇总, 低效用地,
    评价方法 (Chinese headings)."""
    from service.db.engine import get_engine
    from service.reads.queries import check_park
    from service.supervision.evaluation import evaluate
    from service.supervision.evaluation_xlsx import write_workbook

    with handled(), get_engine().connect() as conn:
        check_park(conn, park)
        result = evaluate(conn, year=year, park=park, zone=get_settings().timezone)
    out.parent.mkdir(parents=True, exist_ok=True)
    with handled():
        write_workbook(result, out)
    grades = {g: 0 for g in ("A", "B", "C", "D")}
    for e in result["enterprises"]:
        grades[e["grade"]] += 1
    low_mu = sum(i["area_mu"] or 0 for i in result["low_efficiency"])
    console.print(
        f"wrote {out}: {year}, {len(result['enterprises'])} enterprises graded "
        f"(A {grades['A']}, B {grades['B']}, C {grades['C']}, D {grades['D']}), "
        f"{len(result['ungraded'])} not graded, {len(result['low_efficiency'])} "
        f"low-efficiency parcels ({low_mu:,.2f} 亩)",
        markup=False,
        highlight=False,
    )

"""``parks figures ...``: enterprises' yearly figures (亩均效益 data).

Registered on the ``parks`` app by importing this module (``service/cli/__init__.py``).

``parks figures import FILE --year Y [--dry-run] [--reason R] [--document-no D] [--json]``
brings in an .xlsx or CSV file of one year's figures (税收, 销售收入, 工业增加值, 综合能耗,
研发经费, 从业人员 per enterprise; ``service.supervision.figures``) as one change set of
kind ``figures``; ``parks figures list --year Y [--park P] [--json]`` shows the standing
figures. Exit codes: 0 done (a re-import that changes nothing included), 1 the file is
refused (every problem is printed: row, column, what; nothing is stored) or an unknown
enterprise, 2 a usage error (a missing file, a year outside 1990–2200, an unknown park),
4 the database is out of reach.
"""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from parks.errors import InvalidFiguresFile, InvalidParameter
from service.cli.commands import EXIT_INVALID, app, console, err, handled, progress_bar

figures_app = typer.Typer(help="Enterprises' yearly figures (亩均效益 data).", no_args_is_help=True)
app.add_typer(figures_app, name="figures")

#: Files larger than this get a progress bar (about 2,000 rows).
PROGRESS_BYTES = 150_000
#: Problems and warnings printed on the terminal; --json lists them all.
SHOWN = 30

Year = Annotated[
    int, typer.Option(min=1990, max=2200, help="the year the figures are for (1990–2200)")
]
AsJson = Annotated[bool, typer.Option("--json", help="print JSON")]


def _engine():
    from service.db.engine import get_engine

    return get_engine()


@contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    if not enabled:
        yield None
        return
    with progress_bar() as update:
        yield update


def _print_refusal(exc: InvalidFiguresFile, *, as_json: bool) -> None:
    if as_json:
        body = {"error": exc.code, "message": exc.message, "problems": exc.problems}
        sys.stdout.write(json.dumps(body, ensure_ascii=False, indent=2) + "\n")
    for problem in exc.problems[:SHOWN]:
        err.print(problem["message"], markup=False, highlight=False)
    if len(exc.problems) > SHOWN:
        err.print(f"… and {len(exc.problems) - SHOWN} more (--json lists them all)")
    err.print(
        f"[red]{len(exc.problems)} problem(s): the file is refused; nothing stored[/red]",
        highlight=False,
    )


def _print_summary(body: dict[str, Any]) -> None:
    title = f"企业亩均效益数据 Figures {body['year']} — {escape(body['file'])}"
    if body["dry_run"]:
        title += " (dry run 试算)"
    table = Table(title=title, title_justify="left")
    table.add_column("")
    table.add_column("", justify="right")
    matched, land, figures = body["matched"], body["land"], body["figures"]
    for label, value in (
        ("行 rows", body["rows"]),
        ("略过 skipped rows (合计)", len(body["skipped_rows"])),
        ("按代码匹配 matched by code", matched["by_code"]),
        ("按名称匹配 matched by name", matched["by_name"]),
        ("新登记 new enterprises", matched["new"]),
        ("有用地 holding land", land["holding_land"]),
        ("租赁厂房 leasing floor", land["leasing_floor"]),
        ("无用地无厂房 holding nothing", land["holding_nothing"]),
        ("新版本 versions made", figures["made"]),
        ("  其中新增 new", figures["new"]),
        ("  其中更正 replaced", figures["replaced"]),
        ("未变 unchanged", figures["unchanged"]),
    ):
        table.add_row(label, f"{value:,}")
    console.print(table)
    if body["ignored_columns"]:
        console.print(
            "columns ignored: " + ", ".join(body["ignored_columns"]), markup=False, highlight=False
        )
    for warning in body["warnings"][:SHOWN]:
        err.print(
            f"row {warning['row']}, {warning['name']} ({warning['enterprise_code']}): "
            f"{warning['message']}",
            markup=False,
            highlight=False,
        )
    if len(body["warnings"]) > SHOWN:
        err.print(f"… and {len(body['warnings']) - SHOWN} more warnings (--json lists them all)")
    console.print(body["message"], markup=False, highlight=False)


@figures_app.command("import")
def figures_import(
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE",
            exists=True,
            dir_okay=False,
            readable=True,
            help="an .xlsx workbook or a CSV file (UTF-8 or GBK), one row per enterprise",
        ),
    ],
    year: Year,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="check and match only; store nothing")
    ] = False,
    reason: Annotated[
        str | None,
        typer.Option(help="the change set's reason (default: figures import FILE year Y)"),
    ] = None,
    document_no: Annotated[
        str | None, typer.Option(help="the document the figures come with (文号)")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Bring in one year's figures per enterprise (税收, 销售收入, 工业增加值, 综合能耗, 研发经费,
    从业人员): each row matched to an enterprise by its code, else its exact name, else
    registered; reported with the parcels it holds and the floor it leases. A file with a
    problem is refused whole; a re-import changes nothing; a corrected row replaces the
    standing figures (the old ones stay in the history)."""
    from service.supervision.figures import import_figures

    data = file.read_bytes()
    with handled():
        try:
            with _progress(len(data) > PROGRESS_BYTES) as update:
                body = import_figures(
                    _engine(),
                    data,
                    file_name=file.name,
                    year=year,
                    actor=f"cli:{getpass.getuser()}",
                    dry_run=dry_run,
                    reason=reason,
                    document_no=document_no,
                    progress=update,
                )
        except InvalidFiguresFile as exc:
            _print_refusal(exc, as_json=as_json)
            raise typer.Exit(EXIT_INVALID) from None
    if as_json:
        sys.stdout.write(json.dumps(body, ensure_ascii=False, indent=2) + "\n")
        return
    _print_summary(body)


def _number(value: float | int | None, places: int = 2) -> str:
    return "" if value is None else f"{value:,.{places}f}"


@figures_app.command("list")
def figures_list(
    year: Year,
    park: Annotated[
        str | None, typer.Option(help="enterprises holding land or leasing floor in this park")
    ] = None,
    enterprise: Annotated[
        str | None, typer.Option(help="one enterprise: its code or exact name")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """The standing figures of a year, by enterprise code: the figures (万元, tce,
    persons), the land each holds (亩) and the floor it leases (m², in force on 31
    December of the year)."""
    from service.reads.queries import check_park
    from service.supervision.figures import standing_figures

    with handled(), _engine().connect() as conn:
        try:
            check_park(conn, park)
        except InvalidParameter as exc:
            raise typer.BadParameter(
                exc.message.removeprefix("park: "), param_hint="--park"
            ) from None
        body = standing_figures(conn, year=year, park=park, enterprise=enterprise)
    if as_json:
        sys.stdout.write(json.dumps(body, ensure_ascii=False, indent=2) + "\n")
        return
    where = f" — {escape(park)}" if park else ""
    table = Table(title=f"企业亩均效益数据 Figures {year}{where}", title_justify="left")
    for column in (
        "代码 code",
        "企业 name",
        "税收 万元",
        "销售收入 万元",
        "增加值 万元",
        "能耗 tce",
        "研发 万元",
        "从业人员",
        "用地 亩",
        "厂房 m²",
    ):
        table.add_column(column, justify="left" if column.startswith(("代码", "企业")) else "right")
    for item in body["figures"]:
        table.add_row(
            item["enterprise_code"],
            Text(item["name"] or ""),
            _number(item["tax_wan"]),
            _number(item["revenue_wan"]),
            _number(item["added_value_wan"]),
            _number(item["energy_tce"], 3),
            _number(item["rd_wan"]),
            _number(item["employees"], 0),
            _number(item["land_mu"]),
            _number(item["leased_floor_m2"], 0),
        )
    console.print(table)
    console.print(f"{body['total']:,} enterprise(s)")

"""``parks change apply FILE --dry-run``: a change set's dry run on the terminal — the
verdict, each operation's before and after, manufacturing land before and after, the
parks' reserve targets, the refusal, the problems and the compensation candidates as rich
tables (``--json``: the API's body, ``POST /api/change-sets/dry-run``)."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from parks.operations import ChangeSetRequest
from service.changes.apply import settings_options
from service.changes.dry_run import INVALID, REFUSED_BY_RULE, WOULD_COMMIT, DryRun, dry_run
from service.cli.commands import EXIT_INVALID, EXIT_REFUSED
from service.settings import Settings

#: The exit code of each verdict.
EXIT_CODES = {WOULD_COMMIT: 0, REFUSED_BY_RULE: EXIT_REFUSED, INVALID: EXIT_INVALID}
VERDICTS = {
    WOULD_COMMIT: "[green]可以提交 would commit[/green]",
    REFUSED_BY_RULE: "[red]将被拒绝 refused by the rule[/red]",
    INVALID: "[red]无效 invalid[/red]",
}


def show_dry_run(
    engine: Engine,
    request: ChangeSetRequest,
    *,
    actor: str,
    settings: Settings,
    as_json: bool,
    console: Console,
) -> int:
    """Dry-run *request* and print it (JSON on stdout with *as_json*); the exit code:
    0 it would commit, 3 the rule would refuse it, 1 it is invalid."""
    result = dry_run(
        engine,
        request,
        actor=actor,
        **settings_options(settings),
    )
    if as_json:
        sys.stdout.write(json.dumps(result.body(), ensure_ascii=False, indent=2) + "\n")
    else:
        print_dry_run(result, console)
    return EXIT_CODES[result.verdict]


def print_dry_run(result: DryRun, console: Console) -> None:
    """The dry run as tables."""
    console.print(f"试运行 dry run: {VERDICTS[result.verdict]} — nothing was stored")
    if result.operations:
        console.print(_operations(result.operations))
    if result.manufacturing:
        console.print(_manufacturing(result.manufacturing))
    if result.targets:
        console.print(_targets(result.targets))
    if result.refusal:
        console.print(f"[red]{result.refusal['message']}[/red]")
    for problem in result.problems:
        where = f"operation {problem['operation']}: " if problem["operation"] is not None else ""
        console.print(f"[red]{where}{problem['message']}[/red]")
    if result.compensation_candidates:
        console.print(_candidates(result.compensation_candidates))


def _version(v: dict[str, Any]) -> str:
    return f"{v['parcel_code']} {v['land_use_code']} {v['status']} {v['area_m2']:,.2f} m²"


def _operations(operations: list[dict[str, Any]]) -> Table:
    table = Table(title="操作 Operations")
    for name in ("#", "op", "before", "after"):
        table.add_column(name)
    for op in operations:
        table.add_row(
            str(op["operation"]),
            op["op"],
            "\n".join(_version(v) for v in op["before"]),
            "\n".join(_version(v) for v in op["after"]),
        )
    return table


def _manufacturing(manufacturing: dict[str, Any]) -> Table:
    table = Table(title="制造业用地 Manufacturing land")
    table.add_column("scope")
    for name in ("before m²", "after m²", "change m²", "change 亩", "floor m²"):
        table.add_column(name, justify="right")
    rows = [("city", manufacturing["city"]), *manufacturing["parks"].items()]
    for scope, f in rows:
        table.add_row(
            scope,
            f"{f['before_m2']:,.2f}",
            f"{f['after_m2']:,.2f}",
            f"{f['delta_m2']:+,.2f}",
            f"{f['delta_mu']:+,.4f}",
            "—" if f["floor_m2"] is None else f"{f['floor_m2']:,.2f}",
        )
    return table


def _targets(targets: list[dict[str, Any]]) -> Table:
    table = Table(title="储备目标 Reserve targets (亩)")
    table.add_column("park")
    for name in ("target", "before", "after"):
        table.add_column(name, justify="right")
    table.add_column("met before → after")
    for t in targets:
        table.add_row(
            t["park"],
            f"{t['target_mu']:,.2f}",
            f"{t['before_mu']:,.4f}",
            f"{t['after_mu']:,.4f}",
            f"{'yes' if t['met_before'] else 'no'} → {'yes' if t['met_after'] else 'no'}",
        )
    return table


def _candidates(candidates: list[dict[str, Any]]) -> Table:
    table = Table(title="可补偿地块 Compensation candidates (rezone one to a manufacturing class)")
    for name in ("parcel", "park", "class", "status"):
        table.add_column(name)
    table.add_column("area m²", justify="right")
    table.add_column("area 亩", justify="right")
    for c in candidates:
        table.add_row(
            c["parcel_code"],
            c["park"],
            c["land_use_code"],
            c["status"],
            f"{c['area_m2']:,.2f}",
            f"{c['area_mu']:,.4f}",
        )
    return table

"""``parks import``: a surveyor's file brought in as one change set — read, mapped, checked,
compared with the parcels as they stand, judged by the rule, then applied (or, with
``--dry-run``, only stored and reported).

Registered on the ``parks`` app by importing this module (``service/cli/__init__.py``).
Exit codes: 0 applied (or a dry run with no blocking problem the rule would accept),
1 blocking problems (the report is written), 2 a usage error (an option, a file that
cannot be read as given — no CRS and no ``--crs``: the likely CRS is printed), 3 refused
by the rule (the shortfall and the parcels are printed; nothing is stored), 4 the
database is out of reach.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from gis.errors import MissingCrs, SourceError, UnknownCRS
from parks.errors import InvalidParameter, ManufacturingLandWouldDecrease
from parks.imports.mapping import MappingError
from parks.imports.problems import KIND_NAMES_ZH, ProblemKind
from parks.units import m2_to_mu
from service.cli.commands import (
    EXIT_INVALID,
    EXIT_REFUSED,
    app,
    console,
    err,
    handled,
    progress_bar,
)
from service.settings import get_settings

EXIT_USAGE = 2
#: Problems listed on the terminal; the report has them all.
PROBLEMS_SHOWN = 20

#: The option of each parameter a check may name.
OPTIONS = {
    "park": "--park",
    "status": "--status",
    "reason": "--reason",
    "document_no": "--document-no",
    "mapping": "--mapping",
    "class_map": "--class-map",
    "encoding": "--encoding",
    "report": "--report",
}


@contextmanager
def _usage_errors() -> Iterator[None]:
    """Errors of what was given (an option, the file) as usage errors: exit 2."""
    try:
        yield
    except MissingCrs as exc:
        err.print(f"[red]{exc}[/red]")
        if exc.suggestion:
            err.print(f"likely CRS: {exc.suggestion} — run again with --crs {exc.suggestion}")
        raise typer.Exit(EXIT_USAGE) from None
    except InvalidParameter as exc:
        message = exc.message.removeprefix(f"{exc.parameter}: ")
        hint = OPTIONS.get(exc.parameter, f"--{exc.parameter.replace('_', '-')}")
        raise typer.BadParameter(message, param_hint=hint) from None
    except (SourceError, MappingError, UnknownCRS) as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(EXIT_USAGE) from None


@app.command("import")
def import_(
    path: Annotated[
        Path,
        typer.Argument(
            help="the dataset: .shp (or a .zip holding one), .gpkg, .geojson/.json, a File "
            "Geodatabase (.gdb folder or zipped), .dxf, .kml, or .csv with a WKT column"
        ),
    ],
    layer: Annotated[str | None, typer.Option(help="the layer to read (several in the file)")] = (
        None
    ),
    park: Annotated[str | None, typer.Option(help="put every feature in this park")] = None,
    park_field: Annotated[
        str | None, typer.Option(help="the column that says each feature's park")
    ] = None,
    map_: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help="SOURCE=TARGET: a column of the file to a target field (repeatable), e.g. "
            "--map ZDBH=parcel_code; TARGET '-' leaves a column out",
        ),
    ] = None,
    mapping: Annotated[
        Path | None,
        typer.Option(help="a TOML mapping file: [fields] column = target, [values.<target>]"),
    ] = None,
    class_map: Annotated[
        Path | None, typer.Option(help="a CSV of source land-use value → GB/T 21010 code")
    ] = None,
    crs: Annotated[
        str | None, typer.Option(help="the file's CRS when it has none, e.g. EPSG:4545")
    ] = None,
    encoding: Annotated[
        str | None, typer.Option(help="the text encoding when there is no .cpg, e.g. GBK")
    ] = None,
    status: Annotated[
        str | None, typer.Option(help="status of new parcels the file gives none (reserve)")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="check, diff and judge only; store nothing")
    ] = False,
    report: Annotated[
        Path | None, typer.Option(help="write the report: OUT.html, OUT.xlsx or OUT.geojson")
    ] = None,
    retire_missing: Annotated[
        bool,
        typer.Option(
            "--retire-missing", help="retire the parcels of the file's parks it leaves out"
        ),
    ] = False,
    skip_invalid: Annotated[
        bool,
        typer.Option(
            "--skip-invalid", help="leave the features with blocking problems out, import the rest"
        ),
    ] = False,
    reason: Annotated[
        str | None, typer.Option(help="the change set's reason (default: import of FILE)")
    ] = None,
    document_no: Annotated[str | None, typer.Option(help="the approval's number (批文号)")] = None,
    actor: Annotated[
        str | None, typer.Option(help="who records it (default: cli:<login name>)")
    ] = None,
) -> None:
    """Import a surveyor's parcels as one change set: new codes registered, changed ones
    rezoned, reshaped, supplied or given their status, unchanged ones left alone, missing
    ones reported (retired with --retire-missing). Judged by the rule like any change set."""
    from service.db.engine import get_engine
    from service.imports import store
    from service.imports.options import ImportOptions
    from service.imports.reports import check_report_path, write_report
    from service.imports.run import apply_import, refusal_of, stopping_problems
    from service.imports.run import dry_run as run_dry_run

    settings = get_settings()
    options = ImportOptions(
        layer=layer,
        park=park,
        park_field=park_field,
        maps=tuple(map_ or ()),
        mapping_file=mapping,
        class_map_file=class_map,
        crs=crs,
        encoding=encoding,
        status=status,
        retire_missing=retire_missing,
        skip_invalid=skip_invalid,
        reason=reason,
        document_no=document_no,
    )
    who = actor or f"cli:{getpass.getuser()}"
    engine = get_engine()
    with handled(), _usage_errors():
        if report is not None:
            check_report_path(report)
        with progress_bar() as update:
            outcome = run_dry_run(
                engine, path, options, actor=who, settings=settings, progress=update
            )
    _print_outcome(outcome)

    stopping = stopping_problems(outcome)
    code = 0
    refusal = None
    if stopping:
        err.print(
            f"[red]{len(stopping)} blocking problem(s): nothing imported[/red]"
            + ("" if skip_invalid else " (--skip-invalid imports the rest)")
        )
        code = EXIT_INVALID
    elif dry_run:
        if outcome.rule is not None and outcome.rule.would_refuse:
            refusal = refusal_of(outcome.rule)
            code = EXIT_REFUSED
        else:
            console.print(f"dry run stored as import {outcome.id}; nothing changed")
    else:
        applied = None
        try:
            with handled():
                try:
                    with progress_bar() as update:
                        applied = apply_import(
                            engine, outcome.id, actor=who, settings=settings, progress=update
                        )
                except ManufacturingLandWouldDecrease as exc:  # printed below, bounded
                    refusal, code = exc, EXIT_REFUSED
        except typer.Exit as exit_:
            code = exit_.exit_code
        if applied is not None:
            if applied.change_set_id is None:
                console.print(
                    f"import {outcome.id}: nothing to change — every parcel of the file "
                    "already stands as it says; no change set recorded"
                )
            else:
                delta = applied.delta_city_m2
                console.print(
                    f"[green]applied[/green] import {outcome.id} as change set "
                    f"{applied.change_set_id} (ledger row {applied.ledger_seq}): "
                    f"{applied.registered} registered, {applied.continued} changed, "
                    f"{applied.ended - applied.continued} retired; manufacturing land "
                    f"{delta:+,.2f} m² ({m2_to_mu(delta):+,.2f} 亩), city total "
                    f"{applied.manufacturing_total_m2:,.2f} m²"
                )
    if refusal is not None:
        err.print(f"[red]{_refusal_text(refusal)}[/red]")
    if report is not None:
        with handled(), engine.connect() as conn:
            write_report(conn, store.load_outcome(conn, outcome.id), report)
        console.print(f"wrote the report to {report}")
    if code:
        raise typer.Exit(code)


def _refusal_text(refusal: ManufacturingLandWouldDecrease) -> str:
    """The rule's refusal in a few lines: the scope, the totals, the shortfall in m² and 亩,
    and the parcels that lose land (the first of them; the report lists all)."""
    where = "the city's" if refusal.scope == "city" else f"park {refusal.scope}'s"
    shown = ", ".join(refusal.parcels[:PROBLEMS_SHOWN]) or "no single parcel"
    more = len(refusal.parcels) - PROBLEMS_SHOWN
    if more > 0:
        shown += f" and {more:,} more"
    return (
        f"Refused by the rule: {where} manufacturing land would end at "
        f"{refusal.total_after_m2:,.2f} m², {refusal.shortfall_m2:,.2f} m² "
        f"({m2_to_mu(refusal.shortfall_m2):,.2f} 亩) below its high-water mark of "
        f"{refusal.high_water_m2:,.2f} m²; the loss comes from {shown}. Nothing was stored: "
        "add at least that much industrial land to the file (占补平衡) or drop the loss."
    )


def _print_outcome(outcome) -> None:
    src = outcome.source
    console.print(
        f"import {outcome.id}: {src.name} — layer {src.layer} ({src.driver}), "
        f"{src.features:,} features; encoding {src.encoding or 'of the format'} "
        f"({src.encoding_source}); CRS {src.crs} ({src.crs_source}); parks by {src.park_source}"
    )
    if src.mapping:
        console.print(
            "fields: " + ", ".join(f"{source} → {target}" for target, source in src.mapping.items())
        )
    if src.untranslated_land_use:
        console.print(
            "[yellow]land-use values with no translation:[/yellow] "
            + ", ".join(f"{value!r} ×{n}" for value, n in src.untranslated_land_use.items())
        )
    counts = outcome.diff.counts()
    changed = counts["changed"]
    kinds = ", ".join(f"{kind} {n}" for kind, n in changed.items() if kind != "total" and n)
    console.print(
        f"diff: {counts['new']:,} new, {changed['total']:,} changed"
        + (f" ({kinds})" if kinds else "")
        + f", {counts['unchanged']:,} unchanged, {counts['missing']:,} missing"
        + (" (to be retired)" if outcome.options.get("retire_missing") else " (left alone)")
    )
    if outcome.problems:
        by_kind: dict[str, int] = {}
        for p in outcome.problems:
            by_kind[p.kind.value] = by_kind.get(p.kind.value, 0) + 1
        table = Table(title="问题 Problems", title_justify="left")
        for column in ("kind", "severity", "count"):
            table.add_column(column, justify="right" if column == "count" else "left")
        for kind, n in by_kind.items():
            severity = next(p.severity.value for p in outcome.problems if p.kind.value == kind)
            table.add_row(f"{kind} {KIND_NAMES_ZH[ProblemKind(kind)]}", severity, f"{n:,}")
        console.print(table)
        for p in outcome.problems[:PROBLEMS_SHOWN]:
            where = f"row {p.row}" if p.row is not None else "file"
            code = f" {p.parcel_code}" if p.parcel_code else ""
            colour = "red" if p.blocking else "yellow"
            console.print(f"[{colour}]{p.kind.value}[/{colour}] {where}{code}: {p.message}")
        if len(outcome.problems) > PROBLEMS_SHOWN:
            console.print(
                f"… and {len(outcome.problems) - PROBLEMS_SHOWN:,} more (--report for all)"
            )
    if outcome.skipped_rows:
        shown = ", ".join(str(r) for r in outcome.skipped_rows[:PROBLEMS_SHOWN])
        more = "…" if len(outcome.skipped_rows) > PROBLEMS_SHOWN else ""
        console.print(f"skipped rows ({len(outcome.skipped_rows):,}): {shown}{more}")
    rule = outcome.rule
    if rule is not None:
        console.print(
            f"manufacturing land: {rule.delta_m2:+,.2f} m² ({m2_to_mu(rule.delta_m2):+,.2f} 亩); "
            f"city {rule.total_before_m2:,.2f} → {rule.total_after_m2:,.2f} m²"
            + (" — [red]the rule would refuse it[/red]" if rule.would_refuse else "")
        )
        for park_code, before in sorted(rule.parks_before_m2.items()):
            after = rule.parks_after_m2.get(park_code, before)
            if abs(after - before) > 1e-9:
                console.print(
                    f"  {park_code}: {before:,.2f} → {after:,.2f} m² "
                    f"({m2_to_mu(after - before):+,.2f} 亩)"
                )
        for target in rule.targets:
            if abs(target["reserve_delta_mu"]) > 1e-9:
                met = "met" if target["met_after"] else "[red]short[/red]"
                console.print(
                    f"  {target['park']} reserve {target['reserve_before_mu']:,.1f} → "
                    f"{target['reserve_after_mu']:,.1f} 亩 (target "
                    f"{target['min_reserve_mu']:,.1f}: {met})"
                )

"""The ``parks`` command line."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.exc import DBAPIError, OperationalError

from gis.errors import GisError
from maps.errors import MapError
from parks.errors import ManufacturingLandWouldDecrease, ParksError
from service.settings import get_settings

app = typer.Typer(
    help="Park land ledger: land reserves, factory buildings and key projects of the "
    "city's industrial parks, on PostGIS.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="The database schema.", no_args_is_help=True)
sample_app = typer.Typer(help="The synthetic sample data set.", no_args_is_help=True)
token_app = typer.Typer(help="API bearer tokens.", no_args_is_help=True)
change_app = typer.Typer(help="Land change sets.", no_args_is_help=True)
audit_app = typer.Typer(help="The auditor's checks and reports.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(sample_app, name="sample")
app.add_typer(token_app, name="token")
app.add_typer(change_app, name="change")
app.add_typer(audit_app, name="audit")
targets_app = typer.Typer(
    help="What each park must keep: reserve land (亩) and vacant factory floor (m²).",
    no_args_is_help=True,
)
app.add_typer(targets_app, name="targets")

# soft_wrap: a message is one line however narrow the terminal (scripts grep for it).
console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

#: Exit codes: 1 a refused or invalid request, 2 usage, 3 the rule refused a change set,
#: 4 the database is unreachable.
EXIT_INVALID, EXIT_REFUSED, EXIT_NO_DATABASE = 1, 3, 4


@contextmanager
def handled() -> Iterator[None]:
    """Turn the errors a user can act on into a message and an exit code."""
    from service.db.errors import domain_error_from_database

    try:
        yield
    except ManufacturingLandWouldDecrease as exc:
        err.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(EXIT_REFUSED) from None
    except (ParksError, GisError, MapError) as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(EXIT_INVALID) from None
    except OperationalError as exc:
        err.print(
            f"[red]cannot reach the database at {get_settings().database_url}: "
            f"{exc.orig}[/red]\nRun `make db` (or set DATABASE_URL)."
        )
        raise typer.Exit(EXIT_NO_DATABASE) from None
    except DBAPIError as exc:
        domain = domain_error_from_database(exc)
        if domain is None:
            raise
        err.print(f"[red]{domain.message}[/red]")
        code = EXIT_REFUSED if isinstance(domain, ManufacturingLandWouldDecrease) else 1
        raise typer.Exit(code) from None


def _engine():
    from service.db.engine import get_engine

    return get_engine()


@contextmanager
def progress_bar() -> Iterator:
    """A rich progress bar; yields ``update(stage, done, total)``."""
    with Progress(
        TextColumn("{task.description:<22}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    ) as progress:
        tasks: dict[str, int] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=total)
            progress.update(tasks[stage], completed=done, total=total)

        yield update


# --- db -------------------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="target revision")] = "head",
) -> None:
    """Apply the migrations to the database at DATABASE_URL (an empty one included)."""
    from service.db.migrate import current_revision, upgrade

    url = get_settings().migration_url
    with handled():
        before = current_revision(url)
        upgrade(url, revision)
        after = current_revision(url)
    if before == after:
        console.print(f"database already at revision {after}; nothing to do")
    else:
        console.print(f"database upgraded from {before or 'empty'} to {after}")


@db_app.command("current")
def db_current() -> None:
    """Print the revision the database is at."""
    from service.db.migrate import current_revision

    with handled():
        console.print(current_revision(get_settings().migration_url) or "empty")


# --- load / sample -------------------------------------------------------------------------


@app.command("load")
def load(
    path: Annotated[Path, typer.Argument(help="a GeoPackage, or a folder holding one")],
) -> None:
    """Load a park data set (parks, parcels, buildings, leases, projects, context layers).

    Idempotent: a second run changes nothing and says so.
    """
    from service.imports.loader import load_dataset

    settings = get_settings()
    with handled(), progress_bar() as update:
        report = load_dataset(
            _engine(),
            path,
            storage_srid=settings.storage_srid,
            min_parcel_area_m2=settings.min_parcel_area_m2,
            progress=update,
        )
    for line in report.lines():
        console.print(line)


@sample_app.command("generate")
def sample_generate(
    out: Annotated[Path, typer.Option(help="GeoPackage to write")] = Path("data/sample/parks.gpkg"),
    parcels: Annotated[
        int | None, typer.Option(help="about this many parcels (default: the committed sample)")
    ] = None,
    seed: Annotated[int, typer.Option(help="random seed")] = 2026,
) -> None:
    """Generate the synthetic data set (deterministic for a seed)."""
    from service.sample import generator as sample

    with progress_bar() as update:
        data = sample.generate(
            seed=seed,
            total_parcels=parcels,
            srid=get_settings().storage_srid,
            progress=lambda done, total: update("generating parcels", done, total),
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    sample.write(data, out)
    console.print(f"wrote {len(data.parcels)} parcels in {len(data.parks)} parks to {out}")


# --- serve / stats / map -----------------------------------------------------------------


@app.command("serve")
def serve(
    host: Annotated[str | None, typer.Option(help="default PARKS_HOST")] = None,
    port: Annotated[int | None, typer.Option(help="default PARKS_PORT")] = None,
    workers: Annotated[
        int, typer.Option(min=1, help="worker processes (production: about one per core)")
    ] = 1,
) -> None:
    """Serve the API and the maps. With several workers, /metrics sums every worker's
    counts (they share them in PROMETHEUS_MULTIPROC_DIR: a new temporary directory unless
    the environment names one, which is emptied first)."""
    from service.api.serving import serve as serve_app
    from service.observability.metrics import multiprocess_dir

    settings = get_settings()
    with multiprocess_dir(workers):
        serve_app(host=host or settings.host, port=port or settings.port, workers=workers)


@app.command("stats")
def stats(
    park: Annotated[str | None, typer.Option(help="one park's code")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Per park and for the city: parcels, area by class, manufacturing land, reserve,
    factory floor and vacancy, projects by status."""
    from service.reads import queries as reads

    with handled(), _engine().connect() as conn:
        reads.check_park(conn, park)
        figures = reads.stats(conn, park=park)
    if as_json:
        sys.stdout.write(json.dumps(figures, ensure_ascii=False, indent=2) + "\n")
        return
    table = Table(title="园区用地 Park land — m² (亩)", title_justify="left")
    for column in (
        "park",
        "parcels",
        "制造业 manufacturing",
        "储备 reserve",
        "厂房 floor",
        "空置 vacant",
    ):
        table.add_column(column, justify="left" if column == "park" else "right")
    rows = [*figures["parks"], {"park": "city 全市", **figures["city"]}]
    for row in rows:
        table.add_row(
            row["park"],
            f"{row['parcels']:,}",
            f"{row['manufacturing_m2']:,.0f} ({row['manufacturing_mu']:,.1f})",
            f"{row['reserve_m2']:,.0f} ({row['reserve_mu']:,.1f})",
            f"{row['factory_floor_m2']:,.0f}",
            f"{row['factory_vacant_m2']:,.0f}",
        )
    console.print(table)
    for row in rows:
        projects = ", ".join(f"{k} {v}" for k, v in row["projects_by_status"].items())
        console.print(f"{row['park']}: projects {projects or 'none'}")


@app.command("map")
def map_(
    out: Annotated[Path, typer.Option(help="HTML file to write")],
    park: Annotated[str | None, typer.Option(help="one park's code (default: all)")] = None,
) -> None:
    """Write the map as a self-contained HTML file (scripts and styles inlined)."""
    from service.maps.pages import park_map_html
    from service.reads import queries as reads

    with handled(), _engine().connect() as conn:
        reads.check_park(conn, park)
        html = park_map_html(conn, settings=get_settings(), park=park, inline_assets=True)
    out.write_text(html, encoding="utf-8")
    console.print(f"wrote {out} ({len(html.encode()) / 1e6:.2f} MB)")


# --- change sets -------------------------------------------------------------------------


@change_app.command("apply")
def change_apply(
    file: Annotated[Path, typer.Argument(help="a change set as JSON (the API's request body)")],
    actor: Annotated[
        str | None, typer.Option(help="who records it (default: cli:<login name>)")
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="only show what applying it would do (the verdict, manufacturing land, "
            "targets); nothing is stored. Exit 0: it would commit",
        ),
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="with --dry-run: print the dry run's JSON")
    ] = False,
) -> None:
    """Apply a change set. Prints the same message as the API and exits 3 when the rule
    refuses it, 1 when it is invalid; nothing is stored then. With --dry-run, nothing is
    stored at all: the dry run is printed (exit 0 when it would commit, else 3 or 1)."""
    import getpass

    from pydantic import ValidationError

    from parks.errors import InvalidChangeSet, Problem
    from parks.operations import ChangeSetRequest, problems_from_errors
    from service.changes.apply import apply_change_set, settings_options

    with handled():
        try:
            request = ChangeSetRequest.model_validate_json(file.read_bytes())
        except OSError as exc:
            raise InvalidChangeSet([Problem(None, f"{file}: {exc.strerror}")]) from None
        except ValidationError as exc:
            raise InvalidChangeSet(problems_from_errors(exc.errors())) from None
        if dry_run:
            from service.cli.dry_run_output import show_dry_run

            raise typer.Exit(
                show_dry_run(
                    _engine(),
                    request,
                    actor=actor or f"cli:{getpass.getuser()}",
                    settings=get_settings(),
                    as_json=as_json,
                    console=console,
                )
            )
        applied = apply_change_set(
            _engine(),
            request,
            actor=actor or f"cli:{getpass.getuser()}",
            refusal_cap_bytes=get_settings().refusal_body_cap_bytes,
            **settings_options(get_settings()),
        )
    sys.stdout.write(json.dumps(applied.body(), ensure_ascii=False, indent=2) + "\n")


@change_app.command("show")
def change_show(change_set_id: Annotated[int, typer.Argument(help="change set id")]) -> None:
    """Print a recorded change set with each operation's before and after."""
    from service.changes.read import change_set_detail

    with handled(), _engine().connect() as conn:
        detail = change_set_detail(conn, change_set_id)
    sys.stdout.write(json.dumps(detail, ensure_ascii=False, indent=2, default=str) + "\n")


# --- audit ------------------------------------------------------------------------------


@audit_app.command("verify")
def audit_verify(
    as_json: Annotated[bool, typer.Option("--json", help="print the JSON result")] = False,
    digests: Annotated[
        Path | None,
        typer.Option(
            "--digests",
            help="also check the database against the signed digests in this directory "
            "(parks audit digest)",
        ),
    ] = None,
    public_key: Annotated[
        Path | None,
        typer.Option("--public-key", help="the public key the digests must be signed with"),
    ] = None,
) -> None:
    """Reconcile the ledger with the parcels' history; with --digests, check it against
    signed digests as well (the first ledger row that differs is named); exit 1 when
    anything is wrong."""
    from service.audit.verify import verify

    if (digests is None) != (public_key is None):
        raise typer.BadParameter(
            "--digests and --public-key go together", param_hint="--digests/--public-key"
        )
    checked = None
    with handled(), _engine().connect() as conn:
        result = verify(conn)
        if digests is not None:
            from service.cli.auditing import check_digests

            checked = check_digests(conn, digests, public_key)
    ok = result.ok and (checked is None or checked.ok)
    if as_json:
        body = result.body()
        if checked is not None:
            body["ok"], body["digests"] = ok, checked.body()
        sys.stdout.write(json.dumps(body, ensure_ascii=False, indent=2) + "\n")
    else:
        console.print(
            f"ledger total {result.ledger_total_m2:,.2f} m², recomputed from parcel history "
            f"{result.recomputed_total_m2:,.2f} m²; never decreased: {result.monotonic}; "
            f"hash chain intact: {result.chain_ok}; {result.rows_checked} ledger rows, "
            f"{result.versions_checked} parcel versions checked"
        )
        for problem in result.problems:
            err.print(f"[red]{problem['check']}[/red]: {problem['message']}")
        console.print(
            "[green]OK[/green]" if result.ok else f"[red]{len(result.problems)} problem(s)[/red]"
        )
        if checked is not None:
            from service.cli.auditing import print_digest_check

            print_digest_check(checked)
    if not ok:
        raise typer.Exit(EXIT_INVALID)


@audit_app.command("report")
def audit_report(
    out: Annotated[Path, typer.Option(help="the report: .xlsx (six sheets) or .csv (totals)")],
    as_of: Annotated[
        str | None, typer.Option(help="ISO 8601 date (its end) or time; default now")
    ] = None,
) -> None:
    """Write the audit report as of a moment."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from service.audit.queries import parse_moment
    from service.audit.report import write_report

    settings = get_settings()
    with handled(), _engine().connect() as conn:
        moment = parse_moment(
            as_of, parameter="as_of", zone=settings.timezone, end_of_day=True
        ) or datetime.now(ZoneInfo(settings.timezone))
        totals = write_report(conn, as_of=moment, out=out)
    city = totals["city"]
    console.print(
        f"wrote {out}: as of {totals['as_of']}, manufacturing land "
        f"{city['manufacturing_m2']:,.2f} m² ({city['manufacturing_mu']:,.2f} 亩)"
    )


# --- targets ----------------------------------------------------------------------------

#: ``parks targets check`` exits with this when a park is short of a target.
EXIT_TARGET_SHORT = 5


def _print_targets(parks: list[dict]) -> None:
    table = Table(title="园区保有目标 Park targets", title_justify="left")
    for column in ("park", "储备 reserve 亩 (target)", "空置厂房 vacant m² (target)", ""):
        table.add_column(column, justify="left" if column in ("park", "") else "right")
    for p in parks:
        verdict = "[green]met 达标[/green]" if p["met"] else "[red]short 不足[/red]"
        reserve = f"{p['actual_reserve_mu']:,.1f} ({p['min_reserve_mu']:,.1f})"
        if not p["reserve_met"]:
            reserve += f" [red]−{p['reserve_short_mu']:,.1f}[/red]"
        floor = f"{p['actual_vacant_floor_m2']:,.0f} ({p['min_vacant_floor_m2']:,.0f})"
        if not p["floor_met"]:
            floor += f" [red]−{p['floor_short_m2']:,.0f}[/red]"
        name = p["park"] + ("" if p["target_set"] else " (no target set)")
        table.add_row(name, reserve, floor, verdict)
    console.print(table)


def _targets(*, as_json: bool) -> dict:
    from service.planning.targets import targets_body

    with handled(), _engine().connect() as conn:
        body = targets_body(conn)
    if as_json:
        sys.stdout.write(json.dumps(body, ensure_ascii=False, indent=2) + "\n")
    else:
        _print_targets(body["parks"])
    return body


@targets_app.command("show")
def targets_show(
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Each park's targets, actual figures, and whether each is met or short by how much."""
    _targets(as_json=as_json)


@targets_app.command("check")
def targets_check(
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Like show, but exit 5 when any park is short of a target (for a daily cron)."""
    body = _targets(as_json=as_json)
    if not body["met"]:
        err.print(f"[red]short of a target: {', '.join(body['short'])}[/red]")
        raise typer.Exit(EXIT_TARGET_SHORT)


@targets_app.command("set")
def targets_set(
    park: Annotated[str, typer.Argument(help="the park's code")],
    min_reserve_mu: Annotated[
        float | None, typer.Option(help="reserve + ready land to keep, 亩")
    ] = None,
    min_vacant_floor_m2: Annotated[
        float | None, typer.Option(help="vacant standard-factory floor to keep, m²")
    ] = None,
    by: Annotated[str | None, typer.Option(help="who sets it (default: cli:<login name>)")] = None,
) -> None:
    """Set a park's targets (an option left out keeps its value)."""
    import getpass

    from parks.errors import InvalidParameter
    from service.planning.targets import set_target

    with handled():
        if min_reserve_mu is None and min_vacant_floor_m2 is None:
            raise InvalidParameter(
                "min_reserve_mu", "give --min-reserve-mu and/or --min-vacant-floor-m2"
            )
        with _engine().begin() as conn:
            status = set_target(
                conn,
                park,
                updated_by=by or f"cli:{getpass.getuser()}",
                min_reserve_mu=min_reserve_mu,
                min_vacant_floor_m2=min_vacant_floor_m2,
            )
    _print_targets([status])


# --- tokens -----------------------------------------------------------------------------


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Argument(help="who or what the token is for")],
    role: Annotated[str, typer.Option(help="viewer, planner, editor, auditor or admin")],
) -> None:
    """Create a token and print it once (only its hash is kept)."""
    from service.auth.tokens import create_token

    with handled(), _engine().begin() as conn:
        token = create_token(conn, name=name, role=role)
    console.print(f"token for {name} ({role}); it is shown only now:", style="bold")
    sys.stdout.write(token + "\n")


@token_app.command("revoke")
def token_revoke(name: Annotated[str, typer.Argument(help="the token's name")]) -> None:
    """Revoke a token."""
    from service.auth.tokens import revoke_token

    with handled(), _engine().begin() as conn:
        revoke_token(conn, name=name)
    console.print(f"revoked token {name}")


@token_app.command("list")
def token_list() -> None:
    """List token names and roles."""
    from service.auth.tokens import list_tokens

    with handled(), _engine().connect() as conn:
        for row in list_tokens(conn):
            console.print(f"{row['name']}\t{row['role']}\t{row['created_at']:%Y-%m-%d %H:%M}")


if __name__ == "__main__":
    app()

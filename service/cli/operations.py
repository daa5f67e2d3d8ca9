"""``parks backup`` and ``parks restore``: backups that restore and prove themselves
(service/operations; how to run them for years: docs/operations.md).

Registered on the ``parks`` app by importing this module (``service/cli/__init__.py``).
Exit codes: 0 done (restore: the restored database verifies and holds what the manifest
says); 1 the backup could not be taken, or the restore found its backup damaged, failed,
or restored something that differs or does not verify; 2 a usage error (where to write,
a target database that is not empty or not ready); 4 the database is out of reach.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from sqlalchemy.exc import OperationalError

from service.cli.commands import EXIT_NO_DATABASE, app, console, err
from service.settings import get_settings

if TYPE_CHECKING:
    from service.operations.restore import RestoreOutcome


def _fail(exc: Exception, url: str, *, as_json: bool) -> typer.Exit:
    """The exit for an error the operations raise, its message printed (with --json also
    ``{"ok": false, "error": …, "message": …}`` on standard output)."""
    from sqlalchemy.engine import make_url

    from service.operations.errors import OperationsError

    if isinstance(exc, OperationsError):
        code, message, exit_code = exc.code, exc.message, exc.exit_code
    else:
        shown = make_url(url).render_as_string(hide_password=True)
        code, exit_code = "database_unavailable", EXIT_NO_DATABASE
        message = f"cannot reach the database at {shown}: {getattr(exc, 'orig', exc)}"
    err.print(f"[red]{message}[/red]")
    if as_json:
        body = {"ok": False, "error": code, "message": message}
        sys.stdout.write(json.dumps(body, ensure_ascii=False) + "\n")
    return typer.Exit(exit_code)


@app.command("backup")
def backup(
    out: Annotated[
        Path | None,
        typer.Option(
            help="the backup's directory (made; must be new or empty); default: a new "
            "parks-<UTC time> directory in PARKS_BACKUP_DIR"
        ),
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option(
            help="the database to back up, as a role that reads every table (default: "
            "PARKS_OWNER_DATABASE_URL, the schema's owner)"
        ),
    ] = None,
    compress: Annotated[
        int | None,
        typer.Option(min=0, max=9, help="pg_dump's compression level (default: its own, 6)"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the manifest as JSON")] = False,
) -> None:
    """Back up the database: pg_dump (custom format, with owners and grants) of one
    snapshot, and manifest.json beside it — time, schema version, ledger head, city and
    park totals, rows per table, grants and the dump's SHA-256 — read in that same
    snapshot; recorded in backup_record."""
    from service.operations.backup import default_directory, take_backup
    from service.operations.errors import OperationsError

    settings = get_settings()
    url = database_url or settings.migration_url
    try:
        directory = out or default_directory(settings.backup_dir)
        taken = take_backup(url, directory=directory, compress_level=compress)
    except (OperationsError, OperationalError) as exc:
        raise _fail(exc, url, as_json=as_json) from None
    manifest = taken.manifest
    if as_json:
        sys.stdout.write(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n")
        return
    head = manifest["facts"]["ledger"]["head"]
    city = manifest["facts"]["totals"]["city"]
    console.print(
        f"backed up {manifest['database']} at {manifest['taken_at']} (schema "
        f"{manifest['facts']['schema_version']}): ledger row "
        f"{head['seq'] if head else '—'} ({head['hash'][:16] + '…' if head else 'empty'}), "
        f"{city['parcels']:,} parcels, manufacturing land {city['manufacturing_m2']:,.2f} m²"
    )
    console.print(
        f"wrote {taken.dump_path} ({manifest['dump']['bytes']:,} bytes, SHA-256 "
        f"{manifest['dump']['sha256']}) and {taken.directory / 'manifest.json'} in "
        f"{sum(taken.seconds.values()):.1f} s"
    )
    if taken.record_id is None:
        err.print(
            "[yellow]not recorded in backup_record: this database's schema predates it "
            "(run parks db upgrade)[/yellow]"
        )


@app.command("restore")
def restore(
    directory: Annotated[Path, typer.Argument(help="a backup's directory (parks backup)")],
    database_url: Annotated[
        str,
        typer.Option(
            help="the empty database to restore into (with the postgis and btree_gist "
            "extensions, owned by the backup's owner role, which the restore connects as)"
        ),
    ],
    jobs: Annotated[
        int,
        typer.Option(
            min=1,
            help="pg_restore jobs; above 1 it is no longer one transaction (a failure may "
            "leave a partial restore behind)",
        ),
    ] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="print the outcome as JSON")] = False,
) -> None:
    """Restore a backup into an empty database and prove it: the dump's SHA-256 checked
    first, pg_restore, the migrations if the schema is older, the audit's verification,
    then the ledger head, totals, row counts and grants compared with the manifest. Exit 1
    and say what differs when anything does."""
    from service.operations.errors import OperationsError
    from service.operations.restore import restore_backup

    try:
        outcome = restore_backup(directory, database_url, jobs=jobs)
    except (OperationsError, OperationalError) as exc:
        raise _fail(exc, database_url, as_json=as_json) from None
    if as_json:
        sys.stdout.write(json.dumps(outcome.body(), ensure_ascii=False, indent=1) + "\n")
    else:
        _print_outcome(outcome)
    if not outcome.ok:
        raise typer.Exit(1)


def _print_outcome(outcome: RestoreOutcome) -> None:
    body = outcome.body()
    backup, verification = body["backup"], body["verification"]
    console.print(
        f"restored the backup of {backup['database']} taken at {backup['taken_at']} into "
        f"{body['database']} (schema {body['restored_schema']}"
        + (f", migrated to {body['migrated_to']}" if body["migrated_to"] else "")
        + f") in {sum(outcome.seconds.values()):.1f} s"
    )
    verdict = "[green]passes[/green]" if verification["ok"] else "[red]FAILS[/red]"
    console.print(
        f"verification {verdict}: {verification['rows_checked']} ledger rows, "
        f"{verification['versions_checked']:,} parcel versions, "
        f"{len(verification['problems'])} problem(s)"
    )
    for problem in verification["problems"][:20]:
        console.print(f"  [red]{problem['check']}[/red]: {problem['message']}")
    for note in body["notes"]:
        console.print(f"  note: {note}")
    if not body["differences"]:
        console.print(
            f"[green]the restored database holds what the manifest says[/green]: ledger row "
            f"{backup['ledger_seq']} ({(backup['ledger_hash'] or '')[:16]}…), totals, rows "
            "of every table and grants"
        )
        return
    table = Table(title="differs from the manifest", title_justify="left")
    for column in ("what", "the backup says", "the restored database has"):
        table.add_column(column, overflow="fold")
    for d in body["differences"]:
        table.add_row(d["what"], _short(d["expected"]), _short(d["found"]))
    console.print(table)
    for d in body["differences"]:
        if d["detail"]:
            console.print(f"[red]{d['message']}[/red]")


def _short(value: object, limit: int = 80) -> str:
    shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"

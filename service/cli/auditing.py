"""``parks audit keygen`` and ``parks audit digest``: signed digests of the ledger kept
outside the database; and what ``parks audit verify --digests DIR --public-key PUB`` adds
to the verification (the command itself is in ``service/cli/commands.py``).

Registered on the ``parks`` app by importing this module (``service/cli/__init__.py``).
Exit codes: 0 done, 1 refused (a key file that exists or cannot be read, a directory whose
last digest this key did not sign or whose head the ledger no longer holds), 2 a usage
error (no key given), 4 the database is out of reach.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from service.cli.commands import audit_app, console, err, handled
from service.settings import get_settings

if TYPE_CHECKING:  # the command line starts without the crypto and database modules
    from sqlalchemy import Connection

    from service.audit.digest_verify import DigestVerification


@audit_app.command("keygen")
def audit_keygen(
    out: Annotated[Path, typer.Option(help="directory to write the key pair into")],
) -> None:
    """Make the Ed25519 key pair that signs ledger digests: ledger-digest.key (private,
    mode 0600: keep it off the database server) and ledger-digest.pub (for the auditors)
    in OUT; never overwrites. Prints the key id."""
    from service.audit.digest_keys import generate_key_pair

    with handled():
        pair = generate_key_pair(out)
    console.print(f"key id {pair.key_id}")
    console.print(f"private key {pair.private_path} (mode 0600: keep it secret)")
    console.print(f"public key  {pair.public_path} (give it to whoever verifies)")


@audit_app.command("digest")
def audit_digest(
    out: Annotated[Path, typer.Option(help="directory of the digests (made if missing)")],
    key: Annotated[
        Path | None, typer.Option(help="the private key (default: PARKS_DIGEST_KEY)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the document signed")] = False,
) -> None:
    """Sign the ledger's head: write digest-<seq>-<UTC time>.json into OUT — the head row's
    figures, the [seq, hash] of every row since OUT's last digest and a summary of the
    parcel versions, signed with KEY — and list it in the database."""
    from service.audit.digest_keys import load_private_key, private_key_is_exposed
    from service.audit.digests import take_digest
    from service.db.engine import get_engine

    key = key or get_settings().digest_key
    if key is None:
        raise typer.BadParameter("give --key or set PARKS_DIGEST_KEY", param_hint="--key")
    with handled():
        private_key = load_private_key(key)
        if private_key_is_exposed(key):
            err.print(f"[yellow]warning: {key} is readable by others; chmod 600 it[/yellow]")
        taken = take_digest(get_engine(), private_key=private_key, directory=out)
    if as_json:
        sys.stdout.write(json.dumps(taken.document, ensure_ascii=False, indent=2) + "\n")
        return
    document = taken.document
    head = document["head"]
    console.print(
        f"signed ledger row {head['seq']} ({head['hash'][:16]}…), "
        f"{len(document['rows'])} row(s) since the last digest, "
        f"{document['history']['segment_versions']} new parcel version(s) of "
        f"{document['history']['versions']}; key {document['key_id']}"
    )
    console.print(f"wrote {taken.path}")


def check_digests(conn: Connection, directory: Path, public_key_path: Path) -> DigestVerification:
    """The database on *conn* checked against the digests in *directory* with the public
    key in *public_key_path* (``verify --digests``)."""
    from service.audit.digest_keys import load_public_key
    from service.audit.digest_verify import verify_digests

    return verify_digests(conn, directory=directory, public_key=load_public_key(public_key_path))


def print_digest_check(checked: DigestVerification) -> None:
    """The human lines of ``verify --digests``."""
    last = checked.last_digest
    console.print(
        f"digests: {checked.digests_valid} of {checked.digests_found} signed by key "
        f"{checked.key_id}; {checked.rows_checked} signed ledger rows and "
        f"{checked.versions_checked} parcel versions checked"
        + (
            f"; last digest {last['file']} (ledger row {last['seq']}), "
            f"{checked.unsigned_rows} row(s) since"
            if last
            else ""
        )
    )
    first = checked.first_difference
    if first:
        found = first["database_hash"] or "no row (missing)"
        err.print(
            f"[red]first difference: ledger row {first['ledger_seq']}: {first['file']} signed "
            f"{first['digest_hash']}, the database has {found}[/red]"
        )
        if checked.rows_differing > 1:
            err.print(f"[red]{checked.rows_differing} signed ledger rows differ in all[/red]")
    for problem in checked.problems:
        if problem["check"] in ("ledger_row", "ledger_row_missing") and first:
            continue  # summed up by the first difference
        err.print(f"[red]{problem['check']}[/red]: {problem['message']}")
    console.print(
        "[green]digests OK[/green]"
        if checked.ok
        else f"[red]digests: {len(checked.problems)} problem(s)[/red]"
    )

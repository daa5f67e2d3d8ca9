"""``parks restore``: a backup of ``parks backup`` restored into an empty database, and
proven: it succeeds only if the restored database verifies and holds what the manifest
says.

In order, stopping at the first failure:

1. the manifest's own checksum, then the dump's size and SHA-256 against the manifest
   (a flipped byte is refused before anything touches the target);
2. the target: it must hold nothing of its own (no table, function, type or schema but
   public and its extensions'), have the extensions the backup's schema needs (PostGIS
   can only be created by a superuser: ``make db`` creates its databases with them, and
   ``CREATE DATABASE … TEMPLATE parks_template`` gives a new one them), be owned by the
   backup's owner role, and the server must have every role the grants name;
3. ``pg_restore`` as the backup's owner role (the URL's user is replaced by it when it is
   another), every entry but the extensions themselves and their tables' rows (the
   target's own extensions bring those), in one transaction (or ``--jobs`` in parallel,
   when a failure may leave a partial restore behind); the database's own grants (which
   ``pg_dump`` keeps only with ``--create``) from the manifest; then ``ANALYZE``;
4. the migrations, when the backup's schema is older than this program's;
5. the audit's verification (``service.audit.verify``) and the facts of
   :mod:`service.operations.facts` compared with the manifest's
   (:func:`service.operations.manifest.compare`).
"""

from __future__ import annotations

import re
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url

from service.db.sqlfiles import sql
from service.operations import manifest as mf
from service.operations.errors import BackupDamaged, TargetNotEmpty, TargetNotReady
from service.operations.facts import database_facts, roles_named, schema_version
from service.operations.pgtools import run_tool

#: Objects of its own a non-empty target is named by (at most this many).
NAMED_OBJECTS = 5
#: What may be granted on a database (aclexplode's names).
DATABASE_PRIVILEGES = ("CONNECT", "TEMPORARY", "CREATE")
_TOC_LINE = re.compile(r"^\d+; \d+ \d+ (?P<rest>.*)$")


@dataclass
class RestoreOutcome:
    """What a restore did and found. ``ok``: the restored database verifies and holds what
    the manifest says."""

    directory: Path
    database: str
    manifest: dict[str, Any]
    restored_schema: str | None = None
    migrated_to: str | None = None
    verification: dict[str, Any] = field(default_factory=dict)
    comparison: mf.Comparison = field(default_factory=mf.Comparison)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return bool(self.verification.get("ok")) and not self.comparison.differences

    def body(self) -> dict[str, Any]:
        """The JSON document ``parks restore --json`` prints."""
        head = self.manifest["facts"]["ledger"]["head"]
        return {
            "ok": self.ok,
            "directory": str(self.directory),
            "database": self.database,
            "backup": {
                "taken_at": self.manifest["taken_at"],
                "database": self.manifest["database"],
                "schema_version": self.manifest["facts"]["schema_version"],
                "ledger_seq": head["seq"] if head else None,
                "ledger_hash": head["hash"] if head else None,
                "dump_sha256": self.manifest["dump"]["sha256"],
            },
            "restored_schema": self.restored_schema,
            "migrated_to": self.migrated_to,
            "verification": self.verification,
            "differences": [d.as_dict() for d in self.comparison.differences],
            "notes": self.comparison.notes,
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
        }


def restore_backup(directory: Path, database_url: str, *, jobs: int = 1) -> RestoreOutcome:
    """Restore the backup in *directory* into the empty database at *database_url* and
    check it (see the module docstring). Raises :class:`BackupDirectoryError`,
    :class:`BackupDamaged`, :class:`TargetNotEmpty`, :class:`TargetNotReady` or
    :class:`ToolFailed` when it cannot restore; returns the outcome (``ok`` or the
    differences) when it did."""
    from service.db.engine import make_engine

    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    manifest = mf.read_manifest(directory)
    dump = mf.checked_dump(directory, manifest)
    seconds["checksum"] = time.perf_counter() - t0
    _check_schema_known(manifest)
    owner = backup_owner(manifest)
    grants = database_grants(manifest, owner=owner)
    url = restoring_url(database_url, owner)
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as conn:
            database = conn.execute(text("SELECT current_database()")).scalar_one()
            _check_target(conn, manifest, owner=owner)
            extension_tables = _extension_tables(conn)
        t0 = time.perf_counter()
        _pg_restore(dump, url, skip_data_of=extension_tables, jobs=jobs)
        seconds["pg_restore"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        with engine.begin() as conn:
            _restore_database_grants(conn, grants, database=database, owner=owner)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
        seconds["grants_and_analyze"] = time.perf_counter() - t0
        outcome = RestoreOutcome(directory, database, manifest, seconds=seconds)
        with engine.connect() as conn:
            outcome.restored_schema = schema_version(conn)
        t0 = time.perf_counter()
        outcome.migrated_to = _migrate_if_older(url, outcome.restored_schema)
        if outcome.migrated_to:
            seconds["migrate"] = time.perf_counter() - t0
        _check(engine, outcome)
    finally:
        engine.dispose()
    return outcome


def backup_owner(manifest: dict[str, Any]) -> str:
    """The role that owns the backup's schema (its ledger's table, else its database)."""
    grants = manifest["facts"]["grants"]
    for key in ("TABLE public.ledger", "TABLE public.alembic_version", "DATABASE (this database)"):
        for entry in grants.get(key, []):
            if entry.startswith("OWNER "):
                return entry.removeprefix("OWNER ")
    from service.db.roles import OWNER_ROLE

    return OWNER_ROLE


def restoring_url(database_url: str, owner: str) -> str:
    """*database_url* as *owner* (the backup's owner role): unchanged when that is its
    user already, else with its user replaced (and no password: the owner's comes from
    ``~/.pgpass`` or the server trusts it)."""
    from service.db.roles import as_role

    if make_url(database_url).username == owner:
        return database_url
    return as_role(database_url, owner)


def _check_schema_known(manifest: dict[str, Any]) -> None:
    from alembic.util import CommandError

    version = manifest["facts"]["schema_version"]
    if version is None:
        return
    scripts = _scripts()
    try:
        known = scripts.get_revision(version) is not None
    except CommandError:  # an unknown revision
        known = False
    if not known:
        raise TargetNotReady(
            f"the backup is of schema version {version}, which this program does not know "
            f"(its newest is {scripts.get_current_head()}): restore it with the version of "
            "parks that took it, or a newer one"
        )


def _scripts():
    """This program's migrations (Alembic's script directory)."""
    from alembic.script import ScriptDirectory

    from service.db.migrate import alembic_config

    return ScriptDirectory.from_config(alembic_config(""))


def _check_target(conn: Connection, manifest: dict[str, Any], *, owner: str) -> None:
    """Refuse a target that holds anything of its own or lacks what only a superuser can
    give it."""
    database = conn.execute(text("SELECT current_database()")).scalar_one()
    found = conn.execute(
        text(sql("service.sql", "restore_target_objects.sql")), {"limit": NAMED_OBJECTS}
    ).all()
    if found:
        named = ", ".join(f"{kind} {name}" for kind, name in found)
        raise TargetNotEmpty(
            f"database {database} is not empty (it holds {named}"
            f"{', …' if len(found) == NAMED_OBJECTS else ''}): a backup is restored only into "
            "an empty database; create a new one (docs/operations.md, the restore drill)"
        )
    have = {r[0] for r in conn.execute(text("SELECT extname FROM pg_extension"))}
    missing = [name for name in manifest["facts"]["extensions"] if name not in have]
    if missing:
        create = "; ".join(f"CREATE EXTENSION {name}" for name in missing)
        raise TargetNotReady(
            f"database {database} lacks the extension(s) {', '.join(missing)}, which only a "
            f"superuser can create: run `{create}` in it as a superuser, or create the "
            "database from parks_template (make db prepares it)"
        )
    roles = roles_named(manifest["facts"]["grants"])
    existing = {
        r[0]
        for r in conn.execute(
            text("SELECT rolname FROM pg_roles WHERE rolname = ANY(:roles)"), {"roles": roles}
        )
    }
    absent = [r for r in roles if r not in existing]
    if absent:
        raise TargetNotReady(
            f"the role(s) {', '.join(absent)} the backup's owners and grants name do not "
            "exist on this server: run `make db` (scripts/ensure-db.sh) against it first"
        )
    db_owner, me = conn.execute(
        text(
            "SELECT pg_get_userbyid(datdba), current_user FROM pg_database "
            "WHERE datname = current_database()"
        )
    ).one()
    if db_owner != owner or me != owner:
        raise TargetNotReady(
            f"database {database} is owned by {db_owner} and this restore connects as {me}; "
            f"both must be {owner}, the backup's owner role (as a superuser: ALTER DATABASE "
            f"{database} OWNER TO {owner})"
        )


def _extension_tables(conn: Connection) -> set[str]:
    return {
        f"{schema} {table}"
        for schema, table, of_extension in conn.execute(
            text(sql("service.sql", "backup_tables.sql"))
        )
        if of_extension
    }


def restore_list(toc: str, *, skip_data_of: set[str]) -> str:
    """The table of contents *toc* (``pg_restore --list``) without the extensions, their
    comments and the rows of the tables in *skip_data_of* (``schema table``): those the
    target's own extensions hold."""
    kept = []
    for line in toc.splitlines():
        match = _TOC_LINE.match(line)
        if match:
            rest = match["rest"]
            if rest.startswith(("EXTENSION - ", "COMMENT - EXTENSION ")):
                continue
            if rest.startswith("TABLE DATA "):
                schema, table = rest.split(" ")[2:4]
                if f"{schema} {table}" in skip_data_of:
                    continue
        kept.append(line)
    return "\n".join(kept) + "\n"


def _pg_restore(dump: Path, url: str, *, skip_data_of: set[str], jobs: int) -> None:
    toc = run_tool("pg_restore", ["--list", str(dump)], what="reading the dump's contents")
    with tempfile.NamedTemporaryFile("w", suffix=".list", encoding="utf-8") as listing:
        listing.write(restore_list(toc.stdout, skip_data_of=skip_data_of))
        listing.flush()
        arguments = [f"--use-list={listing.name}", "--exit-on-error"]
        arguments.append("--single-transaction" if jobs <= 1 else f"--jobs={jobs}")
        partial = "nothing was restored" if jobs <= 1 else "the database may be half restored"
        run_tool(
            "pg_restore",
            [*arguments, str(dump)],
            database_url=url,
            what=f"pg_restore ({partial}: drop and re-create it before trying again)",
        )


def database_grants(manifest: dict[str, Any], *, owner: str) -> list[tuple[str, str]]:
    """The (grantee, privilege) the backup's database gave others than its *owner*;
    raises :class:`BackupDamaged` for anything but a database privilege (they are written
    into a GRANT)."""
    grants = []
    for entry in manifest["facts"]["grants"].get("DATABASE (this database)", []):
        grantee, privilege = entry.split(" ", 1)
        if grantee in ("OWNER", owner):
            continue
        if privilege.removesuffix(" WITH GRANT OPTION") not in DATABASE_PRIVILEGES:
            raise BackupDamaged(f"the manifest grants the database {privilege!r}: refused")
        grants.append((grantee, privilege))
    return grants


def _restore_database_grants(
    conn: Connection, grants: list[tuple[str, str]], *, database: str, owner: str
) -> None:
    """Give the database the grants the backup's had (pg_dump keeps them only with
    --create): everyone's but the owner's taken away, then *grants* given."""
    holders = (
        conn.execute(
            text(sql("service.sql", "restore_database_holders.sql")), {"database": database}
        )
        .scalars()
        .all()
    )
    db = _quote(database)
    # Identifiers quoted, privileges from a fixed list; no bind parameters in DDL.
    for holder in holders:
        if holder != owner:
            conn.exec_driver_sql(f"REVOKE ALL ON DATABASE {db} FROM {_grantee(holder)}")
    for grantee, privilege in grants:
        conn.exec_driver_sql(f"GRANT {privilege} ON DATABASE {db} TO {_grantee(grantee)}")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _grantee(name: str) -> str:
    return "PUBLIC" if name == "PUBLIC" else _quote(name)


def _migrate_if_older(url: str, restored: str | None) -> str | None:
    """Upgrade the restored database to this program's head revision when it is behind;
    the revision reached, or None when it was there already."""
    from service.db.migrate import current_revision, upgrade

    head = _scripts().get_current_head()
    if restored is None or restored == head:
        return None
    upgrade(url)
    return current_revision(url)


def _check(engine: Engine, outcome: RestoreOutcome) -> None:
    """Verify the restored database and compare its facts with the manifest's, in one
    snapshot."""
    from service.audit.verify import verify

    manifest = outcome.manifest
    as_of = datetime.fromisoformat(manifest["facts"]["totals"]["as_of"])
    options = {"isolation_level": "REPEATABLE READ"}
    t0 = time.perf_counter()
    with engine.connect().execution_options(**options) as conn, conn.begin():
        outcome.verification = verify(conn).body()
        outcome.seconds["verify"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        found = database_facts(conn, as_of=as_of)
    outcome.comparison = mf.compare(
        manifest["facts"],
        found,
        data_not_dumped=list(manifest["dump"].get("data_not_dumped", {})),
        migrated=outcome.migrated_to is not None,
    )
    if manifest["facts"]["schema_version"] != outcome.restored_schema:
        outcome.comparison.differ(
            "schema_version", manifest["facts"]["schema_version"], outcome.restored_schema
        )
    if outcome.migrated_to:
        outcome.comparison.notes.append(
            f"the schema was migrated from {outcome.restored_schema} to {outcome.migrated_to}"
        )
    outcome.seconds["compare"] = time.perf_counter() - t0

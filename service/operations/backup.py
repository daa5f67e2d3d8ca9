"""``parks backup``: a consistent dump of the database by PostgreSQL's own ``pg_dump``
(custom format: schema, data, owners and grants) and, beside it, the manifest of what the
database held in the very snapshot dumped.

How it stays consistent under writes: one REPEATABLE READ, READ ONLY transaction (as the
schema's owner, who can read every table) exports its snapshot (``pg_export_snapshot``),
reads the facts of :mod:`service.operations.facts` in it, and stays open while
``pg_dump --snapshot`` dumps that same snapshot. A change set committed meanwhile is in
neither the dump nor the manifest.

The backup's directory holds ``parks.dump`` and ``manifest.json``. The dump is written
under a temporary name and renamed once whole and hashed; the manifest is written last,
so a directory with a manifest holds a complete backup, and a failed backup leaves no
file behind. The backup is then recorded in ``backup_record`` (by its owner, after the
snapshot, so a backup's own row is in the next backup, not in its own).

The rows of ``tile_cache`` (made vector tiles, made again on demand) are not dumped.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text

from service.observability import metrics
from service.operations import manifest as mf
from service.operations.errors import BackupDirectoryError
from service.operations.facts import database_facts
from service.operations.pgtools import run_tool, tool_version
from service.operations.record import has_backup_record, record_backup

#: Tables whose rows the dump leaves out, and why (their definitions and grants are kept).
DATA_NOT_DUMPED = {"public.tile_cache": "made vector tiles: a cache, made again on demand"}
#: How long pg_dump waits for a table lock (a migration holding one) before it gives up.
LOCK_WAIT_TIMEOUT = "2min"


@dataclass(frozen=True)
class TakenBackup:
    """A backup just taken: its directory, its manifest, its row in ``backup_record``
    (None: the schema predates the table), and seconds per stage."""

    directory: Path
    manifest: dict[str, Any]
    record_id: int | None
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def dump_path(self) -> Path:
        return self.directory / self.manifest["dump"]["file"]


def default_directory(backup_dir: Path | None, *, now: datetime | None = None) -> Path:
    """``<backup_dir>/parks-<UTC time>`` (PARKS_BACKUP_DIR); raises
    :class:`BackupDirectoryError` when no directory is configured."""
    if backup_dir is None:
        raise BackupDirectoryError("give --out DIR or set PARKS_BACKUP_DIR")
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return backup_dir / f"parks-{moment:%Y%m%dT%H%M%SZ}"


def take_backup(
    database_url: str, *, directory: Path, compress_level: int | None = None
) -> TakenBackup:
    """Dump the database at *database_url* (a role that reads every table: the schema's
    owner) into *directory* (made; it must not exist or be empty) with its manifest, and
    record the backup. *compress_level*: pg_dump's ``--compress`` (default: its own, 6).
    Raises :class:`BackupDirectoryError` or :class:`ToolFailed`; on any failure the
    files it began are removed."""
    from service.db.engine import make_engine

    made_directory = _prepare(directory)
    dump = directory / mf.DUMP_NAME
    partial = directory / (mf.DUMP_NAME + ".partial")
    seconds: dict[str, float] = {}
    engine = make_engine(database_url, pool_size=1, max_overflow=0)
    try:
        t0 = time.perf_counter()
        options = {"isolation_level": "REPEATABLE READ"}
        with engine.connect().execution_options(**options) as conn, conn.begin():
            conn.execute(text("SET TRANSACTION READ ONLY"))
            snapshot, taken_at, database, server_version = conn.execute(
                text(
                    "SELECT pg_export_snapshot(), now(), current_database(), "
                    "current_setting('server_version')"
                )
            ).one()
            facts = database_facts(conn, as_of=taken_at)
            seconds["facts"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            arguments = [
                "--format=custom",
                f"--snapshot={snapshot}",
                f"--lock-wait-timeout={LOCK_WAIT_TIMEOUT}",
                f"--file={partial}",
                *[f"--exclude-table-data={name}" for name in DATA_NOT_DUMPED],
            ]
            if compress_level is not None:
                arguments.append(f"--compress={compress_level}")
            run_tool("pg_dump", arguments, database_url=database_url, what="the dump")
            seconds["dump"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        sha256 = mf.sha256_of(partial)
        size = partial.stat().st_size
        partial.replace(dump)
        seconds["checksum"] = time.perf_counter() - t0
        manifest = {
            "format": mf.FORMAT,
            "kind": mf.KIND,
            "taken_at": taken_at.astimezone(UTC).isoformat(),
            "database": database,
            "server_version": server_version,
            "pg_dump": tool_version("pg_dump"),
            "dump": {
                "file": mf.DUMP_NAME,
                "format": "custom",
                "bytes": size,
                "sha256": sha256,
                "data_not_dumped": DATA_NOT_DUMPED,
            },
            "facts": facts,
            "seconds": {k: round(v, 3) for k, v in seconds.items()},
        }
        mf.write_manifest(directory, manifest)
    except BaseException:
        _remove_unfinished(directory, made_directory=made_directory)
        engine.dispose()
        raise
    try:
        record_id = _record(engine, directory, manifest)
    finally:
        engine.dispose()
    metrics.backup_taken()
    return TakenBackup(directory, mf.sealed(manifest), record_id, seconds)


def _prepare(directory: Path) -> bool:
    """Make *directory* (and its parents); True when it was made here. One that exists
    must be an empty directory: a backup never writes over another."""
    if directory.exists():
        if not directory.is_dir():
            raise BackupDirectoryError(f"{directory} exists and is not a directory")
        if any(directory.iterdir()):
            raise BackupDirectoryError(
                f"{directory} is not empty: a backup never writes over another; give a new "
                "directory"
            )
        return False
    directory.mkdir(parents=True)
    return True


def _remove_unfinished(directory: Path, *, made_directory: bool) -> None:
    for name in (mf.DUMP_NAME, mf.DUMP_NAME + ".partial", mf.MANIFEST_NAME + ".partial"):
        (directory / name).unlink(missing_ok=True)
    if made_directory and directory.is_dir() and not any(directory.iterdir()):
        directory.rmdir()


def _record(engine, directory: Path, manifest: dict[str, Any]) -> int | None:
    head = manifest["facts"]["ledger"]["head"]
    with engine.begin() as conn:
        if not has_backup_record(conn):
            return None
        return record_backup(
            conn,
            taken_at=datetime.fromisoformat(manifest["taken_at"]),
            location=str(directory.resolve()),
            dump_sha256=manifest["dump"]["sha256"],
            dump_bytes=manifest["dump"]["bytes"],
            ledger_seq=head["seq"] if head else None,
            ledger_hash=head["hash"] if head else None,
            schema_version=manifest["facts"]["schema_version"] or "",
        )

"""The table ``backup_record`` (migration 0018): one row per backup taken, written by the
schema's owner once the dump is complete (so a backup's own row is never in its dump);
read by the service for the age of the last backup."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, text

from service.db.sqlfiles import sql


def has_backup_record(conn: Connection) -> bool:
    """Whether the database has the table (a schema older than 0018 has not)."""
    return conn.execute(text("SELECT to_regclass('public.backup_record')")).scalar() is not None


def record_backup(
    conn: Connection,
    *,
    taken_at: datetime,
    location: str,
    dump_sha256: str,
    dump_bytes: int,
    ledger_seq: int | None,
    ledger_hash: str | None,
    schema_version: str,
) -> int:
    """Record one backup; returns its id. The caller commits."""
    return conn.execute(
        text(sql("service.sql", "backup_record_insert.sql")),
        {
            "taken_at": taken_at,
            "location": location,
            "dump_sha256": dump_sha256,
            "dump_bytes": dump_bytes,
            "ledger_seq": ledger_seq,
            "ledger_hash": ledger_hash,
            "schema_version": schema_version,
        },
    ).scalar_one()


def last_backup_taken_at(conn: Connection) -> datetime | None:
    """The snapshot moment of the latest backup recorded (None: none yet, or no table)."""
    if not has_backup_record(conn):
        return None
    return conn.execute(text("SELECT max(taken_at) FROM backup_record")).scalar()

"""The record of backups: table ``backup_record`` — one row per ``parks backup``: when its
snapshot was taken, where it was written, the SHA-256 and size of its dump, the ledger
head (sequence and hash) and schema version it holds, and the role that took it. The
schema's owner writes it (it takes the backups); the service's and the auditor's roles
read it (service/db/sql/backup_record.sql).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQL = Path(__file__).resolve().parents[2] / "sql" / "backup_record.sql"


def upgrade() -> None:
    op.create_table(
        "backup_record",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("dump_sha256", sa.Text(), nullable=False),
        sa.Column("dump_bytes", sa.BigInteger(), nullable=False),
        sa.Column("ledger_seq", sa.BigInteger(), nullable=True),
        sa.Column("ledger_hash", sa.Text(), nullable=True),
        sa.Column("schema_version", sa.Text(), nullable=False),
        sa.Column("taken_by", sa.Text(), server_default=sa.text("session_user"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.CheckConstraint("dump_sha256 ~ '^[0-9a-f]{64}$'", name="backup_record_sha256"),
    )
    op.create_index("backup_record_taken_at", "backup_record", ["taken_at"])
    # The driver connection runs the file as one script (no bind-parameter parsing).
    op.get_bind().connection.driver_connection.execute(SQL.read_text(encoding="utf-8"))


def downgrade() -> None:
    op.drop_table("backup_record")  # its index and grants go with it

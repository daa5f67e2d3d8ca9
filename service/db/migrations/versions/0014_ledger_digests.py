"""Ledger digests: the table ``ledger_digest`` listing the signed digests of the ledger's
head that ``parks audit digest`` takes (id, taken_at, seq, hash, key_id, the document as
JSON and its base64 Ed25519 signature; service/audit/digests.py). Append-only: UPDATE,
DELETE and TRUNCATE are refused by ``refuse_change`` (SQLSTATE MF002). The service's role
may read and add rows (and draw ids), the auditor's read them
(service/db/sql/ledger_digest.sql).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQL = Path(__file__).resolve().parents[2] / "sql" / "ledger_digest.sql"


def upgrade() -> None:
    op.create_table(
        "ledger_digest",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.Text(), nullable=False),
        sa.Column("key_id", sa.Text(), nullable=False),
        sa.Column("document", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    # The driver connection runs the file as one script (no bind-parameter parsing).
    op.get_bind().connection.driver_connection.execute(SQL.read_text(encoding="utf-8"))


def downgrade() -> None:
    op.drop_table("ledger_digest")  # its triggers and grants go with it

"""Tamper evidence for parcel history: a SHA-256 fingerprint of each parcel version's
content, stamped by the database on every write (and the defaults for versions written by
plain SQL), so verification can name a version altered with triggers disabled. Also the
GiST index on each version's validity period that "as of" questions use.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQL = Path(__file__).resolve().parents[2] / "sql" / "fingerprint.sql"


def upgrade() -> None:
    op.add_column("parcel_version", sa.Column("content_sha256", sa.Text(), nullable=True))
    op.get_bind().connection.driver_connection.execute(SQL.read_text(encoding="utf-8"))
    # Existing versions: stamp them directly (the history guard would refuse to touch
    # closed versions, and stamping is not a change of content).
    op.execute("ALTER TABLE parcel_version DISABLE TRIGGER USER")
    op.execute("UPDATE parcel_version v SET content_sha256 = parcel_version_fingerprint(v)")
    op.execute("ALTER TABLE parcel_version ENABLE TRIGGER USER")
    op.alter_column("parcel_version", "content_sha256", nullable=False)
    # "As of" questions ask which versions' periods contain a moment.
    op.create_index(
        "parcel_version_period",
        "parcel_version",
        [sa.text("tstzrange(valid_from, valid_to)")],
        postgresql_using="gist",
    )


def downgrade() -> None:
    op.drop_index("parcel_version_period", table_name="parcel_version")
    op.execute("DROP TRIGGER IF EXISTS parcel_version_stamp ON parcel_version")
    op.execute("DROP FUNCTION IF EXISTS parcel_version_stamp()")
    op.execute("DROP FUNCTION IF EXISTS parcel_version_fingerprint(parcel_version)")
    op.drop_column("parcel_version", "content_sha256")

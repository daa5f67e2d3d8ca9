"""Periods of a parcel's versions: the exclusion constraint over the closed versions, the
standing version checked on insert (see service/db/sql/periods.sql for why); a b-tree on
parcel_code for looking a parcel's versions up.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQL = Path(__file__).resolve().parents[2] / "sql" / "periods.sql"


def upgrade() -> None:
    op.create_index("parcel_version_code", "parcel_version", ["parcel_code", "valid_from"])
    op.drop_constraint("parcel_periods_do_not_overlap", "parcel_version")
    op.execute(
        "ALTER TABLE parcel_version ADD CONSTRAINT parcel_periods_do_not_overlap EXCLUDE "
        "USING gist (parcel_code WITH =, tstzrange(valid_from, valid_to) WITH &&) "
        "WHERE (valid_to IS NOT NULL)"
    )
    op.get_bind().connection.driver_connection.execute(SQL.read_text(encoding="utf-8"))


def downgrade() -> None:
    op.drop_constraint("parcel_periods_do_not_overlap", "parcel_version")
    op.execute(
        "ALTER TABLE parcel_version ADD CONSTRAINT parcel_periods_do_not_overlap EXCLUDE "
        "USING gist (parcel_code WITH =, tstzrange(valid_from, valid_to) WITH &&)"
    )
    op.drop_index("parcel_version_code", table_name="parcel_version")
    op.get_bind().connection.driver_connection.execute(
        (Path(__file__).resolve().parents[2] / "sql" / "fingerprint.sql").read_text(
            encoding="utf-8"
        )
    )

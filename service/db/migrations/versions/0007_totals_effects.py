"""Totals effects: each committed change set's effect on the land totals per (park,
land-use class, status) — parcels and area made minus ended — with cumulative snapshots
every few thousand effect rows, written by the database at commit
(service/db/sql/effects.sql), so "as of" totals add a snapshot and a short tail instead of
reading every version ever written. Also an index on the change set that ended a version
(the availability index reads what the newest change sets ended).

Existing history gets its effects and snapshots re-derived from the parcel versions, so an
upgraded database answers "as of" questions as before.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQL = Path(__file__).resolve().parents[2] / "sql" / "effects.sql"

TRIGGERS = [
    ("parcel_version_totals_insert", "parcel_version"),
    ("parcel_version_totals_update", "parcel_version"),
    ("parcel_version_totals_delete", "parcel_version"),
    ("totals_record_at_commit", "totals_txn"),
    ("totals_effect_guard", "totals_effect"),
    ("totals_snapshot_guard", "totals_snapshot"),
    ("totals_pending_guard", "totals_pending"),
    ("totals_txn_guard", "totals_txn"),
    ("totals_effect_no_truncate", "totals_effect"),
    ("totals_snapshot_no_truncate", "totals_snapshot"),
    ("totals_pending_no_truncate", "totals_pending"),
    ("totals_txn_no_truncate", "totals_txn"),
]
FUNCTIONS = [
    "totals_collect_insert()",
    "totals_collect_update()",
    "totals_collect_delete()",
    "totals_commit()",
    "totals_rebuild(bigint)",
    "totals_take_snapshot(timestamptz, bigint)",
    "totals_tables_guard()",
    "totals_snapshot_every()",
]


def upgrade() -> None:
    op.create_index(
        "parcel_version_ended_by",
        "parcel_version",
        ["ended_by_change_set_id"],
        postgresql_where=sa.text("ended_by_change_set_id IS NOT NULL"),
    )
    op.create_table(
        "totals_effect",
        sa.Column("change_set_id", sa.BigInteger(), nullable=False),
        sa.Column("park", sa.Text(), nullable=False),
        sa.Column("land_use_code", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("parcels_delta", sa.BigInteger(), nullable=False),
        sa.Column("area_delta_m2", sa.Numeric(), nullable=False),
        sa.ForeignKeyConstraint(["change_set_id"], ["change_set.id"]),
        sa.PrimaryKeyConstraint("change_set_id", "park", "land_use_code", "status"),
    )
    op.create_index("totals_effect_at", "totals_effect", ["at", "change_set_id"])
    op.create_table(
        "totals_snapshot",
        sa.Column("cut_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("park", sa.Text(), nullable=False),
        sa.Column("land_use_code", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("change_set_id", sa.BigInteger(), nullable=False),
        sa.Column("parcels", sa.BigInteger(), nullable=False),
        sa.Column("area_m2", sa.Numeric(), nullable=False),
        sa.ForeignKeyConstraint(["change_set_id"], ["change_set.id"]),
        sa.PrimaryKeyConstraint("cut_at", "park", "land_use_code", "status"),
    )
    op.create_table(
        "totals_pending",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("txid", sa.BigInteger(), nullable=False),
        sa.Column("change_set_id", sa.BigInteger(), nullable=False),
        sa.Column("park", sa.Text(), nullable=False),
        sa.Column("land_use_code", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("parcels_delta", sa.BigInteger(), nullable=False),
        sa.Column("area_delta_m2", sa.Numeric(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("totals_pending_txid", "totals_pending", ["txid"])
    op.create_table(
        "totals_txn",
        sa.Column("txid", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("txid"),
    )
    # The driver connection runs the file as one script (no bind-parameter parsing).
    op.get_bind().connection.driver_connection.execute(SQL.read_text(encoding="utf-8"))
    op.execute("SELECT totals_rebuild()")
    op.execute("ANALYZE totals_effect")
    op.execute("ANALYZE totals_snapshot")


def downgrade() -> None:
    for trigger, table in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
    for function in FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {function}")
    op.drop_table("totals_txn")
    op.drop_index("totals_pending_txid", table_name="totals_pending")
    op.drop_table("totals_pending")
    op.drop_table("totals_snapshot")
    op.drop_index("totals_effect_at", table_name="totals_effect")
    op.drop_table("totals_effect")
    op.drop_index("parcel_version_ended_by", table_name="parcel_version")

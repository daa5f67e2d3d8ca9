"""Planner statistics after a load: ``refresh_planner_statistics`` (the service's door to
ANALYZE, service/db/sql/service_door.sql) also takes the rule's record the load appends
to — ``change_set``, ``ledger``, ``totals_effect`` — and ``park``/``parcel_lineage``, so the
loader can analyze everything it wrote. Re-runs the re-runnable service_door.sql.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQL = Path(__file__).resolve().parents[2] / "sql" / "service_door.sql"


def upgrade() -> None:
    # The driver connection runs the file as one script (no bind-parameter parsing).
    op.get_bind().connection.driver_connection.execute(SQL.read_text(encoding="utf-8"))


def downgrade() -> None:
    # The wider list admits only ANALYZE of the owner's own tables; nothing to undo.
    pass

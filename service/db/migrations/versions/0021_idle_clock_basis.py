"""Idle land's basis: per supply contract, what its idle-land clocks are worked out from
(its first start and completion, its latest amounts reported, the day its work stopped,
its last report's day), kept by the database at every write of ``site_progress`` and
``supply_contract`` (service/db/sql/idle_clock_basis.sql). The idle list of a day on or
after a contract's last report reads this row instead of the contract's reports.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQL = Path(__file__).resolve().parents[2] / "sql"


def upgrade() -> None:
    # The driver connection runs a file as one script (no bind-parameter parsing).
    run = op.get_bind().connection.driver_connection.execute
    run((SQL / "idle_clock_basis.sql").read_text(encoding="utf-8"))
    # fresh statistics of it after a bulk load (refresh_planner_statistics)
    run((SQL / "service_door.sql").read_text(encoding="utf-8"))


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS site_progress_idle_basis_insert ON site_progress")
    op.execute("DROP TRIGGER IF EXISTS site_progress_idle_basis_update ON site_progress")
    op.execute("DROP TRIGGER IF EXISTS supply_contract_idle_basis_insert ON supply_contract")
    op.execute("DROP FUNCTION IF EXISTS idle_clock_basis_after_write()")
    op.execute("DROP FUNCTION IF EXISTS idle_clock_basis_refresh(text[])")
    op.drop_table("idle_clock_basis")

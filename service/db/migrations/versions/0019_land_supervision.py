"""Land supervision: enterprises, supply contracts (出让合同 / 划拨决定书), progress on the
ground, government-caused delays that stop the idle-land clock, approval batches
(建设用地批次) and the parcels in them, enterprises' yearly figures (亩均效益 data) and the
settings supervision judges by — each kept with its history the way parcels are
(service/db/sql/supervision.sql, with the grants: the service's role inserts versions and
ends standing ones; nobody edits or deletes a version). privileges.sql lists the same grants
for when it is run again.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQL = Path(__file__).resolve().parents[2] / "sql"

#: The tables this revision makes, in the order they are dropped going down.
TABLES = (
    "supervision_setting",
    "enterprise_figures",
    "approval_batch_parcel",
    "approval_batch",
    "idle_delay",
    "site_progress",
    "supply_contract",
    "enterprise",
)


def _raw(script: str) -> None:
    # The driver connection runs a file as one script (no bind-parameter parsing).
    op.get_bind().connection.driver_connection.execute(script)


def upgrade() -> None:
    _raw((SQL / "supervision.sql").read_text(encoding="utf-8"))
    # fresh statistics after a bulk load of the new tables (refresh_planner_statistics)
    _raw((SQL / "service_door.sql").read_text(encoding="utf-8"))


def downgrade() -> None:
    for table in TABLES:
        op.drop_table(table)
    op.execute("DROP FUNCTION IF EXISTS supervision_history_guard()")

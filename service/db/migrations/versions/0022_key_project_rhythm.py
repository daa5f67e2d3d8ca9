"""Key projects under the city's review rhythm (周观摩, 月调度, 季评比, 年考核): the
officials who take charge of projects (包抓领导) and their assignments, each project's
annual plan (investment by month, milestones, image-progress targets by quarter), monthly
reports and milestones reached, site visits, problems (问题清单) and the rhythm's settings
— each kept with its history like the supervision records (service/db/sql/
project_rhythm.sql, with the grants; privileges.sql lists the same).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQL = Path(__file__).resolve().parents[2] / "sql"

#: The tables this revision makes, in the order they are dropped going down.
TABLES = (
    "project_setting",
    "project_problem",
    "project_visit",
    "project_milestone_reached",
    "project_report",
    "project_plan_progress",
    "project_plan_milestone",
    "project_plan_investment",
    "project_assignment",
    "project_official",
)


def _raw(script: str) -> None:
    # The driver connection runs a file as one script (no bind-parameter parsing).
    op.get_bind().connection.driver_connection.execute(script)


def upgrade() -> None:
    _raw((SQL / "project_rhythm.sql").read_text(encoding="utf-8"))
    # fresh statistics after a bulk load of the new tables (refresh_planner_statistics)
    _raw((SQL / "service_door.sql").read_text(encoding="utf-8"))


def downgrade() -> None:
    for table in TABLES:
        op.drop_table(table)

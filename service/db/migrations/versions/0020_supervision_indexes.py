"""Idle land's hot path: partial indexes of the standing supervision rows the idle-land
list reads (service/supervision/sql/idle_land.sql), so that working out every contract's
clock on a day costs in proportion to the contracts that may be on one, not to every
progress report ever filed:

* ``supply_contract_standing_start``: each standing contract's agreed start date and park
  beside its number — the contracts agreed to start early enough to be in a stage, read
  from the index alone and merged, in contract order, with
* ``site_progress_standing_settled``: the standing start and completion reports — a
  contract with neither by the day is not started (an anti-join of two index-only scans);
* ``site_progress_standing_suspension``: the standing suspensions by day — the sites
  stopped early enough to be in a stage;
* ``site_progress_standing_amounts``: a contract's standing reports with their kind,
  developed area and investment — the latest amounts of a candidate, from the index alone.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out here, not read from a file, so that this migration never changes.
INDEXES: dict[str, str] = {
    "supply_contract_standing_start": (
        "CREATE INDEX supply_contract_standing_start ON supply_contract (contract_no) "
        "INCLUDE (agreed_start_on, park) WHERE valid_to IS NULL"
    ),
    "site_progress_standing_settled": (
        "CREATE INDEX site_progress_standing_settled ON site_progress (contract_no, reported_on) "
        "WHERE valid_to IS NULL AND kind IN ('start', 'completion')"
    ),
    "site_progress_standing_suspension": (
        "CREATE INDEX site_progress_standing_suspension ON site_progress "
        "(reported_on, contract_no) WHERE valid_to IS NULL AND kind = 'suspension'"
    ),
    "site_progress_standing_amounts": (
        "CREATE INDEX site_progress_standing_amounts ON site_progress (contract_no, reported_on) "
        "INCLUDE (kind, developed_area_m2, investment_wan) WHERE valid_to IS NULL"
    ),
}


def upgrade() -> None:
    for statement in INDEXES.values():
        op.execute(statement)


def downgrade() -> None:
    for name in reversed(INDEXES):
        op.execute(f"DROP INDEX IF EXISTS {name}")

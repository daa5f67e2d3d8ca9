"""Commits no longer pay for plans made when the city was just loaded, nor for planning
a spatial join that has nothing to check.

* ``parcel_placement_check`` (service/db/sql/rule.sql) first takes the standing versions
  the change set placed (new, moved or given to another park) and returns when there are
  none, so a status change, a rezoning or a supply no longer runs the spatial join; and
  its statements are planned once a session (generic plans, made with sequential scans
  off so that they probe by index), not at every commit (~0.5 ms for the spatial join).
  What it refuses, and how, is unchanged.
* ``rule_commit_check``, ``change_set_of_this_transaction``, the guards
  ``parcel_version_written_now`` and ``change_set_written_now``, and the totals' commit
  ``totals_commit`` run with ``enable_seqscan = off``: their look-ups by key (change_set by
  txid or id, the ledger's last row) were planned as scans of the whole table while it
  held a row or two after a load, and PL/pgSQL kept those plans as the tables grew, until
  autovacuum analyzed them.
* ``ledger_hash`` and ``ledger_hash_v2`` are PL/pgSQL (the same expression, the same
  hashes): as SQL functions that could not be inlined they were planned at every call.

Re-runs the re-runnable rule.sql (CREATE OR REPLACE keeps each function's owner and
grants); effects.sql is not re-run (its functions' SECURITY DEFINER is privileges.sql's
ALTER, which CREATE OR REPLACE would take away): ``totals_commit`` gets the setting by
ALTER, as a database made afresh gets it from effects.sql. Down: the setting comes off
``totals_commit``; the rest refuses what it refused before and is left.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RULE_SQL = Path(__file__).resolve().parents[2] / "sql" / "rule.sql"


def upgrade() -> None:
    # The driver connection runs the file as one script (no bind-parameter parsing of the
    # '%s' and ':' inside PL/pgSQL bodies).
    op.get_bind().connection.driver_connection.execute(RULE_SQL.read_text(encoding="utf-8"))
    op.execute("ALTER FUNCTION totals_commit() SET enable_seqscan = off")


def downgrade() -> None:
    op.execute("ALTER FUNCTION totals_commit() RESET enable_seqscan")

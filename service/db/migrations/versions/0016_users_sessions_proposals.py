"""People: named officials who sign in (``app_user``, argon2id hashes only), their
server-side sessions (``user_session``, revocable at once), every sign-in attempt
(``sign_in_attempt``, for the lockout and its log), proposals awaiting a second official's
approval (``proposal``), the role ``approver`` for tokens and users, and the proposer of a
change set applied by approval (``change_set.proposal_id``, ``proposed_by``,
``proposed_at``). Grants: service/db/sql/people.sql.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQL = Path(__file__).resolve().parents[2] / "sql" / "people.sql"


def upgrade() -> None:
    # The driver connection runs the file as one script (no bind-parameter parsing).
    op.get_bind().connection.driver_connection.execute(SQL.read_text(encoding="utf-8"))


def downgrade() -> None:
    op.execute(
        "ALTER TABLE change_set DROP COLUMN proposal_id, DROP COLUMN proposed_by, "
        "DROP COLUMN proposed_at"
    )
    op.execute("DROP TABLE proposal, sign_in_attempt, user_session, app_user")
    op.execute("ALTER TABLE api_token DROP CONSTRAINT token_role")
    op.execute(
        "ALTER TABLE api_token ADD CONSTRAINT token_role CHECK "
        "(role IN ('viewer', 'planner', 'editor', 'auditor', 'admin'))"
    )

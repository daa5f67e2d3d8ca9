"""Land-use class flags with their history, and the audited admin functions for the rule's
settings (service/db/sql/admin.sql).

* ``land_use_class_flag``: every manufacturing flag a land-use class has had, in force
  from ``valid_from`` until ``valid_to`` (NULL: now), set by change set ``change_set_id``
  (NULL: the flag the class had when the history began). Seeded here from today's flags,
  in force since '-infinity' (a flag changed before this migration left no trace: the past
  before it is judged by today's flag, as it was; after a downgrade, the flips the change
  sets record are replayed). No two periods of a class overlap
  (exclusion constraint); one standing row per class. Written by a trigger on
  ``land_use_class`` whenever a flag changes; append-only but for closing the standing
  row. ``parks audit verify`` and the "as of" totals judge each moment by the flag in
  force then.
* ``admin_set_class_manufacturing``, ``admin_set_rule_policy``, ``admin_set_target`` and
  ``admin_add_target``: SECURITY DEFINER, EXECUTE for ``parks_app`` only. Each records its
  change as a change set (kinds ``class_flag``, ``rule_policy``, ``target``) with the old
  and new values, which gets its ledger row at commit; a no-op returns NULL and records
  nothing. The application changes flags, the policy and targets only through them: its
  INSERT/UPDATE/DELETE on ``land_use_class``, ``rule_policy`` and ``target`` are revoked
  here (and given back on the way down).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQL = Path(__file__).resolve().parents[2] / "sql" / "admin.sql"

TRIGGERS = [
    ("land_use_class_flag_history", "land_use_class"),
    ("land_use_class_flag_new", "land_use_class"),
]
FUNCTIONS = [
    "admin_add_target(text, double precision, double precision, text, text)",
    "admin_set_target(text, double precision, double precision, text, text)",
    "admin_write_target(text, double precision, double precision, text, text, boolean)",
    "admin_set_rule_policy(boolean, double precision, text, text)",
    "admin_set_class_manufacturing(text, boolean, text, text)",
    "admin_change_set(text, text, text, jsonb, jsonb, jsonb)",
    "admin_require_amount(text, double precision)",
    "admin_require_who(text, text)",
    "class_flag_guard()",
    "class_flag_record()",
]

#: The flag history: today's flags since '-infinity' — unless the change sets record flips
#: (the admin function's before and after, in their effects: a database that went down
#: past this revision and up again), which are replayed, so such a round trip loses only
#: the flips the owner made by SQL.
SEED = """
WITH op AS (
    SELECT c.id AS change_set_id, c.committed_at AS at, e.n,
           e.x -> 'after' -> 0 ->> 'code' AS code,
           (e.x -> 'before' -> 0 ->> 'is_manufacturing')::boolean AS was,
           (e.x -> 'after' -> 0 ->> 'is_manufacturing')::boolean AS now
      FROM change_set c
     CROSS JOIN LATERAL jsonb_array_elements(c.effects) WITH ORDINALITY AS e(x, n)
     WHERE e.x ->> 'op' = 'set_class_manufacturing'
), last_word AS (  -- a class flipped twice in one change set
    SELECT DISTINCT ON (code, change_set_id) code, change_set_id, at, now
      FROM op ORDER BY code, change_set_id, n DESC
), first_word AS (
    SELECT DISTINCT ON (code) code, was, at FROM op ORDER BY code, at, n
)
INSERT INTO land_use_class_flag (code, is_manufacturing, valid_from, valid_to, change_set_id)
SELECT k.code, coalesce(f.was, k.is_manufacturing), '-infinity', f.at, NULL
  FROM land_use_class k LEFT JOIN first_word f ON f.code = k.code
UNION ALL
SELECT code, now, at, lead(at) OVER (PARTITION BY code ORDER BY at), change_set_id
  FROM last_word
"""

#: Taken back on the way down: without the functions the application writes the policy
#: and the targets itself again (as before this revision).
REGRANT = """
DO $regrant$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'parks_app') THEN
        GRANT INSERT, UPDATE ON TABLE target TO parks_app;
        GRANT UPDATE ON TABLE rule_policy TO parks_app;
    END IF;
END
$regrant$
"""


def _raw(sql: str) -> None:
    # The driver connection runs the file as one script: no bind-parameter parsing of the
    # '%' and ':' inside PL/pgSQL bodies.
    op.get_bind().connection.driver_connection.execute(sql)


def upgrade() -> None:
    op.create_table(
        "land_use_class_flag",
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("is_manufacturing", sa.Boolean(), nullable=False),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("change_set_id", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to > valid_from", name="class_flag_period_order"
        ),
        sa.ForeignKeyConstraint(["code"], ["land_use_class.code"]),
        sa.ForeignKeyConstraint(["change_set_id"], ["change_set.id"]),
        sa.PrimaryKeyConstraint("code", "valid_from"),
    )
    op.execute(
        "ALTER TABLE land_use_class_flag ADD CONSTRAINT class_flag_periods_do_not_overlap "
        "EXCLUDE USING gist (code WITH =, tstzrange(valid_from, valid_to) WITH &&)"
    )
    op.create_index(
        "class_flag_one_standing",
        "land_use_class_flag",
        ["code"],
        unique=True,
        postgresql_where=sa.text("valid_to IS NULL"),
    )
    op.execute(SEED)
    _raw(SQL.read_text(encoding="utf-8"))


def downgrade() -> None:
    for trigger, table in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
    # (the table's own triggers go with it)
    op.drop_table("land_use_class_flag")
    for function in FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {function}")
    _raw(REGRANT)

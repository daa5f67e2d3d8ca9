"""The manufacturing-land rule in the database: triggers that collect each transaction's
change, the deferred check at commit, the hash-chained append-only ledger, history
guards; and the data the rule needs (the land-use classes, its policy row, the ledger head).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

from parks.landuse import read_classes

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RULE_SQL = Path(__file__).resolve().parents[2] / "sql" / "rule.sql"
RULE_TRIGGERS_SQL = RULE_SQL.with_name("rule_triggers.sql")


def _raw(sql: str) -> None:
    # The driver connection runs the file as one script: no bind-parameter parsing of
    # the '%s' and ':' inside PL/pgSQL bodies.
    op.get_bind().connection.driver_connection.execute(sql)


def upgrade() -> None:
    classes = read_classes()
    land_use_class = sa.table(
        "land_use_class",
        *(
            sa.column(name)
            for name in ("code", "standard", "level", "parent_code", "name_zh", "name_en")
        ),
        sa.column("is_manufacturing", sa.Boolean),
    )
    op.bulk_insert(
        land_use_class,
        [
            {
                "code": c.code,
                "standard": c.standard,
                "level": c.level,
                "parent_code": c.parent_code,
                "name_zh": c.name_zh,
                "name_en": c.name_en,
                "is_manufacturing": c.is_manufacturing,
            }
            for c in classes
        ],
    )
    op.execute("INSERT INTO rule_policy (id) VALUES (true)")
    op.execute("INSERT INTO ledger_head (id, last_seq) VALUES (true, 0)")
    # The functions (re-run by later migrations that change them), then their triggers.
    _raw(RULE_SQL.read_text(encoding="utf-8"))
    _raw(RULE_TRIGGERS_SQL.read_text(encoding="utf-8"))


def downgrade() -> None:
    for trigger, table in [
        ("parcel_version_rule_insert", "parcel_version"),
        ("parcel_version_rule_update", "parcel_version"),
        ("parcel_version_rule_delete", "parcel_version"),
        ("parcel_version_history_guard", "parcel_version"),
        ("parcel_version_defaults", "parcel_version"),
        ("parcel_version_no_truncate", "parcel_version"),
        ("land_use_class_rule_flag", "land_use_class"),
        ("land_use_class_no_truncate", "land_use_class"),
        ("change_set_rule_mark", "change_set"),
        ("change_set_no_truncate", "change_set"),
        ("rule_check_at_commit", "rule_txn"),
        ("rule_pending_guard", "rule_pending"),
        ("rule_pending_no_truncate", "rule_pending"),
        ("rule_txn_guard", "rule_txn"),
        ("rule_txn_no_truncate", "rule_txn"),
        ("ledger_append_only", "ledger"),
        ("ledger_no_truncate", "ledger"),
    ]:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
    for function in [
        "rule_collect_insert()",
        "rule_collect_delete()",
        "rule_collect_update()",
        "rule_collect_class_flag()",
        "rule_mark_change_set()",
        "rule_commit_check()",
        "parcel_history_guard()",
        "parcel_version_defaults()",
        "change_set_of_this_transaction()",
        "refuse_change()",
        "rule_tables_guard()",
        "ledger_hash(bigint, timestamptz, text, bigint, text, text, double precision, "
        "double precision, jsonb, jsonb, text)",
        "ledger_parks_text(jsonb)",
        "ledger_float_hex(double precision)",
    ]:
        op.execute(f"DROP FUNCTION IF EXISTS {function}")
    op.execute("DELETE FROM ledger_head")
    op.execute("DELETE FROM rule_policy")
    op.execute("DELETE FROM land_use_class")

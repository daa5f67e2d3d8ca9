"""Least privilege: the service's role (parks_app) gets the DML each table needs and owns
nothing; the schema's owner (parks_owner, who runs this) keeps every object; the auditor
(parks_auditor) reads everything; the rule's working tables, the ledger and the derived
stores are written only by functions that run as their owner (SECURITY DEFINER, fixed
search_path). The doors the service still needs — the ledger lock, fresh planner
statistics after a bulk write — are functions of their own (service/db/sql/service_door.sql),
and a committed change set is guarded against edits; the grants are
service/db/sql/privileges.sql (re-runnable).

A database made before the roles (one role owning everything) is first handed to
parks_owner by ``make db`` (REASSIGN OWNED, as the superuser); this migration then runs as
the owner. The roles are cluster-wide (``make db``); a missing one is skipped with a notice.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQL = Path(__file__).resolve().parents[2] / "sql"


def _raw(sql: str) -> None:
    # The driver connection runs a file as one script: no bind-parameter parsing of the
    # '%' and ':' inside it.
    op.get_bind().connection.driver_connection.execute(sql)


def upgrade() -> None:
    _raw((SQL / "service_door.sql").read_text(encoding="utf-8"))
    _raw((SQL / "privileges.sql").read_text(encoding="utf-8"))


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS change_set_guard ON change_set")
    op.execute("DROP FUNCTION IF EXISTS change_set_guard()")
    # rule_take_ledger_lock() and refresh_planner_statistics() stay: the application of
    # this version calls them, and they give nothing the owning role did not have.
    # The roles' grants of privileges.sql go (the reader's own are 0010's), and PUBLIC
    # gets back what PostgreSQL gives it by default.
    op.execute(
        """
        DO $$
        DECLARE
            r text;
            f record;
        BEGIN
            FOREACH r IN ARRAY ARRAY['parks_app', 'parks_auditor'] LOOP
                CONTINUE WHEN NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r);
                EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA public FROM %I', r);
                EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM %I', r);
                FOR f IN SELECT oid::regprocedure AS sig FROM pg_proc
                          WHERE pronamespace = 'public'::regnamespace
                            AND proowner = current_user::regrole LOOP
                    EXECUTE format('REVOKE ALL ON FUNCTION %s FROM %I', f.sig, r);
                END LOOP;
                IF to_regnamespace('gis') IS NOT NULL THEN
                    EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA gis FROM %I', r);
                    EXECUTE format('REVOKE ALL ON SCHEMA gis FROM %I', r);
                END IF;
            END LOOP;
            FOREACH r IN ARRAY ARRAY['parks_app', 'parks_auditor', 'parks_reader'] LOOP
                CONTINUE WHEN NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r);
                EXECUTE format('REVOKE ALL ON SCHEMA public FROM %I', r);
                IF r <> 'parks_reader' THEN
                    EXECUTE format('REVOKE ALL ON DATABASE %I FROM %I', current_database(), r);
                END IF;
            END LOOP;
        END $$
        """
    )
    op.execute(
        "DO $$ BEGIN EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO PUBLIC', "
        "current_database()); END $$"
    )
    op.execute("GRANT USAGE ON SCHEMA public TO PUBLIC")
    op.execute("ALTER DEFAULT PRIVILEGES GRANT EXECUTE ON FUNCTIONS TO PUBLIC")

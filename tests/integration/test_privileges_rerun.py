"""privileges.sql says who may do what and can be run again (a role made after the
migrations, a grant lost): running it again on a database at the newest migration leaves
every role's privileges exactly as the migrations made them — the people tables' own
(the password hashes and session ids stay the service's alone) included."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from support_roles import owner_url

from service.db.migrate import upgrade

pytestmark = pytest.mark.integration

PRIVILEGES_SQL = Path(__file__).resolve().parents[2] / "service" / "db" / "sql" / "privileges.sql"
ROLES = ("parks_app", "parks_auditor", "parks_reader")


def _dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def _privileges(url: str) -> set[tuple]:
    """(role, object, column or '', privilege) of every grant to the roles."""
    with psycopg.connect(_dsn(owner_url(url))) as conn:
        tables = conn.execute(
            "SELECT grantee, table_schema || '.' || table_name, '', privilege_type "
            "FROM information_schema.role_table_grants WHERE grantee = ANY(%s)",
            (list(ROLES),),
        ).fetchall()
        columns = conn.execute(
            "SELECT grantee, table_schema || '.' || table_name, column_name, privilege_type "
            "FROM information_schema.column_privileges WHERE grantee = ANY(%s)",
            (list(ROLES),),
        ).fetchall()
        sequences = conn.execute(
            "SELECT r.rolname, c.relname, '', p.privilege FROM pg_class c "
            "CROSS JOIN (VALUES ('USAGE'), ('SELECT'), ('UPDATE')) p(privilege) "
            "CROSS JOIN pg_roles r WHERE c.relkind = 'S' AND r.rolname = ANY(%s) "
            "AND c.relnamespace = 'public'::regnamespace "
            "AND has_sequence_privilege(r.rolname, c.oid, p.privilege)",
            (list(ROLES),),
        ).fetchall()
        functions = conn.execute(
            "SELECT r.rolname, p.oid::regprocedure::text, '', 'EXECUTE' FROM pg_proc p "
            "CROSS JOIN pg_roles r WHERE r.rolname = ANY(%s) "
            "AND p.pronamespace = 'public'::regnamespace "
            "AND has_function_privilege(r.rolname, p.oid, 'EXECUTE')",
            (list(ROLES),),
        ).fetchall()
    return {tuple(r) for r in [*tables, *columns, *sequences, *functions]}


def test_running_privileges_sql_again_changes_no_roles_privileges(databases):
    from support_roles import app_url

    url = app_url(databases.create(template=databases.postgis_template))
    upgrade(owner_url(url))
    before = _privileges(url)
    with psycopg.connect(_dsn(owner_url(url)), autocommit=True) as conn:
        conn.execute(PRIVILEGES_SQL.read_text(encoding="utf-8"))
    after = _privileges(url)
    gained, lost = sorted(after - before), sorted(before - after)
    assert (gained, lost) == ([], []), "\n".join(map(str, gained + [("LOST",)] + lost))
    # what it is about: the auditor never reads password hashes
    assert ("parks_auditor", "public.app_user", "password_hash", "SELECT") not in after

"""What a backup states about a database and a restore checks again: the schema version,
the ledger's head, the city's and each park's totals, the row count of every table, who
owns and may do what (grants), and the extensions the schema needs.

The figures come from the code that answers them everywhere else — the ledger head as a
signed digest reads it (``service.audit.digests.ledger_heads``), the totals as the audit
answers "as of" (``service.audit.queries.totals_as_of``), the key figures as the parks
page shows them (``service.reads.queries.stats``) — so a restore is judged by the same
answers its users will get. Read them in one transaction (the backup reads them in the
very snapshot ``pg_dump`` dumps).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

from service.db.sqlfiles import sql

#: Key figures that depend on the day they are asked (the leases in force today), not only
#: on the data: recorded, never compared.
DAY_DEPENDENT_FIGURES = ("factory_vacant_m2",)


def database_facts(conn: Connection, *, as_of: datetime) -> dict[str, Any]:
    """Everything :mod:`service.operations.manifest` records and compares, read on *conn*;
    the totals are those as of *as_of* (the moment of the backup's snapshot)."""
    return {
        "schema_version": schema_version(conn),
        "ledger": ledger_facts(conn),
        "totals": totals(conn, as_of=as_of),
        "key_figures": key_figures(conn),
        "counts": table_counts(conn),
        "grants": grants(conn),
        "extensions": extensions(conn),
    }


def schema_version(conn: Connection) -> str | None:
    """The Alembic revision the database is at (None: never migrated)."""
    if conn.execute(text("SELECT to_regclass('public.alembic_version')")).scalar() is None:
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def ledger_facts(conn: Connection) -> dict[str, Any]:
    """The ledger's row count and its head row as a signed digest pins it (sequence, hash,
    time, city and per-park totals and high-water marks); head None when it is empty."""
    from service.audit.digests import ledger_heads

    rows, last = conn.execute(text("SELECT count(*), max(seq) FROM ledger")).one()
    heads = ledger_heads(conn, [last]) if last is not None else []
    return {"rows": rows, "head": heads[0] if heads else None}


def totals(conn: Connection, *, as_of: datetime) -> dict[str, Any]:
    """The city's and each park's parcels, land and manufacturing land as of *as_of*, as
    the audit answers them (from the record of every change set's effect)."""
    from service.audit.queries import totals_as_of

    answer = totals_as_of(conn, as_of=as_of, group_by=["park"])
    keep = ("parcels", "area_m2", "manufacturing_m2")
    return {
        "as_of": answer["as_of"],
        "city": {k: answer["city"][k] for k in keep},
        "parks": {row["park"]: {k: row[k] for k in keep} for row in answer["rows"]},
    }


def key_figures(conn: Connection) -> dict[str, Any]:
    """The key figures of the city and each park as they stand, as the reads give them."""
    from service.reads.queries import stats

    answer = stats(conn)
    return {
        "city": answer["city"],
        "parks": {p["park"]: {k: v for k, v in p.items() if k != "park"} for p in answer["parks"]},
    }


def table_counts(conn: Connection) -> dict[str, int]:
    """The rows of every table outside the system schemas (extensions' included), by
    ``schema.table``."""
    counts = {}
    for schema, table, _ in conn.execute(text(sql("service.sql", "backup_tables.sql"))):
        name = f"{schema}.{table}"
        quoted = f"{_ident(schema)}.{_ident(table)}"
        counts[name] = conn.exec_driver_sql(f"SELECT count(*) FROM {quoted}").scalar_one()
    return counts


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def grants(conn: Connection) -> dict[str, list[str]]:
    """Each object's owner and grants, by ``KIND name`` (``TABLE public.ledger``): sorted
    ``OWNER role`` and ``grantee PRIVILEGE`` (``… WITH GRANT OPTION``) entries; the database's
    own under ``DATABASE (this database)``."""
    found: dict[str, list[str]] = defaultdict(list)
    for kind, name, grantee, privilege, grantable in conn.execute(
        text(sql("service.sql", "backup_grants.sql"))
    ):
        entry = f"{grantee} {privilege}" + (" WITH GRANT OPTION" if grantable else "")
        found[f"{kind} {name}"].append(entry)
    return {k: sorted(v) for k, v in sorted(found.items())}


def roles_named(grant_facts: dict[str, list[str]]) -> list[str]:
    """The roles *grant_facts* name as owners or grantees (PUBLIC and PostgreSQL's own
    ``pg_*`` roles left out): those a target cluster must have."""
    roles = set()
    for entries in grant_facts.values():
        for entry in entries:
            first, second = entry.split(" ", 2)[:2]
            roles.add(second if first == "OWNER" else first)
    return sorted(r for r in roles if r != "PUBLIC" and not r.startswith("pg_"))


def extensions(conn: Connection) -> dict[str, str]:
    """The extensions installed (plpgsql aside), name -> version."""
    return dict(conn.execute(text(sql("service.sql", "backup_extensions.sql"))).all())

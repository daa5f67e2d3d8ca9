"""A read-only door into PostGIS for desktop GIS: the schema ``gis`` of views — current
parcels, parcel versions, buildings, leases in force, projects, parks, the context layers
(points, lines, polygons) and the ledger — with the API's columns and typed geometry
(service/db/sql/gis_views.sql), and the grants that let the role ``parks_reader`` read
those views and nothing else (service/db/sql/gis_reader_grants.sql; re-runnable).

The role is cluster-wide: ``make db`` makes it. Without it the grants are skipped with a
notice (running service/db/sql/gis_reader_grants.sql later makes them).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-12
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

from service.settings import get_settings

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQL = Path(__file__).resolve().parents[2] / "sql"
VIEWS = SQL / "gis_views.sql"
GRANTS = SQL / "gis_reader_grants.sql"
READER = "parks_reader"

log = logging.getLogger("alembic.runtime.migration")

#: Taken back on the way down: what the grants gave the reader outside the schema gis.
REVOKE = """
DO $revoke$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'parks_reader') THEN
        REVOKE ALL ON FUNCTION m2_to_mu(double precision) FROM parks_reader;
        REVOKE ALL ON FUNCTION lease_in_force_on(date, date, date) FROM parks_reader;
        EXECUTE format('REVOKE ALL ON DATABASE %I FROM parks_reader', current_database());
    END IF;
END
$revoke$
"""


def _raw(sql: str) -> None:
    # The driver connection runs a file as one script: no bind-parameter parsing of the
    # '%' and ':' inside it.
    op.get_bind().connection.driver_connection.execute(sql)


def upgrade() -> None:
    srid = int(get_settings().storage_srid)
    _raw(VIEWS.read_text(encoding="utf-8").replace("{srid}", str(srid)))
    _raw(GRANTS.read_text(encoding="utf-8"))
    reader = op.get_bind().execute(
        sa.text("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :r)"), {"r": READER}
    )
    if not reader.scalar_one():
        log.warning(
            "role %s does not exist: the views of gis are made, nobody is granted them; "
            "run `make db`, then service/db/sql/gis_reader_grants.sql",
            READER,
        )


def downgrade() -> None:
    op.execute("DROP SCHEMA gis CASCADE")
    _raw(REVOKE)

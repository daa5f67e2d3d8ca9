"""Planner statistics of the rounded areas the OGC API filters parcels by.

The OGC API's parcel queryables ``area_m2``, ``area_mu`` and ``area_ha`` are the areas as
the API prints them: ``round(area_m2::numeric, 2)``, ``round(m2_to_mu(area_m2)::numeric,
4)`` and ``round((area_m2 / 10000)::numeric, 4)`` over ``parcel_version``
(service/sql/ogc_source_parcel_versions.sql), so a CQL2 filter such as ``area_m2 > 20000``
compares that expression. PostgreSQL keeps no statistics of an expression unless asked,
and guesses a third of the rows for an inequality on one: for ``land_use_code = '0601'
AND area_m2 > 20000 AND S_INTERSECTS(geometry, <a park>)`` at 100,000 parcels it
expected about 5,800 matches where there are 14 (75 parcels are larger than 20,000 m²),
and walked the parcel-code index in parallel workers (the page 55.9 ms p50 over HTTP).
Expression statistics (PostgreSQL 14+) give it the distribution of each rounded area
(it then expects about 75): it combines the class and the box by bitmap, 13–14 ms for
the query without parallel workers (service/ogc/features.py), 21 ms p50 over HTTP.

An expression index would serve such a filter faster still (1.6 ms for that filter
measured), but it is one more index every parcel version written must update, for one
kind of filter; the statistics cost nothing on a write and are refreshed by ANALYZE
(autovacuum). No index for ``LIKE 'prefix%'`` on the parcel code either: with
``text_pattern_ops`` the planner still walks the code index for its order (measured:
no change).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: name -> the expression, spelled as ogc_source_parcel_versions.sql spells it (the planner
#: matches the statistics to a filter by the expression, SQL functions inlined in both).
STATISTICS = {
    "parcel_version_area_m2_rounded": "round(area_m2::numeric, 2)",
    "parcel_version_area_mu_rounded": "round(m2_to_mu(area_m2)::numeric, 4)",
    "parcel_version_area_ha_rounded": "round((area_m2 / 10000)::numeric, 4)",
}


def upgrade() -> None:
    for name, expression in STATISTICS.items():
        op.execute(f"CREATE STATISTICS {name} ON ({expression}) FROM parcel_version")
    # Filled now when there are parcels, rather than at autovacuum's next ANALYZE of the
    # table. Never on an empty table: a first load of 100,000 parcels then went from 29 s
    # to past 200 s (measured), most likely because its row-by-row checks
    # (parcel_version_stamp) were planned for a table known to be empty. After a load the
    # next ANALYZE of parcel_version (autovacuum's) fills these with the rest.
    if op.get_bind().execute(sa.text("SELECT EXISTS (SELECT FROM parcel_version)")).scalar():
        op.execute("ANALYZE parcel_version")


def downgrade() -> None:
    for name in STATISTICS:
        op.execute(f"DROP STATISTICS IF EXISTS {name}")

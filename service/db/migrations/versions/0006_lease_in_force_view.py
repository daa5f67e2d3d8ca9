"""One definition each, in the database, of two facts its queries kept restating:

* when a lease is in force — from its start date to its end date, both included; open-ended
  without an end date: ``lease_in_force_on(start_date, end_date, day)``, and the view
  ``lease_in_force`` of the leases in force today (``current_date``, the session's date,
  as the queries had it);
* the 亩: ``m2_to_mu(area_m2)`` = area / (10000 / 15), computed as ``parks.units.m2_to_mu``
  computes it, so SQL and Python give the same number to the last bit.

Both functions are plain SQL expressions, IMMUTABLE and not STRICT, so the planner inlines
them: a query that uses them is planned as if it spelled them out (the view likewise).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out here, not read from a file, so that this migration never changes.
LEASE_IN_FORCE_ON = """
CREATE FUNCTION lease_in_force_on(starts date, ends date, day date) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT starts <= day AND (ends IS NULL OR ends >= day) $$
"""
LEASE_IN_FORCE = """
CREATE VIEW lease_in_force AS
SELECT lease_id, building_code, tenant, floor, leased_m2, start_date, end_date
  FROM lease
 WHERE lease_in_force_on(start_date, end_date, current_date)
"""
M2_TO_MU = """
CREATE FUNCTION m2_to_mu(area_m2 double precision) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT area_m2 / (10000::double precision / 15) $$
"""
COMMENTS = (
    "COMMENT ON FUNCTION lease_in_force_on(date, date, date) IS "
    "'Whether a lease from starts to ends (both included; NULL: open-ended) is in force on day'",
    "COMMENT ON VIEW lease_in_force IS 'The leases in force today (current_date)'",
    "COMMENT ON FUNCTION m2_to_mu(double precision) IS "
    "'Square metres to mu: 1 mu = 10000/15 m2 exactly (parks.units.m2_to_mu)'",
)


def upgrade() -> None:
    op.execute(LEASE_IN_FORCE_ON)
    op.execute(LEASE_IN_FORCE)
    op.execute(M2_TO_MU)
    for comment in COMMENTS:
        op.execute(comment)


def downgrade() -> None:
    op.execute("DROP FUNCTION m2_to_mu(double precision)")
    op.execute("DROP VIEW lease_in_force")
    op.execute("DROP FUNCTION lease_in_force_on(date, date, date)")

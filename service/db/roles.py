"""The database roles (``make db`` creates them, the migrations grant them their part).

* ``parks_owner`` owns the schema and every table and runs the migrations; the service
  never connects as it.
* ``parks_app`` is the service and the CLI's writes: the DML each table needs, nothing on
  the rule's working tables or the ledger but through the rule's own functions, no DDL.
* ``parks_reader`` reads the views of schema ``gis`` (desktop GIS, BI).
* ``parks_auditor`` reads everything and writes nothing.
"""

from __future__ import annotations

from sqlalchemy.engine import make_url

OWNER_ROLE = "parks_owner"
APP_ROLE = "parks_app"
READER_ROLE = "parks_reader"
AUDITOR_ROLE = "parks_auditor"


def as_role(database_url: str, role: str) -> str:
    """*database_url* with *role* as its user (no password: trust or a ``.pgpass`` on the
    machine; give a full URL where a password is needed)."""
    url = make_url(database_url).set(username=role, password=None)
    return url.render_as_string(hide_password=False)

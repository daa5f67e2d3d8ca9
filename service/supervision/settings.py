"""The land-supervision settings in force (``supervision_setting``'s standing overrides over
the defaults of :mod:`parks.supervision.settings`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from parks.supervision.settings import in_force


def settings_in_force(conn: Connection) -> dict[str, Any]:
    """Every supervision setting's value in force (the standing overrides over the
    defaults of ``parks.supervision.settings``)."""
    rows = conn.execute(
        text("SELECT name, value FROM supervision_setting WHERE valid_to IS NULL")
    ).all()
    return in_force({r.name: r.value for r in rows})

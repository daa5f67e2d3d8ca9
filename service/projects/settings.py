"""The key-project settings in force (``project_setting``'s standing overrides over the
defaults of :mod:`parks.projects.settings`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from parks.projects.settings import in_force


def settings_in_force(conn: Connection) -> dict[str, Any]:
    """Every key-project setting's value in force."""
    rows = conn.execute(
        text("SELECT name, value FROM project_setting WHERE valid_to IS NULL")
    ).all()
    return in_force({r.name: r.value for r in rows})

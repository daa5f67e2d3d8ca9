"""The park map's marks on key projects (重点项目预警): the projects behind plan or with an
overdue problem in the last complete month, each outlined in red with a marker whose
popup gives the reasons and links to the project's page.

A map the service serves carries the URL of the API's layer (:data:`ALERTS_URL`,
``/api/projects/alerts``) and fetches it as it opens (the layer is on by default); a
file that must work without the service (``parks map --out``) embeds it, built here.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Connection

from maps.builder import Fetched
from service.projects.progress import alerts_layer

#: The API's layer (service/api/routes/project_progress.py): a feature per project.
ALERTS_URL = "/api/projects/alerts"
#: The project pages the marks' popups link to.
PROJECT_PAGE = "/projects/{code}"


def with_collection_day(fc: dict[str, Any]) -> dict[str, Any]:
    """*fc* with the collection's ``as_of`` among each feature's properties (what an
    embedded layer keeps of a feature is its properties only)."""
    for feature in fc.get("features") or []:
        feature.setdefault("properties", {})["as_of"] = fc.get("as_of")
    return fc


def project_marks(
    conn: Connection, *, park: str | None, today: date, embed: bool
) -> dict[str, Any]:
    """The ``alerts`` argument of :func:`maps.builder.build_park_map` for the map of *park*
    (every park: None) on *today*: with *embed* the layer itself, as of the last complete
    month; otherwise :class:`Fetched`, the API's URL (the API takes the same month by
    default, as of its own today)."""
    if not embed:
        query = f"?{urlencode({'park': park})}" if park else ""
        return {"alerts": Fetched(f"{ALERTS_URL}{query}")}
    return {"alerts": with_collection_day(alerts_layer(conn, park=park, today=today))}

"""A key project's page at its map address (``/map/projects/{project_code}``, where the
maps' popups link): the same page as ``/projects/{project_code}``
(:mod:`service.projects.page`) for the current year — its figures, plan vs actual,
milestones, problems, visits and parcels, each parcel with a link to its history and the
project with a link to its place on the park map."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from service.projects.page import project_page_html as key_project_page_html
from service.projects.summary import project_summary
from service.settings import get_settings


def project_page_html(
    conn: Connection, *, project_code: str, storage_srid: int, today: date | None = None
) -> str:
    """Render the page of project *project_code* for the year of *today* (default: today
    in ``PARKS_TIMEZONE``); :class:`NotFound` when there is none. *storage_srid* is not
    needed (the parcels' shapes come in EPSG:4326) and kept for the callers."""
    del storage_srid
    if today is None:
        today = datetime.now(ZoneInfo(get_settings().timezone)).date()
    summary = project_summary(conn, project_code=project_code, today=today, with_shapes=True)
    return key_project_page_html(summary, today=today)

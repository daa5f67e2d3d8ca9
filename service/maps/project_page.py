"""A key project's page (重点项目): its figures, milestones and parcels, each parcel with a
link to its history and the project with a link to its place on the park map."""

from __future__ import annotations

import json

from sqlalchemy import Connection

from maps.style import PARCEL_STATUSES, PROJECT_STATUSES
from parks.errors import NotFound
from parks.units import M2_PER_MU
from service.pages.templates import templates
from service.reads import queries as reads


def project_page_html(conn: Connection, *, project_code: str, storage_srid: int) -> str:
    """Render the page of project *project_code*; :class:`NotFound` when there is none."""
    projects = json.loads(reads.projects_geojson(conn))["features"]
    found = [f["properties"] for f in projects if f["properties"]["project_code"] == project_code]
    if not found:
        raise NotFound(f"project_code: no project {project_code!r}")
    project = found[0]
    codes = list(project.get("parcel_codes") or [])
    parcels = json.loads(
        reads.parcels_geojson(
            conn, storage_srid=storage_srid, codes=codes, limit=max(len(codes), 1)
        )
    )["features"]
    parks = {p["code"]: p for p in reads.list_parks(conn)}
    status = PROJECT_STATUSES.get(project["status"], (project["status"], "", "#777", False))
    return (
        templates()
        .get_template("project.html")
        .render(
            project=project,
            park=parks.get(project["park"], {"code": project["park"]}),
            status=status,
            parcels=[f["properties"] for f in parcels],
            parcel_statuses=PARCEL_STATUSES,
            site_mu=(project.get("site_area_m2") or 0) / M2_PER_MU,
            m2_per_mu=M2_PER_MU,
        )
    )

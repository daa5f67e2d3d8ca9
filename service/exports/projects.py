"""Key projects as an export writes them: each with its site — the union of the current
versions of its parcels — their codes and area, its investor, chain, investment, status and
milestones. Projects keep no history, so this is always the present (an export refuses
``as_of`` for them); a project none of whose parcels stands has no geometry."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
from sqlalchemy import Connection

from parks.vocabulary import PROJECT_STATUS_NAMES_ZH
from service.db.sqlfiles import sql
from service.exports import frames
from service.exports.columns import column_names
from service.exports.options import ExportLayer, FieldNames


def milestones_text(milestones: list[dict[str, Any]] | None) -> str | None:
    """A project's milestones as one line: ``2022-05-30 签约; 2023-03-01 开工``."""
    if not milestones:
        return None
    parts = [
        " ".join(str(m[k]) for k in ("date", "name") if m.get(k) not in (None, ""))
        for m in milestones
        if isinstance(m, dict)
    ]
    return "; ".join(p for p in parts if p) or None


def projects_frame(
    conn: Connection,
    *,
    srid: int,
    fields: FieldNames,
    park: str | None = None,
    short: bool = False,
) -> gpd.GeoDataFrame:
    """The key projects of *park* (None: every park), ordered by code, sites in
    EPSG:*srid*, fields named in *fields*' language (*short*: a Shapefile's names)."""
    rows = frames.query_columns(
        conn, sql("service.sql", "export_projects.sql"), {"srid": srid, "park": park}
    )
    zh = fields is FieldNames.ZH
    columns = {
        "project_code": rows["project_code"],
        "name": rows["name"],
        "park": rows["park"],
        "investor": rows["investor"],
        "industry_chain": rows["industry_chain"],
        "investment_yi": np.asarray(rows["investment_yi"], dtype=float),
        "status": frames.translated(rows["status"], PROJECT_STATUS_NAMES_ZH if zh else None),
        "parcel_codes": rows["parcel_codes"],
        "site_area_m2": frames.rounded(rows["site_area_m2"]),
        "site_area_mu": frames.rounded(rows["site_area_mu"]),
        # a few dozen projects: one line of text each
        "milestones": [milestones_text(m) for m in rows["milestones"]],
    }
    names = column_names(ExportLayer.PROJECTS, fields=fields, short=short)
    return frames.frame(columns, names, frames.geometries(rows["wkb"]), srid=srid)

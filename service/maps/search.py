"""The map's search box: parcels by code or holder, key projects by code or name.
(Draw-to-query asks ``GET /api/availability`` with the drawn polygon as ``within``.)"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from parks.errors import InvalidParameter
from service.db.sqlfiles import sql

SEARCH_LIMIT = 20


def _like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search(
    conn: Connection, *, q: str, park: str | None = None, limit: int = SEARCH_LIMIT
) -> list[dict[str, Any]]:
    """Parcels (by code or holder) and key projects (by code or name) that contain *q*,
    case-insensitively; each with ``title``, ``kind`` (parcel/project), ``code``,
    ``park``, a point inside it (``lon``, ``lat``) and its ``bbox`` (EPSG:4326)."""
    needle = q.strip()
    if not needle:
        raise InvalidParameter("q", "give some text to search for")
    if len(needle) > 100:
        raise InvalidParameter("q", "at most 100 characters")
    rows = conn.execute(
        text(sql("service.sql", "map_search.sql")),
        {
            "pattern": f"%{_like(needle)}%",
            "prefix": f"{_like(needle)}%",
            "park": park,
            "limit": limit,
        },
    ).mappings()
    return [
        {
            "title": r["title"],
            "kind": r["kind"],
            "code": r["code"],
            "park": r["park"],
            "lon": round(r["lon"], 7),
            "lat": round(r["lat"], 7),
            "bbox": [round(r[k], 7) for k in ("minlon", "minlat", "maxlon", "maxlat")],
        }
        for r in rows
    ]

"""Gathering a map's layers from the database and handing them to :mod:`gis.maps`."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Connection

from gis.maps import build_park_map, render_html
from service import reads
from service.settings import Settings

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
VENDOR_DIR = WEB_DIR / "static" / "vendor"


def park_map_html(
    conn: Connection,
    *,
    settings: Settings,
    park: str | None,
    inline_assets: bool = False,
    asset_base: str = "/static/vendor",
) -> str:
    """The HTML of the map of *park* (all parks when None).

    With *inline_assets* the scripts and styles are embedded, so the file works offline
    without the service (``parks map --out``).
    """
    parks_fc = json.loads(reads.park_boundaries_geojson(conn, park=park))
    parcels_fc = json.loads(
        reads.parcels_geojson(
            conn,
            storage_srid=settings.storage_srid,
            park=park,
            limit=1_000_000,
            precision=reads.MAP_PRECISION,
        )
    )
    buildings_fc = json.loads(
        reads.buildings_geojson(conn, park=park, precision=reads.MAP_PRECISION)
    )
    projects_fc = json.loads(reads.projects_geojson(conn, park=park, precision=reads.MAP_PRECISION))
    classes_present = sorted({f["properties"]["land_use_code"] for f in parcels_fc["features"]})
    if park is None:
        title_zh, title_en = "宝鸡市工业园区用地一张图", "Industrial parks of the city"
    else:
        props = parks_fc["features"][0]["properties"]
        title_zh, title_en = props["name_zh"], props["name_en"]
    m = build_park_map(
        title_zh=title_zh,
        title_en=title_en,
        parks=parks_fc,
        parcels=parcels_fc,
        buildings=buildings_fc,
        projects=projects_fc,
        land_use_classes=reads.land_use_classes(conn, codes=classes_present),
        asset_base=asset_base,
        basemap=settings.basemap,
        tile_url=settings.tile_url,
    )
    return render_html(m, inline_assets_from=VENDOR_DIR if inline_assets else None)

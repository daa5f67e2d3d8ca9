"""Helpers of the browser tests: expected values straight from the database (psycopg and
PostGIS, not the service's code), and positions on the map."""

from __future__ import annotations

import psycopg

PARK = "caijiapo"


def db(url: str) -> psycopg.Connection:
    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))


def current_parcels(url: str, park: str | None) -> int:
    with db(url) as conn:
        return conn.execute(
            "SELECT count(*) FROM parcel_version WHERE valid_to IS NULL "
            "AND (%(park)s::text IS NULL OR park = %(park)s)",
            {"park": park},
        ).fetchone()[0]


def open_parcels(url: str, park: str) -> list[tuple[str, str | None, float, float]]:
    """Parcels of *park* with no building or project on them (those take the click),
    largest first: code, holder and a point inside (lon, lat)."""
    with db(url) as conn:
        return conn.execute(
            """
            SELECT v.parcel_code, v.holder,
                   ST_X(ST_Transform(ST_PointOnSurface(v.geom), 4326)),
                   ST_Y(ST_Transform(ST_PointOnSurface(v.geom), 4326))
              FROM parcel_version v
             WHERE v.valid_to IS NULL AND v.park = %s
               AND NOT EXISTS (SELECT 1 FROM factory_building b WHERE b.parcel_code = v.parcel_code)
               AND NOT EXISTS (SELECT 1 FROM project_parcel p WHERE p.parcel_code = v.parcel_code)
             ORDER BY v.area_m2 DESC
             LIMIT 40
            """,
            (park,),
        ).fetchall()


def pixel(page, lon: float, lat: float) -> tuple[float, float]:
    """Page coordinates of *lon*, *lat* on the map."""
    point = page.evaluate(
        "([lat, lon]) => {"
        " var p = plm.map.latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }",
        [lat, lon],
    )
    box = page.locator(".leaflet-container").bounding_box()
    return box["x"] + point[0], box["y"] + point[1]


def free_spot(page, parcels, *, tiled: bool = False):
    """The first parcel whose inside point is on the map and not under a box or control
    (over its SVG path, or over a canvas tile when the parcels are *tiled*)."""
    # Tile canvases let clicks through to the map: there the map's own panes are hit.
    test = (
        "!el.closest('svg') && !!el.closest('.leaflet-container')"
        if tiled
        else "el.classList.contains('plm-parcel')"
    )
    for code, holder, lon, lat in parcels:
        x, y = pixel(page, lon, lat)
        if not (0 < x < 1400 and 0 < y < 900):
            continue
        hit = page.evaluate(
            "([x, y]) => { var el = document.elementFromPoint(x, y);"
            " return !!el && !el.closest('.leaflet-control, .leaflet-popup')"
            f" && {test}; }}",
            [x, y],
        )
        if hit:
            return code, holder, x, y
    raise AssertionError("no parcel of the park is in a free part of the map")


def paths(page) -> int:
    return page.locator(".leaflet-overlay-pane path.plm-parcel").count()

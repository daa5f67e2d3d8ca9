"""Search results as CSV files a planner saves and opens in a spreadsheet (UTF-8 with a
byte-order mark, so Excel reads the Chinese). Coordinates are EPSG:4326: a representative
point inside each site (``lon``, ``lat``); areas are planar m²/亩, distances metres. A
text that a spreadsheet would run as a formula (a tenant ``=...``) is written as text
(:mod:`service.exports.cells`)."""

from __future__ import annotations

import csv
import io
from typing import Any

import shapely
from shapely.geometry import shape

from service.exports import cells


def availability_csv(collection: dict[str, Any]) -> str:
    """One row per result of :func:`service.planning.availability.search`, in rank order:
    rank, score, kind, parcel_code (or the members joined by ``+``), park, land-use
    class(es), status(es), area, one ``distance_<layer>_m`` column per near/away layer, and
    a point inside the site."""
    keys = _distance_keys(collection)
    header = [
        "rank",
        "score",
        "area_fit",
        "closeness",
        "kind",
        "parcel_code",
        "members",
        "park",
        "land_use_codes",
        "statuses",
        "area_m2",
        "area_mu",
        *[f"distance_{k.replace('/', '_')}_m" for k in keys],
        "lon",
        "lat",
    ]
    rows = []
    for feature in collection["features"]:
        p = feature["properties"]
        members = p.get("members") or []
        lon, lat = _inside_point(feature.get("geometry"))
        rows.append(
            [
                p["rank"],
                p["score"],
                p["area_fit"],
                p["closeness"],
                p["kind"],
                p.get("parcel_code") or "+".join(members),
                " ".join(members),
                p["park"],
                " ".join(p.get("land_use_codes") or [p.get("land_use_code", "")]),
                " ".join(p.get("statuses") or [p.get("status", "")]),
                p["area_m2"],
                p["area_mu"],
                *[p["distances_m"].get(k) for k in keys],
                lon,
                lat,
            ]
        )
    return _csv_text(header, rows)


def vacancy_csv(collection: dict[str, Any]) -> str:
    """One row per floor listed by :func:`service.planning.vacancy.vacancy`, with the
    tenants of the leases on it."""
    header = [
        "building_code",
        "name",
        "park",
        "parcel_code",
        "storeys",
        "floor",
        "floor_area_m2",
        "leased_m2",
        "vacant_m2",
        "leases",
        "tenants",
        "lon",
        "lat",
    ]
    rows = []
    for feature in collection["features"]:
        p = feature["properties"]
        lon, lat = _inside_point(feature.get("geometry"))
        for floor in p["floors"]:
            rows.append(
                [
                    p["building_code"],
                    p["name"],
                    p["park"],
                    p["parcel_code"],
                    p["storeys"],
                    floor["floor"],
                    floor["floor_area_m2"],
                    floor["leased_m2"],
                    floor["vacant_m2"],
                    len(floor["leases"]),
                    "; ".join(lease["tenant"] for lease in floor["leases"]),
                    lon,
                    lat,
                ]
            )
    return _csv_text(header, rows)


def _distance_keys(collection: dict[str, Any]) -> list[str]:
    criteria = collection.get("criteria") or {}
    keys: list[str] = []
    for c in [*criteria.get("near", []), *criteria.get("away", [])]:
        key = c["layer"] if not c.get("kind") else f"{c['layer']}/{c['kind']}"
        if key not in keys:
            keys.append(key)
    return keys


def _inside_point(geometry: dict | None) -> tuple[float | None, float | None]:
    if not geometry:
        return None, None
    point = shapely.point_on_surface(shape(geometry))
    return round(point.x, 7), round(point.y, 7)


def _csv_text(header: list[str], rows: list[list[Any]]) -> str:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(cells.csv_row(header))
    writer.writerows(cells.csv_row("" if v is None else v for v in row) for row in rows)
    return out.getvalue()

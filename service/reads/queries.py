"""Read queries: GeoJSON and figures built in SQL (``service/sql``), shared by the API,
the CLI and the map pages. Every function takes an open connection and validated input;
the GeoJSON ones return JSON *text*, ready to send."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, TextClause, text

from gis.crs import area_of_use, parse_crs
from gis.errors import GisError
from parks.errors import InvalidParameter
from parks.units import M2_PER_HA, M2_PER_MU
from service.db.sqlfiles import sql

#: Coordinates decimals: 7 ≈ 1 cm for the API, 6 ≈ 10 cm for the maps.
API_PRECISION = 7
MAP_PRECISION = 6


@dataclass(frozen=True, slots=True)
class BBox:
    """A WGS84 bounding box (minlon, minlat, maxlon, maxlat); the API reads it from
    ``bbox`` (``service.api.params.bbox_param``)."""

    minlon: float
    minlat: float
    maxlon: float
    maxlat: float

    def clipped_to(self, bounds: tuple[float, float, float, float] | None) -> BBox | None:
        """The part of the box inside *bounds* (west, south, east, north), None if none.

        Parcels are stored in a projected CRS valid over a limited zone; a box reaching far
        outside it can't be projected, and no parcel lies out there anyway.
        """
        if bounds is None:
            return self
        west, south, east, north = bounds
        clipped = BBox(
            max(self.minlon, west),
            max(self.minlat, south),
            min(self.maxlon, east),
            min(self.maxlat, north),
        )
        if clipped.minlon >= clipped.maxlon or clipped.minlat >= clipped.maxlat:
            return None
        return clipped


def _csv(value: str | Iterable[str] | None) -> list[str]:
    values = [value] if isinstance(value, str) else list(value or ())
    return [item.strip() for v in values for item in v.split(",") if item.strip()]


# --- vocabularies the parameters are checked against -------------------------------------


def park_codes(conn: Connection) -> list[str]:
    """The codes of every park, sorted."""
    return list(conn.execute(text("SELECT code FROM park ORDER BY code")).scalars())


def check_park(conn: Connection, park: str | None, *, parameter: str = "park") -> str | None:
    """*park* when it names a park (or is None); :class:`InvalidParameter` otherwise."""
    if park is None:
        return None
    known = park_codes(conn)
    if park not in known:
        raise InvalidParameter(parameter, f"unknown park {park!r}; known: {', '.join(known)}")
    return park


def check_land_uses(conn: Connection, value: str | Iterable[str] | None) -> list[str]:
    """The land-use codes *value* names (a list of codes, or a comma-separated text), each
    checked against the table: :class:`InvalidParameter` naming ``land_use`` otherwise."""
    codes = _csv(value)
    if not codes:
        return []
    known = set(conn.execute(text("SELECT code FROM land_use_class")).scalars())
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise InvalidParameter(
            "land_use", f"unknown land-use class {', '.join(unknown)} (GB/T 21010-2017 codes)"
        )
    return codes


# --- queries -----------------------------------------------------------------------------


def srid_known(conn: Connection, srid: int) -> bool:
    """Whether PostGIS can transform to *srid* (it is in spatial_ref_sys)."""
    found = conn.execute(text("SELECT 1 FROM spatial_ref_sys WHERE srid = :s"), {"s": srid})
    return found.first() is not None


def known_srid(conn: Connection, crs: str | None) -> int:
    """The EPSG code of *crs* (``EPSG:4545``, ``4545``…; None: EPSG:4326), one pyproj and
    PostGIS both know — else :class:`InvalidParameter` naming ``crs``."""
    try:
        srid = parse_crs(crs)
    except GisError as exc:
        raise InvalidParameter("crs", str(exc)) from None
    if not srid_known(conn, srid):
        raise InvalidParameter("crs", f"EPSG:{srid} is not in PostGIS's spatial_ref_sys")
    return srid


def postgis_version(conn: Connection) -> str:
    """The PostGIS library version the database runs."""
    return conn.execute(text("SELECT postgis_lib_version()")).scalar_one()


def list_parks(conn: Connection) -> list[dict[str, Any]]:
    """Every park with area, parcel count and manufacturing land."""
    rows = conn.execute(text(sql("service.sql", "parks_list.sql"))).mappings().all()
    return [
        {
            "code": r["code"],
            "name_zh": r["name_zh"],
            "name_en": r["name_en"],
            "area_m2": float(r["area_m2"]),
            "parcels": r["parcels"],
            "manufacturing_m2": float(r["manufacturing_m2"]),
            "manufacturing_mu": round(float(r["manufacturing_m2"]) / M2_PER_MU, 4),
        }
        for r in rows
    ]


def parcels_geojson(
    conn: Connection,
    *,
    storage_srid: int,
    park: str | None = None,
    land_uses: list[str] | None = None,
    statuses: list[str] | None = None,
    min_area_mu: float | None = None,
    max_area_mu: float | None = None,
    bbox: BBox | None = None,
    codes: list[str] | None = None,
    limit: int = 100,
    offset: int = 0,
    precision: int = API_PRECISION,
    out_srid: int = 4326,
    stored: bool = True,
) -> str:
    """A page of current parcels matching every filter, as FeatureCollection text in
    EPSG:4326 (or *out_srid*). In the API's CRS and precision the features are put
    together from the text stored for each version (``parcel_feature``); with *stored*
    False, or in another CRS or precision, each is made from its version."""
    where, params = [], {}
    if park:
        where.append("v.park = :park")
        params["park"] = park
    if land_uses:
        where.append("(v.land_use_code = ANY(:land_uses) OR c.parent_code = ANY(:land_uses))")
        params["land_uses"] = land_uses
    if statuses:
        where.append("v.status = ANY(:statuses)")
        params["statuses"] = statuses
    if min_area_mu is not None:
        where.append("v.area_m2 >= :min_m2")
        params["min_m2"] = min_area_mu * M2_PER_MU
    if max_area_mu is not None:
        where.append("v.area_m2 <= :max_m2")
        params["max_m2"] = max_area_mu * M2_PER_MU
    if bbox is not None:
        bbox = bbox.clipped_to(area_of_use(storage_srid))
        if bbox is None:  # nothing of the storage CRS's zone is in the box
            return json.dumps(
                {
                    "type": "FeatureCollection",
                    "numberReturned": 0,
                    "limit": limit,
                    "offset": offset,
                    "next_offset": None,
                    "features": [],
                }
            )
        envelope = (
            "ST_Transform(ST_Segmentize(ST_MakeEnvelope(:minlon, :minlat, :maxlon, :maxlat, "
            "4326), 0.001), :srid)"
        )
        where.append(f"v.geom && {envelope} AND ST_Intersects(v.geom, {envelope})")
        params.update(
            minlon=bbox.minlon,
            minlat=bbox.minlat,
            maxlon=bbox.maxlon,
            maxlat=bbox.maxlat,
            srid=storage_srid,
        )
    if codes is not None:
        where.append("v.parcel_code = ANY(:codes)")
        params["codes"] = codes
    features_from = (
        _STORED_FEATURES
        if stored and (out_srid, precision) == (4326, API_PRECISION) and _has_stored_features(conn)
        else _NO_STORED_FEATURES
    )
    params.update(limit=limit, offset=offset, precision=precision, out_srid=out_srid)
    query = _parcels_page_query("".join(f" AND {w}" for w in where), features_from)
    return conn.execute(query, params).scalar_one()


@lru_cache(maxsize=128)
def _parcels_page_query(where: str, stored: str) -> TextClause:
    """parcels_features.sql with its fixed fragments in place, parsed once per combination
    of filters (the page is the service's busiest query)."""
    return text(
        sql("service.sql", "parcels_features.sql")
        .replace("{where}", where)
        .replace("{stored}", stored)
    )


#: Where parcels_features.sql finds the stored feature text, and an empty stand-in.
_STORED_FEATURES = "parcel_feature"
_NO_STORED_FEATURES = "(SELECT NULL::bigint AS version_id, NULL::text AS head, NULL::text AS tail)"
#: Databases (by URL) known to have parcel_feature (migration 0008).
_STORED_FEATURES_IN: dict[str, bool] = {}


def _has_stored_features(conn: Connection) -> bool:
    """Whether the database has ``parcel_feature``: asked once per database and process, so
    that a service started before the migration still answers (making every feature)."""
    key = conn.engine.url.render_as_string()
    found = _STORED_FEATURES_IN.get(key)
    if found is None:
        found = conn.execute(text("SELECT to_regclass('parcel_feature') IS NOT NULL")).scalar()
        if found:  # never remember an absence: the migration may come
            _STORED_FEATURES_IN[key] = True
    return bool(found)


def parcel_feature(
    conn: Connection, code: str, *, storage_srid: int, out_srid: int = 4326
) -> dict | None:
    """The current version of one parcel as a GeoJSON Feature, or None if there is none.

    In EPSG:4326 by default; with *out_srid* (e.g. the storage CRS, for cadastral work such
    as splitting a parcel exactly) coordinates are in that CRS, to the millimetre.
    """
    precision = API_PRECISION if out_srid in (4326, 4490) else 3
    collection = json.loads(
        parcels_geojson(
            conn,
            storage_srid=storage_srid,
            codes=[code],
            limit=1,
            precision=precision,
            out_srid=out_srid,
        )
    )
    features = collection["features"]
    return features[0] if features else None


def buildings_geojson(
    conn: Connection,
    *,
    park: str | None = None,
    min_vacant_m2: float | None = None,
    precision: int = API_PRECISION,
) -> str:
    """Standard factory buildings with leased/vacant floor area, as FeatureCollection text."""
    return _filtered_features(
        conn,
        "buildings_features.sql",
        {"precision": precision},
        [
            ("fb.park = :park", "park", park),
            (
                "fb.floor_area_m2 - coalesce(l.leased_m2, 0) >= :min_vacant",
                "min_vacant",
                min_vacant_m2,
            ),
        ],
    )


def projects_geojson(
    conn: Connection,
    *,
    park: str | None = None,
    statuses: list[str] | None = None,
    precision: int = API_PRECISION,
) -> str:
    """Key projects with their sites (union of their parcels), as FeatureCollection text."""
    return _filtered_features(
        conn,
        "projects_features.sql",
        {"precision": precision},
        [("p.park = :park", "park", park), ("p.status = ANY(:statuses)", "statuses", statuses)],
    )


def _filtered_features(
    conn: Connection, file: str, params: dict[str, Any], filters: list[tuple[str, str, Any]]
) -> str:
    """Run the FeatureCollection query in *file* with its ``{where}`` made of the fixed
    fragments (``(fragment, parameter, value)``) whose value is given (not None, not empty)."""
    where = ""
    for fragment, name, value in filters:
        if value is None or (isinstance(value, str | list | tuple) and not value):
            continue  # a number, 0 included, is a given value
        where += f" AND {fragment}"
        params[name] = value
    query = sql("service.sql", file).replace("{where}", where)
    return conn.execute(text(query), params).scalar_one()


def park_boundaries_geojson(
    conn: Connection, *, park: str | None = None, precision: int = MAP_PRECISION
) -> str:
    """Park boundaries with their key figures, as FeatureCollection text."""
    params: dict[str, Any] = {"precision": precision}
    where = ""
    if park:
        where = " AND p.code = :park"
        params["park"] = park
    query = sql("service.sql", "park_boundaries.sql").replace("{where}", where)
    return conn.execute(text(query), params).scalar_one()


def land_use_classes(conn: Connection, *, codes: list[str] | None = None) -> list[dict]:
    """Land-use classes (all, or those named), with the manufacturing flag."""
    query = "SELECT code, name_zh, name_en, is_manufacturing, level FROM land_use_class"
    params = {}
    if codes is not None:
        query += " WHERE code = ANY(:codes)"
        params["codes"] = codes
    return [dict(r) for r in conn.execute(text(query + " ORDER BY code"), params).mappings()]


_FIGURES = (
    "parcels",
    "area_m2",
    "manufacturing_m2",
    "reserve_m2",
    "ready_m2",
    "factory_buildings",
    "factory_floor_m2",
    "factory_vacant_m2",
)


def _figures(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in _FIGURES:
        value = row[key]
        out[key] = int(value) if key in ("parcels", "factory_buildings") else round(value, 2)
    out["manufacturing_mu"] = round(row["manufacturing_m2"] / M2_PER_MU, 4)
    out["manufacturing_ha"] = round(row["manufacturing_m2"] / M2_PER_HA, 4)
    out["reserve_mu"] = round(row["reserve_m2"] / M2_PER_MU, 4)
    out["area_by_class"] = {k: round(float(v), 2) for k, v in row["area_by_class"].items()}
    out["projects_by_status"] = {k: int(v) for k, v in row["projects_by_status"].items()}
    return out


def stats(conn: Connection, *, park: str | None = None) -> dict[str, Any]:
    """Key figures per park and for the city (the city always counts every park)."""
    query = sql("service.sql", "stats.sql").replace("{where}", "")
    rows = [dict(r) for r in conn.execute(text(query)).mappings()]
    city: dict[str, Any] = {key: 0 for key in _FIGURES}
    city["area_by_class"], city["projects_by_status"] = {}, {}
    for row in rows:
        for key in _FIGURES:
            city[key] += row[key]
        for key in ("area_by_class", "projects_by_status"):
            for k, v in row[key].items():
                city[key][k] = city[key].get(k, 0) + v
    parks = [
        {"park": r["park"], "name_zh": r["name_zh"], "name_en": r["name_en"], **_figures(r)}
        for r in rows
        if park is None or r["park"] == park
    ]
    return {"city": _figures(city), "parks": parks}

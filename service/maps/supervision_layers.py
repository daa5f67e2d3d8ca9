"""The map's land-supervision layers, as GeoJSON FeatureCollections (EPSG:4326) the map
embeds (they are small: only parcels on an idle-land clock, only graded holders'):

* ``idle`` (闲置土地): each parcel whose supply contract's idle-land clock is in a stage
  today (warning, idle_1y, idle_2y; the most severe when a parcel has several
  contracts), with the clock's days, dates and fee;
* ``grades`` (亩均效益): each parcel a graded enterprise held at the end of the latest
  year with figures, with its holder's grade (A–D), score and rank of that year.

Both are built in the database (``ST_AsGeoJSON`` of the parcels' geometry, transformed
from the storage CRS). A year's evaluation grades the whole city, which is costly at a
province's scale; its layer is kept per database, year and latest change set (every
write to parcels, enterprises, figures or settings is a change set), so a map page
pays for it once per change.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from datetime import date
from typing import Any

from sqlalchemy import Connection, text

from parks.errors import InvalidParameter
from service.supervision.evaluation import evaluation_geojson
from service.supervision.idle import idle_land_body, idle_land_geojson
from service.supervision.report import latest_figures_year

#: Grade layers kept (per database, year, park and version of the data).
GRADE_CACHE_SIZE = 16
_grade_cache: OrderedDict[tuple, dict] = OrderedDict()
_grade_lock = threading.Lock()
_VERSION = "SELECT h.last_seq, e.epoch FROM ledger_head h CROSS JOIN map_data_epoch e"


def _empty() -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": []}


def idle_layer(conn: Connection, *, park: str | None, as_of: date) -> dict[str, Any]:
    """The parcels of *park* (every park: None) on an idle-land clock in a stage on
    *as_of*, one feature per parcel (its most severe contract), properties of
    :func:`service.supervision.idle.idle_land` and ``as_of``."""
    fc = idle_land_geojson(idle_land_body(conn, as_of=as_of, park=park), conn)
    seen: set[str] = set()
    features = []
    # idle_land lists the most severe stage first, the longest clock first within it.
    for feature in fc["features"]:
        props = feature["properties"]
        code = props["parcel_code"]
        if code in seen or feature.get("geometry") is None:
            continue
        seen.add(code)
        features.append(
            {
                "type": "Feature",
                "id": code,
                "geometry": feature["geometry"],
                "properties": {**props, "as_of": as_of.isoformat()},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _data_version(conn: Connection) -> tuple:
    """The version of the data, as the tile cache reads it: the ledger's last sequence
    (every change set appends a row, a supervision write's too) and the epoch of the
    other tables."""
    return tuple(conn.execute(text(_VERSION)).one())


def grades_layer(conn: Connection, *, park: str | None, up_to_year: int) -> dict[str, Any]:
    """The parcels of *park* (every park: None) graded enterprises held at the end of the
    latest year with figures up to *up_to_year*, each with its holder's ``grade``,
    ``score``, ``grade_rank`` (its rank in its group) and ``year`` (no features without
    figures)."""
    year = latest_figures_year(conn, up_to=up_to_year)
    if year is None:
        return _empty()
    database = conn.engine.url.render_as_string(hide_password=True)
    key = (database, year, park, _data_version(conn))
    with _grade_lock:
        if key in _grade_cache:
            _grade_cache.move_to_end(key)
            return _grade_cache[key]
    try:
        fc = json.loads(evaluation_geojson(conn, year=year, park=park))
    except InvalidParameter:  # the year's figures grade nobody
        return _empty()
    for feature in fc.get("features") or []:
        props = feature["properties"]
        # "rank" on a map feature is an availability candidate's; this is the holder's.
        props["grade_rank"] = props.pop("rank", None)
        props["year"] = year
    layer = {"type": "FeatureCollection", "features": fc.get("features") or []}
    with _grade_lock:
        _grade_cache[key] = layer
        while len(_grade_cache) > GRADE_CACHE_SIZE:
            _grade_cache.popitem(last=False)
    return layer


def supervision_layers(conn: Connection, *, park: str | None, today: date) -> dict[str, Any]:
    """The ``idle`` and ``grades`` arguments of :func:`maps.builder.build_park_map` for
    the map of *park* (every park: None) on *today*."""
    return {
        "idle": idle_layer(conn, park=park, as_of=today),
        "grades": grades_layer(conn, park=park, up_to_year=today.year),
    }

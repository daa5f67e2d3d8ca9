"""The map's land-supervision layers, as GeoJSON FeatureCollections in EPSG:4326:

* ``idle`` (闲置土地): each parcel whose supply contract's idle-land clock is in a stage
  today (warning, idle_1y, idle_2y; the most severe when a parcel has several
  contracts: :func:`one_feature_per_parcel`), with the clock's days, dates and fee;
* ``grades`` (亩均效益): each parcel a graded enterprise held at the end of the latest
  year with figures, with its holder's grade (A–D), score and rank of that year.

A map the service serves does not build them: they can be large (at a city's scale a
year's grades cover half the parcels and need the whole city evaluated), so the page
carries the URLs of the API's layers (:data:`IDLE_URL`, :data:`GRADES_URL`) and fetches
a layer the first time it is switched on. Only a file that must work without the
service (``parks map --out``) embeds them, built here.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Connection

from maps.builder import Fetched
from parks.supervision.words import IDLE_STAGES
from service.supervision import evaluation
from service.supervision.idle import idle_land_body, idle_land_geojson

#: The API's idle-land layer (service/api/routes/supervision_idle.py), one feature per
#: parcel; and its 亩均效益 layer (service/api/routes/evaluation.py), of the latest year
#: with figures (an empty collection without any figures).
IDLE_URL = "/api/supervision/idle"
GRADES_URL = "/api/evaluation"
#: Stage -> severity (higher is more severe), from the vocabulary's order.
_SEVERITY = {stage: i for i, stage in enumerate(IDLE_STAGES)}


def _empty() -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": []}


def one_feature_per_parcel(fc: dict[str, Any]) -> dict[str, Any]:
    """*fc* (:func:`service.supervision.idle.idle_land_geojson`: a feature per contract)
    with a feature per parcel instead: of each parcel's contracts the one in the most
    severe stage (idle_2y over idle_1y over warning), the longest on the clock among
    those, the first listed among equals. Its id is the parcel code, its properties the
    contract's row with the collection's ``as_of``. A parcel that no longer stands (no
    geometry) is left out: there is nothing to draw. The other members of *fc* (the
    summaries, of every contract) are kept; ``numberReturned`` counts the features."""
    best: dict[str, tuple[tuple[int, int], int, dict]] = {}
    for i, feature in enumerate(fc.get("features") or []):
        props = feature.get("properties") or {}
        code = props.get("parcel_code")
        if code is None or feature.get("geometry") is None:
            continue
        rank = (_SEVERITY.get(props.get("stage"), -1), int(props.get("days_on_clock") or 0))
        if code not in best or rank > best[code][0]:
            best[code] = (rank, i, feature)
    as_of = fc.get("as_of")
    features = [
        {
            "type": "Feature",
            "id": code,
            "geometry": feature["geometry"],
            "properties": {**feature["properties"], "as_of": as_of},
        }
        # the order the contracts were listed in (the most severe first)
        for code, (_rank, _i, feature) in sorted(best.items(), key=lambda kv: kv[1][1])
    ]
    rest = {k: v for k, v in fc.items() if k not in ("features", "numberReturned")}
    return {
        **rest,
        "type": "FeatureCollection",
        "numberReturned": len(features),
        "features": features,
    }


def idle_layer(conn: Connection, *, park: str | None, as_of: date) -> dict[str, Any]:
    """The parcels of *park* (every park: None) on an idle-land clock in a stage on
    *as_of*, one feature per parcel (:func:`one_feature_per_parcel`), properties of
    :func:`service.supervision.idle.idle_land` and ``as_of``."""
    return one_feature_per_parcel(
        idle_land_geojson(idle_land_body(conn, as_of=as_of, park=park), conn)
    )


def grades_layer(conn: Connection, *, park: str | None, zone: str) -> dict[str, Any]:
    """The parcels of *park* (every park: None) graded enterprises held at the end of the
    latest year with figures (the year's end in *zone*), each with its holder's
    ``grade``, ``score``, ``rank`` (in its group) and the ``year``; no features without
    figures. The features of ``GET /api/evaluation?format=geojson``."""
    year = evaluation.latest_year(conn)
    if year is None:
        return _empty()
    fc = json.loads(evaluation.evaluation_geojson(conn, year=year, park=park, zone=zone))
    features = fc.get("features") or []
    for feature in features:
        feature["properties"]["year"] = year
    return {"type": "FeatureCollection", "year": year, "features": features}


def _url(path: str, **params: str | None) -> str:
    return f"{path}?{urlencode({k: v for k, v in params.items() if v is not None})}"


def supervision_layers(
    conn: Connection, *, park: str | None, today: date, zone: str, embed: bool
) -> dict[str, Any]:
    """The ``idle`` and ``grades`` arguments of :func:`maps.builder.build_park_map` for
    the map of *park* (every park: None) on *today* (in *zone*): with *embed* the layers
    themselves (a file that works without the service), otherwise :class:`Fetched`, the
    API's URLs the page fetches them from when they are first switched on (the API
    answers as of its own today, in the same zone)."""
    if not embed:
        return {
            "idle": Fetched(_url(IDLE_URL, format="geojson", per="parcel", park=park)),
            "grades": Fetched(_url(GRADES_URL, format="geojson", park=park)),
        }
    return {
        "idle": idle_layer(conn, park=park, as_of=today),
        "grades": grades_layer(conn, park=park, zone=zone),
    }

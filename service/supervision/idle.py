"""Idle land (闲置土地) from the database: every standing supply contract's idle-land clock
on a day, computed in one query with the ``idle.*`` settings in force — the contracts in a
stage are ``sql/idle_land.sql``, listed as rows by ``sql/idle_land_rows.sql`` or as the
API's JSON body, written by the database, by ``sql/idle_land_body.sql``. The rule and its
reference are ``parks.supervision.idle`` (tests prove they agree).

Areas are planar m² in EPSG:4545 with 亩 beside them (``parks.units.m2_to_mu``, and
``m2_to_mu`` in the database); money in 万元; dates ISO. The GeoJSON form gives the
parcels' standing geometry in EPSG:4326.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, text

from parks.errors import InvalidParameter
from parks.supervision.idle import STAGES, Thresholds
from parks.units import m2_to_mu
from service.db.sqlfiles import sql
from service.supervision.settings import settings_in_force

#: The keys of one contract's row in :func:`idle_land`, in order.
ROW_KEYS: tuple[str, ...] = (
    "contract_no",
    "parcel_code",
    "park",
    "holder",
    "enterprise_code",
    "clock",
    "stage",
    "clock_started_on",
    "days_on_clock",
    "delay_days",
    "warning_on",
    "idle_on",
    "recovery_on",
    "fee_wan",
    "for_decision",
    "land_area_m2",
    "land_area_mu",
    "price_wan",
    "agreed_start_on",
    "actual_start_on",
    "developed_share",
    "investment_share",
)

#: Decimal places of coordinates in the GeoJSON (about 1 cm).
PRECISION = 7


def idle_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """The ``idle.*`` settings of *settings*, by name."""
    return {k: v for k, v in sorted(settings.items()) if k.startswith("idle.")}


def _money(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _check_stage(stage: str | None) -> None:
    if stage is not None and stage not in STAGES:
        raise InvalidParameter("stage", f"one of {', '.join(STAGES)}, not {stage!r}")


def _query(name: str) -> str:
    """``sql/<name>`` with the listed contracts (``sql/idle_land.sql``) put in."""
    listed = sql("service.supervision", "sql/idle_land.sql").strip().rstrip(";")
    return sql("service.supervision", f"sql/{name}").replace("{listed}", listed)


def _parameters(
    *, as_of: date, park: str | None, stage: str | None, thresholds: Thresholds
) -> dict[str, Any]:
    return {
        "as_of": as_of,
        "park": park,
        "stage": stage,
        "no_start_days": thresholds.no_start_days,
        "stopped_days": thresholds.stopped_days,
        "warning_days": thresholds.warning_days,
        "recovery_days": thresholds.recovery_days,
        "developed_share_min": thresholds.developed_share_min,
        "investment_share_min": thresholds.investment_share_min,
        "fee_share": thresholds.fee_share(),
    }


def idle_rows(
    conn: Connection, *, as_of: date, park: str | None, stage: str | None, thresholds: Thresholds
) -> list[dict[str, Any]]:
    """The list's rows by the given *thresholds* (not necessarily the settings in force):
    :func:`idle_land`'s keys (dates as dates) and the standing parcel's ``parcel_area_m2``
    (None when the parcel no longer stands). *stage* is not checked here."""
    result = conn.execute(
        text(_query("idle_land_rows.sql")),
        _parameters(as_of=as_of, park=park, stage=stage, thresholds=thresholds),
    )
    keys = list(result.keys())
    rows = []
    for values in result.all():  # (tuples zipped with the keys once: thousands of rows)
        row = dict(zip(keys, values, strict=True))
        row["fee_wan"] = _money(row["fee_wan"])
        row["price_wan"] = _money(row["price_wan"])
        row["land_area_mu"] = m2_to_mu(row["land_area_m2"])
        rows.append(row)
    return rows


def idle_land(
    conn: Connection, *, as_of: date, park: str | None = None, stage: str | None = None
) -> list[dict[str, Any]]:
    """Every standing supply contract whose idle-land clock is in a stage on *as_of* (only
    *stage* — ``warning``, ``idle_1y`` or ``idle_2y`` — when given; only contracts of
    *park* when given), idle_2y first, then by days on the clock, most first. One dict
    per contract with the keys of :data:`ROW_KEYS`: dates as ``datetime.date``, areas m²
    (EPSG:4545) and 亩, money 万元 (``fee_wan`` None in warning), shares fractions of 1
    (None when never reported). The thresholds are the ``idle.*`` settings in force."""
    _check_stage(stage)
    thresholds = Thresholds.from_settings(settings_in_force(conn))
    return [
        {k: row[k] for k in ROW_KEYS}
        for row in idle_rows(conn, as_of=as_of, park=park, stage=stage, thresholds=thresholds)
    ]


def idle_land_json(
    conn: Connection, *, as_of: date, park: str | None = None, stage: str | None = None
) -> str:
    """The idle-land list as the API sends it, JSON text built in the database: ``as_of``,
    ``park``, ``stage``, the ``idle.*`` ``settings`` in force, ``counts`` per stage,
    ``fee_wan_total`` (万元), ``area_m2_by_stage`` and ``area_mu_by_stage`` (the contracts'
    land), and ``parcels``: :func:`idle_land`'s rows in its order (dates ISO), each with
    the standing parcel's ``area_m2`` and ``area_mu`` (null when the parcel no longer
    stands). The summaries are of the parcels listed (with *stage*, that stage's)."""
    _check_stage(stage)
    settings = settings_in_force(conn)
    parameters = _parameters(
        as_of=as_of, park=park, stage=stage, thresholds=Thresholds.from_settings(settings)
    )
    parameters["settings"] = json.dumps(idle_settings(settings), ensure_ascii=False)
    return conn.execute(text(_query("idle_land_body.sql")), parameters).scalar_one()


def idle_land_body(
    conn: Connection, *, as_of: date, park: str | None = None, stage: str | None = None
) -> dict[str, Any]:
    """:func:`idle_land_json` as a dict."""
    return json.loads(idle_land_json(conn, as_of=as_of, park=park, stage=stage))


def idle_land_geojson(body: dict[str, Any], conn: Connection) -> dict[str, Any]:
    """*body* (:func:`idle_land_body`) as a GeoJSON FeatureCollection: one Feature per
    contract, its parcel's standing geometry in EPSG:4326 (null when the parcel no longer
    stands), the row as properties; the summaries beside the features."""
    codes = sorted({p["parcel_code"] for p in body["parcels"]})
    geometry = (
        {
            r.parcel_code: json.loads(r.geometry)
            for r in conn.execute(
                text(sql("service.supervision", "sql/idle_land_geometry.sql")),
                {"codes": codes, "precision": PRECISION},
            )
        }
        if codes
        else {}
    )
    summary = {k: v for k, v in body.items() if k != "parcels"}
    return {
        "type": "FeatureCollection",
        **summary,
        "numberReturned": len(body["parcels"]),
        "features": [
            {
                "type": "Feature",
                "id": p["contract_no"],
                "geometry": geometry.get(p["parcel_code"]),
                "properties": p,
            }
            for p in body["parcels"]
        ],
    }

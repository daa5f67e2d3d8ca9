"""Idle land (闲置土地): the clocks of supplied land not started or stalled, by stage."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from parks.errors import InvalidParameter
from service.api.deps import ReadConnDep, ReaderDep, SettingsDep
from service.api.params import READ_ERRORS
from service.maps.supervision_layers import one_feature_per_parcel
from service.reads import queries as reads
from service.supervision import idle

router = APIRouter(tags=["supervision"], responses=READ_ERRORS)

JSON = "application/json"
GEOJSON = "application/geo+json"
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


async def supervision_day(
    settings: SettingsDep,
    as_of: Annotated[
        str | None,
        Query(max_length=10, description="the day, YYYY-MM-DD (default: today)"),
    ] = None,
) -> date:
    """``as_of``: an ISO date ``YYYY-MM-DD`` up to 9999-12-31 (default: today in
    ``PARKS_TIMEZONE``)."""
    if as_of is None:
        return datetime.now(ZoneInfo(settings.timezone)).date()
    if not _ISO_DATE.fullmatch(as_of):
        raise InvalidParameter("as_of", f"expected a date YYYY-MM-DD, not {as_of!r}")
    try:
        return date.fromisoformat(as_of)
    except ValueError as exc:
        raise InvalidParameter("as_of", f"{as_of!r} is not a date: {exc}") from None


def supervision_park(
    conn: ReadConnDep,
    park: Annotated[str | None, Query(max_length=64, description="park code")] = None,
) -> str | None:
    """The park asked for, when it exists (None: every park)."""
    return reads.check_park(conn, park)


@router.get(
    "/api/supervision/idle",
    response_class=Response,
    responses={
        200: {
            "description": "the idle-land list (JSON), or with format=geojson the map layer",
            "content": {
                JSON: {"schema": {"type": "object"}},
                GEOJSON: {"schema": {"type": "object"}},
            },
        }
    },
)
def get_idle_land(
    _reader: ReaderDep,
    conn: ReadConnDep,
    as_of: Annotated[date, Depends(supervision_day)],
    park: Annotated[str | None, Depends(supervision_park)],
    stage: Annotated[
        Literal["warning", "idle_1y", "idle_2y"] | None,
        Query(description="only this stage: warning, idle_1y or idle_2y"),
    ] = None,
    format: Annotated[
        Literal["json", "geojson"] | None,
        Query(description="json (default) or geojson: a FeatureCollection for the map"),
    ] = None,
    per: Annotated[
        Literal["contract", "parcel"] | None,
        Query(
            description="with format=geojson: a feature per contract (default) or per parcel "
            "(its most severe contract: the park map's layer)"
        ),
    ] = None,
) -> Response:
    """Supplied land on an idle-land clock (闲置土地) on `as_of` (default today): every
    standing supply contract not completed whose land is not started a year after the
    agreed start date (clock `no_start`), or started, under ⅓ developed or 25 % invested,
    and stopped (clock `stalled`), with government-caused delays taken off the clock; the
    thresholds are the `idle.*` settings in force. Stages: `warning` (90 days before the
    year), `idle_1y` (the idle-land fee, 20 % of the price, `fee_wan`), `idle_2y` (recovery
    without compensation, `for_decision`: never automatic).

    Body: `as_of`, `park`, `stage`, `settings` (the idle.* in force), `counts` per stage,
    `fee_wan_total` (万元), `area_m2_by_stage` / `area_mu_by_stage` (contracts' land), and
    `parcels`: one per contract — contract_no, parcel_code, park, holder, enterprise_code,
    clock, stage, clock_started_on, days_on_clock, delay_days, warning_on, idle_on,
    recovery_on, fee_wan, for_decision, land_area_m2, land_area_mu, price_wan,
    agreed_start_on, actual_start_on, developed_share, investment_share, and the standing
    parcel's area_m2 / area_mu — idle_2y first, then by days on the clock. The summaries
    are of the parcels listed. Areas m² in EPSG:4545 and 亩; money 万元; shares 0..1.

    With `format=geojson`: the same as a GeoJSON FeatureCollection (`application/geo+json`)
    for the map layer — one Feature per contract (id: the contract number), the parcel's
    standing geometry in EPSG:4326 (null when it no longer stands), the parcel's row as
    properties, the summaries beside the features. With `per=parcel` as well: a Feature
    per parcel instead (id: the parcel code) — of its contracts the one in the most severe
    stage, the longest on the clock among those — with `as_of` in its properties, parcels
    that no longer stand left out; the park map's 闲置土地 layer (the summaries stay those
    of every contract). `per` without `format=geojson` is 422 naming it."""
    if per is not None and format != "geojson":
        raise InvalidParameter("per", "per is an option of format=geojson")
    if format == "geojson":
        body = idle.idle_land_body(conn, as_of=as_of, park=park, stage=stage)
        fc = idle.idle_land_geojson(body, conn)
        if per == "parcel":
            fc = one_feature_per_parcel(fc)
        return Response(json.dumps(fc, ensure_ascii=False), media_type=GEOJSON)
    # the body is JSON text written by the database (thousands of rows for a city)
    return Response(idle.idle_land_json(conn, as_of=as_of, park=park, stage=stage), media_type=JSON)

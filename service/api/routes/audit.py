"""The auditor's API: totals as of any moment, the ledger, refusals, verification, the page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from parks.vocabulary import AUDIT_ROLES
from service.api.deps import AuditorAlwaysDep, AuditorDep, ConnDep, ReaderDep, SettingsDep
from service.audit import queries
from service.audit.page import audit_page_html
from service.audit.verify import verify
from service.reads import queries as reads

router = APIRouter(tags=["audit"])

#: The largest offset a list takes (PostgreSQL's OFFSET is a bigint; past this nothing is
#: there anyway, and a larger number would fail in the database instead of being a 422).
MAX_OFFSET = 2**31 - 1


@router.get("/api/audit/totals")
def audit_totals(
    conn: ConnDep,
    settings: SettingsDep,
    _auditor: AuditorDep,
    as_of: Annotated[
        str | None,
        Query(
            description="ISO 8601 time (a date means its end); default now; zone default "
            "PARKS_TIMEZONE"
        ),
    ] = None,
    group_by: Annotated[str, Query(description="park, land_use, status or park,land_use")] = "park",
) -> dict:
    """Land as it stood at a moment, from the parcel versions valid then."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    moment = queries.parse_moment(
        as_of, parameter="as_of", zone=settings.timezone, end_of_day=True
    ) or datetime.now(ZoneInfo(settings.timezone))
    return queries.totals_as_of(conn, as_of=moment, group_by=queries.parse_group_by(group_by))


@router.get("/api/audit/ledger")
def audit_ledger(
    conn: ConnDep,
    settings: SettingsDep,
    _auditor: AuditorDep,
    from_: Annotated[str | None, Query(alias="from", description="ISO 8601 date or time")] = None,
    to: Annotated[str | None, Query(description="ISO 8601 date or time (a date: its end)")] = None,
    park: str | None = None,
    limit: Annotated[int, Query(ge=1, le=10000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> dict:
    """Ledger rows, oldest first, with the number of rows the filters match."""
    reads.check_park(conn, park)
    return queries.ledger_rows(
        conn,
        from_at=queries.parse_moment(from_, parameter="from", zone=settings.timezone),
        to_at=queries.parse_moment(to, parameter="to", zone=settings.timezone, end_of_day=True),
        park=park,
        limit=limit,
        offset=offset,
    )


@router.get("/api/audit/refusals")
def audit_refusals(
    conn: ConnDep,
    _auditor: AuditorAlwaysDep,
    error: Annotated[
        str | None,
        Query(description="manufacturing_land_would_decrease or invalid_change_set"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=10000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> dict:
    """Change sets that were refused (by the rule) or invalid, newest first. Their land
    data was never stored; this log is the record of the attempt: who sent it, why it was
    refused, and its body (capped, with the length and SHA-256 of the whole). Auditor or
    admin only, whatever the read setting."""
    return queries.refusals(conn, limit=limit, offset=offset, error=error)


@router.get("/api/audit/verify")
def audit_verify(conn: ConnDep, _auditor: AuditorDep) -> dict:
    """Reconcile the ledger with the parcels' history, independently of the ledger."""
    return verify(conn).body()


@router.get("/api/parcels/{parcel_code}/history")
def parcel_history(parcel_code: str, conn: ConnDep, _reader: ReaderDep) -> dict:
    """Every version of a parcel with its validity period, and its lineage."""
    return queries.parcel_history(conn, parcel_code)


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    conn: ConnDep,
    settings: SettingsDep,
    auditor: AuditorDep,
    as_of: Annotated[str | None, Query(description="ISO 8601 date or time")] = None,
) -> HTMLResponse:
    """The audit page. Refusals show their actor and message to an auditor or admin only."""
    moment = queries.parse_moment(as_of, parameter="as_of", zone=settings.timezone, end_of_day=True)
    details = auditor is not None and auditor.role in AUDIT_ROLES
    return HTMLResponse(
        audit_page_html(conn, as_of=moment, zone=settings.timezone, refusal_details=details)
    )

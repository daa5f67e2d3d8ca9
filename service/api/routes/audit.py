"""The auditor's API: totals as of any moment, the ledger, refusals, verification, the page."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse

from parks.vocabulary import AUDIT_ROLES
from service.api.deps import AuditorAlwaysDep, AuditorDep, ConnDep, ReaderDep, SettingsDep
from service.api.params import (
    NOT_FOUND,
    READ_ERRORS,
    AsOfDep,
    AuditPageDep,
    FromDep,
    GroupByDep,
    ParkDep,
    ToDep,
)
from service.audit import digests, queries
from service.audit.page import audit_page_html
from service.audit.verify import verify

router = APIRouter(tags=["audit"], responses=READ_ERRORS)


@router.get("/api/audit/totals")
def audit_totals(
    conn: ConnDep,
    settings: SettingsDep,
    _auditor: AuditorDep,
    as_of: AsOfDep,
    group_by: GroupByDep,
) -> dict:
    """Land as it stood at a moment (default: now), from the parcel versions valid then."""
    moment = as_of or datetime.now(ZoneInfo(settings.timezone))
    return queries.totals_as_of(conn, as_of=moment, group_by=group_by)


@router.get("/api/audit/ledger")
def audit_ledger(
    conn: ConnDep,
    _auditor: AuditorDep,
    from_at: FromDep,
    to_at: ToDep,
    park: ParkDep,
    page: AuditPageDep,
) -> dict:
    """Ledger rows, oldest first, with the number of rows the filters match."""
    return queries.ledger_rows(
        conn, from_at=from_at, to_at=to_at, park=park, limit=page.limit, offset=page.offset
    )


@router.get("/api/audit/refusals")
def audit_refusals(
    conn: ConnDep,
    _auditor: AuditorAlwaysDep,
    page: AuditPageDep,
    error: Annotated[
        str | None,
        Query(
            description="only refusals with this error: manufacturing_land_would_decrease "
            "or invalid_change_set"
        ),
    ] = None,
) -> dict:
    """Change sets that were refused (by the rule) or invalid, newest first. Their land
    data was never stored; this log is the record of the attempt: who sent it, why it was
    refused, and its body (capped, with the length and SHA-256 of the whole). Auditor or
    admin only, whatever the read setting."""
    return queries.refusals(conn, limit=page.limit, offset=page.offset, error=error)


@router.get("/api/audit/digests")
def audit_digests(
    conn: ConnDep,
    _auditor: AuditorDep,
    limit: Annotated[int, Query(ge=1, le=1000, description="1…1000 digests")] = 100,
    after: Annotated[
        int | None,
        Query(
            ge=1,
            le=2**63 - 1,
            description="the next_after of the previous page: the digests taken before it",
        ),
    ] = None,
) -> dict:
    """The signed digests of the ledger taken (``parks audit digest``), newest first: each
    with the ledger row it signed (seq, hash), when, the key's id, and whether that row
    still carries that hash (``matches_ledger``). ``next_after`` pages on (None: the last
    page). Only a listing: a digest's signature is checked, with the public key, by
    ``parks audit verify --digests``."""
    return digests.list_digests(conn, limit=limit, after=after)


@router.get("/api/audit/verify")
def audit_verify(conn: ConnDep, _auditor: AuditorDep) -> dict:
    """Reconcile the ledger with the parcels' history, independently of the ledger."""
    return verify(conn).body()


@router.get("/api/parcels/{parcel_code}/history", responses=NOT_FOUND)
def parcel_history(
    parcel_code: Annotated[str, Path(min_length=1, max_length=64)],
    conn: ConnDep,
    _reader: ReaderDep,
) -> dict:
    """Every version of a parcel with its validity period, and its lineage."""
    return queries.parcel_history(conn, parcel_code)


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    conn: ConnDep,
    settings: SettingsDep,
    auditor: AuditorDep,
    as_of: AsOfDep,
) -> HTMLResponse:
    """The audit page. Refusals show their actor and message to an auditor or admin only."""
    details = auditor is not None and auditor.role in AUDIT_ROLES
    return HTMLResponse(
        audit_page_html(conn, as_of=as_of, zone=settings.timezone, refusal_details=details)
    )

"""Storing and reading proposals (table ``proposal``, migration 0016).

A proposal is stored only when its dry run says it would commit: an invalid one is
refused as the change set would be (422 ``invalid_change_set``), one the rule refuses with
the rule's 409 — nothing is stored either way. It keeps the change set as submitted
(``request``), the dry run, the parks it touches, its *basis* — the version id each parcel
it touches had (null for a code it creates) — and who proposed it and when. The proposer
is the principal, never a text of the body.

Bodies: :func:`summary` (the list) and :func:`detail` (one proposal: with the request, the
basis and the dry run). ``withdrawn`` is true for a proposal its own proposer rejected
(``decided_by`` is then the proposer; only the proposer can make that decision).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, Engine, text

from parks.errors import NotFound
from parks.operations import ChangeSetRequest
from parks.units import M2_PER_MU
from parks.vocabulary import ProposalStatus
from service.auth.tokens import Principal
from service.changes.apply import settings_options
from service.changes.dry_run import dry_run
from service.db.sqlfiles import sql
from service.settings import Settings

#: A proposal's statuses.
OPEN, APPROVED, REJECTED = (s.value for s in ProposalStatus)
STATUSES = (OPEN, APPROVED, REJECTED)


def propose(
    engine: Engine, request: ChangeSetRequest, *, principal: Principal, settings: Settings
) -> dict[str, Any]:
    """Dry-run *request* as *principal* (within their parks) and store it as an open
    proposal; its :func:`detail`. Raises what applying it would raise (nothing stored)."""
    result = dry_run(
        engine,
        request,
        actor=principal.name,
        **settings_options(settings),
        parks=principal.parks,
    )
    error = result.error()
    if error is not None:
        raise error
    with engine.begin() as conn:
        proposal_id = conn.execute(
            text(sql("service.sql", "proposal_insert.sql")),
            {
                "kind": request.kind.value,
                "reason": request.reason,
                "document_no": request.document_no,
                "request": json.dumps(request.model_dump(mode="json"), ensure_ascii=False),
                "parks": result.parks(),
                "basis": json.dumps(result.basis(), ensure_ascii=False),
                "dry_run": json.dumps(result.body(), ensure_ascii=False),
                "proposed_by": principal.name,
            },
        ).scalar_one()
        return detail(load(conn, proposal_id))


def load(conn: Connection, proposal_id: int, *, for_update: bool = False) -> dict[str, Any]:
    """The proposal's row (locked for the transaction with *for_update*);
    :class:`NotFound` when there is none."""
    lock = " FOR UPDATE" if for_update else ""
    row = (
        conn.execute(text(f"SELECT * FROM proposal WHERE id = :id{lock}"), {"id": proposal_id})
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"id: no proposal {proposal_id}")
    return dict(row)


def list_proposals(
    conn: Connection,
    *,
    status: str | None = None,
    park: str | None = None,
    proposed_by: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    """Proposals, newest first: ``{"total", "limit", "offset", "proposals": [summary]}``."""
    rows = (
        conn.execute(
            text(sql("service.sql", "proposal_list.sql")),
            {
                "status": status,
                "park": park,
                "proposed_by": proposed_by,
                "limit": limit,
                "offset": offset,
            },
        )
        .mappings()
        .all()
    )
    return {
        "total": rows[0]["total"] if rows else 0,
        "limit": limit,
        "offset": offset,
        "proposals": [summary(dict(r)) for r in rows if r["id"] is not None],
    }


def summary(row: dict[str, Any]) -> dict[str, Any]:
    """A proposal as the list shows it."""
    manufacturing = row.get("manufacturing")
    if manufacturing is None and row.get("dry_run"):
        manufacturing = row["dry_run"].get("manufacturing")
    delta_m2 = manufacturing["city"]["delta_m2"] if manufacturing else None
    verdict = row.get("verdict") or (row.get("dry_run") or {}).get("verdict")
    operations = row.get("operation_count")
    if operations is None and row.get("request"):
        operations = len(row["request"].get("operations", []))
    return {
        "id": row["id"],
        "status": row["status"],
        "withdrawn": row["status"] == REJECTED and row["decided_by"] == row["proposed_by"],
        "kind": row["kind"],
        "reason": row["reason"],
        "document_no": row["document_no"],
        "parks": list(row["parks"] or []),
        "operation_count": operations,
        "verdict": verdict,
        "delta_city_m2": delta_m2,
        "delta_city_mu": None if delta_m2 is None else round(delta_m2 / M2_PER_MU, 6),
        "proposed_by": row["proposed_by"],
        "proposed_at": _iso(row["proposed_at"]),
        "decided_by": row["decided_by"],
        "decided_at": _iso(row["decided_at"]),
        "decision_reason": row["decision_reason"],
        "change_set_id": row["change_set_id"],
    }


def detail(row: dict[str, Any]) -> dict[str, Any]:
    """A proposal in full: its summary, the change set as submitted, the basis and the
    dry run made when it was proposed."""
    return {
        **summary(row),
        "request": row["request"],
        "basis": row["basis"],
        "dry_run": row["dry_run"],
    }


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None

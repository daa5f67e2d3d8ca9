"""Deciding a proposal: approving it (which applies it) or rejecting it.

**Approving** (an approver or admin, never the proposer — :class:`SelfApproval` —, and
within their parks): the proposal's change set is applied as ONE change set by the code
that applies every change set (``service.changes.apply``), with its kind and reason, the
document number given with the approval or else the proposal's (one of them is needed:
:class:`InvalidParameter` naming ``document_no``), the approver as its actor and the
proposal's id, proposer and time beside it. In that same transaction, under the ledger
lock, the proposal is found still open (else :class:`ProposalDecided`) and current — each
parcel of its basis as it was, each code it creates still unused (else
:class:`ProposalStale` naming the parcels) — and marked approved with the change set's id
and time. The rule judges it again: refused, it is a refused change set (409, logged like
any) and the proposal stays open.

**Rejecting** needs a reason. An approver or admin other than the proposer rejects it
(within their parks); the proposer may withdraw their own — recorded as rejected by the
proposer (``withdrawn`` in the API; the table lets nobody approve their own proposal).
Only an open proposal can be decided.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, text

from parks.errors import (
    Forbidden,
    InvalidParameter,
    ParkOutOfScope,
    ProposalDecided,
    ProposalStale,
    SelfApproval,
)
from parks.operations import ChangeSetRequest
from parks.vocabulary import APPROVE_ROLES
from service.auth.tokens import Principal
from service.changes.apply import apply_change_set, settings_options
from service.changes.session import OpenChangeSet, ProposalOrigin
from service.db.sqlfiles import sql
from service.proposals import store
from service.proposals.staleness import stale_parcels
from service.settings import Settings


def approve_proposal(
    engine: Engine,
    proposal_id: int,
    *,
    principal: Principal,
    settings: Settings,
    document_no: str | None = None,
) -> dict[str, Any]:
    """Approve proposal *proposal_id* as *principal* (see the module docstring): its
    detail afterwards, with ``change_set`` — the applied change set's body."""
    with engine.connect() as conn:
        row = store.load(conn, proposal_id)
    _check_decidable(row, principal, what="approve")
    document = document_no or row["document_no"]
    if not document:
        raise InvalidParameter(
            "document_no",
            "approving applies the change set, which needs its document number (批文号): "
            "the proposal has none, so give document_no",
        )
    request = ChangeSetRequest.model_validate({**row["request"], "document_no": document})

    def record_approval(conn: Connection, change_set: OpenChangeSet) -> None:
        current = store.load(conn, proposal_id, for_update=True)
        if current["status"] != store.OPEN:
            raise ProposalDecided(proposal_id, current["status"])
        stale = stale_parcels(conn, current["basis"])
        if stale:
            raise ProposalStale(proposal_id, stale)
        conn.execute(
            text(sql("service.sql", "proposal_approve.sql")),
            {
                "id": proposal_id,
                "decided_by": principal.name,
                "decided_at": change_set.at,
                "change_set_id": change_set.id,
                "document_no": document,
            },
        )

    applied = apply_change_set(
        engine,
        request,
        actor=principal.name,
        **settings_options(settings),
        refusal_cap_bytes=settings.refusal_body_cap_bytes,
        parks=principal.parks,
        proposal=ProposalOrigin(
            id=proposal_id, proposed_by=row["proposed_by"], proposed_at=row["proposed_at"]
        ),
        before_operations=record_approval,
    )
    with engine.connect() as conn:
        return {**store.detail(store.load(conn, proposal_id)), "change_set": applied.body()}


def reject_proposal(
    engine: Engine, proposal_id: int, *, principal: Principal, reason: str
) -> dict[str, Any]:
    """Reject proposal *proposal_id* as *principal* for *reason*, or withdraw it when
    *principal* proposed it (see the module docstring); its detail afterwards."""
    with engine.begin() as conn:
        row = store.load(conn, proposal_id, for_update=True)
        withdrawing = row["proposed_by"] == principal.name
        if not withdrawing:
            _check_decidable(row, principal, what="reject")
        elif row["status"] != store.OPEN:
            raise ProposalDecided(proposal_id, row["status"])
        conn.execute(
            text(sql("service.sql", "proposal_reject.sql")),
            {
                "id": proposal_id,
                "decided_by": principal.name,
                "reason": reason,
            },
        )
        return store.detail(store.load(conn, proposal_id))


def _check_decidable(row: dict[str, Any], principal: Principal, *, what: str) -> None:
    """*principal* may decide the proposal *row*: an approver or admin, not its proposer,
    whose parks cover the proposal's; and it is open."""
    if principal.role not in APPROVE_ROLES:
        raise Forbidden(
            f"to {what} a proposal needs role {' or '.join(sorted(APPROVE_ROLES))}; "
            f"{principal.name!r} has role {principal.role!r}"
        )
    if row["proposed_by"] == principal.name:
        raise SelfApproval(
            f"{principal.name} proposed proposal {row['id']}: another official must {what} it"
        )
    if row["status"] != store.OPEN:
        raise ProposalDecided(row["id"], row["status"])
    if principal.parks:
        outside = [park for park in row["parks"] or [] if park not in principal.parks]
        if outside:
            raise ParkOutOfScope(outside[0], allowed=principal.parks)

"""Proposals: change sets proposed by one official and applied when a second approves them
(the API and the pages ``/proposals`` and ``/proposals/{id}``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from parks.operations import ChangeSetRequest, Text
from parks.vocabulary import APPROVE_ROLES, PROPOSE_ROLES
from service.api.deps import ConnDep, EngineDep, ReaderDep, SettingsDep, require_roles
from service.api.params import (
    NOT_FOUND,
    READ_ERRORS,
    WRITE_ERRORS,
    Page,
    error_answer,
    paging,
)
from service.auth.tokens import Principal
from service.proposals import store
from service.proposals.approve import approve_proposal, reject_proposal
from service.proposals.pages import proposal_page_html, proposals_page_html
from service.reads import queries as reads

router = APIRouter(tags=["proposals"], responses=READ_ERRORS)

ProposerDep = Annotated[
    Principal, Depends(require_roles(PROPOSE_ROLES, what="proposing a change set"))
]
ApproverDep = Annotated[
    Principal, Depends(require_roles(APPROVE_ROLES, what="approving a proposal"))
]
#: Rejecting: an approver, or the proposer withdrawing their own (any proposing role).
DeciderDep = Annotated[
    Principal, Depends(require_roles(PROPOSE_ROLES, what="rejecting a proposal"))
]
ProposalIdDep = Annotated[int, Path(ge=1, le=2**63 - 1, description="the proposal's id")]
ProposalPageDep = Annotated[Page, Depends(paging(default=50, most=500))]


@dataclass(frozen=True, slots=True)
class ProposalFilters:
    """Which proposals a list shows (None: any)."""

    status: str | None = None
    park: str | None = None
    proposed_by: str | None = None


def proposal_filters(
    conn: ConnDep,
    status: Annotated[
        str | None,
        Query(
            pattern=r"^\s*(open|approved|rejected)?\s*$",
            description="open, approved or rejected (blank: any)",
        ),
    ] = None,
    park: Annotated[str | None, Query(max_length=64, description="park code (blank: any)")] = None,
    proposed_by: Annotated[
        str | None, Query(max_length=64, description="only those this official proposed")
    ] = None,
) -> ProposalFilters:
    """The list's filters; one given blank (a cleared form field) is not given."""
    return ProposalFilters(
        status=(status or "").strip() or None,
        park=reads.check_park(conn, (park or "").strip() or None),
        proposed_by=(proposed_by or "").strip() or None,
    )


ProposalFiltersDep = Annotated[ProposalFilters, Depends(proposal_filters)]

_PROPOSE_ERRORS = {
    **WRITE_ERRORS,
    403: error_answer(
        "the role may not propose (forbidden), or an operation touches a park outside the "
        "official's parks (park_out_of_scope)"
    ),
    409: error_answer(
        "the rule would refuse it (manufacturing_land_would_decrease, as for a change set): "
        "nothing is stored"
    ),
    422: error_answer("an operation is invalid (invalid_change_set): nothing is stored"),
}
_APPROVE_ERRORS = {
    **WRITE_ERRORS,
    **NOT_FOUND,
    403: error_answer(
        "not an approver (forbidden), the approver proposed it (self_approval), or it "
        "touches a park outside the approver's parks (park_out_of_scope)"
    ),
    409: error_answer(
        "decided already (proposal_decided), its parcels changed since it was proposed "
        "(proposal_stale, naming them), or the rule refuses it now "
        "(manufacturing_land_would_decrease; the proposal stays open)"
    ),
    422: error_answer(
        "no document number (invalid_parameter naming document_no), or the change set is "
        "invalid now (invalid_change_set)"
    ),
}
_REJECT_ERRORS = {
    **WRITE_ERRORS,
    **NOT_FOUND,
    403: error_answer(
        "neither an approver nor the proposer (forbidden), or it touches a park outside the "
        "approver's parks (park_out_of_scope)"
    ),
    409: error_answer("decided already (proposal_decided)"),
}


class ApproveBody(BaseModel):
    """An approval: the document number (批文号) it applies the change set under, when the
    proposal has none or another one is to be recorded."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    document_no: Text | None = Field(None, min_length=1, description="批文号")


class RejectBody(BaseModel):
    """A rejection (or the proposer's withdrawal) and why."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: Text = Field(min_length=1, max_length=2000, description="why it is rejected")


@router.post("/api/proposals", status_code=201, responses=_PROPOSE_ERRORS)
def post_proposal(
    request: ChangeSetRequest, engine: EngineDep, settings: SettingsDep, principal: ProposerDep
) -> JSONResponse:
    """Propose a change set for a second official to approve: dry-run (within the
    proposer's parks) and stored with its dry run and its basis (the version of each
    parcel it touches) when it would commit. An invalid one is refused 422, one the rule
    refuses 409, as the change set itself would be; nothing is stored then."""
    body = store.propose(engine, request, principal=principal, settings=settings)
    return JSONResponse(body, status_code=201, headers={"Location": f"/api/proposals/{body['id']}"})


@router.get("/api/proposals")
def get_proposals(
    conn: ConnDep, _reader: ReaderDep, page: ProposalPageDep, filters: ProposalFiltersDep
) -> dict:
    """Proposals, newest first, with how many match (``total``)."""
    return store.list_proposals(
        conn,
        status=filters.status,
        park=filters.park,
        proposed_by=filters.proposed_by,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/api/proposals/{proposal_id}", responses=NOT_FOUND)
def get_proposal(conn: ConnDep, _reader: ReaderDep, proposal_id: ProposalIdDep) -> dict:
    """A proposal: its change set, its dry run and basis, who proposed and decided it and
    when, and the change set its approval applied."""
    return store.detail(store.load(conn, proposal_id))


@router.post("/api/proposals/{proposal_id}/approve", responses=_APPROVE_ERRORS)
def post_approve(
    engine: EngineDep,
    settings: SettingsDep,
    principal: ApproverDep,
    proposal_id: ProposalIdDep,
    body: Annotated[ApproveBody | None, Body()] = None,
) -> dict:
    """Approve a proposal: apply it as one change set with the approver as its actor and
    the proposer beside them. 200 with the proposal and ``change_set``."""
    return approve_proposal(
        engine,
        proposal_id,
        principal=principal,
        settings=settings,
        document_no=body.document_no if body else None,
    )


@router.post("/api/proposals/{proposal_id}/reject", responses=_REJECT_ERRORS)
def post_reject(
    engine: EngineDep, principal: DeciderDep, proposal_id: ProposalIdDep, body: RejectBody
) -> dict:
    """Reject a proposal with a reason (an approver), or withdraw it (its proposer)."""
    return reject_proposal(engine, proposal_id, principal=principal, reason=body.reason)


@router.get("/proposals", response_class=HTMLResponse)
def proposals_page(
    request: Request,
    conn: ConnDep,
    settings: SettingsDep,
    reader: ReaderDep,
    page: ProposalPageDep,
    filters: ProposalFiltersDep,
) -> HTMLResponse:
    """The proposals, with filters by status, park and proposer."""
    return HTMLResponse(
        proposals_page_html(
            conn,
            status=filters.status,
            park=filters.park,
            proposed_by=filters.proposed_by,
            limit=page.limit,
            offset=page.offset,
            principal=reader,
            nonce=_nonce(request),
            zone=settings.timezone,
        )
    )


@router.get("/proposals/{proposal_id}", response_class=HTMLResponse, responses=NOT_FOUND)
def proposal_page(
    request: Request,
    conn: ConnDep,
    settings: SettingsDep,
    reader: ReaderDep,
    proposal_id: ProposalIdDep,
) -> HTMLResponse:
    """One proposal: its operations on a map, the dry run, who did what when, and the
    approve and reject buttons for an approver."""
    return HTMLResponse(
        proposal_page_html(
            conn,
            store.load(conn, proposal_id),
            principal=reader,
            nonce=_nonce(request),
            zone=settings.timezone,
        )
    )


def _nonce(request: Request) -> str | None:
    """The page's CSP nonce (the security-headers middleware makes one per request)."""
    return getattr(request.state, "csp_nonce", None)

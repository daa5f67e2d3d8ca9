"""The dry run's pure parts: the basis a proposal is checked against (the version each
parcel had, null for codes the change set creates), the parks it touches, the error
applying it would raise — and how the proposal errors reach HTTP."""

from __future__ import annotations

import pytest

from parks.errors import (
    InvalidChangeSet,
    ManufacturingLandWouldDecrease,
    ParkOutOfScope,
    ProposalDecided,
    ProposalStale,
    SelfApproval,
)
from service.api.errors import status_for
from service.changes.dry_run import DryRun, basis_of, parks_of


def _v(code: str, version_id: int, park: str = "gaoxin") -> dict:
    return {"parcel_code": code, "version_id": version_id, "park": park}


def test_the_basis_is_the_version_first_found_and_null_for_codes_the_change_set_makes():
    operations = [
        # register GX-N: made here
        {"before": [], "after": [_v("GX-N", 900)]},
        # then rezone it: its "before" is the version this change set made
        {"before": [_v("GX-N", 900)], "after": [_v("GX-N", 900)]},
        # split GX-1 (version 12) into GX-1a, GX-1b in another park's neighbour
        {"before": [_v("GX-1", 12)], "after": [_v("GX-1a", 901), _v("GX-1b", 902)]},
        {"before": [_v("JT-5", 40, "jiangtan")], "after": []},
    ]
    assert basis_of(operations) == {
        "GX-N": None,
        "GX-1": 12,
        "GX-1a": None,
        "GX-1b": None,
        "JT-5": 40,
    }
    assert parks_of(operations) == ["gaoxin", "jiangtan"]


def test_a_dry_runs_error_is_what_applying_it_would_raise():
    assert DryRun(verdict="would_commit").error() is None
    invalid = DryRun(verdict="invalid", problems=[{"operation": 1, "message": "unknown parcel"}])
    error = invalid.error()
    assert isinstance(error, InvalidChangeSet)
    assert error.body()["problems"] == [{"operation": 1, "message": "unknown parcel"}]
    refusal = ManufacturingLandWouldDecrease("city", 10.0, 5.0, 10.0, 5.0, ["GX-1"])
    refused = DryRun(verdict="refused_by_rule", refusal=refusal.body(), refused=refusal)
    assert refused.error() is refusal


@pytest.mark.parametrize(
    ("error", "status", "extra"),
    [
        (ParkOutOfScope("jiangtan", allowed=("gaoxin",)), 403, {"park": "jiangtan"}),
        (SelfApproval("you proposed it"), 403, {}),
        (ProposalStale(7, ["GX-1", "GX-2"]), 409, {"parcels": ["GX-1", "GX-2"]}),
        (ProposalDecided(7, "approved"), 409, {"status": "approved"}),
    ],
)
def test_the_proposal_errors_have_their_status_code_and_body(error, status, extra):
    assert status_for(error) == status
    body = error.body()
    assert body["error"] == error.code and body["message"]
    assert extra.items() <= body.items()

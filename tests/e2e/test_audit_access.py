"""Who may read the audit.

With PARKS_READS_NEED_TOKEN the audit endpoints and the /audit page need an auditor or
admin token: 401 without a (valid) token, 403 for viewer, planner and editor. Without it,
they are open like every other read.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

AUDIT_PATHS = [
    "/api/audit/totals",
    "/api/audit/totals?as_of=2025-12-31&group_by=park,land_use",
    "/api/audit/ledger",
    "/api/audit/refusals",
    "/api/audit/verify",
    "/audit",
]
#: Refusal details and actor names: auditor or admin whatever the read setting.
AUDITOR_ALWAYS_PATHS = ["/api/audit/refusals"]


@pytest.fixture
def guarded(sample_db_url, make_client, make_token):
    client = make_client(sample_db_url, reads_need_token=True)
    tokens = {
        role: make_token(sample_db_url, role)
        for role in ("viewer", "planner", "editor", "auditor", "admin")
    }
    return client, tokens


def test_audit_reads_without_a_token_are_401(guarded):
    client, _ = guarded
    for path in AUDIT_PATHS:
        response = client.get(path)
        assert response.status_code == 401, path
        assert response.json()["error"] == "unauthorized"
        bogus = client.get(path, headers={"Authorization": "Bearer plt_not-a-token"})
        assert bogus.status_code == 401, path


@pytest.mark.parametrize("role", ["viewer", "planner", "editor"])
def test_audit_reads_with_a_role_below_auditor_are_403(guarded, role):
    client, tokens = guarded
    for path in AUDIT_PATHS:
        response = client.get(path, headers=tokens[role])
        assert response.status_code == 403, (role, path)
        assert response.json()["error"] == "forbidden"


@pytest.mark.parametrize("role", ["auditor", "admin"])
def test_auditors_and_admins_may_read_the_audit(guarded, role):
    client, tokens = guarded
    for path in AUDIT_PATHS:
        response = client.get(path, headers=tokens[role])
        assert response.status_code == 200, (role, path, response.text[:200])


def test_a_parcels_history_needs_a_token_when_reads_do(guarded):
    client, tokens = guarded
    assert client.get("/api/parcels/GX-0001/history").status_code == 401
    response = client.get("/api/parcels/GX-0001/history", headers=tokens["auditor"])
    assert response.status_code == 200
    assert response.json()["parcel_code"] == "GX-0001"


def test_without_the_setting_the_audit_is_open_like_every_read(sample_db_url, make_client):
    client = make_client(sample_db_url)
    for path in [*AUDIT_PATHS, "/api/parcels/GX-0001/history"]:
        if path in AUDITOR_ALWAYS_PATHS:
            continue
        assert client.get(path).status_code == 200, path


def test_without_the_setting_refusal_details_still_need_an_auditor(sample_db_url, make_client):
    client = make_client(sample_db_url)
    for path in AUDITOR_ALWAYS_PATHS:
        assert client.get(path).status_code == 401, path

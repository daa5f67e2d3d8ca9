"""Proposals (two-step approval) through the app on a real PostGIS, editors not applying
directly (PARKS_EDITORS_APPLY_DIRECTLY off): an editor proposes, another official approves,
and the change set names both; self-approval, stale and decided proposals are refused;
rejecting needs a reason; the proposer may withdraw. Principals are bearer tokens (each
named: the name is the actor), but for the park scope, which needs a signed-in user.

Expected numbers are our own: shapely areas (EPSG:4545) of geometry read straight from the
database, and the rows read back with our own SQL.
"""

from __future__ import annotations

import pytest
import shapely
from sqlalchemy import create_engine, text
from support_changes import (
    change_set,
    count,
    find_parcels,
    free_box,
    manufacturing_totals,
    parcel,
    register_op,
    rezone_op,
    to_crs,
)

pytestmark = pytest.mark.e2e

EDITOR, APPROVER, OTHER_APPROVER = "编辑-王", "审核-李", "审核-赵"


@pytest.fixture
def people(fresh_db_url, make_client, make_token):
    """The app on a fresh copy of the sample (editors propose), tokens by name, and our
    own engine."""
    client = make_client(fresh_db_url, editors_apply_directly=False)
    engine = create_engine(fresh_db_url, pool_size=1, max_overflow=0)
    tokens = {
        name: make_token(fresh_db_url, role, name=name)
        for name, role in [
            (EDITOR, "editor"),
            (APPROVER, "approver"),
            (OTHER_APPROVER, "approver"),
            ("admin", "admin"),
            ("viewer", "viewer"),
        ]
    }
    yield client, tokens, engine
    engine.dispose()


def _one(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).mappings().one()


def _applied_proposals(engine) -> int:
    with engine.connect() as conn:
        return count(conn, "change_set", "proposal_id IS NOT NULL")


def _code(engine, where: str, **params) -> str:
    with engine.connect() as conn:
        (code,) = find_parcels(conn, where, params, limit=1)
    return code


def test_a_proposal_approved_by_another_official_is_applied_naming_both(people):
    client, tokens, engine = people
    gainer = _code(engine, "v.land_use_code = '0701' AND v.park = 'gaoxin'")
    with engine.connect() as conn:
        gain_m2 = float(shapely.area(parcel(conn, gainer)["geom"]))
        version_id = parcel(conn, gainer)["version_id"]
        city_before, _ = manufacturing_totals(conn)
    body = change_set("rezone", rezone_op(gainer, "0601"), reason="引进传感器项目")

    # Editors no longer apply directly; they propose.
    refused = client.post("/api/change-sets", json=body, headers=tokens[EDITOR])
    assert refused.status_code == 403, refused.text
    created = client.post("/api/proposals", json=body, headers=tokens[EDITOR])
    assert created.status_code == 201, created.text
    proposal = created.json()
    pid = proposal["id"]
    assert created.headers["location"] == f"/api/proposals/{pid}"
    assert (proposal["status"], proposal["proposed_by"]) == ("open", EDITOR)
    assert proposal["proposed_at"] and proposal["decided_at"] is None
    assert proposal["basis"] == {gainer: version_id}
    assert proposal["parks"] == ["gaoxin"]
    assert proposal["dry_run"]["verdict"] == "would_commit"
    assert proposal["dry_run"]["manufacturing"]["city"]["delta_m2"] == pytest.approx(
        gain_m2, abs=1e-3
    )
    assert _applied_proposals(engine) == 0

    listed = client.get("/api/proposals", params={"status": "open", "park": "gaoxin"}).json()
    assert [p["id"] for p in listed["proposals"]] == [pid] and listed["total"] == 1
    assert client.get("/api/proposals", params={"park": "jiangtan"}).json()["total"] == 0
    assert client.get("/api/proposals", params={"proposed_by": APPROVER}).json()["total"] == 0

    # The pages: the list, and the buttons for the one who may decide.
    assert f'href="/proposals/{pid}"' in client.get("/proposals").text
    page = client.get(f"/proposals/{pid}", headers=tokens[APPROVER])
    page_for_approver = page.text
    assert 'id="approve-form"' in page_for_approver and gainer in page_for_approver
    csp = page.headers.get("content-security-policy", "")
    if "'nonce-" in csp:  # the page's only inline script, its data, carries the nonce
        nonce = csp.split("'nonce-", 1)[1].split("'", 1)[0]
        assert f'id="proposal-data" nonce="{nonce}"' in page_for_approver
    page_for_proposer = client.get(f"/proposals/{pid}", headers=tokens[EDITOR]).text
    assert 'id="approve-form"' not in page_for_proposer
    assert 'id="reject-form"' in page_for_proposer  # withdrawing

    approve = f"/api/proposals/{pid}/approve"
    assert client.post(approve, headers=tokens[EDITOR]).status_code == 403  # role
    missing = client.post(approve, headers=tokens[APPROVER])
    assert missing.status_code == 422 and missing.json()["parameter"] == "document_no"

    done = client.post(
        approve, json={"document_no": "宝政土批〔2026〕7号"}, headers=tokens[APPROVER]
    )
    assert done.status_code == 200, done.text
    approved = done.json()
    change_set_id = approved["change_set"]["id"]
    assert (approved["status"], approved["decided_by"]) == ("approved", APPROVER)
    assert approved["change_set_id"] == change_set_id
    assert approved["change_set"]["delta_m2"]["city"] == pytest.approx(gain_m2, abs=1e-3)

    row = _one(engine, "SELECT * FROM change_set WHERE id = :i", i=change_set_id)
    stored = _one(engine, "SELECT * FROM proposal WHERE id = :i", i=pid)
    ledger = _one(engine, "SELECT actor FROM ledger WHERE change_set_id = :i", i=change_set_id)
    assert (row["actor"], row["proposed_by"], row["proposal_id"]) == (APPROVER, EDITOR, pid)
    assert row["proposed_at"] == stored["proposed_at"]
    assert (row["kind"], row["reason"], row["document_no"]) == (
        "rezone",
        "引进传感器项目",
        "宝政土批〔2026〕7号",
    )
    assert ledger["actor"] == APPROVER
    assert stored["decided_at"] == row["committed_at"] > stored["proposed_at"]
    with engine.connect() as conn:
        city_after, _ = manufacturing_totals(conn)
        assert parcel(conn, gainer)["land_use_code"] == "0601"
    assert city_after - city_before == pytest.approx(gain_m2, abs=1e-3)

    detail = client.get(f"/api/change-sets/{change_set_id}").json()
    assert (detail["proposal_id"], detail["proposed_by"]) == (pid, EDITOR)
    assert detail["proposed_at"] == stored["proposed_at"].isoformat()
    history = client.get(f"/api/parcels/{gainer}/history").json()
    made_by = history["versions"][-1]["change_set"]
    assert (made_by["proposed_by"], made_by["approved_by"]) == (EDITOR, APPROVER)
    assert history["versions"][0]["change_set"]["proposed_by"] is None

    again = client.post(approve, json={"document_no": "X"}, headers=tokens[OTHER_APPROVER])
    assert again.status_code == 409 and again.json()["error"] == "proposal_decided"

    # An approver's own proposal needs another approver.
    another = _code(engine, "v.land_use_code = '0701' AND v.park = 'fengxiang'")
    own = client.post(
        "/api/proposals",
        json=change_set("rezone", rezone_op(another, "0601"), document_no="D-1"),
        headers=tokens[APPROVER],
    )
    assert own.status_code == 201, own.text
    self_approved = client.post(
        f"/api/proposals/{own.json()['id']}/approve", headers=tokens[APPROVER]
    )
    assert self_approved.status_code == 403
    assert self_approved.json()["error"] == "self_approval"


def test_stale_proposals_are_refused_and_rejecting_needs_a_reason(people, fresh_db_url):
    client, tokens, engine = people
    target = _code(engine, "v.land_use_code = '0701' AND v.park = 'jiangtan'")
    with engine.connect() as conn:
        status = parcel(conn, target)["status"]
        new_square = to_crs(free_box(conn, "jiangtan", size_m=20), 4545, 4326)
    rezone = client.post(
        "/api/proposals",
        json=change_set("rezone", rezone_op(target, "0601"), document_no="D-2"),
        headers=tokens[EDITOR],
    )
    register = client.post(
        "/api/proposals",
        json=change_set("register", register_op("JT-NEW-1", "jiangtan", new_square)),
        headers=tokens[EDITOR],
    )
    assert rezone.status_code == register.status_code == 201
    assert register.json()["basis"] == {"JT-NEW-1": None}

    # An admin applies directly (editors may not): the rezoned parcel changes, and the
    # new code is taken — by a parcel elsewhere.
    other_status = "idle" if status != "idle" else "reserve"
    with engine.connect() as conn:
        elsewhere = to_crs(free_box(conn, "gaoxin", size_m=20), 4545, 4326)
    direct = client.post(
        "/api/change-sets",
        json=change_set(
            "set_status",
            {"op": "set_status", "parcel_code": target, "status": other_status},
            register_op("JT-NEW-1", "gaoxin", elsewhere),
        ),
        headers=tokens["admin"],
    )
    assert direct.status_code == 201, direct.text

    for made, parcels in [(rezone, [target]), (register, ["JT-NEW-1"])]:
        pid = made.json()["id"]
        response = client.post(
            f"/api/proposals/{pid}/approve", json={"document_no": "D-3"}, headers=tokens[APPROVER]
        )
        assert response.status_code == 409, response.text
        assert response.json()["error"] == "proposal_stale"
        assert response.json()["parcels"] == parcels
        assert client.get(f"/api/proposals/{pid}").json()["status"] == "open"
    assert _applied_proposals(engine) == 0

    reject = f"/api/proposals/{rezone.json()['id']}/reject"
    assert client.post(reject, json={}, headers=tokens[APPROVER]).status_code == 422
    assert client.post(reject, json={"reason": "  "}, headers=tokens[APPROVER]).status_code == 422
    assert client.post(reject, json={"reason": "x"}, headers=tokens["viewer"]).status_code == 403
    rejected = client.post(reject, json={"reason": "地块已变化"}, headers=tokens[APPROVER])
    assert rejected.status_code == 200, rejected.text
    out = rejected.json()
    assert (out["status"], out["decided_by"], out["decision_reason"]) == (
        "rejected",
        APPROVER,
        "地块已变化",
    )
    assert out["withdrawn"] is False and out["decided_at"]
    again = client.post(reject, json={"reason": "again"}, headers=tokens[OTHER_APPROVER])
    assert again.status_code == 409 and again.json()["error"] == "proposal_decided"

    withdraw = f"/api/proposals/{register.json()['id']}/reject"
    withdrawn = client.post(withdraw, json={"reason": "编号冲突，撤回"}, headers=tokens[EDITOR])
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["withdrawn"] is True and withdrawn.json()["decided_by"] == EDITOR
    assert client.get("/api/proposals", params={"status": "rejected"}).json()["total"] == 2
    assert "已撤回" in client.get("/proposals", params={"status": "rejected"}).text


def test_a_proposal_the_rule_refuses_or_that_is_invalid_is_not_stored(
    sample_db_url, make_client, make_token
):
    client = make_client(sample_db_url, editors_apply_directly=False)
    headers = make_token(sample_db_url, "editor")
    engine = create_engine(sample_db_url, pool_size=1, max_overflow=0)
    try:
        loser = _code(engine, "v.land_use_code = '0601'")
        refused = client.post(
            "/api/proposals", json=change_set("rezone", rezone_op(loser, "0701")), headers=headers
        )
        assert refused.status_code == 409
        assert refused.json()["error"] == "manufacturing_land_would_decrease"
        invalid = client.post(
            "/api/proposals",
            json=change_set("rezone", rezone_op("NO-SUCH", "0601")),
            headers=headers,
        )
        assert invalid.status_code == 422
        assert invalid.json()["problems"] == [{"operation": 0, "message": "unknown parcel NO-SUCH"}]
        with engine.connect() as conn:
            assert count(conn, "proposal") == 0 and count(conn, "refusal") == 0
        assert client.get("/api/proposals/999").status_code == 404
        blank = {"status": "", "park": "", "proposed_by": ""}  # the page's form, cleared
        assert client.get("/proposals", params=blank).status_code == 200
        bogus = client.get("/api/proposals", params={"status": "maybe"})
        assert bogus.status_code == 422 and bogus.json()["parameter"] == "status"
        assert client.get("/proposals/999").status_code == 404
        viewer = make_token(sample_db_url, "viewer")
        body = change_set("rezone", rezone_op(loser, "0602"))
        assert client.post("/api/proposals", json=body, headers=viewer).status_code == 403
    finally:
        engine.dispose()


def test_a_signed_in_editor_limited_to_a_park_may_not_touch_another(sample_db_url):
    support_people = pytest.importorskip("support_people")
    support_people.add_user(sample_db_url, "gx-editor", "editor", parks=("gaoxin",))
    engine = create_engine(sample_db_url, pool_size=1, max_overflow=0)
    try:
        theirs = _code(engine, "v.land_use_code = '0701' AND v.park = 'jiangtan'")
        ours = _code(engine, "v.land_use_code = '0701' AND v.park = 'gaoxin'")
    finally:
        engine.dispose()
    with support_people.people_client(sample_db_url, editors_apply_directly=False) as client:
        csrf = {"X-CSRF-Token": support_people.signed_in(client, "gx-editor")}
        for path in ("/api/change-sets/dry-run", "/api/proposals"):
            response = client.post(
                path, json=change_set("rezone", rezone_op(theirs, "0601")), headers=csrf
            )
            assert response.status_code == 403, response.text
            assert response.json()["error"] == "park_out_of_scope"
            assert response.json()["park"] == "jiangtan"
        mine = client.post(
            "/api/change-sets/dry-run",
            json=change_set("rezone", rezone_op(ours, "0601")),
            headers=csrf,
        )
        assert mine.status_code == 200 and mine.json()["verdict"] == "would_commit"

"""Refusal details and actor names need the auditor or admin role whatever the read setting:
with open reads, anonymous readers (and roles below auditor) get no refusal list and the
audit page shows refusals without their actors and messages. Stored refused bodies are
capped: the first ``refusal_body_cap_bytes`` of the body plus the SHA-256 of the whole."""

from __future__ import annotations

import hashlib
import html
import json

import pytest
from sqlalchemy import create_engine, text
from support_changes import change_set, find_parcels, rezone_op

pytestmark = pytest.mark.e2e

ACTOR = "editor-秘密-refusals"
DOCUMENT_NO = "宝政土批〔2026〕99号"
CAP = 64 * 1024  # the default refusal_body_cap_bytes


@pytest.fixture(scope="module")
def refused_db_url(databases, loaded_template):
    """A copy of the sample holding one refused change set by ACTOR (and nothing else)."""
    from support_changes import url_for

    return url_for(databases.create(template=loaded_template))


@pytest.fixture(scope="module")
def refused(refused_db_url):
    """ACTOR's refused rezone: the tokens of every role, and the refusal's message."""
    from fastapi.testclient import TestClient

    from service.api.app import create_app
    from service.auth.tokens import create_token
    from service.settings import Settings

    engine = create_engine(refused_db_url, pool_size=1, max_overflow=0)
    with engine.begin() as conn:
        tokens = {
            role: {"Authorization": f"Bearer {create_token(conn, name=f'r-{role}', role=role)}"}
            for role in ("viewer", "planner", "editor", "auditor", "admin")
        }
        editor = {"Authorization": f"Bearer {create_token(conn, name=ACTOR, role='editor')}"}
        (industrial,) = find_parcels(conn, "v.land_use_code = '0601'", limit=1)
    engine.dispose()
    body = change_set("rezone", rezone_op(industrial, "0701"), document_no=DOCUMENT_NO)
    with TestClient(create_app(Settings(database_url=refused_db_url))) as client:
        response = client.post("/api/change-sets", json=body, headers=editor)
    assert response.status_code == 409, response.text
    return tokens, response.json()["message"]


def test_anonymous_readers_get_no_refusal_list_even_with_open_reads(
    refused_db_url, refused, make_client
):
    client = make_client(refused_db_url)
    response = client.get("/api/audit/refusals")
    assert response.status_code == 401
    assert ACTOR not in response.text


@pytest.mark.parametrize("role", ["viewer", "planner", "editor"])
def test_roles_below_auditor_get_no_refusal_list_even_with_open_reads(
    refused_db_url, refused, make_client, role
):
    tokens, _ = refused
    response = make_client(refused_db_url).get("/api/audit/refusals", headers=tokens[role])
    assert response.status_code == 403
    assert ACTOR not in response.text


@pytest.mark.parametrize("reads_need_token", [False, True])
@pytest.mark.parametrize("role", ["auditor", "admin"])
def test_auditors_and_admins_see_the_refusals_actor_and_body(
    refused_db_url, refused, make_client, role, reads_need_token
):
    tokens, _ = refused
    client = make_client(refused_db_url, reads_need_token=reads_need_token)
    response = client.get("/api/audit/refusals", headers=tokens[role])
    assert response.status_code == 200, response.text
    (row,) = response.json()["rows"]
    assert row["actor"] == ACTOR
    assert row["document_no"] == DOCUMENT_NO
    assert json.loads(row["body"])["document_no"] == DOCUMENT_NO
    assert row["body_truncated"] is False


def test_the_audit_page_shows_anonymous_readers_refusals_without_actor_or_message(
    refused_db_url, refused, make_client
):
    _, message = refused
    page = make_client(refused_db_url).get("/audit")
    assert page.status_code == 200
    assert "manufacturing_land_would_decrease" in page.text
    assert ACTOR not in html.unescape(page.text)
    assert message not in html.unescape(page.text)


def test_the_audit_page_shows_an_auditor_the_refusals_actor_and_message(
    refused_db_url, refused, make_client
):
    tokens, message = refused
    page = make_client(refused_db_url).get("/audit", headers=tokens["auditor"])
    assert page.status_code == 200
    assert ACTOR in html.unescape(page.text)
    assert message in html.unescape(page.text)


# --- the cap -----------------------------------------------------------------------------


@pytest.fixture
def capped(fresh_db_url, make_client, make_token):
    """The app, an editor's and an auditor's headers, our engine."""
    from service.settings import Settings

    assert Settings(database_url=fresh_db_url).refusal_body_cap_bytes == CAP
    client = make_client(fresh_db_url)
    editor = make_token(fresh_db_url, "editor", name="editor-capped")
    auditor = make_token(fresh_db_url, "auditor")
    engine = create_engine(fresh_db_url, pool_size=1, max_overflow=0)
    yield client, editor, auditor, engine
    engine.dispose()


def _last_refusal(engine) -> dict:
    with engine.connect() as conn:
        return dict(
            conn.execute(text("SELECT * FROM refusal ORDER BY id DESC LIMIT 1")).mappings().one()
        )


def test_a_refused_megabyte_body_is_stored_capped_with_the_sha256_of_the_whole(capped):
    client, editor, auditor, engine = capped
    # About 1 MB of three-byte characters, sent in the canonical form (the change set's
    # fields in order, no spaces) so that the bytes sent are the bytes hashed however the
    # service refuses it: when it arrives, or when it is judged against the text limits.
    body = {
        "kind": "rezone",
        "reason": "宝" * (1024 * 1024 // 3),
        "document_no": DOCUMENT_NO,
        "operations": [rezone_op("GX-0001", "0601")],
    }
    sent = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    assert len(sent) > 1_000_000
    response = client.post(
        "/api/change-sets", content=sent, headers={**editor, "Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text[:300]

    row = _last_refusal(engine)
    assert row["actor"] == "editor-capped"
    assert row["body_sha256"] == hashlib.sha256(sent).hexdigest()
    assert row["body_bytes"] == len(sent)
    assert row["body_truncated"] is True
    stored = row["body"].encode("utf-8")
    assert CAP - 3 < len(stored) <= CAP  # a character cut at the cap is left out whole
    assert sent.startswith(stored)
    assert len(row["reason"] or "") <= 2000

    listed = client.get("/api/audit/refusals", headers=auditor)
    assert listed.status_code == 200
    assert len(listed.content) < 4 * CAP + 4000
    (item,) = listed.json()["rows"]
    assert (item["body_sha256"], item["body_bytes"]) == (row["body_sha256"], len(sent))


def test_a_refused_body_under_the_cap_is_stored_whole_with_its_sha256(capped):
    client, editor, _, engine = capped
    with engine.connect() as conn:
        (industrial,) = find_parcels(conn, "v.land_use_code = '0601'", limit=1)
    body = change_set("rezone", rezone_op(industrial, "0701"), document_no=DOCUMENT_NO)
    assert client.post("/api/change-sets", json=body, headers=editor).status_code == 409

    row = _last_refusal(engine)
    whole = row["body"].encode("utf-8")
    assert row["body_truncated"] is False
    assert row["body_bytes"] == len(whole)
    assert row["body_sha256"] == hashlib.sha256(whole).hexdigest()
    stored = json.loads(row["body"])
    assert stored["document_no"] == DOCUMENT_NO
    assert stored["operations"] == body["operations"]


def test_a_body_refused_on_arrival_is_stored_capped_at_the_setting_with_its_sha256(
    fresh_db_url, make_client, make_token
):
    client = make_client(fresh_db_url, refusal_body_cap_bytes=4096)
    editor = make_token(fresh_db_url, "editor", name="editor-arrival")
    body = {
        "kind": "no-such-kind",
        "reason": "宝" * 100_000,
        "operations": [rezone_op("GX-0001", "0601")],
    }
    sent = json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8")  # as a client may
    response = client.post(
        "/api/change-sets", content=sent, headers={**editor, "Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text[:300]

    engine = create_engine(fresh_db_url, pool_size=1, max_overflow=0)
    try:
        row = _last_refusal(engine)
    finally:
        engine.dispose()
    assert row["actor"] == "editor-arrival"
    assert (row["body_sha256"], row["body_bytes"]) == (hashlib.sha256(sent).hexdigest(), len(sent))
    assert row["body_truncated"] is True
    stored = row["body"].encode("utf-8")
    assert 4096 - 3 < len(stored) <= 4096
    assert sent.startswith(stored)

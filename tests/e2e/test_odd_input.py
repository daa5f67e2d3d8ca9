"""Odd input gets a 4xx naming the parameter, never a 500: a NUL byte (raw or ``%00``) in a
path segment or a query parameter, an offset too large for the database, a ``within`` nested
thousands of arrays deep. A change set carrying a NUL is refused (422) and the refusal is
logged with its actor — its stored body holds no NUL, which PostgreSQL text cannot hold."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import create_engine, text

pytestmark = pytest.mark.e2e

HUGE_OFFSET = str(10**20)
DEEP_WITHIN = "[" * 3000

#: (method, URL, role whose token is sent or None, the parameter the 4xx must name)
ODD_REQUESTS = [
    ("GET", "/map/search?q=a%00", None, "q"),
    ("GET", "/api/parcels/a%00", None, "parcel_code"),
    ("GET", "/api/parcels/a%00/history", None, "parcel_code"),
    ("GET", "/api/layers/a%00", None, "name"),
    ("GET", "/map/a%00", None, "park"),
    ("GET", "/api/audit/refusals?error=a%00", "auditor", "error"),
    ("PUT", "/api/targets/x%00", "admin", "park"),
    ("GET", "/api/audit/ledger?offset=1e20", "auditor", "offset"),
    ("GET", f"/api/audit/ledger?offset={HUGE_OFFSET}", "auditor", "offset"),
    ("GET", "/api/audit/refusals?offset=1e20", "auditor", "offset"),
    ("GET", f"/api/audit/refusals?offset={HUGE_OFFSET}", "auditor", "offset"),
    ("GET", f"/api/availability?within={DEEP_WITHIN}", None, "within"),
    ("GET", f"/map/availability?within={DEEP_WITHIN}", None, "within"),
]


@pytest.fixture(scope="module")
def tokens(sample_db_url):
    from service.auth.tokens import create_token
    from service.db.engine import make_engine

    engine = make_engine(sample_db_url, pool_size=1, max_overflow=0)
    with engine.begin() as conn:
        made = {
            role: {"Authorization": f"Bearer {create_token(conn, name=f'odd-{role}', role=role)}"}
            for role in ("auditor", "admin")
        }
    engine.dispose()
    return made


@pytest.mark.parametrize(("method", "url", "role", "parameter"), ODD_REQUESTS)
def test_odd_input_is_a_4xx_naming_the_parameter(
    sample_db_url, make_client, tokens, method, url, role, parameter
):
    client = make_client(sample_db_url)
    headers = tokens[role] if role else {}
    body = {"min_reserve_mu": 1} if method == "PUT" else None
    response = client.request(method, url, headers=headers, json=body)
    assert 400 <= response.status_code < 500, (url, response.status_code, response.text[:300])
    answer = response.json()
    assert answer["error"] == "invalid_parameter", answer
    assert answer["parameter"] == parameter, answer


# --- change sets carrying a NUL --------------------------------------------------------------


@pytest.fixture
def editor(fresh_db_url, make_client, make_token):
    """The app on a fresh copy of the sample, an editor's name and headers, our engine."""
    client = make_client(fresh_db_url)
    headers = make_token(fresh_db_url, "editor", name="editor-odd-input")
    engine = create_engine(fresh_db_url, pool_size=1, max_overflow=0)
    yield client, headers, engine
    engine.dispose()


def _refusals(engine) -> list[dict]:
    with engine.connect() as conn:
        return [
            dict(r)
            for r in conn.execute(text("SELECT * FROM refusal ORDER BY id")).mappings().all()
        ]


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _strings(k) + _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _assert_logged_without_nul(row: dict, *, actor: str) -> None:
    assert row["actor"] == actor
    assert row["error"] == "invalid_change_set"
    assert not [s for s in _strings(row) if "\x00" in s]
    assert "\\u0000" not in row["body"]  # nor the JSON escape of one (jsonb refuses it)


def test_a_change_set_with_a_nul_in_its_text_is_422_and_its_refusal_is_logged(editor):
    client, headers, engine = editor
    body = {
        "kind": "set_status",
        "reason": "a\x00b",
        "document_no": "宝政土批\x00〔2026〕1号",
        "operations": [{"op": "set_status", "parcel_code": "GX-0001", "status": "ready"}],
    }
    before = len(_refusals(engine))
    response = client.post("/api/change-sets", json=body, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid_change_set"
    rows = _refusals(engine)
    assert len(rows) == before + 1
    _assert_logged_without_nul(rows[-1], actor="editor-odd-input")


def test_a_change_set_refused_at_validation_is_logged_with_its_actor_and_no_nul(editor):
    client, headers, engine = editor
    body = {
        "kind": "no-such-kind",
        "reason": "a\x00b",
        "operations": [{"op": "set_status", "parcel_code": "GX-0001", "status": "ready"}],
    }
    response = client.post("/api/change-sets", json=body, headers=headers)
    assert response.status_code == 422, response.text
    (row,) = _refusals(engine)
    _assert_logged_without_nul(row, actor="editor-odd-input")
    assert json.loads(row["body"])["reason"] == "a\ufffdb"


def test_an_anonymous_invalid_change_set_is_not_logged(editor):
    client, _, engine = editor
    response = client.post("/api/change-sets", content=b"{not json", headers={})
    assert response.status_code in (401, 422)
    assert _refusals(engine) == []

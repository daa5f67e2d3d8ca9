"""``GET /api/audit/digests`` lists the signed digests taken, newest first, paged with
``limit``/``after``, each saying whether the ledger row it signed still carries the hash it
signed; the /audit page shows the last one. Both flip when that row is altered behind the
application's back. Read like the rest of the audit."""

from __future__ import annotations

import re

import pytest
from support_audit import pick, query, tamper
from support_changes import change_set

from service.audit.digest_keys import generate_key_pair, load_private_key
from service.audit.digests import take_digest
from service.db.engine import make_engine

pytestmark = pytest.mark.e2e


def _digests_around_a_commit(url: str, tmp_path) -> list[dict]:
    """D1 over the load (ledger row 1), a status change (row 2), D2; their documents."""
    from parks.operations import ChangeSetRequest
    from service.changes.apply import apply_change_set

    key = load_private_key(generate_key_pair(tmp_path / "keys").private_path)
    code, _ = pick(url, "status = 'reserve'")
    body = change_set(
        "set_status",
        {"op": "set_status", "parcel_code": code, "status": "ready"},
        document_no="摘要测试〔2026〕1号",
    )
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        first = take_digest(engine, private_key=key, directory=tmp_path / "digests")
        request = ChangeSetRequest.model_validate(body)
        applied = apply_change_set(engine, request, actor="digest-test", storage_srid=4545)
        assert applied.ledger_seq == 2
        second = take_digest(engine, private_key=key, directory=tmp_path / "digests")
    finally:
        engine.dispose()
    return [first.document, second.document]


def _last_digest_section(html: str) -> str:
    match = re.search(r'<section id="digest">(.*?)</section>', html, re.S)
    assert match, "no digest section on /audit"
    return match.group(1)


def test_the_digests_are_listed_newest_first_and_flip_when_the_signed_row_is_altered(
    fresh_db_url, make_client, tmp_path
):
    d1, d2 = _digests_around_a_commit(fresh_db_url, tmp_path)
    client = make_client(fresh_db_url)
    body = client.get("/api/audit/digests").json()
    assert body["total"] == 2 and body["next_after"] is None
    assert [(r["seq"], r["hash"], r["key_id"], r["matches_ledger"]) for r in body["rows"]] == [
        (2, d2["head"]["hash"], d2["key_id"], True),
        (1, d1["head"]["hash"], d1["key_id"], True),
    ]
    assert [r["taken_at"][:19] for r in body["rows"]] == [d2["taken_at"][:19], d1["taken_at"][:19]]

    page = client.get("/api/audit/digests", params={"limit": 1}).json()
    assert [r["seq"] for r in page["rows"]] == [2]
    rest = client.get("/api/audit/digests", params={"limit": 1, "after": page["next_after"]}).json()
    assert [r["seq"] for r in rest["rows"]] == [1] and rest["next_after"] is None

    section = _last_digest_section(client.get("/audit").text)
    assert "MATCHES THE LEDGER" in section and "DOES NOT MATCH" not in section
    assert d2["head"]["hash"][:16] in section and d2["key_id"] in section

    # Row 2 altered with the triggers off (as the owner could): the digest of it no longer
    # matches; the one of row 1 still does.
    tamper(fresh_db_url, "ledger", "UPDATE ledger SET hash = repeat('f', 64) WHERE seq = 2")
    (now,) = query(fresh_db_url, "SELECT hash FROM ledger WHERE seq = 2")[0]
    rows = client.get("/api/audit/digests").json()["rows"]
    assert [(r["seq"], r["matches_ledger"], r["ledger_hash"]) for r in rows] == [
        (2, False, now),
        (1, True, d1["head"]["hash"]),
    ]
    section = _last_digest_section(client.get("/audit").text)
    assert "DOES NOT MATCH THE LEDGER" in section and now[:16] in section


def test_the_digests_need_an_auditor_when_reads_need_a_token(
    sample_db_url, make_client, make_token
):
    client = make_client(sample_db_url, reads_need_token=True)
    assert client.get("/api/audit/digests").status_code == 401
    viewer = client.get("/api/audit/digests", headers=make_token(sample_db_url, "viewer"))
    assert viewer.status_code == 403
    auditor = client.get("/api/audit/digests", headers=make_token(sample_db_url, "auditor"))
    assert auditor.status_code == 200 and auditor.json() == {
        "rows": [],
        "total": 0,
        "next_after": None,
    }

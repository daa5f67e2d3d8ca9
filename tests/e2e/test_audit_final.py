"""An as-of answer says whether it is final: moments up to the last committed ledger row
can no longer change; a later moment may still gain a change set being written now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import create_engine, pool, text


def _last_ledger_row(url: str) -> tuple[int, datetime]:
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT seq, at FROM ledger ORDER BY seq DESC LIMIT 1")).one()
    finally:
        engine.dispose()


def test_a_moment_at_the_last_ledger_row_is_final_and_names_it(sample_db_url, make_client):
    seq, at = _last_ledger_row(sample_db_url)
    body = make_client(sample_db_url).get("/api/audit/totals", params={"as_of": at.isoformat()})
    assert body.status_code == 200
    assert body.json()["final"] is True
    assert body.json()["ledger_seq"] == seq


def test_a_moment_before_any_ledger_row_is_final_with_no_row(sample_db_url, make_client):
    _, at = _last_ledger_row(sample_db_url)
    before = (at - timedelta(days=365)).isoformat()
    body = make_client(sample_db_url).get("/api/audit/totals", params={"as_of": before}).json()
    assert (body["final"], body["ledger_seq"], body["city"]["parcels"]) == (True, None, 0)


def test_a_moment_after_the_last_ledger_row_is_provisional(sample_db_url, make_client):
    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    body = make_client(sample_db_url).get("/api/audit/totals", params={"as_of": later}).json()
    assert body["final"] is False
    assert body["ledger_seq"] == _last_ledger_row(sample_db_url)[0]

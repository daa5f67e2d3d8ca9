"""Time limits on a request's database work, and its cancellation when the client goes
away — seen from the database: the request's statement is gone from pg_stat_activity.

The requests are made slow by a lock the test holds (an ACCESS EXCLUSIVE lock on
``parcel_version``, as its owner), so how long they would wait is the test's to decide;
the service runs with a 1 s limit for reads and 30 s for the long requests (exports)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import psycopg
import pytest
from sqlalchemy.engine import make_url
from support_roles import owner_url
from support_server import running_server

pytestmark = pytest.mark.e2e

READ_LIMIT_S = 1.0
LONG_LIMIT_S = 30.0


@pytest.fixture(scope="module")
def server(sample_db_url):
    with running_server(
        sample_db_url,
        request_time_limit_s=READ_LIMIT_S,
        long_request_time_limit_s=LONG_LIMIT_S,
    ) as running:
        yield running


def _connect(url: str, *, user: str | None = None, **kwargs) -> psycopg.Connection:
    u = make_url(url)
    return psycopg.connect(
        host=u.host or "127.0.0.1",
        port=u.port or 5432,
        user=user or u.username,
        dbname=u.database,
        **kwargs,
    )


@contextmanager
def parcels_locked(url: str) -> Iterator[int]:
    """``parcel_version`` locked against every reader while the block runs (as its owner);
    yields the locking session's pid."""
    with _connect(owner_url(url)) as owner:
        owner.execute("LOCK TABLE parcel_version IN ACCESS EXCLUSIVE MODE")
        try:
            yield owner.info.backend_pid
        finally:
            owner.rollback()


#: The service's statements waiting for the lock session %s holds.
WAITING = """
SELECT pid FROM pg_stat_activity
 WHERE datname = current_database() AND usename = 'parks_app' AND state = 'active'
   AND %s = ANY(pg_blocking_pids(pid))
"""


def waiting_pids(url: str, holder_pid: int) -> list[int]:
    """The service's sessions whose statement waits for the test's lock (read as the
    superuser, who sees every session's state)."""
    with _connect(url, user="postgres", autocommit=True) as su:
        return [pid for (pid,) in su.execute(WAITING, (holder_pid,))]


def wait_until(what, *, timeout_s: float, step_s: float = 0.05):
    deadline = time.monotonic() + timeout_s
    while not (found := what()):
        assert time.monotonic() < deadline, f"gave up after {timeout_s} s"
        time.sleep(step_s)
    return found


def test_a_read_past_its_time_limit_is_cancelled_and_answered_503(server, sample_db_url):
    with parcels_locked(sample_db_url) as holder:
        started = time.monotonic()
        answer = httpx.get(f"{server.base}/api/parks", timeout=20)
        elapsed = time.monotonic() - started
        still_waiting = waiting_pids(sample_db_url, holder)
    assert answer.status_code == 503, answer.text
    assert answer.headers["retry-after"].isdigit()
    body = answer.json()
    assert body["error"] == "request_timeout" and body["parameter"] is None
    assert "PARKS_REQUEST_TIME_LIMIT_S" in body["message"]
    assert READ_LIMIT_S <= elapsed < READ_LIMIT_S + 4
    assert still_waiting == []  # cancelled, while the lock was still held


def test_an_export_gets_the_long_time_limit(server, sample_db_url):
    answers: list[httpx.Response] = []
    with parcels_locked(sample_db_url) as holder:
        started = time.monotonic()
        export = threading.Thread(
            target=lambda: answers.append(
                httpx.get(f"{server.base}/api/export?format=csv", timeout=LONG_LIMIT_S)
            )
        )
        export.start()
        wait_until(lambda: waiting_pids(sample_db_url, holder), timeout_s=10)
        # Held past the read limit (a read would have been cancelled by now).
        time.sleep(max(0.0, started + READ_LIMIT_S + 0.5 - time.monotonic()))
        assert waiting_pids(sample_db_url, holder)
    export.join(timeout=LONG_LIMIT_S)
    assert answers and answers[0].status_code == 200, answers
    assert answers[0].content.count(b"\n") > 1000  # every parcel, a line each


def test_a_client_that_goes_away_has_its_database_work_cancelled(server, sample_db_url):
    with parcels_locked(sample_db_url) as holder:
        client = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        try:
            client.sendall(
                b"GET /api/export?format=csv HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Connection: close\r\n\r\n"
            )
            (backend,) = wait_until(lambda: waiting_pids(sample_db_url, holder), timeout_s=10)
        finally:
            client.close()
        gone_at = time.monotonic()
        wait_until(lambda: backend not in waiting_pids(sample_db_url, holder), timeout_s=5)
        # Long before the export's own limit, and with the lock still held.
        assert time.monotonic() - gone_at < 5 < LONG_LIMIT_S
    # The service is none the worse for it.
    assert httpx.get(f"{server.base}/api/parks", timeout=20).status_code == 200

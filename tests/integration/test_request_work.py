"""A request's database work (service.db.request_work): its connections carry its time
limit as their statement_timeout (and lose it outside a request), its running statement
can be cancelled from another thread, and a change set whose statement is cancelled
stops whole — not "an invalid operation" logged as a refusal. And what counts as the
database being unavailable."""

from __future__ import annotations

import threading
import time
from contextvars import copy_context

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from support_roles import owner_url
from support_server import free_port

from parks.operations import ChangeSetRequest
from service.changes.apply import apply_change_set
from service.db.engine import make_engine
from service.db.failures import database_unavailable, interrupted, statement_cancelled
from service.db.request_work import TIME_LIMIT, RequestWork, current_work

pytestmark = pytest.mark.integration


def in_request(work: RequestWork, fn, *args):
    """Run *fn* as the request owning *work* would (the work in its context)."""
    context = copy_context()
    context.run(current_work.set, work)
    return context.run(fn, *args)


def statement_timeout(engine) -> str:
    with engine.connect() as conn:
        return conn.execute(text("SHOW statement_timeout")).scalar()


def test_a_requests_connections_carry_its_time_limit_and_lose_it_after(sample_db_url):
    engine = make_engine(sample_db_url, pool_size=1, max_overflow=0)
    try:
        assert statement_timeout(engine) == "0"
        work = RequestWork(1.5, "PARKS_REQUEST_TIME_LIMIT_S")
        assert in_request(work, statement_timeout, engine) == "1500ms"
        assert work.holding == 0  # handed back when the connection was closed
        assert in_request(RequestWork(600, "x"), statement_timeout, engine) == "10min"
        assert statement_timeout(engine) == "0"  # the same pooled connection, back to default
    finally:
        engine.dispose()


def _running_pids(engine) -> list[int]:
    # A new transaction each time: pg_stat_activity is read once per transaction.
    with engine.connect() as conn:
        return list(
            conn.execute(
                text(
                    "SELECT pid FROM pg_stat_activity WHERE state = 'active' "
                    "AND query LIKE 'SELECT pg_sleep(30)%' AND pid <> pg_backend_pid()"
                )
            ).scalars()
        )


def wait_until(what, *, timeout_s: float):
    deadline = time.monotonic() + timeout_s
    while not (found := what()):
        assert time.monotonic() < deadline, f"gave up after {timeout_s} s"
        time.sleep(0.02)
    return found


def test_a_requests_running_statement_is_cancelled_from_another_thread(sample_db_url):
    engine = make_engine(sample_db_url, pool_size=2, max_overflow=0)
    work = RequestWork(60, "PARKS_REQUEST_TIME_LIMIT_S")
    raised: list[BaseException] = []

    def sleep_long() -> None:
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT pg_sleep(30)"))
        except DBAPIError as exc:
            raised.append(exc)

    worker = threading.Thread(target=in_request, args=(work, sleep_long))
    try:
        worker.start()
        wait_until(lambda: _running_pids(engine), timeout_s=10)
        started = time.monotonic()
        assert work.cancel(TIME_LIMIT) == 1
        worker.join(timeout=10)
        assert time.monotonic() - started < 5
        assert raised and statement_cancelled(raised[0]) and not database_unavailable(raised[0])
        assert work.cancelled_because == TIME_LIMIT
        assert work.holding == 0 and _running_pids(engine) == []
        assert statement_timeout(engine) == "0"  # the pool's connections are fine for others
    finally:
        worker.join(timeout=10)
        engine.dispose()


def _waiting_for_a_lock(engine) -> int:
    # A new transaction each time: pg_stat_activity is read once per transaction.
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND pid <> pg_backend_pid() AND datname = current_database()"
            )
        ).scalar()


def test_a_change_set_whose_statement_is_cancelled_stops_whole_and_is_no_refusal(fresh_db_url):
    engine = make_engine(fresh_db_url, pool_size=2, max_overflow=0)
    owner = make_engine(owner_url(fresh_db_url), pool_size=1, max_overflow=0)
    work = RequestWork(60, "PARKS_REQUEST_TIME_LIMIT_S")
    raised: list[BaseException] = []
    try:
        with engine.connect() as conn:
            parcels = conn.execute(
                text(
                    "SELECT parcel_code, status FROM parcel_version WHERE valid_to IS NULL "
                    "ORDER BY parcel_code LIMIT 3"
                )
            ).all()
            refusals = conn.execute(text("SELECT count(*) FROM refusal")).scalar()
            change_sets = conn.execute(text("SELECT count(*) FROM change_set")).scalar()
        request = ChangeSetRequest.model_validate(
            {
                "kind": "set_status",
                "reason": "cancelled half-way",
                "operations": [
                    {"op": "set_status", "parcel_code": code, "status": "idle"}
                    if status != "idle"
                    else {"op": "set_status", "parcel_code": code, "status": "operating"}
                    for code, status in parcels
                ],
            }
        )

        def apply() -> None:
            try:
                apply_change_set(engine, request, actor="test", storage_srid=4545)
            except Exception as exc:
                raised.append(exc)

        # The second operation's parcel is held: the change set waits there, mid-way.
        with owner.connect() as holder:
            holder.execute(
                text(
                    "SELECT 1 FROM parcel_version WHERE parcel_code = :c AND valid_to IS NULL "
                    "FOR UPDATE"
                ),
                {"c": parcels[1].parcel_code},
            )
            worker = threading.Thread(target=in_request, args=(work, apply))
            worker.start()
            wait_until(lambda: _waiting_for_a_lock(engine), timeout_s=20)
            work.cancel(TIME_LIMIT)
            worker.join(timeout=20)
            holder.rollback()
        assert len(raised) == 1 and statement_cancelled(raised[0]), raised
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM refusal")).scalar() == refusals
            assert conn.execute(text("SELECT count(*) FROM change_set")).scalar() == change_sets
    finally:
        engine.dispose()
        owner.dispose()


def test_a_database_nobody_answers_for_is_unavailable_not_an_error_of_the_request():
    engine = make_engine(f"postgresql+psycopg://parks_app@127.0.0.1:{free_port()}/parks")
    try:
        with pytest.raises(DBAPIError) as caught, engine.connect():
            pass
    finally:
        engine.dispose()
    assert database_unavailable(caught.value) and interrupted(caught.value)
    assert not statement_cancelled(caught.value)

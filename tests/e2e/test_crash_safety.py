"""Crash safety, proven by crashing: the service killed with SIGKILL in the middle of a
large change set, or of a whole park's import, stores nothing of it (and the import applies
once the service is back), and PostgreSQL stopped in ``immediate`` mode (a
crash: no checkpoint, no goodbye) under eight concurrent writers keeps every change set
a client saw acknowledged and none partly. The ledger verifies after each.

Both run on a scratch cluster of their own (tests/support_cluster.py), never the suite's
server. Every wait is bounded, and what the tests wait for is seen in the database
(pg_stat_activity, pg_blocking_pids), not guessed with a delay."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import create_engine, text
from support_cluster import available, bearer_on, scratch_cluster
from support_imports import standing, survey_frame, write_gpkg
from support_server import running_server, start_server

from parks.vocabulary import STATUS_NAMES_ZH
from service.audit.verify import verify

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(available() is not None, reason=str(available())),
]

#: The most operations the API takes in one change set (parks.operations.ChangeSetRequest).
LARGEST_CHANGE_SET = 1000
WRITERS = 8
#: Change sets acknowledged before the crash (so the crash meets a storm in full swing).
ACKNOWLEDGED_BEFORE_CRASH = 16
T = TypeVar("T")


def wait_for(what: Callable[[], T], *, timeout_s: float, step_s: float = 0.05) -> T:
    """Poll *what* until it returns something truthy (returned); fail after *timeout_s*."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = what()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {timeout_s} s waiting for {what.__doc__ or what}")
        time.sleep(step_s)


@pytest.fixture(scope="module")
def cluster(loaded_template):
    with scratch_cluster(loaded_template) as made:
        yield made


@pytest.fixture(scope="module")
def admin(cluster) -> dict[str, str]:
    return bearer_on(cluster, name="crash-admin", role="admin")


# --- what the database holds -----------------------------------------------------------------


def land_state(su) -> dict[str, Any]:
    """Everything a change set would move: the ledger's head, the versions, the change
    sets, every standing parcel's version and status."""
    head = su.execute("SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1").fetchone()
    return {
        "ledger_head": tuple(head),
        "versions": su.execute("SELECT count(*), max(version_id) FROM parcel_version").fetchone(),
        "change_sets": su.execute("SELECT count(*), max(id) FROM change_set").fetchone(),
        "standing": dict(
            (code, (version_id, status))
            for code, version_id, status in su.execute(
                "SELECT parcel_code, version_id, status FROM parcel_version WHERE valid_to IS NULL"
            )
        ),
    }


def rule_scratch_rows(su) -> int:
    """Rows left in the rule's per-transaction working tables (none once all are over)."""
    return su.execute(
        "SELECT (SELECT count(*) FROM rule_pending) + (SELECT count(*) FROM rule_txn)"
    ).fetchone()[0]


def verification(cluster) -> dict[str, Any]:
    """The audit's reconciliation of the ledger with the parcels' history."""
    engine = create_engine(cluster.url())
    try:
        with engine.connect() as conn:
            return verify(conn).body()
    finally:
        engine.dispose()


def flipped(status: str) -> str:
    return "idle" if status != "idle" else "operating"


def status_change(codes_statuses: list[tuple[str, str]], *, document_no: str) -> dict[str, Any]:
    return {
        "kind": "set_status",
        "reason": f"crash test {document_no}",
        "document_no": document_no,
        "operations": [
            {"op": "set_status", "parcel_code": code, "status": flipped(status)}
            for code, status in codes_statuses
        ],
    }


#: The service's session waiting for a lock the test's session (%s) holds, in a
#: transaction that has written (it has an xid).
BLOCKED_BACKEND = """
SELECT pid, backend_xid::text AS xid, query
  FROM pg_stat_activity
 WHERE datname = current_database() AND usename = 'parks_app' AND state = 'active'
   AND wait_event_type = 'Lock' AND %s = ANY(pg_blocking_pids(pid))
   AND backend_xid IS NOT NULL
"""


@dataclass
class Killed:
    """What was seen of the service's transaction just before it was killed: its
    statement, and what *probe* found while it waited."""

    query: str
    probed: Any


def kill_while_blocked(
    cluster,
    server,
    *,
    held_code: str,
    send: Callable[[], httpx.Response],
    probe: Callable[[Any, str], Any] = lambda su, xid: None,
) -> Killed:
    """Hold *held_code*'s standing version FOR UPDATE, call *send* (a request the service
    answers by writing that parcel, among others) from a thread, wait until the service's
    transaction has written and waits for the lock, run *probe* (the superuser's
    connection, the transaction's xid), SIGKILL the service, and wait until its database
    session is gone. The client must never have had an answer."""
    sent: dict[str, Any] = {}

    def sender_body() -> None:
        try:
            sent["response"] = send()
        except httpx.HTTPError as exc:
            sent["error"] = exc

    with cluster.connect("parks_owner", autocommit=False) as holder:
        holder.execute(
            "SELECT version_id FROM parcel_version "
            "WHERE parcel_code = %s AND valid_to IS NULL FOR UPDATE",
            (held_code,),
        )
        sender = threading.Thread(target=sender_body, daemon=True)
        sender.start()
        with cluster.connect() as su:

            def blocked_having_written():
                """the service's transaction, having written, waiting for the lock"""
                return su.execute(BLOCKED_BACKEND, (holder.info.backend_pid,)).fetchone()

            backend_pid, xid, query = wait_for(blocked_having_written, timeout_s=120)
            probed = probe(su, xid)
        os.kill(server.process.pid, signal.SIGKILL)
        assert server.process.wait(timeout=10) == -signal.SIGKILL
        holder.rollback()
    sender.join(timeout=10)
    assert "error" in sent, sent  # the client never got an answer

    with cluster.connect() as su:

        def backend_gone():
            """the killed service's database session to end"""
            return (
                su.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (backend_pid,)
                ).fetchone()[0]
                == 0
            )

        wait_for(backend_gone, timeout_s=30)
    return Killed(query, probed)


# --- kill -9 mid change set ----------------------------------------------------------------------


def test_a_service_killed_mid_change_set_stores_nothing_of_it(cluster, admin):
    with cluster.connect() as su:
        before = land_state(su)
    parcels = sorted(before["standing"].items())[:LARGEST_CHANGE_SET]
    body = status_change(
        [(code, status) for code, (_v, status) in parcels], document_no="CRASH-KILL-1000"
    )
    last_code = parcels[-1][0]

    server = start_server(cluster.url())
    try:
        # The test holds the last operation's parcel: the service applies the first 999
        # operations, then waits for it — mid-transaction, having written, never committed.
        killed = kill_while_blocked(
            cluster,
            server,
            held_code=last_code,
            send=lambda: httpx.post(
                f"{server.base}/api/change-sets", json=body, headers=admin, timeout=120
            ),
        )
        assert "FOR UPDATE" in killed.query

        with cluster.connect() as su:
            after = land_state(su)
            assert after == before
            assert (
                su.execute(
                    "SELECT count(*) FROM change_set WHERE document_no = 'CRASH-KILL-1000'"
                ).fetchone()[0]
                == 0
            )
            assert rule_scratch_rows(su) == 0
    finally:
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait(timeout=10)
    outcome = verification(cluster)
    assert outcome["ok"], outcome["problems"]

    # Started again, the service serves, and the ledger goes on from where it was.
    code, (_version, status) = parcels[0]
    with running_server(cluster.url()) as server:
        assert httpx.get(f"{server.base}/api/parks", timeout=30).status_code == 200
        answer = httpx.post(
            f"{server.base}/api/change-sets",
            json=status_change([(code, status)], document_no="CRASH-KILL-AFTER"),
            headers=admin,
            timeout=30,
        )
    assert answer.status_code == 201, answer.text
    assert answer.json()["ledger_seq"] == before["ledger_head"][0] + 1
    outcome = verification(cluster)
    assert outcome["ok"], outcome["problems"]


# --- kill -9 mid import ---------------------------------------------------------------------------

#: A class the surveyor's file rezones (warehouses, not manufacturing) and what to (industry,
#: manufacturing): a gain of manufacturing land, which the rule accepts.
REZONED_FROM, REZONED_TO = "0604", "0601"
IMPORT_DOCUMENT_NO = "CRASH-KILL-IMPORT"


def whole_park_survey(cluster, folder: Path) -> tuple[str, list[dict], Path]:
    """A surveyor's GeoPackage of every standing parcel of the park with the most of them:
    each one's status flipped (written in Chinese, as surveyors do), each warehouse
    rezoned to industry, boundaries as they stand. The park, its parcels as they stood
    (shapely geometries), the file."""
    engine = create_engine(cluster.url())
    try:
        with engine.connect() as conn:
            park = conn.execute(
                text(
                    "SELECT park FROM parcel_version WHERE valid_to IS NULL "
                    "GROUP BY park ORDER BY count(*) DESC, park LIMIT 1"
                )
            ).scalar_one()
            parcels = standing(conn, "v.park = :park", {"park": park})
    finally:
        engine.dispose()
    rows = [
        {
            **p,
            "status": STATUS_NAMES_ZH[flipped(p["status"])],
            "land_use_code": REZONED_TO
            if p["land_use_code"] == REZONED_FROM
            else p["land_use_code"],
        }
        for p in parcels
    ]
    frame = survey_frame(rows, columns=("parcel_code", "land_use_code", "status"))
    return park, parcels, write_gpkg(frame, folder / f"{park}-survey.gpkg")


def import_run_row(su, import_id: int) -> tuple:
    """What the import's own table says of it: status, change set, when applied, and the
    ledger head its dry run was judged against."""
    return su.execute(
        "SELECT status, change_set_id, applied_at, ledger_seq FROM import_run WHERE id = %s",
        (import_id,),
    ).fetchone()


def test_a_service_killed_mid_import_apply_stores_nothing_and_the_import_applies_later(
    cluster, admin, tmp_path
):
    park, parcels, path = whole_park_survey(cluster, tmp_path)
    codes = {p["parcel_code"] for p in parcels}
    rezoned = [p for p in parcels if p["land_use_code"] == REZONED_FROM]
    gain_m2 = sum(p["geometry"].area for p in rezoned)
    assert len(parcels) >= 200 and rezoned  # the biggest park, with warehouses to rezone
    with cluster.connect() as su:
        before = land_state(su)
        # The file's parcel stored last: the closing UPDATE (a sequential scan) reaches it
        # after it has ended the versions of all the others.
        (held_code,) = su.execute(
            "SELECT parcel_code FROM parcel_version WHERE valid_to IS NULL AND park = %s "
            "ORDER BY ctid DESC LIMIT 1",
            (park,),
        ).fetchone()

    server = start_server(cluster.url())
    try:
        with path.open("rb") as f:
            uploaded = httpx.post(
                f"{server.base}/api/imports",
                files={"file": (path.name, f)},
                data={"park": park, "reason": "crash test", "document_no": IMPORT_DOCUMENT_NO},
                headers=admin,
                timeout=120,
            )
        assert uploaded.status_code == 201, uploaded.text
        dry = uploaded.json()
        import_id = dry["id"]
        assert dry["problems"]["blocking"] == 0, dry["problems"]
        assert dry["diff"]["changed"]["total"] == len(parcels)
        assert dry["diff"]["changed"]["set_status"] == len(parcels)
        assert dry["diff"]["changed"]["rezone"] == len(rezoned)
        assert dry["diff"]["changed"]["reshape"] == 0 and dry["diff"]["new"] == 0
        assert dry["rule"]["would_refuse"] is False
        assert dry["rule"]["delta_m2"] == pytest.approx(gain_m2, abs=1e-3)
        with cluster.connect() as su:
            assert land_state(su) == before  # the dry run's write was rolled back
            stored_before = import_run_row(su, import_id)
        assert stored_before[:3] == ("dry_run", None, None)

        def ended_so_far(su, xid: str) -> int:
            """Versions the apply has ended already: their old rows carry its xid."""
            return su.execute(
                "SELECT count(*) FROM parcel_version WHERE xmax = %s::xid", (xid,)
            ).fetchone()[0]

        # The test holds one of the file's parcels: the service opens the import's change
        # set, ends the other parcels' versions, then waits for it — mid-transaction,
        # having written, never committed.
        killed = kill_while_blocked(
            cluster,
            server,
            held_code=held_code,
            send=lambda: httpx.post(
                f"{server.base}/api/imports/{import_id}/apply", headers=admin, timeout=120
            ),
            probe=ended_so_far,
        )
        assert "UPDATE parcel_version" in killed.query  # the statement that ends the versions
        assert 0 < killed.probed < len(parcels)

        with cluster.connect() as su:
            assert land_state(su) == before
            assert (
                su.execute(
                    "SELECT count(*) FROM change_set WHERE document_no = %s", (IMPORT_DOCUMENT_NO,)
                ).fetchone()[0]
                == 0
            )
            assert rule_scratch_rows(su) == 0
            # Still the dry run it was: not applied, no change set, judged at the same head.
            assert import_run_row(su, import_id) == stored_before
    finally:
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait(timeout=10)
    outcome = verification(cluster)
    assert outcome["ok"], outcome["problems"]

    # Started again, the service applies the same import: nothing of the killed apply is
    # in the way (no lock, no half-marked import, the ledger where the dry run saw it).
    with running_server(cluster.url()) as server:
        applied = httpx.post(
            f"{server.base}/api/imports/{import_id}/apply", headers=admin, timeout=120
        )
        assert applied.status_code == 201, applied.text
        out = applied.json()
        assert out["ledger_seq"] == before["ledger_head"][0] + 1
        assert out["versions"] == {
            "ended": len(parcels),
            "continued": len(parcels),
            "registered": 0,
        }
        assert out["delta_m2"]["city"] == pytest.approx(gain_m2, abs=1e-3)
        read = httpx.get(f"{server.base}/api/imports/{import_id}", headers=admin, timeout=30)
        assert (read.json()["status"], read.json()["change_set_id"]) == (
            "applied",
            out["change_set_id"],
        )
    with cluster.connect() as su:
        now = {
            code: (status, land_use_code, change_set_id)
            for code, status, land_use_code, change_set_id in su.execute(
                "SELECT parcel_code, status, land_use_code, change_set_id FROM parcel_version "
                "WHERE valid_to IS NULL AND park = %s",
                (park,),
            )
        }
        assert import_run_row(su, import_id)[:2] == ("applied", out["change_set_id"])
        assert rule_scratch_rows(su) == 0
    assert set(now) == codes
    for p in parcels:
        assert now[p["parcel_code"]] == (
            flipped(p["status"]),
            REZONED_TO if p["land_use_code"] == REZONED_FROM else p["land_use_code"],
            out["change_set_id"],
        ), p["parcel_code"]
    outcome = verification(cluster)
    assert outcome["ok"], outcome["problems"]


# --- PostgreSQL stopped immediate under a storm of writers ---------------------------------------


@dataclass
class Attempt:
    """One change set a writer sent and what it heard back."""

    writer: int
    document_no: str
    parcels: list[tuple[str, int, str]]  # (code, version it replaced, status before)
    status: int | str  # the HTTP status, or "connection error"
    body: dict[str, Any] | None
    retry_after: str | None
    sent_after_crash: bool

    @property
    def acknowledged(self) -> bool:
        return self.status == 201


def test_committed_change_sets_survive_an_immediate_stop_and_failed_ones_are_whole_or_absent(
    cluster, admin
):
    with cluster.connect() as su:
        standing = land_state(su)["standing"]
    codes = sorted(standing)
    attempts: list[Attempt] = []
    lock = threading.Lock()
    stop = threading.Event()
    crashed = threading.Event()

    def writer(w: int, base: str) -> None:
        mine = codes[w::WRITERS]  # writers never share a parcel
        with httpx.Client(base_url=base, headers=admin, timeout=30) as client:
            for i in range(len(mine) // 2):
                if stop.is_set():
                    return
                pair = [(c, *standing[c]) for c in mine[2 * i : 2 * i + 2]]
                document_no = f"STORM-{w}-{i}"
                body = status_change([(c, s) for c, _v, s in pair], document_no=document_no)
                after_crash = crashed.is_set()
                try:
                    response = client.post("/api/change-sets", json=body)
                    status, answer = response.status_code, response.json()
                    retry_after = response.headers.get("retry-after")
                except (httpx.HTTPError, ValueError) as exc:
                    status, answer, retry_after = "connection error", {"error": repr(exc)}, None
                with lock:
                    attempts.append(
                        Attempt(w, document_no, pair, status, answer, retry_after, after_crash)
                    )
                if status != 201:
                    time.sleep(0.05)  # the database is down: don't spin

    def count(predicate) -> int:
        with lock:
            return sum(1 for a in attempts if predicate(a))

    with running_server(cluster.url()) as server:
        threads = [
            threading.Thread(target=writer, args=(w, server.base), daemon=True)
            for w in range(WRITERS)
        ]
        for thread in threads:
            thread.start()
        try:

            def storm_going():
                """change sets acknowledged before the crash"""
                return count(lambda a: a.acknowledged) >= ACKNOWLEDGED_BEFORE_CRASH

            wait_for(storm_going, timeout_s=60)
            cluster.stop("immediate")
            crashed.set()

            def every_writer_met_the_outage():
                """every writer to be refused after the crash"""
                with lock:
                    met = {a.writer for a in attempts if a.sent_after_crash and not a.acknowledged}
                return len(met) == WRITERS

            wait_for(every_writer_met_the_outage, timeout_s=30)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=40)
        assert not any(thread.is_alive() for thread in threads)
        cluster.start()

        # Whatever happened to it, every answer was an answer: 201, or 503 with
        # Retry-After and a JSON error — never a 500, never a traceback.
        for attempt in attempts:
            assert attempt.status in (201, 503), attempt
            if attempt.status == 503:
                assert attempt.body["error"] == "database_unavailable", attempt
                assert attempt.retry_after is not None
                assert "Traceback" not in str(attempt.body)

        # The running service finds its database again by itself.
        used = {code for a in attempts for code, _v, _s in a.parcels}
        code = next(c for c in reversed(codes) if c not in used)
        with cluster.connect() as su:
            status_now = su.execute(
                "SELECT status FROM parcel_version WHERE parcel_code = %s AND valid_to IS NULL",
                (code,),
            ).fetchone()[0]

        def service_writes_again():
            """a change set to be acknowledged after the restart"""
            answer = httpx.post(
                f"{server.base}/api/change-sets",
                json=status_change([(code, status_now)], document_no="STORM-AFTER"),
                headers=admin,
                timeout=30,
            )
            assert answer.status_code in (201, 503), answer.text
            return answer.status_code == 201

        wait_for(service_writes_again, timeout_s=30, step_s=0.5)

    acknowledged = [a for a in attempts if a.acknowledged]
    failed = [a for a in attempts if not a.acknowledged]
    assert len(acknowledged) >= ACKNOWLEDGED_BEFORE_CRASH and failed
    with cluster.connect() as su:
        recorded = {
            document_no: (change_set_id, made, ended, ledger_rows)
            for document_no, change_set_id, made, ended, ledger_rows in su.execute(
                "SELECT cs.document_no, cs.id, "
                "  (SELECT count(*) FROM parcel_version v WHERE v.change_set_id = cs.id), "
                "  (SELECT count(*) FROM parcel_version v "
                "    WHERE v.ended_by_change_set_id = cs.id), "
                "  (SELECT count(*) FROM ledger l WHERE l.change_set_id = cs.id) "
                "FROM change_set cs WHERE cs.document_no LIKE 'STORM-%'"
            )
        }
        now = dict(
            (code, (version_id, status, change_set_id))
            for code, version_id, status, change_set_id in su.execute(
                "SELECT parcel_code, version_id, status, change_set_id FROM parcel_version "
                "WHERE valid_to IS NULL"
            )
        )
        scratch = rule_scratch_rows(su)

    def wholly_present(attempt: Attempt) -> bool:
        change_set_id, made, ended, ledger_rows = recorded[attempt.document_no]
        assert (made, ended, ledger_rows) == (2, 2, 1), attempt
        for code, _replaced, status in attempt.parcels:
            assert now[code][1:] == (flipped(status), change_set_id), (attempt, now[code])
        return True

    for attempt in acknowledged:
        assert attempt.document_no in recorded, f"acknowledged but lost: {attempt}"
        assert recorded[attempt.document_no][0] == attempt.body["id"]
        assert wholly_present(attempt)
    for attempt in failed:
        if attempt.document_no in recorded:  # committed just before the crash, unanswered
            assert wholly_present(attempt)
        else:  # nothing of it: its parcels stand as they stood
            for code, replaced, status in attempt.parcels:
                assert now[code][:2] == (replaced, status), (attempt, now[code])
    assert set(recorded) <= {a.document_no for a in attempts} | {"STORM-AFTER"}
    assert scratch == 0
    outcome = verification(cluster)
    assert outcome["ok"], outcome["problems"]

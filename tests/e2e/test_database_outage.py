"""While its database is down the service answers — 503 with ``Retry-After`` and a JSON
error, never a traceback, whether the request is anonymous, carries a token or a session
cookie (both looked up in the database before any route runs) — ``/health`` and
``/ready`` say so, and when the database is back the same process serves again by
itself. And ``/ready`` names a schema behind the code's.

The database is a scratch cluster of the module's own (tests/support_cluster.py), stopped
and started under the running service; every wait is bounded."""

from __future__ import annotations

import time

import httpx
import pytest
from support_cluster import available, bearer_on, scratch_cluster
from support_people import PASSWORD, add_user
from support_server import running_server

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(available() is not None, reason=str(available())),
]

#: How long the service may take to find its database again once it is back.
RECOVERY_S = 30


@pytest.fixture(scope="module")
def cluster(loaded_template):
    with scratch_cluster(loaded_template) as made:
        yield made


@pytest.fixture(scope="module")
def admin(cluster) -> dict[str, str]:
    return bearer_on(cluster, name="outage-admin", role="admin")


@pytest.fixture(scope="module")
def server(cluster):
    with running_server(cluster.url()) as running:
        yield running


def a_status_change(cluster, *, document_no: str) -> dict:
    """A valid change set: one standing parcel to another status."""
    with cluster.connect() as su:
        code, status = su.execute(
            "SELECT parcel_code, status FROM parcel_version WHERE valid_to IS NULL "
            "ORDER BY parcel_code LIMIT 1"
        ).fetchone()
    return {
        "kind": "set_status",
        "reason": "outage test",
        "document_no": document_no,
        "operations": [
            {
                "op": "set_status",
                "parcel_code": code,
                "status": "idle" if status != "idle" else "operating",
            }
        ],
    }


def assert_database_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"].isdigit()
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["error"] == "database_unavailable"
    assert body["request_id"] == response.headers["x-request-id"]
    assert "Traceback" not in response.text and "psycopg" not in response.text


def test_while_the_database_is_down_every_request_is_answered_503_and_it_recovers_alone(
    cluster, server, admin
):
    change = a_status_change(cluster, document_no="OUTAGE-1")
    add_user(cluster.url(), "outage-official", "admin")
    with httpx.Client(base_url=server.base, timeout=30, follow_redirects=False) as browser:
        signed_in = browser.post("/login", data={"name": "outage-official", "password": PASSWORD})
        assert signed_in.status_code == 303, signed_in.text
        assert browser.get("/api/parks").status_code == 200
        assert httpx.get(f"{server.base}/ready", timeout=30).status_code == 200

        cluster.stop("immediate")
        try:
            with httpx.Client(base_url=server.base, timeout=30) as client:
                assert_database_unavailable(client.get("/api/parks"))
                assert_database_unavailable(client.get("/api/parks", headers=admin))
                assert_database_unavailable(
                    client.post("/api/change-sets", json=change, headers=admin)
                )
                assert_database_unavailable(browser.get("/api/parks"))  # the session cookie

                health = client.get("/health")
                assert health.status_code == 503 and health.json()["status"] == "down"
                assert health.headers["retry-after"].isdigit()
                ready = client.get("/ready")
                assert ready.status_code == 503
                assert ready.headers["retry-after"].isdigit()
                assert ready.json()["status"] == "not_ready"
                assert ready.json()["failed"] == ["database", "migrations"]
                assert ready.json()["checks"]["assets"] == "ok"
        finally:
            cluster.start()

        # The same process, not restarted: its pool finds the database again.
        deadline = time.monotonic() + RECOVERY_S
        while True:
            answer = httpx.get(f"{server.base}/api/parks", timeout=30)
            if answer.status_code == 200:
                break
            assert_database_unavailable(answer)
            assert time.monotonic() < deadline, "the service did not find its database again"
            time.sleep(0.2)
        assert server.process.poll() is None
        assert httpx.get(f"{server.base}/health", timeout=30).json()["status"] == "ok"
        assert httpx.get(f"{server.base}/ready", timeout=30).json()["status"] == "ready"
        assert browser.get("/api/parks").status_code == 200
        written = httpx.post(f"{server.base}/api/change-sets", json=change, headers=admin)
        assert written.status_code == 201, written.text


def test_ready_names_a_database_schema_behind_the_code(cluster, server):
    with cluster.connect("parks_owner") as owner:
        (revision,) = owner.execute("SELECT version_num FROM alembic_version").fetchone()
        previous = f"{int(revision) - 1:04d}"
        owner.execute("UPDATE alembic_version SET version_num = %s", (previous,))
        try:
            ready = httpx.get(f"{server.base}/ready", timeout=30)
        finally:
            owner.execute("UPDATE alembic_version SET version_num = %s", (revision,))
    assert ready.status_code == 503
    body = ready.json()
    assert body["failed"] == ["migrations"]
    assert revision in body["checks"]["migrations"] and previous in body["checks"]["migrations"]
    assert body["checks"]["database"] == "ok"
    assert httpx.get(f"{server.base}/ready", timeout=30).status_code == 200

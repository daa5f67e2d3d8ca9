"""``GET /metrics``: Prometheus's text format, whose counters move by exactly what the
requests made here caused — requests by route template and status, change sets committed
and refused, the rule's check at commit, the tile cache and the search index — whose
ledger head is the database's own, whose ages of the last digest and backup are the
database's records, and whose pool figures are the pool's settings; closed to all but
auditors and admins with ``PARKS_METRICS_NEED_TOKEN``; and, served by ``parks serve
--workers 2``, the sum of every worker's counts."""

from __future__ import annotations

import concurrent.futures
import json
import math
import os
import subprocess
import sys
import time
import urllib.request
from collections import defaultdict
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, pool, text
from support_changes import change_set, find_parcels, rezone_op
from support_roles import owner_url
from support_server import free_port

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
POOL_SIZE, POOL_OVERFLOW = 3, 2


def _sql(url: str, query: str, **params):
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(query), params)
            return result.all() if result.returns_rows else None
    finally:
        engine.dispose()


def parse(body: str) -> dict[tuple[str, tuple], float]:
    """Every sample of a scrape: (name, sorted labels) -> value."""
    samples = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def requests(samples: dict, method: str, route: str, status: int) -> float:
    return value(
        samples, "parks_http_requests_total", method=method, route=route, status=str(status)
    )


@pytest.fixture(scope="module")
def url(databases, loaded_template) -> str:
    """A copy of the sample of this module's own: its tests commit."""
    from support_roles import app_url

    return app_url(databases.create(template=loaded_template))


@pytest.fixture
def client(url, make_client):
    return make_client(url, db_pool_size=POOL_SIZE, db_pool_overflow=POOL_OVERFLOW)


def scrape(client, **headers) -> dict:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    return parse(response.text)


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    rad = math.radians(lat)
    return int((lon + 180) / 360 * n), int(
        (1 - math.log(math.tan(rad) + 1 / math.cos(rad)) / math.pi) / 2 * n
    )


def test_the_counters_move_by_exactly_the_requests_and_change_sets_made(url, client, make_token):
    admin = make_token(url, "admin")
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as conn:
        (loser,) = find_parcels(conn, "v.land_use_code = '0601'", limit=1)
        (gainer,) = find_parcels(conn, "v.land_use_code LIKE '07%'", limit=1)
    engine.dispose()
    before = scrape(client)

    for _ in range(3):
        assert client.get("/api/parks").status_code == 200
    for code in ("NO-SUCH-1", "NO-SUCH-2"):
        assert client.get(f"/api/parcels/{code}/history").status_code == 404
    for n in range(4):  # unknown paths: one label value, however many paths
        assert client.get(f"/no/such/{n}").status_code == 404
    for method in ("PROPFIND", "BREW"):  # unknown methods: one label value too
        assert client.request(method, "/api/parks").status_code == 405
    refused = client.post(
        "/api/change-sets", json=change_set("rezone", rezone_op(loser, "0701")), headers=admin
    )
    assert refused.status_code == 409, refused.text
    committed = client.post(
        "/api/change-sets", json=change_set("rezone", rezone_op(gainer, "0601")), headers=admin
    )
    assert committed.status_code == 201, committed.text

    after = scrape(client)

    def moved(name: str, **labels) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    def requests_moved(method: str, route: str, status: int) -> float:
        return requests(after, method, route, status) - requests(before, method, route, status)

    assert requests_moved("GET", "/api/parks", 200) == 3
    assert requests_moved("GET", "/api/parcels/{parcel_code}/history", 404) == 2
    assert requests_moved("GET", "unmatched", 404) == 4
    assert requests_moved("other", "/api/parks", 405) == 2
    assert requests_moved("POST", "/api/change-sets", 409) == 1
    assert requests_moved("POST", "/api/change-sets", 201) == 1
    # The scrape before this one is counted too (a scrape is counted once it is answered).
    assert requests_moved("GET", "/metrics", 200) == 1
    assert not any("/no/such" in dict(labels).get("route", "") for _, labels in after)
    assert moved("parks_http_request_duration_seconds_count", method="GET", route="/api/parks") == 3

    assert moved("parks_change_sets_committed_total") == 1
    assert moved("parks_change_sets_refused_total", reason="manufacturing_land_would_decrease") == 1
    # Only the committed change set reached COMMIT (the refused one was judged before it).
    assert moved("parks_rule_check_seconds_count") == 1
    assert moved("parks_rule_check_seconds_sum") > 0

    (seq,) = _sql(url, "SELECT max(seq) FROM ledger")[0]
    assert value(after, "parks_ledger_head_seq") == seq
    assert committed.json()["ledger_seq"] == seq
    assert value(after, "parks_metrics_database_up") == 1


def test_the_ages_of_the_last_digest_and_backup_are_the_databases_records(url, client):
    before = scrape(client)
    # None taken in the sample: infinitely old.
    assert value(before, "parks_last_digest_age_seconds") == math.inf
    assert value(before, "parks_last_backup_age_seconds") == math.inf
    _sql(
        url,
        "INSERT INTO ledger_digest (taken_at, seq, hash, key_id, document, signature) "
        "SELECT now() - interval '1 hour', seq, hash, 'k', '{}'::jsonb, 's' "
        "FROM ledger ORDER BY seq DESC LIMIT 1",
    )
    _sql(
        owner_url(url),
        "INSERT INTO backup_record (taken_at, location, dump_sha256, dump_bytes, schema_version) "
        "VALUES (now() - interval '2 hours', '/b', repeat('a', 64), 1, 'x')",
    )
    after = scrape(client)
    assert value(after, "parks_last_digest_age_seconds") == pytest.approx(3600, abs=60)
    assert value(after, "parks_last_backup_age_seconds") == pytest.approx(7200, abs=60)


def test_the_pool_figures_are_the_request_pools(client):
    client.get("/api/parks")
    samples = scrape(client)
    assert value(samples, "parks_db_pool_capacity") == POOL_SIZE + POOL_OVERFLOW
    idle = value(samples, "parks_db_pool_connections", state="idle")
    out = value(samples, "parks_db_pool_connections", state="checked_out")
    overflow = value(samples, "parks_db_pool_connections", state="overflow")
    # Nothing else is served while this scrape is: every opened connection is back.
    assert out == 0 and overflow == 0 and 1 <= idle <= POOL_SIZE


def test_the_tile_cache_and_the_search_index_count_their_hits_and_misses(client):
    x, y = _tile_of(107.59, 34.315, 13)
    path = f"/tiles/parcels/13/{x}/{y}.pbf"
    search = "/api/availability?park=jiangtan&min_area_mu=10"
    before = scrape(client)
    assert client.get(path).status_code == 200
    assert client.get(search).status_code == 200
    middle = scrape(client)
    assert client.get(path).status_code == 200
    assert client.get(search).status_code == 200
    after = scrape(client)

    def moved(a, b, name, result):
        return value(b, name, result=result) - value(a, name, result=result)

    # A tile asked for the first time since the last commit is made, then kept.
    assert moved(before, middle, "parks_tile_cache_lookups_total", "miss") == 1
    assert moved(before, middle, "parks_tile_cache_lookups_total", "hit") == 0
    assert moved(middle, after, "parks_tile_cache_lookups_total", "hit") == 1
    assert moved(middle, after, "parks_tile_cache_lookups_total", "miss") == 0
    # The search index of this database: loaded (or brought up) once, then current.
    assert moved(middle, after, "parks_search_index_lookups_total", "hit") == 1
    assert moved(middle, after, "parks_search_index_lookups_total", "miss") == 0
    assert (
        moved(before, middle, "parks_search_index_lookups_total", "miss")
        + moved(before, middle, "parks_search_index_lookups_total", "hit")
        == 1
    )


def test_with_metrics_needing_a_token_only_auditors_and_admins_may_scrape(
    url, make_client, make_token
):
    client = make_client(url, metrics_need_token=True)
    anonymous = client.get("/metrics")
    assert anonymous.status_code == 401
    assert anonymous.json()["request_id"] == anonymous.headers["x-request-id"]
    assert client.get("/metrics", headers=make_token(url, "viewer")).status_code == 403
    assert client.get("/metrics", headers=make_token(url, "editor")).status_code == 403
    for role in ("auditor", "admin"):
        assert (
            "parks_http_requests_total"
            in client.get("/metrics", headers=make_token(url, role)).text
        )
    assert make_client(url).get("/metrics").status_code == 200  # open by default


# --- several workers ------------------------------------------------------------------------


def _get(url: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Connection": "close"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_parks_serve_with_two_workers_sums_every_workers_counts(url, tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PARKS_", "PROMETHEUS_"))}
    env.update(DATABASE_URL=url, PARKS_HOST="127.0.0.1", PARKS_PORT=str(port))
    env.update(PARKS_DB_POOL_SIZE=str(POOL_SIZE), PARKS_DB_POOL_OVERFLOW=str(POOL_OVERFLOW))
    (tmp_path / "tmp").mkdir()
    env["TMPDIR"] = str(tmp_path / "tmp")  # where parks serve makes the workers' directory
    log_path = tmp_path / "serve.log"
    base = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(Path(sys.executable).with_name("parks")), "serve", "--workers", "2"],
            cwd=ROOT,
            env=env,
            stderr=log,
        )
    try:
        deadline = time.monotonic() + 90
        while len(_started_workers(log_path)) < 2 or _get_or_none(f"{base}/health") != 200:
            assert process.poll() is None and time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.2)
        before = parse(_get(f"{base}/metrics")[1].decode())
        # Until both workers have answered some (the kernel picks who accepts), at most 256.
        made = 0
        with concurrent.futures.ThreadPoolExecutor(8) as threads:
            while made < 256 and len(_access_pids(log_path, "/api/parks")) < 2:
                statuses = list(threads.map(lambda _: _get(f"{base}/api/parks")[0], range(16)))
                assert statuses == [200] * 16
                made += 16
        assert len(_access_pids(log_path, "/api/parks")) == 2, f"one worker answered all {made}"
        # A scrape, whichever worker answers it, sums both workers' counts (a request is
        # counted just after its answer is sent: the last ones may be a moment late).
        seen: list[float] = []
        deadline = time.monotonic() + 10
        while not seen or (seen[-1] != made and time.monotonic() < deadline):
            after = parse(_get(f"{base}/metrics")[1].decode())
            seen.append(
                requests(after, "GET", "/api/parks", 200)
                - requests(before, "GET", "/api/parks", 200)
            )
        assert seen[-1] == made and max(seen) == made, seen
        assert value(after, "parks_db_pool_capacity") == 2 * (POOL_SIZE + POOL_OVERFLOW)
        assert list((tmp_path / "tmp").glob("parks-metrics-*/counter_*.db"))
    finally:
        process.terminate()
        process.wait(timeout=30)
    # The directory the workers shared their counts in is gone with the server.
    assert list((tmp_path / "tmp").iterdir()) == []
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.strip()]
    assert {e["logger"] for e in lines} >= {"uvicorn.error", "parks.access"}


def _get_or_none(url: str) -> int | None:
    try:
        return _get(url)[0]
    except OSError:
        return None


def _started_workers(log_path: Path) -> set[int]:
    return {
        json.loads(line)["pid"]
        for line in log_path.read_text().splitlines()
        if "Application startup complete" in line
    }


def _access_pids(log_path: Path, route: str) -> set[int]:
    pids: dict[int, int] = defaultdict(int)
    for line in log_path.read_text().splitlines():
        if f'"route": "{route}"' in line:
            pids[json.loads(line)["pid"]] += 1
    return set(pids)

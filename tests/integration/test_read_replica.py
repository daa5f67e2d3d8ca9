"""A streaming replica (``scripts/replica.sh``) serves the reads that tolerate a short lag
— map pages, tiles, search, OGC API, exports — and a change committed on the primary is
served from the replica once the replica has replayed it, and never before.

Which database answered is proven by pausing the replica's replay
(``pg_wal_replay_pause()``, as its superuser): a change committed on the primary then is
in the primary and not in the replica, so a read that does not show it came from the
replica, and one that shows it came from the primary. The tile cache (in the primary:
a standby can't write) must not keep a tile made from the replica's older data under the
primary's newer version.

The primary here is a scratch cluster on a free port holding a copy of the session's
loaded sample (``tests/support_cluster.py``; the main cluster holds every test's
databases: a base backup of it costs most of a minute); the replica is made from it by
``scripts/replica.sh start``, as it would be from the main cluster, and removed by
``scripts/replica.sh stop``.
"""

from __future__ import annotations

import math
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import mapbox_vector_tile
import pytest
import support_cluster
import support_reads as sr
from support_server import free_port

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
REPLICA_SH = ROOT / "scripts" / "replica.sh"
PARK = "caijiapo"
COOKIE = "parks_read_after"


def _as_postgres(*command: str) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else list(command)


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, timeout=120, **kwargs)


def _psql(port: int, query: str, *, db: str = "postgres") -> str:
    """One query as the cluster's superuser (the local socket, peer authentication)."""
    psql = ["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-p", str(port), "-d", db]
    done = _run(_as_postgres(*psql, "-c", query))
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _replica_sh(*args: str) -> subprocess.CompletedProcess:
    return _run(["bash", str(REPLICA_SH), *args])


@dataclass
class Pair:
    """A scratch primary and its streaming replica, each with the database ``parks``."""

    major: str
    primary_port: int
    replica_port: int

    def url(self, port: int) -> str:
        return f"postgresql+psycopg://parks_app@127.0.0.1:{port}/parks"

    @property
    def primary_url(self) -> str:
        return self.url(self.primary_port)

    @property
    def replica_url(self) -> str:
        return self.url(self.replica_port)

    def primary(self, query: str) -> str:
        return _psql(self.primary_port, query, db="parks")

    def replica(self, query: str) -> str:
        return _psql(self.replica_port, query, db="parks")

    def ledger_seq(self, port: int) -> int:
        return int(_psql(port, "SELECT last_seq FROM ledger_head", db="parks"))

    def wait_replayed(self, timeout_s: float = 15) -> None:
        """Until the replica has replayed everything the primary had written when asked."""
        target = self.primary("SELECT pg_current_wal_lsn()")
        deadline = time.monotonic() + timeout_s
        query = f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"
        while self.replica(query) != "t":
            assert time.monotonic() < deadline, "the replica did not catch up"
            time.sleep(0.05)

    def pause(self) -> None:
        self.replica("SELECT pg_wal_replay_pause()")
        deadline = time.monotonic() + 10
        while self.replica("SELECT pg_get_wal_replay_pause_state()") != "paused":
            assert time.monotonic() < deadline, "replay did not pause"
            time.sleep(0.02)

    def resume(self) -> None:
        self.replica("SELECT pg_wal_replay_resume()")


@pytest.fixture(scope="module")
def pair(loaded_template: str) -> Iterator[Pair]:
    """A scratch primary holding a copy of the loaded sample (``support_cluster``) and
    ``scripts/replica.sh start``'s replica of it; both removed afterwards."""
    why_not = support_cluster.available()
    if why_not:
        pytest.skip(why_not)
    with support_cluster.scratch_cluster(loaded_template) as primary:
        pair = Pair(primary.version, primary.port, free_port())
        try:
            started = _replica_sh(
                "start",
                "--port",
                str(pair.replica_port),
                "--primary-port",
                str(pair.primary_port),
                "--no-sync",
            )
            assert started.returncode == 0, started.stdout + started.stderr
            yield pair
        finally:
            _replica_sh("stop", "--port", str(pair.replica_port))


# --- what the reads show ------------------------------------------------------------------


def _tile_path(feature: dict, z: int) -> str:
    lon, lat = feature["geometry"]["coordinates"][0][0][0]
    n = 2**z
    x = int((lon + 180) / 360 * n)
    rad = math.radians(lat)
    y = int((1 - math.log(math.tan(rad) + 1 / math.cos(rad)) / math.pi) / 2 * n)
    return f"/tiles/parcels/{z}/{x}/{y}.pbf"


def _tile_codes(client, path: str, **kwargs) -> set[str]:
    response = client.get(path, **kwargs)
    assert response.status_code == 200, response.text
    decoded = mapbox_vector_tile.decode(response.content, default_options={"y_coord_down": True})
    return {f["properties"]["parcel_code"] for f in decoded.get("parcels", {}).get("features", [])}


def _sees(client, parcel: dict, *, tile_z: int) -> dict[str, bool]:
    """Whether each lag-tolerant read shows *parcel* standing: its tile, the map's search,
    the availability search, the OGC API item and the export."""
    code, props = parcel["id"], parcel["properties"]
    search = client.get("/map/search", params={"q": code, "park": PARK})
    available = client.get(
        "/api/availability",
        params={
            "park": PARK,
            "land_use": props["land_use_code"],
            "status": props["status"],
            "limit": 1000,
        },
    )
    item = client.get(f"/ogc/collections/parcels/items/{code}")
    export = client.get("/api/export", params={"format": "csv", "park": PARK})
    assert search.status_code == available.status_code == export.status_code == 200
    assert item.status_code in (200, 404)
    return {
        "tile": code in _tile_codes(client, _tile_path(parcel, tile_z)),
        "search": code in {hit["code"] for hit in search.json()},
        "availability": code
        in {f["properties"].get("parcel_code") for f in available.json()["features"]},
        "ogc": item.status_code == 200,
        "export": f"{code}," in export.text or f'"{code}"' in export.text,
    }


def _standing_everywhere(seen: dict[str, bool]) -> bool:
    assert len(set(seen.values())) == 1, f"the reads disagree: {seen}"
    return next(iter(seen.values()))


def _retirable(client, *, taken: set[str]) -> dict:
    """A standing parcel of the park that is available (reserve/ready), no manufacturing
    land (the rule lets it be retired) and no key project's, as the API gives it."""
    used = {c for codes in sr.layer("projects")["parcel_codes"] for c in codes.split(",")}
    page = client.get(
        "/api/parcels", params={"park": PARK, "status": "reserve,ready", "limit": 1000}
    )
    return next(
        f
        for f in page.json()["features"]
        if not f["properties"]["is_manufacturing"] and f["id"] not in used | taken
    )


def _retire(client, code: str, headers: dict):
    change = {
        "kind": "retire",
        "reason": "replica test",
        "operations": [{"op": "retire", "parcel_code": code}],
    }
    response = client.post("/api/change-sets", json=change, headers=headers)
    assert response.status_code == 201, response.text
    return response


def _tile_cache_seqs(pair: Pair, path: str) -> set[int]:
    """The ledger sequences the primary's tile cache keeps the tile at *path* under."""
    _, _, _, z, x, y = path.removesuffix(".pbf").split("/")
    rows = _psql(
        pair.primary_port,
        f"SELECT ledger_seq FROM tile_cache WHERE layer = 'parcels' AND park = '' "
        f"AND z = {int(z)} AND x = {int(x)} AND y = {int(y)}",
        db="parks",
    )
    return {int(v) for v in rows.split()}


_taken: set[str] = set()


# --- the tests ------------------------------------------------------------------------------


def test_a_commit_is_served_from_the_replica_only_once_it_has_replayed(
    pair, make_client, make_token
):
    settings = {"read_database_url": pair.replica_url, "read_max_lag_s": 60}
    reader = make_client(pair.primary_url, **settings)
    writer = make_client(pair.primary_url, **settings)  # its own cookies
    admin = make_token(pair.primary_url, "admin")
    parcel = _retirable(reader, taken=_taken)
    _taken.add(parcel["id"])
    assert _standing_everywhere(_sees(reader, parcel, tile_z=16))
    pair.wait_replayed()
    before = pair.ledger_seq(pair.replica_port)

    pair.pause()
    try:
        answer = _retire(writer, parcel["id"], admin)
        assert answer.cookies.get(COOKIE)
        after = pair.ledger_seq(pair.primary_port)
        assert after == before + 1 and pair.ledger_seq(pair.replica_port) == before
        # Every lag-tolerant read still shows the parcel: the replica answered.
        assert _standing_everywhere(_sees(reader, parcel, tile_z=15))
        # The z15 tile was made just now, on the replica: kept under the version the
        # replica had replayed, and nothing is kept under the primary's newer one.
        z15 = _tile_path(parcel, 15)
        assert _tile_cache_seqs(pair, z15) == {before}
        assert pair.primary(f"SELECT count(*) FROM tile_cache WHERE ledger_seq = {after}") == "0"
        # The writer reads its own change at once: from the primary.
        assert not _standing_everywhere(_sees(writer, parcel, tile_z=15))
        assert after in _tile_cache_seqs(pair, z15)
        # ... while everyone else still reads the replica.
        assert _standing_everywhere(_sees(reader, parcel, tile_z=14))
    finally:
        pair.resume()

    pair.wait_replayed()
    assert pair.ledger_seq(pair.replica_port) == after
    assert reader.app.state.replica_guard.state().usable  # (and the reader has no cookie)
    assert reader.get("/ready").json()["replica"].startswith("serving reads")
    for z in (14, 15, 16):
        assert not _standing_everywhere(_sees(reader, parcel, tile_z=z))


def test_a_replica_further_behind_than_the_limit_serves_no_reads(pair, make_client, make_token):
    settings = {"read_database_url": pair.replica_url, "read_max_lag_s": 1}
    reader = make_client(pair.primary_url, **settings)
    writer = make_client(pair.primary_url, **settings)
    admin = make_token(pair.primary_url, "admin")
    guard = reader.app.state.replica_guard
    parcel = _retirable(reader, taken=_taken)
    _taken.add(parcel["id"])
    tile = _tile_path(parcel, 16)
    pair.wait_replayed()
    assert parcel["id"] in _tile_codes(reader, tile)
    assert guard.state().usable

    pair.pause()
    try:
        _retire(writer, parcel["id"], admin)
        assert parcel["id"] in _tile_codes(reader, tile)  # within the limit: the replica
        time.sleep(1.5)  # now more than a second behind, and the last check a second old
        assert parcel["id"] not in _tile_codes(reader, tile)  # the primary answered
        state = guard.state()
        assert not state.usable and state.lag_s > 1, state
        # Still ready (its reads go to the primary), and /ready says why.
        ready = reader.get("/ready", headers=admin)
        assert ready.status_code == 200, ready.text
        assert ready.json()["replica"].startswith("not serving reads"), ready.json()
    finally:
        pair.resume()
    pair.wait_replayed()
    time.sleep(guard.check_every_s)
    assert guard.state().usable and guard.state().lag_s < 1


def test_an_unreachable_replica_sends_the_reads_to_the_primary(pair, make_client):
    nowhere = f"postgresql+psycopg://parks_app@127.0.0.1:{free_port()}/parks"
    client = make_client(pair.primary_url, read_database_url=nowhere)
    parcel = _retirable(client, taken=set())
    assert _standing_everywhere(_sees(client, parcel, tile_z=16))
    state = client.app.state.replica_guard.state()
    assert not state.usable and state.reason.startswith("unreachable")
    ready = client.get("/ready")
    assert ready.status_code == 200 and "unreachable" in ready.json()["replica"], ready.text


def test_replica_sh_start_is_idempotent_and_stop_removes_everything(pair):
    again = _replica_sh(
        "start", "--port", str(pair.replica_port), "--primary-port", str(pair.primary_port)
    )
    assert again.returncode == 0 and "already runs" in again.stdout, again.stderr
    status = _replica_sh(
        "status", "--port", str(pair.replica_port), "--primary-port", str(pair.primary_port)
    )
    assert status.returncode == 0 and "in recovery t" in status.stdout, status.stderr
    name = f"parks_replica_{pair.replica_port}"
    assert (
        pair.primary(f"SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{name}'") == "1"
    )

    stopped = _replica_sh("stop", "--port", str(pair.replica_port))
    assert stopped.returncode == 0, stopped.stderr
    assert name not in _run(["pg_lsclusters"]).stdout
    assert not Path(f"/var/lib/postgresql/{pair.major}/{name}").exists()
    assert not Path(f"/etc/postgresql/{pair.major}/{name}").exists()
    assert (
        pair.primary(f"SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{name}'") == "0"
    )
    assert _replica_sh("status", "--port", str(pair.replica_port)).returncode == 3
    assert _replica_sh("stop", "--port", str(pair.replica_port)).returncode == 0

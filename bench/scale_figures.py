"""The figures behind docs/scale.md: one city grown to 1,000,000 parcel versions, served by
a primary and a streaming replica made by ``scripts/replica.sh``.

1. **Size** at 1,000,000 versions: the database, ``parcel_version`` (heap, indexes,
   TOAST), the ledger and the totals' effects; bytes per version — what a province's
   10,000,000 versions come to, extrapolated linearly.
2. **Copying it**: ``pg_dump | pg_restore`` into another server, and the replica's base
   backup of that server (``scripts/replica.sh start``), each timed.
3. **Writes with a replica following**: change sets per second from 1 and from 8 writers
   (``apply_change_set`` in-process as the service's role: set_status and compensated
   rezoning pairs, as part ``rule``), the WAL each change set writes, and the replica's
   replay lag while they run — as the primary reports it (``pg_stat_replication``, sampled
   every 0.2 s) and as the service's guard estimates it (``service.db.replica``).
4. **Reads on the replica** (the app in-process, ``PARKS_READ_DATABASE_URL`` set): z14
   parcel tiles made on the replica vs on the primary (tile cache off), a cached tile for a
   replica's read (the lookup is in the primary's cache) vs for a primary's, and an OGC API
   items page of 100.

The primary is a scratch cluster (``pg_createcluster`` on a free port, fsync on, trust on
127.0.0.1) holding only this database, so the WAL and the lag are this workload's alone and
the base backup copies this city, not every database of the main cluster; both clusters
are removed at the end. Needs root (``pg_createcluster``, ``runuser``); both clusters run on
this machine's cores, so the replica adds no capacity here — the figures are costs and lags.

Part ``scale`` of ``bench/run.py``; alone:
``.venv/bin/python bench/scale_figures.py`` (100,000 parcels grown to 1,000,000 versions:
about 15 minutes), or ``--sample --versions 20000 --no-write`` for a quick check.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
for _path in (str(BENCH.parent), str(BENCH)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from backup_restore import build  # noqa: E402
from common import BASE_URL, ROOT, Section, free_port, log, percentile  # noqa: E402
from rule_and_change_sets import Parcel, Workload  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

KEY = "scale"
TITLE = "Scale: 1,000,000 parcel versions on a primary and a streaming replica"
TARGET_VERSIONS = 1_000_000
PROVINCE_VERSIONS = 10_000_000
WRITE_SECONDS = 30.0
WRITERS = (1, 8)
SAMPLE_EVERY_S = 0.2
TILES = 100
REPLICA_SH = ROOT / "scripts" / "replica.sh"
MB = 1024 * 1024

SIZES_SQL = """
SELECT pg_database_size(current_database()) AS database,
       pg_relation_size('parcel_version') AS heap,
       pg_indexes_size('parcel_version') AS indexes,
       pg_total_relation_size('parcel_version') AS total,
       (SELECT count(*) FROM parcel_version) AS versions,
       (SELECT count(*) FROM parcel_version WHERE valid_to IS NULL) AS parcels,
       pg_total_relation_size('ledger') AS ledger,
       pg_total_relation_size('totals_effect') AS effects
"""
LAG_SQL = """
SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint,
       extract(epoch FROM replay_lag)::float8
  FROM pg_stat_replication WHERE application_name = %s
"""


# --- scratch clusters -------------------------------------------------------------------------


def _as_postgres(*command: str) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else list(command)


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:6])} …: {done.stdout}{done.stderr}")
    return done


def _psql(port: int, query: str, *, db: str = "postgres") -> str:
    psql = ["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-p", str(port), "-d", db]
    return _run(_as_postgres(*psql, "-c", query)).stdout.strip()


@dataclass
class Scratch:
    """A cluster of this machine's PostgreSQL on a free port with the roles and an empty
    database ``parks`` owned by ``parks_owner``."""

    major: str
    port: int

    @property
    def name(self) -> str:
        return f"parks_scale_{self.port}"

    @classmethod
    def create(cls, main_port: int) -> Scratch:
        major = str(int(_psql(main_port, "SHOW server_version_num")) // 10000)
        scratch = cls(major, free_port())
        _run(
            [
                "pg_createcluster",
                major,
                scratch.name,
                "-p",
                str(scratch.port),
                "--start-conf=manual",
                "-o",
                "ssl=off",
                "-o",
                "shared_buffers=256MB",
                "--",
                "--auth=trust",
            ]
        )
        _run(_as_postgres("pg_ctlcluster", major, scratch.name, "start"))
        for role, attributes in (
            ("parks_owner", "CREATEDB INHERIT"),
            ("parks_app", "NOINHERIT"),
            ("parks_reader", "NOINHERIT"),
            ("parks_auditor", "NOINHERIT"),
        ):
            _psql(scratch.port, f"CREATE ROLE {role} LOGIN {attributes}")
        _psql(scratch.port, "CREATE DATABASE parks OWNER parks_owner TEMPLATE template0")
        return scratch

    def url(self, port: int | None = None, user: str = "parks_app") -> str:
        return f"postgresql+psycopg://{user}@127.0.0.1:{port or self.port}/parks"

    def drop(self) -> None:
        subprocess.run(["pg_dropcluster", "--stop", self.major, self.name], capture_output=True)


def copy_into(main_port: int, database: str, scratch: Scratch) -> float:
    """*database* of the main cluster into the scratch one (pg_dump | pg_restore), analyzed."""
    started = time.perf_counter()
    dump = subprocess.Popen(
        _as_postgres("pg_dump", "-Fc", "-p", str(main_port), "-d", database),
        stdout=subprocess.PIPE,
    )
    restore = subprocess.run(
        _as_postgres("pg_restore", "--exit-on-error", "-p", str(scratch.port), "-d", "parks"),
        stdin=dump.stdout,
        capture_output=True,
        text=True,
    )
    dump.wait()
    if dump.returncode or restore.returncode:
        raise RuntimeError(f"copying {database} failed: {restore.stderr}")
    _psql(scratch.port, "VACUUM (ANALYZE)", db="parks")
    return time.perf_counter() - started


def replica(action: str, *args: str) -> float:
    started = time.perf_counter()
    _run(["bash", str(REPLICA_SH), action, *args])
    return time.perf_counter() - started


# --- what is measured -------------------------------------------------------------------------


def sizes(scratch: Scratch) -> dict[str, int]:
    import psycopg

    with psycopg.connect(scratch.url(user="postgres").replace("+psycopg", "")) as conn:
        row = conn.execute(SIZES_SQL).fetchone()
    names = ("database", "heap", "indexes", "total", "versions", "parcels", "ledger", "effects")
    return dict(zip(names, (int(v) for v in row), strict=True))


def _workloads(url: str, writers: int, seed: int) -> list[Workload]:
    """One model of the parcels per writer, over disjoint parcels: writers never meet."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT parcel_code, park, land_use_code, status, area_m2 FROM "
                    "parcel_version WHERE valid_to IS NULL ORDER BY md5(parcel_code)"
                )
            ).all()
            manufacturing = set(
                conn.execute(text("SELECT code FROM land_use_class WHERE is_manufacturing"))
                .scalars()
                .all()
            )
    finally:
        engine.dispose()
    parcels = [Parcel(*r) for r in rows]
    return [
        Workload(parcels[i::writers], manufacturing, random.Random(seed + i))
        for i in range(writers)
    ]


def writes(scratch: Scratch, replica_port: int, writers: int) -> dict[str, Any]:
    """*writers* threads applying change sets for WRITE_SECONDS while the lag is sampled."""
    import psycopg

    from parks.operations import ChangeSetRequest
    from service.changes.apply import apply_change_set
    from service.db.engine import make_engine
    from service.db.replica import ReplicaGuard

    primary_url = scratch.url()
    engine = make_engine(primary_url, pool_size=writers, max_overflow=0)
    guard = ReplicaGuard(
        primary_url=primary_url,
        replica_url=scratch.url(replica_port),
        max_lag_s=30,
        check_every_s=SAMPLE_EVERY_S,
    )
    superuser = psycopg.connect(
        scratch.url(user="postgres").replace("+psycopg", ""), autocommit=True
    )
    name = f"parks_replica_{replica_port}"
    done, failed, latencies = [0], [0], []
    lock = threading.Lock()
    stop = threading.Event()
    lag_s, behind, guess_s = [], [], []

    def write(workload: Workload) -> None:
        while not stop.is_set():
            _kind, body = workload.next()
            started = time.perf_counter()
            try:
                apply_change_set(
                    engine,
                    ChangeSetRequest.model_validate(body),
                    actor="bench scale",
                    storage_srid=4545,
                )
            except Exception:  # counted: a refusal here would be the bench's own mistake
                with lock:
                    failed[0] += 1
                continue
            with lock:
                done[0] += 1
                latencies.append(time.perf_counter() - started)

    def sample() -> None:
        while not stop.is_set():
            row = superuser.execute(LAG_SQL, (name,)).fetchone()
            if row is not None:
                behind.append(row[0] or 0)
                lag_s.append(row[1] or 0.0)
            state = guard.state()
            if state.lag_s is not None:
                guess_s.append(state.lag_s)
            time.sleep(SAMPLE_EVERY_S)

    wal_start = superuser.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
    threads = [
        threading.Thread(target=write, args=(w,)) for w in _workloads(primary_url, writers, 7)
    ]
    threads.append(threading.Thread(target=sample))
    started = time.perf_counter()
    for t in threads:
        t.start()
    time.sleep(WRITE_SECONDS)
    stop.set()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    wal_end = superuser.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
    wal = int(
        superuser.execute("SELECT pg_wal_lsn_diff(%s, %s)", (wal_end, wal_start)).fetchone()[0]
    )
    superuser.close()
    guard.dispose()
    engine.dispose()
    return {
        "writers": writers,
        "change_sets": done[0],
        "failed": failed[0],
        "per_s": done[0] / elapsed,
        "latency_p50": percentile(latencies, 50) if latencies else math.nan,
        "wal_per_change_set": wal / max(done[0], 1),
        "wal_per_s": wal / elapsed,
        "lag": _spread(lag_s),
        "behind": _spread([float(b) for b in behind]),
        "guess": _spread(guess_s),
    }


def _spread(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50": math.nan, "p99": math.nan, "max": math.nan, "n": 0}
    return {
        "p50": percentile(values, 50),
        "p99": percentile(values, 99),
        "max": max(values),
        "n": len(values),
    }


def reads(scratch: Scratch, replica_port: int) -> dict[str, Any]:
    """p50 of z14 tiles made (cache off), cached tiles and an OGC page, read through the
    replica and through the primary."""
    from fastapi.testclient import TestClient
    from sqlalchemy import create_engine, text

    from service.api.app import create_app
    from service.settings import Settings

    engine = create_engine(scratch.url())
    with engine.connect() as conn:
        points = conn.execute(
            text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform(ST_PointOnSurface(geom), "
                "4326) AS p FROM parcel_version WHERE valid_to IS NULL "
                "ORDER BY md5(parcel_code) LIMIT :n) s"
            ),
            {"n": TILES},
        ).all()
    engine.dispose()
    paths = sorted({_tile_path(lon, lat, 14) for lon, lat in points})
    out: dict[str, Any] = {"tiles": len(paths)}
    for label, read_url in (("replica", scratch.url(replica_port)), ("primary", None)):
        for cache_mb in (0, 256):
            settings = Settings(
                database_url=scratch.url(),
                read_database_url=read_url,
                tile_cache_max_mb=cache_mb,
                read_max_lag_s=30,
            )
            with TestClient(create_app(settings)) as client:
                client.get("/health")
                made = [_timed_get(client, p) for p in paths]
                if cache_mb:
                    out[f"{label}_cached"] = statistics.median(
                        [_timed_get(client, p) for p in paths]
                    )
                else:
                    out[f"{label}_made"] = statistics.median(made)
                    ogc = [
                        _timed_get(client, "/ogc/collections/parcels/items?limit=100")
                        for _ in range(20)
                    ]
                    out[f"{label}_ogc"] = statistics.median(ogc)
    return out


def _tile_path(lon: float, lat: float, z: int) -> str:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    rad = math.radians(lat)
    y = int((1 - math.log(math.tan(rad) + 1 / math.cos(rad)) / math.pi) / 2 * n)
    return f"/tiles/parcels/{z}/{x}/{y}.pbf"


def _timed_get(client, path: str) -> float:
    started = time.perf_counter()
    response = client.get(path)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"GET {path}: {response.status_code} {response.text[:200]}")
    return elapsed


# --- the part ---------------------------------------------------------------------------------


def measure(database: str, built_by: str) -> dict[str, Any]:
    """Everything above, for *database* (of the main cluster, already grown)."""
    main_port = make_url(BASE_URL).port or 5432
    results: dict[str, Any] = {"built_by": built_by}
    scratch = Scratch.create(main_port)
    replica_port = free_port()
    try:
        log(f"copying {database} into scratch cluster {scratch.name}")
        results["copy_s"] = copy_into(main_port, database, scratch)
        results["sizes"] = sizes(scratch)
        log("starting the replica (scripts/replica.sh start)")
        results["replica_start_s"] = replica(
            "start", "--port", str(replica_port), "--primary-port", str(scratch.port)
        )
        results["writes"] = []
        for writers in WRITERS:
            log(f"{writers} writer(s) for {WRITE_SECONDS:.0f} s, the replica following")
            results["writes"].append(writes(scratch, replica_port, writers))
        log("reads through the replica and through the primary")
        results["reads"] = reads(scratch, replica_port)
    finally:
        replica("stop", "--port", str(replica_port))
        scratch.drop()
    return results


def _mb(n: float) -> str:
    return f"{n / MB:,.0f} MB"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def section(r: dict[str, Any]) -> Section:
    s = Section(KEY, TITLE)
    z = r["sizes"]
    per_version = z["total"] / max(z["versions"], 1)
    s.add(
        "data: standing parcels; parcel versions",
        f"{z['parcels']:,}; {z['versions']:,} ({r['built_by']})",
    )
    s.add(
        "size: database; parcel_version (heap + indexes + TOAST); its indexes",
        f"{_mb(z['database'])}; {_mb(z['total'])}; {_mb(z['indexes'])}",
    )
    s.add("size: ledger; totals' effects", f"{_mb(z['ledger'])}; {_mb(z['effects'])}")
    s.add("parcel_version per version (all of it)", f"{per_version:,.0f} bytes")
    s.add(
        f"extrapolated: parcel_version at {PROVINCE_VERSIONS:,} versions (linear)",
        _mb(per_version * PROVINCE_VERSIONS),
    )
    s.add(
        "copy to another server: pg_dump | pg_restore, then VACUUM (ANALYZE)",
        f"{r['copy_s']:.0f} s",
    )
    s.add(
        "a streaming replica of it: scripts/replica.sh start (base backup, start, ready)",
        f"{r['replica_start_s']:.0f} s",
    )
    for w in r["writes"]:
        lag, guess, behind = w["lag"], w["guess"], w["behind"]
        s.add(
            f"{w['writers']} writer(s): change sets per second; p50 latency; failures",
            f"{w['per_s']:.1f} /s; {_ms(w['latency_p50'])}; {w['failed']}",
        )
        s.add(
            f"{w['writers']} writer(s): WAL per change set; WAL per second",
            f"{w['wal_per_change_set'] / 1024:,.1f} kB; {w['wal_per_s'] / MB:.2f} MB/s",
        )
        s.add(
            f"{w['writers']} writer(s): replay lag (pg_stat_replication) p50 / p99 / max",
            f"{_ms(lag['p50'])} / {_ms(lag['p99'])} / {_ms(lag['max'])} "
            f"({lag['n']} samples; at most {behind['max'] / 1024:,.0f} kB behind)",
        )
        s.add(
            f"{w['writers']} writer(s): the service's estimate of the lag p50 / p99 / max",
            f"{_ms(guess['p50'])} / {_ms(guess['p99'])} / {_ms(guess['max'])}",
        )
    d = r["reads"]
    s.add(
        f"z14 parcel tile made (cache off), p50 of {d['tiles']}: on the replica / on the primary",
        f"{_ms(d['replica_made'])} / {_ms(d['primary_made'])}",
    )
    s.add(
        "z14 tile from the cache, p50: a replica's read (lookup in the primary) / a primary's",
        f"{_ms(d['replica_cached'])} / {_ms(d['primary_cached'])}",
    )
    s.add(
        "OGC API items, limit 100, p50 of 20: from the replica / from the primary",
        f"{_ms(d['replica_ogc'])} / {_ms(d['primary_ogc'])}",
    )
    s.details += [
        "The primary is a scratch cluster holding only this database (fsync on); the "
        "replica streams from it through a slot (`scripts/replica.sh`). Both run on this "
        "machine's cores beside the bench, so the replica adds no capacity here: the "
        "figures are what a replica costs and how far it trails. Writers apply change sets "
        "in-process as the service's role (`apply_change_set`), each over its own parcels.",
        "",
    ]
    return s


def run(ws) -> Section:
    """bench/run.py's entry: the 100k database grown to 1,000,000 versions, measured."""
    name, data = build(ws, versions=TARGET_VERSIONS, sample=False)  # part backup's, if run
    return section(measure(name, data.built_by))


def main(argv: list[str] | None = None) -> int:
    import common

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=TARGET_VERSIONS)
    parser.add_argument("--sample", action="store_true", help="grow the sample, not 100,000")
    parser.add_argument("--no-write", action="store_true", help="print, don't touch RESULTS.md")
    args = parser.parse_args(argv)
    started = time.time()
    load_before = common.load_average()
    dbs = common.Databases()
    try:
        ws = common.Workspace(dbs)
        name, data = build(ws, versions=args.versions, sample=args.sample)
        results = measure(name, data.built_by)
        machine = common.machine(name)
    finally:
        dbs.drop_all()
    result = section(results)
    common.publish_standalone(
        result,
        key=KEY,
        machine=machine,
        started=started,
        load_before=load_before,
        write=not args.no_write,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

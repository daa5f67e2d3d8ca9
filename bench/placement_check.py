"""What the database's placement check costs a change set at ~100,000 parcels.

At COMMIT the rule's check (``rule_commit_check``, service/db/sql/rule.sql) first runs
``parcel_placement_check(change_set, tolerance)``: every standing version the change set
made is probed against the other standing versions (the partial GiST index of current
geometries) and its park's boundary. Here, on a copy of the ~100,000-parcel database:

1. 200 change sets, each reshaping one non-manufacturing parcel (its boundary moved 0.3 m
   inward, EPSG:4545), are applied as the service applies them (``apply_change_set``, as
   the service's role) — their commit latency is reported beside;
2. then the check is run again, by itself, for each of those 200 change sets (the work it
   did at their commits: the same versions, the same neighbours), timed from the client on
   one connection, the way a pooled service connection runs it (its plan cached after the
   first call). Its p50 is what the check adds to a change set.
3. The check over the whole load's change set (~100,000 new versions at once) shows the
   bulk cost per parcel.
"""

from __future__ import annotations

import random
import statistics
import time

import psycopg
import shapely
from common import Section, log, owner_db_url, service_db_url
from shapely import wkb
from sqlalchemy.engine import make_url

TITLE = "Placement in the database: the overlap and containment check per change set"
CHANGE_SETS = 200
INWARD_M = 0.3
TARGET_MS = 2.0
TIMER = """
CREATE FUNCTION bench_placement_check_ms(p_change_set bigint, p_tolerance double precision)
RETURNS double precision LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz := clock_timestamp();
BEGIN
    PERFORM parcel_placement_check(p_change_set, p_tolerance);
    RETURN extract(epoch FROM clock_timestamp() - t0) * 1000;
END $$
"""


def _dsn(url: str) -> str:
    u = make_url(url)
    return f"host={u.host} port={u.port or 5432} user={u.username} dbname={u.database}"


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _reshapes(database: str) -> list[tuple[str, dict]]:
    """200 non-manufacturing standing parcels (seeded pick), each with its boundary moved
    inward by INWARD_M metres, as GeoJSON in EPSG:4545."""
    with psycopg.connect(_dsn(owner_db_url(database))) as conn:
        rows = conn.execute(
            "SELECT v.parcel_code, ST_AsBinary(v.geom) FROM parcel_version v "
            "JOIN land_use_class c ON c.code = v.land_use_code "
            "WHERE v.valid_to IS NULL AND NOT c.is_manufacturing AND v.area_m2 > 2000 "
            "ORDER BY v.parcel_code"
        ).fetchall()
    picked = random.Random(20261206).sample(rows, min(CHANGE_SETS, len(rows)))
    out = []
    for code, blob in picked:
        geom = shapely.buffer(wkb.loads(bytes(blob)), -INWARD_M, join_style="mitre")
        out.append((code, shapely.geometry.mapping(geom)))
    return out


def run(ws) -> Section:
    from parks.operations import ChangeSetRequest
    from service.changes.apply import apply_change_set
    from service.db.engine import make_engine

    section = Section("placement", TITLE)
    database = ws.dbs.create("placement", template=ws.big_db())
    reshapes = _reshapes(database)
    log(f"placement: applying {len(reshapes)} one-parcel reshapes as the service's role")
    engine = make_engine(service_db_url(database), pool_size=1, max_overflow=0)
    commits_ms: list[float] = []
    change_sets: list[int] = []
    try:
        for code, geometry in reshapes:
            request = ChangeSetRequest.model_validate(
                {
                    "kind": "reshape",
                    "reason": "bench: the placement check's cost",
                    "operations": [
                        {
                            "op": "reshape",
                            "parcel_code": code,
                            "geometry": geometry,
                            "crs": "EPSG:4545",
                        }
                    ],
                }
            )
            start = time.perf_counter()
            applied = apply_change_set(engine, request, actor="bench", storage_srid=4545)
            commits_ms.append((time.perf_counter() - start) * 1000)
            change_sets.append(applied.id)
    finally:
        engine.dispose()

    with psycopg.connect(_dsn(owner_db_url(database)), autocommit=True) as conn:
        tolerance = conn.execute("SELECT tolerance_m2 FROM rule_policy").fetchone()[0]
        # Timed in the server, as the commit runs it (no round trip): a function of the
        # bench's own, in this throwaway copy only.
        conn.execute(TIMER)
        timed_check = "SELECT bench_placement_check_ms(%s, %s)"
        first_ms = conn.execute(timed_check, (change_sets[0], tolerance)).fetchone()[0]
        checks_ms, round_trips_ms = [], []
        for change_set in change_sets:
            start = time.perf_counter()
            checks_ms.append(conn.execute(timed_check, (change_set, tolerance)).fetchone()[0])
            round_trips_ms.append((time.perf_counter() - start) * 1000)
        check = "SELECT parcel_placement_check(%s, %s)"
        load_cs, load_versions = conn.execute(
            "SELECT change_set_id, count(*) FROM parcel_version WHERE valid_to IS NULL "
            "GROUP BY change_set_id ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()
        start = time.perf_counter()
        conn.execute(check, (load_cs, tolerance))
        load_s = time.perf_counter() - start
        parcels = conn.execute(
            "SELECT count(*) FROM parcel_version WHERE valid_to IS NULL"
        ).fetchone()[0]
    ws.dbs.drop(database)

    p50 = statistics.median(checks_ms)
    section.add(
        f"the placement check of one change set (one parcel reshaped) at {parcels:,} parcels: "
        f"p50 (its share of the commit)",
        f"{p50:.2f} ms (p95 {_quantile(checks_ms, 0.95):.2f} ms, max {max(checks_ms):.2f} ms; "
        f"first call on a new connection {first_ms:.1f} ms; with the client's round trip p50 "
        f"{statistics.median(round_trips_ms):.2f} ms; n = {len(checks_ms)})",
        f"<= {TARGET_MS:.0f} ms",
        p50 <= TARGET_MS,
    )
    section.add(
        "commit latency of those change sets, in-process (apply_change_set): p50",
        f"{statistics.median(commits_ms):.1f} ms (p95 {_quantile(commits_ms, 0.95):.1f} ms)",
    )
    section.add(
        f"the check over a whole load's change set ({load_versions:,} new versions at once)",
        f"{load_s:.1f} s ({load_s / load_versions * 1e6:.0f} µs per version)",
    )
    section.details += [
        "Each check is `parcel_placement_check(change_set, tolerance)` on one connection as "
        "the owner, after the 200 change sets committed: the very versions and neighbours "
        "their commits checked, timed in the server with `clock_timestamp()` around it (as "
        "the commit runs it; the client's round trip is given beside). "
        "The change sets were applied by `apply_change_set` on the service's role "
        f"(`parks_app`); each moved one non-manufacturing parcel's boundary {INWARD_M} m "
        "inward, so the check does its full work (a version of an unchanged shape and park "
        "is not judged again).",
    ]
    return section

"""The audit with about 1,000,000 parcel versions.

Goals: ``GET /api/audit/totals`` as of a past moment <= 300 ms (p50), ``GET /api/audit/verify``
<= 10 s.

The data: the run's ~100,000 generated parcels (``common.Workspace.big_db``: generated with
``service.sample.generator.generate`` and loaded by ``service.imports.loader.load_dataset``),
copied, then about 900,000 more versions made by a few hundred change sets written as plain
SQL transactions, each the way the application writes one: take the ledger lock, insert the
change set, close the standing versions it replaces (``valid_to`` = its ``committed_at``,
``ended_by_change_set_id``) and insert their successors (``valid_from`` = its
``committed_at``). Status changes (move no land) alternate with compensated rezones
(industrial parcels rezoned to storage, more storage land rezoned to industry). Every trigger
stays on, so the rule, the ledger and the version fingerprints are all real.

Then, against uvicorn in a subprocess (``common.Server``): totals as of the middle of the
history (p50 of 20 requests after 3 warm-ups, group_by park and park,land_use) and
verification (3 runs), plus EXPLAIN ANALYZE of the queries behind them.

Part of ``bench/run.py`` (``run(ws)``); alone: ``.venv/bin/python bench/audit_as_of.py`` (makes and
drops its own databases), or ``--database NAME`` to time an already built database.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
for _path in (str(BENCH.parent), str(BENCH)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from common import (  # noqa: E402
    Section,
    Server,
    db_url,
    http_client,
    log,
    percentile,
)

KEY = "audit"
TITLE = "The audit with 1,000,000 parcel versions"

TARGET_VERSIONS = 1_000_000
PER_CHANGE_SET = 3_000
TOTALS_REQUESTS = 20
TOTALS_WARMUP = 3
VERIFY_RUNS = 3
GOAL_TOTALS_MS = 300.0
GOAL_VERIFY_S = 10.0

STATUS_CYCLE = ["reserve", "ready", "supplied", "under_construction", "operating", "idle"]

Log = Callable[[str], None]


def _psycopg(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


# --- building the history -----------------------------------------------------------------------


@dataclass
class Build:
    """What was built, and how long it took."""

    parcels: int = 0
    versions: int = 0
    change_sets: int = 0
    ledger_rows: int = 0
    status_change_sets: int = 0
    rezone_change_sets: int = 0
    base_parcels: int = 0
    built_by: str = ""
    per_change_set: int = 0
    history_s: float = 0.0
    first_at: datetime | None = None
    last_at: datetime | None = None
    middle_at: datetime | None = None
    middle_seq: int = 0
    seconds_per_change_set: list[float] = field(default_factory=list)
    autovacuum: str = ""
    vacuum_s: float = 0.0


#: One change set's versions: close the standing version of each listed parcel and insert
#: its successor with the listed class and status, both at the change set's moment.
STEP_SQL = """
WITH target AS (
    SELECT * FROM unnest(%(codes)s::text[], %(classes)s::text[], %(statuses)s::text[])
        AS t(parcel_code, land_use_code, status)
), closed AS (
    UPDATE parcel_version v
       SET valid_to = %(at)s, ended_by_change_set_id = %(cs)s
      FROM target t
     WHERE v.parcel_code = t.parcel_code AND v.valid_to IS NULL
 RETURNING v.parcel_code, v.park, t.land_use_code, t.status, v.holder, v.supply_mode,
           v.supplied_on, v.geom
)
INSERT INTO parcel_version (parcel_code, park, land_use_code, status, holder, supply_mode,
                            supplied_on, geom, valid_from, change_set_id)
SELECT parcel_code, park, land_use_code, status, holder, supply_mode, supplied_on, geom,
       %(at)s, %(cs)s
  FROM closed
"""


class _Rotation:
    """Walks a list round and round, so every parcel gets its turn."""

    def __init__(self, items: list[str]) -> None:
        self.items, self.i = items, 0

    def take(self) -> str:
        item = self.items[self.i % len(self.items)]
        self.i += 1
        return item


def make_history(
    url: str, *, target_versions: int, per_change_set: int, log: Log, build: Build
) -> None:
    """Append change sets until the database holds *target_versions* parcel versions."""
    import psycopg

    with psycopg.connect(_psycopg(url)) as conn:
        rows = conn.execute(
            "SELECT v.parcel_code, v.land_use_code, v.status, v.area_m2, c.is_manufacturing "
            "FROM parcel_version v JOIN land_use_class c ON c.code = v.land_use_code "
            "WHERE v.valid_to IS NULL ORDER BY md5(v.parcel_code)"
        ).fetchall()
        conn.commit()
        state = {code: [cls, status, area, mfg] for code, cls, status, area, mfg in rows}
        everyone = _Rotation([r[0] for r in rows])
        versions = conn.execute("SELECT count(*) FROM parcel_version").fetchone()[0]
        conn.commit()
        n = 0
        started = time.perf_counter()
        while versions < target_versions:
            n += 1
            size = min(per_change_set, target_versions - versions)
            rezone = n % 2 == 0
            codes, classes, statuses = (
                _rezone(state, size) if rezone else _statuses(state, everyone, size)
            )
            t0 = time.perf_counter()
            with conn.transaction():
                conn.execute("SELECT last_seq FROM ledger_head WHERE id FOR UPDATE")
                cs, at = conn.execute(
                    "INSERT INTO change_set (kind, reason, document_no, actor) "
                    "VALUES (%s, %s, %s, 'bench audit') RETURNING id, committed_at",
                    (
                        "rezone" if rezone else "set_status",
                        "benchmark history",
                        f"基准〔2026〕{n}号",
                    ),
                ).fetchone()
                cur = conn.execute(
                    STEP_SQL,
                    {"codes": codes, "classes": classes, "statuses": statuses, "at": at, "cs": cs},
                )
                assert cur.rowcount == len(codes), (cur.rowcount, len(codes))
            build.seconds_per_change_set.append(time.perf_counter() - t0)
            for code, cls, status in zip(codes, classes, statuses, strict=True):
                state[code][0], state[code][1] = cls, status
                state[code][3] = cls == "0601"
            versions += len(codes)
            if rezone:
                build.rezone_change_sets += 1
            else:
                build.status_change_sets += 1
            if n % 25 == 0:
                log(
                    f"{n} change sets, {versions:,} versions, {time.perf_counter() - started:.0f} s"
                )
    build.history_s = time.perf_counter() - started
    build.base_parcels = len(rows)


def _statuses(state, everyone: _Rotation, size: int):
    codes = [everyone.take() for _ in range(size)]
    statuses = [
        STATUS_CYCLE[(STATUS_CYCLE.index(state[c][1]) + 1) % len(STATUS_CYCLE)] for c in codes
    ]
    return codes, [state[c][0] for c in codes], statuses


def _rezone(state, size: int):
    """About size/2 storage-or-other parcels become industrial; industrial parcels holding
    at most 98 % of that area become storage (0604): the city gains, every time."""
    gains = [c for c, s in state.items() if not s[3]][: size // 2]
    gained = sum(state[c][2] for c in gains)
    losses, lost = [], 0.0
    for code, s in state.items():
        if len(losses) >= size - len(gains):
            break
        if s[3] and code not in gains and lost + s[2] <= 0.98 * gained:
            losses.append(code)
            lost += s[2]
    codes = gains + losses
    classes = ["0601"] * len(gains) + ["0604"] * len(losses)
    # rotate the dict so the next rezone picks other parcels
    for code in codes:
        state[code] = state.pop(code)
    return codes, classes, [state[c][1] for c in codes]


def describe(url: str, build: Build) -> None:
    """Counts and the moments of the history (the middle one is where totals are asked)."""
    import psycopg

    with psycopg.connect(_psycopg(url), autocommit=True) as conn:
        # What autovacuum would have done by now (it is off on the bench server): the
        # ~900,000 closed versions leave as many dead row versions behind.
        build.autovacuum = conn.execute("SHOW autovacuum").fetchone()[0]
        t0 = time.perf_counter()
        conn.execute("VACUUM (ANALYZE) parcel_version")
        conn.execute("ANALYZE")
        build.vacuum_s = time.perf_counter() - t0
        build.versions = conn.execute("SELECT count(*) FROM parcel_version").fetchone()[0]
        build.parcels = conn.execute(
            "SELECT count(*) FROM parcel_version WHERE valid_to IS NULL"
        ).fetchone()[0]
        build.change_sets = conn.execute("SELECT count(*) FROM change_set").fetchone()[0]
        build.ledger_rows = conn.execute("SELECT count(*) FROM ledger").fetchone()[0]
        build.first_at, build.last_at = conn.execute(
            "SELECT min(at), max(at) FROM ledger"
        ).fetchone()
        build.middle_seq, middle = conn.execute(
            "SELECT seq, at FROM ledger ORDER BY seq OFFSET (SELECT count(*) / 2 FROM ledger) "
            "LIMIT 1"
        ).fetchone()
        # a moment strictly inside the history, between two change sets
        build.middle_at = middle + timedelta(microseconds=500)


# --- timing through HTTP -------------------------------------------------------------------------


def _stats(samples: list[float]) -> dict[str, float]:
    return {
        "n": len(samples),
        "p50_ms": percentile(samples, 50) * 1000,
        "p95_ms": percentile(samples, 95) * 1000,
        "min_ms": min(samples) * 1000,
        "max_ms": max(samples) * 1000,
    }


def time_totals(base: str, as_of: datetime, group_by: str, n: int) -> dict[str, Any]:
    """*n* timed requests of the totals as of *as_of* (after a few warm-ups)."""
    params = {"as_of": as_of.isoformat(), "group_by": group_by}
    samples = []
    with http_client(base, timeout_s=120) as client:
        for _ in range(TOTALS_WARMUP):
            client.get("/api/audit/totals", params=params).raise_for_status()
        for _ in range(n):
            t0 = time.perf_counter()
            response = client.get("/api/audit/totals", params=params)
            samples.append(time.perf_counter() - t0)
            response.raise_for_status()
    body = response.json()
    return {
        **_stats(samples),
        "rows": len(body["rows"]),
        "parcels": body["city"]["parcels"],
        "manufacturing_m2": body["city"]["manufacturing_m2"],
    }


def time_verify(base: str, runs: int) -> dict[str, Any]:
    samples = []
    with http_client(base, timeout_s=900) as client:
        for _ in range(runs):
            t0 = time.perf_counter()
            response = client.get("/api/audit/verify")
            samples.append(time.perf_counter() - t0)
            response.raise_for_status()
    body = response.json()
    return {
        **_stats(samples),
        "ok": body["ok"],
        "problems": len(body["problems"]),
        "rows_checked": body["rows_checked"],
        "versions_checked": body["versions_checked"],
    }


# --- where the time goes -------------------------------------------------------------------------


def totals_sql(group_by: list[str]) -> str:
    """The statement ``totals_as_of`` runs (built the way it builds it)."""
    from service.audit.queries import GROUP_KEYS
    from service.db.sqlfiles import sql

    keys = [k for g in group_by for k in GROUP_KEYS[g]]
    names = ", ".join(name for name, _ in keys)
    return (
        sql("service.sql", "audit_totals.sql")
        .replace("{select_keys}", "".join(f"{expr} AS {name}, " for name, expr in keys))
        .replace("{group_by}", f"GROUP BY {names}")
        .replace("{order_by}", f"ORDER BY {names}")
        .replace("CAST(:as_of AS timestamptz)", "CAST(%(as_of)s AS timestamptz)")
    )


def explain(url: str, statement: str, params: dict | None = None) -> tuple[float, str]:
    """(execution ms, plan text) of EXPLAIN (ANALYZE, BUFFERS) *statement*."""
    import psycopg

    with psycopg.connect(_psycopg(url)) as conn:
        rows = conn.execute(
            "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement, params or {}
        ).fetchone()[0]
        text_rows = conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, params or {}).fetchall()
    plan = rows[0] if isinstance(rows, list) else json.loads(rows)[0]
    return float(plan["Execution Time"]), "\n".join(r[0] for r in text_rows)


def time_verify_parts(url: str) -> dict[str, float]:
    """Seconds of each step of ``verify`` run in-process (same functions as the endpoint)."""
    from sqlalchemy import text

    from service.audit import verify as v
    from service.db.engine import make_engine
    from service.db.sqlfiles import sql

    engine = make_engine(url)
    parts: dict[str, float] = {}
    try:
        with engine.connect() as conn:
            t0 = time.perf_counter()
            conn.execute(text(sql("service.sql", "audit_recomputed_deltas.sql"))).all()
            parts["recomputed deltas (SQL)"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            conn.execute(text(sql("service.sql", "audit_version_problems.sql"))).all()
            parts["version fingerprints and periods (SQL)"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            conn.execute(text("SELECT count(*) FROM parcel_version")).scalar()
            parts["count of versions (SQL)"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            result = v.verify(conn)
            parts["verify() in-process, total"] = time.perf_counter() - t0
            parts["verify ok"] = float(result.ok)
    finally:
        engine.dispose()
    return parts


# --- the production changes proposed, measured on the same data -----------------------------------

#: Each change set's effect on every (park, class, status) group: what a summary table kept
#: by the rule's statement triggers would hold. Totals as of t are then a sum over the change
#: sets committed by t — cost in proportion to change sets x groups, not to versions.
CS_DELTA_SQL = """
CREATE TABLE bench_audit_cs_delta AS
SELECT change_set_id, park, land_use_code, status, sum(d_parcels)::bigint AS d_parcels,
       sum(d_area_m2) AS d_area_m2
  FROM (SELECT change_set_id, park, land_use_code, status, 1 AS d_parcels,
               area_m2 AS d_area_m2 FROM parcel_version
        UNION ALL
        SELECT ended_by_change_set_id, park, land_use_code, status, -1, -area_m2
          FROM parcel_version WHERE ended_by_change_set_id IS NOT NULL) d
 GROUP BY 1, 2, 3, 4
HAVING sum(d_parcels) <> 0 OR sum(d_area_m2) <> 0;
CREATE INDEX ON bench_audit_cs_delta (change_set_id);
ANALYZE bench_audit_cs_delta
"""

CS_DELTA_TOTALS = """
SELECT d.park, sum(d.d_parcels) AS parcels, sum(d.d_area_m2) AS area_m2,
       coalesce(sum(d.d_area_m2) FILTER (WHERE c.is_manufacturing), 0) AS manufacturing_m2
  FROM bench_audit_cs_delta d
  JOIN change_set s ON s.id = d.change_set_id
  JOIN land_use_class c ON c.code = d.land_use_code
 WHERE s.committed_at <= %(as_of)s
 GROUP BY d.park ORDER BY d.park
"""


def _timed_rows(conn, statement: str, params: dict | None = None, runs: int = 1):
    samples, rows = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        rows = conn.execute(statement, params or {}).fetchall()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples), rows


def probe_fixes(url: str, as_of: datetime) -> dict[str, Any]:
    """Time the proposed fixes on this (throwaway) database: totals from per-change-set
    group deltas; the fingerprint check planned without its LIMIT, and in parallel."""
    import psycopg

    from service.db.sqlfiles import sql

    out: dict[str, Any] = {}
    with psycopg.connect(_psycopg(url), autocommit=True) as conn:
        current_totals = totals_sql(["park"])
        out["totals_as_is_s"], as_is = _timed_rows(conn, current_totals, {"as_of": as_of}, 5)
        t0 = time.perf_counter()
        for statement in CS_DELTA_SQL.split(";"):
            conn.execute(statement)
        out["cs_delta_build_s"] = time.perf_counter() - t0
        out["cs_delta_rows"] = conn.execute("SELECT count(*) FROM bench_audit_cs_delta").fetchone()[
            0
        ]
        out["totals_cs_delta_s"], fast = _timed_rows(conn, CS_DELTA_TOTALS, {"as_of": as_of}, 5)
        out["totals_cs_delta_agree"] = len(fast) == len(as_is) and all(
            a[0] == b[0] and a[1] == b[1] and abs(a[3] - b[3]) <= 0.01
            for a, b in zip(fast, as_is, strict=False)
        )
        conn.execute("DROP TABLE bench_audit_cs_delta")

        problems = sql("service.sql", "audit_version_problems.sql").rstrip().rstrip(";")
        body, _, tail = problems.rpartition("ORDER BY v.version_id")
        unlimited = f"WITH bad AS MATERIALIZED ({body}) SELECT * FROM bad ORDER BY version_id "
        unlimited += tail.strip()
        out["fingerprints_as_is_s"], _ = _timed_rows(conn, problems)
        out["fingerprints_no_limit_plan_s"], _ = _timed_rows(conn, unlimited)
        parallel = conn.execute(
            "SELECT proparallel FROM pg_proc WHERE proname = 'parcel_version_fingerprint'"
        ).fetchone()[0]
        conn.execute("ALTER FUNCTION parcel_version_fingerprint(parcel_version) PARALLEL SAFE")
        try:
            out["fingerprints_parallel_s"], _ = _timed_rows(conn, body)
        finally:
            if parallel != "s":
                conn.execute(
                    "ALTER FUNCTION parcel_version_fingerprint(parcel_version) PARALLEL UNSAFE"
                )
    return out


# --- the whole benchmark --------------------------------------------------------------------------


def _analyze(url: str) -> None:
    """Fresh planner statistics after the bulk load. Without them (autovacuum is off on
    the bench server, and a load does not ANALYZE) the overlap check that
    ``parcel_version_stamp`` (service/db/sql/periods.sql) runs for every inserted version
    is planned as a BitmapAnd with the period GiST index, which matches every standing
    version: ~27 ms per inserted row at 100,000 parcels instead of ~0.05 ms."""
    import psycopg

    with psycopg.connect(_psycopg(url), autocommit=True) as conn:
        conn.execute("ANALYZE")


def build_history(ws, build: Build) -> str:
    """A copy of the run's ~100,000-parcel database grown to TARGET_VERSIONS versions;
    returns its name (the run drops it)."""
    source = ws.big_db()
    build.built_by = ws.big_built_by
    name = ws.dbs.create("audit_1m", template=source)
    build.per_change_set = PER_CHANGE_SET
    _analyze(db_url(name))
    make_history(
        db_url(name),
        target_versions=TARGET_VERSIONS,
        per_change_set=PER_CHANGE_SET,
        log=log,
        build=build,
    )
    return name


def measure(database: str, build: Build) -> dict[str, Any]:
    """Time the audit on *database* (already built)."""
    url = db_url(database)
    describe(url, build)
    log(
        f"{build.versions:,} versions, {build.parcels:,} standing parcels, "
        f"{build.ledger_rows} ledger rows; the middle of the history is {build.middle_at}"
    )
    results: dict[str, Any] = {"build": build, "totals": {}, "explain": {}}
    with Server(database, label="audit-server") as server:
        for group_by in ("park", "park,land_use"):
            results["totals"][group_by] = time_totals(
                server.base_url, build.middle_at, group_by, TOTALS_REQUESTS
            )
            log(f"totals group_by={group_by}: {results['totals'][group_by]}")
        results["totals_now"] = time_totals(
            server.base_url, datetime.now(UTC), "park", TOTALS_REQUESTS
        )
        results["verify"] = time_verify(server.base_url, VERIFY_RUNS)
        log(f"verify: {results['verify']}")
    from service.db.sqlfiles import sql

    results["explain"]["totals"] = explain(url, totals_sql(["park"]), {"as_of": build.middle_at})
    results["explain"]["recomputed_deltas"] = explain(
        url, sql("service.sql", "audit_recomputed_deltas.sql")
    )
    results["explain"]["version_problems"] = explain(
        url, sql("service.sql", "audit_version_problems.sql")
    )
    results["verify_parts"] = time_verify_parts(url)
    results["ledger_at_middle"] = _ledger_total_at(url, build.middle_at)
    try:
        results["probes"] = probe_fixes(url, build.middle_at)
    except Exception as exc:  # the figures above still count
        log(f"audit: probing the fixes failed: {exc!r}")
        results["probes"] = {"error": repr(exc)}
    return results


def _ledger_total_at(url: str, at: datetime) -> float:
    import psycopg

    with psycopg.connect(_psycopg(url)) as conn:
        return float(
            conn.execute(
                "SELECT total_city_m2 FROM ledger WHERE at <= %s ORDER BY seq DESC LIMIT 1", (at,)
            ).fetchone()[0]
        )


def section(results: dict[str, Any]) -> Section:
    """The figures and the Markdown of the audit section."""
    build: Build = results["build"]
    t_park, t_pl = results["totals"]["park"], results["totals"]["park,land_use"]
    verify = results["verify"]
    out = Section(KEY, TITLE)
    out.add(
        "data: parcel versions (standing parcels; change sets; ledger rows)",
        f"{build.versions:,} ({build.parcels:,}; {build.change_sets:,}; {build.ledger_rows:,})",
    )
    out.add(
        "GET /api/audit/totals as of the middle of the history, group_by=park: p50",
        f"{t_park['p50_ms']:.1f} ms",
        f"<= {GOAL_TOTALS_MS:.0f} ms",
        t_park["p50_ms"] <= GOAL_TOTALS_MS,
        note=f"p95 {t_park['p95_ms']:.1f} ms, {t_park['n']} requests",
    )
    out.add(
        "GET /api/audit/totals as of the middle, group_by=park,land_use: p50",
        f"{t_pl['p50_ms']:.1f} ms",
        f"<= {GOAL_TOTALS_MS:.0f} ms",
        t_pl["p50_ms"] <= GOAL_TOTALS_MS,
        note=f"p95 {t_pl['p95_ms']:.1f} ms, {t_pl['n']} requests",
    )
    out.add(
        "GET /api/audit/totals as of now, group_by=park: p50",
        f"{results['totals_now']['p50_ms']:.1f} ms",
    )
    out.add(
        f"GET /api/audit/verify: median of {verify['n']}",
        f"{verify['p50_ms'] / 1000:.2f} s",
        f"<= {GOAL_VERIFY_S:.0f} s",
        verify["p50_ms"] / 1000 <= GOAL_VERIFY_S,
        note=f"{verify['min_ms'] / 1000:.2f}–{verify['max_ms'] / 1000:.2f} s; ok = {verify['ok']}",
    )
    agree = abs(t_park["manufacturing_m2"] - results["ledger_at_middle"]) <= 0.01
    per_cs = build.seconds_per_change_set
    d = out.details
    if per_cs:
        d += [
            f"The data: the run's {build.base_parcels:,}-parcel database (loaded by "
            f"{build.built_by}), copied and grown by "
            f"{build.status_change_sets + build.rezone_change_sets} SQL change sets "
            f"({build.status_change_sets} status changes, {build.rezone_change_sets} compensated "
            f"rezones, up to {build.per_change_set:,} parcels each) in {build.history_s:.0f} s "
            f"(median {statistics.median(per_cs):.2f} s per change set), every trigger on. "
            "The copy is ANALYZEd before the change sets (see the note on "
            "`parcel_version_stamp` below).",
            "",
        ]
    d += [
        f"autovacuum is `{build.autovacuum}` on this server, so before timing the bench runs "
        f"`VACUUM (ANALYZE) parcel_version` and `ANALYZE` ({build.vacuum_s:.0f} s), the state "
        "autovacuum would keep a production database in (the closed versions leave one dead "
        "row version each behind).",
        "",
    ]
    d += [
        f"As of the middle of the history ({build.middle_at.isoformat()}, just after ledger row "
        f"{build.middle_seq}) the totals count {t_park['parcels']:,} parcels and "
        f"{t_park['manufacturing_m2']:,.2f} m² of manufacturing land; the ledger's running "
        f"total at that moment is {results['ledger_at_middle']:,.2f} m² "
        f"({'they agree' if agree else '**they disagree**'}). The verification found "
        f"{verify['problems']} problem(s) in {verify['rows_checked']:,} ledger rows and "
        f"{verify['versions_checked']:,} parcel versions.",
        "",
        "Where the time goes (EXPLAIN ANALYZE, one run each; then the steps of `verify` "
        "in-process):",
        "",
        "| step | time |",
        "|---|---:|",
    ]
    for name, label in (
        ("totals", "totals as of the middle, group_by park (`audit_totals.sql`)"),
        ("recomputed_deltas", "verify: each change set's effect (`audit_recomputed_deltas.sql`)"),
        ("version_problems", "verify: fingerprints and periods (`audit_version_problems.sql`)"),
    ):
        d.append(f"| {label} | {results['explain'][name][0]:,.0f} ms |")
    for name, seconds in results["verify_parts"].items():
        if name != "verify ok":
            d.append(f"| {name} | {seconds:.2f} s |")
    d += [""]
    d += _fix_notes(results, t_park, verify)
    for name, label in (
        ("totals", "the totals query"),
        ("version_problems", "the fingerprint check"),
        ("recomputed_deltas", "the per-change-set deltas"),
    ):
        d += [
            f"<details><summary>Plan of {label}</summary>",
            "",
            "```",
            results["explain"][name][1],
            "```",
            "</details>",
            "",
        ]
    return out


def _fix_notes(results: dict[str, Any], t_park: dict, verify: dict) -> list[str]:
    """What limits each figure and the production change that would fix it, with the
    change measured on this same database."""
    p = results.get("probes", {})
    if "error" in p or not p:
        return [f"(The proposed fixes could not be measured: {p.get('error', 'not run')}.)", ""]
    lines = [
        "**What limits the totals, and the fix.** `service/sql/audit_totals.sql` asks for every "
        "version whose `tstzrange(valid_from, valid_to)` contains the moment. About one version "
        "in ten qualifies and they are spread over the whole table, so PostgreSQL reads all of "
        "it (the plan below: a parallel sequential scan of `parcel_version`); the GiST index "
        "`parcel_version_period` does not help at this selectivity (forcing it was no faster "
        "when tried by hand). The cost grows with the number of versions ever written, not "
        "with the answer. As measured here: the query itself "
        f"{p['totals_as_is_s'] * 1000:.0f} ms (median of 5, in-process), "
        f"{t_park['p50_ms']:.0f} ms through HTTP.",
        "",
        "Proposed change: keep each change set's effect per (park, class, status) in a small "
        "table — `change_set_totals(change_set_id, park, land_use_code, status, d_parcels, "
        "d_area_m2)` — written by the rule's statement-level triggers in "
        "`service/db/sql/rule.sql` (which already see each statement's new and old rows), and "
        "answer `totals_as_of` (`service/audit/queries.py`, `service/sql/audit_totals.sql`) as "
        "the sum over the change sets committed by the moment; `verify` would re-derive the "
        "table from the versions like it re-derives the ledger. Measured on this database "
        f"(the table built from the versions: {p['cs_delta_rows']:,} rows, "
        f"{p['cs_delta_build_s']:.1f} s): the same totals in "
        f"{p['totals_cs_delta_s'] * 1000:.0f} ms, "
        f"{'identical to' if p['totals_cs_delta_agree'] else '**different from**'} the current "
        "query's answer.",
        "",
        "**What limits the verification, and the fix.** Most of `verify` is "
        "`service/sql/audit_version_problems.sql`, which recomputes every version's SHA-256 "
        "fingerprint (that is the point of it). Two things make it slower than it must be: "
        "(1) its `ORDER BY v.version_id LIMIT 1000` makes the planner expect problems "
        "everywhere and walk the primary key with a nested loop per version instead of "
        "scanning the table with hash joins — "
        f"{p['fingerprints_as_is_s']:.2f} s as it is, "
        f"{p['fingerprints_no_limit_plan_s']:.2f} s when the filter runs in a "
        "`WITH bad AS MATERIALIZED (...)` and only the few bad rows are ordered and limited; "
        "(2) `parcel_version_fingerprint` in `service/db/sql/fingerprint.sql` is not declared "
        "`PARALLEL SAFE` (everything it calls is), so no parallel workers are used — declared "
        f"so, the check runs in {p['fingerprints_parallel_s']:.2f} s with "
        "parallel workers. "
        + (
            "The goal is met as it stands; both changes together would cut this step to "
            f"about {p['fingerprints_parallel_s'] / p['fingerprints_as_is_s']:.0%} of its time."
            if verify["p50_ms"] / 1000 <= GOAL_VERIFY_S
            else "With both, the goal would be within reach."
        ),
        "",
        "**Found while building the data: `parcel_version_stamp`'s overlap check.** The "
        "check each inserted version runs (`service/db/sql/periods.sql`, "
        "`tstzrange(o.valid_from, o.valid_to) && tstzrange(NEW.valid_from, NEW.valid_to)` "
        "with `o.parcel_code = NEW.parcel_code`) is planned, while the table's statistics "
        "are stale (right after a bulk load; autovacuum off), as a BitmapAnd of the "
        "`parcel_version_code` btree and the `parcel_version_period` GiST index — and for a "
        "standing version `[t, ∞)` the GiST part matches every standing version. Measured "
        "by hand on the bench database before it was analyzed: 27 ms per inserted row "
        "(149,803 index entries visited) against 0.05 ms after `ANALYZE`; the change sets "
        "of 3,000 parcels took ~25 s each instead of ~1 s. Fix: write the check with plain "
        "comparisons the `(parcel_code, valid_from)` btree serves and the GiST index cannot "
        "(`o.parcel_code = NEW.parcel_code AND o.valid_from < coalesce(NEW.valid_to, "
        "'infinity') AND coalesce(o.valid_to, 'infinity') > NEW.valid_from`), and `ANALYZE "
        "parcel_version` at the end of `service.imports.loader.load_dataset`.",
        "",
    ]
    return lines


def run(ws) -> Section:
    """bench/run.py's entry: build the million-version history, time the audit."""
    build = Build()
    database = build_history(ws, build)
    return section(measure(database, build))


def main(argv: list[str] | None = None) -> int:
    import common

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="time this already built database; build nothing")
    parser.add_argument("--no-write", action="store_true", help="print, don't touch RESULTS.md")
    args = parser.parse_args(argv)
    started = time.time()
    load_before = common.load_average()
    dbs = common.Databases()
    try:
        if args.database:
            build = Build(built_by="(an existing database)")
            result = section(measure(args.database, build))
            machine = common.machine(args.database)
        else:
            ws = common.Workspace(dbs)
            result = run(ws)
            machine = common.machine(ws.big)
    finally:
        dbs.drop_all()
    result.started, result.load_before = started, load_before
    body = result.markdown(machine, common.load_average(), time.time() - started)
    if not args.no_write:
        common.write_section(KEY, body)
    print(body)
    print(json.dumps([f.__dict__ for f in result.figures], ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

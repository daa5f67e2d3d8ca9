"""The audit with about 1,000,000 and then 5,000,000 parcel versions.

Goals: ``GET /api/audit/totals`` as of a past moment <= 300 ms (p50) at 1,000,000 versions
and <= 50 ms at 5,000,000; ``GET /api/audit/verify`` <= 10 s at 1,000,000.

The data: the run's ~100,000 generated parcels (``common.Workspace.big_db``: generated with
``service.sample.generator.generate`` and loaded by ``service.imports.loader.load_dataset``),
copied, then about 900,000 more versions made by a few hundred change sets written as plain
SQL transactions, each the way the application writes one: take the ledger lock, insert the
change set, close the standing versions it replaces (``valid_to`` = its ``committed_at``,
``ended_by_change_set_id``) and insert their successors (``valid_from`` = its
``committed_at``). Status changes (move no land) alternate with compensated rezones
(industrial parcels rezoned to storage, more storage land rezoned to industry). Every trigger
stays on, so the rule, the ledger, the totals effects and the version fingerprints are all
real. Timed there; then the same history grows to 5,000,000 versions the same way, but with
the two per-row triggers of ``parcel_version`` (the history guard and the fingerprint stamp)
switched off and their work done by the writing statement itself (it closes the version it
replaces, and stamps the fingerprint with ``parcel_version_fingerprint``), which about
halves the time a version costs; the statement-level triggers and the commit checks — the
rule, the ledger, the totals effects and their snapshots — stay on, and ``verify`` checks
every fingerprint and period afterwards. The growth stops at ``GROW_BUDGET_S`` if it has not
reached 5,000,000 by then, and is timed where it got.

Then, against uvicorn in a subprocess (``common.Server``), at each size: totals as of the
middle of the history (p50 of 20 requests after 3 warm-ups, group_by park and park,land_use)
and verification, plus EXPLAIN ANALYZE of the queries behind them and the totals query of
before (every version valid then) beside the one of now, in-process.

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
from dataclasses import dataclass, field, replace
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
TITLE = "The audit with 1,000,000 and 5,000,000 parcel versions"

TARGET_VERSIONS = 1_000_000
BIG_VERSIONS = 5_000_000
PER_CHANGE_SET = 3_000
#: The growth from 1,000,000 to 5,000,000 versions stops after this long (s).
GROW_BUDGET_S = 4800.0
TOTALS_REQUESTS = 20
TOTALS_WARMUP = 3
VERIFY_RUNS = 3
VERIFY_RUNS_BIG = 1
GOAL_TOTALS_MS = 300.0
GOAL_TOTALS_BIG_MS = 50.0
GOAL_VERIFY_S = 10.0

STATUS_CYCLE = ["reserve", "ready", "supplied", "under_construction", "operating", "idle"]

Log = Callable[[str], None]


def _psycopg(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


# --- building the history -----------------------------------------------------------------------


@dataclass
class Growth:
    """One stretch of the history's growth: how, how much, how long."""

    label: str
    row_triggers: bool = True
    versions_from: int = 0
    versions_to: int = 0
    status_change_sets: int = 0
    rezone_change_sets: int = 0
    seconds: float = 0.0
    seconds_per_change_set: list[float] = field(default_factory=list)
    stopped_by_budget: bool = False

    @property
    def change_sets(self) -> int:
        return self.status_change_sets + self.rezone_change_sets


@dataclass
class Build:
    """What was built (as it stands when last described), and how long it took."""

    parcels: int = 0
    versions: int = 0
    change_sets: int = 0
    ledger_rows: int = 0
    effect_rows: int = 0
    snapshot_cuts: int = 0
    base_parcels: int = 0
    built_by: str = ""
    per_change_set: int = 0
    first_at: datetime | None = None
    last_at: datetime | None = None
    middle_at: datetime | None = None
    middle_seq: int = 0
    autovacuum: str = ""
    vacuum_s: float = 0.0
    growth: list[Growth] = field(default_factory=list)


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
                            supplied_on, geom, valid_from, change_set_id{stamp_column})
SELECT parcel_code, park, land_use_code, status, holder, supply_mode, supplied_on, geom,
       %(at)s, %(cs)s{stamp}
  FROM closed
"""
#: With the stamp trigger off, the statement stamps the fingerprint itself, with the
#: database's own function over the row as it will be stored.
FINGERPRINT = """,
       parcel_version_fingerprint(jsonb_populate_record(NULL::parcel_version, jsonb_build_object(
           'parcel_code', parcel_code, 'park', park, 'land_use_code', land_use_code,
           'status', status, 'holder', holder, 'supply_mode', supply_mode,
           'supplied_on', supplied_on, 'geom', geom::text,
           'valid_from', %(at)s::timestamptz, 'change_set_id', %(cs)s::bigint)))"""
#: The per-row triggers the fast growth switches off (their work done by the statement).
ROW_TRIGGERS = ("parcel_version_history_guard", "parcel_version_stamp")


def _step_sql(row_triggers: bool) -> str:
    if row_triggers:
        return STEP_SQL.format(stamp_column="", stamp="")
    return STEP_SQL.format(stamp_column=", content_sha256", stamp=FINGERPRINT)


class _Rotation:
    """Walks a list round and round, so every parcel gets its turn."""

    def __init__(self, items: list[str]) -> None:
        self.items, self.i = items, 0

    def take(self) -> str:
        item = self.items[self.i % len(self.items)]
        self.i += 1
        return item


def _row_triggers(conn, enabled: bool) -> None:
    verb = "ENABLE" if enabled else "DISABLE"
    for trigger in ROW_TRIGGERS:
        conn.execute(f"ALTER TABLE parcel_version {verb} TRIGGER {trigger}")
    conn.commit()


def make_history(
    url: str,
    *,
    target_versions: int,
    per_change_set: int,
    log: Log,
    growth: Growth,
    budget_s: float | None = None,
) -> int:
    """Append change sets until the database holds *target_versions* parcel versions (or
    *budget_s* has passed); returns the number of standing parcels."""
    import psycopg

    with psycopg.connect(_psycopg(url)) as conn:
        rows = conn.execute(
            "SELECT v.parcel_code, v.land_use_code, v.status, v.area_m2, c.is_manufacturing "
            "FROM parcel_version v JOIN land_use_class c ON c.code = v.land_use_code "
            "WHERE v.valid_to IS NULL ORDER BY md5(v.parcel_code)"
        ).fetchall()
        state = {code: [cls, status, area, mfg] for code, cls, status, area, mfg in rows}
        everyone = _Rotation([r[0] for r in rows])
        versions = conn.execute("SELECT count(*) FROM parcel_version").fetchone()[0]
        n = conn.execute("SELECT count(*) FROM change_set").fetchone()[0]
        conn.commit()
        growth.versions_from = versions
        step_sql = _step_sql(growth.row_triggers)
        if not growth.row_triggers:
            _row_triggers(conn, False)
        started = time.perf_counter()
        try:
            while versions < target_versions:
                if budget_s is not None and time.perf_counter() - started > budget_s:
                    growth.stopped_by_budget = True
                    break
                n += 1
                size = min(per_change_set, target_versions - versions)
                rezone = n % 2 == 0
                written, seconds = grow_one(
                    conn,
                    step_sql,
                    state,
                    everyone,
                    size,
                    rezone=rezone,
                    actor="bench audit",
                    document_no=f"基准〔2026〕{n}号",
                )
                growth.seconds_per_change_set.append(seconds)
                versions += written
                if rezone:
                    growth.rezone_change_sets += 1
                else:
                    growth.status_change_sets += 1
                if growth.change_sets % 25 == 0:
                    elapsed = time.perf_counter() - started
                    log(f"{growth.change_sets} change sets, {versions:,} versions, {elapsed:.0f} s")
        finally:
            if not growth.row_triggers:
                conn.rollback()
                _row_triggers(conn, True)
    growth.seconds = time.perf_counter() - started
    growth.versions_to = versions
    return len(rows)


def grow_one(
    conn,
    step_sql: str,
    state,
    everyone: _Rotation,
    size: int,
    *,
    rezone: bool,
    actor: str,
    document_no: str,
) -> tuple[int, float]:
    """One change set of the history, written by plain SQL under the ledger lock: *size*
    parcels rezoned (compensated) or given new statuses, *state* kept in step. Returns the
    versions written and the seconds its transaction took."""
    codes, classes, statuses = _rezone(state, size) if rezone else _statuses(state, everyone, size)
    t0 = time.perf_counter()
    with conn.transaction():
        conn.execute("SELECT last_seq FROM ledger_head WHERE id FOR UPDATE")
        cs, at = conn.execute(
            "INSERT INTO change_set (kind, reason, document_no, actor) "
            "VALUES (%s, %s, %s, %s) RETURNING id, committed_at",
            ("rezone" if rezone else "set_status", "benchmark history", document_no, actor),
        ).fetchone()
        params = {"codes": codes, "classes": classes, "statuses": statuses}
        cur = conn.execute(step_sql, {**params, "at": at, "cs": cs})
        assert cur.rowcount == len(codes), (cur.rowcount, len(codes))
    seconds = time.perf_counter() - t0
    for code, cls, status in zip(codes, classes, statuses, strict=True):
        state[code][0], state[code][1] = cls, status
        state[code][3] = cls == "0601"
    return len(codes), seconds


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
        # closed versions leave as many dead row versions behind.
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
        build.effect_rows = conn.execute("SELECT count(*) FROM totals_effect").fetchone()[0]
        build.snapshot_cuts = conn.execute(
            "SELECT count(DISTINCT cut_at) FROM totals_snapshot"
        ).fetchone()[0]
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
            ats = conn.execute(text("SELECT at FROM ledger ORDER BY seq")).scalars().all()
            step = max(1, len(ats) // v.TOTALS_SAMPLE)
            t0 = time.perf_counter()
            conn.execute(
                text(sql("service.sql", "audit_totals_check.sql")),
                {"moments": sorted(set(ats[::step] + ats[-1:])), "tolerance": 0.01, "limit": 1000},
            ).all()
            parts["totals effects and snapshots vs versions (SQL)"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            result = v.verify(conn)
            parts["verify() in-process, total"] = time.perf_counter() - t0
            parts["verify ok"] = float(result.ok)
    finally:
        engine.dispose()
    return parts


# --- before and after ---------------------------------------------------------------------------

#: ``service/sql/audit_totals.sql`` as it was before the totals effects: every version whose
#: period contains the moment (a scan of the whole history). Timed beside the new one.
VERSIONS_TOTALS_SQL = """
SELECT v.park AS park, count(*) AS parcels, sum(v.area_m2) AS area_m2,
       coalesce(sum(v.area_m2) FILTER (WHERE c.is_manufacturing), 0) AS manufacturing_m2
  FROM parcel_version v
  JOIN land_use_class c ON c.code = v.land_use_code
 WHERE tstzrange(v.valid_from, v.valid_to) @> CAST(%(as_of)s AS timestamptz)
 GROUP BY v.park ORDER BY v.park
"""


def _timed_rows(conn, statement: str, params: dict | None = None, runs: int = 1):
    samples, rows = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        rows = conn.execute(statement, params or {}).fetchall()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples), rows


def before_and_after(url: str, as_of: datetime) -> dict[str, Any]:
    """The totals as of *as_of* by park, in-process (median of 5): the query of before (every
    version valid then) and the one of now (a snapshot and the effects after it); the same?"""
    import psycopg

    with psycopg.connect(_psycopg(url), autocommit=True) as conn:
        conn.execute("SET jit = off")  # as the service's connections
        before_s, before = _timed_rows(conn, VERSIONS_TOTALS_SQL, {"as_of": as_of}, 5)
        after_s, after = _timed_rows(conn, totals_sql(["park"]), {"as_of": as_of}, 5)
    same = len(before) == len(after) and all(
        a[0] == b[0] and a[1] == b[1] and abs(a[3] - b[3]) <= 0.01
        for a, b in zip(after, before, strict=False)
    )
    return {"before_s": before_s, "after_s": after_s, "same": same}


# --- the whole benchmark --------------------------------------------------------------------------


def _analyze(url: str) -> None:
    """Fresh planner statistics after the bulk load. Without them (autovacuum is off on
    the bench server, and a load does not ANALYZE) the overlap check that
    ``parcel_version_stamp`` (service/db/sql/periods.sql) runs for every inserted version
    may be planned badly (see the loading benchmark)."""
    import psycopg

    with psycopg.connect(_psycopg(url), autocommit=True) as conn:
        conn.execute("ANALYZE")


def build_history(ws, build: Build) -> str:
    """A copy of the run's ~100,000-parcel database grown to TARGET_VERSIONS versions,
    every trigger on; returns its name (the run drops it)."""
    source = ws.big_db()
    build.built_by = ws.big_built_by
    name = ws.dbs.create("audit_1m", template=source)
    build.per_change_set = PER_CHANGE_SET
    _analyze(db_url(name))
    growth = Growth("every trigger on")
    build.growth.append(growth)
    build.base_parcels = make_history(
        db_url(name),
        target_versions=TARGET_VERSIONS,
        per_change_set=PER_CHANGE_SET,
        log=log,
        growth=growth,
    )
    return name


def grow_history(database: str, build: Build) -> None:
    """The same history grown on to BIG_VERSIONS, the per-row triggers' work done by the
    writing statement (at most GROW_BUDGET_S)."""
    growth = Growth("per-row triggers' work done by the statement", row_triggers=False)
    build.growth.append(growth)
    make_history(
        db_url(database),
        target_versions=BIG_VERSIONS,
        per_change_set=PER_CHANGE_SET,
        log=log,
        growth=growth,
        budget_s=GROW_BUDGET_S,
    )


def measure(database: str, build: Build, *, verify_runs: int) -> dict[str, Any]:
    """Time the audit on *database* as it stands."""
    url = db_url(database)
    describe(url, build)
    log(
        f"{build.versions:,} versions, {build.parcels:,} standing parcels, "
        f"{build.ledger_rows} ledger rows; the middle of the history is {build.middle_at}"
    )
    results: dict[str, Any] = {"build": replace(build, growth=list(build.growth))}
    results["totals"], results["explain"] = {}, {}
    with Server(database, label="audit-server") as server:
        for group_by in ("park", "park,land_use"):
            results["totals"][group_by] = time_totals(
                server.base_url, build.middle_at, group_by, TOTALS_REQUESTS
            )
            log(f"totals group_by={group_by}: {results['totals'][group_by]}")
        results["totals_now"] = time_totals(
            server.base_url, datetime.now(UTC), "park", TOTALS_REQUESTS
        )
        results["verify"] = time_verify(server.base_url, verify_runs)
        log(f"verify: {results['verify']}")
    from service.db.sqlfiles import sql

    results["explain"]["totals"] = explain(url, totals_sql(["park"]), {"as_of": build.middle_at})
    results["explain"]["recomputed_deltas"] = explain(
        url, sql("service.sql", "audit_recomputed_deltas.sql")
    )
    results["verify_parts"] = time_verify_parts(url)
    results["ledger_at_middle"] = _ledger_total_at(url, build.middle_at)
    results["before_after"] = before_and_after(url, build.middle_at)
    log(f"before/after: {results['before_after']}")
    return results


def _ledger_total_at(url: str, at: datetime) -> float:
    import psycopg

    with psycopg.connect(_psycopg(url)) as conn:
        return float(
            conn.execute(
                "SELECT total_city_m2 FROM ledger WHERE at <= %s ORDER BY seq DESC LIMIT 1", (at,)
            ).fetchone()[0]
        )


def section(stages: list[dict[str, Any]]) -> Section:
    """The figures and the Markdown of the audit section: one block of figures per size."""
    out = Section(KEY, TITLE)
    for i, results in enumerate(stages):
        build: Build = results["build"]
        t_park, t_pl = results["totals"]["park"], results["totals"]["park,land_use"]
        verify, ba = results["verify"], results["before_after"]
        big = i > 0 or build.versions > 2 * TARGET_VERSIONS
        size = f"{build.versions:,} versions"
        goal = GOAL_TOTALS_BIG_MS if big else GOAL_TOTALS_MS
        out.add(
            f"data at {size}: standing parcels; change sets; ledger rows; effect rows; "
            "snapshot cuts",
            f"{build.parcels:,}; {build.change_sets:,}; {build.ledger_rows:,}; "
            f"{build.effect_rows:,}; {build.snapshot_cuts:,}",
        )
        if big:
            label = f"as-of totals at {size} (as of the middle, group_by=park), p50"
        else:
            label = f"GET /api/audit/totals as of the middle of the history at {size}, park: p50"
        out.add(
            label,
            f"{t_park['p50_ms']:.1f} ms",
            f"<= {goal:.0f} ms",
            t_park["p50_ms"] <= goal,
            note=f"p95 {t_park['p95_ms']:.1f} ms, {t_park['n']} requests over HTTP",
        )
        out.add(
            f"GET /api/audit/totals as of the middle at {size}, group_by=park,land_use: p50",
            f"{t_pl['p50_ms']:.1f} ms",
            f"<= {goal:.0f} ms",
            t_pl["p50_ms"] <= goal,
            note=f"p95 {t_pl['p95_ms']:.1f} ms, {t_pl['n']} requests",
        )
        out.add(
            f"GET /api/audit/totals as of now at {size}, group_by=park: p50",
            f"{results['totals_now']['p50_ms']:.1f} ms",
        )
        out.add(
            f"the totals query before and after (as of the middle, by park, in-process) at {size}",
            f"{ba['before_s'] * 1000:.0f} ms → {ba['after_s'] * 1000:.1f} ms",
            note="the same answer" if ba["same"] else "**different answers**",
        )
        out.add(
            f"GET /api/audit/verify at {size}: median of {verify['n']}",
            f"{verify['p50_ms'] / 1000:.2f} s",
            "" if big else f"<= {GOAL_VERIFY_S:.0f} s",
            None if big else verify["p50_ms"] / 1000 <= GOAL_VERIFY_S,
            note=f"{verify['min_ms'] / 1000:.2f}–{verify['max_ms'] / 1000:.2f} s; "
            f"ok = {verify['ok']}",
        )
    out.details += _details(stages)
    return out


def _details(stages: list[dict[str, Any]]) -> list[str]:
    last: Build = stages[-1]["build"]
    d: list[str] = []
    if last.growth:
        d += [
            f"The data: the run's {last.base_parcels:,}-parcel database (loaded by "
            f"{last.built_by}), copied and grown by SQL change sets of up to "
            f"{last.per_change_set:,} parcels each, status changes alternating with "
            "compensated rezones:",
            "",
            "| stretch | versions | change sets | time | median per change set |",
            "|---|---|---:|---:|---:|",
        ]
        for g in last.growth:
            per = statistics.median(g.seconds_per_change_set) if g.seconds_per_change_set else 0
            stopped = " (stopped: time budget)" if g.stopped_by_budget else ""
            d.append(
                f"| {g.label} | {g.versions_from:,} → {g.versions_to:,}{stopped} | "
                f"{g.change_sets:,} | {g.seconds:.0f} s | {per:.2f} s |"
            )
        d.append("")
        grown = last.growth[-1]
        if grown.stopped_by_budget and grown.seconds_per_change_set:
            rate = (grown.versions_to - grown.versions_from) / max(grown.seconds, 1e-9)
            left = (BIG_VERSIONS - grown.versions_to) / max(rate, 1e-9)
            d += [
                f"The growth did not reach {BIG_VERSIONS:,} versions within "
                f"{GROW_BUDGET_S:.0f} s ({rate:,.0f} versions/s; about {left / 60:.0f} more "
                "minutes would have been needed). The as-of totals do not depend on the "
                "number of versions (a snapshot and at most a few thousand effect rows are "
                "read, whatever the history's length): compare the two sizes above.",
                "",
            ]
    d += [
        f"autovacuum is `{last.autovacuum}` on this server, so before timing each size the "
        f"bench runs `VACUUM (ANALYZE) parcel_version` and `ANALYZE` ({last.vacuum_s:.0f} s at "
        "the last), the state autovacuum would keep a production database in.",
        "",
        "How the totals are answered now: each committed change set's effect per (park, "
        "class, status) — parcels and area made minus ended — is written by the database at "
        "commit (`service/db/sql/effects.sql`, table `totals_effect`), with a cumulative "
        "snapshot (`totals_snapshot`) every 2,000 effect rows; the totals as of t are the last "
        "snapshot cut at or before t plus the effects dated after it and up to t "
        "(`service/sql/audit_totals.sql`). `verify` re-derives every effect and snapshot from "
        "the parcel versions and compares the answers at a sample of ledger rows "
        "(`service/sql/audit_totals_check.sql`).",
        "",
    ]
    for results in stages:
        build: Build = results["build"]
        t_park, verify = results["totals"]["park"], results["verify"]
        agree = abs(t_park["manufacturing_m2"] - results["ledger_at_middle"]) <= 0.01
        d += [
            f"**At {build.versions:,} versions.** As of the middle of the history "
            f"({build.middle_at.isoformat()}, just after ledger row {build.middle_seq}) the "
            f"totals count {t_park['parcels']:,} parcels and {t_park['manufacturing_m2']:,.2f} "
            f"m² of manufacturing land; the ledger's running total at that moment is "
            f"{results['ledger_at_middle']:,.2f} m² "
            f"({'they agree' if agree else '**they disagree**'}). The verification found "
            f"{verify['problems']} problem(s) in {verify['rows_checked']:,} ledger rows and "
            f"{verify['versions_checked']:,} parcel versions.",
            "",
            "| step | time |",
            "|---|---:|",
            f"| totals as of the middle, group_by park (`audit_totals.sql`, EXPLAIN ANALYZE) | "
            f"{results['explain']['totals'][0]:,.1f} ms |",
            "| verify: each change set's effect on manufacturing land "
            f"(`audit_recomputed_deltas.sql`, EXPLAIN ANALYZE) | "
            f"{results['explain']['recomputed_deltas'][0]:,.0f} ms |",
        ]
        for name, seconds in results["verify_parts"].items():
            if name != "verify ok":
                d.append(f"| {name} | {seconds:.2f} s |")
        d += [
            "",
            f"<details><summary>Plan of the totals query at {build.versions:,} versions</summary>",
            "",
            "```",
            results["explain"]["totals"][1],
            "```",
            "</details>",
            "",
        ]
    return d


def run(ws) -> Section:
    """bench/run.py's entry: build the million-version history and time the audit, grow it
    to five million and time it again."""
    build = Build()
    database = build_history(ws, build)
    stages = [measure(database, build, verify_runs=VERIFY_RUNS)]
    grow_history(database, build)
    stages.append(measure(database, build, verify_runs=VERIFY_RUNS_BIG))
    return section(stages)


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
            result = section([measure(args.database, build, verify_runs=VERIFY_RUNS)])
            machine = common.machine(args.database)
        else:
            ws = common.Workspace(dbs)
            result = run(ws)
            machine = common.machine(ws.big)
    finally:
        dbs.drop_all()
    common.publish_standalone(
        result,
        key=KEY,
        machine=machine,
        started=started,
        load_before=load_before,
        write=not args.no_write,
    )
    print(json.dumps([f.__dict__ for f in result.figures], ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

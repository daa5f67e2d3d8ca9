"""Change sets through the real HTTP API — throughput from one and from eight
clients, the overhead of enforcing the rule, and commit latency at 1,000 vs 100,000
parcels.

The workload: each change set is either a ``set_status`` of a random parcel (to another
status) or a compensated pair (an industrial parcel rezoned to 0604 storage and a
non-industrial parcel at least as large rezoned to 0601 industrial), so the rule accepts
every one of them. A local model of the parcels keeps each next change set valid.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass

import httpx
from common import (
    Deadline,
    Section,
    Server,
    engine_for,
    http_client,
    log,
    mean,
    ms,
    percentile,
)
from sqlalchemy import text

KEY = "rule"
TITLE = "Change sets: throughput, the rule's overhead, commit latency"

STATUSES = ("reserve", "ready", "supplied", "under_construction", "operating", "idle")
INDUSTRIAL, STORAGE = "0601", "0604"
SEQ_MAX, SEQ_SECONDS = 300, 20.0
CLIENTS, CONC_SECONDS, CONC_MAX_PER_CLIENT = 8, 20.0, 300
OVERHEAD_N, OVERHEAD_WARMUP, OVERHEAD_SECONDS = 200, 10, 120.0
LATENCY_PER_KIND, LATENCY_WARMUP, LATENCY_SECONDS = 200, 10, 180.0
OVERHEAD_TARGET = 1.3
LATENCY_TARGET = 0.20
SEED = 3

RULE_TRIGGERS = (
    ("parcel_version", "parcel_version_rule_insert"),
    ("parcel_version", "parcel_version_rule_update"),
    ("parcel_version", "parcel_version_rule_delete"),
    ("change_set", "change_set_rule_mark"),
    ("rule_txn", "rule_check_at_commit"),
    ("land_use_class", "land_use_class_rule_flag"),
)


# --- the workload -------------------------------------------------------------------------


@dataclass
class Parcel:
    code: str
    park: str
    land_use: str
    status: str
    area: float


class Workload:
    """Change sets over a set of parcels, each valid given the ones before it (the model
    is updated as each is made, assuming it is accepted)."""

    def __init__(self, parcels: list[Parcel], manufacturing: set[str], rng: random.Random):
        self.rng = rng
        self.parcels = parcels
        self.manufacturing = manufacturing
        self.industrial = [p for p in parcels if p.land_use == INDUSTRIAL]
        self.other = [p for p in parcels if p.land_use not in manufacturing]

    def next(self, kind: str | None = None) -> tuple[str, dict]:
        kind = kind or self.rng.choice(("set_status", "pair"))
        if kind == "pair":
            body = self.pair()
            if body is not None:
                return "pair", body
        return "set_status", self.set_status()

    def set_status(self) -> dict:
        p = self.rng.choice(self.parcels)
        status = self.rng.choice([s for s in STATUSES if s != p.status])
        p.status = status
        return {
            "kind": "set_status",
            "reason": "bench: status change",
            "operations": [{"op": "set_status", "parcel_code": p.code, "status": status}],
        }

    def pair(self) -> dict | None:
        for _ in range(50):
            if not self.industrial or not self.other:
                return None
            a = self.rng.choice(self.industrial)
            same_park = [b for b in self.other if b.park == a.park and b.area >= a.area]
            pool = same_park or [b for b in self.other if b.area >= a.area]
            if not pool:
                continue
            b = self.rng.choice(pool)
            self.industrial.remove(a)
            self.other.remove(b)
            a.land_use, b.land_use = STORAGE, INDUSTRIAL
            self.other.append(a)
            self.industrial.append(b)
            return {
                "kind": "rezone",
                "reason": "bench: compensated rezoning (占补平衡)",
                "document_no": "bench",
                "operations": [
                    {"op": "rezone", "parcel_code": a.code, "land_use_code": STORAGE},
                    {"op": "rezone", "parcel_code": b.code, "land_use_code": INDUSTRIAL},
                ],
            }
        return None


def _parcels(database: str) -> tuple[list[Parcel], set[str]]:
    engine = engine_for(database)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT parcel_code, park, land_use_code, status, area_m2 FROM "
                    "parcel_version WHERE valid_to IS NULL ORDER BY parcel_code"
                )
            ).all()
            manufacturing = set(
                conn.execute(
                    text("SELECT code FROM land_use_class WHERE is_manufacturing")
                ).scalars()
            )
    finally:
        engine.dispose()
    return [Parcel(*r) for r in rows], manufacturing


def _token(database: str, name: str = "bench-admin") -> dict[str, str]:
    """An admin token: applying change sets directly, without a proposal and its approval,
    is the admin's (editors do it only with PARKS_EDITORS_APPLY_DIRECTLY)."""
    from service.auth.tokens import create_token

    engine = engine_for(database)
    try:
        with engine.begin() as conn:
            token = create_token(conn, name=name, role="admin")
    finally:
        engine.dispose()
    return {"Authorization": f"Bearer {token}"}


def _copy(ws, source: str, label: str) -> str:
    """A copy of *source* (no one may be connected to it)."""
    return ws.dbs.create(label, template=source)


class Tally:
    """Outcomes of requests: status codes, a few bodies of the unexpected ones."""

    def __init__(self) -> None:
        self.codes: Counter[int] = Counter()
        self.examples: list[str] = []
        self.lock = threading.Lock()

    def record(self, response) -> None:
        with self.lock:
            self.codes[response.status_code] += 1
            if response.status_code != 201 and len(self.examples) < 5:
                self.examples.append(f"HTTP {response.status_code}: {response.text[:300]}")

    @property
    def accepted(self) -> int:
        return self.codes[201]

    def describe(self) -> str:
        parts = [f"{n} × {code}" for code, n in sorted(self.codes.items())]
        return ", ".join(parts) or "none"


def _post(client, headers, body, tally: Tally) -> float:
    start = time.perf_counter()
    try:
        response = client.post("/api/change-sets", json=body, headers=headers)
    except httpx.TransportError as exc:  # counted as "0", not retried
        elapsed = time.perf_counter() - start
        with tally.lock:
            tally.codes[0] += 1
            if len(tally.examples) < 5:
                tally.examples.append(f"no response: {exc!r}")
        return elapsed
    elapsed = time.perf_counter() - start
    tally.record(response)
    return elapsed


# --- 1. throughput ----------------------------------------------------------------------------


def _throughput(ws, section: Section) -> None:
    database = _copy(ws, ws.sample_db(), "cs_throughput")
    headers = _token(database)
    parcels, manufacturing = _parcels(database)
    rng = random.Random(SEED)
    with Server(database, workers=2, label="rule_throughput") as server:
        # One client, sequential.
        work = Workload(parcels, manufacturing, rng)
        tally, latencies = Tally(), []
        deadline = Deadline(SEQ_SECONDS)
        with http_client(server.base_url) as client:
            start = time.perf_counter()
            while len(latencies) < SEQ_MAX and not deadline.expired():
                _kind, body = work.next()
                latencies.append(_post(client, headers, body, tally))
            elapsed = time.perf_counter() - start
        rate = tally.accepted / elapsed
        section.add(
            "1a. change sets per second, one client (sequential, 2 workers)",
            f"{rate:.1f} /s",
            note=f"{len(latencies)} in {elapsed:.1f} s; p50 {ms(percentile(latencies, 50))}, "
            f"p99 {ms(percentile(latencies, 99))}; outcomes {tally.describe()}",
        )
        seq_tally = tally

        # Eight clients, each on its own share of the parcels (so their change sets never
        # contradict one another), each with its own httpx.Client.
        shares = [parcels[k::CLIENTS] for k in range(CLIENTS)]
        tally = Tally()
        results: list[list[float]] = [[] for _ in range(CLIENTS)]
        barrier = threading.Barrier(CLIENTS + 1)
        stop = threading.Event()

        def client_loop(k: int) -> None:
            work = Workload(shares[k], manufacturing, random.Random(SEED * 100 + k))
            with http_client(server.base_url) as client:
                barrier.wait()
                while len(results[k]) < CONC_MAX_PER_CLIENT and not stop.is_set():
                    _kind, body = work.next()
                    results[k].append(_post(client, headers, body, tally))

        threads = [threading.Thread(target=client_loop, args=(k,)) for k in range(CLIENTS)]
        for t in threads:
            t.start()
        barrier.wait()
        start = time.perf_counter()
        time.sleep(CONC_SECONDS)
        stop.set()
        for t in threads:
            t.join(timeout=60)
        elapsed = time.perf_counter() - start
        all_latencies = [x for r in results for x in r]
        rate = tally.accepted / elapsed
        section.add(
            f"1b. change sets per second, {CLIENTS} concurrent clients (2 workers)",
            f"{rate:.1f} /s",
            note=f"{len(all_latencies)} in {elapsed:.1f} s; latency p50 "
            f"{ms(percentile(all_latencies, 50))}, p99 {ms(percentile(all_latencies, 99))}; "
            f"outcomes {tally.describe()}",
        )
        section.add(
            "1c. 409 refusals / other failures (one client + 8 clients; retry-free)",
            f"{seq_tally.codes[409] + tally.codes[409]} / "
            f"{sum(n for c, n in (seq_tally.codes + tally.codes).items() if c not in (201, 409))}",
        )
    examples = seq_tally.examples + tally.examples
    section.details += [
        "### 1. Throughput",
        "",
        "A copy of the loaded sample, served by uvicorn with 2 workers. Half of the change "
        "sets are a `set_status`, half a compensated rezoning pair (an industrial parcel to "
        "0604 and a non-industrial parcel at least as large, in the same park where one "
        "exists, to 0601). The eight clients each work on their own eighth of the parcels. "
        "Every change set takes the city's ledger lock (`open_change_set`: `SELECT … FROM "
        "ledger_head … FOR UPDATE`) at its start and holds it until its commit, so change "
        "sets are applied one at a time whatever the number of clients or workers: more "
        "clients add waiting, not throughput.",
        "",
    ]
    if examples:
        section.details += ["Unexpected responses:", ""]
        section.details += [f"- `{e}`" for e in examples[:8]] + [""]


# --- 2. the rule's overhead ----------------------------------------------------------------


def _disable_rule(database: str) -> None:
    engine = engine_for(database)
    try:
        with engine.begin() as conn:
            by_table: dict[str, list[str]] = {}
            for table, trigger in RULE_TRIGGERS:
                by_table.setdefault(table, []).append(trigger)
            for table, triggers in by_table.items():
                clauses = ", ".join(f"DISABLE TRIGGER {t}" for t in triggers)
                conn.execute(text(f"ALTER TABLE {table} {clauses}"))
    finally:
        engine.dispose()


def _state(database: str) -> tuple:
    engine = engine_for(database)
    try:
        with engine.connect() as conn:
            return tuple(
                conn.execute(
                    text(
                        "SELECT land_use_code, status, count(*) FROM parcel_version "
                        "WHERE valid_to IS NULL GROUP BY 1, 2 ORDER BY 1, 2"
                    )
                ).all()
            ), conn.execute(text("SELECT count(*) FROM change_set")).scalar()
    finally:
        engine.dispose()


def _overhead(ws, section: Section) -> None:
    source = ws.sample_db()
    with_rule = _copy(ws, source, "cs_with_rule")
    without = _copy(ws, source, "cs_without_rule")
    _disable_rule(without)
    headers_with, headers_without = _token(with_rule), _token(without)
    parcels, manufacturing = _parcels(with_rule)
    work = Workload(parcels, manufacturing, random.Random(SEED + 1))
    sequence = [work.next()[1] for _ in range(OVERHEAD_N + OVERHEAD_WARMUP)]
    lat_with, lat_without = [], []
    tally_with, tally_without = Tally(), Tally()
    deadline = Deadline(OVERHEAD_SECONDS)
    # A new connection per request on both sides: uvicorn drops the connection after the
    # 500 the copy without the rule answers (see below), so keep-alive can't be used there.
    close = {"headers": {"Connection": "close"}}
    with (
        Server(with_rule, workers=1, label="rule_with_rule") as a,
        Server(without, workers=1, label="rule_without_rule") as b,
        http_client(a.base_url, **close) as ca,
        http_client(b.base_url, **close) as cb,
    ):
        for i, body in enumerate(sequence):
            if deadline.expired():
                break
            # Interleaved, alternating which goes first, so drift in the machine's load
            # (it is shared) falls on both alike.
            order = [
                (ca, headers_with, tally_with, lat_with),
                (cb, headers_without, tally_without, lat_without),
            ]
            if i % 2:
                order.reverse()
            for client, headers, tally, out in order:
                elapsed = _post(client, headers, body, tally)
                if i >= OVERHEAD_WARMUP:
                    out.append(elapsed)
        b_log = b.log_tail(200)
    state_with, state_without = _state(with_rule), _state(without)
    n = min(len(lat_with), len(lat_without))
    m_with, m_without = mean(lat_with[:n]), mean(lat_without[:n])
    ratio = m_with / m_without if m_without else float("nan")
    same = state_with[0] == state_without[0] and state_with[1] == state_without[1]
    section.add(
        "2. the rule's overhead: mean latency with / without enforcement (one client, "
        f"the same {n} change sets on two copies)",
        f"{ms(m_with)} / {ms(m_without)} = ×{ratio:.2f}",
        f"<= ×{OVERHEAD_TARGET}",
        ratio <= OVERHEAD_TARGET,
        note=f"p50 {ms(percentile(lat_with[:n], 50))} / {ms(percentile(lat_without[:n], 50))}",
    )
    no_ledger = "NoResultFound" in b_log or tally_without.codes[500] > 0
    # The same comparison in-process, without HTTP: apply_change_set itself.
    inproc = _overhead_in_process(ws, source, manufacturing)
    d = section.details
    d += [
        "### 2. The rule's overhead",
        "",
        f"Two copies of the loaded sample, each behind its own uvicorn (1 worker); the same "
        f"{len(sequence)} change sets (the first {OVERHEAD_WARMUP} not counted) sent to both, "
        "interleaved and alternating which goes first. In the copy *without* enforcement the "
        "rule's triggers are disabled: "
        + ", ".join(f"`{t}` on `{tab}`" for tab, t in RULE_TRIGGERS)
        + ". The application still runs its precheck (`service/changes/session.py` "
        "`precheck`), which then finds nothing pending in `rule_pending` and costs one "
        "query; it also still takes the ledger lock (`open_change_set`).",
        "",
        f"With the rule: {tally_with.describe()}. Without: {tally_without.describe()}. "
        f"Both copies ended in the same state (parcels by class and status, change sets "
        f"recorded): {'yes' if same else 'NO'}.",
        "",
    ]
    if no_ledger:
        d += [
            "Caveat: without the rule's triggers no ledger row is written, and "
            "`service/changes/apply.py` `_outcome` (`SELECT … FROM ledger WHERE "
            "change_set_id = :id` … `.one()`) then raises `NoResultFound` *after* the change "
            "set has committed, so the API answers 500 for every change set of that copy "
            "(they are stored, as the state check shows). Those latencies include the commit "
            "but the error path instead of the 201 body (and uvicorn logging the traceback); "
            "hence the in-process comparison below, which times `apply_change_set` itself.",
            "",
        ]
    if inproc:
        w, wo = inproc
        total_w, total_wo = mean([t.total for t in w]), mean([t.total for t in wo])
        ratio_in = total_w / total_wo if total_wo else float("nan")

        def row(label, f):
            a, b = mean([f(t) for t in w]), mean([f(t) for t in wo])
            return f"| {label} | {ms(a)} | {ms(b)} | {ms(a - b)} |"

        d += [
            "In-process (`service.changes.apply.apply_change_set` called directly, no HTTP; "
            f"the same kind of sequence, {len(w)} change sets after {OVERHEAD_WARMUP} warm-up, "
            "on two further copies, interleaved; the `NoResultFound` of the copy without the "
            "rule caught), mean per change set:",
            "",
            "| | with the rule | without | difference |",
            "|---|---:|---:|---:|",
            row("whole call", lambda t: t.total),
            row("SQL statements (statement triggers included)", lambda t: t.statements),
            row("COMMIT (the deferred check appends the ledger row)", lambda t: t.commit),
            row(
                "the rest (Python: validation, geometry, SQLAlchemy)",
                lambda t: t.total - t.statements - t.commit,
            ),
            f"| statements per change set | {mean([t.n_statements for t in w]):.1f} | "
            f"{mean([t.n_statements for t in wo]):.1f} | |",
            "",
            f"×{ratio_in:.2f} in-process against ×{ratio:.2f} over HTTP: the HTTP figure "
            "is diluted by the round trip and, on the copy without the rule, inflated by "
            "the 500 error path, so the in-process ratio is the stricter measure of the "
            "rule's own cost.",
            "",
        ]
        section.add(
            "2b. the same, in-process (apply_change_set, no HTTP): mean with / without",
            f"{ms(total_w)} / {ms(total_wo)} = ×{ratio_in:.2f}",
            f"<= ×{OVERHEAD_TARGET}",
            ratio_in <= OVERHEAD_TARGET,
            note=f"p50 {ms(percentile([t.total for t in w], 50))} / "
            f"{ms(percentile([t.total for t in wo], 50))}",
        )


@dataclass
class Timing:
    """Per change set, in-process: the whole call, its SQL statements (sum, count) and
    its COMMIT (which runs the deferred rule check)."""

    total: float
    statements: float
    n_statements: int
    commit: float


class _Meter:
    """Statement and COMMIT time of one engine, via SQLAlchemy cursor events and a psycopg
    connection whose commit() is timed."""

    def __init__(self) -> None:
        self.statements = 0.0
        self.n = 0
        self.commit = 0.0

    def reset(self) -> None:
        self.statements, self.n, self.commit = 0.0, 0, 0.0

    def engine(self, database: str):
        import psycopg
        from sqlalchemy import event
        from sqlalchemy.engine import make_url

        from service.db.engine import make_engine

        meter = self
        url = make_url(_url(database))

        class TimedCommit(psycopg.Connection):
            def commit(self) -> None:
                start = time.perf_counter()
                try:
                    super().commit()
                finally:
                    meter.commit += time.perf_counter() - start

        # make_engine fills connect_args (e.g. options "-c jit=off"); a creator bypasses
        # them, so the creator passes on whatever make_engine put there.
        connect_args: dict = {}

        def connect():
            return TimedCommit.connect(
                host=url.host,
                port=url.port or 5432,
                user=url.username,
                password=url.password,
                dbname=url.database,
                **connect_args,
            )

        engine = make_engine(
            _url(database), pool_size=1, creator=connect, connect_args=connect_args
        )

        @event.listens_for(engine, "before_cursor_execute")
        def _before(conn, cursor, statement, parameters, context, executemany):
            conn.info["bench_t0"] = time.perf_counter()

        @event.listens_for(engine, "after_cursor_execute")
        def _after(conn, cursor, statement, parameters, context, executemany):
            meter.statements += time.perf_counter() - conn.info.pop("bench_t0")
            meter.n += 1

        return engine


def _overhead_in_process(ws, source: str, manufacturing: set[str]):
    """The same comparison without HTTP: ``apply_change_set`` on two more copies, timed
    as a whole and split into SQL statements and COMMIT."""
    from parks.operations import ChangeSetRequest
    from service.changes.apply import apply_change_set

    with_rule = _copy(ws, source, "cs_inproc_with")
    without = _copy(ws, source, "cs_inproc_without")
    _disable_rule(without)
    parcels, _ = _parcels(with_rule)
    work = Workload(parcels, manufacturing, random.Random(SEED + 2))
    sequence = [
        ChangeSetRequest.model_validate(work.next()[1]) for _ in range(OVERHEAD_N + OVERHEAD_WARMUP)
    ]
    meters = [_Meter(), _Meter()]
    engines = [meters[0].engine(with_rule), meters[1].engine(without)]
    out: tuple[list[Timing], list[Timing]] = ([], [])
    deadline = Deadline(OVERHEAD_SECONDS)
    try:
        for i, request in enumerate(sequence):
            if deadline.expired():
                break
            order = [0, 1] if i % 2 == 0 else [1, 0]
            for k in order:
                meters[k].reset()
                start = time.perf_counter()
                try:
                    apply_change_set(engines[k], request, actor="bench", storage_srid=4545)
                except Exception as exc:
                    if type(exc).__name__ != "NoResultFound" or k == 0:
                        raise
                elapsed = time.perf_counter() - start
                m = meters[k]
                if i >= OVERHEAD_WARMUP:
                    out[k].append(Timing(elapsed, m.statements, m.n, m.commit))
    except Exception as exc:
        log(f"in-process overhead comparison failed: {exc!r}")
        return None
    finally:
        for e in engines:
            e.dispose()
    return out


def _url(database: str) -> str:
    from common import db_url

    return db_url(database)


# --- 3. commit latency at 1,000 vs 100,000 parcels -------------------------------------------


PHASES = (
    ("as loaded", "right after the load, before any ANALYZE"),
    (
        "after ANALYZE",
        "after `ANALYZE` of both copies (what autovacuum does some time after a load)",
    ),
)


def _analyze(database: str) -> None:
    engine = engine_for(database)
    try:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    finally:
        engine.dispose()


def _period_check_plan(database: str, *, rewritten: bool = False) -> list[str] | None:
    """EXPLAIN ANALYZE of the per-version period check in ``parcel_version_stamp``
    (``service/db/sql/periods.sql``) for a standing parcel, as an INSERT of its next
    version would run it; None when that check is not there (any more)."""
    import re

    from common import ROOT

    path = ROOT / "service" / "db" / "sql" / "periods.sql"
    try:
        body = path.read_text(encoding="utf-8")
    except OSError:
        return None
    m = re.search(
        r"SELECT\s+o\.version_id\s+INTO\s+\w+\s+(FROM\s+parcel_version\s+o\s+WHERE.*?)LIMIT 1",
        body,
        re.S,
    )
    if not m:
        return None
    engine = engine_for(database)
    try:
        with engine.connect() as conn:
            code = conn.execute(
                text(
                    "SELECT parcel_code FROM parcel_version WHERE valid_to IS NULL "
                    "ORDER BY parcel_code LIMIT 1"
                )
            ).scalar()
            query = (
                m.group(1)
                .replace("NEW.parcel_code", ":code")
                .replace("NEW.valid_from", "now()")
                .replace("NEW.valid_to", "CAST(NULL AS timestamptz)")
            )
            if rewritten:  # the same overlap test without the GiST index's expression
                query = (
                    "FROM parcel_version o WHERE o.parcel_code = :code AND o.valid_from < "
                    "coalesce(CAST(NULL AS timestamptz), 'infinity') AND "
                    "coalesce(o.valid_to, 'infinity') > now() "
                )
            plan = conn.execute(
                text(f"EXPLAIN (ANALYZE, COSTS OFF) SELECT o.version_id {query} LIMIT 1"),
                {"code": code},
            ).scalars()
            return [line for line in plan if "Planning" not in line]
    except Exception as exc:  # a diagnosis only
        return [f"(could not explain the check: {exc!r})"]
    finally:
        engine.dispose()


def _latency(ws, section: Section) -> None:
    small = _copy(ws, ws.sample_db(), "cs_small")
    big = _copy(ws, ws.big_db(), "cs_big")
    plans = {}
    per_phase = LATENCY_WARMUP + 2 * LATENCY_PER_KIND
    for label, database in (("small", small), ("big", big)):
        parcels, manufacturing = _parcels(database)
        work = Workload(parcels, manufacturing, random.Random(SEED + 10))
        sequence = []
        for phase in range(len(PHASES)):
            kinds = ["set_status"] * LATENCY_PER_KIND + ["pair"] * LATENCY_PER_KIND
            random.Random(SEED + 11 + phase).shuffle(kinds)
            kinds = ["set_status", "pair"] * (LATENCY_WARMUP // 2) + kinds
            sequence += [work.next(k) for k in kinds]
        plans[label] = (database, _token(database), sequence, len(parcels))
    counts = {label: plans[label][3] for label in plans}
    check_plans = {}
    section.details += [
        f"### 3. Commit latency at {counts['small']:,} vs {counts['big']:,} parcels",
        "",
        f"Copies of the sample and of the {counts['big']:,}-parcel database (built by "
        f"{ws.big_built_by}), each behind uvicorn with 1 worker; the same mix on both "
        f"({LATENCY_PER_KIND} `set_status` and {LATENCY_PER_KIND} compensated pairs in a "
        f"shuffled order, after {LATENCY_WARMUP} warm-up change sets), requests interleaved "
        "between the two servers. Latency is the HTTP round trip of `POST /api/change-sets` "
        "(201 included). Measured twice: "
        + "; ".join(f"*{name}*: {what}" for name, what in PHASES)
        + ".",
        "",
        "| state | change set | n (small / big) | p50 small | p50 big | Δ p50 | p99 small | "
        "p99 big |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    table_at = len(section.details)
    letters = iter("abcdefghij")
    tallies = {label: Tally() for label in plans}
    with (
        Server(small, workers=1, label="rule_small") as s1,
        Server(big, workers=1, label="rule_big") as s2,
        http_client(s1.base_url) as c1,
        http_client(s2.base_url) as c2,
    ):
        clients = {"small": c1, "big": c2}
        for phase, (phase_name, _what) in enumerate(PHASES):
            if phase_name == "after ANALYZE":
                _analyze(small)
                _analyze(big)
            check_plans[phase_name] = _period_check_plan(big)
            if phase == 0:
                check_plans["rewritten"] = _period_check_plan(big, rewritten=True)
            results = {label: {"set_status": [], "pair": []} for label in plans}
            deadline = Deadline(LATENCY_SECONDS / len(PHASES))
            for j in range(per_phase):
                i = phase * per_phase + j
                if deadline.expired():
                    break
                labels = ["small", "big"] if i % 2 == 0 else ["big", "small"]
                for label in labels:
                    _db, headers, sequence, _count = plans[label]
                    kind, body = sequence[i]
                    elapsed = _post(clients[label], headers, body, tallies[label])
                    if j >= LATENCY_WARMUP:
                        results[label][kind].append(elapsed)
            for kind in ("set_status", "pair", "all"):
                a, b = (
                    results[x]["set_status"] + results[x]["pair"]
                    if kind == "all"
                    else results[x][kind]
                    for x in ("small", "big")
                )
                p50a, p50b = percentile(a, 50), percentile(b, 50)
                diff = (p50b - p50a) / p50a if p50a else float("nan")
                section.add(
                    f"3{next(letters)}. commit latency {phase_name}, "
                    f"{'compensated rezoning pair' if kind == 'pair' else kind}: p50 at "
                    f"{counts['small']:,} vs {counts['big']:,} parcels",
                    f"{ms(p50a)} vs {ms(p50b)} ({diff:+.0%})",
                    f"within ±{LATENCY_TARGET:.0%}",
                    abs(diff) <= LATENCY_TARGET,
                    note=f"p99 {ms(percentile(a, 99))} vs {ms(percentile(b, 99))}; "
                    f"n = {len(a)}/{len(b)}",
                )
                section.details.insert(
                    table_at,
                    f"| {phase_name} | {kind} | {len(a)} / {len(b)} | {ms(p50a)} | "
                    f"{ms(p50b)} | {diff:+.0%} | {ms(percentile(a, 99))} | "
                    f"{ms(percentile(b, 99))} |",
                )
                table_at += 1
    section.details += [
        "",
        f"Outcomes: small {tallies['small'].describe()}; big {tallies['big'].describe()}.",
        "",
    ]
    examples = tallies["small"].examples + tallies["big"].examples
    if examples:
        section.details += [f"- `{e}`" for e in examples[:6]] + [""]
    before, after = check_plans.get(PHASES[0][0]), check_plans.get(PHASES[1][0])
    if before and after and before != after:
        section.details += [
            f"The per-version period check of `parcel_version_stamp` "
            f"(`service/db/sql/periods.sql`), run for a standing parcel of the "
            f"{counts['big']:,}-parcel copy as the INSERT of its next version runs it — "
            "as loaded:",
            "",
            "```",
            *before[:12],
            "```",
            "",
            "after ANALYZE:",
            "",
            "```",
            *after[:12],
            "```",
            "",
        ]
        if any("parcel_version_period" in line for line in before):
            section.details += [
                "Without statistics the planner ANDs the btree on `parcel_code` with the "
                "GiST index `parcel_version_period` on `tstzrange(valid_from, valid_to)` — "
                "and every standing version's period `[t, ∞)` overlaps the new one's, so "
                "that bitmap reads an entry for every current parcel: a cost in proportion "
                "to the city, paid by every version a change set writes, until autovacuum "
                "analyses the table. Production changes (not made here): in "
                "`service/db/sql/periods.sql` write the check without the range expression "
                "the GiST index is built on, so only the btree `parcel_version_code "
                "(parcel_code, valid_from)` can serve it, whatever the statistics — `WHERE "
                "o.parcel_code = NEW.parcel_code AND o.valid_from < coalesce(NEW.valid_to, "
                "'infinity') AND coalesce(o.valid_to, 'infinity') > NEW.valid_from` (the "
                "same overlap test for non-empty periods, which `parcel_period_order` "
                "guarantees) — its plan on the as-loaded copy is below. And/or "
                "`ANALYZE parcel_version` at the end of `service/imports/loader.py` `load_dataset` "
                "(a load changes the table's size by orders of magnitude).",
                "",
            ]
            if check_plans.get("rewritten"):
                section.details += [
                    "The rewritten check on the as-loaded copy:",
                    "",
                    "```",
                    *check_plans["rewritten"][:8],
                    "```",
                    "",
                ]


def run(ws) -> Section:
    section = Section(KEY, TITLE)
    for part in (_throughput, _overhead, _latency):
        try:
            part(ws, section)
        except Exception as exc:
            log(f"rule: {part.__name__} failed: {exc!r}")
            section.add(f"{part.__name__.strip('_')}", f"failed: {exc!r}"[:300], passed=False)
    return section

"""The mixed soak: 16 readers and 2 writers against a ~100,000-parcel city for ten minutes
(``--seconds``, default 600, of which ``--warmup-seconds``, default 60, are warm-up), on
a real server as deployed (``parks serve --workers 2``, default settings).

* 16 reader clients, each sending its next request as soon as the last is answered, a
  seeded mix of: parcel vector tiles (``/tiles/parcels/{z}/{x}/{y}.pbf`` over the parks'
  extent at zooms 12, 14 and 16; half the reads), the map's search (``/map/search?q=`` a
  parcel code, a code's prefix, a holder or a project's name; a quarter) and OGC API
  items (``/ogc/collections/parcels/items?bbox=…&limit=…`` around a parcel; a quarter).
* 2 writer clients posting change sets the rule accepts (bench/rule_and_change_sets.py's
  workload: a ``set_status``, or a compensated rezoning pair), each on its own parcels,
  with an admin token, likewise without pause.
* Every 5 s, the resident memory (RSS) of the service: the uvicorn process and all its
  descendants (the workers), from psutil when installed, else ``/proc/<pid>/status``.

Found per route template: requests, errors (any answer not 2xx, the 503s counted apart,
and connection errors), latency p50/p95/p99/max after the warm-up; RSS at the end of the
warm-up, its highest and its last value, and the growth after the warm-up. Targets (the
issue's): no errors at all, RSS after the warm-up never more than 10 % above its value at
the end of the warm-up. Afterwards the change sets answered 201 are counted in the
database: every one must be there.

``bench/run.py --only soak [--seconds 60 --warmup-seconds 15]`` runs it with the other
parts' 100,000-parcel database; ``.venv/bin/python bench/soak.py`` alone likewise (it makes
and drops its own databases). The section goes between ``<!-- soak -->`` and
``<!-- /soak -->`` in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import re
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import common  # noqa: E402
import httpx  # noqa: E402
from maps_and_tiles import park_bounds  # noqa: E402
from rule_and_change_sets import Workload, _parcels, _token  # noqa: E402
from sqlalchemy import text  # noqa: E402

from gis.tiles import tiles_covering  # noqa: E402

KEY = "soak"
TITLE = "The mixed soak: {readers} readers and {writers} writers at {parcels:,} parcels"

SECONDS = 600.0
WARMUP_S = 60.0
READERS = 16
WRITERS = 2
WORKERS = 2  # as deployed: docker/Dockerfile runs `parks serve --workers 2`
SAMPLE_EVERY_S = 5.0
MAX_GROWTH = 0.10
#: Parcels each writer works on (its own, disjoint from the other's): enough that a
#: parcel is rarely changed twice in a row, few enough that picking a compensating parcel
#: costs the client next to nothing.
WRITER_PARCELS = 4000
TILE_ZOOMS = (12, 14, 16)
#: The readers' mix: (kind, weight).
READ_MIX = (("tile", 2), ("search", 1), ("ogc", 1))
OGC_HALF_SIZES_DEG = (0.002, 0.005, 0.01)
OGC_LIMITS = (10, 50, 100)
CLIENT_TIMEOUT_S = 60.0
#: After a connection error a client waits this long before its next request (a server
#: that is gone is not hammered at full speed).
ERROR_PAUSE_S = 0.2
SEED = 2027
#: A line of the server's log (JSON or text) that reports an error.
_LOG_ERROR = re.compile(r"\bERROR\b|\bCRITICAL\b|^Traceback")

TILE_ROUTE = "GET /tiles/parcels/{z}/{x}/{y}.pbf"
SEARCH_ROUTE = "GET /map/search"
OGC_ROUTE = "GET /ogc/collections/parcels/items"
WRITE_ROUTE = "POST /api/change-sets"
ROUTES = (TILE_ROUTE, SEARCH_ROUTE, OGC_ROUTE, WRITE_ROUTE)


# --- what the clients ask ----------------------------------------------------------------------


@dataclass
class ReadTargets:
    """The readers' material, taken from the database before the soak: tiles over the
    parks' extent by zoom, search terms, and points to centre OGC bboxes on."""

    tiles: dict[int, list[tuple[int, int, int]]]
    terms: list[str]
    centres: list[tuple[float, float]]

    def request(self, rng: random.Random) -> tuple[str, str, str, dict[str, str | int]]:
        """(route template, a finer label or "", path, query) of a reader's next request."""
        kind = rng.choices([k for k, _ in READ_MIX], weights=[w for _, w in READ_MIX])[0]
        if kind == "tile":
            z, x, y = rng.choice(self.tiles[rng.choice(TILE_ZOOMS)])
            return TILE_ROUTE, f"z{z}", f"/tiles/parcels/{z}/{x}/{y}.pbf", {}
        if kind == "search":
            return SEARCH_ROUTE, "", "/map/search", {"q": rng.choice(self.terms)}
        lon, lat = rng.choice(self.centres)
        half = rng.choice(OGC_HALF_SIZES_DEG)
        limit = rng.choice(OGC_LIMITS)
        bbox = f"{lon - half:.6f},{lat - half:.6f},{lon + half:.6f},{lat + half:.6f}"
        query = {"bbox": bbox, "limit": limit}
        return OGC_ROUTE, f"limit={limit}", "/ogc/collections/parcels/items", query


def read_targets(database: str, rng: random.Random) -> ReadTargets:
    """Tiles covering the parks at each zoom; 100 search terms (whole parcel codes, codes
    less their last digit, holders, project names); 1,000 parcels' inner points."""
    bounds = park_bounds(database)
    tiles = {
        z: sorted({(t.z, t.x, t.y) for b in bounds for t in tiles_covering(b, z)})
        for z in TILE_ZOOMS
    }
    engine = common.engine_for(database)
    try:
        with engine.connect() as conn:
            codes = list(
                conn.execute(
                    text(
                        "SELECT parcel_code FROM parcel_version WHERE valid_to IS NULL "
                        "ORDER BY parcel_code"
                    )
                ).scalars()
            )
            holders = list(
                conn.execute(
                    text(
                        "SELECT DISTINCT holder FROM parcel_version WHERE valid_to IS NULL "
                        "AND holder IS NOT NULL ORDER BY holder"
                    )
                ).scalars()
            )
            projects = list(conn.execute(text("SELECT name FROM project ORDER BY name")).scalars())
            centres = [
                (r[0], r[1])
                for r in conn.execute(
                    text(
                        "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform(ST_PointOnSurface("
                        "geom), 4326) AS p FROM parcel_version WHERE valid_to IS NULL "
                        "ORDER BY parcel_code) x"
                    )
                )
            ]
    finally:
        engine.dispose()
    picked = rng.sample(codes, min(60, len(codes)))
    terms = picked[:30] + [c[:-1] for c in picked[30:]]
    terms += rng.sample(holders, min(25, len(holders)))
    terms += rng.sample(projects, min(15, len(projects)))
    return ReadTargets(tiles, terms, rng.sample(centres, min(1000, len(centres))))


# --- what the clients found ----------------------------------------------------------------------


@dataclass
class RouteTally:
    """One route's outcomes, as one client saw them (merged at the end)."""

    requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    connection_errors: Counter = field(default_factory=Counter)
    latencies_s: list[float] = field(default_factory=list)  # after the warm-up only
    #: The same latencies by a finer label (a tile's zoom, an OGC page's limit).
    by_label: dict[str, list[float]] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)

    def merge(self, other: RouteTally) -> None:
        self.requests += other.requests
        self.statuses.update(other.statuses)
        self.connection_errors.update(other.connection_errors)
        self.latencies_s += other.latencies_s
        for label, values in other.by_label.items():
            self.by_label.setdefault(label, []).extend(values)
        self.examples += other.examples[: max(0, 5 - len(self.examples))]

    @property
    def not_2xx(self) -> int:
        return sum(n for code, n in self.statuses.items() if not 200 <= code < 300)

    @property
    def errors(self) -> int:
        return self.not_2xx + sum(self.connection_errors.values())


class Client(threading.Thread):
    """One closed-loop client: its next request as soon as the last is answered, until
    *stop*; what it found, by route, in :attr:`tallies`."""

    def __init__(self, name: str, base_url: str, start_at: threading.Barrier, clock) -> None:
        super().__init__(name=name, daemon=True)
        self.base_url = base_url
        self.start_at = start_at
        self.clock = clock  # (seconds since the soak started, whether warm-up is over)
        self.stop = threading.Event()
        self.tallies: dict[str, RouteTally] = {r: RouteTally() for r in ROUTES}
        self.failure: BaseException | None = None

    def next_request(self, client: httpx.Client) -> tuple[str, str, httpx.Request]:
        """(route template, finer label or "", the request)."""
        raise NotImplementedError

    def run(self) -> None:
        try:
            with common.http_client(self.base_url, timeout_s=CLIENT_TIMEOUT_S) as client:
                self.start_at.wait()
                while not self.stop.is_set():
                    self.once(client, *self.next_request(client))
        except BaseException as exc:  # reported by the soak, never swallowed
            self.failure = exc

    def once(self, client: httpx.Client, route: str, label: str, request: httpx.Request) -> None:
        tally = self.tallies[route]
        tally.requests += 1
        started = time.perf_counter()
        try:
            response = client.send(request)
        except httpx.TransportError as exc:
            tally.connection_errors[type(exc).__name__] += 1
            if len(tally.examples) < 5:
                tally.examples.append(f"{request.url.raw_path.decode()}: no answer, {exc!r}")
            self.stop.wait(ERROR_PAUSE_S)
            return
        elapsed = time.perf_counter() - started
        tally.statuses[response.status_code] += 1
        if self.clock()[1]:
            tally.latencies_s.append(elapsed)
            if label:
                tally.by_label.setdefault(label, []).append(elapsed)
        if not 200 <= response.status_code < 300 and len(tally.examples) < 5:
            retry = response.headers.get("retry-after")
            tally.examples.append(
                f"{request.url.raw_path.decode()[:150]} → HTTP {response.status_code}"
                + (f" (Retry-After {retry})" if retry else "")
                + f": {response.text[:200]}"
            )


class Reader(Client):
    def __init__(self, n: int, targets: ReadTargets, *args) -> None:
        super().__init__(f"reader-{n}", *args)
        self.targets = targets
        self.rng = random.Random(SEED * 1000 + n)

    def next_request(self, client: httpx.Client) -> tuple[str, str, httpx.Request]:
        route, label, path, query = self.targets.request(self.rng)
        return route, label, client.build_request("GET", path, params=query)


class Writer(Client):
    def __init__(self, n: int, work: Workload, headers: dict[str, str], *args) -> None:
        super().__init__(f"writer-{n}", *args)
        self.work = work
        self.headers = headers

    def next_request(self, client: httpx.Client) -> tuple[str, str, httpx.Request]:
        kind, body = self.work.next()
        request = client.build_request("POST", "/api/change-sets", json=body, headers=self.headers)
        return WRITE_ROUTE, kind, request


# --- the service's memory ------------------------------------------------------------------------


def _children_by_parent() -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid …": comm may hold spaces and parentheses.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        out.setdefault(ppid, []).append(int(entry.name))
    return out


def _proc_rss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0  # gone, or a kernel thread


def process_tree_rss(pid: int) -> dict[int, int]:
    """RSS in bytes of *pid* and each of its descendants, by pid (psutil when installed,
    else /proc)."""
    try:
        import psutil
    except ImportError:
        psutil = None
    if psutil is not None:
        out = {}
        try:
            root = psutil.Process(pid)
            for process in [root, *root.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):  # one that just exited
                    out[process.pid] = process.memory_info().rss
        except psutil.Error:
            pass
        return out
    children = _children_by_parent()
    out, todo = {}, [pid]
    while todo:
        current = todo.pop()
        out[current] = _proc_rss_bytes(current)
        todo += children.get(current, [])
    return out


class MemorySampler(threading.Thread):
    """The service's RSS (all its processes) every :data:`SAMPLE_EVERY_S`, from the soak's
    start until *stop*, and once more at the stop: (seconds since the start, {pid: bytes})."""

    def __init__(self, pid: int, started: float) -> None:
        super().__init__(name="rss", daemon=True)
        self.pid = pid
        self.started = started
        self.stop = threading.Event()
        self.samples: list[tuple[float, dict[int, int]]] = []

    def sample(self) -> None:
        self.samples.append((time.monotonic() - self.started, process_tree_rss(self.pid)))

    def run(self) -> None:
        n = 0
        while True:
            self.sample()
            n += 1
            if self.stop.wait(max(0.0, self.started + n * SAMPLE_EVERY_S - time.monotonic())):
                break
        self.sample()


@dataclass
class Memory:
    """What the samples say about the service's memory after the warm-up."""

    at_warmup: int
    highest: int
    last: int
    growth_highest: float
    growth_last: float
    slope_mb_per_min: float
    pids_steady: bool
    series: list[tuple[float, int]]
    by_pid: dict[int, tuple[int, int]]  # pid -> (at warm-up, last)


def memory_after(samples: list[tuple[float, dict[int, int]]], warmup_s: float) -> Memory:
    """The RSS at the last sample of the warm-up, and the highest and last after it."""
    series = [(t, sum(rss.values())) for t, rss in samples]
    before = [i for i, (t, _) in enumerate(series) if t <= warmup_s] or [0]
    w = before[-1]
    after = series[w + 1 :] or series[w:]
    at_warmup = series[w][1]
    highest = max(v for _, v in after)
    last = series[-1][1]
    slope = 0.0
    if len(after) >= 2:
        ts = [t for t, _ in after]
        vs = [v for _, v in after]
        mt, mv = sum(ts) / len(ts), sum(vs) / len(vs)
        denominator = sum((t - mt) ** 2 for t in ts)
        if denominator:
            slope = sum((t - mt) * (v - mv) for t, v in after) / denominator
    pids = [frozenset(rss) for _, rss in samples[w:]]
    first, final = samples[w][1], samples[-1][1]
    return Memory(
        at_warmup=at_warmup,
        highest=highest,
        last=last,
        growth_highest=highest / at_warmup - 1 if at_warmup else float("nan"),
        growth_last=last / at_warmup - 1 if at_warmup else float("nan"),
        slope_mb_per_min=slope * 60 / 1024 / 1024,
        pids_steady=len(set(pids)) == 1,
        series=series,
        by_pid={pid: (first.get(pid, 0), final.get(pid, 0)) for pid in sorted({*first, *final})},
    )


# --- the soak ------------------------------------------------------------------------------------


@dataclass
class Outcome:
    seconds: float
    warmup_s: float
    tallies: dict[str, RouteTally]
    memory: Memory
    committed_in_db: int
    failures: list[str]
    alive_after: bool
    health_after: str
    log_lines: int
    log_error_lines: int  # at level ERROR or CRITICAL, or a traceback


def _change_sets(database: str) -> int:
    engine = common.engine_for(database)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM change_set")).scalar_one()
    finally:
        engine.dispose()


def _writer_workloads(database: str, rng: random.Random) -> list[Workload]:
    """One workload per writer, on its own disjoint sample of the parcels."""
    parcels, manufacturing = _parcels(database)
    chosen = rng.sample(parcels, min(len(parcels), WRITER_PARCELS * WRITERS))
    return [
        Workload(chosen[k::WRITERS], manufacturing, random.Random(SEED + k)) for k in range(WRITERS)
    ]


def soak(database: str, *, seconds: float, warmup_s: float) -> Outcome:
    """Run the soak on *database* (which it writes to)."""
    rng = random.Random(SEED)
    targets = read_targets(database, rng)
    workloads = _writer_workloads(database, rng)
    headers = _token(database, "bench-soak")
    before = _change_sets(database)
    with common.Server(database, workers=WORKERS, label="soak") as server:
        t0 = [0.0]

        def clock() -> tuple[float, bool]:
            elapsed = time.monotonic() - t0[0]
            return elapsed, elapsed >= warmup_s

        barrier = threading.Barrier(READERS + WRITERS + 1)
        clients: list[Client] = [
            Reader(n, targets, server.base_url, barrier, clock) for n in range(READERS)
        ]
        clients += [
            Writer(n, workloads[n], headers, server.base_url, barrier, clock)
            for n in range(WRITERS)
        ]
        for c in clients:
            c.start()
        t0[0] = time.monotonic()  # before the barrier lets the clients go
        barrier.wait(timeout=60)
        sampler = MemorySampler(server.process.pid, t0[0])
        sampler.start()
        common.log(
            f"soak: {READERS} readers, {WRITERS} writers for {seconds:.0f} s "
            f"(warm-up {warmup_s:.0f} s), {WORKERS} workers"
        )
        next_note = 60.0
        while (elapsed := time.monotonic() - t0[0]) < seconds:
            if elapsed >= next_note:
                done = sum(t.requests for c in clients for t in c.tallies.values())
                rss = sampler.samples[-1][1] if sampler.samples else {}
                common.log(
                    f"  {elapsed:.0f} s: {done:,} requests; RSS "
                    f"{sum(rss.values()) / 1024 / 1024:.0f} MB"
                )
                next_note += 60.0
            time.sleep(min(1.0, max(0.0, seconds - elapsed)))
        for c in clients:
            c.stop.set()
        sampler.stop.set()
        for c in clients:
            c.join(timeout=CLIENT_TIMEOUT_S + 10)
        sampler.join(timeout=30)
        alive = server.process is not None and server.process.poll() is None
        try:
            with common.http_client(server.base_url, timeout_s=10.0) as client:
                health = client.get("/health")
                health_after = f"HTTP {health.status_code}"
        except httpx.HTTPError as exc:
            health_after = f"no answer ({exc!r})"
        log_path = server.log_path
    log_lines = bad_lines = 0
    with log_path.open(errors="replace") as lines:  # read as a stream: it may be large
        for line in lines:
            log_lines += 1
            bad_lines += bool(_LOG_ERROR.search(line))
    tallies = {r: RouteTally() for r in ROUTES}
    failures = [f"{c.name}: {c.failure!r}" for c in clients if c.failure is not None]
    for c in clients:
        for route, tally in c.tallies.items():
            tallies[route].merge(tally)
    return Outcome(
        seconds=seconds,
        warmup_s=warmup_s,
        tallies=tallies,
        memory=memory_after(sampler.samples, warmup_s),
        committed_in_db=_change_sets(database) - before,
        failures=failures,
        alive_after=alive,
        health_after=health_after,
        log_lines=log_lines,
        log_error_lines=bad_lines,
    )


# --- the section ---------------------------------------------------------------------------------


def _thinned(series: list, every: int) -> list:
    """Every *every*-th item of *series*, and its last."""
    out = series[::every]
    return out if out[-1] is series[-1] else [*out, series[-1]]


def _mb(n: float) -> str:
    return f"{n / 1024 / 1024:.0f} MB"


def _label_order(item: tuple[str, list[float]]) -> tuple[int, str]:
    digits = "".join(ch for ch in item[0] if ch.isdigit())
    return (int(digits) if digits else 0, item[0])


def _latency(tally: RouteTally) -> str:
    return _latency_of(tally.latencies_s)


def _latency_of(v: list[float]) -> str:
    if not v:
        return "—"
    p = common.percentile
    return f"{p(v, 50) * 1000:.1f} / {p(v, 95) * 1000:.1f} / {p(v, 99) * 1000:.1f} ms"


def describe(outcome: Outcome, section: common.Section) -> common.Section:
    """The figures and details of *outcome* in *section*."""
    tallies, memory = outcome.tallies, outcome.memory
    requests = sum(t.requests for t in tallies.values())
    not_2xx = sum(t.not_2xx for t in tallies.values())
    refused_503 = sum(t.statuses[503] for t in tallies.values())
    broken = sum(sum(t.connection_errors.values()) for t in tallies.values())
    errors = not_2xx + broken
    measured_s = outcome.seconds - outcome.warmup_s
    section.add(
        "length of the soak (warm-up included)",
        f"{outcome.seconds:.0f} s (warm-up {outcome.warmup_s:.0f} s)",
        f">= {SECONDS:.0f} s",
        outcome.seconds >= SECONDS,
        note="a short run proves the part works; its figures are not the soak's"
        if outcome.seconds < SECONDS
        else "",
    )
    section.add(
        f"errors over the whole run ({READERS} readers, {WRITERS} writers): answers not 2xx "
        "+ connection errors",
        f"{errors:,} of {requests:,} requests ({not_2xx:,} not 2xx, of them {refused_503:,} "
        f"× 503; {broken:,} connection errors)",
        "0",
        errors == 0 and not outcome.failures and outcome.alive_after,
        note=f"{requests / outcome.seconds:.0f} requests/s"
        + ("" if outcome.alive_after else "; THE SERVER DIED")
        + (f"; client failures: {outcome.failures}" if outcome.failures else ""),
    )
    for route in ROUTES:
        t = tallies[route]
        section.add(
            f"{route}: p50 / p95 / p99 after the warm-up",
            _latency(t),
            note=f"{len(t.latencies_s):,} answers in {measured_s:.0f} s, "
            f"{len(t.latencies_s) / measured_s:.1f}/s"
            + (f"; {t.errors} errors" if t.errors else ""),
        )
    passed = memory.growth_highest <= MAX_GROWTH and memory.pids_steady
    section.add(
        f"the service's RSS ({WORKERS} workers and their supervisor): end of warm-up / "
        "highest after it / end",
        f"{_mb(memory.at_warmup)} / {_mb(memory.highest)} / {_mb(memory.last)}",
        note=f"sampled every {SAMPLE_EVERY_S:.0f} s; trend after the warm-up "
        f"{memory.slope_mb_per_min:+.2f} MB/min",
    )
    section.add(
        "the service's RSS: growth after the warm-up (highest; at the end)",
        f"{memory.growth_highest * 100:+.1f} %; {memory.growth_last * 100:+.1f} %",
        f"<= {MAX_GROWTH * 100:.0f} %",
        passed,
        note="the same worker processes throughout: " + ("yes" if memory.pids_steady else "NO"),
    )
    committed = tallies[WRITE_ROUTE].statuses[201]
    section.add(
        "change sets answered 201 = change sets added to the database",
        f"{committed:,} = {outcome.committed_in_db:,}",
        "equal",
        committed == outcome.committed_in_db,
        note=f"{committed / outcome.seconds:.1f} change sets/s",
    )
    verdict = "met" if errors == 0 and passed else "NOT met"
    section.details += [
        f"**Verdict: the targets (0 errors; RSS within {MAX_GROWTH * 100:.0f} % of its "
        f"warm-up value) were {verdict}"
        + (
            f" — in a short run of {outcome.seconds:.0f} s, not the 10-minute soak."
            if outcome.seconds < SECONDS
            else "."
        )
        + f" RSS {memory.growth_highest * 100:+.1f} % at its highest after the warm-up, "
        f"{memory.growth_last * 100:+.1f} % at the end.**",
        "",
        "| route | requests (whole run) | not 2xx (503) | connection errors | answers after "
        "warm-up | p50 | p95 | p99 | max |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    p = common.percentile
    for route in ROUTES:
        t = tallies[route]
        v = t.latencies_s
        cells = (
            [f"{p(v, q) * 1000:.1f} ms" for q in (50, 95, 99)] + [f"{max(v) * 1000:.1f} ms"]
            if v
            else ["—"] * 4
        )
        broken_here = ", ".join(f"{n} {k}" for k, n in t.connection_errors.items()) or "0"
        section.details.append(
            f"| `{route}` | {t.requests:,} | {t.not_2xx:,} ({t.statuses[503]:,}) | "
            f"{broken_here} | {len(v):,} | " + " | ".join(cells) + " |"
        )
    section.details.append("")
    finer = [
        f"`{route}` {label}: {_latency_of(values)} (n = {len(values):,})"
        for route in ROUTES
        for label, values in sorted(tallies[route].by_label.items(), key=_label_order)
    ]
    if finer:
        section.details += ["After the warm-up, p50 / p95 / p99 by " + "; ".join(finer) + ".", ""]
    examples = [e for route in ROUTES for e in tallies[route].examples]
    if examples:
        section.details += ["Answers that were not 2xx (the first few of each route):", ""]
        section.details += [f"- `{e}`" for e in examples[:15]] + [""]
    every = max(1, int(30 // SAMPLE_EVERY_S))
    section.details += [
        f"The service's RSS (MB) every {every * SAMPLE_EVERY_S:.0f} s from the start: "
        + ", ".join(f"{t:.0f} s {v / 1024 / 1024:.0f}" for t, v in _thinned(memory.series, every))
        + ". By process (pid: end of warm-up → end): "
        + ", ".join(f"{pid}: {_mb(a)} → {_mb(b)}" for pid, (a, b) in memory.by_pid.items())
        + ".",
        "",
        f"After the soak: the server {'was running' if outcome.alive_after else 'HAD EXITED'}; "
        f"`GET /health` answered {outcome.health_after}; the server's log holds "
        f"{outcome.log_lines:,} lines, {outcome.log_error_lines:,} of them at level ERROR or "
        "CRITICAL or a traceback.",
        "",
        f"How it was run: a copy of the run's ~100,000-parcel database behind `parks serve`'s "
        f"uvicorn with {WORKERS} workers (as `docker/Dockerfile` runs it), default settings; "
        f"{READERS} reader and {WRITERS} writer threads in the bench's process (httpx, one "
        "keep-alive connection each), every one sending its next request as soon as the "
        "last is answered, no pause. Readers: half parcel tiles at zooms "
        f"{', '.join(map(str, TILE_ZOOMS))} (a random tile covering a park, gzip accepted), a "
        "quarter the map's search (a parcel code, a code less its last digit, a holder or a "
        "project's name), a quarter OGC items (a bbox of "
        f"{' / '.join(f'{2 * h:g}' for h in OGC_HALF_SIZES_DEG)}° around a parcel, limit "
        f"{' / '.join(map(str, OGC_LIMITS))}). Writers: an admin token; half `set_status`, "
        "half a compensated rezoning pair (bench/rule_and_change_sets.py's workload), each "
        f"writer on its own {WRITER_PARCELS:,} parcels; every change set commits, so every "
        "one moves the data's version and the tiles are made afresh after it. Errors are "
        "counted over the whole run, latencies after the warm-up. The clients share the "
        "machine's cores with the server and PostgreSQL, so latencies include some of their "
        "own time.",
        "",
    ]
    return section


def run(ws: common.Workspace) -> common.Section:
    """The soak on a copy of the workspace's ~100,000-parcel database; its length from
    ``ws.soak_seconds`` and ``ws.soak_warmup_s`` (bench/run.py's ``--seconds`` and
    ``--warmup-seconds``) when set."""
    seconds = getattr(ws, "soak_seconds", None)
    seconds = SECONDS if seconds is None else float(seconds)
    warmup_s = getattr(ws, "soak_warmup_s", None)
    warmup_s = WARMUP_S if warmup_s is None else float(warmup_s)
    if not 0 <= warmup_s < seconds:
        raise ValueError(f"the warm-up ({warmup_s} s) must be shorter than the soak ({seconds} s)")
    database = ws.dbs.create("soak", template=ws.big_db())
    try:
        parcels = ws.parcel_count(database)
        section = common.Section(
            KEY, TITLE.format(readers=READERS, writers=WRITERS, parcels=parcels)
        )
        outcome = soak(database, seconds=seconds, warmup_s=warmup_s)
    finally:
        ws.dbs.drop(database)
    describe(outcome, section)
    section.details.append(
        f"The database: {parcels:,} current parcels, built by {ws.big_built_by}, copied for "
        "the soak (its writes) and dropped afterwards."
    )
    section.details.append("")
    return section


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=SECONDS, help="length, warm-up included")
    parser.add_argument("--warmup-seconds", type=float, default=WARMUP_S)
    parser.add_argument("--parcels", type=int, default=100_000)
    args = parser.parse_args(argv)
    dbs = common.Databases()
    ws = common.Workspace(dbs, big_parcels=args.parcels)
    ws.soak_seconds, ws.soak_warmup_s = args.seconds, args.warmup_seconds
    try:
        load_before, others, started = common.load_average(), common.other_activity(), time.time()
        section = run(ws)
        section.started, section.load_before = started, load_before
        section.details += [
            f"Other active sessions on the PostgreSQL server when this part started: "
            f"{others}; at its end: {common.other_activity()}.",
            "",
        ]
        machine = common.machine(ws.big)
        body = section.markdown(machine, common.load_average(), time.time() - started)
        common.write_section(KEY, body)
    finally:
        dbs.drop_all()
    for line in section.summary():
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

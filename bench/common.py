"""Shared helpers of the benchmarks: throwaway databases made from ``parks_template``, a
real uvicorn server on a free 127.0.0.1 port, timing statistics, the machine's description
and the sections of ``bench/RESULTS.md``.

Every database made here is named ``parks_bench_<pid>_<random>_<n>`` and dropped by
:meth:`Databases.drop_all`; every server is a subprocess in its own process group, stopped
by its process group id. HTTP clients talk only to 127.0.0.1 and ignore proxy settings.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
OUT_DIR = BENCH_DIR / "out"
RESULTS = BENCH_DIR / "RESULTS.md"
SAMPLE = ROOT / "data" / "sample" / "parks.gpkg"
BASE_URL = os.environ.get("DATABASE_URL", "postgresql+psycopg://parks_app@127.0.0.1:5432/parks")
#: The schema's owner: makes and migrates the bench databases, and plays the superuser
#: where a part writes history behind the service's back.
OWNER_URL = os.environ.get("PARKS_OWNER_DATABASE_URL") or make_url(BASE_URL).set(
    username="parks_owner", password=None
).render_as_string(hide_password=False)
TEMPLATE = "parks_template"
STORAGE_SRID = 4545
LOCALHOST = "127.0.0.1"


def log(message: str) -> None:
    """A progress line on stderr (the summary goes to stdout)."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- databases ----------------------------------------------------------------------------


def db_url(database: str) -> str:
    """The SQLAlchemy URL of *database* for the bench's own work, as its owner: it makes,
    loads, grows, analyzes and takes apart the databases the service is measured on."""
    return owner_db_url(database)


def owner_db_url(database: str) -> str:
    """*database* as its owner (migrations; history written behind the service's back)."""
    return make_url(OWNER_URL).set(database=database).render_as_string(hide_password=False)


def service_db_url(database: str) -> str:
    """*database* as the service's role (``DATABASE_URL``'s user, parks_app): what the
    measured servers and CLI runs connect as, as in production."""
    return make_url(BASE_URL).set(database=database).render_as_string(hide_password=False)


def admin() -> psycopg.Connection:
    """An autocommit connection to the ``postgres`` database (CREATE/DROP DATABASE), as
    the owner."""
    url = make_url(OWNER_URL)
    return psycopg.connect(
        host=url.host or LOCALHOST,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        dbname="postgres",
        autocommit=True,
    )


def engine_for(database: str, *, statement_timeout_s: float | None = None) -> Engine:
    """An engine made as production makes them (``service.db.engine.make_engine``: its
    connection settings, e.g. ``jit=off``), with a small pool; dispose of it after use so
    the database can be copied or dropped. *statement_timeout_s* bounds every statement."""
    from sqlalchemy import event

    from service.db.engine import make_engine

    engine = make_engine(db_url(database), pool_size=2, max_overflow=4)
    if statement_timeout_s is not None:
        milliseconds = int(statement_timeout_s * 1000)

        @event.listens_for(engine, "connect")
        def _bound(dbapi_connection, _record):
            with dbapi_connection.cursor() as cur:
                cur.execute(f"SET statement_timeout = {milliseconds}")
            dbapi_connection.commit()

    return engine


class Databases:
    """Creates the run's databases (from the template or from another database) and
    finally drops every one of them."""

    def __init__(self) -> None:
        self.prefix = f"parks_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.made: list[str] = []

    def create(self, label: str, *, template: str = TEMPLATE) -> str:
        """A new database copied from *template* (no one may be connected to it)."""
        name = f"{self.prefix}_{len(self.made)}_{label}"[:63]
        for attempt in range(20):
            try:
                with admin() as conn:
                    conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
                break
            except psycopg.errors.ObjectInUse:
                # Someone (another test run) is connected to the template for a moment.
                if attempt == 19:
                    raise
                time.sleep(0.5)
        self.made.append(name)
        return name

    def create_migrated(self, label: str) -> str:
        """A new database from ``parks_template``, migrated to the head revision."""
        from service.db.migrate import upgrade

        name = self.create(label)
        upgrade(owner_db_url(name))
        return name

    def drop(self, name: str) -> None:
        with admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if name in self.made:
            self.made.remove(name)

    def drop_all(self) -> None:
        for name in reversed(list(self.made)):
            try:
                self.drop(name)
            except Exception as exc:  # keep dropping the others
                log(f"could not drop {name}: {exc}")


# --- the server ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOCALHOST, 0))
        return s.getsockname()[1]


def http_client(base_url: str, *, timeout_s: float = 30.0, **kwargs) -> httpx.Client:
    """A client for the bench server only: 127.0.0.1, no proxies from the environment."""
    if not base_url.startswith(f"http://{LOCALHOST}:"):
        raise ValueError(f"the bench only talks to {LOCALHOST}, not {base_url}")
    return httpx.Client(base_url=base_url, timeout=timeout_s, trust_env=False, **kwargs)


class Server:
    """``uvicorn service.api.app:app_factory --factory`` on a free 127.0.0.1 port, with
    ``DATABASE_URL`` pointing at *database* and ``PARKS_<KEY>`` from *settings*, served
    as ``parks serve`` serves it; its log goes to ``bench/out/``."""

    def __init__(
        self,
        database: str,
        *,
        workers: int = 1,
        label: str = "server",
        settings: dict[str, object] | None = None,
    ) -> None:
        self.database = database
        self.workers = workers
        self.settings = settings or {}
        self.port = free_port()
        self.base_url = f"http://{LOCALHOST}:{self.port}"
        OUT_DIR.mkdir(parents=True, exist_ok=True)
        self.log_path = OUT_DIR / f"{label}.log"
        self.process: subprocess.Popen | None = None

    #: What answers 200 once the server is ready; where it runs.
    ready_path = "/health"
    cwd = ROOT

    def environment(self) -> dict[str, str]:
        """The server's environment: ours without PARKS_*, then the database and settings."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("PARKS_")}
        env["DATABASE_URL"] = service_db_url(self.database)
        env["PYTHONUNBUFFERED"] = "1"
        env.update({f"PARKS_{k.upper()}": str(v) for k, v in self.settings.items()})
        return env

    def app_arguments(self) -> list[str]:
        """uvicorn's arguments naming the app and how it is served (as `parks serve` does)."""
        from service.api.serving import PROTOCOL

        return ["service.api.app:app_factory", "--factory", "--http", PROTOCOL]

    def start(self, *, wait_s: float = 60.0) -> Server:
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            *self.app_arguments(),
            "--host",
            LOCALHOST,
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ]
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            command,
            cwd=self.cwd,
            env=self.environment(),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped as one, by its id
        )
        deadline = time.monotonic() + wait_s
        with http_client(self.base_url, timeout_s=5.0) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(
                        f"the server exited; see {self.log_path}:\n{self.log_tail()}"
                    )
                with contextlib.suppress(httpx.HTTPError):
                    if client.get(self.ready_path).status_code == 200:
                        return self
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the server did not answer {self.ready_path} within {wait_s:.0f} s")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        self.process = None
        self._log.close()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def wrk() -> str:
    """The path of wrk (Debian's package), installed with apt-get when missing."""
    found = shutil.which("wrk")
    if found:
        return found
    log("installing wrk (apt-get)")
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, capture_output=True)
    if not shutil.which("wrk"):
        subprocess.run(["apt-get", "update", "-qq"], check=False, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk could not be installed (apt-get install wrk)")
    return found


# --- statistics --------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """The *q*-th percentile (0..100) by linear interpolation between closest ranks."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


class Deadline:
    """A time budget: ``while not d.expired()``."""

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def expired(self) -> bool:
        return time.monotonic() >= self.end

    def left(self) -> float:
        return max(0.0, self.end - time.monotonic())


@contextlib.contextmanager
def timed() -> Iterator[list[float]]:
    """``with timed() as t: ...`` then ``t[0]`` is the elapsed seconds."""
    box: list[float] = []
    start = time.perf_counter()
    try:
        yield box
    finally:
        box.append(time.perf_counter() - start)


# --- the results ----------------------------------------------------------------------------


@dataclass
class Figure:
    """One measured figure with its target (if any) and verdict."""

    name: str
    value: str
    target: str = ""
    passed: bool | None = None  # None: no target (informational)
    note: str = ""

    @property
    def verdict(self) -> str:
        if self.passed is None:
            return "—"
        return "PASS" if self.passed else "MISS"


@dataclass
class Section:
    """What one part's benchmarks found: figures, then free Markdown."""

    key: str  # "loading": its markers in RESULTS.md
    title: str
    figures: list[Figure] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.time)
    load_before: str = ""

    def add(self, *args, **kwargs) -> Figure:
        figure = Figure(*args, **kwargs)
        self.figures.append(figure)
        return figure

    def markdown(self, machine: dict[str, str], load_after: str, elapsed_s: float) -> str:
        when = dt.datetime.fromtimestamp(self.started).astimezone().strftime("%Y-%m-%d %H:%M %Z")
        out = [f"## {self.title}", "", f"Run {when}; took {elapsed_s:.0f} s.", ""]
        out += ["| machine | |", "|---|---|"]
        out += [f"| {k} | {v} |" for k, v in machine.items()]
        out += [
            f"| load average (1, 5, 15 min) before / after | {self.load_before} / {load_after} |",
            "",
        ]
        out += ["| figure | measured | target | verdict |", "|---|---|---|---|"]
        for f in self.figures:
            note = f" ({f.note})" if f.note else ""
            out.append(f"| {f.name} | {f.value}{note} | {f.target or '—'} | {f.verdict} |")
        out.append("")
        out += self.details
        return "\n".join(out).rstrip() + "\n"

    def summary(self) -> list[str]:
        lines = [self.title]
        for f in self.figures:
            target = f" [target {f.target}]" if f.target else ""
            lines.append(f"  {f.verdict:<4} {f.name}: {f.value}{target}")
        return lines


def load_average() -> str:
    try:
        return ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def _ram() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "?"


def _os() -> str:
    name = platform.system()
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                name = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return f"{name}, kernel {platform.release()}"


def machine(database: str | None = None) -> dict[str, str]:
    """The machine the figures were measured on."""
    info = {
        "CPU": _cpu_model(),
        "cores": str(os.cpu_count()),
        "RAM": _ram(),
        "OS": _os(),
        "Python": platform.python_version(),
    }
    try:
        with admin() as conn:
            info["PostgreSQL"] = conn.execute("SHOW server_version").fetchone()[0]
            settings = conn.execute(
                "SELECT string_agg(name || '=' || setting || coalesce(unit, ''), ', ' "
                "ORDER BY name) FROM pg_settings WHERE name IN ('shared_buffers', 'work_mem', "
                "'jit', 'synchronous_commit', 'max_parallel_workers_per_gather')"
            ).fetchone()[0]
            info["PostgreSQL server settings"] = settings
        if database is None:  # never connect to the template: others copy it meanwhile
            return info
        url = make_url(db_url(database))
        with psycopg.connect(
            host=url.host, port=url.port or 5432, user=url.username, dbname=url.database
        ) as conn:
            info["PostGIS"] = conn.execute("SELECT postgis_full_version()").fetchone()[0]
            info["PostGIS"] = re.sub(
                r'\s*(LIBXML|LIBJSON|LIBPROTOBUF|WAGYU)="[^"]*"', "", info["PostGIS"]
            ).replace('"', "")
        # What the service's own connections run with (make_engine may override, e.g. jit).
        from sqlalchemy import text

        engine = engine_for(database)
        try:
            with engine.connect() as conn:
                info["the service's connections"] = ", ".join(
                    f"{name}={conn.execute(text(f'SHOW {name}')).scalar()}"
                    for name in ("jit", "work_mem", "statement_timeout")
                )
        finally:
            engine.dispose()
    except Exception as exc:  # the figures still count
        info["PostgreSQL"] = info.get("PostgreSQL", "?") + f" (could not read more: {exc})"
    return info


def other_activity() -> str:
    """Other sessions busy on the PostgreSQL server right now (the machine is shared;
    their queries compete for the same cores)."""
    try:
        with admin() as conn:
            rows = conn.execute(
                "SELECT datname, count(*) FROM pg_stat_activity WHERE state = 'active' "
                "AND pid <> pg_backend_pid() AND datname IS NOT NULL "
                "AND datname NOT LIKE %s GROUP BY datname ORDER BY datname",
                (f"parks_bench_{os.getpid()}_%",),
            ).fetchall()
    except Exception:
        return "?"
    if not rows:
        return "none"
    return ", ".join(f"{name} ({n})" for name, n in rows)


HEADER = """# Benchmarks

`make bench` (= `.venv/bin/python bench/run.py`; `--only loading` etc. for one part) writes
the sections below, each between its own markers; anything outside the markers is kept.
Each section says when it ran and on what machine. The machine is shared (other engineers'
tests and benchmarks may run at the same time): the load average and the other active
database sessions are recorded with each run, and latencies measured on a busy machine
are pessimistic.
"""


#: The sections of RESULTS.md in the order they are kept (bench/run.py's PARTS).
SECTION_ORDER = (
    "loading",
    "rule",
    "audit",
    "availability",
    "maps",
    "saturation",
    "tipg",
    "ogc",
    "import_export",
    "placement",
    "trust",
    "digests",
    "people",
    "backup",
    "scale",
    "soak",
    "supervision",
    "projects",
)


def publish_standalone(
    result: Section,
    *,
    key: str,
    machine: dict[str, str],
    started: float,
    load_before: str,
    write: bool,
) -> str:
    """A part run alone (not through bench/run.py): *result* as its markdown section,
    timed from *started*, written into RESULTS.md under *key* when *write*, and printed;
    the section's text."""
    result.started, result.load_before = started, load_before
    body = result.markdown(machine, load_average(), time.time() - started)
    if write:
        write_section(key, body)
    print(body)
    return body


def write_section(key: str, body: str, *, path: Path = RESULTS) -> None:
    """Replace the block between ``<!-- key -->`` and ``<!-- /key -->`` in *path* (add it
    when missing), keeping everything else; a new block goes where :data:`SECTION_ORDER`
    puts it."""
    start, end = f"<!-- {key} -->", f"<!-- /{key} -->"
    block = f"{start}\n{body.rstrip()}\n{end}"
    text = path.read_text(encoding="utf-8") if path.exists() else HEADER
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _m: block, text, count=1)
    else:
        text = _insert_in_order(text, key, block)
    path.write_text(text.rstrip() + "\n", encoding="utf-8")


def _insert_in_order(text: str, key: str, block: str) -> str:
    """Put a new block before the first existing block that comes after *key* in
    :data:`SECTION_ORDER`; at the end when there is none (or *key* is not listed)."""
    later = SECTION_ORDER[SECTION_ORDER.index(key) + 1 :] if key in SECTION_ORDER else ()
    starts = [text.find(f"<!-- {k} -->") for k in later]
    starts = [s for s in starts if s >= 0]
    if starts:
        at = min(starts)
        return text[:at] + block + "\n\n" + text[at:]
    return text.rstrip() + "\n\n" + block + "\n"


# --- loading, whole and step by step ------------------------------------------------------------


@dataclass
class LoadOutcome:
    """A timed ``service.imports.loader.load_dataset`` run."""

    seconds: float
    parcels: int = 0
    ok: bool = False
    error: str = ""
    timed_out: bool = False

    @property
    def rate(self) -> float:
        return self.parcels / self.seconds if self.ok and self.seconds else 0.0


def load_timed(database: str, path: Path, *, timeout_s: float | None = None) -> LoadOutcome:
    """``load_dataset`` into *database*, timed; every statement bounded by *timeout_s*."""
    from service.imports.loader import load_dataset

    engine = engine_for(database, statement_timeout_s=timeout_s)
    start = time.perf_counter()
    try:
        report = load_dataset(engine, path, storage_srid=STORAGE_SRID, actor="bench")
    except Exception as exc:
        elapsed = time.perf_counter() - start
        text = str(getattr(exc, "orig", exc)).strip().splitlines()[0][:200]
        timed_out = "statement timeout" in str(exc)
        return LoadOutcome(
            elapsed, ok=False, error=f"{type(exc).__name__}: {text}", timed_out=timed_out
        )
    finally:
        engine.dispose()
    return LoadOutcome(time.perf_counter() - start, parcels=report.parcels_added, ok=True)


@dataclass
class Step:
    """One timed phase of a step-by-step load."""

    name: str
    seconds: float | None  # None: not finished (timed out or failed)
    note: str = ""

    def cell(self) -> str:
        return "not finished" if self.seconds is None else f"{self.seconds:.2f} s"


@dataclass
class StepwiseLoad:
    """What :func:`load_stepwise` found: its phases and whether it committed."""

    database: str
    parcels: int = 0
    steps: list[Step] = field(default_factory=list)
    committed: bool = False
    error: str = ""
    facts: dict[str, str] = field(default_factory=dict)

    def total(self) -> float:
        return sum(s.seconds or 0.0 for s in self.steps if not s.name.startswith("  "))


def _call(function, *args):
    """Call one of the loader's private steps, giving it a LoadReport if it now takes one
    (the loader evolves; the replay should not break on a new bookkeeping argument)."""
    import inspect

    from service.imports.loader import LoadReport

    parameters = inspect.signature(function).parameters
    kwargs = {}
    if "report" in parameters and len(args) < list(parameters).index("report") + 1:
        kwargs["report"] = LoadReport(source="bench")
    return function(*args, **kwargs)


def _problem_branches(query: str) -> tuple[str, list[tuple[str, str]]] | None:
    """Split ``load_parcels_problems.sql`` into its CTE and its UNION ALL branches
    (label, SQL); None when the file no longer has that shape."""
    m = re.search(r"(?s)(WITH\s+fresh\s+AS\s*\([^()]*\))\s*(SELECT.*)$", query)
    if not m:
        return None
    cte, rest = m.group(1), m.group(2)
    rest = re.sub(r"(?s)\s*ORDER BY[^;]*?LIMIT\s+\d+\s*;?\s*$", "", rest)
    branches = re.split(r"\n\s*UNION ALL\s*\n", rest)
    out = []
    for branch in branches:
        literal = re.search(r"'([^']+)'", branch)
        label = literal.group(1) if literal else " ".join(branch.split())[:40]
        label = re.sub(r"%[sL]", "…", label).rstrip(": ")
        out.append((label, branch))
    return cte, out


def load_stepwise(
    database: str,
    path: Path,
    *,
    probe_as_is: bool = False,
    fix_stage_index: bool = False,
    insert_baselines: bool = False,
    per_structure: bool = False,
    all_fixes: bool = False,
    step_timeout_s: float = 120.0,
    probe_timeout_s: float = 20.0,
) -> StepwiseLoad:
    """Do what ``service.imports.loader.load_dataset`` does, step by step and timed, in one
    transaction, reusing its SQL files and helpers; commit at the end.

    *probe_as_is*: time each check of ``load_parcels_problems.sql`` alone (bounded by
    *probe_timeout_s*), show the self-join's plan and time it on growing prefixes of the
    file. *fix_stage_index*: before the checks, rewrite the staging table (a fresh copy,
    re-indexed), which is the production fix proposed for the unusable stage index.
    *insert_baselines*: insert the same rows into a bare temporary table and into one with
    ``parcel_version``'s indexes and constraints, to split the INSERT's cost;
    *per_structure*: also into copies with one index or constraint each. *all_fixes*:
    apply every change the profile proposes (with *fix_stage_index*: checks without JIT,
    exclusion constraints dropped before the INSERT into an empty ``parcel_version`` and
    re-added after it, leases in one statement) to measure them together.
    """
    import json as _json

    from sqlalchemy import text

    from gis.files import list_layers, read_layer
    from parks.units import AREA_TOLERANCE_M2
    from parks.vocabulary import ParcelStatus, SupplyMode
    from service.changes.session import open_change_set, precheck
    from service.db.sqlfiles import sql, statements
    from service.imports import loader

    result = StepwiseLoad(database)
    steps = result.steps

    def step(name: str, seconds: float | None, note: str = "") -> None:
        steps.append(Step(name, seconds, note))
        log(f"  {name}: {'not finished' if seconds is None else f'{seconds:.2f} s'} {note}")

    with timed() as t:
        frames = {n: read_layer(path, n, to_epsg=STORAGE_SRID) for n in list_layers(path)}
    step("read the GeoPackage (every layer, reprojected)", t[0])
    frame = frames["parcels"]
    total = len(frame)
    params = {
        "statuses": [s.value for s in ParcelStatus],
        "supply_modes": [m.value for m in SupplyMode],
        "tolerance": AREA_TOLERANCE_M2,
    }

    engine = engine_for(database)
    conn = engine.connect()
    trans = conn.begin()

    def bounded(seconds: float) -> None:
        conn.execute(text(f"SET LOCAL statement_timeout = {int(seconds * 1000)}"))

    def attempt(statement: str, bind: dict | None = None, *, limit_s: float):
        """Run in a savepoint, bounded; (seconds or None, rows or error text)."""
        sp = conn.begin_nested()
        bounded(limit_s)
        start = time.perf_counter()
        try:
            rows = conn.execute(text(statement), bind or {}).all()
        except Exception as exc:
            sp.rollback()
            reason = "timed out" if "statement timeout" in str(exc) else type(exc).__name__
            return None, f"{reason} after {time.perf_counter() - start:.1f} s"
        elapsed = time.perf_counter() - start
        sp.rollback()  # a probe changes nothing
        return elapsed, rows

    try:
        bounded(step_timeout_s)
        with timed() as t:
            _call(loader._load_parks, conn, frames["parks"], STORAGE_SRID)
        step("parks", t[0])

        raw = conn.connection.driver_connection
        stage_sql = sql("service.sql", "load_stage.sql")
        # The loader COPYs into the first table load_stage.sql creates (stage_raw since the
        # one-pass staging, stage_parcel before it).
        created = re.search(r"CREATE\s+TEMP(?:ORARY)?\s+TABLE\s+(\w+)", stage_sql, re.I)
        copy_table = created.group(1) if created else "stage_raw"
        with timed() as t:
            for statement in statements(stage_sql):
                raw.execute(statement)
            columns = ("parcel_code", "park", "land_use_code", "status", "holder", "supply_mode")
            values = {c: frame[c].tolist() if c in frame else [None] * total for c in columns}
            supplied = frame["supplied_on"].tolist() if "supplied_on" in frame else [None] * total
            wkbs = loader._wkb(frame.geometry.values)
            with (
                raw.cursor() as cur,
                cur.copy(
                    f"COPY {copy_table} (row_no, parcel_code, park, land_use_code, status, holder, "
                    "supply_mode, supplied_on, wkb) FROM STDIN"
                ) as copy,
            ):
                for i in range(total):
                    copy.write_row(
                        (
                            i + 1,
                            *(loader._clean(values[c][i]) for c in columns),
                            loader._clean(supplied[i]),
                            wkbs[i],
                        )
                    )
        step("staging: temp table + COPY", t[0])

        parts = []
        for statement in statements(sql("service.sql", "load_parcels_classify.sql")):
            with timed() as t:
                conn.execute(
                    text(statement), {"srid": STORAGE_SRID} if ":srid" in statement else {}
                )
            parts.append((f"  `{' '.join(statement.split())[:70]}…`", t[0]))
        step("classify (load_parcels_classify.sql)", sum(p[1] for p in parts))
        for name, seconds in parts:
            step(name, seconds)
        checkxmin = conn.execute(
            text(
                "SELECT bool_or(indcheckxmin) FROM pg_index WHERE indrelid = "
                "'stage_parcel'::regclass"
            )
        ).scalar()
        result.facts["stage index indcheckxmin"] = str(checkxmin)
        fresh = conn.execute(
            text("SELECT count(*) FROM stage_parcel WHERE verdict = 'new'")
        ).scalar()
        result.parcels = fresh

        problems_sql = sql("service.sql", "load_parcels_problems.sql")
        if probe_as_is:
            split = _problem_branches(problems_sql)
            if split is None:
                result.facts["per-check timing"] = "load_parcels_problems.sql changed shape"
            else:
                cte, branches = split
                for label, branch in branches:
                    seconds, rows = attempt(
                        f"SELECT count(*) FROM ({cte} {branch}) q",
                        params,
                        limit_s=probe_timeout_s,
                    )
                    step(
                        f"  check as-is: {label}", seconds, "" if seconds is not None else str(rows)
                    )
                self_join = next((b for label, b in branches if "of the file" in label), None)
                if self_join is not None:
                    plan = conn.execute(text(f"EXPLAIN {cte} {self_join}"), params).scalars().all()
                    result.facts["self-join plan as-is"] = "\n".join(plan)
                    for n in (2_500, 5_000, 10_000):
                        if n >= fresh:
                            break
                        prefix = self_join.replace(
                            "WHERE a.verdict = 'new'",
                            f"WHERE a.verdict = 'new' AND a.row_no <= {n} AND b.row_no <= {n}",
                        )
                        seconds, rows = attempt(
                            f"SELECT count(*) FROM ({cte} {prefix}) q",
                            params,
                            limit_s=probe_timeout_s,
                        )
                        step(
                            f"  check as-is: overlaps within the file, first {n:,} rows",
                            seconds,
                            "" if seconds is not None else str(rows),
                        )
            seconds, rows = attempt(problems_sql, params, limit_s=probe_timeout_s)
            step(
                "  the whole problems query as-is",
                seconds,
                "" if seconds is not None else str(rows),
            )

        if fix_stage_index and checkxmin:
            result.facts["fix applied"] = "yes"
            with timed() as t:
                for statement in (
                    "ALTER TABLE stage_parcel RENAME TO stage_parcel_updated",
                    "CREATE TEMP TABLE stage_parcel ON COMMIT DROP AS "
                    "SELECT * FROM stage_parcel_updated",
                    "CREATE INDEX ON stage_parcel USING gist (geom) WHERE verdict = 'new'",
                    "ANALYZE stage_parcel",
                ):
                    conn.execute(text(statement))
            step("fix: rewrite the staging table unupdated, index it, ANALYZE", t[0])
            checkxmin = conn.execute(
                text(
                    "SELECT bool_or(indcheckxmin) FROM pg_index WHERE indrelid = "
                    "'stage_parcel'::regclass"
                )
            ).scalar()
            result.facts["stage index indcheckxmin after the fix"] = str(checkxmin)
            split = _problem_branches(problems_sql) if probe_as_is else None
            if split is not None:
                cte, branches = split
                for label, branch in branches:
                    seconds, rows = attempt(
                        f"SELECT count(*) FROM ({cte} {branch}) q",
                        params,
                        limit_s=step_timeout_s,
                    )
                    step(
                        f"  check with the fix: {label}",
                        seconds,
                        "" if seconds is not None else str(rows),
                    )

        # The checks as the loader runs them (JIT as configured), then once more without JIT.
        if all_fixes:
            conn.execute(text("SET LOCAL jit = off"))
        seconds, rows = attempt(problems_sql, params, limit_s=step_timeout_s)
        step(
            "checks (load_parcels_problems.sql)"
            + (" with the fix" if result.facts.get("fix applied") else "")
            + (", jit = off" if all_fixes else ""),
            seconds,
            "" if seconds is not None else str(rows),
        )
        if seconds is None:
            raise RuntimeError(f"the checks did not finish: {rows}")
        if rows:
            raise RuntimeError(f"the data set has problems: {rows[:5]}")
        if not all_fixes:
            sp = conn.begin_nested()
            conn.execute(text("SET LOCAL jit = off"))
            jit_off, _rows = attempt(problems_sql, params, limit_s=step_timeout_s)
            sp.rollback()
            step("  the same checks with jit = off (for comparison; not a load phase)", jit_off)
        bounded(step_timeout_s)

        with timed() as t:
            change_set = open_change_set(
                conn,
                kind="register",
                reason=f"load of {path.name}",
                actor="bench",
                operations=[{"op": "load", "source": str(path), "parcels": fresh}],
            )
        step("open the change set (ledger lock)", t[0])
        insert_sql = sql("service.sql", "load_parcels_insert.sql")
        bind = {"valid_from": change_set.at, "change_set_id": change_set.id}
        costliest = None
        if insert_baselines or per_structure:
            select_part = insert_sql[insert_sql.index("SELECT") :]
            cols = (
                "parcel_code, park, land_use_code, status, holder, supply_mode, "
                "supplied_on, geom, valid_from, change_set_id"
            )

            def insert_into_copy(like: str, ddl: list[str]) -> float | str:
                """Seconds to insert the rows into a temporary copy of parcel_version
                (LIKE … *like*, then *ddl* with %T for the table); rolled back."""
                sp = conn.begin_nested()
                try:
                    conn.execute(text(f"CREATE TEMP TABLE bench_pv (LIKE parcel_version {like})"))
                    # Columns the real table's triggers fill (a fingerprint…) may be NULL here.
                    for column in conn.execute(
                        text(
                            "SELECT attname FROM pg_attribute WHERE attrelid = "
                            "'bench_pv'::regclass AND attnum > 0 AND NOT attisdropped "
                            "AND attnotnull AND attgenerated = '' AND NOT atthasdef "
                            "AND attname <> ALL(:keep)"
                        ),
                        {"keep": [c.strip() for c in cols.split(",")]},
                    ).scalars():
                        conn.execute(
                            text(f'ALTER TABLE bench_pv ALTER COLUMN "{column}" DROP NOT NULL')
                        )
                    for statement in ddl:
                        conn.execute(text(statement.replace("%T", "bench_pv")))
                    with timed() as t:
                        conn.execute(text(f"INSERT INTO bench_pv ({cols}) {select_part}"), bind)
                    return t[0]
                except Exception as exc:
                    return f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}"
                finally:
                    sp.rollback()

            bare = insert_into_copy("INCLUDING DEFAULTS INCLUDING GENERATED", [])
            if isinstance(bare, float):
                step(
                    "  baseline: the same INSERT into a bare temporary copy (no index, "
                    "constraint or trigger)",
                    bare,
                )
            indexed = insert_into_copy("INCLUDING ALL", [])
            if isinstance(indexed, float):
                step(
                    "  baseline: the same INSERT into a temporary copy with all of "
                    "parcel_version's indexes and constraints, no trigger",
                    indexed,
                )
            if per_structure and isinstance(bare, float):
                structures = [
                    (
                        f"constraint `{name}` ({kind})",
                        f"ALTER TABLE %T ADD CONSTRAINT bench_{name} {definition}",
                    )
                    for name, kind, definition in conn.execute(
                        text(
                            "SELECT conname, CASE contype WHEN 'c' THEN 'check' WHEN 'x' "
                            "THEN 'exclusion' WHEN 'u' THEN 'unique' ELSE 'primary key' END, "
                            "pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = "
                            "'parcel_version'::regclass AND contype IN ('c', 'x', 'u', 'p') "
                            "ORDER BY conname"
                        )
                    )
                ]
                for name, definition in conn.execute(
                    text(
                        "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                        "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = "
                        "'parcel_version'::regclass AND NOT EXISTS (SELECT 1 FROM "
                        "pg_constraint k WHERE k.conindid = i.indexrelid) ORDER BY c.relname"
                    )
                ):
                    ddl = re.sub(
                        r"^CREATE (UNIQUE )?INDEX \S+ ON (ONLY )?\S+",
                        lambda m: f"CREATE {m.group(1) or ''}INDEX ON %T",
                        definition,
                    )
                    structures.append((f"index `{name}`", ddl))
                lines, costs = [], []
                for label, ddl in structures:
                    seconds = insert_into_copy("INCLUDING DEFAULTS INCLUDING GENERATED", [ddl])
                    if isinstance(seconds, float):
                        lines.append(f"| {label} | {max(0.0, seconds - bare):.2f} s |")
                        costs.append((seconds - bare, label, ddl))
                        log(f"    {label}: +{seconds - bare:.2f} s")
                    else:
                        lines.append(f"| {label} | ({seconds}) |")
                result.facts["insert per structure"] = "\n".join(lines)
                if costs and max(costs)[0] > 0.25 * (indexed if isinstance(indexed, float) else 0):
                    costliest = max(costs)[1:]
        exclusions = []
        empty = not conn.execute(text("SELECT EXISTS (SELECT 1 FROM parcel_version)")).scalar()
        if all_fixes and empty:
            exclusions = conn.execute(
                text(
                    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE "
                    "conrelid = 'parcel_version'::regclass AND contype = 'x'"
                )
            ).all()
            with timed() as t:
                for name, _definition in exclusions:
                    conn.execute(text(f'ALTER TABLE parcel_version DROP CONSTRAINT "{name}"'))
            step("drop the exclusion constraint(s) (parcel_version is empty)", t[0])
        with timed() as t:
            plan = conn.execute(text("EXPLAIN (ANALYZE, FORMAT JSON) " + insert_sql), bind).scalar()
        step("INSERT into parcel_version (load_parcels_insert.sql, triggers included)", t[0])

        plan = plan if isinstance(plan, list) else _json.loads(plan)
        constraint_of = dict(
            conn.execute(
                text(
                    "SELECT t.tgname, c.conname FROM pg_trigger t JOIN pg_constraint c "
                    "ON c.oid = t.tgconstraint WHERE t.tgrelid = 'parcel_version'::regclass"
                )
            ).all()
        )
        for trigger in plan[0].get("Triggers", []):
            name = trigger["Trigger Name"]
            if name in constraint_of:
                name = f"{name} (constraint {constraint_of[name]})"
            step(
                f"  trigger {name}, {trigger['Calls']} call(s)",
                trigger.get("Time", float("nan")) / 1000,
            )

        if exclusions:
            with timed() as t:
                for name, definition in exclusions:
                    conn.execute(
                        text(f'ALTER TABLE parcel_version ADD CONSTRAINT "{name}" {definition}')
                    )
            step("re-add the exclusion constraint(s), built once", t[0])
        with timed() as t:
            refusal = precheck(conn)
        step("precheck (service/changes/session.py)", t[0])
        if refusal is not None:
            raise RuntimeError(f"the precheck refused the load: {refusal}")
        for layer, function in (
            ("buildings", lambda f: _call(loader._load_buildings, conn, f, STORAGE_SRID)),
            ("leases", lambda f: _call(loader._load_leases, conn, f)),
            ("projects", lambda f: _call(loader._load_projects, conn, f)),
            ("targets", lambda f: _call(loader._load_targets, conn, f)),
        ):
            if layer == "leases" and all_fixes and layer in frames:
                _leases_in_one_statement(conn, loader, frames["leases"], step, keep=True)
                continue
            if layer in frames and hasattr(loader, f"_load_{layer}"):
                with timed() as t:
                    function(frames[layer])
                step(f"{layer} ({len(frames[layer]):,} rows)", t[0])
                if layer == "leases" and insert_baselines:
                    _leases_in_one_statement(conn, loader, frames["leases"], step)
        context = [n for n in frames if n not in loader.CORE_LAYERS]
        with timed() as t:
            rows = sum(
                _call(loader._load_context_layer, conn, n, frames[n], STORAGE_SRID) for n in context
            )
        step(f"context layers ({len(context)} layers, {rows:,} features)", t[0])
        if costliest is not None:
            _without_on_the_real_table(conn, result, *costliest, insert_sql, bind, step)
        with timed() as t:
            trans.commit()
        step("COMMIT (the deferred rule check appends the ledger row)", t[0])
        result.committed = True
    except Exception as exc:
        result.error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}"
        log(f"  stepwise load failed: {result.error}")
        with contextlib.suppress(Exception):
            trans.rollback()
    finally:
        conn.close()
        engine.dispose()
    return result


# --- the databases the benchmarks share ------------------------------------------------------


class Workspace:
    """The run's shared databases, made on first use: the sample loaded into a fresh
    migrated database, and ~100,000 generated parcels likewise. Parts that write copy
    them (``dbs.create(label, template=...)``) so these stay as loaded."""

    def __init__(
        self, dbs: Databases, *, big_parcels: int = 100_000, load_timeout_s: float = 90.0
    ) -> None:
        self.dbs = dbs
        self.big_parcels = big_parcels
        self.load_timeout_s = load_timeout_s
        self.sample: str | None = None
        self.sample_load: LoadOutcome | None = None
        self.big: str | None = None
        self.big_load: LoadOutcome | None = None
        self.big_built_by = ""
        self.big_error = ""
        self._big_file: Path | None = None
        self.big_generate_s = self.big_write_s = 0.0

    def sample_db(self) -> str:
        if self.sample is None:
            log("loading the sample into a fresh migrated database")
            name = self.dbs.create_migrated("sample")
            self.sample_load = load_timed(name, SAMPLE, timeout_s=self.load_timeout_s)
            if not self.sample_load.ok:
                raise RuntimeError(f"the sample did not load: {self.sample_load.error}")
            log(f"  {self.sample_load.parcels} parcels in {self.sample_load.seconds:.2f} s")
            self.sample = name
        return self.sample

    def big_file(self) -> Path:
        """The generated data set (bench/out/, gitignored), generated once per run."""
        if self._big_file is None:
            from service.sample import generator as sample

            log(f"generating {self.big_parcels:,} parcels")
            with timed() as t:
                data = sample.generate(total_parcels=self.big_parcels, srid=STORAGE_SRID)
                import pandas as pd

                # The parts on this data set measure parcels (their load, reads, writes):
                # the supervision records are left out (part supervision loads its own).
                data = dataclasses.replace(
                    data, **{name: pd.DataFrame() for name in sample.SUPERVISION_LAYER_NAMES}
                )
            self.big_generate_s = t[0]
            path = OUT_DIR / f"parks_{self.big_parcels}.gpkg"
            with timed() as t:
                sample.write(data, path)
            self.big_write_s = t[0]
            self.big_parcels = len(data.parcels)
            self._big_file = path
        return self._big_file

    def attempt_big_load(self) -> LoadOutcome:
        """``load_dataset`` of the generated file into a fresh migrated database, every
        statement bounded by ``load_timeout_s``."""
        if self.big_load is None:
            path = self.big_file()
            name = self.dbs.create_migrated("100k")
            log(
                f"load_dataset of {self.big_parcels:,} parcels (statement timeout "
                f"{self.load_timeout_s:.0f} s)"
            )
            self.big_load = load_timed(name, path, timeout_s=self.load_timeout_s)
            log(
                f"  {'ok' if self.big_load.ok else self.big_load.error} after "
                f"{self.big_load.seconds:.1f} s"
            )
            if self.big_load.ok:
                self.adopt_big(name, "`service.imports.loader.load_dataset`")
            else:
                self.dbs.drop(name)
        return self.big_load

    def adopt_big(self, name: str, how: str) -> None:
        self.big, self.big_built_by = name, how

    def big_db(self) -> str:
        """The ~100,000-parcel database: loaded by ``load_dataset`` when it finishes in
        time, else by the step-by-step replay with the staging-index fix."""
        if self.big is None and self.big_error:
            raise RuntimeError(self.big_error)
        if self.big is None:
            outcome = self.attempt_big_load()
            if not outcome.ok:
                log(
                    "load_dataset did not finish; building the 100k database step by step "
                    "with the staging-index fix"
                )
                name = self.dbs.create_migrated("100k_fixed")
                result = self.stepwise(name, self.big_file(), fix_stage_index=True)
                if not result.committed:
                    self.dbs.drop(name)
                    self.big_error = f"could not build the 100k database: {result.error}"
                    raise RuntimeError(self.big_error)
                self.adopt_big(
                    name,
                    "the step-by-step replay of the loader with the fix "
                    "for its staging index (`load_dataset` did not finish)",
                )
        return self.big

    def stepwise(self, name: str, path: Path, **kwargs) -> StepwiseLoad:
        return load_stepwise(name, path, **kwargs)

    @staticmethod
    def parcel_count(database: str) -> int:
        from sqlalchemy import text

        engine = engine_for(database)
        try:
            with engine.connect() as conn:
                return conn.execute(
                    text("SELECT count(*) FROM parcel_version WHERE valid_to IS NULL")
                ).scalar()
        finally:
            engine.dispose()


def _without_on_the_real_table(conn, result, label, ddl, insert_sql, bind, step) -> None:
    """The costliest index or constraint on the real table: the load's rows inserted once
    more under other codes with it, then without it and it built once afterwards; all in
    savepoints rolled back, after the load's own INSERT (which they must not disturb: a
    rolled-back insert leaves dead rows and, via CREATE INDEX, table statistics behind)."""
    from sqlalchemy import text

    again = insert_sql.replace("SELECT parcel_code,", "SELECT parcel_code || '~bench',", 1)
    if again == insert_sql:
        return
    m = re.match(r"ALTER TABLE %T ADD CONSTRAINT bench_(\S+) (.*)$", ddl, re.S)
    if m:
        name, definition = m.group(1), m.group(2)
        drop = f'ALTER TABLE parcel_version DROP CONSTRAINT "{name}"'
        add = f'ALTER TABLE parcel_version ADD CONSTRAINT "{name}" {definition}'
    else:
        name = label.split("`")[1]
        drop = f'DROP INDEX "{name}"'
        add = ddl.replace("%T", "parcel_version")
    try:
        sp = conn.begin_nested()
        try:
            with timed() as t0:
                conn.execute(text(again), bind)
        finally:
            sp.rollback()
        sp = conn.begin_nested()
        try:
            conn.execute(text(drop))
            with timed() as t1:
                conn.execute(text(again), bind)
            with timed() as t2:
                conn.execute(text(add))
        finally:
            sp.rollback()
    except Exception as exc:
        result.facts["without the costliest"] = f"{label}|failed: {str(exc).splitlines()[0]}"
        return
    step(
        f"  the same rows again (other codes) into the real table, with {label}",
        t0[0],
        "rolled back",
    )
    step(f"  … and without {label}", t1[0], "rolled back")
    step(f"  … then building {label} once over all the rows", t2[0], "rolled back")
    result.facts["without the costliest"] = f"{label}|{t0[0]:.2f}|{t1[0]:.2f}|{t2[0]:.2f}"


_LEASES_SQL = (
    "INSERT INTO lease (lease_id, building_code, tenant, floor, leased_m2, start_date, "
    "end_date) SELECT lease_id, building_code, tenant, floor, leased_m2, start_date, end_date "
    "FROM json_to_recordset(CAST(:rows AS json)) AS r(lease_id text, building_code text, "
    "tenant text, floor int, leased_m2 float8, start_date date, end_date date) "
    "ON CONFLICT (lease_id) DO NOTHING"
)


def _leases_in_one_statement(conn, loader, frame, step, *, keep: bool = False) -> None:
    """The leases as one INSERT … SELECT FROM json_to_recordset: in a savepoint rolled back
    (how much of the leases step is one round trip per row), or for good with *keep*."""
    import json as _json

    from sqlalchemy import text

    rows = [
        {
            "lease_id": str(r.lease_id),
            "building_code": r.building_code,
            "tenant": r.tenant,
            "floor": int(r.floor),
            "leased_m2": float(r.leased_m2),
            "start_date": loader._clean(r.start_date),
            "end_date": loader._clean(getattr(r, "end_date", None)),
        }
        for r in frame.itertuples(index=False)
    ]
    payload = {"rows": _json.dumps(rows, default=str)}
    if keep:
        with timed() as t:
            conn.execute(text(_LEASES_SQL), payload)
        step(f"leases ({len(rows):,} rows) in one INSERT … SELECT FROM json_to_recordset", t[0])
        return
    label = "  the same leases as one INSERT … SELECT FROM json_to_recordset"
    sp = conn.begin_nested()
    try:
        conn.execute(
            text("DELETE FROM lease WHERE lease_id = ANY(:ids)"),
            {"ids": [r["lease_id"] for r in rows]},
        )
        with timed() as t:
            conn.execute(text(_LEASES_SQL), payload)
        step(label, t[0], "rolled back")
    except Exception as exc:
        step(label, None, str(exc).splitlines()[0][:120])
    finally:
        sp.rollback()

"""Prometheus metrics: what the service is doing, exported by ``GET /metrics``.

Counted as it happens, by plain functions that are cheap and safe from any thread:

* every request answered: method, route template (never the raw path: label values must
  stay few) and status, and how long it took (:func:`request_observed`, called by the
  request-context guard);
* change sets committed and refused, by the refusal's error code
  (:func:`change_set_committed`, :func:`change_set_refused`), and how long a change
  set's COMMIT took — the database's deferred rule judges it there
  (:func:`observe_rule_check`);
* the tile cache's and the availability search's parcel index's hits and misses
  (:func:`tile_cache`, :func:`search_cache`), backups taken by this process
  (:func:`backup_taken`).

Read when scraped (:func:`exposition`): from the database, on a connection of its own
and with a few one-row statements, the ledger's head sequence and the age of the last
signed digest and of the last backup (NaN while its table is missing; +Inf while none
was ever taken); from the request pool, the connections checked out, idle and in
overflow.

Several worker processes (``parks serve --workers N``): prometheus_client's multiprocess
mode, on when ``PROMETHEUS_MULTIPROC_DIR`` names a directory in the environment before
this module is imported (``parks serve`` sees to it). Each worker writes its counts into
files there and a scrape, whichever worker answers it, sums them all; the pool gauges are
each live worker's sample taken after its last request, summed.
"""

from __future__ import annotations

import glob
import logging
import math
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

#: The environment variable that switches prometheus_client to multiprocess mode.
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
#: The media type of :func:`exposition`'s text (Prometheus text format 0.0.4).
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4

#: Set at import, as prometheus_client decides its mode then.
MULTIPROCESS_DIR: str | None = os.environ.get(MULTIPROCESS_ENV) or None

#: The route label of a request no route matched (a 404 of an unknown path).
UNMATCHED_ROUTE = "unmatched"
#: Methods counted by name; any other is counted as "other" (a client may send any token).
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_REASON = re.compile(r"[a-z][a-z0-9_]{0,63}")

# ``*_created`` series double every counter's output and nobody here reads them.
disable_created_metrics()

#: Our metrics (not prometheus_client's global registry: nothing else lands in it).
REGISTRY = CollectorRegistry()

REQUESTS = Counter(
    "parks_http_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
REQUEST_SECONDS = Histogram(
    "parks_http_request_duration_seconds",
    "Time from a request's arrival to its answer's last byte, by method and route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
    registry=REGISTRY,
)
CHANGE_SETS_COMMITTED = Counter(
    "parks_change_sets_committed",
    "Change sets committed (each appended one ledger row).",
    registry=REGISTRY,
)
CHANGE_SETS_REFUSED = Counter(
    "parks_change_sets_refused",
    "Change sets refused and logged in the refusal log, by the refusal's error code "
    "(manufacturing_land_would_decrease: the rule; invalid_change_set; ...).",
    ["reason"],
    registry=REGISTRY,
)
RULE_CHECK_SECONDS = Histogram(
    "parks_rule_check_seconds",
    "Time of a change set's COMMIT, where the database's deferred trigger judges the rule "
    "and appends the ledger row (refused commits included).",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
TILE_CACHE = Counter(
    "parks_tile_cache_lookups",
    "Vector tiles asked of the tile cache: result=hit (kept) or miss (made now).",
    ["result"],
    registry=REGISTRY,
)
SEARCH_CACHE = Counter(
    "parks_search_index_lookups",
    "Availability searches' parcel index: result=hit (already at the ledger's last row) or "
    "miss (loaded or brought up to it first).",
    ["result"],
    registry=REGISTRY,
)
BACKUPS_TAKEN = Counter(
    "parks_backups_taken",
    "Backups taken by this process (parks backup runs as its own process: see "
    "parks_last_backup_age_seconds for the database's record).",
    registry=REGISTRY,
)
for _result in ("hit", "miss"):
    TILE_CACHE.labels(_result)
    SEARCH_CACHE.labels(_result)
for _reason in ("manufacturing_land_would_decrease", "invalid_change_set"):
    CHANGE_SETS_REFUSED.labels(_reason)

#: Pool gauges of the multiprocess mode, set by :func:`sample_pool` (single process: read
#: from the pool when scraped instead). Not in :data:`REGISTRY`: written to the files.
_POOL_CONNECTIONS = Gauge(
    "parks_db_pool_connections",
    "Connections of the request pool by state (checked_out, idle, overflow).",
    ["state"],
    registry=None,
    multiprocess_mode="livesum",
)
_POOL_CAPACITY = Gauge(
    "parks_db_pool_capacity",
    "Most connections the request pool opens (size + overflow).",
    registry=None,
    multiprocess_mode="livesum",
)
#: The process's CPU, memory and file descriptors (single process only: in multiprocess
#: mode it would describe whichever worker answered).
_PROCESS = ProcessCollector(registry=None)

_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
_log = logging.getLogger(__name__)


# --- counted as it happens -------------------------------------------------------------------


def request_observed(*, method: str, route: str, status: int, seconds: float) -> None:
    """Count one answered request: *route* is its route template (or
    :data:`UNMATCHED_ROUTE`), *seconds* from arrival to the answer's end."""
    if method not in METHODS:
        method = "other"  # a client may send any token: the series must stay few
    key = (method, route, status)
    children = _children.get(key)
    if children is None:
        children = (
            REQUESTS.labels(method, route, str(status)),
            REQUEST_SECONDS.labels(method, route),
        )
        _children[key] = children
    children[0].inc()
    children[1].observe(seconds)


def change_set_committed() -> None:
    """Count a committed change set."""
    CHANGE_SETS_COMMITTED.inc()


def change_set_refused(reason: str) -> None:
    """Count a refused change set; *reason* is the refusal's error code."""
    CHANGE_SETS_REFUSED.labels(reason if _REASON.fullmatch(reason) else "other").inc()


def observe_rule_check(seconds: float) -> None:
    """Record how long a change set's COMMIT (the database's judgement of the rule) took."""
    RULE_CHECK_SECONDS.observe(seconds)


def tile_cache(hit: bool) -> None:
    """Count a tile cache lookup."""
    TILE_CACHE.labels("hit" if hit else "miss").inc()


def search_cache(hit: bool) -> None:
    """Count a lookup of the availability search's parcel index."""
    SEARCH_CACHE.labels("hit" if hit else "miss").inc()


def backup_taken() -> None:
    """Count a backup taken by this process."""
    BACKUPS_TAKEN.inc()


def pool_figures(pool: Any) -> tuple[dict[str, int], int] | None:
    """(connections by state, capacity) of a SQLAlchemy ``QueuePool``; None for a pool
    that keeps no such figures."""
    try:
        connections = {
            "checked_out": int(pool.checkedout()),
            "idle": int(pool.checkedin()),
            "overflow": max(0, int(pool.overflow())),
        }
        capacity = int(pool.size()) + max(0, int(getattr(pool, "_max_overflow", 0)))
    except (AttributeError, TypeError):
        return None
    return connections, capacity


def sample_pool(pool: Any) -> None:
    """Multiprocess mode: write this worker's pool figures for the next scrape to sum
    (called after each request). Does nothing in a single process, where the scrape reads
    the pool itself."""
    if MULTIPROCESS_DIR is None:
        return
    figures = pool_figures(pool)
    if figures is None:
        return
    connections, capacity = figures
    for state, value in connections.items():
        _POOL_CONNECTIONS.labels(state).set(value)
    _POOL_CAPACITY.set(capacity)


# --- read when scraped -----------------------------------------------------------------------

_TABLES_SQL = (
    "SELECT to_regclass('ledger_head') IS NOT NULL, to_regclass('ledger_digest') IS NOT NULL, "
    "to_regclass('backup_record') IS NOT NULL"
)
_LEDGER_SEQ_SQL = "SELECT last_seq FROM ledger_head"
#: Seconds since the newest row of a table listing things taken (NULL: none ever).
_AGE_SQL = "SELECT extract(epoch FROM clock_timestamp() - max(taken_at)) FROM {table}"


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _age(conn, table: str, present: bool) -> float:
    if not present:
        return math.nan
    age = conn.execute(text(_AGE_SQL.format(table=table))).scalar()
    return math.inf if age is None else float(age)


def database_families(engine: Engine | None) -> list[Metric]:
    """The figures read from the database: the ledger's head sequence and the ages of the
    last digest and backup; ``parks_metrics_database_up`` says whether they could be read
    (0: the database did not answer, and they are left out)."""
    if engine is None:
        return []
    try:
        with engine.connect() as conn:
            ledger, digests, backups = conn.execute(text(_TABLES_SQL)).one()
            seq = conn.execute(text(_LEDGER_SEQ_SQL)).scalar() if ledger else None
            digest_age_s = _age(conn, "ledger_digest", digests)
            backup_age_s = _age(conn, "backup_record", backups)
    except SQLAlchemyError as exc:
        _log.warning("metrics: the database's figures could not be read: %s", type(exc).__name__)
        return [_gauge("parks_metrics_database_up", "1: the database's figures were read.", 0)]
    families = [
        _gauge("parks_metrics_database_up", "1: the database's figures were read.", 1),
        _gauge(
            "parks_last_digest_age_seconds",
            "Seconds since the last signed ledger digest (+Inf: none taken; NaN: no table).",
            digest_age_s,
        ),
        _gauge(
            "parks_last_backup_age_seconds",
            "Seconds since the last backup recorded in backup_record (+Inf: none taken; "
            "NaN: no table).",
            backup_age_s,
        ),
    ]
    if seq is not None:
        families.append(
            _gauge("parks_ledger_head_seq", "Sequence number of the ledger's last row.", seq)
        )
    return families


def pool_families(pool: Any) -> list[Metric]:
    """The request pool's figures as they stand (single process)."""
    figures = pool_figures(pool) if pool is not None else None
    if figures is None:
        return []
    connections, capacity = figures
    by_state = GaugeMetricFamily(
        "parks_db_pool_connections",
        "Connections of the request pool by state (checked_out, idle, overflow).",
        labels=["state"],
    )
    for state, value in connections.items():
        by_state.add_metric([state], value)
    return [
        by_state,
        _gauge("parks_db_pool_capacity", "Most connections the request pool opens.", capacity),
    ]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def forget_dead_workers(path: str) -> None:
    """Drop the live gauges of worker processes that have ended (uvicorn restarts a worker
    that dies; its last pool sample must not be summed for ever)."""
    for name in glob.glob(os.path.join(path, "gauge_live*_*.db")):
        pid = os.path.basename(name)[: -len(".db")].rsplit("_", 1)[-1]
        if pid.isdigit() and not _pid_alive(int(pid)):
            mark_process_dead(int(pid), path)


class _Scrape:
    """Everything one scrape exports (a collector, for ``generate_latest``)."""

    def __init__(self, *, database: Engine | None, pool: Any) -> None:
        self.database = database
        self.pool = pool

    def collect(self) -> Iterator[Metric]:
        if MULTIPROCESS_DIR is not None:
            sample_pool(self.pool)
            forget_dead_workers(MULTIPROCESS_DIR)
            parts: Iterable[Metric] = MultiProcessCollector(None, MULTIPROCESS_DIR).collect()
        else:
            parts = [*REGISTRY.collect(), *_PROCESS.collect(), *pool_families(self.pool)]
        yield from parts
        yield from database_families(self.database)


def exposition(*, database: Engine | None, pool: Any) -> bytes:
    """The metrics in Prometheus's text format (:data:`CONTENT_TYPE`): this process's (or
    every worker's) counts, the request *pool*'s figures and those read from *database*
    (an engine of its own, not the request pool: a scrape must not wait for a slot)."""
    return generate_latest(_Scrape(database=database, pool=pool))


# --- several workers ---------------------------------------------------------------------------


@contextmanager
def multiprocess_dir(workers: int) -> Iterator[str | None]:
    """The directory the workers of ``parks serve --workers N`` share their metrics in,
    for the duration of the server: ``PROMETHEUS_MULTIPROC_DIR`` when the environment sets
    it (emptied of earlier runs' files first), else — several workers — a new temporary
    directory set in the environment the workers inherit, removed afterwards; None for
    one worker without it (its metrics live in its memory). Call before any worker starts:
    prometheus_client picks its mode when it is imported."""
    given = os.environ.get(MULTIPROCESS_ENV)
    if given:
        os.makedirs(given, exist_ok=True)
        for name in glob.glob(os.path.join(given, "*.db")):
            os.remove(name)
        yield given
        return
    if workers <= 1:
        yield None
        return
    path = tempfile.mkdtemp(prefix="parks-metrics-")
    os.environ[MULTIPROCESS_ENV] = path
    try:
        yield path
    finally:
        os.environ.pop(MULTIPROCESS_ENV, None)
        shutil.rmtree(path, ignore_errors=True)

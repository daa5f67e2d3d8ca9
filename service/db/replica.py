"""Whether the streaming replica may serve a read, measured cheaply and kept for a second.

The replica (``PARKS_READ_DATABASE_URL``) serves the reads that tolerate a short lag while
it is at most ``PARKS_READ_MAX_LAG_S`` behind the primary; a request whose own write it
has not replayed yet reads from the primary (:meth:`ReplicaGuard.has_replayed`).

**The lag** is how long ago the primary wrote the oldest WAL the replica has not replayed
— the age of the newest data a read on the replica may be missing. It is measured by two
one-row statements, the primary's ``pg_current_wal_lsn()`` and then the replica's
``pg_last_wal_replay_lsn()`` and ``now() - pg_last_xact_replay_timestamp()``, at most once
per :data:`CHECK_EVERY_S` per process (never per request: the other requests meanwhile use
the last verdict):

* replayed at least the primary's LSN read just before: lag 0 (nothing the primary had
  written when asked is missing);
* otherwise the smaller of two upper bounds: the age of the last transaction the replica
  replayed (whatever it misses came after that commit), and the time since the latest of
  this process's earlier checks that saw the primary at or below what the replica has now
  replayed (the primary wrote the missing WAL after that check). The first bound alone
  would call an idle primary's first commit in an hour an hour of lag; the second makes
  the estimate as fine as the checks are frequent.

A replica that can't be reached, or is no longer in recovery (promoted: it no longer
follows this primary), serves nothing until a check finds it well again, at most
:data:`RETRY_DOWN_S` later. Nothing here needs more than the service's role: the
functions are callable by every role.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from service.db.engine import make_engine

#: How long a verdict on the replica is kept before the next request checks again.
CHECK_EVERY_S = 1.0
#: How long a replica that couldn't be reached (or isn't a standby) is left alone.
RETRY_DOWN_S = 5.0
#: Checks of the primary's WAL position remembered for the second lag bound.
SAMPLES_KEPT = 600
#: The guard's own connections give up quickly: a check must never hold a request long.
_CONNECT = {"connect_timeout": 2, "options": "-c jit=off -c statement_timeout=2000"}
_PRIMARY_SQL = "SELECT pg_current_wal_lsn()::text"
_REPLICA_SQL = """
SELECT pg_is_in_recovery(),
       pg_last_wal_replay_lsn()::text,
       extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8
"""

_log = logging.getLogger(__name__)


def parse_lsn(lsn: str) -> int:
    """A WAL position as PostgreSQL writes it (``16/B374D848``) as one integer."""
    high, _, low = lsn.partition("/")
    return (int(high, 16) << 32) | int(low, 16)


def lag_estimate_s(
    *,
    primary_lsn: int,
    replayed_lsn: int,
    replay_age_s: float | None,
    samples: Iterable[tuple[float, int]],
    now: float,
) -> float:
    """How far (s) the replica is behind (see the module docstring): 0 when it has replayed
    *primary_lsn* (the primary's position read just before), else the smaller of the age of
    the last transaction it replayed (*replay_age_s*; None: none yet) and the time since
    the latest of the earlier *samples* (time, primary's position) at or below
    *replayed_lsn*; infinite when neither bound is known."""
    if replayed_lsn >= primary_lsn:
        return 0.0
    bounds = [max(replay_age_s, 0.0)] if replay_age_s is not None else []
    caught_up_at = [t for t, lsn in samples if lsn <= replayed_lsn]
    if caught_up_at:
        bounds.append(max(now - max(caught_up_at), 0.0))
    return min(bounds) if bounds else float("inf")


@dataclass(frozen=True, slots=True)
class ReplicaState:
    """The replica as last checked: whether it may serve reads, its lag (s; None when
    unknown), the WAL position it had replayed (None: unknown) and why it may not."""

    usable: bool
    lag_s: float | None
    replayed_lsn: int | None
    reason: str = ""


_UNCHECKED = ReplicaState(False, None, None, "not checked yet")


class ReplicaGuard:
    """Decides, for one process, whether reads may go to the replica (see the module
    docstring). Safe to call from any thread; :meth:`state` costs nothing but between
    checks, and a check holds up only the request that makes it."""

    def __init__(
        self,
        *,
        primary_url: str,
        replica_url: str,
        max_lag_s: float,
        check_every_s: float = CHECK_EVERY_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_lag_s = max_lag_s
        self.check_every_s = check_every_s
        self._clock = clock
        self._primary = make_engine(
            primary_url, pool_size=1, max_overflow=2, pool_timeout=1.0, connect_args=_CONNECT
        )
        self._replica = make_engine(
            replica_url, pool_size=1, max_overflow=0, pool_timeout=1.0, connect_args=_CONNECT
        )
        self._lock = threading.Lock()
        self._state = _UNCHECKED
        self._next_check = 0.0
        self._samples: deque[tuple[float, int]] = deque(maxlen=SAMPLES_KEPT)

    def state(self) -> ReplicaState:
        """The last verdict, checked again first when it is older than *check_every_s*
        and no other thread is checking (the very first check is waited for)."""
        if self._clock() < self._next_check:
            return self._state
        if self._lock.acquire(blocking=self._state is _UNCHECKED):
            try:
                if self._clock() >= self._next_check:
                    self._check()
            finally:
                self._lock.release()
        return self._state

    def usable(self) -> bool:
        """Whether reads may go to the replica now."""
        return self.state().usable

    def has_replayed(self, lsn: int) -> bool:
        """Whether the replica is known to have replayed WAL position *lsn* (a write's,
        from the read-after-write cookie): as of the last check, so never wrongly yes."""
        replayed = self.state().replayed_lsn
        return replayed is not None and replayed >= lsn

    def mark_down(self, reason: str) -> None:
        """The replica failed a request: no reads go to it until a check finds it well,
        in :data:`RETRY_DOWN_S`."""
        with self._lock:
            self._set(ReplicaState(False, None, None, reason), retry_s=RETRY_DOWN_S)

    def primary_lsn(self) -> int | None:
        """The primary's current WAL position (after a write: at least the write's commit
        record), or None when it can't be read."""
        try:
            with self._primary.connect() as conn:
                return parse_lsn(conn.execute(text(_PRIMARY_SQL)).scalar_one())
        except SQLAlchemyError:
            _log.warning("could not read the primary's WAL position", exc_info=True)
            return None

    def dispose(self) -> None:
        """Close the guard's connections."""
        self._primary.dispose()
        self._replica.dispose()

    def _check(self) -> None:
        asked_at = self._clock()
        try:
            with self._primary.connect() as conn:
                primary = parse_lsn(conn.execute(text(_PRIMARY_SQL)).scalar_one())
        except SQLAlchemyError as exc:
            # Without the primary nothing can be judged; reads stay where they were sent
            # (the primary's own failure is answered by the request that meets it).
            self._set(ReplicaState(False, None, None, f"primary: {_first_line(exc)}"))
            return
        try:
            with self._replica.connect() as conn:
                in_recovery, replayed_text, replay_age_s = conn.execute(text(_REPLICA_SQL)).one()
        except SQLAlchemyError as exc:
            self._set(
                ReplicaState(False, None, None, f"unreachable: {_first_line(exc)}"),
                retry_s=RETRY_DOWN_S,
            )
            return
        if not in_recovery or replayed_text is None:
            why = "not in recovery (promoted?)" if not in_recovery else "has replayed nothing"
            self._set(ReplicaState(False, None, None, why), retry_s=RETRY_DOWN_S)
            return
        replayed = parse_lsn(replayed_text)
        lag_s = lag_estimate_s(
            primary_lsn=primary,
            replayed_lsn=replayed,
            replay_age_s=replay_age_s,
            samples=self._samples,
            now=self._clock(),
        )
        self._samples.append((asked_at, primary))
        usable = lag_s <= self.max_lag_s
        reason = "" if usable else f"{lag_s:.1f} s behind (limit {self.max_lag_s:g} s)"
        if math.isinf(lag_s):
            reason = "behind, for how long unknown yet (no transaction replayed since it started)"
        self._set(ReplicaState(usable, lag_s, replayed, reason))

    def _set(self, state: ReplicaState, *, retry_s: float | None = None) -> None:
        was = self._state
        self._state = state
        self._next_check = self._clock() + (retry_s or self.check_every_s)
        if not state.usable and (was.usable or was is _UNCHECKED):
            _log.warning("reads go to the primary: the replica is %s", state.reason)
        elif state.usable and not was.usable and was is not _UNCHECKED:
            _log.info("reads go to the replica again (%.1f s behind)", state.lag_s or 0.0)


def _first_line(exc: BaseException) -> str:
    return str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:200]


def choose_read_engine(
    primary: Engine,
    replica: Engine,
    guard: ReplicaGuard | None,
    *,
    after_lsn: int | None = None,
) -> Engine:
    """The engine a lag-tolerant read uses: *replica* while *guard* finds it within the lag
    limit and, when the request carries a write's WAL position *after_lsn*, known to have
    replayed it; *primary* otherwise (and always without a replica)."""
    if guard is None or replica is primary:
        return primary
    state = guard.state()
    if not state.usable:
        return primary
    if after_lsn is not None and (state.replayed_lsn is None or state.replayed_lsn < after_lsn):
        return primary
    return replica

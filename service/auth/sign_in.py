"""Signing in: the password checked, the attempt recorded, the lockout enforced, a session
started.

Every attempt is a ``sign_in_attempt`` row (name as typed, address, outcome ``success``,
``failure`` or ``locked``) and a line on the ``parks.sign_in`` logger (time, name,
address, outcome — never the password). An unknown or disabled name is verified against a
dummy hash, so it answers with the same words, status and time as a wrong password.

Lockout (judged on the failures in ``sign_in_attempt``, before the password is looked at):

* a name with ``sign_in_max_failures`` failures within ``sign_in_window_minutes`` is
  refused for 1 minute after its last failure; each further failure within a window of
  the end of a lockout doubles the next one (2, 4, 8 … minutes), up to 1 hour. A
  successful sign-in, or a window's quiet after a lockout ends, starts the count afresh;
* an address with ``sign_in_address_max_failures`` failures within the window (whatever
  names it tried) is refused likewise.

A refused attempt answers the same whether the name exists or not, and says when to try
again. Attempts for one name are taken one at a time (a transaction-scoped advisory lock),
so parallel guesses cannot slip past the count.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, text

from parks.errors import InvalidParameter
from parks.vocabulary import SignInOutcome
from service.auth.errors import SignInLocked, WrongNameOrPassword
from service.auth.passwords import (
    needs_rehash,
    rehash_password,
    verify_nothing,
    verify_password,
)
from service.auth.sessions import NewSession, start_session
from service.auth.users import SignInUser, check_name, store_rehash, user_for_sign_in
from service.db.sqlfiles import sql
from service.settings import Settings

logger = logging.getLogger("parks.sign_in")

FIRST_DELAY = timedelta(minutes=1)
MAX_DELAY = timedelta(hours=1)
#: How far back failures are looked at, and how many of them (of the name, of the address).
LOOKBACK = timedelta(hours=24)
MAX_ROWS = 200
#: A name is recorded with at most this many characters (no user name is longer than 64).
RECORDED_NAME_CHARS = 200


@dataclass(frozen=True, slots=True)
class Limits:
    """The lockout's thresholds."""

    max_failures: int
    address_max_failures: int
    window: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            max_failures=settings.sign_in_max_failures,
            address_max_failures=settings.sign_in_address_max_failures,
            window=timedelta(minutes=settings.sign_in_window_minutes),
        )


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A successful sign-in: the user and the session started (its cookie value is the
    browser's alone)."""

    user: str
    role: str
    session: NewSession


def lockout_delay(strikes: int) -> timedelta:
    """The lockout after the *strikes*-th (1, 2, …) in a row: 1 min doubling, at most 1 h."""
    return min(MAX_DELAY, FIRST_DELAY * 2 ** min(strikes - 1, 16))


def locked_until(
    failures: Sequence[datetime], *, max_failures: int, window: timedelta
) -> datetime | None:
    """Until when failures at *failures* (any order) lock their name or address, or None.

    *max_failures* within *window* start a lockout of 1 minute from the last of them; a
    failure within *window* of the end of a lockout makes the next one twice as long (up
    to 1 hour); failures that follow neither rule are just counted."""
    times = sorted(failures)
    until: datetime | None = None
    strikes = 0
    for i, at in enumerate(times):
        in_window = sum(1 for earlier in times[: i + 1] if earlier > at - window)
        if until is not None and at < until + window:
            strikes += 1
        elif in_window >= max_failures:
            strikes = 1
        else:
            strikes = 0
        until = at + lockout_delay(strikes) if strikes else None
    return until


def _recorded_name(name: str) -> str:
    # PostgreSQL text cannot hold a NUL; a name that long cannot be anybody's anyway.
    return name[:RECORDED_NAME_CHARS].replace("\x00", "\ufffd")


def _could_exist(name: str) -> bool:
    try:
        check_name(name)
    except InvalidParameter:
        return False
    return True


def _lockout(conn: Connection, *, name: str, address: str | None, limits: Limits) -> int | None:
    """Seconds the attempt must wait (None: it may go ahead)."""
    now = conn.execute(text("SELECT now()")).scalar_one()
    rows = conn.execute(
        text(sql("service.sql", "sign_in_failures.sql")),
        {
            "name": name,
            "address": address,
            "lookback_s": LOOKBACK.total_seconds(),
            "max_rows": MAX_ROWS,
        },
    ).all()
    by_name = [r.at for r in rows if r.counted_by == "name"]
    by_address = [r.at for r in rows if r.counted_by == "address"]
    ends = [
        locked_until(by_name, max_failures=limits.max_failures, window=limits.window),
        locked_until(by_address, max_failures=limits.address_max_failures, window=limits.window),
    ]
    latest = max((end for end in ends if end is not None and end > now), default=None)
    if latest is None:
        return None
    return max(1, math.ceil((latest - now).total_seconds()))


def _record(conn: Connection, *, name: str, address: str | None, outcome: str) -> None:
    at = conn.execute(
        text(
            "INSERT INTO sign_in_attempt (user_name, address, outcome) "
            "VALUES (:n, :a, :o) RETURNING at"
        ),
        {"n": name, "a": address, "o": outcome},
    ).scalar_one()
    level = logging.INFO if outcome == SignInOutcome.SUCCESS else logging.WARNING
    logger.log(
        level,
        "sign-in at=%s name=%r address=%r outcome=%s",
        at.isoformat(),
        name,
        address,
        outcome,
    )


def _verified(user: SignInUser | None, password: str) -> bool:
    if user is None or user.disabled:
        return verify_nothing(password)
    return verify_password(user.password_hash, password)


def sign_in(
    engine: Engine, *, name: str, password: str, address: str | None, limits: Limits
) -> SignedIn:
    """Check *name* and *password* from *address* and start a session; raises
    :class:`SignInLocked` (locked out: the password is not looked at) or
    :class:`WrongNameOrPassword`. The attempt is recorded whatever comes of it."""
    recorded = _recorded_name(name)
    with engine.begin() as conn:
        conn.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended('parks.sign_in:' || :n, 0))"),
            {"n": recorded},
        )
        wait_s = _lockout(conn, name=recorded, address=address, limits=limits)
        if wait_s is not None:
            _record(conn, name=recorded, address=address, outcome=SignInOutcome.LOCKED)
            outcome = None
        else:
            user = user_for_sign_in(conn, name) if _could_exist(name) else None
            if _verified(user, password):
                assert user is not None
                if needs_rehash(user.password_hash):
                    store_rehash(conn, name=user.name, password_hash=rehash_password(password))
                session = start_session(conn, user_name=user.name, address=address)
                _record(conn, name=recorded, address=address, outcome=SignInOutcome.SUCCESS)
                outcome = SignedIn(user.name, user.role, session)
            else:
                _record(conn, name=recorded, address=address, outcome=SignInOutcome.FAILURE)
                outcome = None
    # Raised after the commit: the attempt's row must outlive the refusal.
    if wait_s is not None:
        raise SignInLocked(retry_after_s=wait_s)
    if outcome is None:
        raise WrongNameOrPassword()
    return outcome

"""Signed-in sessions (``user_session``): a browser's cookie ``parks_session`` carries a
random 32-byte id; only its SHA-256 is stored, with a CSRF token of its own and the
address it signed in from.

A session ends when the user signs out, after ``session_idle_minutes`` without a request,
``session_lifetime_hours`` after sign-in whatever its use, and at once when its user is
disabled (``parks user disable`` ends the rows; the lookup checks ``disabled_at`` too). The
lookup is one statement: it returns the live session with its user and moves
``last_seen_at`` at most once a minute (a write per minute per browser, not per request);
a session it finds expired is ended there.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, text

from service.auth.tokens import Principal
from service.db.sqlfiles import sql

COOKIE_NAME = "parks_session"
#: ``last_seen_at`` is moved at most this often.
TOUCH_EVERY_S = 60
#: What ``secrets.token_urlsafe(32)`` makes: anything else is not looked up.
_COOKIE_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")


@dataclass(frozen=True, slots=True)
class NewSession:
    """A session just started: the cookie's value (given to the browser, never stored)
    and its CSRF token."""

    cookie_value: str
    csrf_token: str


@dataclass(frozen=True, slots=True)
class LiveSession:
    """A live session and its user, as looked up for one request."""

    user: str
    role: str
    parks: tuple[str, ...]
    csrf_token: str
    expires_at: datetime
    idle_expires_at: datetime

    def principal(self) -> Principal:
        """The request's principal: the user's name, role and parks, via the session."""
        return Principal(
            self.user, self.role, parks=self.parks, via="session", csrf_token=self.csrf_token
        )


def session_digest(cookie_value: str) -> str:
    """The SHA-256 (hex) a session is stored under."""
    return hashlib.sha256(cookie_value.encode("utf-8")).hexdigest()


def start_session(conn: Connection, *, user_name: str, address: str | None) -> NewSession:
    """Start a session of *user_name* from *address*; its cookie value is returned once."""
    cookie_value = secrets.token_urlsafe(32)
    csrf_token = secrets.token_urlsafe(32)
    conn.execute(
        text(
            "INSERT INTO user_session (id_sha256, user_name, csrf_token, address) "
            "VALUES (:h, :u, :c, :a)"
        ),
        {"h": session_digest(cookie_value), "u": user_name, "c": csrf_token, "a": address},
    )
    return NewSession(cookie_value, csrf_token)


def live_session(
    conn: Connection, cookie_value: str, *, idle_minutes: float, lifetime_hours: float
) -> LiveSession | None:
    """The live session of *cookie_value* (None: unknown, ended, expired, or its user
    disabled), touched as the module says. Run it in a transaction that commits."""
    if not _COOKIE_SHAPE.fullmatch(cookie_value):
        return None
    idle = timedelta(minutes=idle_minutes)
    lifetime = timedelta(hours=lifetime_hours)
    row = conn.execute(
        text(sql("service.sql", "session_lookup.sql")),
        {
            "id_sha256": session_digest(cookie_value),
            "idle_s": idle.total_seconds(),
            "lifetime_s": lifetime.total_seconds(),
            "touch_s": TOUCH_EVERY_S,
        },
    ).first()
    if row is None:
        return None
    expires_at = row.created_at + lifetime
    return LiveSession(
        user=row.name,
        role=row.role,
        parks=tuple(row.parks),
        csrf_token=row.csrf_token,
        expires_at=expires_at,
        idle_expires_at=min(row.last_seen_at + idle, expires_at),
    )


def end_session(conn: Connection, cookie_value: str) -> bool:
    """End the session of *cookie_value*; False when it was not open."""
    ended = conn.execute(
        text("UPDATE user_session SET ended_at = now() WHERE id_sha256 = :h AND ended_at IS NULL"),
        {"h": session_digest(cookie_value)},
    )
    return ended.rowcount > 0

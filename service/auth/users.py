"""Named officials who sign in (``app_user``): made, given a new password, disabled and
listed by ``parks user``; looked up at sign-in.

A user has one role (``parks.vocabulary.Role``) and the parks an editor or approver may
change (empty: every park). The password is kept only as an argon2id hash
(``service.auth.passwords``), which nothing here returns. Disabling a user is immediate:
``disabled_at`` is set and every open session of the user ends in the same transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Connection, text

from parks.errors import InvalidParameter, NotFound
from parks.vocabulary import Role
from service.auth.passwords import hash_password

ROLES: tuple[str, ...] = tuple(r.value for r in Role)
MAX_NAME_CHARS = 64
_BAD_NAME_CHAR = re.compile(r"[\s\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class SignInUser:
    """What a sign-in needs of a user (the hash stays inside the sign-in)."""

    name: str
    role: str
    parks: tuple[str, ...]
    password_hash: str
    disabled: bool


def check_name(name: str) -> None:
    """Refuse a user name the table would: 1–64 characters, no space or control character."""
    if not name or len(name) > MAX_NAME_CHARS or _BAD_NAME_CHAR.search(name):
        raise InvalidParameter(
            "name", f"a user name has 1–{MAX_NAME_CHARS} characters and no space or control"
        )


def check_role(role: str) -> None:
    """Refuse a role that is not one of ``parks.vocabulary.Role``."""
    if role not in ROLES:
        raise InvalidParameter("role", f"unknown role {role!r}; one of: {', '.join(ROLES)}")


def check_parks(conn: Connection, parks: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The parks, each once and sorted, when every one is a park's code; else the unknown
    ones are named."""
    wanted = sorted(set(parks))
    if not wanted:
        return ()
    known = set(
        conn.execute(
            text("SELECT code FROM park WHERE code = ANY(:codes)"), {"codes": wanted}
        ).scalars()
    )
    unknown = [p for p in wanted if p not in known]
    if unknown:
        raise InvalidParameter("park", f"unknown park {', '.join(map(repr, unknown))}")
    return tuple(wanted)


def create_user(
    conn: Connection, *, name: str, role: str, parks: list[str] | tuple[str, ...], password: str
) -> None:
    """Make user *name* with *role*, limited to *parks* (empty: every park), and the hash
    of *password* (at least 10 characters)."""
    check_name(name)
    check_role(role)
    park_codes = check_parks(conn, parks)
    password_hash = hash_password(password)
    exists = conn.execute(text("SELECT 1 FROM app_user WHERE name = :n"), {"n": name}).first()
    if exists:
        raise InvalidParameter("name", f"a user named {name!r} exists")
    conn.execute(
        text("INSERT INTO app_user (name, role, parks, password_hash) VALUES (:n, :r, :p, :h)"),
        {"n": name, "r": role, "p": list(park_codes), "h": password_hash},
    )


def set_password(conn: Connection, *, name: str, password: str) -> int:
    """Give user *name* a new password, and end the user's open sessions (whoever knew the
    old one is signed out). Returns the number of sessions ended."""
    password_hash = hash_password(password)
    changed = conn.execute(
        text("UPDATE app_user SET password_hash = :h, password_changed_at = now() WHERE name = :n"),
        {"n": name, "h": password_hash},
    )
    if changed.rowcount == 0:
        raise NotFound(f"no user named {name!r}")
    return end_sessions(conn, name=name)


def disable_user(conn: Connection, *, name: str) -> int:
    """Disable user *name* at once: ``disabled_at`` is set (kept if it was set) and every
    open session ends. Returns the number of sessions ended."""
    changed = conn.execute(
        text("UPDATE app_user SET disabled_at = coalesce(disabled_at, now()) WHERE name = :n"),
        {"n": name},
    )
    if changed.rowcount == 0:
        raise NotFound(f"no user named {name!r}")
    return end_sessions(conn, name=name)


def end_sessions(conn: Connection, *, name: str) -> int:
    """End every open session of user *name*; the number ended."""
    ended = conn.execute(
        text("UPDATE user_session SET ended_at = now() WHERE user_name = :n AND ended_at IS NULL"),
        {"n": name},
    )
    return ended.rowcount


def list_users(conn: Connection) -> list[dict]:
    """Every user's name, role, parks, creation, password change and disabling (never the
    hash), by name."""
    rows = conn.execute(
        text(
            "SELECT name, role, parks, created_at, password_changed_at, disabled_at "
            "FROM app_user ORDER BY name"
        )
    ).mappings()
    return [dict(r) for r in rows]


def user_for_sign_in(conn: Connection, name: str) -> SignInUser | None:
    """The user a sign-in names (disabled ones too: they are refused like a wrong
    password), or None."""
    row = conn.execute(
        text(
            "SELECT name, role, parks, password_hash, disabled_at IS NOT NULL AS disabled "
            "FROM app_user WHERE name = :n"
        ),
        {"n": name},
    ).first()
    if row is None:
        return None
    return SignInUser(row.name, row.role, tuple(row.parks), row.password_hash, row.disabled)


def store_rehash(conn: Connection, *, name: str, password_hash: str) -> None:
    """Replace a user's hash by one of the same password made with today's parameters."""
    conn.execute(
        text("UPDATE app_user SET password_hash = :h WHERE name = :n"),
        {"n": name, "h": password_hash},
    )

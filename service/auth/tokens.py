"""Bearer tokens: created once, stored only as their SHA-256, each with a role."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import Connection, text

from parks.errors import InvalidParameter, NotFound
from parks.vocabulary import Role

TOKEN_PREFIX = "plt_"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request is from: a bearer token's name and role, or a signed-in user's.

    *parks* limits an editor or approver to those parks (empty: every park; tokens are
    never limited). *via* is ``"token"`` or ``"session"``; a session's *csrf_token* is what
    its cookie-borne writes must present."""

    name: str
    role: str
    parks: tuple[str, ...] = ()
    via: str = "token"
    csrf_token: str | None = None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(conn: Connection, *, name: str, role: str) -> str:
    """Create a token named *name* with *role*; returns the token (shown once)."""
    if role not in {r.value for r in Role}:
        raise InvalidParameter("role", f"unknown role {role!r}; one of: {', '.join(Role)}")
    if not name or len(name) > 100:
        raise InvalidParameter("name", "a token needs a name of 1–100 characters")
    exists = conn.execute(text("SELECT 1 FROM api_token WHERE name = :n"), {"n": name}).first()
    if exists:
        raise InvalidParameter("name", f"a token named {name!r} exists (names are not reused)")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    conn.execute(
        text("INSERT INTO api_token (name, role, token_sha256) VALUES (:n, :r, :h)"),
        {"n": name, "r": role, "h": _digest(token)},
    )
    return token


def revoke_token(conn: Connection, *, name: str) -> None:
    """Revoke the token named *name*. Its row stays (with the time of revocation) so the
    actors named in the ledger can still be traced to a role."""
    result = conn.execute(
        text("UPDATE api_token SET revoked_at = now() WHERE name = :n AND revoked_at IS NULL"),
        {"n": name},
    )
    if result.rowcount == 0:
        raise NotFound(f"no active token named {name!r}")


def principal_for(conn: Connection, token: str) -> Principal | None:
    """The principal of a presented token, or None when it is unknown or revoked."""
    row = conn.execute(
        text("SELECT name, role FROM api_token WHERE token_sha256 = :h AND revoked_at IS NULL"),
        {"h": _digest(token)},
    ).first()
    return Principal(row.name, row.role) if row else None


def list_tokens(conn: Connection) -> list[dict]:
    """Names, roles and creation times of the tokens (never the tokens)."""
    rows = conn.execute(
        text("SELECT name, role, created_at FROM api_token ORDER BY name")
    ).mappings()
    return [dict(r) for r in rows]

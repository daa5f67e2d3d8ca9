"""The refusal log: every change set refused by the rule or found invalid — those refused
when they arrived (a body that failed validation) included — with who sent it, when, why
it was refused, and its body. The land data of a refused change set is stored nowhere else.

A body is kept capped: its first ``refusal_body_cap_bytes`` (a character cut at the cap is
left out whole), its length and the SHA-256 of the whole, so a 50 MB body costs 64 kB and
the sender's copy can still be proven to be the one refused. The bytes hashed are

* for a body refused when it arrived: the request body exactly as received;
* for a change set the service judged (the rule refused it, or an operation could not be
  applied): its canonical JSON — ``json.dumps(change_set, ensure_ascii=False,
  separators=(",", ":"))`` of the validated change set, in UTF-8.

PostgreSQL text and jsonb cannot hold a NUL, so every NUL stored here — a raw NUL in a
text, or the JSON escape ``\\u0000`` in a stored body — is *replaced* by U+FFFD (the
replacement character). The SHA-256 and the length are of the body before any replacement.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, text

from parks.errors import ManufacturingLandWouldDecrease, ParksError

#: What a NUL becomes in everything stored here.
NUL_REPLACEMENT = "\ufffd"
#: Longest kind, document number and reason kept in their own columns (characters).
SUMMARY_MAX_CHARS = {"kind": 100, "document_no": 500, "reason": 2000}

# A JSON \u0000 escape: preceded by an even number of backslashes (an odd one would make
# the backslash before "u0000" itself escaped text).
_JSON_NUL = re.compile(r"(?<!\\)((?:\\\\)*)\\u0000")


@dataclass(frozen=True)
class CappedBody:
    """A body as the log keeps it: its first bytes as text, and the whole's size and hash."""

    text: str
    sha256: str
    bytes: int
    truncated: bool


def canonical_json(value: Any) -> bytes:
    """The bytes of *value* as canonical JSON (the form hashed for a judged change set)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def without_nul(value: Any) -> Any:
    """*value* with every NUL in its strings (keys included) replaced by U+FFFD."""
    if isinstance(value, str):
        return value.replace("\x00", NUL_REPLACEMENT)
    if isinstance(value, dict):
        return {without_nul(k): without_nul(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [without_nul(v) for v in value]
    return value


def cap_body(whole: bytes, *, cap_bytes: int) -> CappedBody:
    """The first *cap_bytes* of *whole* as text (UTF-8; a character cut at the cap is left
    out, undecodable bytes and every NUL become U+FFFD), with the whole's length and
    SHA-256."""
    kept = whole[: _cut(whole, cap_bytes)].decode("utf-8", errors="replace")
    kept = _JSON_NUL.sub(lambda m: m.group(1) + NUL_REPLACEMENT, kept)
    return CappedBody(
        text=without_nul(kept),
        sha256=hashlib.sha256(whole).hexdigest(),
        bytes=len(whole),
        truncated=len(whole) > cap_bytes,
    )


def _cut(whole: bytes, cap_bytes: int) -> int:
    """Where to cut *whole* to keep at most *cap_bytes*: before the character the cap
    would split (a UTF-8 continuation byte is 0b10xxxxxx; a character is at most 4 bytes)."""
    end = min(len(whole), cap_bytes)
    while 0 < end < len(whole) and end > cap_bytes - 3 and whole[end] & 0xC0 == 0x80:
        end -= 1
    return end


def record_refusal(
    engine: Engine,
    *,
    actor: str,
    submitted: dict[str, Any],
    error: ParksError,
    cap_bytes: int | None = None,
) -> None:
    """Log a change set the service judged and refused (*submitted*: the validated change
    set as JSON values); its body is its canonical JSON, capped at *cap_bytes* (default:
    the ``refusal_body_cap_bytes`` setting)."""
    _insert(
        engine,
        actor=actor,
        summary=submitted,
        body=cap_body(canonical_json(submitted), cap_bytes=_cap(cap_bytes)),
        error=error,
    )


def record_refused_submission(
    engine: Engine,
    *,
    actor: str,
    received: Any,
    raw: bytes,
    error: ParksError,
    cap_bytes: int | None = None,
) -> None:
    """Log a change set refused when it arrived: *raw* is the request body as received
    (kept capped, hashed whole), *received* what could be parsed of it (its kind,
    document number and reason fill their columns when it is a JSON object)."""
    _insert(
        engine,
        actor=actor,
        summary=received if isinstance(received, dict) else {},
        body=cap_body(raw, cap_bytes=_cap(cap_bytes)),
        error=error,
    )


def _cap(cap_bytes: int | None) -> int:
    if cap_bytes is not None:
        return cap_bytes
    from service.settings import get_settings

    return get_settings().refusal_body_cap_bytes


def _summary(summary: dict[str, Any], key: str) -> str | None:
    """A short text column from the body: strings only, NUL replaced, cut to its limit."""
    value = summary.get(key)
    if not isinstance(value, str):
        return None
    return without_nul(value)[: SUMMARY_MAX_CHARS[key]]


def _insert(
    engine: Engine, *, actor: str, summary: dict[str, Any], body: CappedBody, error: ParksError
) -> None:
    scope = shortfall = None
    if isinstance(error, ManufacturingLandWouldDecrease):
        scope, shortfall = error.scope, error.shortfall_m2
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO refusal (actor, kind, document_no, reason, error, scope, "
                "shortfall_m2, detail, body, body_bytes, body_sha256, body_truncated) "
                "VALUES (:actor, :kind, :doc, :reason, :error, :scope, :shortfall, "
                "CAST(:detail AS jsonb), :body, :body_bytes, :body_sha256, :body_truncated)"
            ),
            {
                "actor": without_nul(actor),
                "kind": _summary(summary, "kind"),
                "doc": _summary(summary, "document_no"),
                "reason": _summary(summary, "reason"),
                "error": error.code,
                "scope": scope,
                "shortfall": shortfall,
                "detail": json.dumps(without_nul(error.body()), ensure_ascii=False),
                "body": body.text,
                "body_bytes": body.bytes,
                "body_sha256": body.sha256,
                "body_truncated": body.truncated,
            },
        )

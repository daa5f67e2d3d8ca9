"""Database errors that stand for domain errors."""

from __future__ import annotations

import json

from sqlalchemy.exc import DBAPIError

from parks.errors import ConcurrentChange, InvalidChangeSet, ParksError, Problem
from parks.rule import refusal_from_database

#: SQLSTATEs raised by our own triggers (service/db/sql/rule.sql).
RULE_SQLSTATE = "MF001"
GUARD_SQLSTATE = "MF002"
PLACEMENT_SQLSTATE = "MF003"
#: Serialization failure, deadlock, exclusion and unique violations: a concurrent writer.
RACE_SQLSTATES = frozenset({"40001", "40P01", "23P01", "23505"})


def domain_error_from_database(exc: DBAPIError) -> ParksError | None:
    """The domain error a database error stands for, if it is one of ours: the rule's
    refusal at commit (MF001), a history or ledger guard (MF002), a parcel placed over
    another or outside its park at commit (MF003: an invalid change set, as the
    application's own placement check answers it; the message names the parcels, or the
    parcel and the park, and the area in m²), or a race."""
    orig = getattr(exc, "orig", None)
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate == RULE_SQLSTATE:
        return refusal_from_database(json.loads(orig.diag.message_detail or "{}"))
    if sqlstate in (GUARD_SQLSTATE, PLACEMENT_SQLSTATE):
        return InvalidChangeSet([Problem(None, orig.diag.message_primary or str(orig))])
    if sqlstate in RACE_SQLSTATES:
        return ConcurrentChange(
            "another change set changed the same parcels at the same time; try again"
        )
    return None

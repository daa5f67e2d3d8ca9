"""Keeping an import: its ``import_run`` row — the outcome as JSON, enough to rebuild the
:class:`~service.imports.outcome.ImportOutcome` the API's bodies and the reports are made
from — and reading it back."""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from datetime import date
from typing import Any

from sqlalchemy import Connection, text

from parks.errors import NotFound
from parks.imports.diff import ChangedParcel, ImportDiff
from parks.imports.problems import ImportProblem, ProblemKind
from service.imports.outcome import ImportOutcome, RuleEffect, SourceFacts

#: Fields of a parcel's before/after that hold dates (stored as ISO text).
_DATE_FIELDS = ("supplied_on",)


def _plain(value: Any) -> Any:
    """*value* as JSON values: dates as ISO text, numpy numbers as Python's, NaN and
    infinities (no JSON for them) as None; through dicts, lists and tuples."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()  # a numpy scalar
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def outcome_json(outcome: ImportOutcome) -> dict[str, Any]:
    """The stored form of *outcome* (its id, actor, time, options, status and change set
    live in their own columns)."""
    diff = outcome.diff
    return _plain(
        {
            "source": asdict(outcome.source),
            "problems": [p.as_dict() for p in outcome.problems],
            "skipped_rows": list(outcome.skipped_rows),
            "diff": {
                "new": list(diff.new),
                "changed": [
                    {
                        "row": c.row,
                        "parcel_code": c.parcel_code,
                        "kinds": list(c.kinds),
                        "before": c.before,
                        "after": c.after,
                    }
                    for c in diff.changed
                ],
                "unchanged": list(diff.unchanged),
                "missing": list(diff.missing),
            },
            "rule": asdict(outcome.rule) if outcome.rule is not None else None,
        }
    )


def _values(stored: dict[str, Any]) -> dict[str, Any]:
    out = dict(stored)
    for key in _DATE_FIELDS:
        if isinstance(out.get(key), str):
            out[key] = date.fromisoformat(out[key])
    return out


def _problem(stored: dict[str, Any]) -> ImportProblem:
    return ImportProblem(
        kind=ProblemKind(stored["kind"]),
        message=stored["message"],
        row=stored.get("row"),
        parcel_code=stored.get("parcel_code"),
        lon=stored.get("lon"),
        lat=stored.get("lat"),
        measure=stored.get("measure"),
        unit=stored.get("unit"),
        other=stored.get("other"),
    )


def outcome_from_row(row: Any) -> ImportOutcome:
    """The :class:`ImportOutcome` of an ``import_run`` row (a mapping of its columns)."""
    stored = row["outcome"] or {}
    diff = stored.get("diff") or {}
    rule = stored.get("rule")
    return ImportOutcome(
        id=row["id"],
        created_at=row["created_at"],
        actor=row["actor"],
        source=SourceFacts(**stored["source"]),
        options=row["options"] or {},
        problems=[_problem(p) for p in stored.get("problems", [])],
        skipped_rows=list(stored.get("skipped_rows", [])),
        diff=ImportDiff(
            new=list(diff.get("new", [])),
            changed=[
                ChangedParcel(
                    row=c["row"],
                    parcel_code=c["parcel_code"],
                    kinds=tuple(c["kinds"]),
                    before=_values(c["before"]),
                    after=_values(c["after"]),
                )
                for c in diff.get("changed", [])
            ],
            unchanged=list(diff.get("unchanged", [])),
            missing=list(diff.get("missing", [])),
            default_status=diff.get("default_status", "reserve"),
        ),
        rule=RuleEffect(**rule) if rule is not None else None,
        status=row["status"],
        change_set_id=row["change_set_id"],
    )


_COLUMNS = (
    "id, created_at, actor, file_name, options, outcome, ledger_seq, status, change_set_id, "
    "applied_at"
)


def insert_run(
    conn: Connection, *, actor: str, file_name: str, options: dict[str, Any], ledger_seq: int
) -> tuple[int, Any]:
    """A new ``import_run`` (status ``dry_run``, outcome to come); its id and time."""
    row = conn.execute(
        text(
            "INSERT INTO import_run (actor, file_name, options, ledger_seq) "
            "VALUES (:actor, :file_name, CAST(:options AS jsonb), :ledger_seq) "
            "RETURNING id, created_at"
        ),
        {
            "actor": actor,
            "file_name": file_name,
            "options": json.dumps(_plain(options), ensure_ascii=False),
            "ledger_seq": ledger_seq,
        },
    ).one()
    return row.id, row.created_at


def save_outcome(conn: Connection, outcome: ImportOutcome, *, ledger_seq: int) -> None:
    """Store *outcome* (its id's row) and the ledger head it was judged against."""
    conn.execute(
        text(
            "UPDATE import_run SET outcome = CAST(:outcome AS jsonb), ledger_seq = :seq "
            "WHERE id = :id"
        ),
        {
            "outcome": json.dumps(outcome_json(outcome), ensure_ascii=False, allow_nan=False),
            "seq": ledger_seq,
            "id": outcome.id,
        },
    )


def load_run(conn: Connection, import_id: int, *, lock: bool = False) -> dict[str, Any]:
    """The ``import_run`` row of *import_id* (locked for this transaction when *lock*);
    :class:`NotFound` when there is none."""
    row = (
        conn.execute(
            text(
                f"SELECT {_COLUMNS} FROM import_run WHERE id = :id"
                + (" FOR UPDATE" if lock else "")
            ),
            {"id": import_id},
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"id: no import {import_id}")
    return dict(row)


def load_outcome(conn: Connection, import_id: int) -> ImportOutcome:
    """The stored :class:`ImportOutcome` of *import_id* (:class:`NotFound` if none, or if
    its dry run never finished: its row is written before the outcome is)."""
    row = load_run(conn, import_id)
    if not (row["outcome"] or {}).get("source"):
        raise NotFound(f"id: import {import_id} has no outcome (its dry run did not finish)")
    return outcome_from_row(row)


def mark_applied(conn: Connection, *, import_id: int, change_set_id: int | None) -> None:
    """Record that *import_id* was applied (as *change_set_id*; None: it changed nothing)."""
    conn.execute(
        text(
            "UPDATE import_run SET status = 'applied', change_set_id = :cs, "
            "applied_at = clock_timestamp() WHERE id = :id"
        ),
        {"cs": change_set_id, "id": import_id},
    )


def mark_refused(conn: Connection, *, import_id: int) -> None:
    """Record that the rule refused applying *import_id*."""
    conn.execute(
        text("UPDATE import_run SET status = 'refused' WHERE id = :id AND status <> 'applied'"),
        {"id": import_id},
    )

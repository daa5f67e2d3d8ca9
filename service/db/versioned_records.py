"""Writing versioned records with their history: land supervision's and key projects'.

Every supervision table (service/db/sql/supervision.sql) and every key-project record
table (service/db/sql/project_rhythm.sql) keeps versions: a write never
edits a row, it ends the standing version of a key and inserts the new one, in a change
set of this transaction (``service.changes.session.open_change_set``, kind
``supervision``, ``figures``, ``supervision_setting``, ``projects`` or
``project_setting``). Writing a record that is the same
as the standing one changes nothing, so a re-run import is idempotent.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

#: Each supervision table's key: at most one standing version per key.
TABLE_KEYS: dict[str, tuple[str, ...]] = {
    "enterprise": ("enterprise_code",),
    "supply_contract": ("contract_no",),
    "site_progress": ("contract_no", "reported_on", "kind"),
    "idle_delay": ("contract_no", "delay_from"),
    "approval_batch": ("batch_no",),
    "approval_batch_parcel": ("batch_no", "parcel_code"),
    "enterprise_figures": ("enterprise_code", "year"),
    "supervision_setting": ("name",),
    # key projects' records (service/db/sql/project_rhythm.sql), kept the same way
    "project_official": ("official_code",),
    "project_assignment": ("project_code", "official_code"),
    "project_plan_investment": ("project_code", "year", "month"),
    "project_plan_milestone": ("project_code", "year", "milestone"),
    "project_plan_progress": ("project_code", "year", "quarter"),
    "project_report": ("project_code", "year", "month"),
    "project_milestone_reached": ("project_code", "milestone"),
    "project_visit": ("project_code", "visited_on"),
    "project_problem": ("problem_no",),
    "project_setting": ("name",),
}

#: Columns a writer never gives: the history's, and the computed.
_NOT_WRITTEN = frozenset(
    {
        "version_id",
        "valid_from",
        "valid_to",
        "change_set_id",
        "ended_by_change_set_id",
        "investment_intensity_wan_per_mu",
    }
)


#: Columns stored as jsonb (their values are given as Python values, stored as JSON).
_JSON_COLUMNS: dict[str, frozenset[str]] = {
    "supervision_setting": frozenset({"value"}),
    "project_setting": frozenset({"value"}),
}


@dataclass(frozen=True, slots=True)
class Written:
    """What a write did: versions made, standing versions it ended, and records given that
    were already standing as given."""

    made: int
    ended: int
    unchanged: int


def _columns(table: str, rows: Sequence[Mapping[str, Any]]) -> list[str]:
    if table not in TABLE_KEYS:
        raise ValueError(f"{table}: not a supervision table")
    columns = list(rows[0])
    for row in rows:
        if list(row) != columns:
            raise ValueError(f"{table}: every record must give the same fields, in one order")
    bad = _NOT_WRITTEN.intersection(columns)
    if bad:
        raise ValueError(f"{table}: {', '.join(sorted(bad))} are kept by the history")
    missing = [k for k in TABLE_KEYS[table] if k not in columns]
    if missing:
        raise ValueError(f"{table}: every record needs its key {', '.join(missing)}")
    return columns


def put_versions(
    conn: Connection, *, change_set_id: int, table: str, rows: Sequence[Mapping[str, Any]]
) -> Written:
    """Make *rows* the standing versions of their keys in *table*, in change set
    *change_set_id* (opened by this transaction). A key's standing version that differs is
    ended; one equal to the row given is kept. Keys must be distinct within *rows*.

    Columns not given take their defaults in a new version (and are compared as NULL with
    the standing one's: give every column a record has). Cost: two statements over a
    temporary table filled by COPY, whatever the number of rows."""
    if not rows:
        return Written(0, 0, 0)
    columns = _columns(table, rows)
    keys = TABLE_KEYS[table]
    values = [c for c in columns if c not in keys]
    conn.execute(text("DROP TABLE IF EXISTS pg_temp.supervision_put"))
    conn.execute(
        text(
            f"CREATE TEMPORARY TABLE supervision_put ON COMMIT DROP AS "
            f"SELECT {', '.join(columns)} FROM {table} WITH NO DATA"
        )
    )
    # Staged with COPY (one round trip for any number of rows; jsonb values as JSON text).
    json_columns = _JSON_COLUMNS.get(table, frozenset())
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(f"COPY supervision_put ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(
                [
                    json.dumps(v, ensure_ascii=False) if c in json_columns else v
                    for c, v in row.items()
                ]
            )
    duplicate = conn.execute(
        text(
            f"SELECT {', '.join(keys)} FROM supervision_put GROUP BY {', '.join(keys)} "
            "HAVING count(*) > 1 LIMIT 1"
        )
    ).first()
    if duplicate is not None:
        raise ValueError(f"{table}: the key {tuple(duplicate)} is given more than once")
    same_key = " AND ".join(f"t.{k} = s.{k}" for k in keys)
    differs = (
        f"(t.{values[0]}" + "".join(f", t.{c}" for c in values[1:]) + ") IS DISTINCT FROM "
        f"(s.{values[0]}" + "".join(f", s.{c}" for c in values[1:]) + ")"
        if values
        else "false"
    )
    if len(values) == 1:  # a one-column row constructor needs ROW(...)
        differs = f"t.{values[0]} IS DISTINCT FROM s.{values[0]}"
    at = conn.execute(
        text("SELECT committed_at FROM change_set WHERE id = :id"), {"id": change_set_id}
    ).scalar_one()
    ended = conn.execute(
        text(
            f"UPDATE {table} t SET valid_to = :at, ended_by_change_set_id = :cs "
            f"FROM supervision_put s WHERE t.valid_to IS NULL AND {same_key} AND {differs}"
        ),
        {"at": at, "cs": change_set_id},
    ).rowcount
    made = conn.execute(
        text(
            f"INSERT INTO {table} ({', '.join(columns)}, valid_from, change_set_id) "
            f"SELECT {', '.join('s.' + c for c in columns)}, :at, :cs FROM supervision_put s "
            f"WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE t.valid_to IS NULL AND {same_key})"
        ),
        {"at": at, "cs": change_set_id},
    ).rowcount
    conn.execute(text("DROP TABLE pg_temp.supervision_put"))
    return Written(made=made, ended=ended, unchanged=len(rows) - made)


def end_versions(
    conn: Connection, *, change_set_id: int, table: str, keys: Sequence[Mapping[str, Any]]
) -> int:
    """End the standing versions of *keys* (each a mapping of the table's key columns) in
    change set *change_set_id*; the number ended (a key with no standing version ends
    nothing)."""
    if table not in TABLE_KEYS:
        raise ValueError(f"{table}: not a supervision table")
    if not keys:
        return 0
    key_columns = TABLE_KEYS[table]
    at = conn.execute(
        text("SELECT committed_at FROM change_set WHERE id = :id"), {"id": change_set_id}
    ).scalar_one()
    match = " AND ".join(f"{k} = :{k}" for k in key_columns)
    ended = 0
    for key in keys:
        ended += conn.execute(
            text(
                f"UPDATE {table} SET valid_to = :at, ended_by_change_set_id = :cs "
                f"WHERE valid_to IS NULL AND {match}"
            ),
            {"at": at, "cs": change_set_id, **{k: key[k] for k in key_columns}},
        ).rowcount
    return ended

"""Storing land supervision's records as officials give them: a supply contract, a
progress report on a contract's land, a government-caused delay, an approval batch and a
supervision setting.

Each write, in the caller's transaction, opens one change set (kind ``supervision``, or
``supervision_setting`` for a setting; the body's ``reason`` and ``document_no``, the
actor, and what was asked as its one operation) — which takes the city's ledger lock, so
what the write checks next can't change under it — then checks its record
(``parks.supervision.records`` for what needs no database; here what does: the parcel
stands, the contract exists, the park is one the official may change) and stores it with
its history (:func:`service.db.versioned_records.put_versions`: a correction ends the
standing version and keeps it). The change set gets its zero-delta ledger row at commit.
Anything wrong raises — :class:`~parks.errors.InvalidRecord` (422, naming the field),
:class:`~parks.errors.NotFound` (404), :class:`~parks.errors.ParkOutOfScope` (403) — and
the caller's transaction, change set and all, is rolled back whole.

An official limited to some parks (*parks*: a signed-in user's; empty: every park) may
write only the records of their parks: a contract's park is its parcel's, a progress
report's and a delay's are their contract's, a batch's is its own.

Areas are planar m² (EPSG:4545), money 万元, shares fractions 0..1, dates ISO.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from sqlalchemy import Connection, text

from parks.errors import InvalidRecord, NotFound, ParkOutOfScope
from parks.supervision.records import (
    BATCH_COLUMNS,
    DELAY_COLUMNS,
    PROGRESS_COLUMNS,
    BatchRecord,
    ContractRecord,
    ContractTerms,
    DelayRecord,
    ProgressRecord,
    SettingChange,
    check_batch,
    check_delay,
    check_progress,
    contract_row,
)
from parks.supervision.settings import DEFAULTS, SettingError, check_setting, in_force
from service.changes.session import open_change_set
from service.db.sqlfiles import sql
from service.db.versioned_records import end_versions, put_versions
from service.supervision.contracts import (
    batch_detail,
    contracts,
    delays_of,
    plain,
    progress_of,
    standing_contract,
)

#: The kind of change set a record is stored in.
RECORD_KIND = "supervision"
SETTING_KIND = "supervision_setting"


def _ensure_in_scope(parks: tuple[str, ...], park: str) -> None:
    if parks and park not in parks:
        raise ParkOutOfScope(park, allowed=parks)


def _standing_parcels(conn: Connection, codes: Iterable[str]) -> dict[str, dict[str, Any]]:
    """code -> the standing parcel's ``park``, ``holder`` and ``area_m2`` (m², EPSG:4545)."""
    rows = conn.execute(
        text(
            "SELECT parcel_code, park, holder, area_m2 FROM parcel_version "
            "WHERE parcel_code = ANY(:codes) AND valid_to IS NULL"
        ),
        {"codes": list(codes)},
    ).mappings()
    return {r["parcel_code"]: dict(r) for r in rows}


def _contract_for(conn: Connection, contract_no: str, parks: tuple[str, ...]) -> dict[str, Any]:
    contract = standing_contract(conn, contract_no)
    if contract is None:
        raise NotFound(f"contract_no: no supply contract {contract_no} stands")
    _ensure_in_scope(parks, contract["park"])
    return contract


def _open(conn: Connection, record: Any, *, op: str, actor: str, kind: str = RECORD_KIND, **more):
    """The change set of this write, recording what was asked (``op`` and the record)."""
    asked = {"op": op, **more, **record.model_dump(mode="json", exclude={"reason"})}
    return open_change_set(
        conn,
        kind=kind,
        reason=record.reason,
        document_no=getattr(record, "document_no", None),
        actor=actor,
        operations=[asked],
    )


# --- supply contracts ------------------------------------------------------------------------


def write_contract(
    conn: Connection, record: ContractRecord, *, actor: str, parks: Iterable[str] = ()
) -> dict[str, Any]:
    """Store supply contract *record* for its standing parcel, as *actor*: ``{"contract":
    the contract as stored, "change_set_id"}``. Its park is the parcel's; its holder, when
    not given, the parcel's holder; its land area, when not given, the parcel's area. A
    contract number that stands already is corrected (the old version is kept in its
    history), even when the correction moves it to another parcel — then the official
    must be allowed both parks.

    :class:`InvalidRecord` naming ``parcel_code`` (no such parcel stands), ``holder``
    (none given and the parcel has none) or a term that disagrees with another
    (:func:`parks.supervision.records.check_contract`)."""
    parks = tuple(parks)
    cs = _open(conn, record, op="put_supply_contract", actor=actor)
    parcel = _standing_parcels(conn, [record.parcel_code]).get(record.parcel_code)
    if parcel is None:
        raise InvalidRecord("parcel_code", f"unknown parcel {record.parcel_code} (none stands)")
    _ensure_in_scope(parks, parcel["park"])
    before = standing_contract(conn, record.contract_no)
    if before is not None:
        _ensure_in_scope(parks, before["park"])
    holder = record.holder or parcel["holder"]
    if not holder:
        raise InvalidRecord(
            "holder", f"parcel {record.parcel_code} has no holder: give the contract's holder"
        )
    row = contract_row(
        record,
        parcel_code=record.parcel_code,
        park=parcel["park"],
        holder=holder,
        supply_mode=record.supply_mode.value,
        signed_on=record.signed_on,
        land_area_m2=float(parcel["area_m2"]),
    )
    put_versions(conn, change_set_id=cs.id, table="supply_contract", rows=[row])
    stored = contracts(conn, parcel=record.parcel_code)
    return {
        "contract": next(c for c in stored if c["contract_no"] == record.contract_no),
        "change_set_id": cs.id,
    }


def store_supplied_contract(
    conn: Connection,
    *,
    change_set_id: int,
    terms: ContractTerms,
    parcel_code: str,
    park: str,
    holder: str,
    supply_mode: str,
    supplied_on: date,
    land_area_m2: float,
) -> dict[str, Any]:
    """Store the contract a ``supply`` operation carries (*terms*) in that operation's
    change set *change_set_id*: for *parcel_code* of *park*, held by *holder*, supplied by
    *supply_mode* on *supplied_on* (the contract's ``signed_on`` unless it gives one), of
    *land_area_m2* (unless it gives its own). The row stored.

    :class:`InvalidRecord` when the terms disagree (with each other, or with the supply's
    mode) or the contract number stands for another parcel already."""
    before = standing_contract(conn, terms.contract_no)
    if before is not None and before["parcel_code"] != parcel_code:
        raise InvalidRecord(
            "contract_no",
            f"contract {terms.contract_no} is recorded for parcel {before['parcel_code']} already",
        )
    row = contract_row(
        terms,
        parcel_code=parcel_code,
        park=park,
        holder=holder,
        supply_mode=supply_mode,
        signed_on=supplied_on,
        land_area_m2=land_area_m2,
    )
    put_versions(conn, change_set_id=change_set_id, table="supply_contract", rows=[row])
    return row


# --- progress and delays ---------------------------------------------------------------------


def write_progress(
    conn: Connection,
    contract_no: str,
    record: ProgressRecord,
    *,
    actor: str,
    today: date,
    parks: Iterable[str] = (),
) -> dict[str, Any]:
    """Store progress report *record* on contract *contract_no* as *actor* on *today*:
    ``{"progress": the report as stored, "change_set_id"}``. The same ``reported_on`` and
    ``kind`` again corrects the report; ``corrects_reported_on`` ends the report of the
    same kind on that date (a wrongly dated one) in the same change set.

    :class:`NotFound` (no such contract stands), :class:`InvalidRecord` naming the field
    (:func:`parks.supervision.records.check_progress`; ``corrects_reported_on`` when no
    such report stands)."""
    cs = _open(conn, record, op="put_site_progress", actor=actor, contract_no=contract_no)
    contract = _contract_for(conn, contract_no, tuple(parks))
    standing = [
        {"reported_on": date.fromisoformat(e["reported_on"]), "kind": e["kind"]}
        for e in progress_of(conn, contract_no)
    ]
    kind = record.kind.value
    corrected = record.corrects_reported_on
    if corrected is not None and corrected != record.reported_on:
        if {"reported_on": corrected, "kind": kind} not in standing:
            raise InvalidRecord(
                "corrects_reported_on",
                f"contract {contract_no} has no {kind} on {corrected} to correct",
            )
        standing.remove({"reported_on": corrected, "kind": kind})
    else:
        corrected = None
    check_progress(record, contract=contract, standing=standing, today=today)
    row = {c: getattr(record, c, None) for c in PROGRESS_COLUMNS}
    row |= {"contract_no": contract_no, "kind": kind}
    if corrected is not None:
        end_versions(
            conn,
            change_set_id=cs.id,
            table="site_progress",
            keys=[{"contract_no": contract_no, "reported_on": corrected, "kind": kind}],
        )
    put_versions(conn, change_set_id=cs.id, table="site_progress", rows=[row])
    stored = next(
        e
        for e in progress_of(conn, contract_no)
        if e["reported_on"] == record.reported_on.isoformat() and e["kind"] == kind
    )
    return {"progress": stored, "change_set_id": cs.id}


def write_delay(
    conn: Connection,
    contract_no: str,
    record: DelayRecord,
    *,
    actor: str,
    parks: Iterable[str] = (),
) -> dict[str, Any]:
    """Store government-caused delay *record* of contract *contract_no* as *actor*:
    ``{"delay": the delay as stored, "change_set_id"}``; the same ``delay_from`` again
    corrects it.

    :class:`NotFound` (no such contract stands), :class:`InvalidRecord` naming the field
    (:func:`parks.supervision.records.check_delay`)."""
    cs = _open(conn, record, op="put_idle_delay", actor=actor, contract_no=contract_no)
    contract = _contract_for(conn, contract_no, tuple(parks))
    check_delay(record, contract=contract)
    row = {c: getattr(record, c, None) for c in DELAY_COLUMNS} | {"contract_no": contract_no}
    put_versions(conn, change_set_id=cs.id, table="idle_delay", rows=[row])
    stored = next(
        d for d in delays_of(conn, contract_no) if d["delay_from"] == record.delay_from.isoformat()
    )
    return {"delay": stored, "change_set_id": cs.id}


# --- approval batches ------------------------------------------------------------------------


def write_batch(
    conn: Connection,
    record: BatchRecord,
    *,
    actor: str,
    today: date,
    parks: Iterable[str] = (),
) -> dict[str, Any]:
    """Store approval batch *record* and the land its parcels hold, as *actor* on
    *today*: ``{"batch": the batch as stored with its parcels, "change_set_id"}``. A
    parcel's ``area_m2`` defaults to its standing area. Re-posting a batch number corrects
    the batch: its parcels become those listed (the others leave it; history kept).

    :class:`InvalidRecord` naming ``park`` (no such park) or what
    :func:`parks.supervision.records.check_batch` finds."""
    parks = tuple(parks)
    cs = _open(conn, record, op="put_approval_batch", actor=actor)
    known = conn.execute(text("SELECT code FROM park ORDER BY code")).scalars().all()
    if record.park not in known:
        raise InvalidRecord("park", f"unknown park {record.park!r}; known: {', '.join(known)}")
    _ensure_in_scope(parks, record.park)
    before = batch_detail(conn, record.batch_no)
    if before is not None:
        _ensure_in_scope(parks, before["park"])
    standing = _standing_parcels(conn, [p.parcel_code for p in record.parcels])
    parcel_rows = check_batch(record, parcels=standing, today=today)
    batch_row = {c: getattr(record, c) for c in BATCH_COLUMNS} | {"kind": record.kind.value}
    put_versions(conn, change_set_id=cs.id, table="approval_batch", rows=[batch_row])
    put_versions(conn, change_set_id=cs.id, table="approval_batch_parcel", rows=parcel_rows)
    listed = {r["parcel_code"] for r in parcel_rows}
    gone = [p["parcel_code"] for p in (before or {}).get("parcels", [])]
    end_versions(
        conn,
        change_set_id=cs.id,
        table="approval_batch_parcel",
        keys=[{"batch_no": record.batch_no, "parcel_code": c} for c in gone if c not in listed],
    )
    return {"batch": batch_detail(conn, record.batch_no), "change_set_id": cs.id}


# --- settings --------------------------------------------------------------------------------


def settings_body(conn: Connection) -> dict[str, dict[str, Any]]:
    """Every supervision setting by name: ``value`` (in force), ``default``,
    ``changed_at`` and ``changed_by`` (when and by whom an admin set the value in force;
    null while the default is in force)."""
    overrides = {
        r["name"]: r
        for r in conn.execute(text(sql("service.supervision", "sql/records_settings.sql")))
        .mappings()
        .all()
    }
    values = in_force({name: r["value"] for name, r in overrides.items()})
    out = {}
    for name in sorted(DEFAULTS):
        override: Mapping[str, Any] | None = overrides.get(name)
        out[name] = {
            "value": values[name],
            "default": DEFAULTS[name],
            "changed_at": plain(override["valid_from"]) if override else None,
            "changed_by": override["actor"] if override else None,
        }
    return out


def write_setting(
    conn: Connection, name: str, change: SettingChange, *, actor: str
) -> dict[str, Any]:
    """Set supervision setting *name* to *change*'s value, as *actor*, in a change set of
    kind ``supervision_setting``: ``{"name", "value", "default", "changed_at",
    "changed_by", "change_set_id"}``. :class:`NotFound` for a name supervision doesn't
    know; :class:`InvalidRecord` naming ``value`` for a value
    :func:`parks.supervision.settings.check_setting` refuses."""
    if name not in DEFAULTS:
        raise NotFound(
            f"name: no supervision setting {name!r}; known: {', '.join(sorted(DEFAULTS))}"
        )
    try:
        value = check_setting(name, change.value)
    except SettingError as exc:
        raise InvalidRecord("value", str(exc)) from None
    cs = _open(
        conn, change, op="set_supervision_setting", actor=actor, kind=SETTING_KIND, name=name
    )
    put_versions(
        conn,
        change_set_id=cs.id,
        table="supervision_setting",
        rows=[{"name": name, "value": value}],
    )
    return {"name": name, **settings_body(conn)[name], "change_set_id": cs.id}

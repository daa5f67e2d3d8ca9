"""Writing land supervision's records: supply contracts, progress on the ground, government-
caused delays, approval batches and the settings supervision judges by — and reading the
contracts and settings back.

Writes need an editor's, approver's or admin's token, or a signed-in session of one (with
its ``X-CSRF-Token``); a setting needs an admin. Every write is one change set (its
``reason`` and ``document_no`` from the body, the caller as its actor) with its
zero-delta ledger row; nothing of a refused write is stored. An official limited to some
parks may write only their parks' records (403 ``park_out_of_scope`` naming the park).
A bad field is 422 naming it: ``invalid_parameter`` (``parameter``) for a value of the
wrong form, ``invalid_record`` (``field``) for one that disagrees with the ledger or with
another field. Areas are planar m² (EPSG:4545) with 亩 beside them, money 万元, shares
fractions 0..1, dates ``YYYY-MM-DD``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Path, Query

from parks.supervision.records import (
    BatchRecord,
    ContractRecord,
    DelayRecord,
    ProgressRecord,
    SettingChange,
)
from parks.vocabulary import PROPOSE_ROLES
from service.api.deps import AdminDep, ConnDep, EngineDep, ReaderDep, SettingsDep, require_roles
from service.api.params import (
    NOT_FOUND,
    READ_ERRORS,
    WRITE_ERRORS,
    ErrorBody,
    ParkDep,
    error_answer,
)
from service.auth.tokens import Principal
from service.settings import Settings
from service.supervision import contracts, writes

router = APIRouter(tags=["supervision"], responses=READ_ERRORS)

#: Who may write supervision records (not settings): the officials who change land or
#: approve its changes. Records move no land, so they need no second official's approval
#: whatever PARKS_EDITORS_APPLY_DIRECTLY says.
RECORD_WRITE_ROLES = PROPOSE_ROLES
RecordWriterDep = Annotated[
    Principal,
    Depends(require_roles(RECORD_WRITE_ROLES, what="writing land supervision records")),
]

_WRITE_ANSWERS = {
    **WRITE_ERRORS,
    403: error_answer(
        "the role may not write supervision records (forbidden), or the record is of a "
        "park outside the official's parks (park_out_of_scope, naming the park)"
    ),
    422: error_answer(
        "a field is wrong: invalid_parameter (naming the parameter) for a value of the "
        "wrong form, invalid_record (naming the field) for one that disagrees with the "
        "ledger or another field",
        ErrorBody,
    ),
}
_CONTRACT_WRITE_ANSWERS = {
    **_WRITE_ANSWERS,
    404: error_answer("no supply contract of that number stands"),
}

ContractNoPath = Annotated[
    str, Path(min_length=1, max_length=100, description="contract number (合同编号)")
]


def _today(settings: Settings) -> date:
    """Today in PARKS_TIMEZONE."""
    return datetime.now(ZoneInfo(settings.timezone)).date()


# --- supply contracts ------------------------------------------------------------------------


@router.post("/api/supervision/contracts", status_code=201, responses=_WRITE_ANSWERS)
def post_contract(record: ContractRecord, engine: EngineDep, principal: RecordWriterDep) -> dict:
    """Record a supply contract (出让合同 / 划拨决定书) of a standing parcel: its park is
    the parcel's, its holder (when not given) the parcel's holder, its land area (when
    not given) the parcel's area (m², EPSG:4545). Money 万元; shares 0..1; the agreed
    start not before the signing, the agreed completion not before the start,
    plot_ratio_min not above plot_ratio_max. Re-posting a contract number corrects it
    (the old version stays in its history). Answers ``{contract, change_set_id}``."""
    with engine.begin() as conn:
        return writes.write_contract(conn, record, actor=principal.name, parks=principal.parks)


@router.get("/api/supervision/contracts")
def list_contracts(
    conn: ConnDep,
    _reader: ReaderDep,
    park: ParkDep,
    parcel: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=64,
            pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$",
            description="parcel code",
        ),
    ] = None,
) -> list[dict]:
    """The standing supply contracts (of ``park``, of ``parcel``), by park and number,
    each with its terms, ``land_area_m2`` and ``land_area_mu``, and its investment
    intensity (投资强度, 万元 per 亩: ``investment_intensity_wan_per_mu``)."""
    return contracts.contracts(conn, park=park, parcel=parcel)


@router.get("/api/supervision/contracts/{contract_no}", responses=NOT_FOUND)
def get_contract(conn: ConnDep, _reader: ReaderDep, contract_no: ContractNoPath) -> dict:
    """A standing supply contract: ``contract`` (as the list gives it), its standing
    ``progress`` reports and government-caused ``delays``, and its ``history``: every
    version, oldest first, with ``valid_from``, ``valid_to`` (null: standing),
    ``change_set_id``, ``actor`` and ``reason``."""
    return contracts.contract_detail(conn, contract_no)


@router.post(
    "/api/supervision/contracts/{contract_no}/progress",
    status_code=201,
    responses=_CONTRACT_WRITE_ANSWERS,
)
def post_progress(
    contract_no: ContractNoPath,
    record: ProgressRecord,
    engine: EngineDep,
    settings: SettingsDep,
    principal: RecordWriterDep,
) -> dict:
    """Report what happened on a contract's land on ``reported_on`` (not before the
    signing, not after today): ``start`` (实际动工, once), ``report``, ``suspension`` (停工),
    ``resumption`` (复工) or ``completion`` (竣工验收, once, with the measured plot_ratio,
    building_coverage, office_share and investment_wan). ``developed_area_m2`` (m²) and
    ``investment_wan`` (万元) are to date. The same date and kind again corrects the
    report; ``corrects_reported_on`` re-dates one. Answers ``{progress, change_set_id}``."""
    with engine.begin() as conn:
        return writes.write_progress(
            conn,
            contract_no,
            record,
            actor=principal.name,
            today=_today(settings),
            parks=principal.parks,
        )


@router.post(
    "/api/supervision/contracts/{contract_no}/delays",
    status_code=201,
    responses=_CONTRACT_WRITE_ANSWERS,
)
def post_delay(
    contract_no: ContractNoPath,
    record: DelayRecord,
    engine: EngineDep,
    principal: RecordWriterDep,
) -> dict:
    """Record a delay caused by the government (政府原因) from ``delay_from`` to
    ``delay_to`` (left out: still running), its cause and its document (``document_no``,
    required); the idle-land clock does not run on those days. The same ``delay_from``
    again corrects the delay. Answers ``{delay, change_set_id}``."""
    with engine.begin() as conn:
        return writes.write_delay(
            conn, contract_no, record, actor=principal.name, parks=principal.parks
        )


# --- approval batches ------------------------------------------------------------------------


@router.post("/api/supervision/batches", status_code=201, responses=_WRITE_ANSWERS)
def post_batch(
    record: BatchRecord, engine: EngineDep, settings: SettingsDep, principal: RecordWriterDep
) -> dict:
    """Record an approval batch of construction land (建设用地批次: conversion 农用地转用,
    expropriation 土地征收, or both), approved on ``approved_on`` (not after today) for
    ``approved_area_m2``, and the standing parcels of its park its land went to (each
    ``area_m2`` by default the parcel's area; together at most the approved area, to
    0.01 m²). Re-posting a batch number corrects it; parcels no longer listed leave it.
    Answers ``{batch, change_set_id}``."""
    with engine.begin() as conn:
        return writes.write_batch(
            conn, record, actor=principal.name, today=_today(settings), parks=principal.parks
        )


# --- settings --------------------------------------------------------------------------------


@router.get("/api/supervision/settings")
def get_settings(conn: ConnDep, _reader: ReaderDep) -> dict:
    """Every setting supervision judges by (idle-land thresholds, the idle-land fee's
    share, the batches' lapse, the evaluation's weights, grade shares and groups), by
    name: ``value`` in force, ``default``, and ``changed_at`` / ``changed_by`` of the
    admin's change in force (null while the default is)."""
    return writes.settings_body(conn)


@router.put(
    "/api/supervision/settings/{name}",
    responses={
        **_WRITE_ANSWERS,
        403: error_answer("only an admin may change a setting"),
        **NOT_FOUND,
    },
)
def put_setting(
    name: Annotated[str, Path(min_length=1, max_length=100, description="setting name")],
    change: SettingChange,
    engine: EngineDep,
    principal: AdminDep,
) -> dict:
    """Set a supervision setting (admin): body ``{value, reason, document_no?}``; the
    value is checked against the setting (422 naming ``value``); an unknown name is 404.
    Answers the setting as the list gives it, with its ``name`` and ``change_set_id``."""
    with engine.begin() as conn:
        return writes.write_setting(conn, name, change, actor=principal.name)

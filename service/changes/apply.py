"""Applying a change set: every operation, in order, in one transaction — or none.

This module orchestrates; it decides nothing about land. Each operation looks up what it
needs (the parcel as it stands, whether a park, class or code exists, where a geometry
lies against its park and the standing parcels), measures geometry (``gis.geometry``),
asks the change rules (``parks.change_rules``, ``parks.limits``) — which raise
:class:`~parks.errors.InvalidOperation` or say what the parcels become — and writes the
versions. Problems are collected per operation; if there is any, the transaction is
rolled back and the caller gets them all. Then the rule is judged (here, exactly, under
the ledger lock; and again by the database at commit). Refused and invalid change sets
are logged in ``refusal``.

One code path serves applying a change set, its dry run and a proposal's approval:
:func:`stage_change_set` does all of the above in the caller's transaction;
:func:`apply_change_set` commits it, the dry run (``service.changes.dry_run``) rolls it
back. An official limited to some parks (a signed-in user's ``parks``) may change only
their land: an operation on a parcel of another park is refused whole
(:class:`~parks.errors.ParkOutOfScope`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import shapely
from sqlalchemy import Connection, Engine, RootTransaction, text
from sqlalchemy.exc import DBAPIError

from gis.crs import parse_crs
from gis.errors import GisError
from gis.geometry import (
    area_m2,
    as_multipolygon,
    connected_groups,
    cover_mismatch_m2,
    pairwise_overlap_m2,
    parcel_geometry,
)
from parks.change_rules import (
    ParcelState,
    check_merge_touching,
    check_new_code,
    check_placement,
    check_split_parts,
    merged,
    rezoned,
    split_part,
    supplied,
    with_status,
)
from parks.errors import (
    ConcurrentChange,
    Forbidden,
    InvalidChangeSet,
    InvalidOperation,
    InvalidRecord,
    ManufacturingLandWouldDecrease,
    ParkOutOfScope,
    ParksError,
    Problem,
    ProposalDecided,
    ProposalStale,
)
from parks.limits import InputLimits, area_problem, input_problems, vertex_problem
from parks.operations import (
    ChangeSetRequest,
    Merge,
    Register,
    Reshape,
    Retire,
    Rezone,
    SetStatus,
    Split,
    Supply,
)
from parks.units import AREA_TOLERANCE_M2, M2_PER_MU, TOUCH_TOLERANCE_M
from service.changes.refusals import record_refusal
from service.changes.session import (
    OpenChangeSet,
    PendingRule,
    ProposalOrigin,
    open_change_set,
    pending_rule,
)
from service.db.errors import domain_error_from_database
from service.db.failures import interrupted
from service.db.sqlfiles import sql
from service.observability import metrics
from service.settings import Settings
from service.supervision.writes import store_supplied_contract


@dataclass
class AppliedChangeSet:
    """A committed change set and what it did to manufacturing land."""

    id: int
    ledger_seq: int
    delta_city_m2: float
    delta_parks_m2: dict[str, float]
    manufacturing_total_m2: float

    def body(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "ledger_seq": self.ledger_seq,
            "delta_m2": {
                "city": round(self.delta_city_m2, 4),
                "parks": {k: round(v, 4) for k, v in sorted(self.delta_parks_m2.items())},
            },
            "manufacturing_total_m2": round(self.manufacturing_total_m2, 4),
            "manufacturing_total_mu": round(self.manufacturing_total_m2 / M2_PER_MU, 6),
        }


@dataclass
class _Version:
    version_id: int
    parcel_code: str
    park: str
    land_use_code: str
    status: str
    holder: str | None
    supply_mode: str | None
    supplied_on: date | None
    area_m2: float
    change_set_id: int
    geom: Any

    @property
    def state(self) -> ParcelState:
        return ParcelState(
            parcel_code=self.parcel_code,
            park=self.park,
            land_use_code=self.land_use_code,
            status=self.status,
            holder=self.holder,
            supply_mode=self.supply_mode,
            supplied_on=self.supplied_on,
        )

    def snapshot(self) -> dict[str, Any]:
        return _snapshot(self.__dict__)


def _snapshot(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "version_id": row["version_id"],
        "parcel_code": row["parcel_code"],
        "park": row["park"],
        "land_use_code": row["land_use_code"],
        "status": row["status"],
        "holder": row["holder"],
        "supply_mode": row["supply_mode"],
        "supplied_on": row["supplied_on"].isoformat() if row["supplied_on"] else None,
        "area_m2": round(row["area_m2"], 4),
    }


@dataclass
class _Context:
    conn: Connection
    change_set: OpenChangeSet
    srid: int
    zone: ZoneInfo
    limits: InputLimits = field(default_factory=InputLimits)
    #: The parks the actor may change (empty: every park).
    parks: tuple[str, ...] = ()
    effects: list[dict[str, Any]] = field(default_factory=list)

    # --- lookups -----------------------------------------------------------------

    def ensure_in_scope(self, park: str) -> None:
        """The actor may change land of *park* (:class:`ParkOutOfScope` otherwise)."""
        if self.parks and park not in self.parks:
            raise ParkOutOfScope(park, allowed=self.parks)

    def current(self, code: str) -> _Version:
        row = (
            self.conn.execute(
                text(sql("service.sql", "change_current_version.sql")), {"code": code}
            )
            .mappings()
            .first()
        )
        if row is None:
            retired = self.conn.execute(
                text("SELECT max(valid_to) FROM parcel_version WHERE parcel_code = :c"),
                {"c": code},
            ).scalar()
            if retired is not None:
                raise InvalidOperation(f"parcel {code} was retired at {retired:%Y-%m-%d %H:%M}")
            raise InvalidOperation(f"unknown parcel {code}")
        values = dict(row)
        self.ensure_in_scope(values["park"])
        values["geom"] = shapely.from_wkb(values.pop("wkb"))
        return _Version(**values)

    def ensure_new_code(self, code: str) -> None:
        standing = self.conn.execute(
            text("SELECT bool_or(valid_to IS NULL) FROM parcel_version WHERE parcel_code = :c"),
            {"c": code},
        ).scalar()
        in_lineage = standing is None and (
            self.conn.execute(
                text("SELECT 1 FROM parcel_lineage WHERE parent_code = :c OR child_code = :c"),
                {"c": code},
            ).first()
            is not None
        )
        check_new_code(code, standing=standing is True, used_before=standing is False or in_lineage)

    def ensure_class(self, code: str) -> None:
        found = self.conn.execute(
            text("SELECT 1 FROM land_use_class WHERE code = :c"), {"c": code}
        ).first()
        if not found:
            raise InvalidOperation(f"unknown land_use_code {code} (GB/T 21010-2017)")

    def ensure_park(self, code: str) -> None:
        found = self.conn.execute(text("SELECT 1 FROM park WHERE code = :c"), {"c": code}).first()
        if not found:
            raise InvalidOperation(f"unknown park {code}")

    def ensure_project(self, code: str) -> None:
        found = self.conn.execute(
            text("SELECT 1 FROM project WHERE project_code = :p"), {"p": code}
        ).first()
        if not found:
            raise InvalidOperation(f"unknown project {code}")

    def geometry(self, obj: Any, crs: str, *, what: str = "geometry"):
        try:
            return parcel_geometry(obj, src_epsg=parse_crs(crs), storage_epsg=self.srid, what=what)
        except GisError as exc:
            raise InvalidOperation(str(exc)) from None

    def ensure_placeable(self, geom, *, park: str, code: str, exclude: list[str]) -> None:
        """*geom* (storage CRS) may stand as parcel *code* of *park*
        (:func:`~parks.change_rules.check_placement`) and is at least the minimum area."""
        wkb = shapely.to_wkb(geom)
        placement = self.conn.execute(
            text(sql("service.sql", "change_outside_park.sql")),
            {"wkb": wkb, "srid": self.srid, "park": park},
        ).first()
        if placement is None:
            raise InvalidOperation(f"unknown park {park}")
        # The query leaves out overlaps within the tolerance (less to fetch); the rule
        # judges what it is given either way.
        overlaps = self.conn.execute(
            text(sql("service.sql", "change_overlaps.sql")),
            {"wkb": wkb, "srid": self.srid, "exclude": exclude, "tolerance": AREA_TOLERANCE_M2},
        ).all()
        check_placement(
            code,
            park=park,
            in_park=placement.in_park,
            outside_m2=placement.outside_m2,
            overlaps_m2={r.parcel_code: r.overlap_m2 for r in overlaps},
        )
        self.ensure_min_area(geom, code=code)

    def ensure_min_area(self, geom, *, code: str) -> None:
        """*geom* (storage CRS: planar m²) is at least the minimum parcel area."""
        problem = area_problem(code, area_m2(geom), self.limits)
        if problem:
            raise InvalidOperation(problem)

    # --- writes --------------------------------------------------------------------

    def insert(self, state: ParcelState, *, geom) -> dict[str, Any]:
        """A new version saying *state*, of shape *geom*, valid from this change set."""
        row = (
            self.conn.execute(
                text(sql("service.sql", "change_insert_version.sql")),
                {
                    **asdict(state),
                    "wkb": shapely.to_wkb(as_multipolygon(geom)),
                    "srid": self.srid,
                    "at": self.change_set.at,
                    "change_set_id": self.change_set.id,
                },
            )
            .mappings()
            .one()
        )
        return _snapshot(dict(row))

    def replace(self, current: _Version, state: ParcelState, *, geom=None) -> dict[str, Any]:
        """The next version of *current*: *state*, of shape *geom* (default: unchanged);
        amended in place when this change set made *current* itself."""
        geom = current.geom if geom is None else geom
        if current.change_set_id == self.change_set.id:
            values = asdict(state)
            for key in ("parcel_code", "park"):
                values.pop(key)
            row = (
                self.conn.execute(
                    text(sql("service.sql", "change_update_version.sql")),
                    {
                        **values,
                        "wkb": shapely.to_wkb(as_multipolygon(geom)),
                        "srid": self.srid,
                        "version_id": current.version_id,
                    },
                )
                .mappings()
                .one()
            )
            return _snapshot(dict(row))
        self.end(current)
        return self.insert(state, geom=geom)

    def end(self, current: _Version) -> None:
        """*current* stops standing at this change set's moment (deleted outright when this
        change set made it: it never stood outside the change set)."""
        if current.change_set_id == self.change_set.id:
            self.conn.execute(
                text("DELETE FROM parcel_version WHERE version_id = :v"),
                {"v": current.version_id},
            )
            return
        result = self.conn.execute(
            text(
                "UPDATE parcel_version SET valid_to = :at, ended_by_change_set_id = :cs "
                "WHERE version_id = :v AND valid_to IS NULL"
            ),
            {"at": self.change_set.at, "cs": self.change_set.id, "v": current.version_id},
        )
        if result.rowcount != 1:
            raise InvalidOperation(f"parcel {current.parcel_code} was changed meanwhile")

    def lineage(self, parent: str, child: str, kind: str) -> None:
        self.conn.execute(
            text(
                "INSERT INTO parcel_lineage (parent_code, child_code, kind, change_set_id) "
                "VALUES (:p, :c, :k, :cs) ON CONFLICT DO NOTHING"
            ),
            {"p": parent, "c": child, "k": kind, "cs": self.change_set.id},
        )

    def link_project(self, project: str, parcel_code: str) -> None:
        self.conn.execute(
            text(
                "INSERT INTO project_parcel (project_code, parcel_code) VALUES (:p, :c) "
                "ON CONFLICT DO NOTHING"
            ),
            {"p": project, "c": parcel_code},
        )


# --- the operations --------------------------------------------------------------------


def _register(ctx: _Context, op: Register) -> dict:
    ctx.ensure_in_scope(op.park)
    ctx.ensure_new_code(op.parcel_code)
    ctx.ensure_park(op.park)
    ctx.ensure_class(op.land_use_code)
    geom = ctx.geometry(op.geometry, op.crs)
    ctx.ensure_placeable(geom, park=op.park, code=op.parcel_code, exclude=[])
    state = ParcelState(
        parcel_code=op.parcel_code,
        park=op.park,
        land_use_code=op.land_use_code,
        status=op.status.value,
        holder=op.holder,
    )
    return {"before": [], "after": [ctx.insert(state, geom=geom)]}


def _rezone(ctx: _Context, op: Rezone) -> dict:
    current = ctx.current(op.parcel_code)
    ctx.ensure_class(op.land_use_code)
    state = rezoned(current.state, op.land_use_code)
    return {"before": [current.snapshot()], "after": [ctx.replace(current, state)]}


def _reshape(ctx: _Context, op: Reshape) -> dict:
    current = ctx.current(op.parcel_code)
    geom = ctx.geometry(op.geometry, op.crs)
    ctx.ensure_placeable(geom, park=current.park, code=op.parcel_code, exclude=[op.parcel_code])
    return {
        "before": [current.snapshot()],
        "after": [ctx.replace(current, current.state, geom=geom)],
    }


def _split(ctx: _Context, op: Split) -> dict:
    parent = ctx.current(op.parcel_code)
    geoms = []
    for n, part in enumerate(op.parts):
        ctx.ensure_new_code(part.parcel_code)
        if part.land_use_code:
            ctx.ensure_class(part.land_use_code)
        geom = ctx.geometry(part.geometry, op.crs, what=f"parts[{n}].geometry")
        ctx.ensure_min_area(geom, code=part.parcel_code)
        geoms.append(geom)
    mismatch = cover_mismatch_m2(parent.geom, geoms)
    check_split_parts(
        op.parcel_code,
        [part.parcel_code for part in op.parts],
        overlaps_m2=pairwise_overlap_m2(geoms),
        uncovered_m2=mismatch.uncovered_m2,
        beyond_m2=mismatch.beyond_m2,
    )
    before = parent.snapshot()
    ctx.end(parent)
    after = []
    for part, geom in zip(op.parts, geoms, strict=True):
        state = split_part(
            parent.state, parcel_code=part.parcel_code, land_use_code=part.land_use_code
        )
        after.append(ctx.insert(state, geom=geom))
        ctx.lineage(op.parcel_code, part.parcel_code, "split")
    return {"before": [before], "after": after}


def _merge(ctx: _Context, op: Merge) -> dict:
    inputs = [ctx.current(code) for code in op.parcel_codes]
    state = merged(
        [v.state for v in inputs], parcel_code=op.parcel_code, land_use_code=op.land_use_code
    )
    ctx.ensure_new_code(op.parcel_code)
    if op.land_use_code is not None:
        ctx.ensure_class(op.land_use_code)
    geoms = [v.geom for v in inputs]
    check_merge_touching(op.parcel_codes, connected_groups(geoms, within_m=TOUCH_TOLERANCE_M))
    geom = shapely.union_all(geoms)
    ctx.ensure_min_area(geom, code=op.parcel_code)
    too_many = vertex_problem(
        f"the merged parcel {op.parcel_code}", shapely.get_num_coordinates(geom), ctx.limits
    )
    if too_many:
        raise InvalidOperation(too_many)
    befores = [v.snapshot() for v in inputs]
    for v in inputs:
        ctx.end(v)
    after = ctx.insert(state, geom=geom)
    for v in inputs:
        ctx.lineage(v.parcel_code, op.parcel_code, "merge")
    return {"before": befores, "after": [after]}


def _supply(ctx: _Context, op: Supply) -> dict:
    current = ctx.current(op.parcel_code)
    on = ctx.change_set.at.astimezone(ctx.zone).date()
    state = supplied(current.state, holder=op.holder, mode=op.mode.value, on=on)
    if op.project is not None:
        ctx.ensure_project(op.project)
        ctx.link_project(op.project, op.parcel_code)
    if op.contract is not None:
        # The supply contract is a land supervision record of the same change set.
        try:
            store_supplied_contract(
                ctx.conn,
                change_set_id=ctx.change_set.id,
                terms=op.contract,
                parcel_code=op.parcel_code,
                park=current.park,
                holder=op.holder,
                supply_mode=op.mode.value,
                supplied_on=on,
                land_area_m2=current.area_m2,
            )
        except InvalidRecord as exc:
            raise InvalidOperation(f"contract.{exc.message}") from None
    return {"before": [current.snapshot()], "after": [ctx.replace(current, state)]}


def _set_status(ctx: _Context, op: SetStatus) -> dict:
    current = ctx.current(op.parcel_code)
    state = with_status(current.state, op.status.value)
    return {"before": [current.snapshot()], "after": [ctx.replace(current, state)]}


def _retire(ctx: _Context, op: Retire) -> dict:
    current = ctx.current(op.parcel_code)
    before = current.snapshot()
    ctx.end(current)
    return {"before": [before], "after": []}


_APPLY = {
    Register: _register,
    Rezone: _rezone,
    Reshape: _reshape,
    Split: _split,
    Merge: _merge,
    Supply: _supply,
    SetStatus: _set_status,
    Retire: _retire,
}


# --- the change set ----------------------------------------------------------------------


def settings_options(settings: Settings) -> dict[str, Any]:
    """What applying or dry-running a change set takes from *settings*: the storage CRS,
    the zone of its dates and the input limits (keyword arguments of
    :func:`apply_change_set`, :func:`stage_change_set` and the dry run)."""
    return {
        "storage_srid": settings.storage_srid,
        "timezone": settings.timezone,
        "limits": InputLimits.from_settings(settings),
    }


#: Called once the change set is open (the ledger lock held), before its operations: a
#: proposal's approval checks and records itself there, in the same transaction.
BeforeOperations = Callable[[Connection, OpenChangeSet], None]


@dataclass
class StagedChangeSet:
    """A change set applied inside a transaction not yet committed: its effects (each
    operation's before and after), the problems of the operations that could not be
    applied, what the rule judges it by and the rule's refusal (None: accepted, or not
    judged because of *problems*)."""

    change_set: OpenChangeSet
    effects: list[dict[str, Any]]
    problems: list[Problem]
    rule: PendingRule
    refusal: ManufacturingLandWouldDecrease | None

    def raise_if_refused(self) -> None:
        """Raise :class:`InvalidChangeSet` (problems) or the rule's refusal, if any."""
        if self.problems:
            raise InvalidChangeSet(self.problems)
        if self.refusal is not None:
            raise self.refusal


def stage_change_set(
    conn: Connection,
    request: ChangeSetRequest,
    *,
    actor: str,
    storage_srid: int,
    timezone: str = "Asia/Shanghai",
    limits: InputLimits | None = None,
    parks: Iterable[str] = (),
    proposal: ProposalOrigin | None = None,
    before_operations: BeforeOperations | None = None,
) -> StagedChangeSet:
    """Apply *request* as *actor* in the caller's transaction on *conn* and judge it —
    the one code path of applying (:func:`apply_change_set` commits it when it is clean),
    the dry run (``service.changes.dry_run`` rolls it back) and a proposal's approval.

    *limits* (default: the settings' defaults) are checked first, before any geometry is
    parsed or land is read (:class:`InvalidChangeSet`). Then the ledger lock is taken, the
    change set opened (naming *proposal* when it applies one), *before_operations* called,
    and every operation applied in order, each in a savepoint: one that cannot be applied
    is a problem and the others go on. An operation touching a parcel of a park outside
    *parks* (empty: every park) raises :class:`ParkOutOfScope`; a race raises the
    database's error. Without problems the effects are recorded and the rule judged,
    exactly, under the lock. Nothing is committed here.
    """
    limits = limits or InputLimits()
    beyond = input_problems(request, limits)
    if beyond:
        raise InvalidChangeSet(beyond)
    submitted = request.model_dump(mode="json")
    change_set = open_change_set(
        conn,
        kind=request.kind.value,
        reason=request.reason,
        document_no=request.document_no,
        actor=actor,
        operations=submitted["operations"],
        proposal=proposal,
    )
    if before_operations is not None:
        before_operations(conn, change_set)
    ctx = _Context(
        conn=conn,
        change_set=change_set,
        srid=storage_srid,
        zone=ZoneInfo(timezone),
        limits=limits,
        parks=tuple(parks),
    )
    problems = []
    for index, operation in enumerate(request.operations):
        savepoint = conn.begin_nested()
        try:
            effect = _APPLY[type(operation)](ctx, operation)
            savepoint.commit()
        except InvalidOperation as exc:
            savepoint.rollback()
            problems.append(Problem(index, str(exc)))
            continue
        except DBAPIError as exc:
            if isinstance(domain_error_from_database(exc), ConcurrentChange):
                raise  # a race (deadlock, serialization): the whole set may be retried
            if interrupted(exc):
                raise  # the database went away, or the request's work was cancelled
            savepoint.rollback()
            problems.append(Problem(index, _database_message(exc)))
            continue
        ctx.effects.append({"operation": index, "op": operation.op, **effect})
    rule = pending_rule(conn)
    refusal = None
    if not problems:
        conn.execute(
            text("UPDATE change_set SET effects = CAST(:e AS jsonb) WHERE id = :id"),
            {"e": json.dumps(ctx.effects, ensure_ascii=False), "id": change_set.id},
        )
        refusal = rule.judge()
    return StagedChangeSet(
        change_set=change_set, effects=ctx.effects, problems=problems, rule=rule, refusal=refusal
    )


#: Errors that say who may do what or where a proposal stands, not what is wrong with the
#: change set: they are not a refused change set, and the refusal log does not keep them.
_NOT_REFUSALS = (Forbidden, ProposalDecided, ProposalStale)


def apply_change_set(
    engine: Engine,
    request: ChangeSetRequest,
    *,
    actor: str,
    storage_srid: int,
    timezone: str = "Asia/Shanghai",
    limits: InputLimits | None = None,
    refusal_cap_bytes: int | None = None,
    parks: Iterable[str] = (),
    proposal: ProposalOrigin | None = None,
    before_operations: BeforeOperations | None = None,
) -> AppliedChangeSet:
    """Apply *request* as *actor* in one transaction; return what it did.

    *limits* (default: the settings' defaults) are checked first, before any geometry is
    parsed or land is read. Raises :class:`InvalidChangeSet` (beyond the limits, or an
    operation cannot be applied) or :class:`ManufacturingLandWouldDecrease` (the rule
    refused it); either way nothing was stored, and the attempt is logged in ``refusal``
    (its body capped at *refusal_cap_bytes*; default: the setting). An operation outside
    *parks* (empty: every park) raises :class:`ParkOutOfScope`, and what
    *before_operations* raises passes through; neither is logged. *proposal*: the
    proposal this change set applies (see :func:`stage_change_set`).
    """
    submitted = request.model_dump(mode="json")
    try:
        with engine.connect() as conn, conn.begin() as transaction:
            staged = stage_change_set(
                conn,
                request,
                actor=actor,
                storage_srid=storage_srid,
                timezone=timezone,
                limits=limits,
                parks=parks,
                proposal=proposal,
                before_operations=before_operations,
            )
            staged.raise_if_refused()
            _commit_timed(transaction)
    except _NOT_REFUSALS:
        raise
    except ParksError as exc:
        metrics.change_set_refused(exc.code)
        record_refusal(
            engine, actor=actor, submitted=submitted, error=exc, cap_bytes=refusal_cap_bytes
        )
        raise
    except DBAPIError as exc:
        domain = domain_error_from_database(exc)
        if domain is None:
            raise
        metrics.change_set_refused(domain.code)
        record_refusal(
            engine, actor=actor, submitted=submitted, error=domain, cap_bytes=refusal_cap_bytes
        )
        raise domain from None
    metrics.change_set_committed()
    return _outcome(engine, staged.change_set.id)


def _commit_timed(transaction: RootTransaction) -> None:
    """Commit *transaction*, recording how long it took: the database's deferred trigger
    judges the rule (and appends the ledger row) at commit, so this is the rule's check."""
    started = time.perf_counter()
    try:
        transaction.commit()
    finally:
        metrics.observe_rule_check(time.perf_counter() - started)


def _database_message(exc: DBAPIError) -> str:
    diag = getattr(getattr(exc, "orig", None), "diag", None)
    primary = getattr(diag, "message_primary", None)
    return f"the database refused it: {primary or exc.orig}"


def _outcome(engine: Engine, change_set_id: int) -> AppliedChangeSet:
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT seq, delta_city_m2, delta_parks, total_city_m2 FROM ledger "
                "WHERE change_set_id = :id"
            ),
            {"id": change_set_id},
        ).one()
    return AppliedChangeSet(
        id=change_set_id,
        ledger_seq=row.seq,
        delta_city_m2=row.delta_city_m2,
        delta_parks_m2={k: float(v) for k, v in row.delta_parks.items()},
        manufacturing_total_m2=row.total_city_m2,
    )

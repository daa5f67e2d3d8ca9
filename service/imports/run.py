"""An import from end to end: its dry run (stored), and its apply (one change set).

The dry run, in three transactions:

1. *analysis* (committed): the ``import_run`` row and the staged features
   (``import_feature``); each feature without a park given the park whose boundary holds
   the most of it; the checks PostGIS makes against the land as it stands (features in no
   or an unknown park, outside their park, over standing parcels, under retired codes);
   the diff against the standing parcels (fetched in one query); each row's verdict and
   whether a blocking problem leaves it out. The ledger head is read first, so the land
   the analysis saw is at least as new as that row.
2. *the write, rolled back*: the change set is opened (taking the city's ledger lock),
   the ledger head is checked against the analysis's (a writer in between: the analysis
   is redone), and the one apply path (``service.imports.apply``) writes every version,
   is judged by the rule and measured — then all of it is rolled back.
3. the outcome is stored with the ledger head it was judged against.

The apply: under the ledger lock, refused when the ledger moved on since the dry run
(:class:`ImportStale`), when it was applied already, when it has blocking problems and
was not run with ``skip_invalid``; then the same write, judged by the rule (refusals
logged like any change set's), committed with the import marked applied in the same
transaction. An import that changes nothing records no change set (and no ledger row).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from parks.errors import ConcurrentChange, InvalidParameter, ManufacturingLandWouldDecrease
from parks.imports.checks import park_differs_problem
from parks.imports.diff import ImportDiff, IncomingParcel, compare
from parks.imports.problems import ImportProblem, ProblemKind, count_by_kind
from parks.units import M2_PER_MU
from parks.vocabulary import ChangeKind
from service.changes.refusals import record_refusal
from service.changes.session import open_change_set
from service.db.errors import domain_error_from_database
from service.imports import store
from service.imports.apply import effect_of, judge, ledger_head, standing_totals, write_import
from service.imports.errors import (
    ImportAlreadyApplied,
    ImportHasBlockingProblems,
    ImportStale,
)
from service.imports.incoming import IncomingFile, read_incoming
from service.imports.options import ImportOptions
from service.imports.outcome import ImportOutcome, RuleEffect
from service.imports.placement import overlap_problems, park_problems, retired_code_problems
from service.imports.staging import StagedFeature, assign_parks, keep_features, stage_features
from service.imports.standing import standing_parcels
from service.observability import metrics
from service.settings import Settings

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]

#: How often a dry run's analysis is redone when writers keep moving the ledger under it.
ANALYSIS_ATTEMPTS = 3


@dataclass
class AppliedImport:
    """An applied import: its change set (None when it changed nothing) and the ledger row
    that change set appended."""

    import_id: int
    change_set_id: int | None
    ledger_seq: int | None
    delta_city_m2: float
    delta_parks_m2: dict[str, float]
    manufacturing_total_m2: float | None
    ended: int = 0
    continued: int = 0
    registered: int = 0

    def body(self) -> dict[str, Any]:
        """The API's body of the apply."""
        return {
            "import_id": self.import_id,
            "change_set_id": self.change_set_id,
            "ledger_seq": self.ledger_seq,
            "changed_anything": self.change_set_id is not None,
            "delta_m2": {
                "city": round(self.delta_city_m2, 4),
                "parks": {k: round(v, 4) for k, v in sorted(self.delta_parks_m2.items())},
            },
            "delta_mu": round(self.delta_city_m2 / M2_PER_MU, 6),
            "manufacturing_total_m2": None
            if self.manufacturing_total_m2 is None
            else round(self.manufacturing_total_m2, 4),
            "versions": {
                "ended": self.ended,
                "continued": self.continued,
                "registered": self.registered,
            },
        }


# --- the dry run ---------------------------------------------------------------------------


def dry_run(
    engine: Engine,
    path: Path,
    options: ImportOptions,
    *,
    actor: str,
    settings: Settings,
    file_name: str | None = None,
    progress: Progress | None = None,
) -> ImportOutcome:
    """Read, check and diff the file at *path*, write it in a transaction that is rolled
    back to judge it by the rule, and store the outcome (an ``import_run`` row with its
    features). Raises for what makes the file unreadable (a source, archive or CRS error,
    an invalid option or mapping) — nothing is stored then."""
    step = progress or (lambda _stage, _done, _total: None)
    options = options.checked(
        max_reason_chars=settings.max_reason_chars, max_text_chars=settings.max_text_chars
    )
    with engine.connect() as conn:
        _check_park_option(conn, options.park)
        classes = _land_use_classes(conn)
    incoming = read_incoming(
        Path(path),
        options,
        classes=classes,
        storage_srid=settings.storage_srid,
        progress=step,
    )
    zone = ZoneInfo(settings.timezone)
    for _attempt in range(ANALYSIS_ATTEMPTS):
        outcome, seq = _analyse(
            engine,
            incoming,
            options,
            actor=actor,
            file_name=file_name or Path(path).name,
            srid=settings.storage_srid,
            zone=zone,
            progress=step,
        )
        try:
            step("judging by the rule", 0, 1)
            outcome.rule = _judge_rolled_back(engine, outcome, options, seq=seq, zone=zone)
            step("judging by the rule", 1, 1)
        except _Moved:
            with engine.begin() as conn:
                conn.execute(text("DELETE FROM import_run WHERE id = :id"), {"id": outcome.id})
            continue
        except BaseException:
            with engine.begin() as conn:
                conn.execute(text("DELETE FROM import_run WHERE id = :id"), {"id": outcome.id})
            raise
        with engine.begin() as conn:
            store.save_outcome(conn, outcome, ledger_seq=seq)
        return outcome
    raise ConcurrentChange(
        "the land kept changing while the dry run was made; run it again in a moment"
    )


class _Moved(Exception):
    """The ledger moved on between the analysis and the write: redo the analysis."""


def _check_park_option(conn: Connection, park: str | None) -> None:
    if not park:
        return
    known = list(conn.execute(text("SELECT code FROM park ORDER BY code")).scalars())
    if park not in known:
        raise InvalidParameter("park", f"no park {park!r}; known parks: {', '.join(known)}")


def _land_use_classes(conn: Connection) -> list:
    from parks.landuse import LandUseClass

    return [
        LandUseClass(
            code=r.code,
            level=r.level,
            name_zh=r.name_zh,
            name_en=r.name_en,
            is_manufacturing=r.is_manufacturing,
            standard=r.standard,
        )
        for r in conn.execute(
            text(
                "SELECT code, level, name_zh, name_en, is_manufacturing, standard "
                "FROM land_use_class ORDER BY level, code"
            )
        )
    ]


def _unskippable(problem: ImportProblem) -> bool:
    """A problem of the whole file (no row) or of its coordinates: no feature can be left
    out to get past it."""
    return problem.blocking and (
        problem.row is None or problem.kind is ProblemKind.CRS_OUT_OF_RANGE
    )


def _analyse(
    engine: Engine,
    incoming: IncomingFile,
    options: ImportOptions,
    *,
    actor: str,
    file_name: str,
    srid: int,
    zone: ZoneInfo,
    progress: Progress,
) -> tuple[ImportOutcome, int]:
    """Transaction 1 of the dry run: stage, place, check and diff; committed."""
    features = incoming.features
    with engine.begin() as conn:
        _no_jit(conn)
        seq = ledger_head(conn)
        import_id, created_at = store.insert_run(
            conn,
            actor=actor,
            file_name=file_name,
            options=options.as_json(),
            ledger_seq=seq,
        )
        stage_features(conn, features=features, srid=srid, progress=progress)
        progress("checking against the land", 0, 4)
        assigned = assign_parks(conn)
        by_row: dict[int, StagedFeature] = {f.row: f for f in features}
        for row, park in assigned.items():
            by_row[row].park = park
        park_source = incoming.facts.park_source
        if assigned and park_source != "boundary":
            park_source = f"{park_source}, else boundary"
        incoming.facts.park_source = park_source
        problems = list(incoming.problems)
        problems += park_problems(conn)
        progress("checking against the land", 1, 4)
        problems += overlap_problems(conn)
        progress("checking against the land", 2, 4)
        problems += retired_code_problems(conn, zone=zone)
        standing = standing_parcels(conn)
        progress("checking against the land", 3, 4)
        standing_by_code = {s.parcel_code: s for s in standing}
        located = _locations(problems)
        for f in features:
            s = standing_by_code.get(f.parcel_code) if f.parcel_code else None
            if s is not None and f.park is not None and f.park != s.park:
                problems.append(
                    park_differs_problem(
                        f.row, f.parcel_code, f.park, s.park, lonlat=located.get(f.row)
                    )
                )

        blocked = {p.row for p in problems if p.blocking and p.row is not None}
        parcels = []
        for f in features:
            usable = f.parcel_code and f.land_use_code and f.geometry is not None
            if f.row in blocked or not usable:
                blocked.add(f.row)
                continue
            parcels.append(
                IncomingParcel(
                    row=f.row,
                    parcel_code=f.parcel_code,
                    park=f.park,
                    land_use_code=f.land_use_code,
                    geometry=f.geometry,
                    status=f.status,
                    holder=f.holder,
                    supply_mode=f.supply_mode,
                    supplied_on=f.supplied_on,
                    declared_area_m2=f.declared_area_m2,
                )
            )
        diff = compare(
            parcels,
            standing_by_code,
            default_status=options.default_status,
        )
        in_file = {f.parcel_code for f in features if f.parcel_code}
        diff.missing = [code for code in diff.missing if code not in in_file]
        keep_features(
            conn,
            import_id=import_id,
            verdicts=_verdicts(diff, parcels),
            skipped=blocked,
        )
        progress("checking against the land", 4, 4)
    order = {kind: n for n, kind in enumerate(ProblemKind)}
    problems.sort(key=lambda p: (p.row is not None, p.row or 0, order[p.kind]))
    outcome = ImportOutcome(
        id=import_id,
        created_at=created_at,
        actor=actor,
        source=incoming.facts,
        options=options.as_json(),
        problems=problems,
        skipped_rows=sorted(blocked) if options.skip_invalid else [],
        diff=diff,
        rule=None,
    )
    return outcome, seq


def _no_jit(conn: Connection) -> None:
    """No JIT compilation in this transaction: the import's set-based statements each run
    once over many rows, where compiling costs about a second a statement and saves less."""
    conn.execute(text("SET LOCAL jit = off"))


def _locations(problems: list[ImportProblem]) -> dict[int, tuple[float, float]]:
    out: dict[int, tuple[float, float]] = {}
    for p in problems:
        if p.row is not None and p.lon is not None and p.lat is not None:
            out.setdefault(p.row, (p.lon, p.lat))
    return out


def _verdicts(diff: ImportDiff, parcels: list[IncomingParcel]) -> dict[int, tuple[str, tuple]]:
    row_of: dict[str, int] = {}
    for p in parcels:
        row_of.setdefault(p.parcel_code, p.row)
    verdicts: dict[int, tuple[str, tuple]] = {}
    for code in diff.new:
        verdicts[row_of[code]] = ("new", ())
    for changed in diff.changed:
        verdicts[changed.row] = ("changed", tuple(changed.kinds))
    for code in diff.unchanged:
        verdicts[row_of[code]] = ("unchanged", ())
    return verdicts


def changes_anything(outcome: ImportOutcome) -> bool:
    """True when applying *outcome* would write a version (with its retire option)."""
    diff = outcome.diff
    retire = bool(outcome.options.get("retire_missing")) and bool(diff.missing)
    return bool(diff.new or diff.changed or retire)


def _retired(outcome: ImportOutcome) -> list[str]:
    return list(outcome.diff.missing) if outcome.options.get("retire_missing") else []


def operations(outcome: ImportOutcome, *, new_rows: dict[str, int]) -> list[dict[str, Any]]:
    """The change set's operations, compact (no geometry): each changed code's kinds and each
    new code registered, in the file's order (*new_rows*: the new codes' rows), then each
    retired code."""
    ops: list[tuple[int, dict[str, Any]]] = []
    for changed in outcome.diff.changed:
        for kind in changed.kinds:
            ops.append(
                (changed.row, {"op": kind, "parcel_code": changed.parcel_code, "row": changed.row})
            )
    for code in outcome.diff.new:
        row = new_rows.get(code)
        ops.append((row or 0, {"op": "register", "parcel_code": code, "row": row}))
    ops.sort(key=lambda item: item[0])
    return [op for _, op in ops] + [
        {"op": "retire", "parcel_code": code} for code in _retired(outcome)
    ]


def _new_code_rows(conn: Connection, import_id: int) -> dict[str, int]:
    return dict(
        conn.execute(
            text(
                "SELECT parcel_code, row_no FROM import_feature "
                "WHERE import_id = :id AND verdict = 'new' AND NOT skipped"
            ),
            {"id": import_id},
        ).all()
    )


def _judge_rolled_back(
    engine: Engine, outcome: ImportOutcome, options: ImportOptions, *, seq: int, zone: ZoneInfo
):
    """Transaction 2 of the dry run: the write, judged and measured, rolled back."""
    with engine.connect() as conn:
        if not changes_anything(outcome):
            before = standing_totals(conn)
            conn.rollback()
            return effect_of(
                before=before, deltas={}, reserve_after=before.reserve_m2, refusal=None
            )
        tx = conn.begin()
        try:
            _no_jit(conn)
            change_set, head, _ops = _open(conn, outcome, actor=outcome.actor)
            if head != seq:
                raise _Moved()
            before = standing_totals(conn)
            write_import(
                conn,
                import_id=outcome.id,
                change_set=change_set,
                retire=_retired(outcome),
                default_status=options.default_status,
                today=change_set.at.astimezone(zone).date(),
            )
            return judge(conn, before=before)
        finally:
            tx.rollback()


def _reason(outcome: ImportOutcome) -> str:
    return outcome.options.get("reason") or f"import of {outcome.source.name}"


def _open(conn: Connection, outcome: ImportOutcome, *, actor: str):
    """Open the import's change set (taking the ledger lock); it, the ledger head read
    under the lock, and its operations."""
    ops = operations(outcome, new_rows=_new_code_rows(conn, outcome.id))
    change_set = open_change_set(
        conn,
        kind=ChangeKind.IMPORT.value,
        reason=_reason(outcome),
        document_no=outcome.options.get("document_no"),
        actor=actor,
        operations=ops,
    )
    return change_set, ledger_head(conn), ops


# --- the apply -----------------------------------------------------------------------------


def apply_import(
    engine: Engine,
    import_id: int,
    *,
    actor: str,
    settings: Settings,
    progress: Progress | None = None,
) -> AppliedImport:
    """Apply the stored dry run *import_id* as one change set by *actor*.

    Raises :class:`~parks.errors.NotFound`, :class:`ImportAlreadyApplied`,
    :class:`ImportHasBlockingProblems`, :class:`ImportStale` or
    :class:`~parks.errors.ManufacturingLandWouldDecrease` (logged in ``refusal`` like a
    change set's, the import marked ``refused``); nothing is stored then."""
    step = progress or (lambda _stage, _done, _total: None)
    zone = ZoneInfo(settings.timezone)
    with engine.connect() as conn:
        outcome = store.load_outcome(conn, import_id)
    _refuse_unless_applicable(outcome)
    step("writing the change set", 0, 1)
    submitted: dict[str, Any] = {}
    try:
        with engine.begin() as conn:
            if not changes_anything(outcome):
                return _apply_nothing(conn, outcome)
            _no_jit(conn)
            change_set, head, ops = _open(conn, outcome, actor=actor)
            run = store.load_run(conn, import_id, lock=True)
            if run["status"] == "applied":
                raise ImportAlreadyApplied(import_id=import_id, change_set_id=run["change_set_id"])
            if head != run["ledger_seq"]:
                raise ImportStale(import_id=import_id, dry_run_seq=run["ledger_seq"], head_seq=head)
            submitted = {
                "kind": ChangeKind.IMPORT.value,
                "reason": _reason(outcome),
                "document_no": outcome.options.get("document_no"),
                "import_id": import_id,
                "operations": ops,
            }
            before = standing_totals(conn)
            written = write_import(
                conn,
                import_id=import_id,
                change_set=change_set,
                retire=_retired(outcome),
                default_status=outcome.options.get("status") or "reserve",
                today=change_set.at.astimezone(zone).date(),
            )
            effect = judge(conn, before=before)
            if effect.would_refuse:
                raise refusal_of(effect)
            conn.execute(
                text("UPDATE change_set SET effects = CAST(:e AS jsonb) WHERE id = :id"),
                {"e": _effects_json(outcome, written), "id": change_set.id},
            )
            store.mark_applied(conn, import_id=import_id, change_set_id=change_set.id)
            step("writing the change set", 1, 1)
            step("committing", 0, 1)
    except ManufacturingLandWouldDecrease as exc:
        _record_refused(
            engine, outcome, actor=actor, submitted=submitted, error=exc, settings=settings
        )
        raise
    except DBAPIError as exc:
        domain = domain_error_from_database(exc)
        if domain is None:
            raise
        if isinstance(domain, ManufacturingLandWouldDecrease):
            _record_refused(
                engine, outcome, actor=actor, submitted=submitted, error=domain, settings=settings
            )
        raise domain from None
    metrics.change_set_committed()
    step("committing", 1, 1)
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT seq, delta_city_m2, delta_parks, total_city_m2 FROM ledger "
                "WHERE change_set_id = :id"
            ),
            {"id": change_set.id},
        ).one()
    return AppliedImport(
        import_id=import_id,
        change_set_id=change_set.id,
        ledger_seq=row.seq,
        delta_city_m2=row.delta_city_m2,
        delta_parks_m2={k: float(v) for k, v in row.delta_parks.items()},
        manufacturing_total_m2=row.total_city_m2,
        ended=written.ended,
        continued=written.continued,
        registered=written.registered,
    )


def stopping_problems(outcome: ImportOutcome) -> list[ImportProblem]:
    """The problems that keep *outcome* from being applied: every blocking one, or with
    ``skip_invalid`` those no feature can be left out to get past."""
    blocking = [p for p in outcome.problems if p.blocking]
    if outcome.options.get("skip_invalid"):
        return [p for p in blocking if _unskippable(p)]
    return blocking


def _refuse_unless_applicable(outcome: ImportOutcome) -> None:
    if outcome.status == "applied":
        raise ImportAlreadyApplied(import_id=outcome.id, change_set_id=outcome.change_set_id)
    stopping = stopping_problems(outcome)
    if stopping:
        raise ImportHasBlockingProblems(
            import_id=outcome.id, blocking=len(stopping), by_kind=count_by_kind(stopping)
        )


def _apply_nothing(conn: Connection, outcome: ImportOutcome) -> AppliedImport:
    """Apply an import that changes nothing: no change set, no ledger row — but still
    refused as stale when the land changed since its dry run (the file would now change
    what was changed meanwhile)."""
    run = store.load_run(conn, outcome.id, lock=True)
    if run["status"] == "applied":
        raise ImportAlreadyApplied(import_id=outcome.id, change_set_id=run["change_set_id"])
    head = ledger_head(conn)
    if head != run["ledger_seq"]:
        raise ImportStale(import_id=outcome.id, dry_run_seq=run["ledger_seq"], head_seq=head)
    store.mark_applied(conn, import_id=outcome.id, change_set_id=None)
    return AppliedImport(
        import_id=outcome.id,
        change_set_id=None,
        ledger_seq=None,
        delta_city_m2=0.0,
        delta_parks_m2={},
        manufacturing_total_m2=None,
    )


def refusal_of(effect: RuleEffect) -> ManufacturingLandWouldDecrease:
    """The rule's refusal a dry run's *effect* recorded (it must have one)."""
    body = effect.refusal
    return ManufacturingLandWouldDecrease(
        scope=body["scope"],
        total_before_m2=body["total_before_m2"],
        total_after_m2=body["total_after_m2"],
        high_water_m2=body["high_water_m2"],
        shortfall_m2=body["shortfall_m2"],
        parcels=list(body["parcels"]),
    )


def _record_refused(
    engine: Engine,
    outcome: ImportOutcome,
    *,
    actor: str,
    submitted: dict[str, Any],
    error: ManufacturingLandWouldDecrease,
    settings: Settings,
) -> None:
    metrics.change_set_refused(error.code)
    record_refusal(
        engine,
        actor=actor,
        submitted=submitted
        or {"kind": ChangeKind.IMPORT.value, "reason": _reason(outcome), "import_id": outcome.id},
        error=error,
        cap_bytes=settings.refusal_body_cap_bytes,
    )
    with engine.begin() as conn:
        store.mark_refused(conn, import_id=outcome.id)


def _effects_json(outcome: ImportOutcome, written) -> str:
    """The change set's ``effects`` for an import: one bounded summary, not a before/after
    snapshot per parcel (100,000 of those would be tens of MB). The versions themselves
    say it all: those this change set wrote (``parcel_version.change_set_id``) and ended
    (``ended_by_change_set_id``); the per-parcel diff is the import's
    (``GET /api/imports/{id}``)."""
    import json

    counts = outcome.diff.counts()
    return json.dumps(
        [
            {
                "operation": None,
                "op": "import",
                "import_id": outcome.id,
                "file": outcome.source.name,
                "new": counts["new"],
                "changed": counts["changed"],
                "retired": len(_retired(outcome)),
                "versions_ended": written.ended,
                "versions_continued": written.continued,
                "versions_registered": written.registered,
                "before": [],
                "after": [],
            }
        ],
        ensure_ascii=False,
    )

"""Storing key projects' records as officials give them: a year's plan, a monthly report
(with the milestones reached), a site visit, a problem raised and its changes, an official
(包抓领导), an official's assignment to a project (and its end), and a setting of the
rhythm.

Each write, in the caller's transaction, opens one change set (kind ``projects``, or
``project_setting`` for a setting; the body's ``reason`` and ``document_no``, the actor,
and what was asked as its one operation) — which takes the city's ledger lock, so what the
write checks next can't change under it — then checks its record
(:mod:`parks.projects.records` for what needs no database; here what does: the project
exists and is of a park the official may change, the official stands, the neighbouring
reports) and stores it with its history (:func:`service.db.versioned_records.put_versions`:
a correction ends the standing version and keeps it). Anything wrong raises —
:class:`~parks.errors.InvalidRecord` (422, naming the field),
:class:`~parks.errors.NotFound` (404), :class:`~parks.errors.ParkOutOfScope` (403) — and
the caller's transaction, change set and all, is rolled back whole.

An official limited to some parks (*parks*: a signed-in user's; empty: every park) may
write only the records of their parks' projects. Officials themselves belong to no park.

Money is 万元, percentages 0..100, dates ISO.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import Connection

from parks.errors import InvalidRecord, NotFound, ParkOutOfScope
from parks.projects.records import (
    AssignmentRecord,
    OfficialRecord,
    PlanRecord,
    ProblemChange,
    ProblemRecord,
    ProjectSettingChange,
    ReportRecord,
    VisitRecord,
    assignment_row,
    changed_problem,
    check_plan,
    check_problem,
    check_report,
    check_visit,
    checked_setting,
    official_row,
    plan_rows,
    problem_number,
    raised_problem_row,
    report_row,
    visit_row,
)
from service.changes.session import open_change_set
from service.db.versioned_records import end_versions, put_versions
from service.projects import records

#: The kind of change set a record is stored in.
RECORD_KIND = "projects"
SETTING_KIND = "project_setting"


def _open(
    conn: Connection,
    *,
    op: str,
    actor: str,
    reason: str,
    document_no: str | None,
    asked: dict[str, Any],
    kind: str = RECORD_KIND,
):
    """The change set of this write, recording what was asked (``op`` and *asked*)."""
    return open_change_set(
        conn,
        kind=kind,
        reason=reason,
        document_no=document_no,
        actor=actor,
        operations=[{"op": op, **asked}],
    )


def _open_for(
    conn: Connection, record: Any, *, op: str, actor: str, kind: str = RECORD_KIND, **more: Any
):
    """The change set of a write of *record*, recording what was asked: ``op``, the
    path's values (*more*) and the record's fields as given."""
    given = record.model_dump(mode="json", exclude={"reason", "document_no"}, exclude_unset=True)
    return _open(
        conn,
        op=op,
        actor=actor,
        reason=record.reason,
        document_no=record.document_no,
        asked={**more, **given},
        kind=kind,
    )


def _project_for(conn: Connection, project_code: str, parks: Iterable[str]) -> dict[str, Any]:
    """Project *project_code* (404 when unknown), when its park is one of *parks* (or
    *parks* is empty); :class:`ParkOutOfScope` otherwise."""
    project = records.standing_project(conn, project_code)
    parks = tuple(parks)
    if parks and project["park"] not in parks:
        raise ParkOutOfScope(project["park"], allowed=parks)
    return project


def _official_stands(conn: Connection, official_code: str | None, field: str) -> None:
    if official_code is not None and not records.officials(conn, official_code):
        raise InvalidRecord(
            field,
            f"no official {official_code!r} stands (record them with POST /api/projects/officials)",
        )


# --- plans ----------------------------------------------------------------------------------


def write_plan(
    conn: Connection,
    project_code: str,
    record: PlanRecord,
    *,
    actor: str,
    parks: Iterable[str] = (),
) -> dict[str, Any]:
    """Make *record* the plan of *project_code* for its year, as *actor*: ``{"plan": the
    plan as :func:`service.projects.records.plan` reads it, "change_set_id"}``. The
    standing months, milestones and quarters of that year that *record* does not give
    are ended; the ones it gives equal are kept, the others corrected."""
    cs = _open_for(conn, record, op="put_project_plan", actor=actor, project_code=project_code)
    _project_for(conn, project_code, parks)
    check_plan(record)
    before = records.plan(conn, project_code, year=record.year)
    rows = plan_rows(project_code, record)
    key = {"project_code": project_code, "year": record.year}
    gone = {
        "project_plan_investment": [
            key | {"month": i["month"]}
            for i in before["investment"]
            if i["month"] not in {r["month"] for r in rows["project_plan_investment"]}
        ],
        "project_plan_milestone": [
            key | {"milestone": m["milestone"]}
            for m in before["milestones"]
            if m["milestone"] not in {r["milestone"] for r in rows["project_plan_milestone"]}
        ],
        "project_plan_progress": [
            key | {"quarter": q["quarter"]}
            for q in before["progress_targets"]
            if q["quarter"] not in {r["quarter"] for r in rows["project_plan_progress"]}
        ],
    }
    for table, table_rows in rows.items():
        end_versions(conn, change_set_id=cs.id, table=table, keys=gone[table])
        put_versions(conn, change_set_id=cs.id, table=table, rows=table_rows)
    return {"plan": records.plan(conn, project_code, year=record.year), "change_set_id": cs.id}


# --- reports --------------------------------------------------------------------------------


def write_report(
    conn: Connection,
    project_code: str,
    record: ReportRecord,
    *,
    actor: str,
    today: date,
    parks: Iterable[str] = (),
) -> dict[str, Any]:
    """Store the report *record* of *project_code*, reported on *today*, as *actor*, and
    the milestones it says were reached: ``{"report": the report as stored,
    "milestones_reached": every milestone the project reached, "change_set_id"}``. The
    same month again corrects its report (the old version is kept), a milestone reached
    again its day. Checked by :func:`parks.projects.records.check_report` against the
    project's standing reports before and after the month."""
    cs = _open_for(conn, record, op="put_project_report", actor=actor, project_code=project_code)
    _project_for(conn, project_code, parks)
    year, month = record.year_month
    previous, following = records.report_neighbours(conn, project_code, year=year, month=month)
    check_report(record, today=today, previous=previous, following=following)
    put_versions(
        conn,
        change_set_id=cs.id,
        table="project_report",
        rows=[report_row(project_code, record, today=today)],
    )
    put_versions(
        conn,
        change_set_id=cs.id,
        table="project_milestone_reached",
        rows=[
            {"project_code": project_code, "milestone": m.milestone, "reached_on": m.reached_on}
            for m in record.milestones_reached
        ],
    )
    report = next(
        r for r in records.report_rows(conn, project_code, year=year) if r["month_no"] == month
    )
    return {
        "report": report,
        "milestones_reached": records.milestones_reached(conn, project_code),
        "change_set_id": cs.id,
    }


# --- visits ---------------------------------------------------------------------------------


def write_visit(
    conn: Connection,
    project_code: str,
    record: VisitRecord,
    *,
    actor: str,
    today: date,
    parks: Iterable[str] = (),
) -> dict[str, Any]:
    """Store the visit *record* to *project_code* (not after *today*), as *actor*:
    ``{"visit": the visit as stored, "change_set_id"}``; the same day again corrects it."""
    cs = _open_for(conn, record, op="put_project_visit", actor=actor, project_code=project_code)
    _project_for(conn, project_code, parks)
    check_visit(record, today=today)
    put_versions(
        conn, change_set_id=cs.id, table="project_visit", rows=[visit_row(project_code, record)]
    )
    visit = next(
        v
        for v in records.visits(conn, project_code)
        if v["visited_on"] == record.visited_on.isoformat()
    )
    return {"visit": visit, "change_set_id": cs.id}


# --- problems -------------------------------------------------------------------------------


def raise_problem(
    conn: Connection,
    project_code: str,
    record: ProblemRecord,
    *,
    actor: str,
    today: date,
    parks: Iterable[str] = (),
) -> dict[str, Any]:
    """Raise problem *record* on *project_code* on *today*, as *actor*, numbered
    ``{project_code}-Q{nnn}`` one past every number the project's problems ever had (so
    no number is given twice) and open: ``{"problem": as the list gives it,
    "change_set_id"}``. :class:`InvalidRecord` naming ``official_code`` when no such
    official stands."""
    cs = _open_for(conn, record, op="raise_project_problem", actor=actor, project_code=project_code)
    _project_for(conn, project_code, parks)
    check_problem(record, today=today)
    _official_stands(conn, record.official_code, "official_code")
    problem_no = problem_number(project_code, records.problem_numbers(conn, project_code))
    row = raised_problem_row(project_code, problem_no, record)
    put_versions(conn, change_set_id=cs.id, table="project_problem", rows=[row])
    stored = records.standing_problem(conn, project_code, problem_no)
    return {"problem": records.problem_json(stored, as_of=today), "change_set_id": cs.id}


def change_problem(
    conn: Connection,
    project_code: str,
    problem_no: str,
    change: ProblemChange,
    *,
    actor: str,
    today: date,
    parks: Iterable[str] = (),
) -> dict[str, Any]:
    """Change problem *problem_no* of *project_code* on *today*, as *actor*: a new
    version with what *change* gives (:func:`parks.projects.records.changed_problem`):
    ``{"problem": as the list gives it, "change_set_id"}``. :class:`NotFound` when no
    such problem of the project stands; :class:`InvalidRecord` naming ``official_code``
    when no such official stands."""
    cs = _open_for(
        conn,
        change,
        op="change_project_problem",
        actor=actor,
        project_code=project_code,
        problem_no=problem_no,
    )
    _project_for(conn, project_code, parks)
    standing = records.standing_problem(conn, project_code, problem_no)
    if standing is None:
        raise NotFound(f"problem_no: project {project_code} has no problem {problem_no!r}")
    row = changed_problem(standing, change, today=today)
    if "official_code" in change.changed_fields():
        _official_stands(conn, change.official_code, "official_code")
    put_versions(conn, change_set_id=cs.id, table="project_problem", rows=[row])
    stored = records.standing_problem(conn, project_code, problem_no)
    return {"problem": records.problem_json(stored, as_of=today), "change_set_id": cs.id}


# --- officials and assignments --------------------------------------------------------------


def write_official(conn: Connection, record: OfficialRecord, *, actor: str) -> dict[str, Any]:
    """Store official *record*, as *actor* (the same code again corrects them):
    ``{"official": as the list gives them, "change_set_id"}``."""
    cs = _open_for(conn, record, op="put_project_official", actor=actor)
    put_versions(conn, change_set_id=cs.id, table="project_official", rows=[official_row(record)])
    [official] = records.officials(conn, record.official_code)
    return {"official": official, "change_set_id": cs.id}


def assign_official(
    conn: Connection,
    project_code: str,
    record: AssignmentRecord,
    *,
    actor: str,
    today: date,
    parks: Iterable[str] = (),
) -> dict[str, Any]:
    """Assign official *record*.official_code to *project_code*, as *actor* on *today*
    (``assigned_on`` defaults to today): ``{"assignment": project_code, official_code,
    name, role, assigned_on, "change_set_id"}``; the same official again corrects the
    assignment. :class:`InvalidRecord` naming ``official_code`` when no such official
    stands."""
    cs = _open_for(
        conn, record, op="assign_project_official", actor=actor, project_code=project_code
    )
    _project_for(conn, project_code, parks)
    row = assignment_row(project_code, record, today=today)
    _official_stands(conn, record.official_code, "official_code")
    put_versions(conn, change_set_id=cs.id, table="project_assignment", rows=[row])
    return {
        "assignment": records.assignment(conn, project_code, record.official_code),
        "change_set_id": cs.id,
    }


def end_assignment(
    conn: Connection,
    project_code: str,
    official_code: str,
    *,
    reason: str,
    document_no: str | None = None,
    actor: str,
    parks: Iterable[str] = (),
) -> dict[str, Any]:
    """End the standing assignment of *official_code* to *project_code*, as *actor*, for
    *reason*: ``{"ended": the assignment as it stood, "change_set_id"}`` (kept in its
    history). :class:`NotFound` when none stands."""
    cs = _open(
        conn,
        op="end_project_assignment",
        actor=actor,
        reason=reason,
        document_no=document_no,
        asked={"project_code": project_code, "official_code": official_code},
    )
    _project_for(conn, project_code, parks)
    standing = records.assignment(conn, project_code, official_code)
    if standing is None:
        raise NotFound(
            f"official_code: official {official_code!r} is not assigned to project {project_code}"
        )
    end_versions(
        conn,
        change_set_id=cs.id,
        table="project_assignment",
        keys=[{"project_code": project_code, "official_code": official_code}],
    )
    return {"ended": standing, "change_set_id": cs.id}


# --- settings -------------------------------------------------------------------------------


def write_setting(conn: Connection, change: ProjectSettingChange, *, actor: str) -> dict[str, Any]:
    """Set the rhythm's setting *change*.name to *change*.value, as *actor*, in a change
    set of kind ``project_setting``: ``{"name", "value", "default", "changed_at",
    "actor", "change_set_id"}``. :class:`InvalidRecord` naming ``name`` (no such
    setting) or ``value`` (one :func:`parks.projects.settings.check_setting` refuses)."""
    value = checked_setting(change)
    cs = _open_for(conn, change, op="set_project_setting", actor=actor, kind=SETTING_KIND)
    put_versions(
        conn,
        change_set_id=cs.id,
        table="project_setting",
        rows=[{"name": change.name, "value": value}],
    )
    return {"name": change.name, **records.settings_body(conn)[change.name], "change_set_id": cs.id}

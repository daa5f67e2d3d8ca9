"""Key projects' records: annual plans, monthly reports, site visits (观摩), problems (问题清单),
the officials who take charge of projects (包抓领导) and the rhythm's settings — read and
written.

Writes need an editor's, approver's or admin's token, or a signed-in session of one (with
its ``X-CSRF-Token``); a setting needs an admin. Every write is one change set (kind
``projects``, or ``project_setting``; its ``reason`` and ``document_no`` from the body, the
caller as its actor) with its zero-delta ledger row; nothing of a refused write is stored.
An official limited to some parks may write only their parks' projects' records (403
``park_out_of_scope`` naming the park). A bad field is 422 naming it:
``invalid_parameter`` (``parameter``) for a value of the wrong form, ``invalid_record``
(``field``, an item of a list by its index: ``investment[3].month``) for one that
disagrees with the records or another field. An unknown project is 404 naming its code.
Money is 万元, percentages 0..100, dates ``YYYY-MM-DD``, months ``YYYY-MM``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query

from parks.errors import InvalidParameter
from parks.projects.periods import FIRST_YEAR
from parks.projects.records import (
    LAST_YEAR,
    AssignmentRecord,
    OfficialRecord,
    PlanRecord,
    ProblemChange,
    ProblemRecord,
    ProjectSettingChange,
    ReportRecord,
    VisitRecord,
)
from parks.supervision.records import IsoDate
from parks.vocabulary import PROPOSE_ROLES
from service.api.deps import AdminDep, ConnDep, EngineDep, ReaderDep, require_roles
from service.api.params import (
    READ_ERRORS,
    WRITE_ERRORS,
    ErrorBody,
    TodayDep,
    error_answer,
)
from service.auth.tokens import Principal
from service.projects import records, writes

router = APIRouter(tags=["projects"], responses=READ_ERRORS)

#: Who may write key projects' records (not settings): the officials who change land or
#: approve its changes, as for land supervision's records.
RECORD_WRITE_ROLES = PROPOSE_ROLES
RecordWriterDep = Annotated[
    Principal,
    Depends(require_roles(RECORD_WRITE_ROLES, what="writing key project records")),
]

_WRITE_ANSWERS = {
    **WRITE_ERRORS,
    403: error_answer(
        "the role may not write key project records (forbidden), or the project is of a "
        "park outside the official's parks (park_out_of_scope, naming the park)"
    ),
    404: error_answer("no key project of that code (or no such problem or assignment)"),
    422: error_answer(
        "a field is wrong: invalid_parameter (naming the parameter) for a value of the "
        "wrong form, invalid_record (naming the field) for one that disagrees with the "
        "records or another field",
        ErrorBody,
    ),
}
_PROJECT_NOT_FOUND = {404: error_answer("no key project of that code; the message names it")}

ProjectCodePath = Annotated[
    str, Path(min_length=1, max_length=64, description="the key project's code, e.g. GX-P01")
]
ProblemNoPath = Annotated[
    str, Path(min_length=1, max_length=80, description="the problem's number, e.g. GX-P01-Q003")
]
OfficialCodePath = Annotated[
    str,
    Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$", description="the official's code"),
]
YearQuery = Annotated[
    int | None,
    Query(ge=FIRST_YEAR, le=LAST_YEAR, description="the year (default: this year)"),
]


# --- plans ----------------------------------------------------------------------------------


@router.get("/api/projects/{project_code}/plan", responses=_PROJECT_NOT_FOUND)
def get_plan(
    conn: ConnDep,
    _reader: ReaderDep,
    today: TodayDep,
    project_code: ProjectCodePath,
    year: YearQuery = None,
) -> dict:
    """A project's plan for ``year`` (default this year): ``investment`` (the planned
    months, each ``month`` and ``planned_wan``, 万元), ``planned_year_wan`` (their sum),
    ``milestones`` (``milestone``, ``name_zh``, ``planned_on``; in the order a project
    reaches them) and ``progress_targets`` (形象进度 by ``quarter``: ``target_pct``,
    ``target_text``)."""
    return records.plan(conn, project_code, year=year if year is not None else today.year)


@router.post("/api/projects/{project_code}/plan", status_code=201, responses=_WRITE_ANSWERS)
def post_plan(
    project_code: ProjectCodePath,
    record: PlanRecord,
    engine: EngineDep,
    principal: RecordWriterDep,
) -> dict:
    """Replace a project's plan for ``year``: investment by month (months 1..12, each
    once, 万元 ≥ 0), milestones (known, each once, ``planned_on`` within the year) and
    image-progress targets by quarter (1..4, each once, 0..100 %). Standing months,
    milestones and quarters of that year not given are ended (kept in their history).
    Answers ``{plan, change_set_id}`` (``plan`` as GET gives it)."""
    with engine.begin() as conn:
        return writes.write_plan(
            conn, project_code, record, actor=principal.name, parks=principal.parks
        )


# --- reports --------------------------------------------------------------------------------


@router.get("/api/projects/{project_code}/reports", responses=_PROJECT_NOT_FOUND)
def get_reports(
    conn: ConnDep,
    _reader: ReaderDep,
    today: TodayDep,
    project_code: ProjectCodePath,
    year: YearQuery = None,
) -> dict:
    """A project's monthly reports of ``year`` (default this year), by month — each
    ``month`` (``YYYY-MM``), ``year``, ``month_no``, ``investment_wan`` (the month's),
    ``cumulative_investment_wan`` (since the project began), ``image_progress_text``,
    ``image_progress_pct``, ``employment``, ``output_wan``, ``reported_on`` — and
    ``milestones_reached``: every milestone the project reached (``milestone``,
    ``name_zh``, ``reached_on``)."""
    return records.reports(conn, project_code, year=year if year is not None else today.year)


@router.post("/api/projects/{project_code}/reports", status_code=201, responses=_WRITE_ANSWERS)
def post_report(
    project_code: ProjectCodePath,
    record: ReportRecord,
    engine: EngineDep,
    today: TodayDep,
    principal: RecordWriterDep,
) -> dict:
    """Report a project's ``month`` (not after this month; reported today): investment in
    the month and cumulative (万元; the cumulative at least the month's, not below the
    previous month's reported cumulative nor above the next's), image progress, employment,
    output, and ``milestones_reached`` (not after today). Re-posting a month corrects its
    report (the old version stays in its history). Answers ``{report,
    milestones_reached, change_set_id}``."""
    with engine.begin() as conn:
        return writes.write_report(
            conn, project_code, record, actor=principal.name, today=today, parks=principal.parks
        )


# --- visits ---------------------------------------------------------------------------------


@router.get("/api/projects/{project_code}/visits", responses=_PROJECT_NOT_FOUND)
def get_visits(conn: ConnDep, _reader: ReaderDep, project_code: ProjectCodePath) -> list[dict]:
    """A project's site visits, newest first: each ``visited_on``, ``kind`` (weekly 周观摩
    or inspection 专项督查) and ``kind_zh``, ``visitors``, ``findings`` and ``score``
    (0..100, null where the visit was not scored)."""
    return records.visits(conn, project_code)


@router.post("/api/projects/{project_code}/visits", status_code=201, responses=_WRITE_ANSWERS)
def post_visit(
    project_code: ProjectCodePath,
    record: VisitRecord,
    engine: EngineDep,
    today: TodayDep,
    principal: RecordWriterDep,
) -> dict:
    """Record a visit to a project's site on ``visited_on`` (not after today; one a day —
    re-posting the day corrects it): ``kind`` (weekly by default), ``visitors``,
    ``findings``, ``score`` (0..100). Answers ``{visit, change_set_id}``."""
    with engine.begin() as conn:
        return writes.write_visit(
            conn, project_code, record, actor=principal.name, today=today, parks=principal.parks
        )


# --- problems -------------------------------------------------------------------------------


@router.get("/api/projects/{project_code}/problems", responses=_PROJECT_NOT_FOUND)
def get_problems(
    conn: ConnDep,
    _reader: ReaderDep,
    today: TodayDep,
    project_code: ProjectCodePath,
    status: Annotated[
        Literal["open", "in_progress", "solved", "overdue"] | None,
        Query(description="a status, or overdue (unsolved past its due date as of as_of)"),
    ] = None,
    as_of: Annotated[
        IsoDate | None,
        Query(description="the day problems are judged on, YYYY-MM-DD (default today)"),
    ] = None,
) -> list[dict]:
    """A project's problems raised on or before ``as_of`` (default today), in the order
    they were raised: each ``problem_no``, ``description``, ``category`` and
    ``category_zh``, ``raised_on``, ``department``, ``official_code`` and
    ``official_name`` (the 包抓 official who owns it), ``due_on``, ``status`` and
    ``status_zh``, ``resolution``, ``solved_on``, ``days_overdue`` (days past its due
    date as of ``as_of``; the clock stops when it is solved) and ``overdue``."""
    return records.problems(conn, project_code, as_of=as_of or today, status=status)


@router.post("/api/projects/{project_code}/problems", status_code=201, responses=_WRITE_ANSWERS)
def post_problem(
    project_code: ProjectCodePath,
    record: ProblemRecord,
    engine: EngineDep,
    today: TodayDep,
    principal: RecordWriterDep,
) -> dict:
    """Raise a problem on a project: ``description``, ``category``, ``raised_on`` (not
    after today), ``department`` responsible, the owning ``official_code`` (a standing
    official), ``due_on`` (not before it was raised). The server numbers it
    ``{project_code}-Q{nnn}`` (never a number given before) and it stands open. Answers
    ``{problem, change_set_id}``."""
    with engine.begin() as conn:
        return writes.raise_problem(
            conn, project_code, record, actor=principal.name, today=today, parks=principal.parks
        )


@router.get(
    "/api/projects/{project_code}/problems/{problem_no}",
    responses={404: error_answer("no such key project, or no such problem of it")},
)
def get_problem(
    conn: ConnDep,
    _reader: ReaderDep,
    today: TodayDep,
    project_code: ProjectCodePath,
    problem_no: ProblemNoPath,
) -> dict:
    """A project's problem: ``problem`` (as the list gives it, judged today) and its
    ``history``: every version it had, oldest first, with its fields, ``valid_from``,
    ``valid_to`` (null: standing), ``change_set_id``, ``ended_by_change_set_id``,
    ``actor`` and ``reason``."""
    return records.problem_detail(conn, project_code, problem_no, as_of=today)


@router.patch("/api/projects/{project_code}/problems/{problem_no}", responses=_WRITE_ANSWERS)
def patch_problem(
    project_code: ProjectCodePath,
    problem_no: ProblemNoPath,
    change: ProblemChange,
    engine: EngineDep,
    today: TodayDep,
    principal: RecordWriterDep,
) -> dict:
    """Change a project's problem (a new version; the old one stays in its history):
    ``status``, ``resolution``, ``solved_on``, ``due_on``, ``department``,
    ``official_code`` — only those given (null clears ``resolution`` or
    ``official_code``). Solving needs a resolution and ``solved_on`` (today when not
    given; not before it was raised, not after today); reopening clears ``solved_on``.
    Answers ``{problem, change_set_id}``."""
    with engine.begin() as conn:
        return writes.change_problem(
            conn,
            project_code,
            problem_no,
            change,
            actor=principal.name,
            today=today,
            parks=principal.parks,
        )


# --- officials ------------------------------------------------------------------------------


@router.get("/api/projects/officials")
def get_officials(conn: ConnDep, _reader: ReaderDep) -> list[dict]:
    """The officials who take charge of projects (包抓领导), by code: each
    ``official_code``, ``name``, ``title``, ``unit`` and ``projects`` (the projects they
    stand assigned to: ``project_code``, ``name``, ``role`` lead or member,
    ``assigned_on``; leads first)."""
    return records.officials(conn)


@router.post(
    "/api/projects/officials",
    status_code=201,
    responses={k: v for k, v in _WRITE_ANSWERS.items() if k != 404},
)
def post_official(record: OfficialRecord, engine: EngineDep, principal: RecordWriterDep) -> dict:
    """Record an official who takes charge of projects: ``official_code``, ``name``,
    ``title`` (职务), ``unit`` (单位). Re-posting a code corrects the official (the old
    version stays in its history). Answers ``{official, change_set_id}``."""
    with engine.begin() as conn:
        return writes.write_official(conn, record, actor=principal.name)


@router.post("/api/projects/{project_code}/officials", status_code=201, responses=_WRITE_ANSWERS)
def post_assignment(
    project_code: ProjectCodePath,
    record: AssignmentRecord,
    engine: EngineDep,
    today: TodayDep,
    principal: RecordWriterDep,
) -> dict:
    """Assign a standing official to a project as its ``role`` (lead 牵头包抓 or member
    配合) from ``assigned_on`` (default today; not after today). Re-posting the official
    corrects the assignment. Answers ``{assignment, change_set_id}``."""
    with engine.begin() as conn:
        return writes.assign_official(
            conn, project_code, record, actor=principal.name, today=today, parks=principal.parks
        )


@router.delete("/api/projects/{project_code}/officials/{official_code}", responses=_WRITE_ANSWERS)
def delete_assignment(
    project_code: ProjectCodePath,
    official_code: OfficialCodePath,
    reason: Annotated[str, Query(min_length=1, max_length=2000, description="why it ends")],
    engine: EngineDep,
    principal: RecordWriterDep,
    document_no: Annotated[
        str | None, Query(min_length=1, max_length=500, description="document number")
    ] = None,
) -> dict:
    """End an official's assignment to a project (kept in its history), for ``reason``
    (and on ``document_no``'s authority). 404 when the official is not assigned to it.
    Answers ``{ended: the assignment as it stood, change_set_id}``."""
    if not reason.strip():
        raise InvalidParameter("reason", "give why the assignment ends")
    if document_no is not None and not document_no.strip():
        raise InvalidParameter("document_no", "blank; leave it out instead")
    with engine.begin() as conn:
        return writes.end_assignment(
            conn,
            project_code,
            official_code,
            reason=reason.strip(),
            document_no=document_no.strip() if document_no else None,
            actor=principal.name,
            parks=principal.parks,
        )


# --- settings -------------------------------------------------------------------------------


@router.get("/api/projects/settings")
def get_settings(conn: ConnDep, _reader: ReaderDep) -> dict:
    """Every setting the rhythm's outputs judge by (the ranking's criteria and weights,
    the behind-plan share, the visit list's size and days), by name: ``value`` in
    force, ``default``, and ``changed_at`` / ``actor`` of the admin's change in force
    (null while the default is)."""
    return records.settings_body(conn)


@router.put(
    "/api/projects/settings",
    responses={
        **{k: v for k, v in _WRITE_ANSWERS.items() if k != 404},
        403: error_answer("only an admin may change a setting"),
    },
)
def put_setting(change: ProjectSettingChange, engine: EngineDep, principal: AdminDep) -> dict:
    """Set one of the rhythm's settings (admin): body ``{name, value, reason,
    document_no?}``; an unknown name is 422 naming ``name``, a value the setting does
    not take 422 naming ``value``. Answers the setting as the list gives it, with its
    ``name`` and ``change_set_id``."""
    with engine.begin() as conn:
        return writes.write_setting(conn, change, actor=principal.name)

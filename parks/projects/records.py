"""Key projects' records as validated data: an annual plan (investment by month, milestones,
image-progress targets by quarter), a monthly report, a site visit (观摩), a problem raised
(问题清单) and a change to one, an official who takes charge of projects (包抓领导), an
official's assignment to a project and a change of one of the rhythm's settings — the
bodies the API takes, and the checks that need no database.

Money is 万元 (numbers up to what ``numeric(14, 2)`` holds), percentages 0..100, dates ISO
``YYYY-MM-DD``, months ``YYYY-MM``. Numbers must be JSON numbers (``"3"`` and ``true`` are
refused); texts carry no NUL character. A body of the wrong form is refused by pydantic
(the API answers ``invalid_parameter`` naming the field); a check here that fails raises
:class:`parks.errors.InvalidRecord` naming the field — an item of a list by its index,
``investment[3].month``.

Every write body carries ``reason`` (required) and ``document_no`` (optional), recorded on
the change set that stores the record.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, JsonValue

from parks.errors import InvalidRecord
from parks.input_values import Text, refuse_nul_in_json
from parks.projects.periods import FIRST_YEAR
from parks.projects.settings import DEFAULTS, SettingError, check_setting
from parks.projects.vocabulary import (
    MILESTONE_ORDER,
    AssignmentRole,
    ProblemCategory,
    ProblemStatus,
    VisitKind,
)
from parks.supervision.records import IsoDate

#: The last year a record may be of (the tables' own check).
LAST_YEAR = 2200
#: The largest amount a 万元 column (``numeric(14, 2)``) holds, in 万元.
MAX_WAN = 999_999_999_999.0
#: The largest head count a report may give (an ``integer`` column).
MAX_EMPLOYMENT = 2**31 - 1

_MONTH_LABEL = r"^\d{4}-(0[1-9]|1[0-2])$"

# --- field types -------------------------------------------------------------------------


def _text(min_length: int, max_length: int, description: str) -> Any:
    return Annotated[
        Text, Field(min_length=min_length, max_length=max_length, description=description)
    ]


Reason = _text(1, 2000, "why this is recorded")
DocumentNo = _text(1, 500, "document number (批文号 / 文号)")
Name = _text(1, 200, "a name as documents write it")
ShortText = _text(1, 200, "a short text (a title, a unit, a department)")
LongText = _text(1, 2000, "free text")

OfficialCode = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$",
        description="the official's code (the dispatch office's own), e.g. GX-L01",
    ),
]


def _number(description: str, *, ge: float, le: float) -> Any:
    return Annotated[
        float,
        Field(strict=True, ge=ge, le=le, allow_inf_nan=False, description=description),
    ]


#: 万元, ≥ 0.
Money = _number("万元, ≥ 0", ge=0, le=MAX_WAN)
#: A percentage, 0..100.
Percent = _number("%, 0..100", ge=0, le=100)

#: A number an item of a list gives: its range is checked by the record's check, which
#: names the item (``investment[3].planned_wan``); the document states the range.
ItemAmount = Annotated[
    float,
    Field(
        strict=True,
        allow_inf_nan=False,
        description="万元, ≥ 0",
        json_schema_extra={"minimum": 0, "maximum": MAX_WAN},
    ),
]
ItemMilestone = Annotated[
    str,
    Field(
        max_length=64,
        description="the milestone: " + ", ".join(MILESTONE_ORDER),
        json_schema_extra={"enum": list(MILESTONE_ORDER)},
    ),
]


def _item_int(description: str, low: int, high: int) -> Any:
    return Annotated[
        int,
        Field(
            strict=True,
            description=description,
            json_schema_extra={"minimum": low, "maximum": high},
        ),
    ]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _Write(_Record):
    """What every write says besides its record: why (recorded on the change set), and
    on which document's authority."""

    reason: Reason
    document_no: DocumentNo | None = None


# --- annual plans ----------------------------------------------------------------------------


class PlanMonth(_Record):
    """Investment the plan puts in one month."""

    month: _item_int("month of the plan's year, 1..12", 1, 12)
    planned_wan: ItemAmount


class PlanMilestone(_Record):
    """The date the plan sets for one milestone (within the plan's year)."""

    milestone: ItemMilestone
    planned_on: IsoDate


class PlanProgress(_Record):
    """The image-progress (形象进度) target at a quarter's end."""

    quarter: _item_int("quarter of the plan's year, 1..4", 1, 4)
    target_pct: Annotated[
        float,
        Field(
            strict=True,
            allow_inf_nan=False,
            description="%, 0..100",
            json_schema_extra={"minimum": 0, "maximum": 100},
        ),
    ]
    target_text: LongText | None = Field(None, description="what the site should look like")


class PlanRecord(_Write):
    """``POST /api/projects/{project_code}/plan``: a project's whole plan for ``year``. It
    replaces that year's plan: standing months, milestones and quarters not given are
    ended (kept in their history), equal ones kept."""

    year: Annotated[int, Field(strict=True, ge=FIRST_YEAR, le=LAST_YEAR, description="the year")]
    investment: list[PlanMonth] = Field(default_factory=list, max_length=12)
    milestones: list[PlanMilestone] = Field(default_factory=list, max_length=len(MILESTONE_ORDER))
    progress_targets: list[PlanProgress] = Field(default_factory=list, max_length=4)


def _distinct(field: str, values: Iterable[Any], what: str) -> None:
    seen: set[Any] = set()
    for n, value in enumerate(values):
        if value in seen:
            raise InvalidRecord(f"{field}[{n}].{what}", f"{value} is given more than once")
        seen.add(value)


def check_plan(record: PlanRecord) -> None:
    """*record* is a plan that may be stored: months 1..12, each once, amounts 0..
    :data:`MAX_WAN` 万元; milestones known, each once, planned within the plan's year;
    quarters 1..4, each once, targets 0..100 %."""
    for n, item in enumerate(record.investment):
        if not 1 <= item.month <= 12:
            raise InvalidRecord(f"investment[{n}].month", f"{item.month} is not a month 1..12")
        if not 0 <= item.planned_wan <= MAX_WAN:
            raise InvalidRecord(
                f"investment[{n}].planned_wan", f"{item.planned_wan:g} 万元 is not 0..{MAX_WAN:g}"
            )
    _distinct("investment", (i.month for i in record.investment), "month")
    for n, item in enumerate(record.milestones):
        _check_milestone(f"milestones[{n}].milestone", item.milestone)
        if item.planned_on.year != record.year:
            raise InvalidRecord(
                f"milestones[{n}].planned_on",
                f"{item.planned_on} is not in the plan's year {record.year}",
            )
    _distinct("milestones", (m.milestone for m in record.milestones), "milestone")
    for n, item in enumerate(record.progress_targets):
        if not 1 <= item.quarter <= 4:
            raise InvalidRecord(
                f"progress_targets[{n}].quarter", f"{item.quarter} is not a quarter 1..4"
            )
        if not 0 <= item.target_pct <= 100:
            raise InvalidRecord(
                f"progress_targets[{n}].target_pct", f"{item.target_pct:g} % is not 0..100"
            )
    _distinct("progress_targets", (p.quarter for p in record.progress_targets), "quarter")


def _check_milestone(field: str, milestone: str) -> None:
    if milestone not in MILESTONE_ORDER:
        raise InvalidRecord(
            field, f"unknown milestone {milestone!r}; one of {', '.join(MILESTONE_ORDER)}"
        )


def plan_rows(project_code: str, record: PlanRecord) -> dict[str, list[dict[str, Any]]]:
    """The rows *record* (checked) stores for *project_code*, by table."""
    year = record.year
    return {
        "project_plan_investment": [
            {
                "project_code": project_code,
                "year": year,
                "month": i.month,
                "planned_wan": i.planned_wan,
            }
            for i in record.investment
        ],
        "project_plan_milestone": [
            {
                "project_code": project_code,
                "year": year,
                "milestone": m.milestone,
                "planned_on": m.planned_on,
            }
            for m in record.milestones
        ],
        "project_plan_progress": [
            {
                "project_code": project_code,
                "year": year,
                "quarter": p.quarter,
                "target_pct": p.target_pct,
                "target_text": p.target_text,
            }
            for p in record.progress_targets
        ],
    }


# --- monthly reports -------------------------------------------------------------------------


class ReachedMilestone(_Record):
    """A milestone the project reached, and the day."""

    milestone: ItemMilestone
    reached_on: IsoDate


class ReportRecord(_Write):
    """``POST /api/projects/{project_code}/reports``: the project's report of ``month``
    (``YYYY-MM``). Re-posting a month corrects its report (the old version is kept);
    ``milestones_reached`` records (or corrects) the days milestones were reached."""

    month: Annotated[str, Field(pattern=_MONTH_LABEL, description="YYYY-MM")]
    investment_wan: Money = Field(description="investment completed in the month, 万元")
    cumulative_investment_wan: Money = Field(
        description="investment completed since the project began, 万元"
    )
    image_progress_text: LongText | None = Field(None, description="形象进度 as the site says")
    image_progress_pct: Percent | None = None
    employment: Annotated[int, Field(strict=True, ge=0, le=MAX_EMPLOYMENT)] | None = Field(
        None, description="people working on or in the project"
    )
    output_wan: Money | None = Field(None, description="产值 in the month (once operating), 万元")
    milestones_reached: list[ReachedMilestone] = Field(
        default_factory=list, max_length=len(MILESTONE_ORDER)
    )

    @property
    def year_month(self) -> tuple[int, int]:
        """The report's (year, month)."""
        year, month = self.month.split("-")
        return int(year), int(month)


def check_report(
    record: ReportRecord,
    *,
    today: date,
    previous: Mapping[str, Any] | None = None,
    following: Mapping[str, Any] | None = None,
) -> None:
    """*record* may be stored on *today*, between the project's standing reports
    *previous* (the latest before its month) and *following* (the earliest after; each
    ``year``, ``month`` and ``cumulative_investment_wan``, or None):

    * its month is of a year the records hold and not after today's month;
    * the cumulative investment is at least the month's, at least *previous*'s
      cumulative and at most *following*'s (investment to date never goes down);
    * milestones reached are known, each once, and not reached after today.
    """
    year, month = record.year_month
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidRecord("month", f"{record.month}: a year {FIRST_YEAR}..{LAST_YEAR}")
    if (year, month) > (today.year, today.month):
        raise InvalidRecord(
            "month", f"{record.month} is after this month ({today:%Y-%m}): report what happened"
        )
    cumulative = record.cumulative_investment_wan
    if cumulative < record.investment_wan:
        raise InvalidRecord(
            "cumulative_investment_wan",
            f"{cumulative:,.2f} 万元 is less than the month's investment "
            f"({record.investment_wan:,.2f} 万元)",
        )
    if previous is not None and cumulative < float(previous["cumulative_investment_wan"]):
        raise InvalidRecord(
            "cumulative_investment_wan",
            f"{cumulative:,.2f} 万元 is less than the cumulative investment reported for "
            f"{_label(previous)} ({float(previous['cumulative_investment_wan']):,.2f} 万元)",
        )
    if following is not None and cumulative > float(following["cumulative_investment_wan"]):
        raise InvalidRecord(
            "cumulative_investment_wan",
            f"{cumulative:,.2f} 万元 is more than the cumulative investment reported for "
            f"{_label(following)} ({float(following['cumulative_investment_wan']):,.2f} 万元)",
        )
    for n, item in enumerate(record.milestones_reached):
        _check_milestone(f"milestones_reached[{n}].milestone", item.milestone)
        if item.reached_on > today:
            raise InvalidRecord(
                f"milestones_reached[{n}].reached_on", f"{item.reached_on} is after today ({today})"
            )
    _distinct("milestones_reached", (m.milestone for m in record.milestones_reached), "milestone")


def _label(report: Mapping[str, Any]) -> str:
    return f"{int(report['year']):04d}-{int(report['month']):02d}"


def report_row(project_code: str, record: ReportRecord, *, today: date) -> dict[str, Any]:
    """The ``project_report`` row *record* (checked) stores, reported on *today*."""
    year, month = record.year_month
    return {
        "project_code": project_code,
        "year": year,
        "month": month,
        "investment_wan": record.investment_wan,
        "cumulative_investment_wan": record.cumulative_investment_wan,
        "image_progress_text": record.image_progress_text,
        "image_progress_pct": record.image_progress_pct,
        "employment": record.employment,
        "output_wan": record.output_wan,
        "reported_on": today,
    }


# --- visits ----------------------------------------------------------------------------------


class VisitRecord(_Write):
    """``POST /api/projects/{project_code}/visits``: a visit to the project's site on
    ``visited_on`` (one a day; re-posting the day corrects it), who came, what they found
    and the score (0..100) where the visit was scored."""

    visited_on: IsoDate = Field(description="the day of the visit, not after today")
    kind: VisitKind = VisitKind.WEEKLY
    visitors: _text(1, 500, "who visited, as the record names them")
    findings: LongText | None = None
    score: Percent | None = Field(None, description="0..100, where the visit was scored")


def check_visit(record: VisitRecord, *, today: date) -> None:
    """*record* may be stored on *today*: the visit happened (not after today)."""
    if record.visited_on > today:
        raise InvalidRecord("visited_on", f"{record.visited_on} is after today ({today})")


def visit_row(project_code: str, record: VisitRecord) -> dict[str, Any]:
    """The ``project_visit`` row *record* (checked) stores."""
    return {
        "project_code": project_code,
        "visited_on": record.visited_on,
        "kind": record.kind.value,
        "visitors": record.visitors,
        "findings": record.findings,
        "score": record.score,
    }


# --- problems --------------------------------------------------------------------------------

#: The columns of a stored problem, in the order written.
PROBLEM_COLUMNS: tuple[str, ...] = (
    "problem_no",
    "project_code",
    "description",
    "category",
    "raised_on",
    "department",
    "official_code",
    "due_on",
    "status",
    "resolution",
    "solved_on",
)


class ProblemRecord(_Write):
    """``POST /api/projects/{project_code}/problems``: a problem raised on the project; the
    server numbers it (``{project_code}-Q{nnn}``) and it stands open."""

    description: LongText
    category: ProblemCategory
    raised_on: IsoDate = Field(description="the day it was raised, not after today")
    department: ShortText = Field(description="责任部门, the department responsible")
    official_code: OfficialCode | None = Field(None, description="the 包抓 official who owns it")
    due_on: IsoDate = Field(description="the day it is due, not before raised_on")


def check_problem(record: ProblemRecord, *, today: date) -> None:
    """*record* may be raised on *today*: raised not after today, due not before it was
    raised."""
    if record.raised_on > today:
        raise InvalidRecord("raised_on", f"{record.raised_on} is after today ({today})")
    if record.due_on < record.raised_on:
        raise InvalidRecord(
            "due_on", f"{record.due_on} is before the problem was raised ({record.raised_on})"
        )


def problem_number(project_code: str, numbers_made: Iterable[str]) -> str:
    """The number of the next problem of *project_code*: ``{project_code}-Q{nnn}``, one
    past the highest of that form among *numbers_made* (every number ever given, ended
    problems' too, so that none is given twice)."""
    form = re.compile(rf"{re.escape(project_code)}-Q(\d+)")
    highest = max(
        (int(found.group(1)) for n in numbers_made if (found := form.fullmatch(n))), default=0
    )
    return f"{project_code}-Q{highest + 1:03d}"


def raised_problem_row(project_code: str, problem_no: str, record: ProblemRecord) -> dict[str, Any]:
    """The ``project_problem`` row *record* (checked) stores as problem *problem_no*: open."""
    return {
        "problem_no": problem_no,
        "project_code": project_code,
        "description": record.description,
        "category": record.category.value,
        "raised_on": record.raised_on,
        "department": record.department,
        "official_code": record.official_code,
        "due_on": record.due_on,
        "status": ProblemStatus.OPEN.value,
        "resolution": None,
        "solved_on": None,
    }


class ProblemChange(_Write):
    """``PATCH /api/projects/{project_code}/problems/{problem_no}``: what changes (only the
    fields given; ``official_code`` or ``resolution`` given as null clears it). Solving
    (``status`` solved) needs a resolution (given, or the problem's) and ``solved_on``
    (today when not given); reopening (open, in_progress) clears ``solved_on``."""

    status: ProblemStatus | None = None
    resolution: LongText | None = None
    solved_on: IsoDate | None = Field(None, description="not before raised_on, not after today")
    due_on: IsoDate | None = Field(None, description="not before raised_on")
    department: ShortText | None = None
    official_code: OfficialCode | None = None

    def changed_fields(self) -> set[str]:
        """The record's fields the body gives (not ``reason`` nor ``document_no``)."""
        return self.model_fields_set - {"reason", "document_no"}


def changed_problem(
    standing: Mapping[str, Any], change: ProblemChange, *, today: date
) -> dict[str, Any]:
    """The problem *standing* (its stored row) becomes with *change* on *today*, checked:

    * something is changed; status, due_on and department are not cleared;
    * a solved problem has a resolution and a ``solved_on`` (today when none is given),
      not before it was raised and not after today;
    * an open or in-progress one has no ``solved_on`` (reopening clears it; giving one
      without solving is refused);
    * it is due not before it was raised.
    """
    given = change.changed_fields()
    if not given:
        raise InvalidRecord(
            "body",
            "give what changes: status, resolution, solved_on, due_on, department or official_code",
        )
    for name in ("status", "due_on", "department"):
        if name in given and getattr(change, name) is None:
            raise InvalidRecord(name, "a problem keeps one: give a value, not null")
    row = {c: standing[c] for c in PROBLEM_COLUMNS}
    for name in given:
        value = getattr(change, name)
        row[name] = value.value if name == "status" else value
    if row["status"] == ProblemStatus.SOLVED:
        if row["solved_on"] is None:
            row["solved_on"] = today
        if not row["resolution"]:
            raise InvalidRecord("resolution", "a solved problem needs its resolution (解决情况)")
        if row["solved_on"] < row["raised_on"]:
            raise InvalidRecord(
                "solved_on",
                f"{row['solved_on']} is before the problem was raised ({row['raised_on']})",
            )
        if row["solved_on"] > today:
            raise InvalidRecord("solved_on", f"{row['solved_on']} is after today ({today})")
    else:
        if "solved_on" in given and change.solved_on is not None:
            raise InvalidRecord(
                "solved_on", f"a {row['status']} problem is not solved: give status solved"
            )
        row["solved_on"] = None
    if row["due_on"] < row["raised_on"]:
        raise InvalidRecord(
            "due_on", f"{row['due_on']} is before the problem was raised ({row['raised_on']})"
        )
    return row


# --- officials and assignments ---------------------------------------------------------------


class OfficialRecord(_Write):
    """``POST /api/projects/officials``: an official who takes charge of projects
    (包抓领导). Re-posting a code corrects the official (the old version is kept)."""

    official_code: OfficialCode
    name: Name
    title: ShortText | None = Field(None, description="职务, e.g. 副区长")
    unit: ShortText | None = Field(None, description="单位, e.g. 高新区管委会")


def official_row(record: OfficialRecord) -> dict[str, Any]:
    """The ``project_official`` row *record* stores."""
    return {
        "official_code": record.official_code,
        "name": record.name,
        "title": record.title,
        "unit": record.unit,
    }


class AssignmentRecord(_Write):
    """``POST /api/projects/{project_code}/officials``: an official assigned to the project
    as its lead (牵头包抓) or a member (配合) from ``assigned_on`` (today when not given).
    Re-posting an official corrects the assignment."""

    official_code: OfficialCode
    role: AssignmentRole
    assigned_on: IsoDate | None = Field(None, description="not after today; default today")


def assignment_row(project_code: str, record: AssignmentRecord, *, today: date) -> dict[str, Any]:
    """The ``project_assignment`` row *record* stores on *today*, checked: assigned not
    after today."""
    assigned_on = record.assigned_on or today
    if assigned_on > today:
        raise InvalidRecord("assigned_on", f"{assigned_on} is after today ({today})")
    return {
        "project_code": project_code,
        "official_code": record.official_code,
        "role": record.role.value,
        "assigned_on": assigned_on,
    }


# --- settings --------------------------------------------------------------------------------


class ProjectSettingChange(_Write):
    """``PUT /api/projects/settings``: setting ``name`` (``parks.projects.settings``) gets
    ``value`` (checked by ``parks.projects.settings.check_setting``)."""

    name: _text(1, 100, "the setting's name, e.g. ranking.criteria")
    value: Annotated[JsonValue, AfterValidator(refuse_nul_in_json)]


def checked_setting(change: ProjectSettingChange) -> Any:
    """The value *change* sets, when its ``name`` is a setting of the rhythm and its
    ``value`` one the setting takes (:class:`InvalidRecord` naming ``name`` or ``value``)."""
    if change.name not in DEFAULTS:
        raise InvalidRecord(
            "name", f"no setting {change.name!r}; known: {', '.join(sorted(DEFAULTS))}"
        )
    try:
        return check_setting(change.name, change.value)
    except SettingError as exc:
        raise InvalidRecord("value", str(exc)) from None

"""Loading key projects' rhythm records from a data set's layers (``parks load``).

A GeoPackage may carry nine attribute tables (``data/README.md`` describes them; the
sample's come from ``service/sample/project_rhythm.py``): ``project_officials``,
``project_assignments``, ``project_plan_investment``, ``project_plan_milestones``,
``project_plan_progress``, ``project_reports``, ``project_milestones_reached``,
``project_visits`` and ``project_problems``, their columns named as the ``project_*``
tables' writable columns (service/db/sql/project_rhythm.sql). The loader writes them after
the projects, through :func:`service.db.versioned_records.put_versions`: a record equal to
the standing version of its key is kept, one that differs ends that version and makes a
new one, so loading the same file twice changes nothing. A file without these layers
loads as before.

The functions here never open a change set: the loader decides (the load's change set
when it has one; else, only when :func:`service.supervision.loading.pending_versions`
finds something to write, one of kind ``projects``). Problems are returned as sentences
naming the layer, the row (from 1, in the layer's order), the record's key and the
column; the loader raises them as one ``LoadError`` and stores nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
from sqlalchemy import Connection, text

from parks.projects.periods import FIRST_YEAR
from parks.projects.vocabulary import (
    AssignmentRole,
    Milestone,
    ProblemCategory,
    ProblemStatus,
    VisitKind,
)
from service.db.versioned_records import TABLE_KEYS
from service.supervision.loading import (
    Field,
    LayerCheck,
    layer_fields,
    record_named,
)

#: Layer name → (table, its writable columns), in the order they are loaded.
LAYERS: dict[str, tuple[str, tuple[Field, ...]]] = {
    "project_officials": (
        "project_official",
        layer_fields("official_code!", "name!", "title", "unit"),
    ),
    "project_assignments": (
        "project_assignment",
        layer_fields("project_code!", "official_code!", "role!", "assigned_on:date!"),
    ),
    "project_plan_investment": (
        "project_plan_investment",
        layer_fields("project_code!", "year:int!", "month:int!", "planned_wan:number!"),
    ),
    "project_plan_milestones": (
        "project_plan_milestone",
        layer_fields("project_code!", "year:int!", "milestone!", "planned_on:date!"),
    ),
    "project_plan_progress": (
        "project_plan_progress",
        layer_fields(
            "project_code!", "year:int!", "quarter:int!", "target_pct:number!", "target_text"
        ),
    ),
    "project_reports": (
        "project_report",
        layer_fields(
            "project_code!",
            "year:int!",
            "month:int!",
            "investment_wan:number!",
            "cumulative_investment_wan:number!",
            "image_progress_text",
            "image_progress_pct:number",
            "employment:int",
            "output_wan:number",
            "reported_on:date!",
        ),
    ),
    "project_milestones_reached": (
        "project_milestone_reached",
        layer_fields("project_code!", "milestone!", "reached_on:date!"),
    ),
    "project_visits": (
        "project_visit",
        layer_fields(
            "project_code!", "visited_on:date!", "kind!", "visitors!", "findings", "score:number"
        ),
    ),
    "project_problems": (
        "project_problem",
        layer_fields(
            "problem_no!",
            "project_code!",
            "description!",
            "category!",
            "raised_on:date!",
            "department!",
            "official_code",
            "due_on:date!",
            "status!",
            "resolution",
            "solved_on:date",
        ),
    ),
}

#: What each layer's records are called in a load's report.
NOUNS: dict[str, str] = {
    "project_officials": "officials",
    "project_assignments": "assignments",
    "project_plan_investment": "monthly plans",
    "project_plan_milestones": "planned milestones",
    "project_plan_progress": "progress targets",
    "project_reports": "monthly reports",
    "project_milestones_reached": "milestones reached",
    "project_visits": "visits",
    "project_problems": "problems",
}

#: Allowed values of the coded columns (the tables' CHECK constraints say the same).
CODES: dict[tuple[str, str], frozenset[str]] = {
    ("project_assignments", "role"): frozenset(r.value for r in AssignmentRole),
    ("project_plan_milestones", "milestone"): frozenset(m.value for m in Milestone),
    ("project_milestones_reached", "milestone"): frozenset(m.value for m in Milestone),
    ("project_visits", "kind"): frozenset(k.value for k in VisitKind),
    ("project_problems", "category"): frozenset(c.value for c in ProblemCategory),
    ("project_problems", "status"): frozenset(s.value for s in ProblemStatus),
}
#: Inclusive bounds of the numeric columns: (layer, column) → (low, high); None is open.
BOUNDS: dict[tuple[str, str], tuple[float | None, float | None]] = {
    **{
        (layer, "year"): (FIRST_YEAR, 2200)
        for layer in (
            "project_plan_investment",
            "project_plan_milestones",
            "project_plan_progress",
            "project_reports",
        )
    },
    ("project_plan_investment", "month"): (1, 12),
    ("project_reports", "month"): (1, 12),
    ("project_plan_progress", "quarter"): (1, 4),
    ("project_plan_investment", "planned_wan"): (0, None),
    ("project_plan_progress", "target_pct"): (0, 100),
    ("project_reports", "investment_wan"): (0, None),
    ("project_reports", "cumulative_investment_wan"): (0, None),
    ("project_reports", "image_progress_pct"): (0, 100),
    ("project_reports", "employment"): (0, None),
    ("project_reports", "output_wan"): (0, None),
    ("project_visits", "score"): (0, 100),
}
#: An official's code, as the table's check allows it.
OFFICIAL_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")

#: Layer name → its records: a frame of the table's columns (in :data:`LAYERS` order),
#: each value a plain Python value or None (text str, date ``datetime.date``, number
#: float, whole number int).
Records = dict[str, pd.DataFrame]


def rhythm_layers(frames: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The rhythm layers among *frames* (layer name → frame), in loading order."""
    return {name: frames[name] for name in LAYERS if name in frames}


def _shown(number: float) -> str:
    """A number as a problem shows it: whole numbers without a point, others as given."""
    number = float(number)
    return str(int(number)) if number.is_integer() else repr(number)


def _dates(values: pd.Series) -> pd.Series:
    """Dates (``datetime.date`` or None) as datetime64, missing ones NaT (never equal,
    never less or greater)."""
    return pd.to_datetime(values.astype(object), errors="coerce")


def _rules(layer: str, frame: pd.DataFrame) -> list[tuple[pd.Series, Callable[[int], str]]]:
    """The checks across a record's columns (the tables' CHECK constraints, said with the
    column at fault): (rows that break one, what to say of row i)."""
    rules: list[tuple[pd.Series, Callable[[int], str]]] = []
    if layer == "project_plan_milestones":
        planned, year = frame["planned_on"], frame["year"]
        planned_year = _dates(planned).dt.year
        rules.append(
            (
                planned_year.notna() & year.notna() & (planned_year != year.astype(float)),
                lambda i: f"planned_on {planned[i]} is not in the plan's year {year[i]}",
            )
        )
    if layer == "project_reports":
        month = pd.to_numeric(frame["investment_wan"], errors="coerce")
        cumulative = pd.to_numeric(frame["cumulative_investment_wan"], errors="coerce")
        rules.append(
            (
                cumulative < month,
                lambda i: (
                    f"cumulative_investment_wan {_shown(cumulative[i])} is less than the "
                    f"month's investment_wan {_shown(month[i])}"
                ),
            )
        )
    if layer == "project_problems":
        raised, due, solved = frame["raised_on"], frame["due_on"], frame["solved_on"]
        status, resolution = frame["status"], frame["resolution"]
        rules.append(
            (
                _dates(due) < _dates(raised),
                lambda i: f"due_on {due[i]} is before raised_on {raised[i]}",
            )
        )
        rules.append(
            (
                _dates(solved) < _dates(raised),
                lambda i: f"solved_on {solved[i]} is before raised_on {raised[i]}",
            )
        )
        is_solved = status == ProblemStatus.SOLVED.value
        rules.append(
            (
                status.notna() & (is_solved != solved.notna()),
                lambda i: (
                    "solved_on is missing: the problem is solved"
                    if status[i] == ProblemStatus.SOLVED.value
                    else f"solved_on {solved[i]} is given but the status is {status[i]!r}"
                ),
            )
        )
        rules.append(
            (
                is_solved & resolution.isna(),
                lambda i: "resolution is missing: the problem is solved",
            )
        )
    return rules


def rhythm_records(layers: Mapping[str, pd.DataFrame]) -> tuple[Records, list[str]]:
    """Each layer's records as the table's columns take them (see :data:`Records`;
    columns a layer lacks are None), and the problems of their values: a missing required
    field, a value of the wrong kind, an unknown code, a number out of its bounds, dates
    out of order, a key given twice. A problem costs a sentence, a good record nothing."""
    records: Records = {}
    problems: list[str] = []
    for layer, raw in layers.items():
        table, fields = LAYERS[layer]
        check = LayerCheck(raw, table, fields)
        frame = check.frame
        for (coded_layer, column), allowed in CODES.items():
            if coded_layer == layer:
                check.flag_unknown(column, allowed)
        for (bounded_layer, column), (low, high) in BOUNDS.items():
            if bounded_layer == layer:
                value = pd.to_numeric(frame[column], errors="coerce").astype(float)
                out = pd.Series(False, index=frame.index)
                if low is not None:
                    out |= value < low
                if high is not None:
                    out |= value > high
                span = f"between {low:g} and {high:g}" if high is not None else f"at least {low:g}"
                check.flag(
                    out,
                    lambda i, c=column, s=span, v=value: f"{c} {_shown(v[i])} must be {s}",
                )
        if "official_code" in frame:
            code = frame["official_code"]
            check.flag(
                code.map(lambda c: c is not None and not OFFICIAL_CODE.fullmatch(c)),
                lambda i, code=code: (
                    f"official_code {code[i]!r}: a letter or digit, then letters, digits, "
                    "'_', '.' or '-', 40 at most"
                ),
            )
        for rows, say in _rules(layer, frame):
            check.flag(rows, say)
        check.flag_repeated_keys(list(TABLE_KEYS[table]))
        problems += check.problems(layer)
        records[layer] = frame
    return records, problems


def rhythm_problems(conn: Connection, records: Records) -> list[str]:
    """What *records* refer to that does not exist: a project not in the database (the
    load's projects layer is loaded before these), an official neither in the file's
    ``project_officials`` nor standing in the database."""
    codes = sorted(
        {
            c
            for frame in records.values()
            if "project_code" in frame
            for c in frame["project_code"].dropna()
        }
    )
    projects = (
        set(
            conn.execute(
                text("SELECT project_code FROM project WHERE project_code = ANY(:codes)"),
                {"codes": codes},
            ).scalars()
        )
        if codes
        else set()
    )
    in_file = (
        set(records["project_officials"]["official_code"].dropna())
        if "project_officials" in records
        else set()
    )
    wanted = sorted(
        {
            c
            for layer in ("project_assignments", "project_problems")
            if layer in records
            for c in records[layer]["official_code"].dropna()
        }
        - in_file
    )
    standing = (
        set(
            conn.execute(
                text(
                    "SELECT official_code FROM project_official "
                    "WHERE valid_to IS NULL AND official_code = ANY(:codes)"
                ),
                {"codes": wanted},
            ).scalars()
        )
        if wanted
        else set()
    )
    officials = in_file | standing
    problems = []
    for layer, frame in records.items():
        checks = [("project_code", "project", projects)] if "project_code" in frame else []
        if layer != "project_officials" and "official_code" in frame:
            checks.append(("official_code", "official", officials))
        table = LAYERS[layer][0]
        for column, noun, known in checks:
            given = frame[column]
            for i in np.flatnonzero((given.notna() & ~given.isin(known)).to_numpy()):
                problems.append(
                    f"{record_named(layer, table, frame, frame.index[i])}: {column}: "
                    f"unknown {noun} {given.iloc[i]!r}"
                )
    return problems

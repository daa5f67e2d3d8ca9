"""Key projects' records as data: each body refuses what the records can't hold (naming the
field), and the checks that need no database — a plan's months, milestones and quarters, a
report's month and cumulative investment, a visit's day, a problem's dates, its number and
its changes (solving, reopening), an assignment's day, a setting's name and value — hold as
the rules say. No database."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from parks.errors import InvalidRecord
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
    plan_rows,
    problem_number,
    raised_problem_row,
)

TODAY = date(2026, 6, 30)

PLAN = {
    "year": 2026,
    "investment": [{"month": m, "planned_wan": 100.0 * m} for m in (1, 2, 3)],
    "milestones": [
        {"milestone": "signing", "planned_on": "2026-01-15"},
        {"milestone": "construction_start", "planned_on": "2026-05-01"},
    ],
    "progress_targets": [{"quarter": 1, "target_pct": 10}, {"quarter": 2, "target_pct": 30}],
    "reason": "年度计划",
}


def _refused_field(check, *args, **kwargs) -> str:
    with pytest.raises(InvalidRecord) as caught:
        check(*args, **kwargs)
    return caught.value.field


def _bad_fields(model, body: dict) -> set[str]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(body)
    return {
        ".".join(str(p) for p in e["loc"] if not isinstance(p, int)) for e in caught.value.errors()
    }


# --- plans ------------------------------------------------------------------------------------


def test_a_good_plan_passes_and_makes_one_row_per_month_milestone_and_quarter():
    record = PlanRecord.model_validate(PLAN)
    check_plan(record)
    rows = plan_rows("GX-P01", record)
    assert [(r["month"], r["planned_wan"]) for r in rows["project_plan_investment"]] == [
        (1, 100.0),
        (2, 200.0),
        (3, 300.0),
    ]
    assert {r["year"] for rows_ in rows.values() for r in rows_} == {2026}
    assert [r["milestone"] for r in rows["project_plan_milestone"]] == [
        "signing",
        "construction_start",
    ]
    assert rows["project_plan_milestone"][1]["planned_on"] == date(2026, 5, 1)
    assert [r["quarter"] for r in rows["project_plan_progress"]] == [1, 2]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"investment": [{"month": 0, "planned_wan": 1}]}, "investment[0].month"),
        (
            {"investment": [{"month": 5, "planned_wan": 1}, {"month": 13, "planned_wan": 1}]},
            "investment[1].month",
        ),
        (
            {
                "investment": [
                    {"month": 2, "planned_wan": 1},
                    {"month": 3, "planned_wan": 1},
                    {"month": 2, "planned_wan": 1},
                ]
            },
            "investment[2].month",
        ),
        ({"investment": [{"month": 2, "planned_wan": -0.01}]}, "investment[0].planned_wan"),
        ({"investment": [{"month": 2, "planned_wan": 1e13}]}, "investment[0].planned_wan"),
        (
            {"milestones": [{"milestone": "opening", "planned_on": "2026-01-01"}]},
            "milestones[0].milestone",
        ),
        (
            {
                "milestones": [
                    {"milestone": "land_supply", "planned_on": "2026-01-01"},
                    {"milestone": "land_supply", "planned_on": "2026-03-01"},
                ]
            },
            "milestones[1].milestone",
        ),
        (
            {"milestones": [{"milestone": "signing", "planned_on": "2025-12-31"}]},
            "milestones[0].planned_on",
        ),
        ({"progress_targets": [{"quarter": 0, "target_pct": 1}]}, "progress_targets[0].quarter"),
        (
            {"progress_targets": [{"quarter": 4, "target_pct": -1}]},
            "progress_targets[0].target_pct",
        ),
        (
            {
                "progress_targets": [
                    {"quarter": 3, "target_pct": 1},
                    {"quarter": 3, "target_pct": 2},
                ]
            },
            "progress_targets[1].quarter",
        ),
    ],
)
def test_a_plan_that_breaks_a_rule_is_refused_naming_the_item(changes, field):
    record = PlanRecord.model_validate(PLAN | changes)
    assert _refused_field(check_plan, record) == field


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"year": 1989}, "year"),
        ({"year": 2201}, "year"),
        ({"year": "2026"}, "year"),
        ({"investment": [{"month": "1", "planned_wan": 1}]}, "investment.month"),
        ({"investment": [{"month": 1.0, "planned_wan": 1}]}, "investment.month"),
        ({"investment": [{"month": 1, "planned_wan": True}]}, "investment.planned_wan"),
        ({"investment": [{"month": 1, "planned_wan": float("nan")}]}, "investment.planned_wan"),
        (
            {"milestones": [{"milestone": "signing", "planned_on": "01/02/2026"}]},
            "milestones.planned_on",
        ),
        ({"reason": ""}, "reason"),
        ({"reason": "   "}, "reason"),
        ({"reason": "x" * 2001}, "reason"),
        ({"reason": "a\x00b"}, "reason"),
        ({"document_no": "文\x00号"}, "document_no"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_plan_of_the_wrong_form_is_refused_naming_the_field(changes, field):
    assert field in _bad_fields(PlanRecord, PLAN | changes)


def test_a_plan_needs_its_reason_and_the_body_says_every_item_it_needs():
    assert "reason" in _bad_fields(PlanRecord, {k: v for k, v in PLAN.items() if k != "reason"})
    assert "investment.planned_wan" in _bad_fields(
        PlanRecord, PLAN | {"investment": [{"month": 1}]}
    )


# --- reports ------------------------------------------------------------------------------------

REPORT = {
    "month": "2026-05",
    "investment_wan": 50.0,
    "cumulative_investment_wan": 400.0,
    "reason": "月报",
}


def _report(**changes) -> ReportRecord:
    return ReportRecord.model_validate(REPORT | changes)


def test_a_report_between_its_neighbours_passes():
    check_report(
        _report(milestones_reached=[{"milestone": "signing", "reached_on": "2026-06-30"}]),
        today=TODAY,
        previous={"year": 2026, "month": 4, "cumulative_investment_wan": 350},
        following={"year": 2026, "month": 6, "cumulative_investment_wan": 400},
    )
    assert _report().year_month == (2026, 5)


def test_a_report_of_this_month_passes_and_of_next_month_is_refused():
    check_report(_report(month="2026-06"), today=TODAY)
    assert _refused_field(check_report, _report(month="2026-07"), today=TODAY) == "month"
    assert _refused_field(check_report, _report(month="1989-12"), today=TODAY) == "month"


def test_a_cumulative_below_the_months_investment_is_refused():
    record = _report(investment_wan=401.0)
    assert _refused_field(check_report, record, today=TODAY) == "cumulative_investment_wan"


def test_a_cumulative_below_the_previous_month_is_refused_naming_its_figure():
    with pytest.raises(InvalidRecord) as caught:
        check_report(
            _report(),
            today=TODAY,
            previous={"year": 2025, "month": 12, "cumulative_investment_wan": 400.01},
        )
    assert caught.value.field == "cumulative_investment_wan"
    assert "2025-12" in caught.value.message and "400.01" in caught.value.message


def test_a_cumulative_above_the_following_month_is_refused_naming_it():
    with pytest.raises(InvalidRecord) as caught:
        check_report(
            _report(),
            today=TODAY,
            following={"year": 2026, "month": 6, "cumulative_investment_wan": 399.99},
        )
    assert caught.value.field == "cumulative_investment_wan"
    assert "2026-06" in caught.value.message and "399.99" in caught.value.message


def test_a_milestone_reached_after_today_or_unknown_or_twice_is_refused_naming_it():
    late = _report(milestones_reached=[{"milestone": "signing", "reached_on": "2026-07-01"}])
    assert _refused_field(check_report, late, today=TODAY) == "milestones_reached[0].reached_on"
    unknown = _report(milestones_reached=[{"milestone": "topping_out", "reached_on": "2026-01-01"}])
    assert _refused_field(check_report, unknown, today=TODAY) == "milestones_reached[0].milestone"
    twice = _report(
        milestones_reached=[
            {"milestone": "signing", "reached_on": "2026-01-01"},
            {"milestone": "signing", "reached_on": "2026-01-02"},
        ]
    )
    assert _refused_field(check_report, twice, today=TODAY) == "milestones_reached[1].milestone"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"month": "2026-5"}, "month"),
        ({"month": "2026-00"}, "month"),
        ({"month": "2026/05"}, "month"),
        ({"investment_wan": -1}, "investment_wan"),
        ({"investment_wan": "50"}, "investment_wan"),
        ({"cumulative_investment_wan": 1e13}, "cumulative_investment_wan"),
        ({"output_wan": -0.5}, "output_wan"),
        ({"image_progress_pct": 100.5}, "image_progress_pct"),
        ({"employment": -1}, "employment"),
        ({"employment": 2**31}, "employment"),
    ],
)
def test_a_report_of_the_wrong_form_is_refused_naming_the_field(changes, field):
    assert field in _bad_fields(ReportRecord, REPORT | changes)


def test_output_is_optional_and_when_given_may_be_zero():
    assert _report().output_wan is None
    assert _report(output_wan=0).output_wan == 0


# --- visits -------------------------------------------------------------------------------------


def test_a_visit_is_weekly_unless_said_and_may_not_be_after_today():
    visit = VisitRecord.model_validate(
        {"visited_on": "2026-06-30", "visitors": "市重点办", "reason": "r"}
    )
    assert visit.kind == "weekly" and visit.score is None
    check_visit(visit, today=TODAY)
    later = VisitRecord.model_validate(
        {"visited_on": "2026-07-01", "visitors": "市重点办", "reason": "r"}
    )
    assert _refused_field(check_visit, later, today=TODAY) == "visited_on"
    body = {"visited_on": "2026-06-01", "visitors": "x", "reason": "r"}
    assert "score" in _bad_fields(VisitRecord, body | {"score": 100.01})
    assert "kind" in _bad_fields(VisitRecord, body | {"kind": "monthly"})
    assert "visitors" in _bad_fields(VisitRecord, body | {"visitors": ""})


# --- problems -----------------------------------------------------------------------------------

PROBLEM = {
    "description": "用地指标未落实",
    "category": "land",
    "raised_on": "2026-03-01",
    "department": "市自然资源局",
    "due_on": "2026-04-30",
    "reason": "交办",
}


def test_a_problem_is_raised_open_and_due_not_before_it_was_raised():
    record = ProblemRecord.model_validate(PROBLEM)
    check_problem(record, today=TODAY)
    row = raised_problem_row("GX-P01", "GX-P01-Q004", record)
    assert (row["status"], row["solved_on"], row["resolution"]) == ("open", None, None)
    early = ProblemRecord.model_validate(PROBLEM | {"due_on": "2026-02-28"})
    assert _refused_field(check_problem, early, today=TODAY) == "due_on"
    future = ProblemRecord.model_validate(
        PROBLEM | {"raised_on": "2026-07-01", "due_on": "2026-08-01"}
    )
    assert _refused_field(check_problem, future, today=TODAY) == "raised_on"
    assert "category" in _bad_fields(ProblemRecord, PROBLEM | {"category": "weather"})
    assert "official_code" in _bad_fields(ProblemRecord, PROBLEM | {"official_code": "a b"})


def test_the_next_problem_number_is_one_past_every_number_the_project_ever_had():
    made = ["GX-P01-Q001", "GX-P01-Q007", "GX-P01-Q002", "GX-P01-Q7x", "GX-P011-Q050"]
    assert problem_number("GX-P01", made) == "GX-P01-Q008"
    assert problem_number("GX-P01", []) == "GX-P01-Q001"
    assert problem_number("GX-P01", ["GX-P01-Q999"]) == "GX-P01-Q1000"
    # the code is taken literally: its '.' matches only a '.'
    assert problem_number("A.B", ["AxB-Q005", "A.B-Q002"]) == "A.B-Q003"


STANDING = {
    "problem_no": "GX-P01-Q001",
    "project_code": "GX-P01",
    "description": "用地指标未落实",
    "category": "land",
    "raised_on": date(2026, 3, 1),
    "department": "市自然资源局",
    "official_code": "GX-L01",
    "due_on": date(2026, 4, 30),
    "status": "open",
    "resolution": None,
    "solved_on": None,
    "official_name": "王某",  # read beside the row, not stored
}


def _change(**fields) -> ProblemChange:
    return ProblemChange.model_validate({"reason": "r"} | fields)


def test_solving_a_problem_needs_a_resolution_and_defaults_its_day_to_today():
    assert (
        _refused_field(changed_problem, STANDING, _change(status="solved"), today=TODAY)
        == "resolution"
    )
    row = changed_problem(STANDING, _change(status="solved", resolution="已落实"), today=TODAY)
    assert (row["status"], row["solved_on"], row["resolution"]) == ("solved", TODAY, "已落实")
    assert "official_name" not in row


def test_a_solved_day_before_the_raising_or_after_today_is_refused():
    early = _change(status="solved", resolution="x", solved_on="2026-02-28")
    assert _refused_field(changed_problem, STANDING, early, today=TODAY) == "solved_on"
    late = _change(status="solved", resolution="x", solved_on="2026-07-01")
    assert _refused_field(changed_problem, STANDING, late, today=TODAY) == "solved_on"
    same_day = _change(status="solved", resolution="x", solved_on="2026-03-01")
    assert changed_problem(STANDING, same_day, today=TODAY)["solved_on"] == date(2026, 3, 1)


def test_reopening_clears_the_solved_day_and_a_solved_day_needs_solving():
    solved = STANDING | {"status": "solved", "resolution": "x", "solved_on": date(2026, 5, 2)}
    row = changed_problem(solved, _change(status="in_progress"), today=TODAY)
    assert (row["status"], row["solved_on"], row["resolution"]) == ("in_progress", None, "x")
    corrected = changed_problem(solved, _change(solved_on="2026-05-01"), today=TODAY)
    assert (corrected["status"], corrected["solved_on"]) == ("solved", date(2026, 5, 1))
    assert (
        _refused_field(changed_problem, STANDING, _change(solved_on="2026-05-01"), today=TODAY)
        == "solved_on"
    )


def test_a_change_gives_something_keeps_the_required_fields_and_may_clear_the_owner():
    assert _refused_field(changed_problem, STANDING, _change(), today=TODAY) == "body"
    for name in ("status", "due_on", "department"):
        assert (
            _refused_field(changed_problem, STANDING, _change(**{name: None}), today=TODAY) == name
        )
    assert (
        _refused_field(changed_problem, STANDING, _change(due_on="2026-02-01"), today=TODAY)
        == "due_on"
    )
    row = changed_problem(STANDING, _change(official_code=None), today=TODAY)
    assert row["official_code"] is None
    moved = changed_problem(STANDING, _change(due_on="2026-06-30"), today=TODAY)
    assert moved["due_on"] == date(2026, 6, 30) and moved["official_code"] == "GX-L01"
    assert _change(status="solved").changed_fields() == {"status"}


# --- officials, assignments, settings -----------------------------------------------------------


def test_an_official_code_is_a_plain_code_and_an_assignment_defaults_to_today():
    assert "official_code" in _bad_fields(
        OfficialRecord, {"official_code": "-x", "name": "n", "reason": "r"}
    )
    assert "name" in _bad_fields(
        OfficialRecord, {"official_code": "GX-L01", "name": "", "reason": "r"}
    )
    record = AssignmentRecord.model_validate(
        {"official_code": "GX-L01", "role": "lead", "reason": "r"}
    )
    assert assignment_row("GX-P01", record, today=TODAY)["assigned_on"] == TODAY
    later = AssignmentRecord.model_validate(
        {"official_code": "GX-L01", "role": "member", "assigned_on": "2026-07-01", "reason": "r"}
    )
    assert _refused_field(assignment_row, "GX-P01", later, today=TODAY) == "assigned_on"
    assert "role" in _bad_fields(
        AssignmentRecord, {"official_code": "GX-L01", "role": "boss", "reason": "r"}
    )


def test_a_setting_is_checked_by_name_and_value():
    def change(name, value):
        return ProjectSettingChange.model_validate({"name": name, "value": value, "reason": "r"})

    assert checked_setting(change("progress.behind_share", 0.25)) == 0.25
    assert _refused_field(checked_setting, change("no.such", 1)) == "name"
    assert _refused_field(checked_setting, change("progress.behind_share", 1.5)) == "value"
    assert _refused_field(checked_setting, change("ranking.criteria", {"luck": 10})) == "value"
    assert "value" in _bad_fields(
        ProjectSettingChange, {"name": "visit_list.size", "value": {"a\x00": 1}, "reason": "r"}
    )

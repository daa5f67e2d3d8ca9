"""The rules the key-project rhythm judges by, one milestone and one problem at a time
(parks.projects.rules): a day late is late, a solved problem's overdue clock stops, and a
project is behind plan only past the threshold."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from parks.projects.rules import (
    MilestoneState,
    completion_rate,
    is_behind_plan,
    judge_milestone,
    problem_is_overdue,
    problem_overdue_days,
    problem_solved_on_time,
)

PLANNED = date(2026, 6, 30)


def test_a_milestone_reached_on_its_planned_day_is_on_time():
    judged = judge_milestone(PLANNED, PLANNED, as_of=date(2026, 10, 31))
    assert judged.state is MilestoneState.ON_TIME and judged.delay_days == 0
    assert not judged.is_late


def test_a_milestone_reached_early_is_on_time_with_no_delay():
    judged = judge_milestone(PLANNED, PLANNED - timedelta(days=20), as_of=date(2026, 10, 31))
    assert judged.state is MilestoneState.ON_TIME and judged.delay_days == 0


def test_a_milestone_one_day_late_counts_late():
    judged = judge_milestone(PLANNED, date(2026, 7, 1), as_of=date(2026, 10, 31))
    assert judged.state is MilestoneState.LATE and judged.delay_days == 1
    assert judged.is_late


def test_a_milestone_not_reached_is_pending_on_its_planned_day_and_overdue_the_day_after():
    assert judge_milestone(PLANNED, None, as_of=PLANNED).state is MilestoneState.PENDING
    day_after = judge_milestone(PLANNED, None, as_of=date(2026, 7, 1))
    assert day_after.state is MilestoneState.OVERDUE and day_after.delay_days == 1
    assert judge_milestone(PLANNED, None, as_of=date(2026, 7, 31)).delay_days == 31


def test_a_milestone_reached_after_the_day_judged_is_not_yet_known():
    # judged at the end of July, reached in August: on 31 July it was still overdue
    judged = judge_milestone(PLANNED, date(2026, 8, 10), as_of=date(2026, 7, 31))
    assert judged.state is MilestoneState.OVERDUE and judged.delay_days == 31


DUE = date(2026, 9, 15)


def test_a_problem_is_not_overdue_on_its_due_day_and_is_the_day_after():
    assert not problem_is_overdue(DUE, None, as_of=DUE)
    assert problem_overdue_days(DUE, None, as_of=DUE) == 0
    assert problem_is_overdue(DUE, None, as_of=DUE + timedelta(days=1))
    assert problem_overdue_days(DUE, None, as_of=date(2026, 10, 31)) == 46


def test_a_solved_problem_stops_its_overdue_clock():
    solved = date(2026, 9, 25)  # ten days late
    for as_of in (date(2026, 9, 30), date(2026, 10, 31), date(2027, 3, 1)):
        assert problem_overdue_days(DUE, solved, as_of=as_of) == 10
        assert not problem_is_overdue(DUE, solved, as_of=as_of)
    assert not problem_solved_on_time(DUE, solved)


def test_a_problem_solved_after_the_day_judged_was_still_overdue_that_day():
    solved = date(2026, 10, 20)
    as_of = date(2026, 9, 30)
    assert problem_is_overdue(DUE, solved, as_of=as_of)
    assert problem_overdue_days(DUE, solved, as_of=as_of) == 15


def test_a_problem_solved_on_its_due_day_is_solved_on_time():
    assert problem_solved_on_time(DUE, DUE)
    assert not problem_solved_on_time(DUE, None)


def test_completion_rate_is_completed_over_planned_and_none_without_a_plan():
    assert completion_rate(30, 40) == pytest.approx(0.75)
    assert completion_rate(50, 40) == pytest.approx(1.25)
    assert completion_rate(10, 0) is None


@pytest.mark.parametrize(
    ("completed", "planned", "behind"),
    [
        (80.0, 100.0, False),  # exactly 20 % short: at the threshold, not behind
        (79.99, 100.0, True),  # a cent more short
        (100.0, 100.0, False),
        (0.0, 0.0, False),  # nothing planned: never behind
        (2400.0, 3000.0, False),  # 20 % short of a larger plan
        (2399.99, 3000.0, True),
    ],
)
def test_a_project_is_behind_plan_only_when_short_by_more_than_the_share(
    completed, planned, behind
):
    assert is_behind_plan(completed, planned, behind_share=0.2) is behind

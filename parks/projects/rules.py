"""The rules every output of the rhythm judges by — one project, one milestone, one
problem at a time, with no database. The SQL that judges the whole city
(service/projects/sql/) must agree with these; tests hold it to them.

Days are calendar days; a day counts from its start, so a milestone reached the day after
its planned date is one day late, and one not reached is late from the day after its
planned date. Money 万元.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class MilestoneState(StrEnum):
    """Where a planned milestone stands on a day."""

    ON_TIME = "on_time"  # reached on or before its planned date (按期)
    LATE = "late"  # reached, after its planned date (滞后完成)
    OVERDUE = "overdue"  # not reached, its planned date passed (逾期未完成)
    PENDING = "pending"  # not reached, its planned date not passed (未到期)


@dataclass(frozen=True, slots=True)
class MilestoneJudgement:
    """A milestone's ``state`` on a day and its delay in days (0 when on time or
    pending; for an overdue one, the days since its planned date)."""

    state: MilestoneState
    delay_days: int

    @property
    def is_late(self) -> bool:
        """Late or overdue: it missed its planned date."""
        return self.state in (MilestoneState.LATE, MilestoneState.OVERDUE)


def judge_milestone(
    planned_on: date, reached_on: date | None, *, as_of: date
) -> MilestoneJudgement:
    """A planned milestone judged as of *as_of*: a reaching after *as_of* is not known
    yet. Reached on *planned_on* or before: on time; a day later: late by one day."""
    if reached_on is not None and reached_on <= as_of:
        delay = (reached_on - planned_on).days
        if delay <= 0:
            return MilestoneJudgement(MilestoneState.ON_TIME, 0)
        return MilestoneJudgement(MilestoneState.LATE, delay)
    if as_of > planned_on:
        return MilestoneJudgement(MilestoneState.OVERDUE, (as_of - planned_on).days)
    return MilestoneJudgement(MilestoneState.PENDING, 0)


def problem_overdue_days(due_on: date, solved_on: date | None, *, as_of: date) -> int:
    """Days a problem is or was overdue as of *as_of*: its clock runs from the day after
    *due_on* and stops the day it is solved (a solving after *as_of* is not known yet)."""
    end = solved_on if solved_on is not None and solved_on <= as_of else as_of
    return max(0, (end - due_on).days)


def problem_is_overdue(due_on: date, solved_on: date | None, *, as_of: date) -> bool:
    """True when the problem is unsolved as of *as_of* and its due date has passed."""
    unsolved = solved_on is None or solved_on > as_of
    return unsolved and as_of > due_on


def problem_solved_on_time(due_on: date, solved_on: date | None) -> bool:
    """True when the problem was solved on or before its due date."""
    return solved_on is not None and solved_on <= due_on


def completion_rate(completed_wan: float, planned_wan: float) -> float | None:
    """Investment completed as a share of the plan (1.0 = on plan; may exceed 1); None
    when nothing was planned."""
    if planned_wan <= 0:
        return None
    return completed_wan / planned_wan


def is_behind_plan(completed_wan: float, planned_wan: float, *, behind_share: float) -> bool:
    """True when investment completed falls short of the plan by more than
    *behind_share* of the plan (0.2: under 80 % of plan to date); exactly at the threshold
    is not behind (compared to a millionth of a 万元, the amounts' own rounding)."""
    if planned_wan <= 0:
        return False
    return (planned_wan - completed_wan) - behind_share * planned_wan > 1e-6

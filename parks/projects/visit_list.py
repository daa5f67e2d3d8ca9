"""Which projects a week's site visits (周观摩) should see, and why — plain functions, no
database.

A week's list is judged as of the day before the week starts (its Monday's eve, ``J``).
For each project the service gathers (:class:`VisitCandidate`):

* its investment completed and planned year to date through the last month complete by
  ``J`` (the month before the week's first day's month);
* its problems overdue as of ``J`` (unsolved by ``J``, due before ``J``);
* its milestones overdue as of ``J`` (planned before ``J``, not reached by ``J``);
* the day of its last visit on or before ``J`` (None: never visited).

Its **priority** (:func:`priority`) is a sum of points, each part with a reason in Chinese:

* behind plan (``is_behind_plan`` with ``progress.behind_share``): 1 point per percentage
  point of shortfall (shortfall share = (planned − completed) ÷ planned) —
  ``投资完成率低于计划 35%``;
* 15 points per overdue problem — ``逾期问题 2 项``;
* 10 points per overdue milestone — ``节点逾期 1 个（开工）``;
* not visited for ``visit_list.not_visited_days`` days or more: 1 point per 3 days
  since the last visit, the days counted up to :data:`MOST_UNVISITED_DAYS` (180); a
  project never visited counts as that many — ``已 75 天未观摩`` / ``从未观摩``.

The **list** (:func:`visit_proposals`) is the candidates with points > 0, highest first,
ties by project code, the first ``visit_list.size``. A project visited in the 7 days before
the week (``J`` − 6 .. ``J``) is not proposed again unless it has an overdue problem (a
problem still needs the officials on site; a fresh look at progress does not).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from parks.projects.rules import is_behind_plan
from parks.projects.scoring import round_half_up
from parks.projects.vocabulary import MILESTONE_NAMES_ZH

#: Points per percentage point of investment shortfall (when behind plan).
POINTS_PER_SHORTFALL_PCT = 1.0
#: Points per overdue problem.
POINTS_PER_OVERDUE_PROBLEM = 15.0
#: Points per overdue milestone.
POINTS_PER_OVERDUE_MILESTONE = 10.0
#: Points per day without a visit (once ``visit_list.not_visited_days`` have passed).
POINTS_PER_UNVISITED_DAY = 1 / 3
#: The most days without a visit that count; a project never visited counts this many.
MOST_UNVISITED_DAYS = 180
#: A project visited within this many days before the week is not proposed again
#: (unless it has an overdue problem).
RECENT_VISIT_DAYS = 7


def judged_on(week_first_day: date) -> date:
    """The day a week's list is judged as of: the day before the week starts."""
    return week_first_day - timedelta(days=1)


def shortfall_month(week_first_day: date) -> tuple[int, int]:
    """(year, month) of the last month complete before the week starts: the month
    before the month of its first day."""
    first_of_month = week_first_day.replace(day=1)
    previous = first_of_month - timedelta(days=1)
    return previous.year, previous.month


def _pct_text(share: float) -> str:
    value = round_half_up(share * 100, 1)
    return f"{value:.1f}".removesuffix(".0")


@dataclass(frozen=True, slots=True)
class VisitCandidate:
    """What a project's priority is judged from (see the module's doc). Money 万元."""

    project_code: str
    planned_wan: float = 0.0
    completed_wan: float = 0.0
    overdue_problems: int = 0
    overdue_milestones: Sequence[str] = ()
    last_visit_on: date | None = None


@dataclass(frozen=True, slots=True)
class Priority:
    """A project's ``points`` (2 decimals), the ``reasons`` behind them in Chinese and the
    figures they were worked from (``basis``)."""

    points: float
    reasons: tuple[str, ...]
    basis: dict[str, Any] = field(default_factory=dict)


def shortfall_share(completed_wan: float, planned_wan: float) -> float:
    """(planned − completed) ÷ planned, never below 0; 0 when nothing was planned."""
    if planned_wan <= 0:
        return 0.0
    return max(0.0, (planned_wan - completed_wan) / planned_wan)


def days_without_visit(last_visit_on: date | None, *, as_of: date) -> int | None:
    """Days from the last visit to *as_of*; None when never visited."""
    return None if last_visit_on is None else (as_of - last_visit_on).days


def priority(candidate: VisitCandidate, *, as_of: date, settings: Mapping[str, Any]) -> Priority:
    """The points and reasons of *candidate* on *as_of* (``J``), with *settings*
    (``progress.behind_share``, ``visit_list.not_visited_days``) as the module's doc
    says."""
    points = 0.0
    reasons: list[str] = []
    share = shortfall_share(candidate.completed_wan, candidate.planned_wan)
    behind = is_behind_plan(
        candidate.completed_wan,
        candidate.planned_wan,
        behind_share=float(settings["progress.behind_share"]),
    )
    if behind:
        points += POINTS_PER_SHORTFALL_PCT * share * 100
        reasons.append(f"投资完成率低于计划 {_pct_text(share)}%")
    if candidate.overdue_problems:
        points += POINTS_PER_OVERDUE_PROBLEM * candidate.overdue_problems
        reasons.append(f"逾期问题 {candidate.overdue_problems} 项")
    if candidate.overdue_milestones:
        names = "、".join(MILESTONE_NAMES_ZH.get(m, m) for m in candidate.overdue_milestones)
        points += POINTS_PER_OVERDUE_MILESTONE * len(candidate.overdue_milestones)
        reasons.append(f"节点逾期 {len(candidate.overdue_milestones)} 个（{names}）")
    days = days_without_visit(candidate.last_visit_on, as_of=as_of)
    if days is None:
        points += POINTS_PER_UNVISITED_DAY * MOST_UNVISITED_DAYS
        reasons.append("从未观摩")
    elif days >= int(settings["visit_list.not_visited_days"]):
        points += POINTS_PER_UNVISITED_DAY * min(days, MOST_UNVISITED_DAYS)
        reasons.append(f"已 {days} 天未观摩")
    basis = {
        "planned_wan": candidate.planned_wan,
        "completed_wan": candidate.completed_wan,
        "shortfall_share": round(share, 4),
        "behind_plan": behind,
        "overdue_problems": candidate.overdue_problems,
        "overdue_milestones": list(candidate.overdue_milestones),
        "days_without_visit": days,
    }
    return Priority(round_half_up(points), tuple(reasons), basis)


def visited_recently(last_visit_on: date | None, *, as_of: date) -> bool:
    """True when the last visit was within :data:`RECENT_VISIT_DAYS` days up to *as_of*
    (``J`` − 6 .. ``J``: the 7 days before the week)."""
    return last_visit_on is not None and (as_of - last_visit_on).days < RECENT_VISIT_DAYS


@dataclass(frozen=True, slots=True)
class Proposal:
    """A candidate proposed for the week, with its priority."""

    candidate: VisitCandidate
    priority: Priority


def visit_proposals(
    candidates: Iterable[VisitCandidate], *, as_of: date, settings: Mapping[str, Any]
) -> list[Proposal]:
    """The week's list: the candidates with points > 0 that were not visited recently
    (or that have an overdue problem), highest points first, ties by project code, the
    first ``visit_list.size`` of them."""
    proposals = []
    for candidate in candidates:
        if (
            visited_recently(candidate.last_visit_on, as_of=as_of)
            and not candidate.overdue_problems
        ):
            continue
        found = priority(candidate, as_of=as_of, settings=settings)
        if found.points > 0:
            proposals.append(Proposal(candidate, found))
    proposals.sort(key=lambda p: (-p.priority.points, p.candidate.project_code))
    return proposals[: int(settings["visit_list.size"])]

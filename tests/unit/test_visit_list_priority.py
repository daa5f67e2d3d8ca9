"""The weekly visit list's priority (parks.projects.visit_list), no database: the points
and Chinese reasons of each part, the exclusion of projects visited in the week before,
the order (points, then code) and the list's size."""

from __future__ import annotations

from datetime import date

from parks.projects.settings import DEFAULTS
from parks.projects.visit_list import (
    VisitCandidate,
    judged_on,
    priority,
    shortfall_month,
    visit_proposals,
)

SETTINGS = dict(DEFAULTS)  # behind_share 0.2, not_visited_days 60, size 6
J = date(2026, 10, 25)  # the Sunday before 2026-W44
RECENT = date(2026, 10, 20)


def _priority(**given):
    return priority(VisitCandidate("P", **given), as_of=J, settings=SETTINGS)


def test_a_week_is_judged_the_day_before_it_starts_on_the_last_complete_month():
    assert judged_on(date(2026, 10, 26)) == J
    assert shortfall_month(date(2026, 10, 26)) == (2026, 9)
    assert shortfall_month(date(2026, 6, 1)) == (2026, 5)  # May is complete by 31 May
    assert shortfall_month(date(2026, 1, 5)) == (2025, 12)


def test_a_project_behind_plan_scores_a_point_per_percent_short():
    found = _priority(planned_wan=900, completed_wan=585, last_visit_on=RECENT)
    assert found.points == 35.0  # (900 - 585) / 900 = 35 %
    assert found.reasons == ("投资完成率低于计划 35%",)
    assert found.basis["shortfall_share"] == 0.35 and found.basis["behind_plan"] is True


def test_a_shortfall_at_the_threshold_is_not_behind():
    found = _priority(planned_wan=900, completed_wan=720, last_visit_on=RECENT)  # 20 % short
    assert (found.points, found.reasons) == (0.0, ())


def test_a_shortfall_shows_one_decimal_when_it_has_one():
    found = _priority(planned_wan=1000, completed_wan=655, last_visit_on=RECENT)
    assert found.reasons == ("投资完成率低于计划 34.5%",)
    assert found.points == 34.5


def test_overdue_problems_and_milestones_count_each():
    found = _priority(
        overdue_problems=2,
        overdue_milestones=("construction_start", "structure_complete"),
        last_visit_on=RECENT,
    )
    assert found.points == 2 * 15 + 2 * 10
    assert found.reasons == ("逾期问题 2 项", "节点逾期 2 个（开工、主体完工）")


def test_days_without_a_visit_count_from_the_setting_on():
    sixty = _priority(last_visit_on=date(2026, 8, 26))
    assert (J - date(2026, 8, 26)).days == 60
    assert sixty.points == 20.0 and sixty.reasons == ("已 60 天未观摩",)
    fifty_nine = _priority(last_visit_on=date(2026, 8, 27))
    assert (fifty_nine.points, fifty_nine.reasons) == (0.0, ())
    seventy_five = _priority(last_visit_on=date(2026, 8, 11))
    assert seventy_five.points == 25.0 and seventy_five.reasons == ("已 75 天未观摩",)


def test_never_visited_counts_as_the_longest_time():
    never = _priority()
    assert never.points == 60.0 and never.reasons == ("从未观摩",)
    years = _priority(last_visit_on=date(2024, 1, 1))
    assert years.points == 60.0  # capped at 180 days
    assert years.reasons == (f"已 {(J - date(2024, 1, 1)).days} 天未观摩",)


def test_the_list_orders_by_points_then_code_and_keeps_the_size():
    candidates = [
        VisitCandidate("Z", overdue_problems=1, last_visit_on=RECENT),  # recent, a problem: 15
        VisitCandidate("B", overdue_problems=1, last_visit_on=date(2026, 10, 1)),  # 15
        VisitCandidate("A", overdue_problems=1, last_visit_on=date(2026, 10, 1)),  # 15
        VisitCandidate("N"),  # never visited: 60
        VisitCandidate("Q", last_visit_on=date(2026, 10, 1)),  # nothing: 0, not proposed
        VisitCandidate("M", overdue_milestones=("signing",), last_visit_on=date(2026, 10, 1)),
    ]
    proposed = visit_proposals(candidates, as_of=J, settings=SETTINGS | {"visit_list.size": 3})
    assert [(p.candidate.project_code, p.priority.points) for p in proposed] == [
        ("N", 60.0),
        ("A", 15.0),
        ("B", 15.0),
    ]
    everything = visit_proposals(candidates, as_of=J, settings=SETTINGS)
    assert [p.candidate.project_code for p in everything] == ["N", "A", "B", "Z", "M"]


def test_a_project_visited_in_the_week_before_is_not_proposed_unless_a_problem_is_overdue():
    candidates = [
        VisitCandidate("SIX", planned_wan=100, completed_wan=0, last_visit_on=date(2026, 10, 19)),
        VisitCandidate("SEVEN", planned_wan=100, completed_wan=0, last_visit_on=date(2026, 10, 18)),
        VisitCandidate("EVE", planned_wan=100, completed_wan=0, last_visit_on=J),
        VisitCandidate("PROBLEM", overdue_problems=1, last_visit_on=J),
    ]
    proposed = visit_proposals(candidates, as_of=J, settings=SETTINGS)
    assert [p.candidate.project_code for p in proposed] == ["SEVEN", "PROBLEM"]

"""The quarterly ranking's score and ranks (parks.projects.scoring), no database: the
brief's hand-computed example, rounding half up, criteria that do not apply, weights as
data, competition ranks with ties, groups ranked by their mean score."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from parks.projects.scoring import (
    competition_ranks,
    investment_rate,
    mean_ranking,
    ranked_order,
    round_half_up,
    score_project,
    share_rate,
    visit_rate,
)
from parks.projects.settings import DEFAULTS

WEIGHTS = DEFAULTS["ranking.criteria"]


def _example_rates() -> dict:
    return {
        "investment": investment_rate(Decimal("30.00"), Decimal("40.00")),
        "milestones": share_rate(1, 2),
        "problems": share_rate(2, 2),
        "visits": visit_rate(0, 0),
    }


def test_the_score_of_the_hand_computed_example():
    scored = score_project(WEIGHTS, _example_rates())
    # 100 × (40 × 0.75 + 30 × 0.5 + 20 × 1) ÷ 90 = 72.222…: visits (none scored) left out
    assert scored.score == 72.22
    parts = {p.criterion: p for p in scored.criteria}
    assert parts["investment"].rate == Decimal("0.75")
    assert parts["investment"].points == 33.33  # 100 × 40 × 0.75 ÷ 90
    assert parts["milestones"].points == 16.67  # 100 × 30 × 0.5 ÷ 90
    assert parts["problems"].points == 22.22  # 100 × 20 × 1 ÷ 90
    assert parts["visits"].applies is False and parts["visits"].points is None
    assert [p.criterion for p in scored.criteria] == [
        "investment",
        "milestones",
        "problems",
        "visits",
    ]


def test_every_criterion_applying_weighs_by_all_four_weights():
    rates = _example_rates() | {"visits": visit_rate(Decimal("171.00"), 2)}  # mean 85.5
    # 100 × (40 × 0.75 + 30 × 0.5 + 20 × 1 + 10 × 0.855) ÷ 100 = 73.55
    assert score_project(WEIGHTS, rates).score == 73.55


def test_investment_above_plan_counts_as_complete():
    assert investment_rate(50, 40) == 1
    assert investment_rate(10, 0) is None
    assert score_project(WEIGHTS, {"investment": investment_rate(50, 40)}).score == 100.0


def test_a_score_rounds_half_up():
    # scores 85.12 and 85.13: mean 85.125 — half up 85.13 (a float's round() gives 85.12)
    rate = visit_rate(Decimal("85.12") + Decimal("85.13"), 2)
    assert score_project(WEIGHTS, {"visits": rate}).score == 85.13
    assert round_half_up(Fraction(1, 200)) == 0.01
    assert round_half_up(2.675) == 2.68


def test_a_project_with_nothing_to_judge_has_no_score():
    scored = score_project(WEIGHTS, {c: None for c in WEIGHTS})
    assert scored.score is None
    assert all(not p.applies for p in scored.criteria)


def test_changed_weights_change_the_score():
    weights = {"investment": 50, "milestones": 50}
    scored = score_project(weights, _example_rates())
    # 100 × (50 × 0.75 + 50 × 0.5) ÷ 100; problems and visits are not criteria in force
    assert scored.score == 62.5
    assert [p.criterion for p in scored.criteria] == ["investment", "milestones"]


def test_only_weights_of_zero_applying_give_no_score():
    scored = score_project({"investment": 0, "visits": 10}, {"investment": Fraction(1, 2)})
    assert scored.score is None


def test_a_tie_shares_a_rank_and_the_next_rank_skips():
    assert competition_ranks([90.0, 80.0, 80.0, 70.0, None]) == [1, 2, 2, 4, None]
    assert competition_ranks([50.0, None, 100.0, 50.0]) == [2, None, 1, 2]
    assert competition_ranks([]) == []


def test_ranked_order_lists_ties_by_code_and_the_unranked_last():
    items = [("B", 2), ("C", None), ("A", 2), ("D", 1), ("0", None)]
    ordered = ranked_order(items, rank=lambda i: i[1], code=lambda i: i[0])
    assert ordered == [("D", 1), ("A", 2), ("B", 2), ("0", None), ("C", None)]


def test_groups_rank_by_the_mean_of_their_members_scores():
    ranks = mean_ranking(
        {"O-1": [100.0, 25.0], "O-2": [62.5, None], "O-3": [50.0], "O-4": [None], "O-5": []}
    )
    assert (ranks["O-1"].mean_score, ranks["O-1"].rank) == (62.5, 1)
    assert (ranks["O-2"].mean_score, ranks["O-2"].rank) == (62.5, 1)  # the None left out
    assert (ranks["O-3"].mean_score, ranks["O-3"].rank) == (50.0, 3)
    assert (ranks["O-4"].mean_score, ranks["O-4"].rank) == (None, None)
    assert (ranks["O-5"].mean_score, ranks["O-5"].rank) == (None, None)


def test_a_mean_score_rounds_half_up_from_the_rounded_scores():
    # (70.01 + 70.02) / 2 = 70.015 -> 70.02
    assert mean_ranking({"P": [70.01, 70.02]})["P"].mean_score == 70.02

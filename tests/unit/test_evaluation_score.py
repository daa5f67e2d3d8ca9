"""The 亩均效益 formulas without a database: indicators from figures, points, the weighted
score, ranks and grades — each expected number worked out by hand in the test."""

from __future__ import annotations

import math

import numpy as np
import pytest

from parks.supervision.evaluation import (
    competition_ranks,
    evaluate_group,
    grade_boundaries,
    grades_for_ranks,
    indicator_points,
    indicator_values,
)

NAN = math.nan
WEIGHTS = {
    "tax_per_mu": 45,
    "revenue_per_mu": 20,
    "added_value_per_tce": 15,
    "rd_intensity": 15,
    "labour_productivity": 5,
}
SHARES = {"A": 25, "B": 45, "C": 25, "D": 5}


def _values(**columns: list[float]) -> dict[str, np.ndarray]:
    return {k: np.array(v, dtype=float) for k, v in columns.items()}


def test_score_formula_on_a_hand_computed_three_enterprise_example():
    # Enterprises X, Y, Z of one group:
    #   tax_per_mu           10, 20, 30   -> min 10, max 30: 20, 60, 100
    #   revenue_per_mu       100, 50, 0   -> min 0, max 100: 100, 60, 20
    #   added_value_per_tce  —, 2, 4      -> X missing: 20; Y the min: 20; Z the max: 100
    #   rd_intensity         .05 each     -> max = min: 100 each
    #   labour_productivity  1, 3, 2      -> min 1, max 3: 20, 100, 60
    # X = (45×20 + 20×100 + 15×20 + 15×100 + 5×20) / 100 = 4800 / 100 = 48
    # Y = (45×60 + 20×60 + 15×20 + 15×100 + 5×100) / 100 = 6200 / 100 = 62
    # Z = (45×100 + 20×20 + 15×100 + 15×100 + 5×60) / 100 = 8200 / 100 = 82
    # n = 3: A up to round(0.75) = 1, B up to round(2.1) = 2, C up to round(2.85) = 3.
    done = evaluate_group(
        _values(
            tax_per_mu=[10, 20, 30],
            revenue_per_mu=[100, 50, 0],
            added_value_per_tce=[NAN, 2, 4],
            rd_intensity=[0.05, 0.05, 0.05],
            labour_productivity=[1, 3, 2],
        ),
        weights=WEIGHTS,
        grade_shares=SHARES,
    )
    assert done.points["tax_per_mu"].tolist() == [20, 60, 100]
    assert done.points["revenue_per_mu"].tolist() == [100, 60, 20]
    assert done.points["added_value_per_tce"].tolist() == [20, 20, 100]
    assert done.points["rd_intensity"].tolist() == [100, 100, 100]
    assert done.points["labour_productivity"].tolist() == [20, 100, 60]
    assert done.scores.tolist() == pytest.approx([48.0, 62.0, 82.0], abs=1e-9)
    assert done.ranks.tolist() == [3, 2, 1]
    assert done.grades.tolist() == ["C", "B", "A"]
    assert (done.scales["tax_per_mu"].minimum, done.scales["tax_per_mu"].maximum) == (10, 30)
    assert done.scales["added_value_per_tce"].minimum == 2  # the missing value is not the min


def test_indicators_come_from_the_figures_and_the_land_in_mu():
    # tax 300 万元 on 30 亩 = 10 万元/亩; revenue 6000 / 30 = 200 万元/亩;
    # added value 500 ÷ 250 tce = 2 万元/吨标煤; R&D 120 ÷ 6000 = 0.02; 500 ÷ 50 staff = 10
    values = indicator_values(
        tax_wan=np.array([300.0]),
        revenue_wan=np.array([6000.0]),
        added_value_wan=np.array([500.0]),
        energy_tce=np.array([250.0]),
        rd_wan=np.array([120.0]),
        employees=np.array([50.0]),
        land_mu=np.array([30.0]),
    )
    assert {k: v[0] for k, v in values.items()} == pytest.approx(
        {
            "tax_per_mu": 10.0,
            "revenue_per_mu": 200.0,
            "added_value_per_tce": 2.0,
            "rd_intensity": 0.02,
            "labour_productivity": 10.0,
        }
    )


def test_an_indicator_without_its_figure_or_with_a_zero_divisor_is_missing():
    values = indicator_values(
        tax_wan=np.array([10.0, 10.0]),
        revenue_wan=np.array([0.0, 100.0]),
        added_value_wan=np.array([50.0, NAN]),
        energy_tce=np.array([0.0, 10.0]),
        rd_wan=np.array([5.0, NAN]),
        employees=np.array([0.0, 5.0]),
        land_mu=np.array([1.0, 2.0]),
    )
    assert math.isnan(values["added_value_per_tce"][0])  # no energy used: not a number
    assert math.isnan(values["added_value_per_tce"][1])  # no added value figure
    assert math.isnan(values["rd_intensity"][0])  # revenue 0
    assert math.isnan(values["rd_intensity"][1])  # no R&D figure
    assert math.isnan(values["labour_productivity"][0])  # 0 employees
    assert values["tax_per_mu"].tolist() == [10.0, 5.0]


def test_a_missing_indicator_value_scores_the_floor_of_20_points():
    points, scale = indicator_points(np.array([NAN, 4.0, 8.0]))
    assert points.tolist() == [20.0, 20.0, 100.0]
    assert (scale.minimum, scale.maximum) == (4.0, 8.0)
    points, scale = indicator_points(np.array([NAN, NAN]))
    assert points.tolist() == [20.0, 20.0] and scale.minimum is None


def test_an_indicator_equal_for_every_enterprise_gives_each_100_points():
    points, _ = indicator_points(np.array([3.5, 3.5, NAN]))
    assert points.tolist() == [100.0, 100.0, 20.0]
    points, _ = indicator_points(np.array([7.0]))  # alone in its group: as good as the best
    assert points.tolist() == [100.0]


def test_grade_counts_round_half_up_at_the_cumulative_boundaries():
    # n = 20: A 20×25% = 5; A+B 20×70% = 14; A+B+C 20×95% = 19 -> 5 A, 9 B, 5 C, 1 D
    assert grade_boundaries(20, SHARES) == [5, 14, 19, 20]
    # n = 10: 2.5 -> 3; 7.0 -> 7; 9.5 -> 10 -> 3 A, 4 B, 3 C, 0 D
    assert grade_boundaries(10, SHARES) == [3, 7, 10, 10]
    # n = 21: 5.25 -> 5; 14.7 -> 15; 19.95 -> 20 -> 5 A, 10 B, 5 C, 1 D
    assert grade_boundaries(21, SHARES) == [5, 15, 20, 21]
    # n = 1: 0.25 -> 0, 0.7 -> 1: a lone enterprise is B; n = 2: 0.5 -> 1, 1.4 -> 1, 1.9 -> 2
    assert grades_for_ranks(np.array([1]), 1, SHARES).tolist() == ["B"]
    assert grades_for_ranks(np.array([1, 2]), 2, SHARES).tolist() == ["A", "C"]
    assert grade_boundaries(0, SHARES) == [0, 0, 0, 0]


def test_a_tie_at_the_A_B_boundary_gives_every_tied_enterprise_the_better_grade():
    # n = 8: A up to round(2.0) = 2, B up to round(5.6) = 6, C up to round(7.6) = 8.
    # Scores 90, 80, 80, 70, …: the 2nd and 3rd are tied at 80, rank 2 each, both A;
    # B keeps its boundary at 6, so it is one shorter.
    scores = np.array([90, 80, 80, 70, 60, 50, 40, 30], dtype=float)
    ranks = competition_ranks(scores)
    assert ranks.tolist() == [1, 2, 2, 4, 5, 6, 7, 8]
    grades = grades_for_ranks(ranks, scores.size, SHARES).tolist()
    assert grades == ["A", "A", "A", "B", "B", "B", "C", "C"]


def test_a_tie_at_the_C_D_boundary_leaves_no_D():
    # n = 20: C up to 19, D the 20th; the 19th and 20th tied: both rank 19, both C.
    scores = np.arange(20, 0, -1, dtype=float)
    scores[-1] = scores[-2]
    grades = grades_for_ranks(competition_ranks(scores), 20, SHARES).tolist()
    assert grades.count("A") == 5 and grades.count("B") == 9
    assert grades[-2:] == ["C", "C"] and "D" not in grades


def test_scores_equal_but_for_floating_point_noise_are_tied():
    # tax 0, 1, 1.5, 3 -> points 20, 20 + 80/3, 60, 100; revenue 0, 2, 1.5, 3 -> 20,
    # 20 + 160/3, 60, 100. The 2nd and 3rd make 120 points each with equal weights
    # (46.67 + 73.33 and 60 + 60), which floating point adds up to different last bits;
    # scores are ranked as rounded to 6 decimals, so they tie:
    # (20×60 + 20×60 + 15×20 + 15×20 + 5×20) / 100 = 31 each.
    done = evaluate_group(
        _values(
            tax_per_mu=[0, 1, 1.5, 3],
            revenue_per_mu=[0, 2, 1.5, 3],
            added_value_per_tce=[NAN] * 4,
            rd_intensity=[NAN] * 4,
            labour_productivity=[NAN] * 4,
        ),
        weights={**WEIGHTS, "tax_per_mu": 20, "revenue_per_mu": 20},
        grade_shares=SHARES,
    )
    assert done.scores.tolist() == pytest.approx([15.0, 31.0, 31.0, 47.0])
    assert done.scores[1] == done.scores[2]
    # n = 4: A up to round(1.0) = 1, B up to round(2.8) = 3, C up to round(3.8) = 4
    assert done.ranks.tolist() == [4, 2, 2, 1]
    assert done.grades.tolist() == ["C", "B", "B", "A"]


def test_the_weights_decide_the_ranking():
    values = _values(
        tax_per_mu=[10, 1],
        revenue_per_mu=[NAN, NAN],
        added_value_per_tce=[NAN, NAN],
        rd_intensity=[0.01, 0.05],
        labour_productivity=[NAN, NAN],
    )
    by_default = evaluate_group(values, weights=WEIGHTS, grade_shares=SHARES)
    # first: (45×100 + 15×20 + 40×20) / 100 = 56; second: (45×20 + 15×100 + 40×20) / 100 = 32
    assert by_default.scores.tolist() == pytest.approx([56.0, 32.0])
    research = {**WEIGHTS, "tax_per_mu": 5, "rd_intensity": 80}
    by_research = evaluate_group(values, weights=research, grade_shares=SHARES)
    # first: (5×100 + 80×20 + 40×20) / 100 = 29; second: (5×20 + 80×100 + 40×20) / 100 = 89
    assert by_research.scores.tolist() == pytest.approx([29.0, 89.0])
    assert by_default.ranks.tolist() == [1, 2] and by_research.ranks.tolist() == [2, 1]

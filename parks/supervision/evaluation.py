"""The 亩均效益 evaluation as plain formulas: indicators from an enterprise's yearly figures
and its land, points per indicator, the weighted score, the rank and the grade. No
database here (``service/supervision/evaluation.py`` reads the figures and the land).

Units: money in 万元, land in 亩 (1 亩 = 10000/15 m²), energy in tonnes of coal equivalent
(吨标煤, tce); shares are fractions of 1. Every function works on numpy arrays, one value
per enterprise of one group, so a year's evaluation of tens of thousands of enterprises
is a handful of vector operations.

The rules, decided here once:

* **Indicators** (all "more is better"): ``tax_per_mu`` 亩均税收 = tax ÷ land (万元/亩),
  ``revenue_per_mu`` 亩均销售收入 = revenue ÷ land (万元/亩), ``added_value_per_tce``
  单位能耗增加值 = added value ÷ energy (万元/吨标煤), ``rd_intensity`` 研发投入强度 =
  R&D ÷ revenue (a share), ``labour_productivity`` 全员劳动生产率 = added value ÷ employees
  (万元/人). An indicator whose figure is missing, or whose divisor is missing or not above
  0 (no energy figure, 0 employees), is *missing* (NaN).
* **Points** of an indicator, within a group: ``20 + 80 × (x − min) / (max − min)``, min and
  max over the group's enterprises that have a value. A missing value scores **20**, the
  floor (no figure earns no more than the worst figure). When every value is the same
  (max = min, one enterprise with a value included), each enterprise with a value scores
  **100**: it did as well as the best in its group (the formula read at x = max); no one
  is ranked above another by that indicator either way.
* **Score** = Σ weight × points / 100 over the indicators (default weights 45/20/15/15/5:
  a score between 20 and 100), rounded to :data:`SCORE_DIGITS` decimals; the rounded score
  is the one ranked, so scores shown equal are equal.
* **Rank** (competition ranking, "1224"): 1 + the number of enterprises of the group with
  a higher score. Equal scores have equal rank.
* **Grades by rank** with the shares of ``evaluation.grade_shares`` (A 25, B 45, C 25,
  D 5 per cent of the group, best first) cut at cumulative boundaries: the positions
  1 … round-half-up(n × 25 %) are A, up to round-half-up(n × 70 %) B, up to
  round-half-up(n × 95 %) C, the rest D (n = the group's size; shares as exact decimals).
  E.g. n = 20: 5 A, 9 B, 5 C, 1 D; n = 10: 3 A, 4 B, 3 C, 0 D; n = 1: B.
  An enterprise's grade is the grade of the position equal to its **rank**: enterprises
  tied at a boundary all take the better grade (the tie's first position), and the grades
  after it keep their boundaries (the tie takes its extra places from the next grade).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from parks.supervision.settings import GRADES, INDICATORS

#: Chinese names and units of the indicators (for reports and the API's explanation).
INDICATOR_NAMES_ZH: dict[str, str] = {
    "tax_per_mu": "亩均税收",
    "revenue_per_mu": "亩均销售收入",
    "added_value_per_tce": "单位能耗增加值",
    "rd_intensity": "研发投入强度",
    "labour_productivity": "全员劳动生产率",
}
INDICATOR_UNITS: dict[str, str] = {
    "tax_per_mu": "万元/亩",
    "revenue_per_mu": "万元/亩",
    "added_value_per_tce": "万元/吨标煤",
    "rd_intensity": "share",
    "labour_productivity": "万元/人",
}

#: Points of the worst value (and of a missing one), the span up to the best, and the
#: points every enterprise with a value gets when all values are equal.
FLOOR_POINTS = 20.0
SPAN_POINTS = 80.0
FLAT_POINTS = 100.0
#: Decimals a score is rounded to before it is ranked.
SCORE_DIGITS = 6


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator ÷ denominator where both are known and the denominator is above 0; NaN
    elsewhere (a missing indicator)."""
    num = np.asarray(numerator, dtype=float)
    den = np.asarray(denominator, dtype=float)
    ok = np.isfinite(num) & np.isfinite(den) & (den > 0)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=ok)
    return out


def indicator_values(
    *,
    tax_wan: np.ndarray,
    revenue_wan: np.ndarray,
    added_value_wan: np.ndarray,
    energy_tce: np.ndarray,
    rd_wan: np.ndarray,
    employees: np.ndarray,
    land_mu: np.ndarray,
) -> dict[str, np.ndarray]:
    """The five indicators of each enterprise (arrays aligned with the inputs; a missing
    figure given as NaN): tax and revenue per 亩 of *land_mu* (万元/亩), added value per
    tonne of coal equivalent (万元/tce), R&D ÷ revenue (share), added value per employee
    (万元/人). NaN where the indicator can't be computed (see the module's rules)."""
    return {
        "tax_per_mu": _ratio(tax_wan, land_mu),
        "revenue_per_mu": _ratio(revenue_wan, land_mu),
        "added_value_per_tce": _ratio(added_value_wan, energy_tce),
        "rd_intensity": _ratio(rd_wan, revenue_wan),
        "labour_productivity": _ratio(added_value_wan, employees),
    }


@dataclass(frozen=True, slots=True)
class Scale:
    """An indicator's range within a group: the min and max over the enterprises that have
    a value (None when none has)."""

    minimum: float | None
    maximum: float | None


def indicator_points(values: np.ndarray) -> tuple[np.ndarray, Scale]:
    """Points (20…100) of each value of one indicator within one group, and the group's
    scale: ``20 + 80 × (x − min) / (max − min)``; 20 for a missing value (NaN); 100 for
    every value when max = min."""
    x = np.asarray(values, dtype=float)
    known = np.isfinite(x)
    points = np.full(x.shape, FLOOR_POINTS)
    if not known.any():
        return points, Scale(None, None)
    low = float(x[known].min())
    high = float(x[known].max())
    if high == low:
        points[known] = FLAT_POINTS
    else:
        points[known] = FLOOR_POINTS + SPAN_POINTS * (x[known] - low) / (high - low)
    return points, Scale(low, high)


def weighted_scores(points: Mapping[str, np.ndarray], weights: Mapping[str, float]) -> np.ndarray:
    """Σ weight × points / 100 over the indicators, rounded to :data:`SCORE_DIGITS`."""
    total = None
    for name in INDICATORS:
        part = float(weights[name]) * np.asarray(points[name], dtype=float)
        total = part if total is None else total + part
    assert total is not None
    return np.round(total / 100.0, SCORE_DIGITS)


def competition_ranks(scores: np.ndarray) -> np.ndarray:
    """1 + the number of higher scores, for each score (equal scores, equal rank)."""
    s = np.asarray(scores, dtype=float)
    ascending = np.sort(s)
    higher = s.size - np.searchsorted(ascending, s, side="right")
    return (higher + 1).astype(np.int64)


def _round_half_up(value: Fraction) -> int:
    return math.floor(value + Fraction(1, 2))


def grade_boundaries(n: int, shares: Mapping[str, float]) -> list[int]:
    """The last position (1-based, best first) of each grade in a group of *n*: the
    round-half-up of n × the cumulative share (per cent) of that grade and those above it;
    the last grade's boundary is always n."""
    boundaries = []
    cumulative = Fraction(0)
    for grade in GRADES:
        cumulative += Fraction(str(shares[grade]))
        boundaries.append(min(n, _round_half_up(n * cumulative / 100)))
    boundaries[-1] = n
    return boundaries


def grades_for_ranks(ranks: np.ndarray, n: int, shares: Mapping[str, float]) -> np.ndarray:
    """The grade of each rank in a group of *n*: the first grade whose boundary is at or
    after the rank (so a tie takes the better grade)."""
    boundaries = np.asarray(grade_boundaries(n, shares), dtype=np.int64)
    index = np.searchsorted(boundaries, np.asarray(ranks, dtype=np.int64), side="left")
    index = np.minimum(index, len(GRADES) - 1)
    return np.asarray(GRADES, dtype=object)[index]


@dataclass(frozen=True, slots=True)
class GroupEvaluation:
    """One group's evaluation, arrays aligned with the enterprises given."""

    points: dict[str, np.ndarray]
    scales: dict[str, Scale]
    scores: np.ndarray
    ranks: np.ndarray
    grades: np.ndarray


def evaluate_group(
    values: Mapping[str, np.ndarray],
    *,
    weights: Mapping[str, float],
    grade_shares: Mapping[str, float],
) -> GroupEvaluation:
    """Points, scales, scores, ranks and grades of one group's enterprises from their
    indicator *values* (one array per indicator, NaN where missing)."""
    points: dict[str, np.ndarray] = {}
    scales: dict[str, Scale] = {}
    for name in INDICATORS:
        points[name], scales[name] = indicator_points(values[name])
    scores = weighted_scores(points, weights)
    ranks = competition_ranks(scores)
    grades = grades_for_ranks(ranks, scores.size, grade_shares)
    return GroupEvaluation(points, scales, scores, ranks, grades)

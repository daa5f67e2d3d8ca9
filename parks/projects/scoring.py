"""The quarterly ranking's score and ranks (季评比), as plain functions with no database.

A project's **criteria** (:class:`~parks.projects.vocabulary.Criterion`) each give a rate
in 0..1 for the quarter, or None when the criterion has nothing to judge (it does not
*apply*):

* investment (投资完成率): min(1, completed ÷ planned), year to date through the
  quarter's last month; applies when something was planned to date (:func:`investment_rate`);
* milestones (节点按期完成): the share of the milestones planned in the quarter (up to the
  day judged) reached on or before their planned day; applies when one is due
  (:func:`share_rate`);
* problems (问题按期解决): the share of the problems due in the quarter (up to the day
  judged) solved on or before their due day; applies when one is due (:func:`share_rate`);
* visits (观摩评分): the mean score ÷ 100 of the scored visits in the quarter (up to the
  day judged); applies when one was scored (:func:`visit_rate`).

The **score** (:func:`score_project`) is 100 × Σ weight × rate ÷ Σ weight over the criteria
that apply, rounded half up to 2 decimals; with none applying (or only weights of 0) it
is None and the project is not ranked. A criterion's **points** are its share of that sum,
100 × weight × rate ÷ Σ weight (the points of a project add up to its score before
rounding).

**Ranks** (:func:`competition_ranks`) are competition ranks ("1224") of the rounded
scores: equal scores share a rank and the next rank skips; unranked (None) scores get no
rank and are listed last, ties listed by code (:func:`ranked_order`). A group — an
official's led projects, a park's projects — is ranked the same way by the mean of its
members' rounded scores (:func:`mean_ranking`).

Arithmetic is decimal with 40 significant digits (:data:`CONTEXT`): the amounts (万元,
2 decimals), counts and scores (2 decimals) arrive exact, and a quotient such as 2/3 is
carried far past the 2 decimals kept, so a score is rounded as its exact value would be
(a half, such as 85.125, is exact in decimal and rounds up).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from fractions import Fraction
from typing import TypeVar

import numpy as np

from parks.projects.vocabulary import Criterion
from parks.supervision.evaluation import competition_ranks as _competition_ranks

#: Decimals of a score, a mean score and a criterion's points.
SCORE_DIGITS = 2
#: Decimals of a rate as it is shown.
RATE_DIGITS = 4

#: The decimal arithmetic of scores: 40 significant digits.
CONTEXT = Context(prec=40)

Number = int | float | Decimal | Fraction
K = TypeVar("K", bound=Hashable)
T = TypeVar("T")
_ONE = Decimal(1)
#: The criteria, in the vocabulary's order.
CRITERIA: tuple[str, ...] = tuple(c.value for c in Criterion)


def exact(value: Number) -> Decimal:
    """*value* as a decimal (a float as its shortest decimal: 0.1 is 0.1; a fraction to
    40 significant digits)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, Fraction):
        return CONTEXT.divide(Decimal(value.numerator), Decimal(value.denominator))
    return Decimal(value)


def round_half_up(value: Number, digits: int = SCORE_DIGITS) -> float:
    """*value* rounded half up (away from zero at the half) to *digits* decimals."""
    return float(exact(value).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def investment_rate(completed_wan: Number, planned_wan: Number) -> Decimal | None:
    """min(1, completed ÷ planned) (万元 both); None when nothing was planned."""
    planned = exact(planned_wan)
    if planned <= 0:
        return None
    return min(_ONE, CONTEXT.divide(exact(completed_wan), planned))


def share_rate(on_time: int, due: int) -> Decimal | None:
    """The share of *due* things done on time; None when none was due."""
    if due <= 0:
        return None
    return CONTEXT.divide(Decimal(on_time), Decimal(due))


def visit_rate(score_sum: Number, scored_visits: int) -> Decimal | None:
    """The mean of *scored_visits* scores (0..100, summing to *score_sum*) ÷ 100; None
    when no visit was scored."""
    if scored_visits <= 0:
        return None
    return CONTEXT.divide(exact(score_sum), Decimal(scored_visits) * 100)


@dataclass(frozen=True, slots=True)
class CriterionPoints:
    """How one criterion counts in a score: its ``weight`` in force, whether it
    ``applies``, its ``rate`` (0..1, None when it does not apply) and its ``points``
    (100 × weight × rate ÷ Σ weight of the criteria that apply, 2 decimals; None when it
    does not apply)."""

    criterion: str
    weight: float
    applies: bool
    rate: Decimal | None
    points: float | None


@dataclass(frozen=True, slots=True)
class ProjectScore:
    """A project's ``score`` (0..100, 2 decimals; None: no criterion applies, not
    ranked) and how each criterion in force counted in it, in the vocabulary's order."""

    score: float | None
    criteria: tuple[CriterionPoints, ...]


def criteria_order(weights: Mapping[str, Number]) -> list[str]:
    """The criteria of *weights*, in the vocabulary's order."""
    return [c for c in CRITERIA if c in weights]


def score_project(
    weights: Mapping[str, Number], rates: Mapping[str, Number | None]
) -> ProjectScore:
    """The score of a project whose criteria have *rates* (criterion -> rate 0..1, None
    or absent: does not apply), with *weights* (criterion -> weight, the settings'
    ``ranking.criteria``): 100 × Σ w·rate ÷ Σ w over the criteria that apply, rounded
    half up to 2 decimals; None when nothing applies or the weights that apply are all 0."""
    order = criteria_order(weights)
    with localcontext(CONTEXT):
        applying = {c: exact(rates[c]) for c in order if rates.get(c) is not None}
        total_weight = sum((exact(weights[c]) for c in applying), Decimal(0))
        parts: list[CriterionPoints] = []
        score: Decimal | None = Decimal(0) if total_weight > 0 else None
        for c in order:
            weight = exact(weights[c])
            rate = applying.get(c)
            if rate is None or score is None:
                parts.append(CriterionPoints(c, float(weight), rate is not None, rate, None))
                continue
            points = 100 * weight * rate / total_weight
            score += points
            parts.append(CriterionPoints(c, float(weight), True, rate, round_half_up(points)))
    return ProjectScore(None if score is None else round_half_up(score), tuple(parts))


def competition_ranks(scores: Sequence[float | None]) -> list[int | None]:
    """The competition rank of each score, highest first ("1224": equal scores share a
    rank, the next skips); None for a None score (not ranked)."""
    present = [i for i, s in enumerate(scores) if s is not None]
    ranks: list[int | None] = [None] * len(scores)
    if present:
        found = _competition_ranks(np.array([scores[i] for i in present], dtype=float))
        for i, rank in zip(present, found.tolist(), strict=True):
            ranks[i] = int(rank)
    return ranks


def ranked_order(items: Iterable[T], *, rank: Callable[[T], int | None], code: Callable[[T], str]):
    """*items* by rank (unranked last), ties by code."""
    return sorted(items, key=lambda item: (rank(item) is None, rank(item) or 0, code(item)))


def mean_score(scores: Iterable[float]) -> float | None:
    """The mean of *scores* (each a rounded score), rounded half up to 2 decimals; None
    for none."""
    values = [exact(s) for s in scores]
    if not values:
        return None
    return round_half_up(CONTEXT.divide(sum(values, Decimal(0)), Decimal(len(values))))


@dataclass(frozen=True, slots=True)
class GroupRank:
    """A group's (an official's, a park's) ``mean_score`` of its members' scores (None
    when none is ranked) and its competition ``rank`` among the groups (None then)."""

    mean_score: float | None
    rank: int | None


def mean_ranking(groups: Mapping[K, Sequence[float | None]]) -> dict[K, GroupRank]:
    """Each group of *groups* (key -> its members' scores; None scores left out) with
    the mean of its scores and its competition rank by that mean among the groups."""
    keys = list(groups)
    means = [mean_score(s for s in groups[k] if s is not None) for k in keys]
    ranks = competition_ranks(means)
    return {k: GroupRank(m, r) for k, m, r in zip(keys, means, ranks, strict=True)}

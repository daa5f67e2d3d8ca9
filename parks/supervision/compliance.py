"""Contract compliance (履约) as plain functions: is a measured figure within what the supply
contract committed, and if not, short by how much.

A commitment is one of three kinds:

* ``at_least`` — the measure must reach the commitment (投资强度 万元/亩, 容积率 minimum,
  建筑系数 minimum, 亩均税收 万元/亩/年); short by ``committed − measured``.
* ``at_most`` — the measure must not pass it (行政办公及生活服务设施用地所占比重, the office
  share, ≤ 7 % by default); short by ``measured − committed``: an office share of 8 % against
  7 % is short by 0.01 (one point; shares are fractions of 1).
* ``within`` — between a minimum and a maximum (容积率 min–max); below the minimum it is short
  by ``min − measured``, above the maximum by ``measured − max``, which ``over_by`` gives
  as well, so a reader sees which way it missed.

A check whose measure is unknown (not yet measured: the plot ratio before completion) is
neither met nor short: ``met`` and ``short_by`` are None. Figures are compared with a
tolerance of :data:`TOLERANCE` (relative) so that floating-point noise never makes a
commitment missed; the amounts given are rounded to :data:`DECIMALS` places.

Units: 万元/亩 for investment intensity and tax per 亩 (1 亩 = 10000/15 m² exactly, areas
planar m² in the storage CRS, EPSG:4545), a plain ratio for the plot ratio, ``share``
(a fraction of 1) for building coverage and the office share.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

#: Relative tolerance of a comparison (floating-point noise, not a shortfall).
TOLERANCE = 1e-9
#: Decimal places of the amounts a check reports.
DECIMALS = 6

Bound = Literal["at_least", "at_most", "within"]

#: The indicators a contract is judged on, in the order checks are listed, with their unit
#: and kind of commitment.
INDICATORS: dict[str, tuple[str, Bound]] = {
    "investment_intensity": ("wan_per_mu", "at_least"),  # 投资强度
    "plot_ratio": ("ratio", "within"),  # 容积率
    "building_coverage": ("share", "at_least"),  # 建筑系数
    "office_share": ("share", "at_most"),  # 行政办公及生活服务设施用地比重
    "tax_per_mu": ("wan_per_mu_year", "at_least"),  # 亩均税收
}


def mu_of(area_m2: float) -> float:
    """亩 of *area_m2* square metres (exactly ``m2 × 15 / 10000``)."""
    return area_m2 * 15 / 10000


def _amount(value: float | None) -> float | None:
    return None if value is None else round(float(value), DECIMALS) + 0.0  # no -0.0


def _misses(by: float, scale: float) -> bool:
    """True when a shortfall *by* is more than noise next to the figures' size *scale*."""
    return by > TOLERANCE * max(1.0, abs(scale))


def check(
    indicator: str,
    *,
    measured: float | None,
    committed: float | None = None,
    committed_max: float | None = None,
) -> dict[str, Any]:
    """One indicator judged: ``{indicator, bound, committed, committed_max, measured, met,
    short_by, over_by, unit}``.

    *committed* is the commitment (for ``within``: the minimum, and *committed_max* the
    maximum; either may be None, an open end). ``met`` is None when *measured* is None;
    ``short_by`` (≥ 0) is None unless the commitment is missed; ``over_by`` is set only
    when a ``within`` measure passes its maximum."""
    unit, bound = INDICATORS[indicator]
    short_by: float | None = None
    over_by: float | None = None
    if bound == "at_most":
        low, high = None, committed
    elif bound == "at_least":
        low, high = committed, None
    else:
        low, high = committed, committed_max
    met: bool | None = None
    if measured is not None:
        measured = float(measured)
        met = True
        if low is not None and _misses(float(low) - measured, float(low)):
            met, short_by = False, float(low) - measured
        elif high is not None and _misses(measured - float(high), float(high)):
            met, short_by = False, measured - float(high)
            if bound == "within":
                over_by = short_by
    return {
        "indicator": indicator,
        "bound": bound,
        "committed": _amount(committed),
        "committed_max": _amount(committed_max) if bound == "within" else None,
        "measured": _amount(measured),
        "met": met,
        "short_by": _amount(short_by),
        "over_by": _amount(over_by),
        "unit": unit,
    }


def per_mu(amount_wan: float | None, area_m2: float | None) -> float | None:
    """万元 per 亩 of *area_m2* (None when either is unknown or the area is not positive)."""
    if amount_wan is None or area_m2 is None or area_m2 <= 0:
        return None
    return float(amount_wan) / mu_of(float(area_m2))


def contract_checks(
    contract: Mapping[str, Any],
    *,
    investment_wan: float | None,
    plot_ratio: float | None,
    building_coverage: float | None,
    office_share: float | None,
    tax_per_mu: float | None,
) -> list[dict[str, Any]]:
    """The checks of one supply contract (a mapping with ``land_area_m2``,
    ``committed_investment_wan``, ``plot_ratio_min``, ``plot_ratio_max``,
    ``building_coverage_min``, ``office_share_max``, ``committed_tax_wan_per_mu_year``)
    against what was measured.

    Investment intensity is always checked (investment to date ÷ the contract's 亩 against
    the committed investment ÷ 亩); the plot ratio, building coverage and office share when
    the contract commits to them (their measures come from the completion acceptance);
    tax per 亩 only when the contract has a committed 亩均税收."""
    area_m2 = float(contract["land_area_m2"])
    checks = [
        check(
            "investment_intensity",
            committed=per_mu(contract["committed_investment_wan"], area_m2),
            measured=per_mu(investment_wan, area_m2),
        )
    ]
    if contract.get("plot_ratio_min") is not None or contract.get("plot_ratio_max") is not None:
        checks.append(
            check(
                "plot_ratio",
                committed=_float(contract.get("plot_ratio_min")),
                committed_max=_float(contract.get("plot_ratio_max")),
                measured=_float(plot_ratio),
            )
        )
    if contract.get("building_coverage_min") is not None:
        checks.append(
            check(
                "building_coverage",
                committed=_float(contract["building_coverage_min"]),
                measured=_float(building_coverage),
            )
        )
    if contract.get("office_share_max") is not None:
        checks.append(
            check(
                "office_share",
                committed=_float(contract["office_share_max"]),
                measured=_float(office_share),
            )
        )
    if contract.get("committed_tax_wan_per_mu_year") is not None:
        checks.append(
            check(
                "tax_per_mu",
                committed=_float(contract["committed_tax_wan_per_mu_year"]),
                measured=tax_per_mu,
            )
        )
    return checks


def all_met(checks: Iterable[Mapping[str, Any]]) -> bool | None:
    """False when any check is missed; True when every check is met; None when none is
    missed but some are not measured yet."""
    verdicts = [c["met"] for c in checks]
    if any(v is False for v in verdicts):
        return False
    if all(v is True for v in verdicts):
        return True
    return None


def short_indicators(checks: Iterable[Mapping[str, Any]]) -> list[str]:
    """The indicators whose commitment is missed, in the checks' order."""
    return [c["indicator"] for c in checks if c["met"] is False]


def _float(value: Any) -> float | None:
    return None if value is None else float(value)

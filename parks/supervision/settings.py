"""The settings land supervision judges by, and their defaults.

Every setting is data: an admin may override one (``supervision_setting``, kept with its
history); the value in force is the override when there is one, else the default here.
Days are calendar days; shares are fractions of 1; weights and grade shares are numbers
that need not sum to 100 (a score is Σ weight × points / 100; grades are cut by share).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

#: 闲置土地处置办法 (国土资源部令第53号) and the park's practice.
IDLE_DEFAULTS: dict[str, Any] = {
    # not started this many days after the agreed start date: idle (未动工满一年)
    "idle.no_start_days": 365,
    # started, but developed area under this share of the area to develop ...
    "idle.developed_share_min": 1 / 3,
    # ... or investment made under this share of the committed total ...
    "idle.investment_share_min": 0.25,
    # ... and work stopped for this many days: idle (中止开发建设满一年)
    "idle.stopped_days": 365,
    # early warning this many days before a clock reaches its threshold
    "idle.warning_days": 90,
    # idle-land fee (土地闲置费): this share of the land price, once idle
    "idle.fee_share_of_price": 0.20,
    # idle this many days on a clock: recovery without compensation, for decision
    "idle.recovery_days": 730,
}

#: 批而未供: an approval batch older than this with land unsupplied may lapse.
BATCH_DEFAULTS: dict[str, Any] = {"batches.lapse_days": 730}

#: The 亩均效益 evaluation.
EVALUATION_DEFAULTS: dict[str, Any] = {
    # indicator -> weight: 亩均税收, 亩均销售收入, 单位能耗增加值, R&D 投入强度, 全员劳动生产率
    "evaluation.weights": {
        "tax_per_mu": 45,
        "revenue_per_mu": 20,
        "added_value_per_tce": 15,
        "rd_intensity": 15,
        "labour_productivity": 5,
    },
    # grades by rank within a group, best first: share of the group (per cent)
    "evaluation.grade_shares": {"A": 25, "B": 45, "C": 25, "D": 5},
    # the groups enterprises are graded in: those holding land (with any floor they
    # lease) and those on leased standard-factory floor only
    "evaluation.groups": [
        {"code": "land", "name_zh": "用地企业", "basis": "land"},
        {"code": "leased_floor", "name_zh": "租赁厂房企业", "basis": "leased_floor"},
    ],
}

DEFAULTS: dict[str, Any] = IDLE_DEFAULTS | BATCH_DEFAULTS | EVALUATION_DEFAULTS

INDICATORS: tuple[str, ...] = tuple(EVALUATION_DEFAULTS["evaluation.weights"])
GRADES: tuple[str, ...] = ("A", "B", "C", "D")
GROUP_BASES: frozenset[str] = frozenset({"land", "leased_floor"})


class SettingError(ValueError):
    """A setting's name or value is not one supervision knows; the message names it."""


def _number(name: str, value: Any, *, low: float = 0.0, high: float = math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SettingError(f"{name}: must be a number, not {value!r}")
    if not (low <= float(value) <= high) or math.isnan(float(value)):
        raise SettingError(f"{name}: must be between {low:g} and {high:g}, not {value!r}")
    return value


def check_setting(name: str, value: Any) -> Any:
    """*value* if it is a valid value of setting *name*, else :class:`SettingError`."""
    if name not in DEFAULTS:
        raise SettingError(f"{name}: no such setting (known: {', '.join(sorted(DEFAULTS))})")
    if name.endswith("_days"):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 36500:
            raise SettingError(f"{name}: must be a whole number of days 0–36500, not {value!r}")
        return value
    if name.endswith("_min") or name.endswith("_share_of_price"):
        return _number(name, value, high=1.0)
    if name == "evaluation.weights":
        if not isinstance(value, Mapping) or set(value) != set(INDICATORS):
            raise SettingError(f"{name}: must give a weight for each of {', '.join(INDICATORS)}")
        for key, weight in value.items():
            _number(f"{name}.{key}", weight, high=1000.0)
        if sum(float(w) for w in value.values()) <= 0:
            raise SettingError(f"{name}: at least one weight must be above 0")
        return dict(value)
    if name == "evaluation.grade_shares":
        if not isinstance(value, Mapping) or set(value) != set(GRADES):
            raise SettingError(f"{name}: must give a share for each of {', '.join(GRADES)}")
        for key, share in value.items():
            _number(f"{name}.{key}", share, high=100.0)
        if abs(sum(float(s) for s in value.values()) - 100.0) > 1e-9:
            raise SettingError(f"{name}: the shares must add up to 100")
        return dict(value)
    if name == "evaluation.groups":
        if not isinstance(value, list) or not value:
            raise SettingError(f"{name}: must be a non-empty list of groups")
        bases = []
        for i, group in enumerate(value):
            if not isinstance(group, Mapping) or not {"code", "name_zh", "basis"} <= set(group):
                raise SettingError(f"{name}[{i}]: needs code, name_zh and basis")
            if group["basis"] not in GROUP_BASES:
                raise SettingError(
                    f"{name}[{i}].basis: one of {', '.join(sorted(GROUP_BASES))}, "
                    f"not {group['basis']!r}"
                )
            bases.append(group["basis"])
        if sorted(bases) != sorted(GROUP_BASES):
            raise SettingError(f"{name}: one group for each basis ({', '.join(GROUP_BASES)})")
        return [dict(g) for g in value]
    return value


def in_force(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Every setting's value in force: *overrides* (name -> value) over the defaults."""
    return DEFAULTS | {k: v for k, v in overrides.items() if k in DEFAULTS}

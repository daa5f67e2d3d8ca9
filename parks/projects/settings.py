"""The settings the rhythm's outputs judge by, and their defaults.

Every setting is data: an admin may override one (``project_setting``, kept with its
history, each change a change set in the ledger); the value in force is the override when
there is one, else the default here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from parks.projects.vocabulary import Criterion

DEFAULTS: dict[str, Any] = {
    # 季评比: criterion -> weight. A project's score is 100 × Σ weight × rate over the
    # criteria that apply to it ÷ Σ their weights (a criterion with nothing to judge in
    # the quarter — no milestone due, no problem due, no scored visit — is left out).
    "ranking.criteria": {
        Criterion.INVESTMENT.value: 40,
        Criterion.MILESTONES.value: 30,
        Criterion.PROBLEMS.value: 20,
        Criterion.VISITS.value: 10,
    },
    # behind plan: investment to date short of the plan to date by more than this share
    # of it (the list, the map's marks and the dispatch report put these first)
    "progress.behind_share": 0.2,
    # 周观摩: how many projects a week's visit list proposes ...
    "visit_list.size": 6,
    # ... and after how many days without a visit a project is due one
    "visit_list.not_visited_days": 60,
}


class SettingError(ValueError):
    """A setting's name or value is not one the rhythm knows; the message names it."""


def _number(name: str, value: Any, *, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SettingError(f"{name}: must be a number, not {value!r}")
    if math.isnan(float(value)) or not low <= float(value) <= high:
        raise SettingError(f"{name}: must be between {low:g} and {high:g}, not {value!r}")
    return value


def check_setting(name: str, value: Any) -> Any:
    """*value* if it is a valid value of setting *name*, else :class:`SettingError`."""
    if name not in DEFAULTS:
        raise SettingError(f"{name}: no such setting (known: {', '.join(sorted(DEFAULTS))})")
    if name == "ranking.criteria":
        if not isinstance(value, Mapping) or not value:
            raise SettingError(f"{name}: must map criteria to weights, e.g. {DEFAULTS[name]}")
        known = {c.value for c in Criterion}
        unknown = sorted(set(value) - known)
        if unknown:
            raise SettingError(
                f"{name}: unknown criteria {', '.join(unknown)} (known: {', '.join(sorted(known))})"
            )
        for criterion, weight in value.items():
            _number(f"{name}.{criterion}", weight, low=0, high=1000)
        if sum(float(w) for w in value.values()) <= 0:
            raise SettingError(f"{name}: the weights must not all be 0")
        return dict(value)
    if name == "progress.behind_share":
        return _number(name, value, low=0, high=1)
    if isinstance(value, bool) or not isinstance(value, int):
        raise SettingError(f"{name}: must be a whole number, not {value!r}")
    high = 100 if name == "visit_list.size" else 3650
    if not 1 <= value <= high:
        raise SettingError(f"{name}: must be between 1 and {high}, not {value!r}")
    return value


def in_force(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Every setting's value in force: *overrides* (name -> value) over the defaults
    (names no longer known are ignored)."""
    return DEFAULTS | {k: v for k, v in overrides.items() if k in DEFAULTS}

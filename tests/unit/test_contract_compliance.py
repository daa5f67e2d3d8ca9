"""No database: a supply contract's commitments judged against what was measured — met, or
short by how much, in the commitment's unit (parks.supervision.compliance). Expected
figures are worked by hand in each test."""

from __future__ import annotations

import pytest

from parks.supervision.compliance import (
    all_met,
    check,
    contract_checks,
    mu_of,
    per_mu,
    short_indicators,
)

#: 10 亩 in m² (1 亩 = 10000/15 m²).
TEN_MU_M2 = 10 * 10000 / 15


def _contract(**overrides) -> dict:
    return {
        "land_area_m2": TEN_MU_M2,
        "committed_investment_wan": 4000,  # 400 万元/亩 on 10 亩
        "plot_ratio_min": 1.0,
        "plot_ratio_max": 2.0,
        "building_coverage_min": 0.3,
        "office_share_max": 0.07,
        "committed_tax_wan_per_mu_year": None,
        **overrides,
    }


def _by_indicator(checks: list[dict]) -> dict[str, dict]:
    return {c["indicator"]: c for c in checks}


def test_mu_is_square_metres_times_15_over_10000():
    assert mu_of(10000) == 15
    assert mu_of(TEN_MU_M2) == pytest.approx(10)


def test_investment_intensity_3000_wan_on_10_mu_against_400_is_short_by_100():
    checks = contract_checks(
        _contract(),
        investment_wan=3000,
        plot_ratio=None,
        building_coverage=None,
        office_share=None,
        tax_per_mu=None,
    )
    investment = _by_indicator(checks)["investment_intensity"]
    # 3000 万元 ÷ 10 亩 = 300 万元/亩 against 4000 ÷ 10 = 400: short by 100
    assert investment["committed"] == 400
    assert investment["measured"] == 300
    assert investment["met"] is False and investment["short_by"] == 100
    assert investment["unit"] == "wan_per_mu" and investment["bound"] == "at_least"


def test_investment_reaching_the_commitment_is_met_with_no_shortfall():
    met = check("investment_intensity", committed=400, measured=400)
    assert met["met"] is True and met["short_by"] is None
    above = check("investment_intensity", committed=400, measured=450.5)
    assert above["met"] is True and above["short_by"] is None and above["measured"] == 450.5


def test_floating_point_noise_is_not_a_shortfall():
    # 10 亩 in m² is not exact in binary: a measure a hair under the commitment is met
    judged = check(
        "investment_intensity",
        committed=per_mu(4000, TEN_MU_M2),
        measured=per_mu(4000, TEN_MU_M2 * (1 + 1e-15)),
    )
    assert judged["met"] is True


def test_plot_ratio_0_9_against_min_1_0_is_short_by_0_1():
    judged = check("plot_ratio", committed=1.0, committed_max=2.0, measured=0.9)
    assert judged["met"] is False
    assert judged["short_by"] == 0.1  # 1.0 − 0.9, rounded past the binary noise
    assert judged["over_by"] is None and judged["unit"] == "ratio"


def test_plot_ratio_above_the_maximum_is_a_miss_reported_as_over_by():
    judged = check("plot_ratio", committed=1.0, committed_max=2.0, measured=2.3)
    assert judged["met"] is False
    assert judged["over_by"] == pytest.approx(0.3) and judged["short_by"] == judged["over_by"]


def test_plot_ratio_on_either_bound_is_met():
    for measured in (1.0, 1.7, 2.0):
        judged = check("plot_ratio", committed=1.0, committed_max=2.0, measured=measured)
        assert judged["met"] is True and judged["short_by"] is None and judged["over_by"] is None


def test_office_share_8_percent_against_7_percent_is_short_by_one_point():
    judged = check("office_share", committed=0.07, measured=0.08)
    assert judged["met"] is False and judged["short_by"] == 0.01
    assert judged["unit"] == "share" and judged["bound"] == "at_most"
    assert check("office_share", committed=0.07, measured=0.07)["met"] is True
    assert check("office_share", committed=0.07, measured=0.05)["met"] is True


def test_building_coverage_below_its_minimum_is_short_by_the_difference():
    judged = check("building_coverage", committed=0.3, measured=0.25)
    assert judged["met"] is False and judged["short_by"] == 0.05
    assert check("building_coverage", committed=0.3, measured=0.4)["met"] is True


def test_tax_per_mu_is_judged_only_where_the_contract_commits_to_one():
    without = contract_checks(
        _contract(),
        investment_wan=4000,
        plot_ratio=1.2,
        building_coverage=0.4,
        office_share=0.05,
        tax_per_mu=12.0,
    )
    assert "tax_per_mu" not in _by_indicator(without)
    with_one = contract_checks(
        _contract(committed_tax_wan_per_mu_year=15),
        investment_wan=4000,
        plot_ratio=1.2,
        building_coverage=0.4,
        office_share=0.05,
        tax_per_mu=12.0,
    )
    tax = _by_indicator(with_one)["tax_per_mu"]
    assert tax["committed"] == 15 and tax["measured"] == 12 and tax["short_by"] == 3
    assert tax["unit"] == "wan_per_mu_year"


def test_a_measure_not_taken_yet_is_neither_met_nor_short():
    judged = check("plot_ratio", committed=1.0, committed_max=2.0, measured=None)
    assert judged["met"] is None and judged["short_by"] is None and judged["measured"] is None


def test_a_commitment_the_contract_does_not_make_is_not_checked():
    checks = contract_checks(
        _contract(plot_ratio_min=None, plot_ratio_max=None, building_coverage_min=None),
        investment_wan=4000,
        plot_ratio=0.2,
        building_coverage=0.01,
        office_share=0.05,
        tax_per_mu=None,
    )
    assert [c["indicator"] for c in checks] == ["investment_intensity", "office_share"]


def test_a_plot_ratio_with_only_a_maximum_is_judged_against_it():
    checks = contract_checks(
        _contract(plot_ratio_min=None, plot_ratio_max=1.5),
        investment_wan=None,
        plot_ratio=1.8,
        building_coverage=None,
        office_share=None,
        tax_per_mu=None,
    )
    plot = _by_indicator(checks)["plot_ratio"]
    assert plot["committed"] is None and plot["committed_max"] == 1.5
    assert plot["met"] is False and plot["over_by"] == pytest.approx(0.3)


def test_all_met_is_false_on_any_miss_true_on_all_met_and_none_when_something_is_unmeasured():
    met = check("office_share", committed=0.07, measured=0.05)
    missed = check("office_share", committed=0.07, measured=0.08)
    unmeasured = check("plot_ratio", committed=1.0, measured=None)
    assert all_met([met, met]) is True
    assert all_met([met, missed, unmeasured]) is False
    assert all_met([met, unmeasured]) is None
    assert short_indicators([met, missed, unmeasured]) == ["office_share"]


def test_per_mu_of_nothing_or_no_land_is_unknown():
    assert per_mu(None, 100.0) is None
    assert per_mu(100, 0) is None
    assert per_mu(150, 10000) == pytest.approx(10)  # 10000 m² = 15 亩

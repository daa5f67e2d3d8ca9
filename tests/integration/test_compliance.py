"""Contract compliance (履约) on real PostGIS: each started supply contract's committed
investment intensity, plot ratio, building coverage, office share and 亩均税收 against what
progress reports, the completion acceptance and the holder's yearly figures measured —
met, or short by how much. Each test writes its own records with put_versions on a fresh
copy of the loaded sample — on parcels the sample's own supervision records leave alone,
under its own contract numbers and enterprises — and works the expected figures out by
hand."""

from __future__ import annotations

from datetime import date

import pytest
import support_supply as s

from parks.errors import InvalidParameter
from service.db.engine import make_engine
from service.supervision.compliance import compliance

pytestmark = pytest.mark.integration

#: 10 亩 and 20 亩 in m².
TEN_MU = 10 * s.M2_PER_MU
TWENTY_MU = 20 * s.M2_PER_MU


@pytest.fixture
def url(fresh_db_url):
    return fresh_db_url


@pytest.fixture
def free(url) -> s.FreeParcels:
    return s.prepare(url)


#: Every contract number the tests write (the sample's own are like GX-CR-2021-015).
MINE = {"INV", "DONE", "HIGH", "TAX", "A", "B", "SHORT", "MET", "NOT_STARTED", "LATER"}


def _compliance(url: str, **kwargs) -> list[dict]:
    """The compliance of the test's own contracts (in the order given)."""
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as conn:
            return [c for c in compliance(conn, **kwargs) if c["contract_no"] in MINE]
    finally:
        engine.dispose()


def _checks(contract: dict) -> dict[str, dict]:
    return {c["indicator"]: c for c in contract["checks"]}


def test_investment_intensity_3000_wan_on_10_mu_against_400_is_short_by_100(url, free):
    s.put(
        url,
        supply_contract=[
            s.contract("INV", free.jiangtan[0], land_area_m2=TEN_MU, committed_investment_wan=4000)
        ],
        site_progress=[
            s.progress("INV", date(2022, 10, 1), "start", investment_wan=800),
            s.progress("INV", date(2023, 6, 30), "report", investment_wan=3000),
            s.progress("INV", date(2023, 12, 31), "report", investment_wan=3900),
        ],
    )
    [contract] = _compliance(url, as_of=date(2023, 9, 1))
    assert contract["contract_no"] == "INV" and contract["stage"] == "progress"
    assert contract["started_on"] == "2022-10-01" and contract["completed_on"] is None
    assert contract["reported_on"] == "2023-06-30" and contract["report_kind"] == "report"
    assert contract["investment_reported_on"] == "2023-06-30"
    investment = _checks(contract)["investment_intensity"]
    # the latest report by as_of: 3000 万元 ÷ 10 亩 = 300 against 4000 ÷ 10 = 400
    assert investment["committed"] == 400 and investment["measured"] == 300
    assert investment["met"] is False and investment["short_by"] == 100
    assert investment["unit"] == "wan_per_mu"
    # the measures of the completion acceptance are not taken yet
    for indicator in ("plot_ratio", "building_coverage", "office_share"):
        assert _checks(contract)[indicator]["met"] is None
    assert contract["all_met"] is False and contract["short"] == ["investment_intensity"]
    [later] = _compliance(url, as_of=date(2024, 1, 1))
    assert _checks(later)["investment_intensity"]["short_by"] == 10  # 400 − 3900 ÷ 10


def test_a_completion_is_judged_on_the_plot_ratio_coverage_and_office_share_it_measured(url, free):
    s.put(
        url,
        supply_contract=[
            s.contract(
                "DONE",
                free.jiangtan[0],
                land_area_m2=TEN_MU,
                committed_investment_wan=4000,
                plot_ratio_min=1.0,
                plot_ratio_max=2.0,
                building_coverage_min=0.3,
                office_share_max=0.07,
            )
        ],
        site_progress=[
            s.progress("DONE", date(2022, 10, 1), "start", investment_wan=500),
            s.progress(
                "DONE",
                date(2024, 8, 20),
                "completion",
                investment_wan=4200,
                plot_ratio=0.9,
                building_coverage=0.35,
                office_share=0.08,
            ),
        ],
    )
    [contract] = _compliance(url, as_of=date(2024, 12, 31))
    assert contract["stage"] == "completion" and contract["completed_on"] == "2024-08-20"
    checks = _checks(contract)
    assert checks["investment_intensity"]["measured"] == 420
    assert checks["investment_intensity"]["met"] is True
    assert checks["plot_ratio"]["measured"] == 0.9 and checks["plot_ratio"]["short_by"] == 0.1
    assert checks["plot_ratio"]["committed"] == 1.0 and checks["plot_ratio"]["committed_max"] == 2.0
    assert checks["building_coverage"]["met"] is True
    # office share 8 % against 7 %: short by one point
    assert checks["office_share"]["met"] is False and checks["office_share"]["short_by"] == 0.01
    assert "tax_per_mu" not in checks  # the contract commits to no 亩均税收
    assert contract["all_met"] is False and contract["short"] == ["plot_ratio", "office_share"]


def test_a_plot_ratio_above_the_contract_maximum_is_out_of_compliance_over_by_the_excess(url, free):
    s.put(
        url,
        supply_contract=[
            s.contract("HIGH", free.jiangtan[0], plot_ratio_min=1.0, plot_ratio_max=2.0)
        ],
        site_progress=[
            s.progress("HIGH", date(2022, 10, 1), "start"),
            s.progress("HIGH", date(2024, 5, 1), "completion", plot_ratio=2.4, office_share=0.05),
        ],
    )
    [contract] = _compliance(url, as_of=date(2024, 12, 31))
    plot = _checks(contract)["plot_ratio"]
    assert plot["met"] is False and plot["over_by"] == pytest.approx(0.4)
    assert plot["short_by"] == plot["over_by"]


def test_tax_per_mu_comes_from_the_holders_figures_of_the_year_asked(url, free):
    s.put(
        url,
        enterprise=[s.enterprise("E-TAX", "宝鸡税收测试有限公司")],
        supply_contract=[
            # matched to the enterprise by the holder's name (no code on the contract)
            s.contract(
                "TAX",
                free.jiangtan[0],
                holder="宝鸡税收测试有限公司",
                land_area_m2=TEN_MU,
                committed_tax_wan_per_mu_year=12,
            )
        ],
        site_progress=[s.progress("TAX", date(2022, 10, 1), "start", investment_wan=4000)],
    )
    s.put(
        url,
        enterprise_figures=[
            s.figures("E-TAX", 2023, tax_wan=150),
            s.figures("E-TAX", 2024, tax_wan=90),
        ],
    )
    [in_2023] = _compliance(url, as_of=date(2025, 6, 30), year=2023)
    tax = _checks(in_2023)["tax_per_mu"]
    assert in_2023["enterprise_code"] == "E-TAX" and in_2023["year"] == 2023
    assert tax["committed"] == 12 and tax["measured"] == 15 and tax["met"] is True  # 150 ÷ 10
    # no year given: the year before as_of, 2024 — 90 万元 ÷ 10 亩 = 9, short by 3
    [default] = _compliance(url, as_of=date(2025, 6, 30))
    tax = _checks(default)["tax_per_mu"]
    assert default["year"] == 2024
    assert tax["measured"] == 9 and tax["met"] is False and tax["short_by"] == 3
    assert tax["unit"] == "wan_per_mu_year"
    # a year without figures: not measured
    [in_2022] = _compliance(url, as_of=date(2025, 6, 30), year=2022)
    assert _checks(in_2022)["tax_per_mu"]["measured"] is None
    assert _checks(in_2022)["tax_per_mu"]["met"] is None


def test_an_enterprise_holding_two_contracts_spreads_its_tax_over_all_its_land(url, free):
    s.put(
        url,
        enterprise=[s.enterprise("E-TWO", "宝鸡双地块有限公司")],
        supply_contract=[
            s.contract(
                "A",
                free.jiangtan[0],
                holder="宝鸡双地块有限公司",
                enterprise_code="E-TWO",
                land_area_m2=TEN_MU,
                committed_tax_wan_per_mu_year=25,
            ),
            s.contract(
                "B",
                free.jiangtan[1],
                holder="宝鸡双地块有限公司",
                enterprise_code="E-TWO",
                land_area_m2=TWENTY_MU,
                committed_tax_wan_per_mu_year=15,
            ),
        ],
        site_progress=[
            s.progress("A", date(2022, 10, 1), "start"),
            s.progress("B", date(2022, 10, 1), "start"),
        ],
    )
    s.put(url, enterprise_figures=[s.figures("E-TWO", 2024, tax_wan=600)])
    found = {c["contract_no"]: c for c in _compliance(url, as_of=date(2025, 3, 1))}
    # 600 万元 over 10 + 20 亩 = 20 万元/亩 on each: A (25) short by 5, B (15) met
    assert _checks(found["A"])["tax_per_mu"]["measured"] == 20
    assert _checks(found["A"])["tax_per_mu"]["short_by"] == 5
    assert _checks(found["B"])["tax_per_mu"]["met"] is True


def test_only_started_contracts_signed_by_as_of_are_judged_and_only_short_narrows_them(url, free):
    s.put(
        url,
        supply_contract=[
            s.contract(
                "SHORT", free.jiangtan[0], committed_investment_wan=4000, land_area_m2=TEN_MU
            ),
            s.contract("MET", free.gaoxin[0], park="gaoxin", committed_investment_wan=4000),
            s.contract("NOT_STARTED", free.jiangtan[1]),
            s.contract(
                "LATER",
                free.jiangtan[2],
                signed_on=date(2025, 1, 1),
                agreed_start_on=date(2025, 2, 1),
            ),
        ],
        site_progress=[
            s.progress("SHORT", date(2022, 10, 1), "start", investment_wan=1000),
            s.progress("MET", date(2022, 10, 1), "start", investment_wan=5000),
            s.progress("LATER", date(2025, 2, 1), "start", investment_wan=5000),
        ],
    )
    as_of = date(2024, 12, 31)
    assert [c["contract_no"] for c in _compliance(url, as_of=as_of)] == ["MET", "SHORT"]
    assert [c["contract_no"] for c in _compliance(url, as_of=as_of, only_short=True)] == ["SHORT"]
    assert [c["contract_no"] for c in _compliance(url, as_of=as_of, park="gaoxin")] == ["MET"]
    assert "LATER" in [c["contract_no"] for c in _compliance(url, as_of=date(2025, 2, 1))]
    assert _compliance(url, as_of=date(2022, 9, 30)) == []  # nothing started yet


def test_a_year_outside_the_figures_range_or_an_unknown_park_is_refused_naming_it(url):
    with pytest.raises(InvalidParameter) as refused:
        _compliance(url, as_of=date(2024, 1, 1), year=1800)
    assert refused.value.parameter == "year"
    with pytest.raises(InvalidParameter) as refused:
        _compliance(url, as_of=date(2024, 1, 1), park="xian")
    assert refused.value.parameter == "park"

"""The yearly 亩均效益 evaluation on real PostGIS: each enterprise's land (parcels held at the
year's end; the land share of leased standard-factory floor), its group, indicators,
score, rank and grade; admins' weights; per park totals; the low-efficiency land; a year
without figures refused. Data is built on a fresh copy of the loaded sample per test, and
every expected number is worked out here (by hand or with a few lines of plain Python)."""

from __future__ import annotations

from datetime import date

import pytest
import support_evaluation as se
from sqlalchemy import text

from parks.errors import InvalidParameter
from service.db.engine import make_engine
from service.supervision.evaluation import enterprise_evaluation, evaluate

pytestmark = pytest.mark.integration

#: A year no sample figures are for, whose end is after the sample was loaded.
YEAR = 2030


@pytest.fixture
def engine(fresh_db_url):
    engine = make_engine(fresh_db_url)
    yield engine
    engine.dispose()


def _by_code(result: dict) -> dict[str, dict]:
    return {e["enterprise_code"]: e for e in result["enterprises"]}


def _contract(no: str, parcel: dict, **values) -> dict:
    """The support's contract, signed and agreed in the years before YEAR."""
    dates = {
        "signed_on": date(YEAR - 3, 1, 10),
        "agreed_start_on": date(YEAR - 3, 6, 1),
        "agreed_completion_on": date(YEAR - 1, 6, 1),
    }
    return se.contract_row(no, parcel, **(dates | values))


# --- land and groups ----------------------------------------------------------------------------


def test_an_enterprise_on_leased_floor_gets_the_land_share_of_its_floor_in_its_own_group(
    engine, fresh_db_url
):
    # 1,200 m² leased in a building of 6,000 m² floor on a 3,000 m² parcel: plot ratio
    # 6000 / 3000 = 2, land share 1200 / 2 = 600 m² = 600 × 15 / 10000 = 0.9 亩.
    lessor, tenant = "评价测试厂房建设有限公司", "评价测试租户科技有限公司"
    footprint = se.rectangle_parcel(
        engine, code="EV-0001", park="gaoxin", width_m=50, height_m=60, holder=lessor
    )
    se.building_with_lease(
        fresh_db_url,
        building_code="EV-B001",
        park="gaoxin",
        parcel_code="EV-0001",
        footprint=footprint,
        floor_area_m2=6000,
        lease_id="EV-L001",
        tenant=tenant,
        leased_m2=1200,
        start_date="2026-01-01",
    )
    se.put(
        engine, "enterprise", [se.enterprise("EV-LESSOR", lessor), se.enterprise("EV-T", tenant)]
    )
    se.put(
        engine,
        "enterprise_figures",
        [
            se.figures("EV-LESSOR", YEAR, tax_wan=90, revenue_wan=900),
            se.figures("EV-T", YEAR, tax_wan=18, revenue_wan=180, rd_wan=9),
        ],
        kind="figures",
    )
    with engine.connect() as conn:
        result = evaluate(conn, year=YEAR)
        detail = enterprise_evaluation(conn, key=tenant, year=YEAR)
    found = _by_code(result)
    t = found["EV-T"]
    assert t["group"] == "leased_floor" and t["parcels"] == []
    assert t["land_m2"] == pytest.approx(600.0, abs=1e-6)
    assert t["land_mu"] == pytest.approx(0.9, abs=1e-9)
    assert t["leased_floor_m2"] == pytest.approx(1200.0)
    assert t["indicators"]["tax_per_mu"] == pytest.approx(18 / 0.9)  # 20 万元/亩
    assert t["indicators"]["rd_intensity"] == pytest.approx(9 / 180)
    # alone in its group: ranked 1st of 1; n = 1: A up to round(0.25) = 0, B up to 1
    assert (t["rank"], t["grade"]) == (1, "B")
    # the lessor holds the parcel: graded on all of it, in the land group, also alone
    holder = found["EV-LESSOR"]
    assert holder["group"] == "land" and holder["parcels"] == ["EV-0001"]
    assert holder["land_m2"] == pytest.approx(3000.0, abs=1e-6)
    assert (holder["rank"], holder["grade"]) == (1, "B")
    sizes = {g["code"]: g["enterprises"] for g in result["groups"]}
    assert sizes == {"land": 1, "leased_floor": 1}
    (lease,) = detail["land"]["leases"]
    assert lease["lease_id"] == "EV-L001" and lease["plot_ratio"] == pytest.approx(2.0)
    assert lease["land_share_m2"] == pytest.approx(600.0) and lease["land_share_mu"] == 0.9
    assert detail["land"]["parcels"] == []


def test_an_enterprise_holding_parcels_is_graded_on_their_area_with_the_score_worked_out(engine):
    with engine.connect() as conn:
        chosen = se.holders(conn, limit=3)
    assert len(chosen) == 3
    tax = [300.0, 120.0, 50.0]
    revenue = [3000.0, 6000.0, 1000.0]
    added = [800.0, 900.0, None]
    energy = [400.0, 300.0, 100.0]
    rd = [30.0, 300.0, 10.0]
    staff = [100, 90, 10]
    codes = se.with_codes(engine, chosen, prefix="EV-H")
    se.put(
        engine,
        "enterprise_figures",
        [
            se.figures(
                codes[i],
                YEAR,
                tax_wan=tax[i],
                revenue_wan=revenue[i],
                added_value_wan=added[i],
                energy_tce=energy[i],
                rd_wan=rd[i],
                employees=staff[i],
            )
            for i in range(3)
        ],
        kind="figures",
    )
    with engine.connect() as conn:
        result = evaluate(conn, year=YEAR)
    found = _by_code(result)
    indicators = []
    for i, h in enumerate(chosen):
        mu = h["land_mu"]
        indicators.append(
            {
                "tax_per_mu": tax[i] / mu,
                "revenue_per_mu": revenue[i] / mu,
                "added_value_per_tce": None if added[i] is None else added[i] / energy[i],
                "rd_intensity": rd[i] / revenue[i],
                "labour_productivity": None if added[i] is None else added[i] / staff[i],
            }
        )
    expected = se.scores_by_hand(indicators)
    for i, h in enumerate(chosen):
        e = found[codes[i]]
        assert e["group"] == "land" and e["park"] == h["park"]
        assert e["parcels"] == h["parcels"]
        assert e["land_m2"] == pytest.approx(h["land_m2"], abs=0.01)
        assert e["land_mu"] == pytest.approx(h["land_m2"] * 15 / 10000, abs=1e-4)
        for name, value in indicators[i].items():
            if value is None:
                assert e["indicators"][name] is None, name
            else:
                assert e["indicators"][name] == pytest.approx(value, rel=1e-5, abs=1e-6), name
        assert e["score"] == pytest.approx(expected[i], abs=1e-5)
    order = sorted(range(3), key=lambda i: -expected[i])
    assert [found[codes[i]]["rank"] for i in order] == [1, 2, 3]
    # n = 3: A up to round(0.75) = 1, B up to round(2.1) = 2, C up to round(2.85) = 3
    assert [found[codes[i]]["grade"] for i in order] == ["A", "B", "C"]
    assert [e["enterprise_code"] for e in result["enterprises"]] == [codes[i] for i in order]


def test_per_park_totals_add_up_each_parks_enterprises_and_their_grades(engine):
    with engine.connect() as conn:
        gaoxin = se.holders(conn, park="gaoxin", limit=2)
        jiangtan = se.holders(conn, park="jiangtan", limit=1)
    chosen = gaoxin + jiangtan
    taxes = [100.0, 40.0, 70.0]
    revenues = [1000.0, 800.0, 500.0]
    codes = se.with_codes(engine, chosen, prefix="EV-P")
    se.put(
        engine,
        "enterprise_figures",
        [se.figures(codes[i], YEAR, tax_wan=taxes[i], revenue_wan=revenues[i]) for i in range(3)],
        kind="figures",
    )
    with engine.connect() as conn:
        result = evaluate(conn, year=YEAR)
        only = evaluate(conn, year=YEAR, park="jiangtan")
    parks = {p["park"]: p for p in result["parks"]}
    assert set(parks) == {"caijiapo", "fengxiang", "gaoxin", "jiangtan"}
    land = sum(h["land_mu"] for h in gaoxin)
    g = parks["gaoxin"]
    assert g["enterprises"] == 2 and g["land_mu"] == pytest.approx(land, abs=1e-3)
    assert (g["tax_wan"], g["revenue_wan"]) == (140.0, 1800.0)
    assert g["tax_per_mu"] == pytest.approx(140.0 / land, rel=1e-5)
    assert g["revenue_per_mu"] == pytest.approx(1800.0 / land, rel=1e-5)
    grades = {e["enterprise_code"]: e["grade"] for e in result["enterprises"]}
    assert sum(g["grades"].values()) == 2
    assert g["grades"] == {k: [grades[codes[0]], grades[codes[1]]].count(k) for k in "ABCD"}
    assert parks["caijiapo"]["enterprises"] == 0 and parks["caijiapo"]["tax_per_mu"] is None
    # a park's view lists its own enterprises with the city-wide grades
    assert [p["park"] for p in only["parks"]] == ["jiangtan"]
    assert [e["enterprise_code"] for e in only["enterprises"]] == [codes[2]]
    assert only["enterprises"][0]["grade"] == grades[codes[2]]
    assert only["enterprises"][0]["rank"] == _by_code(result)[codes[2]]["rank"]


def test_weights_changed_by_an_admin_change_the_ranking(engine):
    with engine.connect() as conn:
        first, second = se.holders(conn, limit=2)
    # the first pays more tax per 亩, the second spends more of its revenue on R&D
    tax = [60.0 * first["land_mu"], 5.0 * second["land_mu"]]
    rd = [10.0, 400.0]
    w1, w2 = se.with_codes(engine, [first, second], prefix="EV-W")
    se.put(
        engine,
        "enterprise_figures",
        [
            se.figures(w1, YEAR, tax_wan=round(tax[0], 2), revenue_wan=1000, rd_wan=rd[0]),
            se.figures(w2, YEAR, tax_wan=round(tax[1], 2), revenue_wan=1000, rd_wan=rd[1]),
        ],
        kind="figures",
    )

    def indicators() -> list[dict]:
        return [
            {
                "tax_per_mu": round(tax[i], 2) / h["land_mu"],
                "revenue_per_mu": 1000 / h["land_mu"],
                "added_value_per_tce": None,
                "rd_intensity": rd[i] / 1000,
                "labour_productivity": None,
            }
            for i, h in enumerate((first, second))
        ]

    with engine.connect() as conn:
        before = _by_code(evaluate(conn, year=YEAR))
    by_default = se.scores_by_hand(indicators())
    assert by_default[0] > by_default[1]
    assert (before[w1]["rank"], before[w2]["rank"]) == (1, 2)
    assert before[w1]["score"] == pytest.approx(by_default[0], abs=1e-5)

    research = {
        "tax_per_mu": 10,
        "revenue_per_mu": 5,
        "added_value_per_tce": 5,
        "rd_intensity": 75,
        "labour_productivity": 5,
    }
    se.put(
        engine,
        "supervision_setting",
        [{"name": "evaluation.weights", "value": research}],
        kind="supervision_setting",
    )
    with engine.connect() as conn:
        result = evaluate(conn, year=YEAR)
    after = _by_code(result)
    by_research = se.scores_by_hand(indicators(), research)
    assert by_research[1] > by_research[0]
    assert (after[w1]["rank"], after[w2]["rank"]) == (2, 1)
    assert after[w2]["score"] == pytest.approx(by_research[1], abs=1e-5)
    assert result["settings"]["weights"] == research


# --- what is not graded, what is refused --------------------------------------------------------


def test_a_year_with_no_figures_is_refused_naming_the_year(engine):
    se.put(engine, "enterprise", [se.enterprise("EV-N1", "评价测试无数据公司")])
    se.put(engine, "enterprise_figures", [se.figures("EV-N1", YEAR, tax_wan=1)], kind="figures")
    with engine.connect() as conn, pytest.raises(InvalidParameter) as refused:
        evaluate(conn, year=YEAR - 11)
    assert refused.value.parameter == "year"
    assert str(YEAR - 11) in refused.value.message and str(YEAR) in refused.value.message


def test_an_enterprise_with_figures_but_no_land_is_listed_ungraded_with_the_reason(engine):
    se.put(engine, "enterprise", [se.enterprise("EV-U1", "评价测试无地公司")])
    se.put(
        engine,
        "enterprise_figures",
        [se.figures("EV-U1", YEAR, tax_wan=10), se.figures("EV-U2", YEAR, tax_wan=5)],
        kind="figures",
    )
    with engine.connect() as conn:
        result = evaluate(conn, year=YEAR)
        detail = enterprise_evaluation(conn, key="EV-U1", year=YEAR)
    assert result["enterprises"] == []
    reasons = {u["enterprise_code"]: u["reason"] for u in result["ungraded"]}
    assert reasons == {"EV-U1": "no_land", "EV-U2": "no_enterprise"}
    assert detail["graded"] is False and detail["reason"] == "no_land"


def test_a_year_that_ended_before_the_ledger_began_is_judged_on_the_land_first_recorded(engine):
    with engine.connect() as conn:
        (holder,) = se.holders(conn, limit=1)
        loaded = conn.execute(text("SELECT min(valid_from) FROM parcel_version")).scalar_one()
    (code,) = se.with_codes(engine, [holder], prefix="EV-OLD")
    se.put(engine, "enterprise_figures", [se.figures(code, 2020, tax_wan=10)], kind="figures")
    with engine.connect() as conn:
        result = evaluate(conn, year=2020)
    (e,) = result["enterprises"]
    assert e["land_m2"] == pytest.approx(holder["land_m2"], abs=0.01)
    assert result["land_as_of"] == loaded.isoformat()


# --- low-efficiency land ----------------------------------------------------------------------


def test_low_efficiency_land_lists_grade_d_parcels_underbuilt_and_idle_land_with_area(engine):
    with engine.connect() as conn:
        chosen = se.holders(conn, limit=4)
        taken = {c for h in chosen for c in h["parcels"]}
        others = se.parcels_without_contract(conn, avoid=list(taken), limit=3)
    underbuilt, idle, warned = others
    # four land enterprises, tax 40, 30, 20, 10 万元 per 亩; shares 25 each: n = 4 cuts at
    # 1, 2, 3: the last is D
    codes = se.with_codes(engine, chosen, prefix="EV-L")
    se.put(
        engine,
        "enterprise_figures",
        [
            se.figures(codes[i], YEAR, tax_wan=round((40 - 10 * i) * h["land_mu"], 2))
            for i, h in enumerate(chosen)
        ],
        kind="figures",
    )
    se.put(
        engine,
        "supervision_setting",
        [{"name": "evaluation.grade_shares", "value": {"A": 25, "B": 25, "C": 25, "D": 25}}],
        kind="supervision_setting",
    )
    se.put(
        engine,
        "supply_contract",
        [
            # completed at plot ratio 0.8 against a minimum of 1.2: 用而未尽
            _contract("EV-C1", underbuilt),
            # agreed to start on 1 June of the year before, never started: idle ≥ 1 year
            _contract("EV-C2", idle, agreed_start_on=date(YEAR - 1, 6, 1)),
            # agreed to start in January of the year: on 31 Dec only in warning, not idle
            _contract(
                "EV-C3",
                warned,
                signed_on=date(YEAR, 1, 2),
                agreed_start_on=date(YEAR, 1, 20),
                agreed_completion_on=date(YEAR + 2, 1, 20),
            ),
        ],
    )
    se.put(
        engine,
        "site_progress",
        [
            se.progress_row("EV-C1", date(YEAR - 3, 5, 20), "start", developed_area_m2=100),
            se.progress_row("EV-C1", date(YEAR, 5, 20), "completion", plot_ratio=0.8),
        ],
    )
    with engine.connect() as conn:
        result = evaluate(conn, year=YEAR)
    grades = {e["enterprise_code"]: e["grade"] for e in result["enterprises"]}
    assert grades == dict(zip(codes, "ABCD", strict=True))
    low = {i["parcel_code"]: i for i in result["low_efficiency"]}
    d_parcels = {c for c, i in low.items() if "grade_d" in i["reasons"]}
    assert d_parcels == set(chosen[3]["parcels"])
    assert low[underbuilt["parcel_code"]]["reasons"] == ["plot_ratio_below_contract"]
    assert low[underbuilt["parcel_code"]]["plot_ratio"] == pytest.approx(0.8)
    assert low[idle["parcel_code"]]["reasons"] == ["idle"]
    assert low[idle["parcel_code"]]["idle_stage"] == "idle_1y"
    assert warned["parcel_code"] not in low
    for parcel in (underbuilt, idle):
        item = low[parcel["parcel_code"]]
        assert item["area_m2"] == pytest.approx(parcel["area_m2"], abs=0.01)
        assert item["area_mu"] == pytest.approx(parcel["area_m2"] * 15 / 10000, abs=1e-4)
        assert item["park"] == parcel["park"]
    d = low[chosen[3]["parcels"][0]]
    assert d["grade"] == "D" and d["enterprise_code"] == codes[3]
    parks = {p["park"]: p for p in result["parks"]}
    for code, p in parks.items():
        mine = [i for i in low.values() if i["park"] == code]
        assert p["low_efficiency_parcels"] == len(mine)
        assert p["low_efficiency_mu"] == pytest.approx(
            sum(i["area_m2"] for i in mine) * 15 / 10000, abs=1e-3
        )

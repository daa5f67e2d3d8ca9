"""The monthly supervision report (月调度) of October 2026 for one park, recomputed here
from the records the test writes: idle land by stage (counts, land, fee), the changes
since the end of September (counts and areas then and now, the contracts that entered
or left a stage), new supplies and starts in the month, batches at risk, contracts out
of compliance; and the same figures written into the workbook (openpyxl) and the Word
document (python-docx). A copy of the loaded sample per module, with a park of the
test's own (the sample's parks carry supervision records of their own) and the records
below written once."""

from __future__ import annotations

from datetime import date, timedelta

import openpyxl
import pytest
from docx import Document
from sqlalchemy import text

from parks.errors import InvalidParameter
from service.changes.session import open_change_set
from service.db.engine import make_engine
from service.db.versioned_records import put_versions
from service.supervision.report import monthly_report
from service.supervision.report_docx import write_docx
from service.supervision.report_xlsx import SHEETS, TITLE_ROWS, write_xlsx

pytestmark = pytest.mark.integration

MONTH = "2026-10"
TODAY = date(2026, 12, 7)
AS_OF = date(2026, 10, 31)
PREVIOUS = date(2026, 9, 30)
#: A park of the test's own (parks are data): the sample's parks carry the sample's own
#: supervision records, which this test does not recompute.
PARK = "zz_report_test"
PARK_NAMES = ("测试园区", "Report test park")
#: The default idle.* settings (parks/supervision/settings.py), written out.
NO_START_DAYS, STOPPED_DAYS, WARNING_DAYS, RECOVERY_DAYS, FEE_SHARE = 365, 365, 90, 730, 0.20
#: The test park's parcels the contracts are on (a contract names its parcel by code), and
#: a sample parcel of Gaoxin.
JT = [f"ZT-{n:04d}" for n in range(1, 14)]
GX = "GX-0002"


def _contract(no: str, parcel: str, *, signed: date, start: date, price: float, area: float,
              park: str = PARK, batch: str | None = None, plot_ratio_min: float | None = None,
              invest: float = 1000.0) -> dict:  # fmt: skip
    return {
        "contract_no": no,
        "parcel_code": parcel,
        "park": park,
        "holder": f"{no}公司",
        "enterprise_code": None,
        "batch_no": batch,
        "signed_on": signed,
        "supply_mode": "grant",
        "price_wan": price,
        "land_area_m2": area,
        "agreed_start_on": start,
        "agreed_completion_on": start + timedelta(days=730),
        "committed_investment_wan": invest,
        "plot_ratio_min": plot_ratio_min,
        "plot_ratio_max": None,
        "building_coverage_min": None,
        "office_share_max": 0.07,
        "committed_tax_wan_per_mu_year": None,
        "document_no": f"DOC-{no}",
    }


def _progress(no: str, on: date, kind: str, *, developed: float | None = None,
              invested: float | None = None, plot_ratio: float | None = None) -> dict:  # fmt: skip
    return {
        "contract_no": no,
        "reported_on": on,
        "kind": kind,
        "developed_area_m2": developed,
        "investment_wan": invested,
        "plot_ratio": plot_ratio,
        "building_coverage": None,
        "office_share": None,
        "note": None,
    }


D = date
#: The contracts: the test park's C1…C15, and G1 in Gaoxin. Days on the no-start clock on 31
#: Oct / 30 Sep are (as_of − agreed start); each is at least 9 days from a threshold.
CONTRACTS = [
    _contract("ZC1", JT[0], signed=D(2025, 6, 1), start=D(2025, 12, 1), price=500, area=10_000),
    _contract("ZC2", JT[1], signed=D(2025, 4, 1), start=D(2025, 10, 15), price=800, area=20_000),
    _contract("ZC3", JT[2], signed=D(2024, 5, 1), start=D(2024, 10, 20), price=1200, area=30_000),
    _contract("ZC4", JT[3], signed=D(2024, 6, 1), start=D(2025, 1, 10), price=650.5, area=15_000),
    _contract("ZC5", JT[4], signed=D(2025, 5, 1), start=D(2025, 11, 10), price=300, area=8_000),
    _contract("ZC6", JT[5], signed=D(2025, 7, 1), start=D(2026, 1, 10), price=400, area=12_000),
    # started in the month: was idle ≥ 1 year at the end of September
    _contract("ZC7", JT[6], signed=D(2025, 2, 1), start=D(2025, 8, 1), price=900, area=25_000),
    # a government delay of 92 days (1 Oct – 31 Dec 2025) holds it in warning
    _contract("ZC8", JT[7], signed=D(2025, 3, 1), start=D(2025, 9, 1), price=700, area=18_000),
    # signed in the month (two new supplies), and one signed the month before
    _contract(
        "ZC9",
        JT[8],
        signed=D(2026, 10, 12),
        start=D(2027, 4, 1),
        price=450,
        area=9_000,
        batch="ZB1",
    ),  # fmt: skip
    _contract("ZC10", JT[9], signed=D(2026, 9, 20), start=D(2027, 3, 1), price=350, area=7_000),
    _contract("ZC13", JT[12], signed=D(2026, 10, 1), start=D(2026, 12, 1), price=600, area=11_000),
    # stalled: started, developed under ⅓, invested under 25 %, suspended 15 Sep 2025
    _contract(
        "ZC12",
        JT[10],
        signed=D(2024, 1, 1),
        start=D(2024, 3, 1),
        price=1000,
        area=20_000,
        invest=4000,
    ),  # fmt: skip
    # completed under the contract's minimum plot ratio: out of compliance
    _contract(
        "ZC15",
        JT[11],
        signed=D(2023, 1, 1),
        start=D(2023, 6, 1),
        price=2000,
        area=40_000,
        plot_ratio_min=1.0,
        invest=100,
    ),  # fmt: skip
    # another park
    _contract(
        "ZG1", GX, signed=D(2024, 6, 1), start=D(2025, 6, 1), price=999, area=5_000, park="gaoxin"
    ),  # fmt: skip
]
PROGRESS = [
    _progress("ZC7", D(2026, 10, 5), "start", developed=100.0, invested=10.0),
    _progress("ZC12", D(2024, 4, 1), "start", developed=500.0, invested=100.0),
    _progress("ZC12", D(2025, 9, 15), "suspension", developed=1000.0, invested=200.0),
    _progress("ZC15", D(2023, 6, 1), "start", developed=5000.0, invested=50.0),
    _progress(
        "ZC15", D(2025, 6, 1), "completion", developed=40_000.0, invested=4000.0, plot_ratio=0.8
    ),  # fmt: skip
]
DELAYS = [
    {
        "contract_no": "ZC8",
        "delay_from": D(2025, 10, 1),
        "delay_to": D(2025, 12, 31),
        "cause": "征地拆迁未完成",
        "document_no": "宝政函〔2025〕1号",
    }
]
BATCHES = [
    # approved in 2023: older than 730 days with land unsupplied: at risk
    {"batch_no": "ZB1", "park": PARK, "name": "2023年第1批次", "kind": "conversion",
     "approved_on": D(2023, 1, 10), "approved_area_m2": 30_000.0, "document_no": "陕政土批1号"},
    {"batch_no": "ZB2", "park": PARK, "name": "2026年第1批次", "kind": "conversion",
     "approved_on": D(2026, 1, 10), "approved_area_m2": 10_000.0, "document_no": "陕政土批2号"},
]  # fmt: skip
BATCH_PARCELS = [
    {"batch_no": "ZB1", "parcel_code": JT[8], "area_m2": 9_000.0},
    {"batch_no": "ZB1", "parcel_code": "ZT-0099", "area_m2": 21_000.0},
    {"batch_no": "ZB2", "parcel_code": "ZT-0098", "area_m2": 10_000.0},
]


# --- the rule, written out again -----------------------------------------------------------


def _overlap(delay: dict, start: date, end: date) -> int:
    first = max(delay["delay_from"], start)
    last = min(delay["delay_to"] or end, end)
    return max(0, (last - first).days + 1)


def _stage(days: int, threshold: int) -> str | None:
    if days >= RECOVERY_DAYS:
        return "idle_2y"
    if days >= threshold:
        return "idle_1y"
    if days >= threshold - WARNING_DAYS:
        return "warning"
    return None


def expected_stages(on: date, park: str = PARK) -> dict[str, str]:
    """contract -> stage on *on*, by the clocks written out for these records."""
    out = {}
    for c in CONTRACTS:
        if c["park"] != park:
            continue
        events = sorted(
            (
                p
                for p in PROGRESS
                if p["contract_no"] == c["contract_no"] and p["reported_on"] <= on
            ),
            key=lambda p: p["reported_on"],
        )
        if any(p["kind"] == "completion" for p in events):
            continue
        if not any(p["kind"] == "start" for p in events):
            clock_start, threshold = c["agreed_start_on"], NO_START_DAYS
        else:
            last = events[-1]
            short = (
                last["developed_area_m2"] < c["land_area_m2"] / 3
                or last["investment_wan"] < 0.25 * c["committed_investment_wan"]
            )
            if last["kind"] != "suspension" or not short:
                continue
            clock_start, threshold = last["reported_on"], STOPPED_DAYS
        delay = sum(
            _overlap(d, clock_start, on) for d in DELAYS if d["contract_no"] == c["contract_no"]
        )
        stage = _stage((on - clock_start).days - delay, threshold)
        if stage:
            out[c["contract_no"]] = stage
    return out


BY_NO = {c["contract_no"]: c for c in CONTRACTS}


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def db_url(databases, loaded_template) -> str:
    """A copy of the loaded sample with a park of the test's own and the records above,
    written in one change set."""
    from support_roles import app_url

    url = app_url(databases.create(template=loaded_template))
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO park (code, name_zh, name_en, boundary) VALUES (:code, :zh, "
                    ":en, ST_Multi(ST_Transform(ST_MakeEnvelope(107.90, 34.00, 107.95, 34.05, "
                    "4326), 4545)))"
                ),
                {"code": PARK, "zh": PARK_NAMES[0], "en": PARK_NAMES[1]},
            )
        with engine.begin() as conn:
            assert (
                conn.execute(
                    text(
                        "SELECT park FROM parcel_version "
                        "WHERE valid_to IS NULL AND parcel_code = :c"
                    ),
                    {"c": GX},
                ).scalar_one()
                == "gaoxin"
            )
            cs = open_change_set(conn, kind="supervision", reason="report test", actor="test")
            for table, rows in (
                ("approval_batch", BATCHES),
                ("approval_batch_parcel", BATCH_PARCELS),
                ("supply_contract", CONTRACTS),
                ("site_progress", PROGRESS),
                ("idle_delay", DELAYS),
            ):
                put_versions(conn, change_set_id=cs.id, table=table, rows=rows)
    finally:
        engine.dispose()
    return url


@pytest.fixture(scope="module")
def report(db_url) -> dict:
    engine = make_engine(db_url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as conn:
            return monthly_report(conn, month=MONTH, today=TODAY)
    finally:
        engine.dispose()


def _park(report: dict, park: str = PARK) -> dict:
    return next(s for s in report["parks"] if s["park"] == park)


# --- the figures --------------------------------------------------------------------------------


def test_the_report_is_as_of_the_months_last_day_against_the_last_day_before(report):
    assert (report["month"], report["as_of"], report["previous_as_of"]) == (
        MONTH,
        AS_OF.isoformat(),
        PREVIOUS.isoformat(),
    )
    assert report["month_zh"] == "2026年10月"
    assert [s["park"] for s in report["parks"]] == [
        "caijiapo",
        "fengxiang",
        "gaoxin",
        "jiangtan",
        PARK,
    ]
    assert (_park(report)["name_zh"], _park(report)["name_en"]) == PARK_NAMES


def test_idle_land_counts_land_and_fee_by_stage_are_the_clocks_recomputed(report):
    stages = expected_stages(AS_OF)
    # the fixture's intent, so that every stage is shown something
    assert stages == {
        "ZC1": "warning",
        "ZC2": "idle_1y",
        "ZC3": "idle_2y",
        "ZC4": "idle_1y",
        "ZC5": "warning",
        "ZC6": "warning",
        "ZC8": "warning",
        "ZC12": "idle_1y",
    }
    section = _park(report)["idle"]
    by_stage = {s["stage"]: s for s in section["by_stage"]}
    for stage in ("warning", "idle_1y", "idle_2y"):
        mine = [BY_NO[n] for n, s in stages.items() if s == stage]
        assert by_stage[stage]["count"] == len(mine), stage
        area = sum(c["land_area_m2"] for c in mine)
        assert by_stage[stage]["land_area_m2"] == pytest.approx(area)
        assert by_stage[stage]["land_area_mu"] == pytest.approx(area * 15 / 10000)
        fee = 0.0 if stage == "warning" else sum(FEE_SHARE * c["price_wan"] for c in mine)
        assert by_stage[stage]["fee_wan"] == pytest.approx(fee), stage
    assert section["count"] == len(stages)
    assert section["fee_wan"] == pytest.approx(
        sum(FEE_SHARE * BY_NO[n]["price_wan"] for n, s in stages.items() if s != "warning")
    )
    assert section["for_decision"] == 1  # C3, idle two years


def test_the_idle_list_gives_each_contracts_days_on_its_clock(report):
    listed = {i["contract_no"]: i for i in _park(report)["idle"]["list"]}
    assert listed["ZC2"]["days_on_clock"] == (AS_OF - D(2025, 10, 15)).days
    assert listed["ZC2"]["clock"] == "no_start" and listed["ZC2"]["stage_zh"] == "闲置满一年"
    # the government delay's 92 days do not count
    assert listed["ZC8"]["days_on_clock"] == (AS_OF - D(2025, 9, 1)).days - 92
    assert listed["ZC8"]["delay_days"] == 92
    assert listed["ZC12"]["clock"] == "stalled"
    assert listed["ZC12"]["days_on_clock"] == (AS_OF - D(2025, 9, 15)).days
    assert listed["ZC3"]["for_decision"] is True and listed["ZC3"]["stage"] == "idle_2y"
    assert listed["ZC3"]["holder"] == "ZC3公司" and listed["ZC3"]["parcel_code"] == JT[2]


def test_the_changes_since_last_month_are_the_stages_then_and_now_compared(report):
    then, now = expected_stages(PREVIOUS), expected_stages(AS_OF)
    changes = _park(report)["changes"]
    for row in changes["by_stage"]:
        stage = row["stage"]
        t = [BY_NO[n] for n, s in then.items() if s == stage]
        n = [BY_NO[n] for n, s in now.items() if s == stage]
        assert (row["then"]["count"], row["now"]["count"]) == (len(t), len(n)), stage
        assert row["change"]["count"] == len(n) - len(t)
        area_t = sum(c["land_area_m2"] for c in t)
        area_n = sum(c["land_area_m2"] for c in n)
        assert row["then"]["land_area_m2"] == pytest.approx(area_t)
        assert row["change"]["land_area_m2"] == pytest.approx(area_n - area_t)
    moves = {m["contract_no"]: (m["from_stage"], m["to_stage"]) for m in changes["moves"]}
    expected = {
        no: (then.get(no), now.get(no))
        for no in then.keys() | now.keys()
        if then.get(no) != now.get(no)
    }
    assert moves == expected
    # what the fixture means: C2 crossed the year, C3 the two years, C6 entered warning,
    # C7 started (left idle)
    assert expected == {
        "ZC2": ("warning", "idle_1y"),
        "ZC3": ("idle_1y", "idle_2y"),
        "ZC6": (None, "warning"),
        "ZC7": ("idle_1y", None),
    }
    entered = {r["stage"]: r["entered"] for r in changes["by_stage"]}
    left = {r["stage"]: r["left"] for r in changes["by_stage"]}
    assert entered == {"warning": 1, "idle_1y": 1, "idle_2y": 1}
    assert left == {"warning": 1, "idle_1y": 2, "idle_2y": 0}


def test_new_supplies_are_the_contracts_signed_in_the_month(report):
    signed = [
        c
        for c in CONTRACTS
        if c["park"] == PARK and D(2026, 10, 1) <= c["signed_on"] <= D(2026, 10, 31)
    ]
    supplies = _park(report)["supplies"]
    assert sorted(r["contract_no"] for r in supplies["list"]) == sorted(
        c["contract_no"] for c in signed
    )
    assert supplies["count"] == 2
    assert supplies["land_area_m2"] == pytest.approx(sum(c["land_area_m2"] for c in signed))
    assert supplies["list"][0]["supply_mode_zh"] == "出让"


def test_starts_are_the_start_reports_dated_in_the_month(report):
    starts = _park(report)["starts"]
    assert [(r["contract_no"], r["started_on"]) for r in starts["list"]] == [("ZC7", "2026-10-05")]
    assert starts["list"][0]["days_late"] == (D(2026, 10, 5) - D(2025, 8, 1)).days


def test_a_batch_older_than_two_years_with_land_unsupplied_is_at_risk(report):
    batches = _park(report)["batches"]
    assert [b["batch_no"] for b in batches["at_risk"]] == ["ZB1"]
    b1 = batches["at_risk"][0]
    # ZT-0009 (9,000 m²) has a contract signed 12 Oct 2026; ZT-0099 none
    assert b1["supplied_area_m2"] == pytest.approx(9_000.0)
    assert b1["unsupplied_area_m2"] == pytest.approx(21_000.0)
    assert batches["batches"] == 2
    assert batches["disposal_rate"] == pytest.approx(9_000.0 / 40_000.0)


def test_a_completion_under_the_minimum_plot_ratio_is_out_of_compliance(report):
    compliance = _park(report)["compliance"]
    out = {c["contract_no"]: c for c in compliance["out_of_compliance"]}
    assert "ZC15" in out
    short = {k["indicator"]: k for k in out["ZC15"]["short"]}
    assert short["plot_ratio"]["short_by"] == pytest.approx(1.0 - 0.8)
    assert short["plot_ratio"]["name_zh"] == "容积率"
    underbuilt = _park(report)["unbuilt"]["underbuilt"]
    assert [u["contract_no"] for u in underbuilt] == ["ZC15"]


def test_the_city_adds_up_the_parks(report):
    city, parks = report["city"], report["parks"]
    assert expected_stages(AS_OF, "gaoxin") == {"ZG1": "idle_1y"}
    assert "ZG1" in {i["contract_no"] for i in _park(report, "gaoxin")["idle"]["list"]}
    for key in ("count", "fee_wan", "land_area_m2", "for_decision"):
        assert city["idle"][key] == pytest.approx(sum(s["idle"][key] for s in parks)), key
    for part in ("supplies", "starts"):
        assert city[part]["count"] == sum(s[part]["count"] for s in parks), part
    assert city["batches"]["at_risk_count"] == sum(s["batches"]["at_risk_count"] for s in parks)

    def moved(moves):
        return sorted((m["contract_no"], m["from_stage"] or "", m["to_stage"] or "") for m in moves)

    assert moved(city["changes"]["moves"]) == moved(m for s in parks for m in s["changes"]["moves"])


def test_a_month_that_is_not_yyyy_mm_or_is_after_this_month_is_refused_naming_month(db_url):
    engine = make_engine(db_url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as conn:
            for month in ("2026-13", "26-10", "2026/10", "2027-01"):
                with pytest.raises(InvalidParameter) as refused:
                    monthly_report(conn, month=month, today=TODAY)
                assert refused.value.parameter == "month", month
    finally:
        engine.dispose()


def test_the_current_month_is_reported_as_of_today(db_url):
    engine = make_engine(db_url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as conn:
            report = monthly_report(conn, month="2026-12", today=TODAY)
    finally:
        engine.dispose()
    assert (report["as_of"], report["previous_as_of"]) == ("2026-12-07", "2026-11-30")


# --- the files --------------------------------------------------------------------------------


def _rows(ws) -> list[dict]:
    header = [c.value for c in ws[TITLE_ROWS + 1]]
    return [
        dict(zip(header, (c.value for c in row), strict=True))
        for row in ws.iter_rows(min_row=TITLE_ROWS + 2)
    ]


def test_the_workbook_holds_the_same_figures(report, tmp_path):
    out = tmp_path / "report.xlsx"
    write_xlsx(report, out)
    wb = openpyxl.load_workbook(out)
    assert list(wb.sheetnames) == list(SHEETS.values())
    summary = {r["园区"]: r for r in _rows(wb[SHEETS["summary"]])}
    mine = summary[PARK_NAMES[0]]
    stages = expected_stages(AS_OF)
    assert mine["预警（宗）"] == sum(1 for s in stages.values() if s == "warning") == 4
    assert mine["闲置满一年（宗）"] == sum(1 for s in stages.values() if s == "idle_1y") == 3
    assert mine["闲置满两年（宗）"] == 1
    assert mine["闲置费（万元）"] == pytest.approx(
        sum(FEE_SHARE * BY_NO[n]["price_wan"] for n, s in stages.items() if s != "warning")
    )
    assert mine["本月供地（宗）"] == 2 and mine["本月开工（宗）"] == 1
    assert mine["批而未供·逾期批次"] == 1
    assert mine["处置率"] == pytest.approx(9_000.0 / 40_000.0)
    parks = [r for name, r in summary.items() if name != "全市"]
    assert summary["全市"]["闲置满一年（宗）"] == sum(r["闲置满一年（宗）"] for r in parks)
    idle = {r["合同号"]: r for r in _rows(wb[SHEETS["idle"]])}
    assert idle["ZC3"]["阶段"] == "闲置满两年" and idle["ZC3"]["提请决定"] == "是"
    assert idle["ZC8"]["计时天数"] == (AS_OF - D(2025, 9, 1)).days - 92
    assert idle["ZC2"]["闲置费（万元）"] == pytest.approx(FEE_SHARE * 800)
    assert idle["ZC2"]["认定闲置日"].date() == D(2025, 10, 15) + timedelta(days=NO_START_DAYS)
    moves = {r["合同号"]: (r["上月阶段"], r["本月阶段"]) for r in _rows(wb[SHEETS["moves"]])}
    assert moves["ZC6"] == ("—", "预警") and moves["ZC7"] == ("闲置满一年", "—")
    supplies = sorted(r["合同号"] for r in _rows(wb[SHEETS["supplies"]]))
    assert supplies == ["ZC13", "ZC9"]
    assert "ZB1" in [r["批次号"] for r in _rows(wb[SHEETS["batches"]])]
    shorts = [(r["合同号"], r["指标"]) for r in _rows(wb[SHEETS["compliance"]])]
    assert ("ZC15", "容积率") in shorts


def test_the_word_document_holds_the_same_figures(report, tmp_path):
    out = tmp_path / "report.docx"
    write_docx(report, out)
    doc = Document(str(out))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    assert headings[0] == "园区土地监管月调度（2026年10月）"
    for heading in (
        "总览",
        "闲置土地",
        "较上月变化",
        "批而未供",
        "履约情况",
        "本月供地",
        "本月开工",
    ):
        assert heading in headings, heading
    summary = doc.tables[0]
    header = [c.text for c in summary.rows[0].cells]
    rows = {r.cells[0].text: [c.text for c in r.cells] for r in summary.rows[1:]}
    mine = dict(zip(header, rows[PARK_NAMES[0]], strict=True))
    assert mine["闲置满一年（宗）"] == "3" and mine["闲置满两年（宗）"] == "1"
    assert mine["本月供地（宗）"] == "2"
    fee = sum(
        FEE_SHARE * BY_NO[n]["price_wan"]
        for n, s in expected_stages(AS_OF).items()
        if s != "warning"
    )
    assert mine["闲置费（万元）"] == f"{fee:,.2f}"
    text_cells = {c.text for t in doc.tables for r in t.rows for c in r.cells}
    assert {"ZC3", "ZC8", "ZC15", "ZB1", "闲置满两年（提请决定）"} <= text_cells

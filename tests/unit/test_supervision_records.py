"""Land supervision's records as data: each body refuses what the ledger can't hold
(naming the field), and the checks that need no database — a contract's dates and
bounds, a progress report's date, kind and figures, a delay's dates, a batch's parcels
and areas — hold as the rules say. No database."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from parks.errors import InvalidRecord, Problem
from parks.operations import ChangeSetRequest, problems_from_errors
from parks.supervision.records import (
    BatchRecord,
    ContractRecord,
    ContractTerms,
    DelayRecord,
    ProgressKind,
    ProgressRecord,
    SettingChange,
    check_batch,
    check_contract,
    check_delay,
    check_progress,
    contract_row,
)

CONTRACT = {
    "contract_no": "宝高新出让(2024)015号",
    "parcel_code": "GX-0001",
    "signed_on": "2024-03-01",
    "supply_mode": "grant",
    "price_wan": 1500.0,
    "agreed_start_on": "2024-09-01",
    "agreed_completion_on": "2026-09-01",
    "committed_investment_wan": 30000,
    "plot_ratio_min": 1.2,
    "plot_ratio_max": 2.5,
    "reason": "出让合同录入",
}
TODAY = date(2026, 6, 30)


def _row(**changes) -> dict:
    record = ContractRecord.model_validate(CONTRACT | changes)
    return contract_row(
        record,
        parcel_code=record.parcel_code,
        park="gaoxin",
        holder="宝鸡钛业股份有限公司",
        supply_mode=record.supply_mode.value,
        signed_on=record.signed_on,
        land_area_m2=20_000.0,
    )


def _bad_fields(model, body: dict) -> set[str]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(body)
    return {".".join(str(p) for p in e["loc"]) for e in caught.value.errors()}


# --- contracts -------------------------------------------------------------------------------


def test_a_contract_takes_its_defaults_office_share_seven_per_cent_and_the_given_land():
    row = _row()
    assert row["office_share_max"] == 0.07
    assert row["land_area_m2"] == 20_000.0
    assert row["park"] == "gaoxin" and row["holder"] == "宝鸡钛业股份有限公司"
    assert row["signed_on"] == date(2024, 3, 1) and row["supply_mode"] == "grant"
    assert _row(land_area_m2=18_000.5)["land_area_m2"] == 18_000.5


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"agreed_start_on": "2024-02-29"}, "agreed_start_on"),
        ({"agreed_completion_on": "2024-08-31"}, "agreed_completion_on"),
        ({"plot_ratio_min": 2.6}, "plot_ratio_max"),
    ],
)
def test_a_contract_whose_dates_or_plot_ratios_disagree_is_refused_naming_the_field(changes, field):
    with pytest.raises(InvalidRecord) as caught:
        _row(**changes)
    assert caught.value.field == field
    assert caught.value.body()["error"] == "invalid_record"


def test_a_contract_may_start_on_its_signing_day_and_end_on_its_start_day():
    row = _row(agreed_start_on="2024-03-01", agreed_completion_on="2024-03-01")
    check_contract(row)
    assert _row(plot_ratio_min=2.5)["plot_ratio_min"] == 2.5  # min = max is a range


def test_the_supply_mode_names_grant_allocate_and_lease():
    with pytest.raises(ValidationError) as caught:
        ContractRecord.model_validate(CONTRACT | {"supply_mode": "sold"})
    message = str(caught.value)
    assert all(mode in message for mode in ("grant", "allocate", "lease"))


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"building_coverage_min": 1.01}, "building_coverage_min"),
        ({"building_coverage_min": -0.01}, "building_coverage_min"),
        ({"office_share_max": 7}, "office_share_max"),
        ({"price_wan": -1}, "price_wan"),
        ({"price_wan": "1500"}, "price_wan"),  # a number, not text
        ({"committed_investment_wan": True}, "committed_investment_wan"),
        ({"plot_ratio_min": 0}, "plot_ratio_min"),
        ({"plot_ratio_max": 1000}, "plot_ratio_max"),
        ({"land_area_m2": 0.5}, "land_area_m2"),
        ({"signed_on": 1709251200}, "signed_on"),  # seconds are not a date
        ({"signed_on": "2024-3-1"}, "signed_on"),
        ({"signed_on": "2024-03-01T00:00:00"}, "signed_on"),
        ({"contract_no": "a/b"}, "contract_no"),  # it is a path segment
        ({"holder": "甲\x00乙"}, "holder"),
        ({"enterprise_code": "91610301abc"}, "enterprise_code"),
        ({"reason": " "}, "reason"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_contract_field_of_the_wrong_form_is_refused_naming_it(changes, field):
    assert field in _bad_fields(ContractRecord, CONTRACT | changes)


def test_a_contract_without_a_reason_is_refused():
    body = {k: v for k, v in CONTRACT.items() if k != "reason"}
    assert "reason" in _bad_fields(ContractRecord, body)


def test_a_supplys_contract_takes_the_supplys_mode_day_and_parcel_area():
    terms = ContractTerms.model_validate(
        {k: v for k, v in CONTRACT.items() if k not in {"parcel_code", "reason", "signed_on"}}
        | {"supply_mode": None}
    )
    row = contract_row(
        terms,
        parcel_code="JT-0009",
        park="jiangtan",
        holder="宝鸡传感器有限公司",
        supply_mode="lease",
        signed_on=date(2024, 3, 5),
        land_area_m2=12_345.5,
    )
    assert (row["supply_mode"], row["signed_on"], row["land_area_m2"]) == (
        "lease",
        date(2024, 3, 5),
        12_345.5,
    )


def test_a_supplys_contract_naming_another_mode_is_refused():
    terms = ContractTerms.model_validate(
        {k: v for k, v in CONTRACT.items() if k not in {"parcel_code", "reason"}}
    )
    with pytest.raises(InvalidRecord) as caught:
        contract_row(
            terms,
            parcel_code="JT-0009",
            park="jiangtan",
            holder="x",
            supply_mode="lease",
            signed_on=date(2024, 3, 5),
            land_area_m2=1000.0,
        )
    assert caught.value.field == "supply_mode"


def test_a_bad_contract_in_a_supply_operation_is_a_problem_of_that_operation():
    supply = {"op": "supply", "parcel_code": "GX-0002", "holder": "甲公司", "mode": "grant"}
    contract = {
        "contract_no": "C-1",
        "price_wan": 10,
        "agreed_start_on": "2025-01-01",
        "agreed_completion_on": "2026-01-01",
        "committed_investment_wan": 100,
    }
    good = ChangeSetRequest.model_validate(
        {"kind": "supply", "reason": "供地", "operations": [supply | {"contract": contract}]}
    )
    assert good.operations[0].contract.contract_no == "C-1"
    body = {
        "kind": "supply",
        "reason": "供地",
        "operations": [
            {"op": "set_status", "parcel_code": "GX-0003", "status": "ready"},
            supply | {"contract": contract | {"office_share_max": 2}},
        ],
    }
    with pytest.raises(ValidationError) as caught:
        ChangeSetRequest.model_validate(body)
    errors = [{**e, "loc": tuple(e["loc"])} for e in caught.value.errors()]
    [problem] = problems_from_errors(errors)
    assert isinstance(problem, Problem) and problem.operation == 1
    assert problem.message.startswith("contract.office_share_max:")


# --- progress ----------------------------------------------------------------------------------

SIGNED = {"contract_no": "C-7", "signed_on": date(2024, 3, 1), "land_area_m2": 20_000.0}


def _progress(**fields) -> ProgressRecord:
    return ProgressRecord.model_validate({"reason": "月报"} | fields)


def _check(record: ProgressRecord, standing=()) -> None:
    check_progress(record, contract=SIGNED, standing=list(standing), today=TODAY)


def _start(on: str = "2024-10-01") -> dict:
    return {"reported_on": date.fromisoformat(on), "kind": "start"}


def test_a_report_before_the_signing_or_after_today_is_refused_naming_reported_on():
    for on in ("2024-02-29", "2026-07-01"):
        with pytest.raises(InvalidRecord) as caught:
            _check(_progress(reported_on=on, kind="start"))
        assert caught.value.field == "reported_on", on
    _check(_progress(reported_on="2024-03-01", kind="start"))  # the signing day
    _check(_progress(reported_on="2026-06-30", kind="report"))  # today


@pytest.mark.parametrize(
    "missing", ["plot_ratio", "building_coverage", "office_share", "investment_wan"]
)
def test_a_completion_without_each_measured_figure_is_refused_naming_it(missing):
    figures = {
        "plot_ratio": 1.6,
        "building_coverage": 0.42,
        "office_share": 0.05,
        "investment_wan": 31000,
    }
    del figures[missing]
    with pytest.raises(InvalidRecord) as caught:
        _check(_progress(reported_on="2026-05-01", kind="completion", **figures), [_start()])
    assert caught.value.field == missing


def test_a_completion_with_its_figures_after_the_start_is_accepted():
    record = _progress(
        reported_on="2026-05-01",
        kind="completion",
        plot_ratio=1.6,
        building_coverage=0.42,
        office_share=0.05,
        investment_wan=31000,
    )
    _check(record, [_start()])


def test_a_second_start_is_refused_but_the_same_start_again_is_a_correction():
    with pytest.raises(InvalidRecord) as caught:
        _check(_progress(reported_on="2024-11-01", kind="start"), [_start("2024-10-01")])
    assert caught.value.field == "kind"
    _check(_progress(reported_on="2024-10-01", kind="start", note="更正"), [_start("2024-10-01")])


@pytest.mark.parametrize("kind", ["suspension", "resumption", "completion"])
def test_a_stop_a_resumption_or_a_completion_before_any_start_is_refused(kind):
    figures = {"plot_ratio": 1, "building_coverage": 0.4, "office_share": 0.0, "investment_wan": 1}
    record = _progress(reported_on="2024-09-30", kind=kind, **figures)
    with pytest.raises(InvalidRecord) as caught:
        _check(record, [_start("2024-10-01")])  # the start is a day later
    assert caught.value.field == "kind"


def test_developed_land_beyond_the_contracts_land_is_refused():
    _check(
        _progress(reported_on="2025-01-01", kind="report", developed_area_m2=20_000.01), [_start()]
    )
    with pytest.raises(InvalidRecord) as caught:
        _check(
            _progress(reported_on="2025-01-01", kind="report", developed_area_m2=20_000.02),
            [_start()],
        )
    assert caught.value.field == "developed_area_m2"


def test_progress_kinds_are_the_five_the_ledger_knows():
    assert [k.value for k in ProgressKind] == [
        "start",
        "report",
        "suspension",
        "resumption",
        "completion",
    ]
    assert "kind" in _bad_fields(
        ProgressRecord, {"reported_on": "2025-01-01", "kind": "x", "reason": "r"}
    )


# --- delays ------------------------------------------------------------------------------------


def test_a_delay_ending_before_it_starts_or_starting_before_the_signing_is_refused():
    def delay(**fields):
        return DelayRecord.model_validate(
            {"cause": "规划调整", "document_no": "宝政函〔2025〕3号", "reason": "r"} | fields
        )

    check_delay(delay(delay_from="2025-01-01"), contract=SIGNED)  # still running
    check_delay(delay(delay_from="2025-01-01", delay_to="2025-01-01"), contract=SIGNED)
    with pytest.raises(InvalidRecord) as caught:
        check_delay(delay(delay_from="2025-01-02", delay_to="2025-01-01"), contract=SIGNED)
    assert caught.value.field == "delay_to"
    with pytest.raises(InvalidRecord) as caught:
        check_delay(delay(delay_from="2024-02-01"), contract=SIGNED)
    assert caught.value.field == "delay_from"


def test_a_delay_needs_its_document():
    body = {"delay_from": "2025-01-01", "cause": "规划调整", "reason": "r"}
    assert "document_no" in _bad_fields(DelayRecord, body)


# --- batches -----------------------------------------------------------------------------------

PARCELS = {
    "GX-0001": {"park": "gaoxin", "area_m2": 30_000.0},
    "GX-0002": {"park": "gaoxin", "area_m2": 20_000.0},
    "JT-0001": {"park": "jiangtan", "area_m2": 10_000.0},
}


def _batch(parcels, approved_area_m2=50_000.0, **fields) -> BatchRecord:
    return BatchRecord.model_validate(
        {
            "batch_no": "宝政土批〔2023〕12号",
            "park": "gaoxin",
            "name": "2023年度第十二批次",
            "kind": "conversion_expropriation",
            "approved_on": "2023-06-01",
            "approved_area_m2": approved_area_m2,
            "parcels": parcels,
            "reason": "批次录入",
        }
        | fields
    )


def test_a_batch_parcels_area_defaults_to_the_parcels_area():
    rows = check_batch(
        _batch([{"parcel_code": "GX-0001"}, {"parcel_code": "GX-0002", "area_m2": 5000}]),
        parcels=PARCELS,
        today=TODAY,
    )
    assert [(r["parcel_code"], r["area_m2"]) for r in rows] == [
        ("GX-0001", 30_000.0),
        ("GX-0002", 5000.0),
    ]


def test_a_batchs_parcels_may_exceed_the_approved_area_by_a_hundredth_of_a_m2_and_no_more():
    both = [{"parcel_code": "GX-0001"}, {"parcel_code": "GX-0002"}]  # 50,000 m²
    check_batch(_batch(both, approved_area_m2=49_999.99), parcels=PARCELS, today=TODAY)
    with pytest.raises(InvalidRecord) as caught:
        check_batch(_batch(both, approved_area_m2=49_999.98), parcels=PARCELS, today=TODAY)
    assert caught.value.field == "parcels"


@pytest.mark.parametrize(
    ("parcels", "field"),
    [
        ([{"parcel_code": "GX-0001"}, {"parcel_code": "GX-9999"}], "parcels[1].parcel_code"),
        ([{"parcel_code": "JT-0001"}], "parcels[0].parcel_code"),
        ([{"parcel_code": "GX-0002", "area_m2": 20_000.02}], "parcels[0].area_m2"),
    ],
)
def test_a_batch_parcel_unknown_in_another_park_or_larger_than_itself_is_refused(parcels, field):
    with pytest.raises(InvalidRecord) as caught:
        check_batch(_batch(parcels), parcels=PARCELS, today=TODAY)
    assert caught.value.field == field


def test_a_batch_approved_after_today_is_refused_and_a_parcel_listed_twice_too():
    with pytest.raises(InvalidRecord) as caught:
        check_batch(_batch([], approved_on="2026-07-01"), parcels=PARCELS, today=TODAY)
    assert caught.value.field == "approved_on"
    twice = [{"parcel_code": "GX-0001"}, {"parcel_code": "GX-0001"}]
    with pytest.raises(ValidationError):
        _batch(twice)


# --- settings ----------------------------------------------------------------------------------


def test_a_setting_change_takes_any_json_value_but_no_nul_character():
    assert SettingChange.model_validate({"value": {"A": 25}, "reason": "r"}).value == {"A": 25}
    assert "value" in _bad_fields(SettingChange, {"value": [{"code": "x\x00"}], "reason": "r"})
    assert "reason" in _bad_fields(SettingChange, {"value": 1})

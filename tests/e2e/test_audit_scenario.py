"""The audit end to end: a dated scenario of change sets through the HTTP API, then every
audit answer compared with an independent model of the land (shapely areas in EPSG:4545
of the sample GeoPackage, changed by the same operations).

The scenario runs once per module on its own copy of the loaded sample: split, rezone with
compensation, a refused rezone, retire with compensation (and a new parcel), an invalid
change set, a merge that gains industrial land, a refused retire carrying a new parcel, a
status change. After each step the moment is recorded (the database stamps change sets at
commit; nothing can be back-dated).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from fastapi.testclient import TestClient
from support_audit import (
    EMPTY,
    TOL_M2,
    LandModel,
    query,
    run_scenario,
    totals_mismatches,
)
from support_changes import GENESIS_HASH, hash_chain_problems
from support_reads import database_url, parcels, run_parks

pytestmark = pytest.mark.e2e

CITY_ZONE = ZoneInfo("Asia/Shanghai")
GROUPINGS = ["park", "land_use", "status", "park,land_use"]
EDITOR = "editor-audit-scenario"
DOCUMENT_NO = {"split": 1, "rezone": 2, "retire": 4, "merge": 6, "status": 8}


@pytest.fixture(scope="module")
def scenario_url(databases, loaded_template) -> str:
    return database_url(databases.create(template=loaded_template))


@pytest.fixture(scope="module")
def client(scenario_url):
    from service.api.app import create_app
    from service.settings import Settings

    with TestClient(create_app(Settings(database_url=scenario_url))) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def scenario(client, scenario_url):
    from sqlalchemy import create_engine, pool

    from service.auth.tokens import create_token

    engine = create_engine(scenario_url, poolclass=pool.NullPool)
    with engine.begin() as conn:
        token = create_token(conn, name=EDITOR, role="editor")
    engine.dispose()
    return run_scenario(client, {"Authorization": f"Bearer {token}"}, scenario_url)


def _totals(client, **params) -> dict:
    response = client.get("/api/audit/totals", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def _ledger(client, **params) -> dict:
    response = client.get("/api/audit/ledger", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def _committed_at(client, change_set_id: int) -> datetime:
    response = client.get(f"/api/change-sets/{change_set_id}")
    assert response.status_code == 200, response.text
    return datetime.fromisoformat(response.json()["committed_at"])


# --- totals as of a moment ---------------------------------------------------------------------


@pytest.mark.parametrize("group_by", GROUPINGS)
def test_totals_as_of_every_recorded_moment_match_the_independent_land_model(
    client, scenario, group_by
):
    for step in scenario.steps:
        body = _totals(client, as_of=step.at.isoformat(), group_by=group_by)
        assert body["group_by"] == group_by
        assert datetime.fromisoformat(body["as_of"]) == step.at
        assert totals_mismatches(body, step.model, group_by) == [], step.label


def test_the_scenario_really_moves_manufacturing_land_and_never_lowers_it(scenario):
    totals = [s.model.manufacturing()[0] for s in scenario.steps]
    assert all(b >= a - TOL_M2 for a, b in zip(totals, totals[1:], strict=False))
    assert totals[-1] > totals[0] + 1000  # the rezone, retire and merge each gained land


def test_totals_before_any_data_are_zeros_not_an_error(client, scenario):
    for as_of in ("2000-01-01T00:00:00Z", "2000-01-01", "1970-01-01T08:00:00+08:00"):
        body = _totals(client, as_of=as_of, group_by="park")
        assert body["rows"] == []
        assert body["city"]["parcels"] == 0
        assert body["city"]["area_m2"] == 0
        assert body["city"]["manufacturing_m2"] == 0
        assert body["city"]["manufacturing_mu"] == 0


def test_a_version_counts_from_its_change_sets_commit_moment_not_a_microsecond_before(
    client, scenario
):
    steps = scenario.steps
    for index, step in enumerate(steps):
        if step.change_set_id is None:
            continue
        at = _committed_at(client, step.change_set_id)
        previous = steps[index - 1].model
        before = _totals(client, as_of=(at - timedelta(microseconds=1)).isoformat())
        exactly = _totals(client, as_of=at.isoformat())
        assert totals_mismatches(before, previous, "park") == [], step.label
        assert totals_mismatches(exactly, step.model, "park") == [], step.label


def test_a_date_only_as_of_means_the_end_of_that_day_in_the_city_time_zone(client, scenario):
    last = scenario.steps[-1]
    day = last.at.astimezone(CITY_ZONE).date()
    body = _totals(client, as_of=day.isoformat())
    assert datetime.fromisoformat(body["as_of"]) == datetime(
        day.year, day.month, day.day, 23, 59, 59, 999999, tzinfo=CITY_ZONE
    )
    assert totals_mismatches(body, last.model, "park") == []
    first_day = scenario.steps[0].at.astimezone(CITY_ZONE).date()
    load_at = datetime.fromisoformat(_ledger(client, limit=1)["rows"][0]["at"])
    if load_at.astimezone(CITY_ZONE).date() == first_day:  # the sample was loaded today
        eve = _totals(client, as_of=(first_day - timedelta(days=1)).isoformat())
        assert totals_mismatches(eve, EMPTY, "park") == []


def test_as_of_defaults_to_now(client, scenario):
    before = datetime.now(UTC)
    body = _totals(client)
    assert before <= datetime.fromisoformat(body["as_of"]) <= datetime.now(UTC)
    assert body["group_by"] == "park"
    assert totals_mismatches(body, scenario.steps[-1].model, "park") == []


@pytest.mark.parametrize(
    "as_of",
    ["yesterday", "2025-13-01", "2025-12-31T25:00", "31/12/2025", "2025-12-31T10:00+25:00"],
)
def test_a_malformed_as_of_is_a_422_naming_the_parameter(client, as_of):
    response = client.get("/api/audit/totals", params={"as_of": as_of})
    assert response.status_code == 422, response.text
    assert response.json()["parameter"] == "as_of"


@pytest.mark.parametrize("group_by", ["parcel", "park,park", "park;land_use"])
def test_an_unknown_group_by_is_a_422_naming_the_parameter(client, group_by):
    response = client.get("/api/audit/totals", params={"group_by": group_by})
    assert response.status_code == 422, response.text
    assert response.json()["parameter"] == "group_by"


# --- the ledger --------------------------------------------------------------------------------


def test_every_committed_change_set_has_one_ledger_row_whose_deltas_and_totals_match_the_model(
    client, scenario
):
    body = _ledger(client, limit=1000)
    committed = scenario.committed
    assert body["total"] == 1 + len(committed) == len(body["rows"])
    assert [r["seq"] for r in body["rows"]] == list(range(1, body["total"] + 1))
    load = body["rows"][0]
    city0, parks0 = LandModel.from_sample().manufacturing()
    assert load["kind"] == "register"
    assert abs(load["delta_city_m2"] - city0) <= TOL_M2
    assert abs(load["total_city_m2"] - city0) <= TOL_M2
    for park, total in parks0.items():
        assert abs(load["total_parks_m2"][park] - total) <= TOL_M2
    previous = scenario.steps[0].model
    for row, step in zip(body["rows"][1:], committed, strict=True):
        assert row["change_set_id"] == step.change_set_id
        assert row["seq"] == step.ledger_seq
        assert row["actor"] == EDITOR
        assert row["document_no"] == f"宝政土批〔2026〕{DOCUMENT_NO[step.label]}号"
        city, parks = step.model.manufacturing()
        city_before, parks_before = previous.manufacturing()
        assert abs(row["delta_city_m2"] - (city - city_before)) <= TOL_M2, step.label
        assert abs(row["total_city_m2"] - city) <= TOL_M2, step.label
        assert abs(row["total_city_mu"] - city * 15 / 10000) <= TOL_M2
        for park in set(parks) | set(parks_before):
            delta = parks.get(park, 0.0) - parks_before.get(park, 0.0)
            assert abs(row["delta_parks_m2"][park] - delta) <= TOL_M2, (step.label, park)
            assert abs(row["total_parks_m2"][park] - parks.get(park, 0.0)) <= TOL_M2
        previous = step.model
    kinds = [r["kind"] for r in body["rows"][1:]]
    assert kinds == ["split", "rezone", "retire", "merge", "set_status"]


def test_the_ledger_hash_chain_recomputes_from_its_canonical_text(client, scenario, scenario_url):
    api_rows = _ledger(client, limit=1000)["rows"]
    columns = (
        "seq, at, actor, change_set_id, kind, document_no, delta_city_m2, total_city_m2, "
        "delta_parks, total_parks, high_water_city_m2, high_water_parks, row_format, "
        "prev_hash, hash"
    )
    names = [c.strip() for c in columns.split(",")]
    rows = [
        dict(zip(names, r, strict=True))
        for r in query(scenario_url, f"SELECT {columns} FROM ledger ORDER BY seq")
    ]
    assert hash_chain_problems(rows) == []
    assert rows[0]["prev_hash"] == GENESIS_HASH
    assert [r["hash"] for r in api_rows] == [r["hash"] for r in rows]
    assert [r["prev_hash"] for r in api_rows[1:]] == [r["hash"] for r in api_rows[:-1]]


def test_the_ledger_window_park_filter_and_paging_select_the_right_rows(client, scenario):
    seq = {s.label: s.ledger_seq for s in scenario.committed}
    after_split = _ledger(client, **{"from": scenario.step("split").at.isoformat()})
    assert [r["seq"] for r in after_split["rows"]] == [
        seq["rezone"],
        seq["retire"],
        seq["merge"],
        seq["status"],
    ]
    assert after_split["total"] == 4
    until_retire = _ledger(client, to=scenario.step("retire").at.isoformat())
    assert [r["seq"] for r in until_retire["rows"]] == [
        1,
        seq["split"],
        seq["rezone"],
        seq["retire"],
    ]
    window = _ledger(
        client,
        **{
            "from": scenario.step("split").at.isoformat(),
            "to": scenario.step("retire").at.isoformat(),
        },
    )
    assert [r["seq"] for r in window["rows"]] == [seq["rezone"], seq["retire"]]
    page = _ledger(client, limit=2, offset=2)
    assert [r["seq"] for r in page["rows"]] == [3, 4]
    assert page["total"] == 1 + len(scenario.committed)
    response = client.get("/api/audit/ledger", params={"park": "atlantis"})
    assert response.status_code == 422
    assert response.json()["parameter"] == "park"
    bad = client.get("/api/audit/ledger", params={"from": "not-a-date"})
    assert bad.status_code == 422 and bad.json()["parameter"] == "from"


def test_the_ledger_park_filter_lists_the_rows_that_moved_that_parks_land(client, scenario):
    """The split of a caijiapo parcel moves no land (its parts cover it): only rows whose
    park delta exceeds the 0.01 m² tolerance should be listed for the park."""
    steps = [scenario.steps[0], *scenario.committed]
    for park in ("caijiapo", "gaoxin", "jiangtan", "fengxiang"):
        expected = [1]
        for before, after in zip(steps, steps[1:], strict=False):
            moved = after.model.manufacturing()[1].get(park, 0) - before.model.manufacturing()[
                1
            ].get(park, 0)
            if abs(moved) > TOL_M2:
                expected.append(after.ledger_seq)
        found = [r["seq"] for r in _ledger(client, park=park)["rows"]]
        assert found == expected, park


# --- parcel history and lineage -------------------------------------------------------------


def _history(client, code: str) -> dict:
    response = client.get(f"/api/parcels/{code}/history")
    assert response.status_code == 200, response.text
    return response.json()


def test_a_rezoned_parcels_history_has_both_versions_with_contiguous_periods(client, scenario):
    code = scenario.picks["rezone"]["lost"]
    rezone = scenario.step("rezone")
    body = _history(client, code)
    assert body["parcel_code"] == code and body["current"] is True
    first, second = body["versions"]
    assert (first["land_use_code"], second["land_use_code"]) == ("0601", "0701")
    assert first["is_manufacturing"] is True and second["is_manufacturing"] is False
    at = _committed_at(client, rezone.change_set_id)
    assert datetime.fromisoformat(first["valid_to"]) == at
    assert datetime.fromisoformat(second["valid_from"]) == at
    assert second["valid_to"] is None
    assert first["ended_by_change_set"] == {"id": rezone.change_set_id, "kind": "rezone"}
    assert second["change_set"]["id"] == rezone.change_set_id
    assert second["change_set"]["document_no"] == "宝政土批〔2026〕2号"
    assert second["change_set"]["actor"] == EDITOR
    area = rezone.model.parcels[code].area_m2
    sample = parcels().set_index("parcel_code").loc[code]
    holder = (
        None
        if sample["holder"] is None or sample["holder"] != sample["holder"]
        else sample["holder"]
    )
    for version in (first, second):
        assert version["holder"] == holder
        assert version["status"] == sample["status"]
        assert abs(version["area_m2"] - area) <= TOL_M2
        assert abs(version["area_mu"] - area * 15 / 10000) <= TOL_M2
        assert version["park"] == "gaoxin"


def test_a_split_keeps_its_lineage_from_the_parent_to_the_parts(client, scenario):
    parent, parts = scenario.picks["split"]["parent"], scenario.picks["split"]["parts"]
    split = scenario.step("split")
    body = _history(client, parent)
    assert body["current"] is False
    assert len(body["versions"]) == 1
    assert body["versions"][0]["ended_by_change_set"]["id"] == split.change_set_id
    assert body["lineage"]["from"] == []
    assert body["lineage"]["became"] == [
        {"parcel_code": p, "kind": "split", "change_set_id": split.change_set_id} for p in parts
    ]
    for part in parts:
        child = _history(client, part)
        assert child["current"] is True
        assert child["lineage"]["from"] == [
            {"parcel_code": parent, "kind": "split", "change_set_id": split.change_set_id}
        ]
        (version,) = child["versions"]
        assert abs(version["area_m2"] - split.model.parcels[part].area_m2) <= TOL_M2


def test_a_merge_keeps_its_lineage_from_the_inputs_to_the_result(client, scenario):
    inputs, result = scenario.picks["merge"]["inputs"], scenario.picks["merge"]["result"]
    merge = scenario.step("merge")
    body = _history(client, result)
    assert [p["parcel_code"] for p in body["lineage"]["from"]] == sorted(inputs)
    assert {p["kind"] for p in body["lineage"]["from"]} == {"merge"}
    (version,) = body["versions"]
    assert version["land_use_code"] == "0601"
    assert abs(version["area_m2"] - merge.model.parcels[result].area_m2) <= TOL_M2
    for code in inputs:
        source = _history(client, code)
        assert source["current"] is False
        assert source["lineage"]["became"] == [
            {"parcel_code": result, "kind": "merge", "change_set_id": merge.change_set_id}
        ]


def test_a_retired_parcel_keeps_its_history_and_a_new_parcel_starts_one(client, scenario):
    retired, registered = (
        scenario.picks["retire"]["retired"],
        scenario.picks["retire"]["registered"],
    )
    retire, status = scenario.step("retire"), scenario.step("status")
    for code in retired:
        body = _history(client, code)
        assert body["current"] is False
        assert body["versions"][-1]["ended_by_change_set"] == {
            "id": retire.change_set_id,
            "kind": "retire",
        }
    body = _history(client, registered)
    assert [v["status"] for v in body["versions"]] == ["reserve", "ready"]
    assert [v["change_set"]["id"] for v in body["versions"]] == [
        retire.change_set_id,
        status.change_set_id,
    ]
    assert body["versions"][0]["valid_to"] == body["versions"][1]["valid_from"]


def test_history_of_a_never_recorded_parcel_is_404(client, scenario):
    for code in ("NOPE-0001", scenario.picks["refused_retire"]["registered"]):
        response = client.get(f"/api/parcels/{code}/history")
        assert response.status_code == 404, (code, response.text)


# --- refusals ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def auditor(scenario_url) -> dict[str, str]:
    """An auditor's headers: refusal details need the role whatever the read setting."""
    from sqlalchemy import create_engine, pool

    from service.auth.tokens import create_token

    engine = create_engine(scenario_url, poolclass=pool.NullPool)
    with engine.begin() as conn:
        token = create_token(conn, name="auditor-audit-scenario", role="auditor")
    engine.dispose()
    return {"Authorization": f"Bearer {token}"}


def test_refused_and_invalid_change_sets_are_logged_newest_first_with_the_shortfall(
    client, scenario, auditor
):
    body = client.get("/api/audit/refusals", headers=auditor).json()
    assert body["total"] == len(scenario.refused) == 3
    logged = body["rows"]
    assert [r["document_no"] for r in logged] == [r.document_no for r in reversed(scenario.refused)]
    by_doc = {r["document_no"]: r for r in logged}
    for refused in scenario.refused:
        row = by_doc[refused.document_no]
        assert row["actor"] == EDITOR
        assert row["error"] == refused.body["error"]
        assert row["message"] == refused.body["message"]
        if refused.status == 409:
            assert row["error"] == "manufacturing_land_would_decrease"
            assert row["scope"] == "city"
            assert abs(row["shortfall_m2"] - refused.expected_shortfall_m2) <= TOL_M2
            assert abs(row["shortfall_mu"] - refused.expected_shortfall_m2 * 15 / 10000) <= TOL_M2
            assert abs(refused.body["shortfall_m2"] - refused.expected_shortfall_m2) <= TOL_M2
        else:
            assert row["error"] == "invalid_change_set"
            assert row["shortfall_m2"] is None
        assert len(json.loads(row["body"])["operations"]) >= 1
    only_invalid = client.get(
        "/api/audit/refusals", params={"error": "invalid_change_set"}, headers=auditor
    ).json()
    assert only_invalid["total"] == 1


def test_the_land_data_of_a_refused_change_set_is_never_stored(client, scenario, scenario_url):
    codes = [scenario.picks["refused_rezone"]["lost"], scenario.picks["refused_rezone"]["gained"]]
    codes.append(scenario.picks["refused_retire"]["retired"])
    for code in codes:
        body = _history(client, code)
        assert len(body["versions"]) == 1 and body["current"] is True, code
    assert (
        query(scenario_url, "SELECT count(*) FROM parcel_version WHERE parcel_code = 'JT-R001'")[0][
            0
        ]
        == 0
    )
    documents = [r.document_no for r in scenario.refused]
    assert (
        query(
            scenario_url,
            "SELECT count(*) FROM change_set WHERE document_no = ANY(%s)",
            (documents,),
        )[0][0]
        == 0
    )


# --- verification -------------------------------------------------------------------------------


def test_verify_after_the_scenario_is_ok_and_its_totals_agree_with_the_model(
    client, scenario, scenario_url
):
    body = client.get("/api/audit/verify").json()
    assert body["problems"] == []
    assert body["ok"] is True and body["monotonic"] is True and body["chain_ok"] is True
    city = scenario.steps[-1].model.manufacturing()[0]
    assert abs(body["ledger_total_m2"] - city) <= TOL_M2
    assert abs(body["recomputed_total_m2"] - city) <= TOL_M2
    assert body["rows_checked"] == 1 + len(scenario.committed)
    assert (
        body["versions_checked"] == query(scenario_url, "SELECT count(*) FROM parcel_version")[0][0]
    )


def test_parks_audit_verify_exits_zero_on_a_clean_ledger(scenario, scenario_url):
    result = run_parks("audit", "verify", "--json", url=scenario_url)
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["ok"] is True and body["problems"] == []
    plain = run_parks("audit", "verify", url=scenario_url)
    assert plain.returncode == 0, plain.stderr
    assert "OK" in plain.stdout


# --- the report ---------------------------------------------------------------------------------

_CHINESE = re.compile(r"[\u4e00-\u9fff]")
_ENGLISH = re.compile(r"[A-Za-z]{2,}")
#: The one column whose values are the English class names: its header is English only.
ENGLISH_ONLY = {"Land use (en)"}
SHEETS = 6


def _bilingual(header: str) -> bool:
    if header in ENGLISH_ONLY:
        return True
    return bool(_CHINESE.search(header) and _ENGLISH.search(header))


def test_the_xlsx_report_opens_and_its_sums_match_the_api(client, scenario, scenario_url, tmp_path):
    merge = scenario.step("merge")
    out = tmp_path / "audit.xlsx"
    result = run_parks(
        "audit", "report", "--as-of", merge.at.isoformat(), "--out", str(out), url=scenario_url
    )
    assert result.returncode == 0, result.stderr
    wb = openpyxl.load_workbook(out)
    assert len(wb.sheetnames) == SHEETS
    totals_ws, series_ws, ledger_ws, refusals_ws, _digests_ws, verify_ws = (
        wb[n] for n in wb.sheetnames
    )
    assert all([c.value for c in ws[1] if c.value] for ws in wb.worksheets)

    api = _totals(client, as_of=merge.at.isoformat(), group_by="park,land_use")
    assert totals_mismatches(api, merge.model, "park,land_use") == []
    header = [c.value for c in totals_ws[1]]
    col = {name: header.index(name) for name in header}
    rows = [list(r) for r in totals_ws.iter_rows(min_row=2, values_only=True) if r[0]]
    data = [r for r in rows if r[0] in {"caijiapo", "fengxiang", "gaoxin", "jiangtan"}]
    (city,) = [r for r in rows if str(r[0]).startswith("全市")]
    mfg, area, count = (
        col["制造业用地 Manufacturing (m²)"],
        col["面积 Area (m²)"],
        col["宗数 Parcels"],
    )
    assert len(data) == len(api["rows"])
    assert abs(sum(r[mfg] for r in data) - api["city"]["manufacturing_m2"]) <= TOL_M2
    assert abs(city[mfg] - api["city"]["manufacturing_m2"]) <= TOL_M2
    assert abs(sum(r[area] for r in data) - api["city"]["area_m2"]) <= TOL_M2
    assert sum(r[count] for r in data) == city[count] == api["city"]["parcels"]
    for r, a in zip(data, api["rows"], strict=True):
        assert (r[0], r[1]) == (a["park"], a["land_use_code"])
        assert abs(r[mfg] - a["manufacturing_m2"]) <= TOL_M2

    ledger = _ledger(client, to=merge.at.isoformat(), limit=1000)["rows"]
    series = [r for r in series_ws.iter_rows(min_row=2, values_only=True) if r[0] is not None]
    assert (
        [r[0] for r in series] == [r["seq"] for r in ledger] == list(range(1, merge.ledger_seq + 1))
    )
    assert abs(series[-1][3] - merge.model.manufacturing()[0]) <= TOL_M2
    ledger_rows = [r for r in ledger_ws.iter_rows(min_row=2, values_only=True) if r[0] is not None]
    assert [r[-1] for r in ledger_rows] == [r["hash"] for r in ledger]
    assert [r[0] for r in ledger_rows] == [r["seq"] for r in ledger]
    refused = [r for r in refusals_ws.iter_rows(min_row=2, values_only=True) if r[0] is not None]
    refused_before = [r for r in scenario.refused if scenario.step(r.label).at <= merge.at]
    assert sorted(r[3] for r in refused) == sorted(r.document_no for r in refused_before)
    summary = {
        r[0]: r[1] for r in verify_ws.iter_rows(values_only=True) if r[0] and r[1] is not None
    }
    assert summary["结论 Result"] == "通过 OK"
    assert summary["哈希链 Hash chain intact"] is True


def test_every_xlsx_header_is_in_chinese_with_english(scenario, scenario_url, tmp_path):
    out = tmp_path / "headers.xlsx"
    result = run_parks("audit", "report", "--out", str(out), url=scenario_url)
    assert result.returncode == 0, result.stderr
    wb = openpyxl.load_workbook(out)
    assert all(_CHINESE.search(n) and _ENGLISH.search(n) for n in wb.sheetnames), wb.sheetnames
    monolingual = [
        (ws.title, c.value)
        for ws in wb.worksheets
        for c in ws[1]
        if c.value and not _bilingual(c.value)
    ]
    assert monolingual == []


def test_the_report_as_of_a_day_before_the_data_has_zero_totals(scenario, scenario_url, tmp_path):
    out = tmp_path / "audit-2025.xlsx"
    result = run_parks(
        "audit", "report", "--as-of", "2025-12-31", "--out", str(out), url=scenario_url
    )
    assert result.returncode == 0, result.stderr
    wb = openpyxl.load_workbook(out)
    totals_ws = wb[wb.sheetnames[0]]
    rows = [r for r in totals_ws.iter_rows(min_row=2, values_only=True) if r[0]]
    city = [r for r in rows if str(r[0]).startswith("全市")]
    assert len(city) == 1 and city[0][4] == 0 and city[0][8] == 0
    ledger_ws = wb[wb.sheetnames[2]]
    assert [r for r in ledger_ws.iter_rows(min_row=2, values_only=True) if r[0] is not None] == []


def test_the_csv_report_holds_the_totals_by_park_and_class(
    client, scenario, scenario_url, tmp_path
):
    import csv

    out = tmp_path / "audit.csv"
    at = scenario.steps[-1].at.isoformat()
    result = run_parks("audit", "report", "--as-of", at, "--out", str(out), url=scenario_url)
    assert result.returncode == 0, result.stderr
    with out.open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.reader(handle))
    header = lines[1]
    assert all(_bilingual(h) for h in header), header
    mfg = header.index("制造业用地 Manufacturing (m²)")
    data = [r for r in lines[2:] if r and not r[0].startswith("全市")]
    api = _totals(client, as_of=at, group_by="park,land_use")
    assert len(data) == len(api["rows"])
    assert abs(sum(float(r[mfg]) for r in data) - api["city"]["manufacturing_m2"]) <= TOL_M2
    (city,) = [r for r in lines if r and r[0].startswith("全市")]
    assert abs(float(city[mfg]) - scenario.steps[-1].model.manufacturing()[0]) <= TOL_M2


def test_a_report_of_another_format_is_refused_naming_the_option(scenario_url, tmp_path):
    result = run_parks("audit", "report", "--out", str(tmp_path / "audit.pdf"), url=scenario_url)
    assert result.returncode == 1
    assert "out" in result.stderr and not (tmp_path / "audit.pdf").exists()


def test_exact_parcel_coordinates_are_served_in_the_storage_crs(client, scenario):
    """The brief's way to get exact cadastral geometry for a split."""
    from shapely.geometry import shape

    code = scenario.picks["split"]["parts"][0]
    response = client.get(f"/api/parcels/{code}", params={"crs": "EPSG:4545"})
    assert response.status_code == 200, response.text[:300]
    geom = shape(response.json()["geometry"])
    expected = scenario.steps[-1].model.parcels[code].geom
    assert abs(geom.area - expected.area) <= TOL_M2


def test_a_report_with_a_malformed_as_of_is_refused_naming_the_option(scenario_url, tmp_path):
    out = tmp_path / "audit.xlsx"
    result = run_parks(
        "audit", "report", "--as-of", "31/12/2025", "--out", str(out), url=scenario_url
    )
    assert result.returncode == 1
    assert "as_of" in result.stderr and not out.exists()

"""批而未供, 供而未用 / 用而未尽 and 履约 over HTTP: GET /api/supervision/batches, /unbuilt and
/compliance answer with the figures worked out by hand for records written with
put_versions on a copy of the sample (on land its own supervision records leave alone, read
out of the answers by their own numbers); every bad parameter is a 422 naming it; reads
follow the read setting."""

from __future__ import annotations

from datetime import date

import pytest
import support_supply as s

pytestmark = pytest.mark.e2e

TEN_MU = 10 * s.M2_PER_MU


@pytest.fixture(scope="module")
def url(databases, loaded_template):
    """A copy of the sample with one batch, contracts late, under-built and short, and one
    enterprise's figures (written once; the requests only read)."""
    from support_roles import app_url

    url = app_url(databases.create(template=loaded_template))
    free = s.prepare(url)
    j1, j2, j3 = free.jiangtan[:3]
    g1 = free.gaoxin[0]
    s.put(
        url,
        enterprise=[s.enterprise("E-1", "宝鸡测试制造有限公司")],
        approval_batch=[
            s.batch("P-1", approved_on=date(2021, 3, 1), approved_area_m2=100_000),
            s.batch("G-1", park="gaoxin", approved_on=date(2024, 3, 1), approved_area_m2=20_000),
        ],
        approval_batch_parcel=[
            s.batch_parcel("P-1", j1, 40_000),
            s.batch_parcel("P-1", j3, 30_000),
            s.batch_parcel("G-1", g1, 20_000),
        ],
        supply_contract=[
            s.contract(
                "DONE",
                j1,
                enterprise_code="E-1",
                signed_on=date(2021, 6, 1),
                agreed_start_on=date(2021, 12, 1),
                land_area_m2=TEN_MU,
                committed_investment_wan=4000,
                committed_tax_wan_per_mu_year=12,
            ),
            s.contract(
                "LATE",
                j2,
                holder="宝鸡迟缓动工有限公司",
                signed_on=date(2023, 1, 10),
                agreed_start_on=date(2023, 6, 1),
                land_area_m2=12_000,
            ),
            s.contract(
                "G",
                g1,
                park="gaoxin",
                holder="宝鸡高新测试有限公司",
                signed_on=date(2024, 5, 1),
            ),
        ],
        site_progress=[
            s.progress("DONE", date(2022, 1, 10), "start", investment_wan=500),
            s.progress(
                "DONE",
                date(2024, 8, 20),
                "completion",
                investment_wan=3000,
                plot_ratio=0.9,
                building_coverage=0.4,
                office_share=0.08,
            ),
        ],
    )
    s.put(url, enterprise_figures=[s.figures("E-1", 2024, tax_wan=150)])
    return url


@pytest.fixture
def client(url, make_client):
    return make_client(url)


def _mine(rows: list[dict], key: str, *names: str) -> dict[str, dict]:
    """The rows whose *key* is one of *names* (the test's own records), by that key."""
    return {r[key]: r for r in rows if r[key] in names}


def test_batches_give_the_disposal_rate_and_the_batches_at_risk(client):
    response = client.get("/api/supervision/batches", params={"as_of": "2024-12-31"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["as_of"] == "2024-12-31" and body["lapse_days"] == 730
    found = _mine(body["batches"], "batch_no", "P-1", "G-1")
    # P-1: 40,000 of 100,000 m² supplied (contract DONE); approved 2021-03-01, over two years
    assert found["P-1"]["supplied_area_m2"] == 40_000
    assert found["P-1"]["unsupplied_area_m2"] == 60_000
    assert found["P-1"]["unsupplied_area_mu"] == 90
    assert found["P-1"]["disposal_rate"] == 0.4 and found["P-1"]["at_risk"] is True
    # G-1: all 20,000 m² supplied; young
    assert found["G-1"]["disposal_rate"] == 1.0 and found["G-1"]["at_risk"] is False
    # the totals, cohorts and parks are those of the batches listed, recounted here
    rows = body["batches"]
    approved = sum(b["approved_area_m2"] for b in rows)
    supplied = sum(b["supplied_area_m2"] for b in rows)
    assert body["totals"]["batches"] == len(rows)
    assert body["totals"]["approved_area_m2"] == pytest.approx(approved, abs=0.01 * len(rows))
    assert body["totals"]["supplied_area_m2"] == pytest.approx(supplied, abs=0.01 * len(rows))
    assert body["totals"]["disposal_rate"] == pytest.approx(supplied / approved, abs=1e-6)
    assert {c["year"]: c["batches"] for c in body["by_year"]} == {
        year: sum(1 for b in rows if b["approved_on"].startswith(str(year)))
        for year in {int(b["approved_on"][:4]) for b in rows}
    }
    assert {p["park"] for p in body["by_park"]} == {b["park"] for b in rows}
    at_risk = client.get(
        "/api/supervision/batches", params={"as_of": "2024-12-31", "at_risk": "true"}
    ).json()
    assert list(_mine(at_risk["batches"], "batch_no", "P-1", "G-1")) == ["P-1"]
    assert [b["batch_no"] for b in at_risk["batches"]] == [
        b["batch_no"] for b in rows if b["at_risk"]
    ]
    gaoxin = client.get(
        "/api/supervision/batches", params={"as_of": "2024-12-31", "park": "gaoxin"}
    ).json()
    assert list(_mine(gaoxin["batches"], "batch_no", "P-1", "G-1")) == ["G-1"]
    assert {b["park"] for b in gaoxin["batches"]} == {"gaoxin"}


def test_unbuilt_lists_land_not_started_and_land_built_under_its_plot_ratio(client):
    body = client.get("/api/supervision/unbuilt", params={"as_of": "2024-12-31"}).json()
    late = _mine(body["unstarted"], "contract_no", "LATE", "G", "DONE")
    # LATE: agreed start 2023-06-01, nothing reported; G: agreed start 2024-11-01, not yet
    assert set(late) == {"LATE", "G"}
    assert late["LATE"]["days_late"] == (date(2024, 12, 31) - date(2023, 6, 1)).days
    assert late["LATE"]["land_area_mu"] == 18  # 12,000 m² × 15 / 10,000
    under = _mine(body["underbuilt"], "contract_no", "LATE", "G", "DONE")
    assert list(under) == ["DONE"]
    assert under["DONE"]["plot_ratio"] == 0.9 and under["DONE"]["plot_ratio_min"] == 1.0
    assert under["DONE"]["short_by"] == 0.1
    assert body["totals"]["unstarted"] == len(body["unstarted"])
    assert body["totals"]["underbuilt"] == len(body["underbuilt"])
    jiangtan = client.get(
        "/api/supervision/unbuilt", params={"as_of": "2024-12-31", "park": "jiangtan"}
    ).json()
    assert list(_mine(jiangtan["unstarted"], "contract_no", "LATE", "G")) == ["LATE"]
    assert {u["park"] for u in jiangtan["unstarted"]} == {"jiangtan"}


def test_compliance_gives_each_commitment_met_or_short_by_how_much(client):
    body = client.get(
        "/api/supervision/compliance", params={"as_of": "2025-03-01", "only_short": "true"}
    ).json()
    assert body["year"] == 2024 and body["as_of"] == "2025-03-01"
    contract = _mine(body["contracts"], "contract_no", "DONE")["DONE"]
    assert contract["stage"] == "completion"
    checks = {c["indicator"]: c for c in contract["checks"]}
    # 3000 万元 on 10 亩 = 300 万元/亩 against 400: short by 100
    assert checks["investment_intensity"]["short_by"] == 100
    assert checks["plot_ratio"]["short_by"] == 0.1
    assert checks["office_share"]["short_by"] == 0.01
    assert checks["building_coverage"]["met"] is True
    # 150 万元 of tax in 2024 on 10 亩 = 15 against 12: met
    assert checks["tax_per_mu"]["measured"] == 15 and checks["tax_per_mu"]["met"] is True
    assert contract["short"] == ["investment_intensity", "plot_ratio", "office_share"]
    # the summary counts the contracts listed: every one of them short
    listed = body["contracts"]
    assert all(c["all_met"] is False for c in listed)
    assert body["summary"]["contracts"] == body["summary"]["short"] == len(listed)
    assert body["summary"]["short_by_stage"] == {
        stage: sum(1 for c in listed if c["stage"] == stage) for stage in ("completion", "progress")
    }
    assert body["summary"]["short_by_indicator"]["plot_ratio"] == sum(
        1 for c in listed if "plot_ratio" in c["short"]
    )
    in_2023 = client.get(
        "/api/supervision/compliance", params={"as_of": "2025-03-01", "year": 2023}
    ).json()
    contract = _mine(in_2023["contracts"], "contract_no", "DONE")["DONE"]
    assert in_2023["year"] == 2023
    assert {c["indicator"]: c for c in contract["checks"]}["tax_per_mu"]["measured"] is None


def test_as_of_defaults_to_today(client):
    today = date.today()
    body = client.get("/api/supervision/unbuilt").json()
    assert body["as_of"] == today.isoformat()
    assert client.get("/api/supervision/batches").json()["as_of"] == today.isoformat()
    body = client.get("/api/supervision/compliance").json()
    assert body["as_of"] == today.isoformat() and body["year"] == today.year - 1


@pytest.mark.parametrize(
    ("path", "query", "parameter"),
    [
        ("/api/supervision/batches", "as_of=2024-02-30", "as_of"),
        ("/api/supervision/batches", "as_of=yesterday", "as_of"),
        ("/api/supervision/batches", "as_of=1066-10-14", "as_of"),
        ("/api/supervision/batches", "park=xian", "park"),
        ("/api/supervision/batches", "at_risk=perhaps", "at_risk"),
        ("/api/supervision/unbuilt", "as_of=2024-13-01", "as_of"),
        ("/api/supervision/unbuilt", "park=xian", "park"),
        ("/api/supervision/compliance", "year=1800", "year"),
        ("/api/supervision/compliance", "year=twenty", "year"),
        ("/api/supervision/compliance", "as_of=9999-12-31", "as_of"),
        ("/api/supervision/compliance", "only_short=maybe", "only_short"),
        ("/api/supervision/compliance", "park=xian", "park"),
    ],
)
def test_a_bad_parameter_is_422_naming_it(client, path, query, parameter):
    response = client.get(f"{path}?{query}")
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "invalid_parameter" and body["parameter"] == parameter


def test_reads_need_a_token_where_the_setting_says_so(url, make_client, make_token):
    guarded = make_client(url, reads_need_token=True)
    for path in ("batches", "unbuilt", "compliance"):
        assert guarded.get(f"/api/supervision/{path}").status_code == 401
        answer = guarded.get(f"/api/supervision/{path}", headers=make_token(url, "viewer"))
        assert answer.status_code == 200, answer.text

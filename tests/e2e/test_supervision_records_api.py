"""Writing land supervision's records through the API — supply contracts, progress on the
ground, government-caused delays, approval batches and settings — on a real PostGIS
through the app: each write one change set (reason, document number, the caller as its
actor) with its zero-delta ledger row; a correction keeps the old version in its history;
every rule the records obey is a 422 naming the field; who may write what (viewers and
nobody may not; only an admin sets a setting; an official limited to a park writes only
its records).

Expected figures are computed here from what the test reads with its own SQL (the
parcel's area, m² in EPSG:4545; 亩 = m² × 15 / 10000)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, create_engine, text
from support_changes import url_for

from service.audit.verify import verify

pytestmark = pytest.mark.e2e

CONTRACTS = "/api/supervision/contracts"


@pytest.fixture(scope="module")
def db_url(databases, loaded_template):
    """A copy of the loaded sample for this module's writes (each test names its own
    contracts and batches, so they don't meet)."""
    return url_for(databases.create(template=loaded_template))


@dataclass
class Api:
    """The app on the module's database, a token per role, and our own engine."""

    client: object
    tokens: dict[str, dict[str, str]]
    names: dict[str, str]
    engine: Engine

    def post(self, path: str, body: dict, role: str = "editor"):
        return self.client.post(path, json=body, headers=self.tokens[role])

    def created(self, path: str, body: dict, role: str = "editor") -> dict:
        response = self.post(path, body, role)
        assert response.status_code == 201, response.text
        return response.json()

    def refused(self, path: str, body: dict, *, status: int = 422, role: str = "editor") -> dict:
        before = self.change_sets()
        response = self.post(path, body, role)
        assert response.status_code == status, response.text
        assert self.change_sets() == before  # nothing stored
        return response.json()

    def change_sets(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM change_set")).scalar_one()

    def one(self, sql: str, **params):
        with self.engine.connect() as conn:
            return conn.execute(text(sql), params).mappings().one()

    def all(self, sql: str, **params) -> list[dict]:
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(text(sql), params).mappings()]


@pytest.fixture
def api(db_url, make_client, make_token):
    suffix = uuid.uuid4().hex[:6]
    names = {role: f"{role}-监管-{suffix}" for role in ("editor", "approver", "admin", "viewer")}
    tokens = {role: make_token(db_url, role, name=name) for role, name in names.items()}
    engine = create_engine(db_url, pool_size=2, max_overflow=0)
    yield Api(make_client(db_url), tokens, names, engine)
    engine.dispose()


def _number(prefix: str = "合同") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _parcel(api: Api, park: str = "gaoxin", offset: int = 0) -> dict:
    """A standing supplied parcel of *park* with a holder: its code, park, holder, area."""
    return api.one(
        "SELECT parcel_code, park, holder, area_m2 FROM parcel_version "
        "WHERE valid_to IS NULL AND park = :park AND status = 'supplied' AND holder IS NOT NULL "
        "ORDER BY parcel_code OFFSET :offset LIMIT 1",
        park=park,
        offset=offset,
    )


def _contract(parcel_code: str, contract_no: str | None = None, **fields) -> dict:
    return {
        "contract_no": contract_no or _number(),
        "parcel_code": parcel_code,
        "signed_on": "2023-04-10",
        "supply_mode": "grant",
        "price_wan": 1650.25,
        "agreed_start_on": "2023-10-10",
        "agreed_completion_on": "2025-10-10",
        "committed_investment_wan": 42000,
        "plot_ratio_min": 1.2,
        "plot_ratio_max": 2.8,
        "building_coverage_min": 0.35,
        "reason": "录入出让合同",
        "document_no": "宝高新出让〔2023〕17号",
    } | fields


def _recorded(api: Api, **fields) -> dict:
    """A contract recorded on a supplied gaoxin parcel; its body's ``contract``."""
    parcel = _parcel(api)
    return api.created(CONTRACTS, _contract(parcel["parcel_code"], **fields))["contract"]


# --- contracts ---------------------------------------------------------------------------------


def test_a_contract_is_recorded_with_its_parcels_park_holder_and_area_in_a_change_set(api):
    parcel = _parcel(api, "jiangtan")
    body = _contract(parcel["parcel_code"])
    out = api.created(CONTRACTS, body)
    contract, change_set_id = out["contract"], out["change_set_id"]
    mu = parcel["area_m2"] * 15 / 10000
    assert contract["contract_no"] == body["contract_no"]
    assert (contract["park"], contract["holder"]) == ("jiangtan", parcel["holder"])
    assert contract["land_area_m2"] == parcel["area_m2"]
    assert contract["land_area_mu"] == pytest.approx(mu, rel=1e-12)
    assert contract["investment_intensity_wan_per_mu"] == pytest.approx(42000 / mu, rel=1e-12)
    assert contract["office_share_max"] == 0.07 and contract["price_wan"] == 1650.25
    assert contract["change_set_id"] == change_set_id
    change_set = api.one(
        "SELECT kind, reason, document_no, actor FROM change_set WHERE id = :id", id=change_set_id
    )
    assert dict(change_set) == {
        "kind": "supervision",
        "reason": "录入出让合同",
        "document_no": "宝高新出让〔2023〕17号",
        "actor": api.names["editor"],
    }
    ledger = api.all("SELECT delta_city_m2 FROM ledger WHERE change_set_id = :id", id=change_set_id)
    assert ledger == [{"delta_city_m2": 0.0}]
    listed = api.client.get(CONTRACTS, params={"parcel": parcel["parcel_code"]}).json()
    assert contract in listed
    with api.engine.connect() as conn:
        assert verify(conn).ok


def test_a_contract_names_its_own_holder_and_area_when_they_differ_from_the_parcels(api):
    parcel = _parcel(api)
    contract = api.created(
        CONTRACTS,
        _contract(parcel["parcel_code"], holder="宝鸡某某钛材有限公司", land_area_m2=6000.0),
    )["contract"]
    assert (contract["holder"], contract["land_area_m2"]) == ("宝鸡某某钛材有限公司", 6000.0)
    assert contract["land_area_mu"] == pytest.approx(9.0)


def test_a_contract_for_an_unknown_parcel_is_422_naming_parcel_code(api):
    body = api.refused(CONTRACTS, _contract("GX-0000X"))
    assert (body["error"], body["field"]) == ("invalid_record", "parcel_code")


@pytest.mark.parametrize(
    ("fields", "name"),
    [
        ({"agreed_start_on": "2023-04-09"}, "agreed_start_on"),  # before the signing
        ({"agreed_completion_on": "2023-10-09"}, "agreed_completion_on"),
        ({"plot_ratio_min": 3.0}, "plot_ratio_max"),  # min above max
        ({"supply_mode": "sold"}, "supply_mode"),
        ({"building_coverage_min": 1.2}, "building_coverage_min"),
        ({"office_share_max": -0.1}, "office_share_max"),
        ({"price_wan": "1650"}, "price_wan"),
        ({"signed_on": "10/04/2023"}, "signed_on"),
        ({"reason": ""}, "reason"),
    ],
)
def test_a_contract_with_a_bad_field_is_422_naming_it(api, fields, name):
    body = api.refused(CONTRACTS, _contract(_parcel(api)["parcel_code"], **fields))
    assert body.get("field", body.get("parameter")) == name, body
    if name == "supply_mode":
        assert all(mode in body["message"] for mode in ("grant", "allocate", "lease"))


def test_reposting_a_contract_corrects_it_and_keeps_the_old_version_in_history(api):
    parcel = _parcel(api)
    body = _contract(parcel["parcel_code"])
    first = api.created(CONTRACTS, body)
    second = api.created(CONTRACTS, body | {"price_wan": 1700.0, "reason": "更正价款"}, "admin")
    detail = api.client.get(f"{CONTRACTS}/{body['contract_no']}").json()
    assert detail["contract"]["price_wan"] == 1700.0
    old, new = detail["history"]
    assert (old["price_wan"], new["price_wan"]) == (1650.25, 1700.0)
    assert old["change_set_id"] == first["change_set_id"]
    assert new["change_set_id"] == second["change_set_id"]
    assert old["valid_to"] == new["valid_from"] and new["valid_to"] is None
    assert old["ended_by_change_set_id"] == second["change_set_id"]
    assert (old["actor"], new["actor"]) == (api.names["editor"], api.names["admin"])
    assert new["reason"] == "更正价款"
    standing = [
        c for c in api.client.get(CONTRACTS).json() if c["contract_no"] == body["contract_no"]
    ]
    assert len(standing) == 1
    with api.engine.connect() as conn:
        assert verify(conn).ok


def test_contracts_are_listed_by_park_and_parcel_and_a_bad_filter_is_named(api):
    mine = _recorded(api)
    in_park = api.client.get(CONTRACTS, params={"park": "gaoxin"}).json()
    expected = api.all(
        "SELECT contract_no FROM supply_contract WHERE valid_to IS NULL AND park = 'gaoxin' "
        "ORDER BY contract_no"
    )
    assert sorted(c["contract_no"] for c in in_park) == [r["contract_no"] for r in expected]
    assert mine["contract_no"] in {c["contract_no"] for c in in_park}
    assert all(c["park"] == "gaoxin" for c in in_park)
    assert mine["contract_no"] not in {
        c["contract_no"] for c in api.client.get(CONTRACTS, params={"park": "jiangtan"}).json()
    }
    for params, parameter in (({"park": "atlantis"}, "park"), ({"parcel": "GX 1"}, "parcel")):
        response = api.client.get(CONTRACTS, params=params)
        assert response.status_code == 422 and response.json()["parameter"] == parameter


def test_an_unknown_contract_is_404_to_read_and_to_report_on(api):
    assert api.client.get(f"{CONTRACTS}/无此合同").status_code == 404
    progress = {"reported_on": "2024-01-01", "kind": "start", "reason": "r"}
    assert (
        api.refused(f"{CONTRACTS}/无此合同/progress", progress, status=404)["error"] == "not_found"
    )
    delay = {"delay_from": "2024-01-01", "cause": "c", "document_no": "d", "reason": "r"}
    assert api.refused(f"{CONTRACTS}/无此合同/delays", delay, status=404)["error"] == "not_found"


# --- progress ----------------------------------------------------------------------------------


def _progress(reported_on: str, kind: str, **fields) -> dict:
    return {"reported_on": reported_on, "kind": kind, "reason": "进度报告"} | fields


COMPLETION = {
    "plot_ratio": 1.5,
    "building_coverage": 0.41,
    "office_share": 0.06,
    "investment_wan": 43000,
}


def test_progress_is_reported_in_order_and_a_second_start_is_refused(api):
    number = _recorded(api)["contract_no"]
    path = f"{CONTRACTS}/{number}/progress"
    start = api.created(path, _progress("2023-11-01", "start", note="实际动工"))
    assert start["progress"]["kind"] == "start"
    body = api.refused(path, _progress("2023-12-01", "start"))
    assert body["field"] == "kind"
    api.created(
        path, _progress("2024-03-01", "report", developed_area_m2=4000, investment_wan=9000)
    )
    api.created(path, _progress("2024-04-01", "suspension"))
    api.created(path, _progress("2024-08-01", "resumption"))
    api.created(path, _progress("2025-09-20", "completion", **COMPLETION))
    detail = api.client.get(f"{CONTRACTS}/{number}").json()
    assert [(p["reported_on"], p["kind"]) for p in detail["progress"]] == [
        ("2023-11-01", "start"),
        ("2024-03-01", "report"),
        ("2024-04-01", "suspension"),
        ("2024-08-01", "resumption"),
        ("2025-09-20", "completion"),
    ]
    assert detail["progress"][1]["developed_area_m2"] == 4000.0
    assert detail["progress"][4]["plot_ratio"] == 1.5


def test_a_report_before_the_signing_or_after_today_is_422_naming_reported_on(api):
    path = f"{CONTRACTS}/{_recorded(api)['contract_no']}/progress"
    after_today = (date.today() + timedelta(days=2)).isoformat()
    for reported_on in ("2023-04-09", after_today):
        assert api.refused(path, _progress(reported_on, "start"))["field"] == "reported_on"


@pytest.mark.parametrize("missing", sorted(COMPLETION))
def test_a_completion_without_a_measured_figure_is_422_naming_it(api, missing):
    path = f"{CONTRACTS}/{_recorded(api)['contract_no']}/progress"
    api.created(path, _progress("2023-11-01", "start"))
    figures = {k: v for k, v in COMPLETION.items() if k != missing}
    assert api.refused(path, _progress("2025-09-20", "completion", **figures))["field"] == missing


def test_a_suspension_before_any_start_is_422(api):
    path = f"{CONTRACTS}/{_recorded(api)['contract_no']}/progress"
    assert api.refused(path, _progress("2024-04-01", "suspension"))["field"] == "kind"


def test_a_report_posted_again_corrects_it_and_a_misdated_start_can_be_redated(api):
    number = _recorded(api)["contract_no"]
    path = f"{CONTRACTS}/{number}/progress"
    first = api.created(path, _progress("2023-11-01", "start"))
    again = api.created(path, _progress("2023-11-01", "start", developed_area_m2=500))
    moved = api.created(path, _progress("2023-11-05", "start", corrects_reported_on="2023-11-01"))
    versions = api.all(
        "SELECT reported_on::text AS reported_on, developed_area_m2, change_set_id, "
        "ended_by_change_set_id FROM site_progress WHERE contract_no = :n ORDER BY version_id",
        n=number,
    )
    assert versions == [
        {
            "reported_on": "2023-11-01",
            "developed_area_m2": None,
            "change_set_id": first["change_set_id"],
            "ended_by_change_set_id": again["change_set_id"],
        },
        {
            "reported_on": "2023-11-01",
            "developed_area_m2": 500.0,
            "change_set_id": again["change_set_id"],
            "ended_by_change_set_id": moved["change_set_id"],
        },
        {
            "reported_on": "2023-11-05",
            "developed_area_m2": None,
            "change_set_id": moved["change_set_id"],
            "ended_by_change_set_id": None,
        },
    ]
    missing = _progress("2023-11-09", "start", corrects_reported_on="2023-10-01")
    assert api.refused(path, missing)["field"] == "corrects_reported_on"


# --- delays ------------------------------------------------------------------------------------


def test_a_government_delay_is_recorded_and_corrected_by_reposting_its_first_day(api):
    number = _recorded(api)["contract_no"]
    path = f"{CONTRACTS}/{number}/delays"
    delay = {
        "delay_from": "2023-12-01",
        "cause": "规划调整，政府原因未能交地",
        "document_no": "宝高新管函〔2023〕88号",
        "reason": "登记政府原因延期",
    }
    first = api.created(path, delay)
    assert first["delay"]["delay_to"] is None
    second = api.created(path, delay | {"delay_to": "2024-05-31"})
    detail = api.client.get(f"{CONTRACTS}/{number}").json()
    assert [(d["delay_from"], d["delay_to"]) for d in detail["delays"]] == [
        ("2023-12-01", "2024-05-31")
    ]
    ended = api.one(
        "SELECT ended_by_change_set_id FROM idle_delay WHERE contract_no = :n AND delay_to IS NULL",
        n=number,
    )
    assert ended["ended_by_change_set_id"] == second["change_set_id"]
    change_set = api.one(
        "SELECT document_no FROM change_set WHERE id = :id", id=second["change_set_id"]
    )
    assert change_set["document_no"] == "宝高新管函〔2023〕88号"
    assert api.refused(path, delay | {"delay_to": "2023-11-30"})["field"] == "delay_to"
    no_document = {k: v for k, v in delay.items() if k != "document_no"}
    assert api.refused(path, no_document)["parameter"] == "document_no"


# --- approval batches --------------------------------------------------------------------------


def _batch(batch_no: str, parcels: list[dict], approved_area_m2: float, **fields) -> dict:
    return {
        "batch_no": batch_no,
        "park": "gaoxin",
        "name": "2022年度第3批次城市建设用地",
        "kind": "conversion_expropriation",
        "approved_on": "2022-05-20",
        "approved_area_m2": approved_area_m2,
        "document_no": "陕政土批〔2022〕3号",
        "parcels": parcels,
        "reason": "录入批次",
    } | fields


def test_a_batch_holds_its_parcels_area_by_default_and_a_correction_drops_a_parcel(api):
    one, two = _parcel(api, offset=0), _parcel(api, offset=1)
    number = _number("批次")
    total = one["area_m2"] + 1000.0
    parcels = [
        {"parcel_code": one["parcel_code"]},
        {"parcel_code": two["parcel_code"], "area_m2": 1000},
    ]
    first = api.created("/api/supervision/batches", _batch(number, parcels, total))
    batch = first["batch"]
    assert batch["approved_area_mu"] == pytest.approx(total * 15 / 10000)
    assert {p["parcel_code"]: p["area_m2"] for p in batch["parcels"]} == {
        one["parcel_code"]: one["area_m2"],
        two["parcel_code"]: 1000.0,
    }
    second = api.created("/api/supervision/batches", _batch(number, parcels[:1], total))
    assert [p["parcel_code"] for p in second["batch"]["parcels"]] == [one["parcel_code"]]
    left = api.one(
        "SELECT ended_by_change_set_id FROM approval_batch_parcel "
        "WHERE batch_no = :b AND parcel_code = :c",
        b=number,
        c=two["parcel_code"],
    )
    assert left["ended_by_change_set_id"] == second["change_set_id"]


def test_a_batchs_parcels_may_not_hold_more_than_approved_beyond_a_hundredth_of_a_m2(api):
    one = _parcel(api)
    parcels = [{"parcel_code": one["parcel_code"]}]
    api.created("/api/supervision/batches", _batch(_number("批次"), parcels, one["area_m2"] - 0.01))
    body = api.refused(
        "/api/supervision/batches", _batch(_number("批次"), parcels, one["area_m2"] - 0.02)
    )
    assert body["field"] == "parcels"


def test_a_batch_of_an_unknown_parcel_another_parks_parcel_or_an_unknown_park_is_422(api):
    ours, theirs = _parcel(api)["parcel_code"], _parcel(api, "jiangtan")["parcel_code"]
    for code, fields, field in (
        ("GX-0000X", {}, "parcels[0].parcel_code"),
        (theirs, {}, "parcels[0].parcel_code"),
        (ours, {"park": "atlantis"}, "park"),
    ):
        batch = _batch(_number("批次"), [{"parcel_code": code, "area_m2": 10}], 1e6, **fields)
        assert api.refused("/api/supervision/batches", batch)["field"] == field, code


# --- settings ----------------------------------------------------------------------------------


def test_settings_are_read_by_anyone_and_set_by_an_admin_in_a_change_set(api):
    from parks.supervision.settings import DEFAULTS

    listed = api.client.get("/api/supervision/settings").json()
    assert set(listed) == set(DEFAULTS)
    assert listed["idle.warning_days"]["default"] == 90
    put = api.client.put(
        "/api/supervision/settings/idle.warning_days",
        json={"value": 60, "reason": "预警提前量调整为60天"},
        headers=api.tokens["admin"],
    )
    assert put.status_code == 200, put.text
    out = put.json()
    assert (out["value"], out["default"], out["changed_by"]) == (60, 90, api.names["admin"])
    change_set = api.one(
        "SELECT kind, actor FROM change_set WHERE id = :id", id=out["change_set_id"]
    )
    assert dict(change_set) == {"kind": "supervision_setting", "actor": api.names["admin"]}
    read = api.client.get("/api/supervision/settings").json()["idle.warning_days"]
    assert (read["value"], read["changed_by"]) == (60, api.names["admin"])
    assert read["changed_at"] == out["changed_at"]


@pytest.mark.parametrize(
    ("name", "value", "role", "status", "key"),
    [
        ("idle.warning_days", 60, "editor", 403, None),
        ("idle.warning_days", -5, "admin", 422, "value"),
        ("idle.warning_days", "60", "admin", 422, "value"),
        ("evaluation.grade_shares", {"A": 30, "B": 45, "C": 20, "D": 10}, "admin", 422, "value"),
        ("idle.no_such_thing", 1, "admin", 404, None),
    ],
)
def test_a_setting_refused_names_why(api, name, value, role, status, key):
    before = api.change_sets()
    response = api.client.put(
        f"/api/supervision/settings/{name}",
        json={"value": value, "reason": "r"},
        headers=api.tokens[role],
    )
    assert response.status_code == status, response.text
    if key:
        assert response.json()["field"] == key
    assert api.change_sets() == before


# --- who may write -----------------------------------------------------------------------------


def _writes(api: Api) -> list[tuple[str, dict]]:
    number = _recorded(api)["contract_no"]
    parcel = _parcel(api)["parcel_code"]
    return [
        (CONTRACTS, _contract(parcel)),
        (f"{CONTRACTS}/{number}/progress", _progress("2023-11-01", "start")),
        (
            f"{CONTRACTS}/{number}/delays",
            {"delay_from": "2023-12-01", "cause": "c", "document_no": "d", "reason": "r"},
        ),
        ("/api/supervision/batches", _batch(_number("批次"), [], 1000.0)),
    ]


def test_a_viewer_may_not_write_a_record_nor_may_nobody(api):
    for path, body in _writes(api):
        assert api.refused(path, body, status=403, role="viewer")["error"] == "forbidden"
        before = api.change_sets()
        assert api.client.post(path, json=body).status_code == 401
        assert api.change_sets() == before


def test_an_approver_may_write_records_and_so_may_an_editor_who_may_not_apply_land_changes(
    db_url, make_client, api
):
    for path, body in _writes(api):
        api.created(path, body, role="approver")
    proposing = make_client(db_url, editors_apply_directly=False)
    for path, body in _writes(api):
        response = proposing.post(path, json=body, headers=api.tokens["editor"])
        assert response.status_code == 201, response.text


def test_an_official_limited_to_a_park_writes_only_its_records(api, db_url):
    support_people = pytest.importorskip("support_people")
    name = f"gx-{uuid.uuid4().hex[:6]}"
    support_people.add_user(db_url, name, "editor", parks=("gaoxin",))
    theirs = api.created(CONTRACTS, _contract(_parcel(api, "jiangtan")["parcel_code"]))["contract"]
    jiangtan_parcel = _parcel(api, "jiangtan")["parcel_code"]
    with support_people.people_client(db_url) as client:
        csrf = {"X-CSRF-Token": support_people.signed_in(client, name)}
        refused = [
            (CONTRACTS, _contract(jiangtan_parcel)),
            (f"{CONTRACTS}/{theirs['contract_no']}/progress", _progress("2023-11-01", "start")),
            (
                f"{CONTRACTS}/{theirs['contract_no']}/delays",
                {"delay_from": "2023-12-01", "cause": "c", "document_no": "d", "reason": "r"},
            ),
            ("/api/supervision/batches", _batch(_number("批次"), [], 1000.0, park="jiangtan")),
        ]
        for path, body in refused:
            before = api.change_sets()
            response = client.post(path, json=body, headers=csrf)
            assert response.status_code == 403, response.text
            assert (response.json()["error"], response.json()["park"]) == (
                "park_out_of_scope",
                "jiangtan",
            )
            assert api.change_sets() == before
        ours = _contract(_parcel(api, "gaoxin")["parcel_code"])
        assert client.post(CONTRACTS, json=ours).status_code == 403  # no CSRF token
        response = client.post(CONTRACTS, json=ours, headers=csrf)
        assert response.status_code == 201, response.text
        change_set_id = response.json()["change_set_id"]
    actor = api.one("SELECT actor FROM change_set WHERE id = :id", id=change_set_id)["actor"]
    assert actor == name


# --- a supply carrying its contract ------------------------------------------------------------


def test_a_supply_change_set_carries_its_contract_and_a_bad_one_is_the_operations_problem(api):
    free = api.all(
        "SELECT parcel_code FROM parcel_version WHERE valid_to IS NULL AND status = 'ready' "
        "ORDER BY parcel_code DESC LIMIT 2"
    )
    number = _number()
    terms = {
        "contract_no": number,
        "price_wan": 900,
        "agreed_start_on": "2031-01-01",
        "agreed_completion_on": "2033-01-01",
        "committed_investment_wan": 12000,
    }

    def supply(code, contract):
        return {
            "op": "supply",
            "parcel_code": code,
            "holder": "宝鸡某传感器有限公司",
            "mode": "grant",
            "contract": contract,
        }

    bad = {
        "kind": "supply",
        "reason": "供地",
        "operations": [
            supply(free[0]["parcel_code"], None),
            supply(free[1]["parcel_code"], terms | {"agreed_completion_on": "2030-12-31"}),
        ],
    }
    body = api.refused("/api/change-sets", bad, role="admin")
    assert body["error"] == "invalid_change_set"
    [problem] = body["problems"]
    assert problem["operation"] == 1
    assert problem["message"].startswith("contract.agreed_completion_on:")
    good = dict(bad, operations=[supply(free[1]["parcel_code"], terms)])
    response = api.post("/api/change-sets", good, role="admin")
    assert response.status_code == 201, response.text
    change_set_id = response.json()["id"]
    detail = api.client.get(f"{CONTRACTS}/{number}").json()
    assert detail["contract"]["change_set_id"] == change_set_id
    assert detail["contract"]["parcel_code"] == free[1]["parcel_code"]
    assert len(api.all("SELECT seq FROM ledger WHERE change_set_id = :id", id=change_set_id)) == 1

"""A supply operation can carry its supply contract (出让合同 / 划拨决定书): the contract is
stored in the change set that supplies the parcel — one change set, one ledger row — with
the operation's parcel, park, holder and mode, signed (unless it says otherwise) on the
day of the supply and of the parcel's area; a contract that can't be stored makes the
operation invalid and nothing of the change set is stored. Real PostGIS, a fresh copy of
the loaded sample per test (the writes commit)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from parks.errors import InvalidChangeSet
from parks.operations import ChangeSetRequest
from service.audit.verify import verify
from service.changes.apply import apply_change_set
from service.changes.dry_run import dry_run
from service.db.engine import make_engine

pytestmark = pytest.mark.integration

ZONE = ZoneInfo("Asia/Shanghai")  # the settings' default PARKS_TIMEZONE
OPTIONS = {"storage_srid": 4545, "timezone": "Asia/Shanghai"}
TERMS = {
    "contract_no": "宝高新出让(2026)001号",
    "price_wan": 1820.5,
    "agreed_start_on": "2030-03-01",
    "agreed_completion_on": "2032-03-01",
    "committed_investment_wan": 36000,
    "plot_ratio_min": 1.2,
    "plot_ratio_max": 3.0,
    "building_coverage_min": 0.4,
    "committed_tax_wan_per_mu_year": 15,
    "document_no": "宝高新出让合同〔2026〕1号",
}


@pytest.fixture
def engine(fresh_db_url):
    engine = make_engine(fresh_db_url)
    yield engine
    engine.dispose()


def _available(engine, n: int = 2) -> list[dict]:
    """*n* standing parcels the city still holds (reserve or ready), with park and area."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT parcel_code, park, area_m2 FROM parcel_version "
                "WHERE valid_to IS NULL AND status IN ('reserve', 'ready') "
                "ORDER BY parcel_code LIMIT :n"
            ),
            {"n": n},
        ).mappings()
        return [dict(r) for r in rows]


def _supply(code: str, *, contract: dict | None = None, mode: str = "grant") -> dict:
    op = {"op": "supply", "parcel_code": code, "holder": "宝鸡新材料科技有限公司", "mode": mode}
    return op | ({"contract": contract} if contract is not None else {})


def _request(*operations: dict) -> ChangeSetRequest:
    return ChangeSetRequest.model_validate(
        {"kind": "supply", "reason": "供地并签订出让合同", "operations": list(operations)}
    )


def _counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("change_set", "ledger", "parcel_version", "supply_contract")
        }


def test_a_supply_with_its_contract_stores_both_in_one_change_set_with_one_ledger_row(engine):
    [parcel] = _available(engine, 1)
    applied = apply_change_set(
        engine, _request(_supply(parcel["parcel_code"], contract=TERMS)), actor="供地科", **OPTIONS
    )
    with engine.connect() as conn:
        version = (
            conn.execute(
                text(
                    "SELECT status, holder, supply_mode, supplied_on, change_set_id "
                    "FROM parcel_version WHERE parcel_code = :c AND valid_to IS NULL"
                ),
                {"c": parcel["parcel_code"]},
            )
            .mappings()
            .one()
        )
        contract = (
            conn.execute(
                text("SELECT * FROM supply_contract WHERE contract_no = :n"),
                {"n": TERMS["contract_no"]},
            )
            .mappings()
            .one()
        )
        committed_at = conn.execute(
            text("SELECT committed_at FROM change_set WHERE id = :id"), {"id": applied.id}
        ).scalar_one()
        ledger = conn.execute(
            text("SELECT kind, delta_city_m2 FROM ledger WHERE change_set_id = :id"),
            {"id": applied.id},
        ).all()
        assert verify(conn).ok
    assert version["change_set_id"] == applied.id == contract["change_set_id"]
    assert (version["status"], version["holder"]) == ("supplied", "宝鸡新材料科技有限公司")
    assert [(r.kind, r.delta_city_m2) for r in ledger] == [("supply", 0.0)]
    supply_day = committed_at.astimezone(ZONE).date()
    assert version["supplied_on"] == supply_day
    assert contract["valid_to"] is None
    assert contract["parcel_code"] == parcel["parcel_code"] and contract["park"] == parcel["park"]
    assert contract["holder"] == "宝鸡新材料科技有限公司" and contract["supply_mode"] == "grant"
    assert contract["signed_on"] == supply_day
    assert contract["land_area_m2"] == parcel["area_m2"]
    assert float(contract["price_wan"]) == 1820.5
    assert float(contract["office_share_max"]) == 0.07  # the default: 7 %
    assert contract["document_no"] == TERMS["document_no"]
    mu = parcel["area_m2"] * 15 / 10000
    assert contract["investment_intensity_wan_per_mu"] == pytest.approx(36000 / mu, rel=1e-12)


def test_a_supplys_contract_may_give_its_own_signing_day_and_area(engine):
    [parcel] = _available(engine, 1)
    terms = TERMS | {"signed_on": "2025-12-30", "land_area_m2": 10_000.0, "supply_mode": "lease"}
    apply_change_set(
        engine,
        _request(_supply(parcel["parcel_code"], contract=terms, mode="lease")),
        actor="供地科",
        **OPTIONS,
    )
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT signed_on, land_area_m2, supply_mode FROM supply_contract "
                "WHERE contract_no = :n"
            ),
            {"n": TERMS["contract_no"]},
        ).one()
    assert (row.signed_on.isoformat(), row.land_area_m2, row.supply_mode) == (
        "2025-12-30",
        10_000.0,
        "lease",
    )


@pytest.mark.parametrize(
    ("terms", "field"),
    [
        (TERMS | {"signed_on": "2030-03-02"}, "agreed_start_on"),  # start before signing
        (TERMS | {"supply_mode": "lease"}, "supply_mode"),  # the supply is a grant
        (TERMS | {"plot_ratio_min": 3.5}, "plot_ratio_max"),
    ],
)
def test_a_bad_contract_makes_its_supply_invalid_and_nothing_is_stored(engine, terms, field):
    first, second = _available(engine, 2)
    before = _counts(engine)
    request = _request(
        _supply(first["parcel_code"]),  # a good operation: kept out all the same
        _supply(second["parcel_code"], contract=terms),
    )
    with pytest.raises(InvalidChangeSet) as caught:
        apply_change_set(engine, request, actor="供地科", **OPTIONS)
    [problem] = caught.value.problems
    assert problem.operation == 1
    assert problem.message.startswith(f"contract.{field}:")
    assert _counts(engine) == before


def test_a_contract_number_recorded_for_another_parcel_is_refused_in_a_supply(engine):
    first, second = _available(engine, 2)
    apply_change_set(
        engine, _request(_supply(first["parcel_code"], contract=TERMS)), actor="a", **OPTIONS
    )
    before = _counts(engine)
    with pytest.raises(InvalidChangeSet) as caught:
        apply_change_set(
            engine, _request(_supply(second["parcel_code"], contract=TERMS)), actor="a", **OPTIONS
        )
    [problem] = caught.value.problems
    assert problem.operation == 0 and problem.message.startswith("contract.contract_no:")
    assert first["parcel_code"] in problem.message
    assert _counts(engine) == before


def test_a_dry_run_of_a_supply_with_its_contract_stores_nothing(engine):
    [parcel] = _available(engine, 1)
    before = _counts(engine)
    result = dry_run(
        engine, _request(_supply(parcel["parcel_code"], contract=TERMS)), actor="a", **OPTIONS
    )
    assert result.verdict == "would_commit", result.body()
    assert _counts(engine) == before

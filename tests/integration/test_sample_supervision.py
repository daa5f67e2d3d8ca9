"""The sample's land-supervision layers (enterprises, supply contracts, progress on the
ground, government delays, approval batches and their parcels, yearly figures) load into
PostGIS row for row, in the load's own change set; a second load changes nothing; a file
without them still loads; a bad record aborts the load naming it. The idle cases the
sample must show are found by hand from the GeoPackage's rows (dates), not through the code
under test."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd
import pytest
import support_reads as sr
from sqlalchemy import text
from support_roles import owner_url

from service.audit.verify import verify
from service.db.engine import make_engine
from service.db.migrate import upgrade
from service.imports.loader import LoadError, LoadReport, load_dataset

pytestmark = pytest.mark.integration

#: The sample's day (service/sample/generator.py SAMPLE_AS_OF), written out here.
SAMPLE_AS_OF = date(2026, 10, 31)

#: Layer -> (table, key columns, columns compared).
TABLES: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "enterprises": ("enterprise", ("enterprise_code",), ("name", "industry")),
    "supply_contracts": (
        "supply_contract",
        ("contract_no",),
        (
            "parcel_code",
            "park",
            "holder",
            "enterprise_code",
            "batch_no",
            "signed_on",
            "supply_mode",
            "price_wan",
            "land_area_m2",
            "agreed_start_on",
            "agreed_completion_on",
            "committed_investment_wan",
            "plot_ratio_min",
            "plot_ratio_max",
            "building_coverage_min",
            "office_share_max",
            "committed_tax_wan_per_mu_year",
            "document_no",
        ),
    ),
    "site_progress": (
        "site_progress",
        ("contract_no", "reported_on", "kind"),
        (
            "developed_area_m2",
            "investment_wan",
            "plot_ratio",
            "building_coverage",
            "office_share",
            "note",
        ),
    ),
    "idle_delays": (
        "idle_delay",
        ("contract_no", "delay_from"),
        ("delay_to", "cause", "document_no"),
    ),
    "approval_batches": (
        "approval_batch",
        ("batch_no",),
        ("park", "name", "kind", "approved_on", "approved_area_m2", "document_no"),
    ),
    "approval_batch_parcels": ("approval_batch_parcel", ("batch_no", "parcel_code"), ("area_m2",)),
    "enterprise_figures": (
        "enterprise_figures",
        ("enterprise_code", "year"),
        (
            "tax_wan",
            "revenue_wan",
            "added_value_wan",
            "energy_tce",
            "rd_wan",
            "employees",
        ),
    ),
}
NON_SUPERVISION_LAYERS = (
    "parks",
    "parcels",
    "buildings",
    "leases",
    "projects",
    "targets",
)


def _load(url: str, path, **kwargs) -> LoadReport:
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        return load_dataset(engine, path, storage_srid=sr.STORAGE_EPSG, **kwargs)
    finally:
        engine.dispose()


def _plain(value):
    """A value as plain Python for comparing: numbers as float, dates ISO, nulls None."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def _file_rows(layer: str) -> dict[tuple, tuple]:
    _, keys, columns = TABLES[layer]
    frame = sr.layer(layer)
    return {
        tuple(_plain(r[k]) for k in keys): tuple(_plain(r[c]) for c in columns)
        for r in frame.to_dict("records")
    }


def _stored_rows(conn, layer: str) -> dict[tuple, tuple]:
    table, keys, columns = TABLES[layer]
    rows = conn.execute(
        text(f"SELECT {', '.join(keys + columns)} FROM {table} WHERE valid_to IS NULL")
    ).all()
    return {
        tuple(_plain(v) for v in r[: len(keys)]): tuple(_plain(v) for v in r[len(keys) :])
        for r in rows
    }


@pytest.fixture(scope="module")
def first_load(databases) -> tuple[str, LoadReport]:
    """A migrated empty database loaded once with the sample, and the load's report."""
    url = sr.database_url(databases.create(template=databases.postgis_template))
    upgrade(owner_url(url))
    return url, _load(url, sr.SAMPLE, actor="supervision-sample-test")


# --- the sample, loaded ----------------------------------------------------------------------


def test_every_supervision_layer_of_the_sample_is_loaded_row_for_row(first_load):
    url, _ = first_load
    with sr.connect(url) as conn:
        for layer in TABLES:
            stored, in_file = _stored_rows(conn, layer), _file_rows(layer)
            assert len(in_file) == len(sr.layer(layer)) > 0, layer  # keys are distinct
            assert stored.keys() == in_file.keys(), layer
            for key, values in in_file.items():
                assert stored[key] == pytest.approx(values, abs=1e-9), (layer, key)


def test_the_records_are_versions_of_the_loads_one_register_change_set(first_load):
    url, report = first_load
    with sr.connect(url) as conn:
        kinds = conn.execute(text("SELECT id, kind FROM change_set")).all()
        assert [k for _, k in kinds] == ["register"]
        assert report.change_set_id == kinds[0].id
        for layer, (table, _, _) in TABLES.items():
            made_in = set(
                conn.execute(text(f"SELECT DISTINCT change_set_id FROM {table}")).scalars()
            )
            closed = conn.execute(
                text(f"SELECT count(*) FROM {table} WHERE valid_to IS NOT NULL")
            ).scalar_one()
            assert made_in == {report.change_set_id} and closed == 0, layer
        assert verify(conn).ok


def test_the_loads_report_says_how_many_of_each_were_loaded(first_load):
    _, report = first_load
    assert report.supervision_added == {layer: len(sr.layer(layer)) for layer in TABLES}
    assert sum(report.supervision_replaced.values()) == 0
    (line,) = [ln for ln in report.lines() if ln.startswith("supervision records: ")]
    for phrase in (
        f"{len(sr.layer('enterprises'))} enterprises",
        f"{len(sr.layer('supply_contracts'))} supply contracts",
        f"{len(sr.layer('site_progress'))} progress reports",
        f"{len(sr.layer('idle_delays'))} government delays",
        f"{len(sr.layer('approval_batches'))} approval batches",
        f"{len(sr.layer('approval_batch_parcels'))} parcels in approval batches",
        f"{len(sr.layer('enterprise_figures'))} yearly figures",
    ):
        assert phrase in line


def test_every_contract_is_on_a_standing_parcel_of_its_park_held_by_its_holder(first_load):
    url, _ = first_load
    with sr.connect(url) as conn:
        rows = conn.execute(
            text(
                "SELECT c.contract_no, v.parcel_code IS NOT NULL AS found, v.park = c.park "
                "AS same_park, v.holder = c.holder AS same_holder, v.status, "
                "abs(v.area_m2 - c.land_area_m2) AS area_diff "
                "FROM supply_contract c LEFT JOIN parcel_version v "
                "ON v.parcel_code = c.parcel_code AND v.valid_to IS NULL "
                "WHERE c.valid_to IS NULL"
            )
        ).all()
    assert len(rows) == len(sr.layer("supply_contracts"))
    assert [r.contract_no for r in rows if not (r.found and r.same_park and r.same_holder)] == []
    assert {r.status for r in rows} == {"supplied", "under_construction", "operating", "idle"}
    assert max(r.area_diff for r in rows) <= 0.01  # the contract states the area to 0.01 m²


def test_every_holding_parcel_has_one_contract_and_every_batch_parcel_exists(first_load):
    parcels = sr.parcels()
    held = parcels[
        parcels["status"].isin(["supplied", "under_construction", "operating", "idle"])
        & parcels["holder"].notna()
    ]
    contracts = sr.layer("supply_contracts")
    assert sorted(contracts["parcel_code"]) == sorted(held["parcel_code"])
    members = sr.layer("approval_batch_parcels")
    assert set(members["parcel_code"]) <= set(parcels["parcel_code"])
    assert members["parcel_code"].is_unique  # a parcel's land is in one batch


def test_enterprises_are_every_holder_and_tenant_with_valid_credit_codes(first_load):
    enterprises = sr.layer("enterprises")
    names = set(sr.parcels()["holder"].dropna()) | set(sr.layer("leases")["tenant"])
    assert set(enterprises["name"]) == names and enterprises["name"].is_unique
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    for code in enterprises["enterprise_code"]:  # GB 32100-2015's check character
        assert len(code) == 18 and set(code) <= set(alphabet), code
        total = sum(alphabet.index(ch) * w for ch, w in zip(code[:17], weights, strict=True))
        assert alphabet[(31 - total % 31) % 31] == code[17], code
    assert enterprises["enterprise_code"].is_unique


def test_yearly_figures_cover_three_years_and_include_low_output_and_no_rd(first_load):
    figures = sr.layer("enterprise_figures")
    assert sorted(set(figures["year"])) == [2023, 2024, 2025]
    per_year = figures.groupby("year").size()
    assert per_year.nunique() == 1 and per_year.iloc[0] >= 50
    assert (figures["rd_wan"] == 0).any() and (figures["rd_wan"] > 0).mean() > 0.8
    assert (figures[["tax_wan", "revenue_wan", "energy_tce"]] > 0).all().all()
    ratio = figures["tax_wan"].max() / figures["tax_wan"].min()
    assert ratio > 100  # spread: some enterprises produce little


def test_approval_batches_cover_their_parcels_and_some_old_ones_have_land_unsupplied(first_load):
    batches = sr.layer("approval_batches").set_index("batch_no")
    members = sr.layer("approval_batch_parcels")
    parcels = sr.parcels().set_index("parcel_code")
    assert batches.groupby("park").size().between(4, 8).all()
    assert set(batches["kind"]) == {"conversion", "expropriation", "conversion_expropriation"}
    years = pd.to_datetime(batches["approved_on"]).dt.year
    assert years.between(2016, 2025).all()
    summed = members.groupby("batch_no")["area_m2"].sum()
    assert (batches["approved_area_m2"] >= summed.reindex(batches.index) - 0.01).all()
    whole = parcels.loc[members["parcel_code"], "file_area_m2"].to_numpy()
    assert (members["area_m2"] - whole).abs().max() <= 0.01  # each parcel's full area
    contracted = set(sr.layer("supply_contracts")["parcel_code"])
    members["supplied"] = members["parcel_code"].isin(contracted)
    unsupplied = members[~members["supplied"]].groupby("batch_no")["area_m2"].sum()
    unsupplied = unsupplied.reindex(batches.index, fill_value=0.0)
    unsupplied += batches["approved_area_m2"] - summed.reindex(batches.index)
    age_days = (pd.Timestamp(SAMPLE_AS_OF) - pd.to_datetime(batches["approved_on"])).dt.days
    at_risk = (age_days > 730) & (unsupplied > 0.01)
    assert at_risk.any() and (~at_risk).any()
    assert ((age_days <= 730) & (unsupplied > 0.01)).any()  # recent, not yet at risk
    assert (unsupplied <= 0.01).any()  # wholly supplied


# --- idle land, by hand from the file's dates ----------------------------------------------


def _delay_days(delays: pd.DataFrame, clock_start: date) -> int:
    """Days of government delays within [clock_start, SAMPLE_AS_OF)."""
    total = 0
    for d in delays.itertuples():
        start = max(date.fromisoformat(d.delay_from), clock_start)
        end = min(
            date.fromisoformat(d.delay_to) if isinstance(d.delay_to, str) else SAMPLE_AS_OF,
            SAMPLE_AS_OF,
        )
        total += max(0, (end - start).days)
    return total


def idle_by_hand() -> pd.DataFrame:
    """Each standing contract on an idle clock in a stage as of SAMPLE_AS_OF, by the rule's
    defaults (365 days; warning 90 days before; recovery at 730; ⅓ developed, 25 %
    invested), from the GeoPackage's rows."""
    contracts = sr.layer("supply_contracts")
    progress = sr.layer("site_progress")
    delays = sr.layer("idle_delays")
    progress = progress[progress["reported_on"] <= SAMPLE_AS_OF.isoformat()]
    rows = []
    for c in contracts.itertuples():
        events = progress[progress["contract_no"] == c.contract_no].sort_values("reported_on")
        if (events["kind"] == "completion").any():
            continue
        if not (events["kind"] == "start").any():
            clock, started = "no_start", date.fromisoformat(c.agreed_start_on)
            if started > SAMPLE_AS_OF:
                continue
        else:
            last = events.iloc[-1]
            moves = events[events["kind"].isin(["start", "report", "suspension", "resumption"])]
            low = (
                last["developed_area_m2"] < c.land_area_m2 / 3
                or last["investment_wan"] < 0.25 * c.committed_investment_wan
            )
            if not (low and moves.iloc[-1]["kind"] == "suspension"):
                continue
            clock, started = "stalled", date.fromisoformat(moves.iloc[-1]["reported_on"])
        mine = delays[delays["contract_no"] == c.contract_no]
        days = (SAMPLE_AS_OF - started).days - _delay_days(mine, started)
        stage = (
            "idle_2y"
            if days >= 730
            else "idle_1y"
            if days >= 365
            else "warning"
            if days >= 275
            else None
        )
        if stage is not None:
            rows.append((c.contract_no, c.park, clock, stage, days, len(mine) > 0))
    return pd.DataFrame(rows, columns=["contract_no", "park", "clock", "stage", "days", "delayed"])


def test_the_sample_has_idle_land_at_every_stage_on_both_clocks():
    idle = idle_by_hand()
    assert set(idle["stage"]) == {"warning", "idle_1y", "idle_2y"}
    for clock in ("no_start", "stalled"):
        assert set(idle.loc[idle["clock"] == clock, "stage"]) == {"warning", "idle_1y", "idle_2y"}
    # each park's stopped sites reach every stage
    stalled = idle[idle["clock"] == "stalled"]
    assert (stalled.groupby("park")["stage"].nunique() == 3).all()
    assert set(stalled["park"]) == set(sr.PARK_CODES)


def test_government_delays_are_on_contracts_whose_clock_runs():
    delays = sr.layer("idle_delays")
    contracts = sr.layer("supply_contracts").set_index("contract_no")
    assert 2 <= len(delays) <= 2 * len(sr.PARK_CODES)
    assert delays["delay_to"].isna().any() and delays["delay_to"].notna().any()
    progress = sr.layer("site_progress")
    for d in delays.itertuples():
        events = progress[progress["contract_no"] == d.contract_no]
        assert not (events["kind"] == "completion").any(), d.contract_no
        assert d.delay_from >= contracts.loc[d.contract_no, "agreed_start_on"]
        assert d.delay_from <= SAMPLE_AS_OF.isoformat()
    assert idle_by_hand()["delayed"].any()  # a delay shortens a clock in a stage


def test_some_completed_sites_are_below_their_contracts_plot_ratio():
    progress = sr.layer("site_progress")
    done = progress[progress["kind"] == "completion"].merge(
        sr.layer("supply_contracts")[["contract_no", "plot_ratio_min"]], on="contract_no"
    )
    below = done["plot_ratio"] < done["plot_ratio_min"]
    assert below.any() and (~below).mean() > 0.8
    assert (
        done[["plot_ratio", "building_coverage", "office_share", "investment_wan"]]
        .notna()
        .all()
        .all()
    )


# --- loading again, older files, bad records --------------------------------------------------


def test_a_second_load_of_the_sample_changes_nothing(fresh_db_url):
    before = sr.row_counts(fresh_db_url)
    report = _load(fresh_db_url, sr.SAMPLE)
    assert sr.row_counts(fresh_db_url) == before
    assert not report.changed_anything and report.change_set_id is None
    assert set(report.supervision_added.values()) == {0}
    assert report.lines()[0].startswith("nothing to load")


def test_a_file_without_supervision_layers_loads_and_the_sample_then_adds_them_in_one_change_set(
    databases, tmp_path
):
    url = sr.database_url(databases.create(template=databases.postgis_template))
    upgrade(owner_url(url))
    older = sr.write_gpkg(
        tmp_path / "older.gpkg", **{name: sr.layer(name) for name in NON_SUPERVISION_LAYERS}
    )
    first = _load(url, older)
    assert first.parcels_added == len(sr.parcels()) and first.supervision_added == {}
    with sr.connect(url) as conn:
        for table, _, _ in TABLES.values():
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == 0

    second = _load(url, sr.SAMPLE)
    assert second.parcels_added == 0
    assert second.supervision_added == {layer: len(sr.layer(layer)) for layer in TABLES}
    with sr.connect(url) as conn:
        change_sets = conn.execute(text("SELECT id, kind FROM change_set ORDER BY id")).all()
        assert [k for _, k in change_sets] == ["register", "supervision"]
        assert second.change_set_id == change_sets[1].id
        ledger = conn.execute(
            text("SELECT seq, delta_city_m2 FROM ledger WHERE change_set_id = :id"),
            {"id": second.change_set_id},
        ).one()
        assert ledger.delta_city_m2 == 0 and ledger.seq == second.ledger_seq
        for table, _, _ in TABLES.values():
            made_in = set(
                conn.execute(text(f"SELECT DISTINCT change_set_id FROM {table}")).scalars()
            )
            assert made_in == {second.change_set_id}, table
        assert verify(conn).ok

    before = sr.row_counts(url)
    third = _load(url, sr.SAMPLE)
    assert sr.row_counts(url) == before and third.change_set_id is None
    assert not third.changed_anything


def _contracts_file(tmp_path, name: str, contracts: pd.DataFrame, **more) -> object:
    return sr.write_gpkg(
        tmp_path / f"{name}.gpkg",
        parks=sr.layer("parks"),
        parcels=sr.parcels(),
        supply_contracts=contracts,
        **more,
    )


def test_a_contract_on_an_unknown_parcel_aborts_the_load_naming_it(fresh_db_url, tmp_path):
    contracts = sr.layer("supply_contracts").iloc[:3].copy()
    contracts["contract_no"] = ["T-1", "T-2", "T-3"]
    contracts["enterprise_code"] = None
    contracts["batch_no"] = None
    contracts.loc[contracts.index[1], "parcel_code"] = "GX-9999"
    progress = pd.DataFrame(
        {"contract_no": ["T-404"], "reported_on": ["2025-01-02"], "kind": ["start"]}
    )
    path = _contracts_file(tmp_path, "unknown", contracts, site_progress=progress)
    before = sr.row_counts(fresh_db_url)
    with pytest.raises(LoadError) as caught:
        _load(fresh_db_url, path)
    assert sr.row_counts(fresh_db_url) == before
    problems = caught.value.problems
    assert any("T-2" in p and "unknown parcel 'GX-9999'" in p for p in problems), problems
    assert any("T-404" in p and "unknown supply contract" in p for p in problems), problems
    assert len(problems) == 2


def test_a_record_the_database_refuses_aborts_the_load_and_stores_nothing(fresh_db_url, tmp_path):
    contracts = sr.layer("supply_contracts").iloc[:2].copy()
    contracts["contract_no"] = ["T-1", "T-2"]
    contracts["enterprise_code"] = None
    contracts["batch_no"] = None
    contracts.loc[contracts.index[1], "agreed_start_on"] = "2001-01-01"  # before signing
    path = _contracts_file(tmp_path, "refused", contracts)
    before = sr.row_counts(fresh_db_url)
    with pytest.raises(LoadError) as caught:
        _load(fresh_db_url, path)
    assert sr.row_counts(fresh_db_url) == before
    (problem,) = caught.value.problems
    assert problem.startswith("supply_contracts: the database refused a record")
    assert "supply_contract_dates" in problem


def test_a_changed_record_in_a_later_file_makes_a_new_version_of_it(fresh_db_url, tmp_path):
    batches = sr.layer("approval_batches")
    first = batches.iloc[0]
    batches.loc[batches.index[0], "document_no"] = "陕政土批〔2099〕1号"
    path = sr.write_gpkg(
        tmp_path / "renumbered.gpkg",
        parks=sr.layer("parks"),
        parcels=sr.parcels(),
        enterprises=sr.layer("enterprises"),
        approval_batches=batches,
    )
    report = _load(fresh_db_url, path)
    assert report.supervision_added == {"enterprises": 0, "approval_batches": 1}
    assert report.supervision_replaced == {"enterprises": 0, "approval_batches": 1}
    assert any("1 of them replace records that differed" in ln for ln in report.lines())
    with sr.connect(fresh_db_url) as conn:
        versions = conn.execute(
            text(
                "SELECT b.document_no, b.valid_to IS NULL AS standing, c.kind "
                "FROM approval_batch b JOIN change_set c ON c.id = b.change_set_id "
                "WHERE b.batch_no = :no ORDER BY b.version_id"
            ),
            {"no": first["batch_no"]},
        ).all()
        assert verify(conn).ok
    assert [tuple(v) for v in versions] == [
        (first["document_no"], False, "register"),
        ("陕政土批〔2099〕1号", True, "supervision"),
    ]

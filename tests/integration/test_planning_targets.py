"""The targets each park must keep — reserve + ready land (亩) and vacant standard-factory
floor (m²) — beside the actual figures, computed independently from the sample."""

from __future__ import annotations

import pytest
import support_planning as sp
import support_reads as sr
from sqlalchemy import text
from support_roles import owner_url

from parks.errors import InvalidParameter, NotFound
from service.db.engine import make_engine
from service.planning.targets import set_target, target_status

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def status(sample_db_url) -> dict[str, dict]:
    with sr.connect(sample_db_url) as conn:
        today = conn.execute(text("SELECT current_date")).scalar_one()
        rows = target_status(conn)
    return {"today": today, **{r["park"]: r for r in rows}}


def test_the_loaded_sample_brings_a_target_for_every_park(status):
    targets = sp.sample_targets()
    assert set(targets) == set(sr.PARK_CODES)
    for park, (reserve, floor) in targets.items():
        assert status[park]["target_set"]
        assert status[park]["min_reserve_mu"] == reserve
        assert status[park]["min_vacant_floor_m2"] == floor
        assert status[park]["updated_by"] == "parks load"


def test_actual_figures_match_an_independent_computation(status):
    reserve = sp.reserve_mu_by_park()
    floor = sp.vacant_floor_by_park(status["today"])
    for park in sr.PARK_CODES:
        assert status[park]["actual_reserve_mu"] == pytest.approx(reserve[park], abs=1e-4)
        assert status[park]["actual_vacant_floor_m2"] == pytest.approx(floor[park], abs=0.01)


def test_met_or_short_by_how_much(status):
    targets = sp.sample_targets()
    reserve = sp.reserve_mu_by_park()
    floor = sp.vacant_floor_by_park(status["today"])
    for park, (min_reserve, min_floor) in targets.items():
        row = status[park]
        assert row["reserve_met"] == (reserve[park] >= min_reserve)
        assert row["reserve_short_mu"] == pytest.approx(
            max(0.0, min_reserve - reserve[park]), abs=1e-4
        )
        assert row["floor_met"] == (floor[park] >= min_floor)
        assert row["floor_short_m2"] == pytest.approx(max(0.0, min_floor - floor[park]), abs=0.01)
        assert row["met"] == (row["reserve_met"] and row["floor_met"])


def test_the_sample_has_a_park_that_meets_both_and_one_that_is_short(status):
    rows = [status[p] for p in sr.PARK_CODES]
    assert any(r["met"] for r in rows)
    assert not status["jiangtan"]["reserve_met"] and status["jiangtan"]["reserve_short_mu"] > 0


def test_a_park_without_a_target_counts_as_met_with_targets_of_zero(fresh_db_url):
    # The service never deletes a target: the owner takes one away.
    with sr.connect(owner_url(fresh_db_url)) as conn:
        conn.execute(text("DELETE FROM target WHERE park = 'jiangtan'"))
        conn.commit()
        row = next(r for r in target_status(conn) if r["park"] == "jiangtan")
    assert row["target_set"] is False and row["met"] is True
    assert row["min_reserve_mu"] == 0 and row["min_vacant_floor_m2"] == 0
    assert row["updated_by"] is None


def test_setting_a_target_changes_the_verdict_and_records_who(fresh_db_url):
    with sr.connect(fresh_db_url) as conn:
        row = set_target(conn, "jiangtan", updated_by="市工信局", min_reserve_mu=1000)
        conn.commit()
        assert row["reserve_met"] and row["met"]
        assert row["min_vacant_floor_m2"] == sp.sample_targets()["jiangtan"][1]  # kept
        stored = conn.execute(
            text("SELECT min_reserve_mu, updated_by FROM target WHERE park = 'jiangtan'")
        ).one()
        assert tuple(stored) == (1000.0, "市工信局")
        row = set_target(conn, "gaoxin", updated_by="x", min_vacant_floor_m2=10_000_000)
        assert not row["floor_met"]
        assert row["floor_short_m2"] == pytest.approx(
            10_000_000 - row["actual_vacant_floor_m2"], abs=0.01
        )


def test_setting_a_bad_target_is_refused_naming_it(fresh_db_url):
    with sr.connect(fresh_db_url) as conn:
        with pytest.raises(InvalidParameter) as caught:
            set_target(conn, "jiangtan", updated_by="x", min_vacant_floor_m2=-5)
        assert caught.value.parameter == "min_vacant_floor_m2"
        with pytest.raises(NotFound):
            set_target(conn, "xian", updated_by="x", min_reserve_mu=5)


def test_a_second_load_keeps_targets_set_since(fresh_db_url):
    from service.imports.loader import load_dataset

    with sr.connect(fresh_db_url) as conn:
        set_target(conn, "jiangtan", updated_by="园区办", min_reserve_mu=123)
        conn.commit()
    engine = make_engine(fresh_db_url, pool_size=1, max_overflow=0)
    try:
        report = load_dataset(engine, sr.SAMPLE, storage_srid=sr.STORAGE_EPSG)
    finally:
        engine.dispose()
    assert report.targets_added == 0 and not report.changed_anything
    with sr.connect(fresh_db_url) as conn:
        row = next(r for r in target_status(conn) if r["park"] == "jiangtan")
    assert row["min_reserve_mu"] == 123 and row["updated_by"] == "园区办"


def test_a_negative_target_in_a_file_is_refused_and_nothing_is_loaded(fresh_db_url, tmp_path):
    from service.imports.loader import LoadError, load_dataset

    with sr.connect(owner_url(fresh_db_url)) as conn:
        conn.execute(text("DELETE FROM target"))
        conn.commit()
    targets = sr.layer("targets")
    targets.loc[targets["park"] == "gaoxin", "min_vacant_floor_m2"] = -1.0
    path = sr.write_gpkg(
        tmp_path / "bad-targets.gpkg",
        parks=sr.layer("parks"),
        parcels=sr.parcels(),
        targets=targets,
    )
    engine = make_engine(fresh_db_url, pool_size=1, max_overflow=0)
    try:
        with pytest.raises(LoadError) as caught:
            load_dataset(engine, path, storage_srid=sr.STORAGE_EPSG)
    finally:
        engine.dispose()
    assert any("gaoxin" in p and "min_vacant_floor_m2" in p for p in caught.value.problems)
    with sr.connect(fresh_db_url) as conn:
        assert conn.execute(text("SELECT count(*) FROM target")).scalar_one() == 0

"""The sample's key-project rhythm layers (officials, assignments, plans, reports,
milestones reached, visits, problems) load into the ``project_*`` tables row for row, as
standing versions of the load's change set, which has its ledger row; a second load
changes nothing; records ended since come back in one change set of kind ``projects``;
bad values abort the load naming the layer, the row and the column, and store nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd
import pytest
import support_projects as sp
import support_reads as sr
from sqlalchemy import text

from service.audit.verify import verify
from service.db.engine import make_engine
from service.imports.loader import LoadError, LoadReport, load_dataset

pytestmark = pytest.mark.integration

#: Layer -> (table, key columns), written out here.
TABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "project_officials": ("project_official", ("official_code",)),
    "project_assignments": ("project_assignment", ("project_code", "official_code")),
    "project_plan_investment": ("project_plan_investment", ("project_code", "year", "month")),
    "project_plan_milestones": ("project_plan_milestone", ("project_code", "year", "milestone")),
    "project_plan_progress": ("project_plan_progress", ("project_code", "year", "quarter")),
    "project_reports": ("project_report", ("project_code", "year", "month")),
    "project_milestones_reached": ("project_milestone_reached", ("project_code", "milestone")),
    "project_visits": ("project_visit", ("project_code", "visited_on")),
    "project_problems": ("project_problem", ("problem_no",)),
}
PHRASES = {
    "project_officials": "officials",
    "project_assignments": "assignments",
    "project_plan_investment": "monthly plans",
    "project_plan_milestones": "planned milestones",
    "project_plan_progress": "progress targets",
    "project_reports": "monthly reports",
    "project_milestones_reached": "milestones reached",
    "project_visits": "visits",
    "project_problems": "problems",
}


def _load(url: str, path) -> LoadReport:
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        return load_dataset(engine, path, storage_srid=sr.STORAGE_EPSG, actor="rhythm-test")
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
    _, keys = TABLES[layer]
    frame = sr.layer(layer)
    columns = [c for c in frame.columns if c not in keys]
    return {
        tuple(_plain(r[k]) for k in keys): tuple(_plain(r[c]) for c in columns)
        for r in frame.to_dict("records")
    }


def _stored_rows(conn, layer: str) -> dict[tuple, tuple]:
    table, keys = TABLES[layer]
    columns = [c for c in sr.layer(layer).columns if c not in keys]
    rows = conn.execute(
        text(f"SELECT {', '.join([*keys, *columns])} FROM {table} WHERE valid_to IS NULL")
    ).all()
    return {
        tuple(_plain(v) for v in r[: len(keys)]): tuple(_plain(v) for v in r[len(keys) :])
        for r in rows
    }


def _standing_counts(url: str) -> dict[str, int]:
    with sr.connect(url) as conn:
        return {
            layer: conn.execute(
                text(f"SELECT count(*) FROM {table} WHERE valid_to IS NULL")
            ).scalar_one()
            for layer, (table, _) in TABLES.items()
        }


# --- the loaded sample -------------------------------------------------------------------


def test_the_sample_has_a_years_records_for_its_32_projects(sample_db_url):
    counts = _standing_counts(sample_db_url)
    assert counts == {layer: len(sr.layer(layer)) for layer in TABLES}
    assert 10 <= counts["project_officials"] <= 12
    assert counts["project_plan_investment"] == 32 * 12
    assert counts["project_plan_progress"] == 32 * 4
    assert 55 <= counts["project_problems"] <= 65
    with sr.connect(sample_db_url) as conn:
        reporting = conn.execute(
            text("SELECT count(DISTINCT project_code) FROM project_report WHERE valid_to IS NULL")
        ).scalar_one()
    assert reporting == 32


def test_every_rhythm_layer_is_loaded_row_for_row(sample_db_url):
    with sr.connect(sample_db_url) as conn:
        for layer in TABLES:
            stored, in_file = _stored_rows(conn, layer), _file_rows(layer)
            assert len(in_file) == len(sr.layer(layer)) > 0, layer  # keys are distinct
            assert stored.keys() == in_file.keys(), layer
            for key, values in in_file.items():
                assert stored[key] == pytest.approx(values, abs=1e-9), (layer, key)


def test_the_records_are_versions_of_the_loads_change_set_which_has_a_ledger_row(
    sample_db_url,
):
    with sr.connect(sample_db_url) as conn:
        made_in = set()
        for table, _ in TABLES.values():
            made_in |= set(
                conn.execute(text(f"SELECT DISTINCT change_set_id FROM {table}")).scalars()
            )
            ended = conn.execute(
                text(f"SELECT count(*) FROM {table} WHERE valid_to IS NOT NULL")
            ).scalar_one()
            assert ended == 0, table
        (change_set_id,) = made_in
        kind, ledger_rows = conn.execute(
            text(
                "SELECT c.kind, (SELECT count(*) FROM ledger l WHERE l.change_set_id = c.id) "
                "FROM change_set c WHERE c.id = :id"
            ),
            {"id": change_set_id},
        ).one()
        assert kind == "register" and ledger_rows == 1
        # the parcels the load registered are of the same change set
        parcels_in = set(
            conn.execute(text("SELECT DISTINCT change_set_id FROM parcel_version")).scalars()
        )
        assert change_set_id in parcels_in


def test_a_second_load_of_the_sample_adds_nothing(fresh_db_url):
    before = sr.row_counts(fresh_db_url)
    report = _load(fresh_db_url, sr.SAMPLE)
    assert sr.row_counts(fresh_db_url) == before
    assert not report.changed_anything and report.change_set_id is None
    assert report.rhythm_added == {layer: 0 for layer in TABLES}
    assert report.lines()[0].startswith("nothing to load")


def test_records_ended_since_come_back_in_one_projects_change_set_with_a_ledger_row(
    fresh_db_url,
):
    sp.clear_records(fresh_db_url)
    assert set(_standing_counts(fresh_db_url).values()) == {0}
    report = _load(fresh_db_url, sr.SAMPLE)
    assert report.rhythm_added == {layer: len(sr.layer(layer)) for layer in TABLES}
    assert sum(report.rhythm_replaced.values()) == 0
    assert report.parcels_added == 0 and not any(report.supervision_added.values())
    (line,) = [ln for ln in report.lines() if ln.startswith("key-project records: ")]
    for layer, phrase in PHRASES.items():
        assert f"{len(sr.layer(layer))} {phrase}" in line
    with sr.connect(fresh_db_url) as conn:
        kind, seq, delta = conn.execute(
            text(
                "SELECT c.kind, l.seq, l.delta_city_m2 FROM change_set c "
                "JOIN ledger l ON l.change_set_id = c.id WHERE c.id = :id"
            ),
            {"id": report.change_set_id},
        ).one()
        assert kind == "projects" and delta == 0 and seq == report.ledger_seq
        for table, _ in TABLES.values():
            made_in = set(
                conn.execute(
                    text(f"SELECT DISTINCT change_set_id FROM {table} WHERE valid_to IS NULL")
                ).scalars()
            )
            assert made_in == {report.change_set_id}, table
        assert verify(conn).ok
    again = _load(fresh_db_url, sr.SAMPLE)
    assert again.change_set_id is None and not again.changed_anything


def test_a_changed_report_in_a_later_file_makes_a_new_version_of_it(fresh_db_url, tmp_path):
    reports = sr.layer("project_reports")
    first = reports.iloc[0]
    reports.loc[reports.index[0], "employment"] = int(first["employment"]) + 7
    path = sr.write_gpkg(
        tmp_path / "revised.gpkg",
        parks=sr.layer("parks"),
        parcels=sr.parcels(),
        project_reports=reports,
    )
    report = _load(fresh_db_url, path)
    assert report.rhythm_added == {"project_reports": 1}
    assert report.rhythm_replaced == {"project_reports": 1}
    with sr.connect(fresh_db_url) as conn:
        versions = conn.execute(
            text(
                "SELECT r.employment, r.valid_to IS NULL AS standing, c.kind "
                "FROM project_report r JOIN change_set c ON c.id = r.change_set_id "
                "WHERE r.project_code = :p AND r.year = :y AND r.month = :m "
                "ORDER BY r.version_id"
            ),
            {"p": first["project_code"], "y": int(first["year"]), "m": int(first["month"])},
        ).all()
    assert [tuple(v) for v in versions] == [
        (int(first["employment"]), False, "register"),
        (int(first["employment"]) + 7, True, "projects"),
    ]


def test_bad_values_abort_the_load_naming_the_layer_the_row_and_the_column(fresh_db_url, tmp_path):
    reports = sr.layer("project_reports").iloc[:4].copy()
    reports["year"] = 2027  # new keys: nothing of the sample's is touched
    reports.loc[reports.index[1], "month"] = 13
    reports.loc[reports.index[2], "project_code"] = "XX-P99"
    reports.loc[reports.index[3], "cumulative_investment_wan"] = 0.5
    problems = sr.layer("project_problems").iloc[:2].copy()
    problems["problem_no"] = ["T-Q001", "T-Q002"]
    problems.loc[problems.index[0], "due_on"] = "2001-01-01"
    problems.loc[problems.index[1], "official_code"] = "LD-404"
    path = sr.write_gpkg(
        tmp_path / "bad.gpkg",
        parks=sr.layer("parks"),
        parcels=sr.parcels(),
        project_reports=reports,
        project_problems=problems,
    )
    before = sr.row_counts(fresh_db_url)
    with pytest.raises(LoadError) as caught:
        _load(fresh_db_url, path)
    assert sr.row_counts(fresh_db_url) == before
    row2, row4, problem1 = reports.iloc[1], reports.iloc[3], problems.iloc[0]
    assert caught.value.problems == [
        f"project_reports row 2 ({row2['project_code']}/2027/13): month 13 must be between "
        "1 and 12",
        f"project_reports row 4 ({row4['project_code']}/2027/{row4['month']}): "
        "cumulative_investment_wan 0.5 is less than the month's investment_wan "
        f"{row4['investment_wan']}",
        f"project_problems row 1 (T-Q001): due_on 2001-01-01 is before raised_on "
        f"{problem1['raised_on']}",
    ]
    # XX-P99 and LD-404 are well-formed values: that they name nothing is checked once
    # every value is (a file with both kinds of problem is told of its values first)
    reports = sr.layer("project_reports").iloc[:1].copy()
    reports["year"] = 2027
    reports["project_code"] = "XX-P99"
    problems = problems.iloc[1:]
    path = sr.write_gpkg(
        tmp_path / "unknown.gpkg",
        parks=sr.layer("parks"),
        parcels=sr.parcels(),
        project_reports=reports,
        project_problems=problems,
    )
    with pytest.raises(LoadError) as caught:
        _load(fresh_db_url, path)
    assert sr.row_counts(fresh_db_url) == before
    assert sorted(caught.value.problems) == [
        "project_problems row 1 (T-Q002): official_code: unknown official 'LD-404'",
        "project_reports row 1 (XX-P99/2027/1): project_code: unknown project 'XX-P99'",
    ]

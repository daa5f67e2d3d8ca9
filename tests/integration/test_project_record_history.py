"""Key projects' records keep their history whoever writes: the writes of
service.projects.writes make versions in one change set each and roll back whole when a
check refuses; the service's role can neither edit nor delete a version (the history guard
of the supervision records covers the project tables too). Writes really commit (fresh copy
of the loaded sample per test); expected versions are read back with our own SQL."""

from __future__ import annotations

from datetime import date

import pytest
import support_projects as sp
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from parks.errors import InvalidRecord, ParkOutOfScope
from parks.projects.records import (
    PlanRecord,
    ProblemChange,
    ProblemRecord,
    ProjectSettingChange,
    ReportRecord,
)
from service.db.engine import make_engine
from service.projects import writes
from service.projects.settings import settings_in_force

pytestmark = pytest.mark.integration

TODAY = date(2026, 6, 30)
CODE = "T-HIST1"


@pytest.fixture
def engine(fresh_db_url):
    sp.add_project(fresh_db_url, CODE, park="caijiapo")
    engine = make_engine(fresh_db_url)
    yield engine
    engine.dispose()


def _count(engine, sql: str, **params) -> int:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


def _report(month: str, investment: float, cumulative: float) -> ReportRecord:
    return ReportRecord.model_validate(
        {
            "month": month,
            "investment_wan": investment,
            "cumulative_investment_wan": cumulative,
            "reason": "月报",
        }
    )


@pytest.mark.parametrize(
    ("statement", "why"),
    [
        (
            "UPDATE project_report SET investment_wan = 999 WHERE project_code = 'T-HIST1'",
            "edit a figure",
        ),
        (
            "UPDATE project_report SET valid_from = valid_from - interval '1 day' "
            "WHERE project_code = 'T-HIST1'",
            "move its history",
        ),
        ("DELETE FROM project_report WHERE project_code = 'T-HIST1'", "delete"),
        ("TRUNCATE project_report", "truncate"),
    ],
)
def test_the_service_role_cannot_rewrite_a_project_report_version(engine, statement, why):
    with engine.begin() as conn:
        writes.write_report(conn, CODE, _report("2026-03", 80, 200), actor="t", today=TODAY)
    with pytest.raises(DBAPIError), engine.begin() as conn:
        assert conn.execute(text("SELECT current_user")).scalar_one() == "parks_app"
        conn.execute(text(statement))
    row_sql = (
        "SELECT investment_wan FROM project_report WHERE project_code = :c AND valid_to IS NULL"
    )
    assert _count(engine, row_sql, c=CODE) == 80, why


def test_a_report_correction_ends_the_old_version_in_the_new_change_set(engine):
    with engine.begin() as conn:
        first = writes.write_report(conn, CODE, _report("2026-03", 80, 200), actor="a", today=TODAY)
    with engine.begin() as conn:
        second = writes.write_report(
            conn, CODE, _report("2026-03", 90, 210), actor="b", today=TODAY
        )
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT investment_wan, change_set_id, ended_by_change_set_id, valid_to "
                "FROM project_report WHERE project_code = :c ORDER BY version_id"
            ),
            {"c": CODE},
        ).all()
    assert [(float(r.investment_wan), r.change_set_id) for r in rows] == [
        (80.0, first["change_set_id"]),
        (90.0, second["change_set_id"]),
    ]
    assert rows[0].ended_by_change_set_id == second["change_set_id"]
    assert rows[0].valid_to is not None and rows[1].valid_to is None


def test_a_refused_write_leaves_no_change_set_and_no_version(engine):
    versions = "SELECT count(*) FROM project_problem"
    change_sets = "SELECT count(*) FROM change_set"
    before = (_count(engine, versions), _count(engine, change_sets))
    body = {
        "description": "电力增容",
        "category": "power_water",
        "raised_on": "2026-03-01",
        "department": "供电公司",
        "due_on": "2026-04-01",
        "official_code": "NOBODY",
        "reason": "交办",
    }
    with pytest.raises(InvalidRecord) as caught, engine.begin() as conn:
        writes.raise_problem(conn, CODE, ProblemRecord.model_validate(body), actor="t", today=TODAY)
    assert caught.value.field == "official_code"
    with pytest.raises(ParkOutOfScope), engine.begin() as conn:
        plan = PlanRecord.model_validate({"year": 2026, "reason": "r"})
        writes.write_plan(conn, CODE, plan, actor="t", parks=("gaoxin",))
    assert (_count(engine, versions), _count(engine, change_sets)) == before


def test_a_problems_changes_are_versions_and_its_number_is_never_given_again(engine):
    body = {
        "description": "融资未到位",
        "category": "financing",
        "raised_on": "2026-02-01",
        "department": "市金融办",
        "due_on": "2026-03-31",
        "reason": "交办",
    }
    with engine.begin() as conn:
        raised = writes.raise_problem(
            conn, CODE, ProblemRecord.model_validate(body), actor="a", today=TODAY
        )
    number = raised["problem"]["problem_no"]
    assert number == f"{CODE}-Q001"
    with engine.begin() as conn:
        change = ProblemChange.model_validate(
            {"status": "solved", "resolution": "贷款到位", "reason": "销号"}
        )
        solved = writes.change_problem(conn, CODE, number, change, actor="b", today=TODAY)
    assert solved["problem"]["solved_on"] == TODAY.isoformat()
    assert solved["problem"]["days_overdue"] == (TODAY - date(2026, 3, 31)).days
    assert (
        _count(engine, "SELECT count(*) FROM project_problem WHERE problem_no = :n", n=number) == 2
    )
    sp.clear_records(str(engine.url.render_as_string(hide_password=False)))
    with engine.begin() as conn:
        again = writes.raise_problem(
            conn, CODE, ProblemRecord.model_validate(body), actor="a", today=TODAY
        )
    assert again["problem"]["problem_no"] == f"{CODE}-Q002"


def test_a_setting_written_is_the_one_in_force_and_recorded_as_a_project_setting(engine):
    change = ProjectSettingChange.model_validate(
        {"name": "progress.behind_share", "value": 0.3, "reason": "放宽"}
    )
    with engine.begin() as conn:
        out = writes.write_setting(conn, change, actor="admin-1")
    with engine.connect() as conn:
        assert settings_in_force(conn)["progress.behind_share"] == 0.3
        kind = conn.execute(
            text("SELECT kind FROM change_set WHERE id = :id"), {"id": out["change_set_id"]}
        ).scalar_one()
    assert kind == "project_setting" and out["actor"] == "admin-1"

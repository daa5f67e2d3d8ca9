"""A key project's summary (``service.projects.summary``: the JSON of
``/api/projects/{code}`` and the page's figures), recomputed here from the records the
test writes on a copy of the sample whose own rhythm records are cleared first: the
monthly plan and reports and their cumulative sums, the completion of the year's plan,
the milestones judged (a day late is late by one day), the open problems most overdue
first (a solved one is not open, and its overdue clock stopped the day it was solved),
the officials lead first, the visits newest first and the parcels' current versions with
their history."""

from __future__ import annotations

from datetime import date
from itertools import accumulate

import psycopg
import pytest
import support_projects as sp

from parks.errors import InvalidParameter, NotFound
from service.db.engine import make_engine
from service.projects.summary import project_summary

pytestmark = pytest.mark.integration

CODE = "ZZ-SUM-01"
OTHER = "ZZ-SUM-02"
YEAR = 2025
TODAY = date(2026, 12, 7)
MU = 10000 / 15
PLAN = [100, 120, 150, 150, 200, 200, 250, 250, 200, 150, 120, 110]
#: Reports for months 1..9; month 5 has none.
DONE = {1: 80, 2: 130, 3: 90, 4: 160, 6: 210, 7: 180, 8: 260, 9: 140}


def _psycopg(url: str) -> psycopg.Connection:
    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))


@pytest.fixture(scope="module")
def written(sample_db_url: str) -> dict:
    """Two projects of the test's own, the first on two parcels of the sample, and their
    records (the sample's own rhythm records ended first)."""
    with _psycopg(sample_db_url) as conn:
        parcels = [
            r[0]
            for r in conn.execute(
                "SELECT parcel_code FROM parcel_version WHERE valid_to IS NULL"
                " AND park = 'jiangtan' ORDER BY parcel_code LIMIT 2"
            )
        ]
    sp.clear_records(sample_db_url)
    sp.add_project(sample_db_url, CODE, park="jiangtan", parcel_codes=parcels)
    sp.add_project(sample_db_url, OTHER, park="jiangtan")
    reports = [r for r in sp.reports(CODE, YEAR, [DONE.get(m, 0) for m in range(1, 10)])]
    reports = [r for r in reports if r["month"] in DONE]
    sp.put(
        sample_db_url,
        project_official=[
            sp.official("OF-A", "张副区长", title="副区长"),
            sp.official("OF-B", "李主任", title="主任"),
        ],
        project_assignment=[
            sp.assignment(CODE, "OF-A", role="member"),
            sp.assignment(CODE, "OF-B", role="lead"),
        ],
        project_plan_investment=sp.plan_months(CODE, YEAR, PLAN)
        + sp.plan_months(CODE, YEAR + 1, [999] * 12)
        + sp.plan_months(OTHER, YEAR, [1] * 12),
        project_plan_milestone=[
            sp.plan_milestone(CODE, "construction_start", date(2025, 3, 10)),
            sp.plan_milestone(CODE, "structure_complete", date(2025, 6, 30)),
            sp.plan_milestone(CODE, "equipment_installed", date(2025, 9, 30)),
            sp.plan_milestone(CODE, "production_start", date(2025, 12, 31)),
        ],
        project_plan_progress=[sp.plan_progress(CODE, YEAR, q, 25 * q) for q in (1, 2, 3, 4)],
        project_report=reports,
        project_milestone_reached=[
            sp.reached(CODE, "signing", date(2024, 5, 1)),  # not in the 2025 plan
            sp.reached(CODE, "construction_start", date(2025, 3, 11)),  # a day late
            sp.reached(CODE, "structure_complete", date(2025, 6, 20)),  # on time
        ],
        project_visit=[
            sp.visit(CODE, date(2025, 4, 2), score=82),
            sp.visit(CODE, date(2025, 10, 9), score=None, kind="inspection"),
            sp.visit(CODE, date(2024, 11, 1), score=70),  # another year
        ],
        project_problem=[
            sp.problem(
                "ZZ-Q001", CODE, raised_on=date(2025, 2, 1), due_on=date(2025, 3, 1),
                solved_on=date(2025, 3, 11), official_code="OF-B",
            ),
            sp.problem(
                "ZZ-Q002", CODE, raised_on=date(2025, 3, 1), due_on=date(2025, 4, 1),
                official_code="OF-A", category="power_water",
            ),
            sp.problem(
                "ZZ-Q003", CODE, raised_on=date(2025, 5, 1), due_on=date(2025, 9, 1),
                solved_on=date(2025, 11, 20), official_code="OF-A",
            ),
            sp.problem("ZZ-Q004", CODE, raised_on=date(2025, 11, 1), due_on=date(2026, 1, 31)),
            sp.problem("ZZ-Q005", CODE, raised_on=date(2025, 6, 1), due_on=date(2025, 8, 1)),
        ],
    )  # fmt: skip
    return {"url": sample_db_url, "parcels": parcels}


@pytest.fixture(scope="module")
def summarise(written):
    engine = make_engine(written["url"], pool_size=1, max_overflow=0)

    def _summary(code: str = CODE, **kwargs):
        with engine.connect() as conn:
            return project_summary(conn, project_code=code, today=TODAY, **kwargs)

    yield _summary
    engine.dispose()


def test_the_months_are_the_plan_and_the_reports_with_their_running_sums(summarise):
    s = summarise(year=YEAR)
    assert s["year"] == YEAR and s["as_of"] == date(2025, 12, 31)
    months = s["investment"]["months"]
    assert [m["month"] for m in months] == list(range(1, 13))
    done = [DONE.get(m) for m in range(1, 13)]
    assert [m["planned_wan"] for m in months] == PLAN
    assert [m["completed_wan"] for m in months] == done
    assert [m["cumulative_planned_wan"] for m in months] == list(accumulate(PLAN))
    assert [m["cumulative_completed_wan"] for m in months] == list(accumulate(d or 0 for d in done))
    inv = s["investment"]
    assert inv["through_month"] == 12
    assert inv["planned_year_wan"] == sum(PLAN)
    assert inv["completed_to_date_wan"] == sum(DONE.values())
    assert inv["completion_of_year_pct"] == round(sum(DONE.values()) / sum(PLAN) * 100, 2)


def test_as_of_mid_month_the_plan_to_date_runs_through_the_last_complete_month(summarise):
    s = summarise(as_of=date(2025, 6, 15))
    inv = s["investment"]
    assert s["year"] == YEAR and inv["through_month"] == 5
    assert inv["planned_to_date_wan"] == sum(PLAN[:5])
    assert inv["completed_to_date_wan"] == sum(DONE.get(m, 0) for m in range(1, 6))
    assert inv["completion_of_year_pct"] == round(
        sum(DONE.get(m, 0) for m in range(1, 6)) / sum(PLAN) * 100, 2
    )
    months = inv["months"]
    # June's report is there by the 15th; July's is not known yet.
    assert [m["completed_wan"] for m in months[5:]] == [DONE[6]] + [None] * 6
    assert months[5]["cumulative_completed_wan"] == sum(DONE.get(m, 0) for m in range(1, 7))
    assert [m["cumulative_completed_wan"] for m in months[6:]] == [None] * 6
    # 1..5 planned 720, done 460: short by 36 % > 20 % of plan.
    assert inv["behind_plan"] is True


def test_a_milestone_reached_one_day_late_is_late_by_one_day(summarise):
    by_name = {m["milestone"]: m for m in summarise(year=YEAR)["milestones"]}
    late = by_name["construction_start"]
    assert late["planned_on"] == date(2025, 3, 10) and late["reached_on"] == date(2025, 3, 11)
    assert late["state"] == "late" and late["delay_days"] == 1 and late["late"] is True


def test_milestones_are_judged_as_of_the_day_and_listed_in_the_order_reached(summarise):
    s = summarise(year=YEAR)
    assert [m["milestone"] for m in s["milestones"]] == [
        "signing",
        "construction_start",
        "structure_complete",
        "equipment_installed",
        "production_start",
    ]
    by_name = {m["milestone"]: m for m in s["milestones"]}
    assert by_name["signing"]["state"] == "unplanned" and by_name["signing"]["planned_on"] is None
    assert by_name["structure_complete"]["state"] == "on_time"
    assert by_name["structure_complete"]["delay_days"] == 0
    overdue = by_name["equipment_installed"]
    assert overdue["state"] == "overdue" and overdue["reached_on"] is None
    assert overdue["delay_days"] == (date(2025, 12, 31) - date(2025, 9, 30)).days
    assert by_name["production_start"]["state"] == "pending"  # due on the judged day
    assert s["milestones_late"] == 2
    # Judged on 2025-03-10, the start is not known to be reached yet and not yet late.
    early = {m["milestone"]: m for m in summarise(as_of=date(2025, 3, 10))["milestones"]}
    assert early["construction_start"]["state"] == "pending"
    assert early["construction_start"]["reached_on"] is None


def test_a_solved_problem_is_not_open_and_its_overdue_clock_stopped(summarise):
    problems = summarise(year=YEAR)["problems"]
    as_of = date(2025, 12, 31)
    open_numbers = [p["problem_no"] for p in problems["open"]]
    assert "ZZ-Q001" not in open_numbers and "ZZ-Q003" not in open_numbers
    solved = {p["problem_no"]: p for p in problems["solved"]}
    # Due 1 September, solved 20 November: 80 days overdue, however late it is judged.
    assert solved["ZZ-Q003"]["days_overdue"] == (date(2025, 11, 20) - date(2025, 9, 1)).days
    assert solved["ZZ-Q003"]["solved_on_time"] is False
    assert solved["ZZ-Q001"]["days_overdue"] == 10
    # Most overdue first: Q002 (due 1 April), Q005 (1 August), Q004 (not due yet).
    assert open_numbers == ["ZZ-Q002", "ZZ-Q005", "ZZ-Q004"]
    days = {p["problem_no"]: p["days_overdue"] for p in problems["open"]}
    assert days == {
        "ZZ-Q002": (as_of - date(2025, 4, 1)).days,
        "ZZ-Q005": (as_of - date(2025, 8, 1)).days,
        "ZZ-Q004": 0,
    }
    first = problems["open"][0]
    assert first["official_name"] == "张副区长" and first["category_zh"] == "水电气"
    assert problems["solved_count"] == 2 and problems["overdue_count"] == 2


def test_a_problem_solved_after_the_judged_day_was_open_on_it(summarise):
    problems = summarise(as_of=date(2025, 10, 1))["problems"]
    open_ = {p["problem_no"]: p for p in problems["open"]}
    assert "ZZ-Q003" in open_ and open_["ZZ-Q003"]["overdue"] is True
    assert open_["ZZ-Q003"]["days_overdue"] == (date(2025, 10, 1) - date(2025, 9, 1)).days
    assert "ZZ-Q004" not in open_  # raised after the judged day
    assert problems["solved_count"] == 1


def test_officials_lead_first_and_visits_of_the_year_newest_first(summarise):
    s = summarise(year=YEAR)
    assert [(o["official_code"], o["role"]) for o in s["officials"]] == [
        ("OF-B", "lead"),
        ("OF-A", "member"),
    ]
    assert s["officials"][0]["name"] == "李主任"
    assert [v["visited_on"] for v in s["visits"]] == [date(2025, 10, 9), date(2025, 4, 2)]
    assert s["visits"][0]["kind_zh"] == "专项督查" and s["visits"][1]["score"] == 82


def test_progress_targets_by_quarter_and_the_latest_report(summarise):
    progress = summarise(year=YEAR)["progress"]
    assert [(t["quarter"], t["target_pct"]) for t in progress["targets"]] == [
        (1, 25), (2, 50), (3, 75), (4, 100),
    ]  # fmt: skip
    assert progress["latest"]["month"] == 9 and progress["latest"]["year"] == YEAR
    assert progress["current_quarter"] == 4


def test_parcels_are_their_current_versions_with_their_history(summarise, written):
    parcels = summarise(year=YEAR)["parcels"]
    with _psycopg(written["url"]) as conn:
        expected = {
            code: (area, status, versions)
            for code, area, status, versions in conn.execute(
                "SELECT v.parcel_code, v.area_m2, v.status,"
                " (SELECT count(*) FROM parcel_version h WHERE h.parcel_code = v.parcel_code)"
                " FROM parcel_version v WHERE v.valid_to IS NULL AND v.parcel_code = ANY(%s)",
                (written["parcels"],),
            )
        }
    assert sorted(p["parcel_code"] for p in parcels) == sorted(written["parcels"])
    for p in parcels:
        area, status, versions = expected[p["parcel_code"]]
        assert p["area_m2"] == pytest.approx(area, abs=0.01)
        assert p["area_mu"] == pytest.approx(area / MU, abs=1e-4)
        assert p["status"] == status and len(p["history"]) == versions
        assert p["parcel_history_url"] == f"/api/parcels/{p['parcel_code']}/history"


def test_an_unknown_project_is_not_found_and_a_bad_day_names_its_parameter(summarise):
    with pytest.raises(NotFound):
        summarise("NOPE-1")
    with pytest.raises(InvalidParameter) as refused:
        summarise(year=YEAR, as_of=date(2024, 5, 1))
    assert refused.value.parameter == "as_of"
    with pytest.raises(InvalidParameter) as refused:
        summarise(year=TODAY.year + 1)
    assert refused.value.parameter == "year"


def test_a_project_without_records_has_an_empty_year(summarise):
    s = summarise(OTHER, year=YEAR + 1)
    inv = s["investment"]
    assert inv["planned_year_wan"] == 0 and inv["completion_of_year_pct"] is None
    assert all(m["completed_wan"] is None for m in inv["months"])
    assert s["milestones"] == [] and s["problems"]["open"] == [] and s["visits"] == []

"""The key-project list and the map's marks, on hand-built records (the sample's own
rhythm records ended first): the list's one query judges each project by the rules of
parks.projects.rules — a project exactly at the behind-plan threshold is not behind and
one a cent further short is; a milestone reached one day late counts late; a problem
solved after its due day is no longer overdue (solving stops the clock) — and its
filters, order and totals are the ones recomputed here from the records written.
The month (June 2026) is judged as of its last day, 2026-06-30."""

from __future__ import annotations

import json
from datetime import date

import pytest
import support_projects as sp
from shapely.geometry import Point, shape
from sqlalchemy import text
from support_roles import app_url

from parks.projects.rules import (
    is_behind_plan,
    judge_milestone,
    problem_is_overdue,
    problem_overdue_days,
)
from parks.vocabulary import ProjectStatus
from service.db.engine import make_engine
from service.projects import progress
from service.projects.progress import ProgressFilters

pytestmark = pytest.mark.integration

TODAY = date(2026, 12, 7)
D = date(2026, 6, 30)
MONTH = 6
CHAIN = "测试产业链"

#: Planned milestones of T-MS: milestone -> (planned on, reached on or None).
MILESTONES = {
    "signing": (date(2026, 3, 10), date(2026, 3, 11)),  # one day late
    "land_supply": (date(2026, 3, 20), date(2026, 3, 20)),  # on the day
    "construction_start": (date(2026, 5, 1), None),  # not reached, overdue
    "structure_complete": (date(2026, 6, 1), date(2026, 7, 5)),  # reached after D: overdue
    "equipment_installed": (date(2026, 6, 30), None),  # due on D itself: pending
    "production_start": (date(2026, 9, 1), None),  # not due
}
#: Problems of T-PB: number -> (raised on, due on, solved on or None).
PROBLEMS = {
    "T-PB-Q001": (date(2026, 2, 1), date(2026, 3, 1), date(2026, 3, 15)),  # solved late
    "T-PB-Q002": (date(2026, 2, 1), date(2026, 4, 1), date(2026, 7, 10)),  # solved after D
    "T-PB-Q003": (date(2026, 5, 1), date(2026, 6, 10), None),  # overdue, open
    "T-PB-Q004": (date(2026, 6, 1), date(2026, 6, 30), None),  # due on D: not overdue
    "T-PB-Q005": (date(2026, 7, 2), date(2026, 8, 1), None),  # raised after D
}
#: Each project's plan (万元 a month, 12 months) and reports (months 1..n).
PLANS = {
    "T-AT": ([1000] * 12, [800] * 6),  # exactly 20 % short: not behind
    "T-CENT": ([1000] * 12, [800] * 5 + [799.99]),  # a cent more: behind
    "T-AHEAD": ([500] * 12, [600] * 6),
    "T-MS": ([300] * 12, [300] * 6),
    "T-PB": ([200] * 12, [190] * 6),
    "T-NOPLAN": (None, None),
}


@pytest.fixture(scope="module")
def world(databases, loaded_template):
    """The module's own copy of the sample, written once: the sample's records ended, six
    projects of our own with their records, and two parcels of Jiangtan as T-CENT's site."""
    url = app_url(databases.create(template=loaded_template))
    sp.clear_records(url)
    engine = make_engine(url, pool_size=1, max_overflow=0)
    with engine.connect() as conn:
        site = list(
            conn.execute(
                text(
                    "SELECT parcel_code FROM parcel_version WHERE valid_to IS NULL "
                    "AND park = 'jiangtan' AND parcel_code NOT IN "
                    "(SELECT parcel_code FROM project_parcel) ORDER BY parcel_code LIMIT 2"
                )
            ).scalars()
        )
    engine.dispose()
    sp.add_project(url, "T-AT", park="jiangtan", status="under_construction")
    sp.add_project(url, "T-CENT", park="jiangtan", status="signed", parcel_codes=site)
    sp.add_project(url, "T-AHEAD", park="jiangtan", status="operating", industry_chain="另一链")
    sp.add_project(url, "T-MS", park="jiangtan", status="under_construction")
    sp.add_project(url, "T-PB", park="caijiapo", status="under_construction")
    sp.add_project(url, "T-NOPLAN", park="caijiapo", status="planned")
    plans, reports = [], []
    for code, (planned, done) in PLANS.items():
        if planned:
            plans += sp.plan_months(code, 2026, planned)
            reports += sp.reports(code, 2026, done)
    # a plan and a report of another year count for nothing in 2026
    plans += sp.plan_months("T-AT", 2025, [5000] * 12)
    reports += sp.reports("T-AT", 2025, [1] * 12)
    sp.put(
        url,
        project_official=[sp.official("O-A", "张三"), sp.official("O-B", "李四")],
        project_assignment=[
            sp.assignment("T-AT", "O-B", role="member"),
            sp.assignment("T-AT", "O-A", role="lead"),
            sp.assignment("T-PB", "O-A"),
            sp.assignment("T-MS", "O-B"),
        ],
        project_plan_investment=plans,
        project_report=reports,
        project_plan_milestone=[
            sp.plan_milestone("T-MS", m, planned) for m, (planned, _r) in MILESTONES.items()
        ]
        # a late milestone of last year's plan is not this year's
        + [sp.plan_milestone("T-MS", "signing", date(2025, 3, 1))],
        project_milestone_reached=[
            sp.reached("T-MS", m, reached) for m, (_p, reached) in MILESTONES.items() if reached
        ],
        project_visit=[
            sp.visit("T-AT", date(2026, 3, 1)),
            sp.visit("T-AT", date(2026, 6, 15), score=90),
            sp.visit("T-AT", date(2026, 7, 20)),  # after D: not known yet
        ],
        project_problem=[
            sp.problem(no, "T-PB", raised_on=r, due_on=d, solved_on=s, official_code="O-A")
            for no, (r, d, s) in PROBLEMS.items()
        ],
    )
    return {"url": url, "site": site}


@pytest.fixture(scope="module")
def conn(world):
    engine = make_engine(world["url"], pool_size=1, max_overflow=0)
    with engine.connect() as c:
        yield c
    engine.dispose()


@pytest.fixture(scope="module")
def when():
    return progress.progress_month(2026, str(MONTH), today=TODAY)


def _list(conn, when, **kwargs) -> dict:
    return progress.project_progress(conn, when=when, **kwargs)


@pytest.fixture(scope="module")
def rows(conn, when) -> dict[str, dict]:
    return {r["project_code"]: r for r in _list(conn, when)["projects"]}


def _ours(answer: dict) -> list[dict]:
    return [r for r in answer["projects"] if r["project_code"].startswith("T-")]


# --- the month --------------------------------------------------------------------------


def test_the_list_is_of_the_month_asked_judged_on_its_last_day(conn, when):
    answer = _list(conn, when)
    assert (answer["year"], answer["month"], answer["as_of"]) == (2026, 6, "2026-06-30")
    assert answer["behind_share"] == 0.2


@pytest.mark.parametrize(
    ("year", "month", "today", "expected"),
    [
        (None, None, date(2026, 12, 7), (2026, 11, date(2026, 11, 30))),  # last complete
        (None, None, date(2026, 11, 30), (2026, 11, date(2026, 11, 30))),  # its last day
        (None, None, date(2027, 1, 15), (2026, 12, date(2026, 12, 31))),  # across a year
        (2025, None, date(2026, 12, 7), (2025, 12, date(2025, 12, 31))),  # a past year
        (2027, None, date(2027, 1, 15), (2027, 1, date(2027, 1, 15))),  # January, running
        (None, "2026-10", date(2026, 12, 7), (2026, 10, date(2026, 10, 31))),
        (2026, "3", date(2026, 12, 7), (2026, 3, date(2026, 3, 31))),
        (None, "03", date(2026, 12, 7), (2026, 3, date(2026, 3, 31))),
        (None, "2026-12", date(2026, 12, 7), (2026, 12, date(2026, 12, 7))),  # running
    ],
)
def test_the_month_is_the_last_complete_one_unless_asked(year, month, today, expected):
    got = progress.progress_month(year, month, today=today)
    assert (got.year, got.month, got.as_of) == expected


@pytest.mark.parametrize(
    ("year", "month", "parameter"),
    [
        (None, "13", "month"),
        (None, "2026-00", "month"),
        (None, "June", "month"),
        (None, "2027-01", "month"),  # after today
        (2027, None, "year"),  # after today
        (1989, None, "year"),
        (2025, "2026-03", "year"),  # the year of YYYY-MM is the month's
    ],
)
def test_a_bad_month_or_year_is_refused_naming_it(year, month, parameter):
    from parks.errors import InvalidParameter

    with pytest.raises(InvalidParameter) as refused:
        progress.progress_month(year, month, today=TODAY)
    assert refused.value.parameter == parameter


# --- the rules ------------------------------------------------------------------------------


def test_a_project_exactly_at_the_threshold_is_not_behind_and_a_cent_more_short_is(rows):
    at, cent = rows["T-AT"], rows["T-CENT"]
    assert (at["planned_to_date_wan"], at["completed_to_date_wan"]) == (6000, 4800)
    assert (cent["planned_to_date_wan"], cent["completed_to_date_wan"]) == (6000, 4799.99)
    assert at["behind"] is False and cent["behind"] is True
    # the rule says the same
    assert not is_behind_plan(4800, 6000, behind_share=0.2)
    assert is_behind_plan(4799.99, 6000, behind_share=0.2)
    assert at["shortfall_share"] == pytest.approx(0.2)
    assert cent["shortfall_share"] == pytest.approx(round((6000 - 4799.99) / 6000, 4))


def test_investment_is_the_years_plan_and_the_months_reports_through_the_month(rows):
    for code, (planned, done) in PLANS.items():
        row = rows[code]
        year = sum(planned or [])
        to_date = sum((planned or [])[:MONTH])
        completed = round(sum(done or []), 2)
        assert row["planned_year_wan"] == pytest.approx(year), code
        assert row["planned_to_date_wan"] == pytest.approx(to_date), code
        assert row["completed_to_date_wan"] == pytest.approx(completed), code
        if year:
            assert row["completion_of_year_pct"] == pytest.approx(round(100 * completed / year, 2))
            assert row["completion_to_date_pct"] == pytest.approx(
                round(100 * completed / to_date, 2)
            )
        else:
            assert row["completion_of_year_pct"] is None
            assert row["completion_to_date_pct"] is None
            assert row["shortfall_share"] == 0
        assert row["behind"] is is_behind_plan(completed, to_date, behind_share=0.2), code
    assert rows["T-AHEAD"]["shortfall_share"] == pytest.approx(-0.2)  # ahead of plan


def test_a_milestone_reached_one_day_late_counts_late(rows):
    judged = {m: judge_milestone(p, r, as_of=D) for m, (p, r) in MILESTONES.items()}
    assert judged["signing"].is_late and judged["signing"].delay_days == 1
    assert not judged["land_supply"].is_late
    late = sum(j.is_late for j in judged.values())
    due = sum(p <= D for p, _r in MILESTONES.values())
    assert (late, due) == (3, 5)
    row = rows["T-MS"]
    assert (row["milestones_late"], row["milestones_due"]) == (late, due)


def test_a_problem_solved_after_its_due_day_is_no_longer_overdue(rows):
    counted = {no: v for no, v in PROBLEMS.items() if v[0] <= D}
    open_ = [no for no, (_r, _d, s) in counted.items() if s is None or s > D]
    overdue = [no for no, (_r, d, s) in counted.items() if problem_is_overdue(d, s, as_of=D)]
    assert "T-PB-Q001" not in overdue and "T-PB-Q001" not in open_  # solved: the clock stopped
    assert problem_overdue_days(date(2026, 3, 1), date(2026, 3, 15), as_of=D) == 14
    assert sorted(overdue) == ["T-PB-Q002", "T-PB-Q003"]  # Q002's solving is after D
    row = rows["T-PB"]
    assert (row["open_problems"], row["overdue_problems"]) == (len(open_), len(overdue)) == (3, 2)
    assert row["max_days_overdue"] == max(
        problem_overdue_days(counted[no][1], counted[no][2], as_of=D) for no in overdue
    )
    assert row["max_days_overdue"] == 90


def test_officials_lead_first_and_the_last_visit_known_on_the_day(rows):
    assert rows["T-AT"]["officials"] == [
        {"official_code": "O-A", "name": "张三", "role": "lead"},
        {"official_code": "O-B", "name": "李四", "role": "member"},
    ]
    assert rows["T-NOPLAN"]["officials"] == []
    assert rows["T-AT"]["last_visit_on"] == "2026-06-15"
    assert rows["T-PB"]["last_visit_on"] is None


def test_every_project_is_listed_with_its_names_and_page(conn, when, rows):
    codes = set(conn.execute(text("SELECT project_code FROM project")).scalars())
    assert set(rows) == codes
    row = rows["T-PB"]
    assert (row["park"], row["park_name"]) == ("caijiapo", "蔡家坡经济技术开发区")
    assert (row["status"], row["status_zh"], row["industry_chain"]) == (
        "under_construction",
        "在建",
        CHAIN,
    )
    assert row["page"] == "/projects/T-PB"


def test_the_behind_share_in_force_is_the_one_judged_by(conn, when, world):
    sp.put(world["url"], project_setting=[sp.setting("progress.behind_share", 0.25)])
    try:
        answer = _list(conn, when)
        assert answer["behind_share"] == 0.25
        cent = next(r for r in answer["projects"] if r["project_code"] == "T-CENT")
        assert cent["behind"] is is_behind_plan(4799.99, 6000, behind_share=0.25) is False
    finally:
        sp.put(world["url"], project_setting=[sp.setting("progress.behind_share", 0.2)])


# --- totals, filters, order ----------------------------------------------------------------


def _totals(rows: list[dict]) -> dict:
    return {
        "projects": len(rows),
        "planned_year_wan": sum(r["planned_year_wan"] for r in rows),
        "planned_to_date_wan": sum(r["planned_to_date_wan"] for r in rows),
        "completed_to_date_wan": sum(r["completed_to_date_wan"] for r in rows),
        "behind": sum(r["behind"] for r in rows),
        "milestones_late": sum(r["milestones_late"] for r in rows),
        "open_problems": sum(r["open_problems"] for r in rows),
        "overdue_problems": sum(r["overdue_problems"] for r in rows),
    }


def test_the_totals_are_those_of_the_records_written(conn, when):
    answer = _list(conn, when, filters=ProgressFilters(chain=CHAIN))
    ours = answer["projects"]
    assert {r["project_code"] for r in ours} == set(PLANS) - {"T-AHEAD"}
    expected = {
        "projects": 5,
        "planned_year_wan": 12 * (1000 + 1000 + 300 + 200),
        "planned_to_date_wan": 6 * (1000 + 1000 + 300 + 200),
        "completed_to_date_wan": 4800 + 4799.99 + 1800 + 1140,
        "behind": 1,
        "milestones_late": 3,
        "open_problems": 3,
        "overdue_problems": 2,
    }
    assert answer["totals"] == pytest.approx(expected)
    assert answer["totals"] == pytest.approx(_totals(ours))


FILTERS = [
    (ProgressFilters(park="caijiapo"), lambda r: r["park"] == "caijiapo"),
    (ProgressFilters(chain="另一链"), lambda r: r["industry_chain"] == "另一链"),
    (
        ProgressFilters(statuses=("signed", "planned")),
        lambda r: r["status"] in {"signed", "planned"},
    ),
    (
        ProgressFilters(official="O-A"),
        lambda r: "O-A" in {o["official_code"] for o in r["officials"]},
    ),
    (ProgressFilters(behind=True), lambda r: r["behind"]),
    (ProgressFilters(behind=False), lambda r: not r["behind"]),
    (ProgressFilters(overdue=True), lambda r: r["overdue_problems"] > 0),
    (ProgressFilters(overdue=False), lambda r: r["overdue_problems"] == 0),
    (
        ProgressFilters(park="jiangtan", chain=CHAIN, official="O-B"),
        lambda r: (
            r["park"] == "jiangtan"
            and r["industry_chain"] == CHAIN
            and "O-B" in {o["official_code"] for o in r["officials"]}
        ),
    ),
]


@pytest.mark.parametrize(("filters", "keep"), FILTERS)
def test_a_filter_keeps_the_projects_it_names_and_totals_them(conn, when, rows, filters, keep):
    answer = _list(conn, when, filters=filters)
    expected = sorted(code for code, r in rows.items() if keep(r))
    assert expected, "the filter keeps some"
    assert [r["project_code"] for r in answer["projects"]] == expected
    assert answer["totals"] == pytest.approx(_totals(answer["projects"]))


def test_the_filters_name_our_projects(conn, when):
    assert [r["project_code"] for r in _ours(_list(conn, when, filters=FILTERS[4][0]))] == [
        "T-CENT"
    ]
    assert [r["project_code"] for r in _ours(_list(conn, when, filters=FILTERS[6][0]))] == ["T-PB"]
    assert [r["project_code"] for r in _list(conn, when, filters=FILTERS[3][0])["projects"]] == [
        "T-AT",
        "T-PB",
    ]


_STATUS_RANK = {s.value: i for i, s in enumerate(ProjectStatus)}
_SORT_VALUE = {
    "code": lambda r: r["project_code"],
    "status": lambda r: _STATUS_RANK[r["status"]],
}


def _expected_order(rows: dict[str, dict], sort: str, order: str) -> list[str]:
    value = _SORT_VALUE.get(sort, lambda r: r[sort])
    known = [r for r in rows.values() if value(r) is not None]
    unknown = [r for r in rows.values() if value(r) is None]
    # ties by code, whichever the order: sort by code first, then (stably) by the value
    known.sort(key=lambda r: r["project_code"])
    known.sort(key=value, reverse=order == "desc")
    return [r["project_code"] for r in known] + sorted(r["project_code"] for r in unknown)


@pytest.mark.parametrize("order", ["asc", "desc"])
@pytest.mark.parametrize("sort", progress.SORT_KEYS)
def test_the_list_is_sorted_as_asked_nulls_last_ties_by_code(conn, when, rows, sort, order):
    answer = _list(conn, when, sort=sort, order=order)
    assert [r["project_code"] for r in answer["projects"]] == _expected_order(rows, sort, order)


def test_an_unknown_sort_or_official_is_refused_naming_it(conn, when):
    from parks.errors import InvalidParameter

    with pytest.raises(InvalidParameter) as refused:
        progress.progress_json(conn, when=when, sort="investor")
    assert refused.value.parameter == "sort"
    with pytest.raises(InvalidParameter) as refused:
        progress.check_official(conn, "O-NOBODY")
    assert refused.value.parameter == "official"
    assert progress.check_official(conn, "O-A") == "O-A"


# --- the map's marks -------------------------------------------------------------------------


def test_the_marks_are_the_projects_behind_plan_or_with_an_overdue_problem(conn, when, rows):
    fc = json.loads(progress.alerts_geojson(conn, when=when, park=None))
    assert fc["type"] == "FeatureCollection"
    assert (fc["year"], fc["month"], fc["as_of"]) == (2026, 6, "2026-06-30")
    marked = [f["properties"]["project_code"] for f in fc["features"]]
    expected = sorted(c for c, r in rows.items() if r["behind"] or r["overdue_problems"] > 0)
    assert marked == expected == ["T-CENT", "T-PB"]  # T-MS: late milestones only
    for f in fc["features"]:
        p, row = f["properties"], rows[f["properties"]["project_code"]]
        for key in ("name", "park", "behind", "shortfall_share", "overdue_problems"):
            assert p[key] == row[key], key
        assert p["milestones_late"] == row["milestones_late"]
        assert p["page"] == f"/projects/{p['project_code']}"
    by_park = json.loads(progress.alerts_geojson(conn, when=when, park="jiangtan"))
    assert [f["id"] for f in by_park["features"]] == ["T-CENT"]


def test_a_marked_projects_site_is_the_union_of_its_parcels_in_lon_lat(conn, when, world):
    fc = json.loads(progress.alerts_geojson(conn, when=when, park="jiangtan"))
    (feature,) = fc["features"]
    site = shape(feature["geometry"])
    inside = conn.execute(
        text(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform(ST_PointOnSurface(geom), 4326) "
            "AS p FROM parcel_version WHERE valid_to IS NULL AND parcel_code = ANY(:codes)) s"
        ),
        {"codes": world["site"]},
    ).all()
    assert len(inside) == 2
    for lon, lat in inside:
        assert site.buffer(1e-6).contains(Point(lon, lat))
    # T-PB has no parcel: marked, without a geometry
    city = json.loads(progress.alerts_geojson(conn, when=when, park="caijiapo"))
    assert [(f["id"], f["geometry"]) for f in city["features"]] == [("T-PB", None)]

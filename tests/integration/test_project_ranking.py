"""The quarterly ranking (季评比), the yearly assessment (年考核) and the weekly visit list
(周观摩) computed from records the test writes on a copy of the sample (its own rhythm
records cleared first), every expected number worked out by hand here."""

from __future__ import annotations

from datetime import date

import pytest
import support_projects as sp
import support_reads as sr
from sqlalchemy import event, text

from parks.errors import InvalidParameter
from service.db.engine import make_engine
from service.projects.assessment import yearly_assessment
from service.projects.ranking import default_quarter, quarterly_ranking
from service.projects.visit_list import weekly_visit_list

pytestmark = pytest.mark.integration

TODAY = date(2026, 12, 7)
Q3 = "2026Q3"


def _run(url: str, fn, **kwargs):
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as conn:
            return fn(conn, today=TODAY, **kwargs)
    finally:
        engine.dispose()


def _project(ranking: dict, code: str) -> dict:
    (found,) = [p for p in ranking["projects"] if p["project_code"] == code]
    return found


def _criteria(project: dict) -> dict:
    return {c["criterion"]: c for c in project["criteria"]}


def write_example(url: str) -> None:
    """The brief's example for project R-EX (jiangtan) in 2026Q3 (as of 2026-09-30):
    investment 30 of 40 planned through September; milestones due in the quarter 2, one on
    time (the other a day late); problems due in the quarter 2, both solved on time; no
    scored visit in the quarter. Records outside the quarter that must not count beside
    them."""
    sp.add_project(url, "R-EX", park="jiangtan", name="示例项目")
    sp.put(
        url,
        project_plan_investment=sp.plan_months(
            "R-EX", 2026, [0, 0, 0, 0, 0, 0, 10, 10, 20, 100, 100, 100]
        ),
        project_report=sp.reports("R-EX", 2026, [0, 0, 0, 0, 0, 0, 10, 10, 10, 500]),
        project_plan_milestone=[
            sp.plan_milestone("R-EX", "signing", date(2026, 5, 1)),  # Q2: not counted
            sp.plan_milestone("R-EX", "construction_start", date(2026, 7, 15)),
            sp.plan_milestone("R-EX", "structure_complete", date(2026, 9, 1)),
            sp.plan_milestone("R-EX", "production_start", date(2026, 11, 1)),  # Q4
        ],
        project_milestone_reached=[
            sp.reached("R-EX", "signing", date(2026, 6, 1)),
            sp.reached("R-EX", "construction_start", date(2026, 7, 15)),  # on the day
            sp.reached("R-EX", "structure_complete", date(2026, 9, 2)),  # a day late
        ],
        project_problem=[
            sp.problem(
                "R-EX-Q001",
                "R-EX",
                raised_on=date(2026, 7, 1),
                due_on=date(2026, 8, 1),
                solved_on=date(2026, 8, 1),
            ),
            sp.problem(
                "R-EX-Q002",
                "R-EX",
                raised_on=date(2026, 7, 1),
                due_on=date(2026, 9, 30),
                solved_on=date(2026, 9, 10),
            ),
            # due in Q2 (unsolved) and in Q4: outside the quarter
            sp.problem("R-EX-Q003", "R-EX", raised_on=date(2026, 4, 1), due_on=date(2026, 6, 30)),
            sp.problem("R-EX-Q004", "R-EX", raised_on=date(2026, 9, 1), due_on=date(2026, 10, 15)),
        ],
        project_visit=[
            sp.visit("R-EX", date(2026, 8, 20)),  # in the quarter, not scored
            sp.visit("R-EX", date(2026, 6, 20), score=50),  # scored, in Q2
        ],
    )


# --- the ranking -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ranked_city(databases, loaded_template) -> str:
    """The example, plus R-T1..R-T4 scoring 100, 50, 50, 25 in 2026Q3 (R-T1, R-T2 in
    jiangtan; R-T3, R-T4 in gaoxin), R-NONE (gaoxin) with nothing to judge, and officials:
    O-1 leads R-T1 and R-T4, O-2 leads R-T2 (and is a member of R-T1), O-3 leads R-T3, O-4
    leads R-NONE."""
    url = sr.database_url(databases.create(template=loaded_template))
    sp.clear_records(url)
    write_example(url)
    for code, park in (
        ("R-T1", "jiangtan"),
        ("R-T2", "jiangtan"),
        ("R-T3", "gaoxin"),
        ("R-T4", "gaoxin"),
        ("R-NONE", "gaoxin"),
    ):
        sp.add_project(url, code, park=park)
    sp.put(
        url,
        project_official=[
            sp.official("O-1", "张一"),
            sp.official("O-2", "李二"),
            sp.official("O-3", "王三"),
            sp.official("O-4", "赵四"),
        ],
        project_assignment=[
            sp.assignment("R-T1", "O-1"),
            sp.assignment("R-T4", "O-1"),
            sp.assignment("R-T2", "O-2"),
            sp.assignment("R-T1", "O-2", role="member"),
            sp.assignment("R-T3", "O-3"),
            sp.assignment("R-NONE", "O-4"),
        ],
        # R-T1: one problem due in the quarter, solved on time -> 100
        project_problem=[
            sp.problem(
                "R-T1-Q001",
                "R-T1",
                raised_on=date(2026, 7, 1),
                due_on=date(2026, 7, 31),
                solved_on=date(2026, 7, 20),
            )
        ],
        # visits alone: the mean score is the score
        project_visit=[
            sp.visit("R-T2", date(2026, 8, 5), score=40),
            sp.visit("R-T2", date(2026, 9, 5), score=60),  # mean 50
            sp.visit("R-T3", date(2026, 7, 9), score=50),
            sp.visit("R-T4", date(2026, 7, 9), score=25),
        ],
    )
    return url


def test_the_score_of_the_hand_computed_example(ranked_city):
    ranking = _run(ranked_city, quarterly_ranking, quarter=Q3)
    project = _project(ranking, "R-EX")
    # 100 × (40 × 30/40 + 30 × 1/2 + 20 × 2/2) ÷ (40 + 30 + 20); visits do not apply
    assert project["score"] == round(100 * (40 * 0.75 + 30 * 0.5 + 20 * 1) / 90, 2) == 72.22
    criteria = _criteria(project)
    assert criteria["investment"]["basis"] == {
        "completed_wan": 30.0,
        "planned_wan": 40.0,
        "through_month": 9,
    }
    assert criteria["investment"]["rate"] == 0.75
    assert criteria["investment"]["points"] == round(100 * 40 * 0.75 / 90, 2)
    assert criteria["milestones"]["basis"] == {"due": 2, "on_time": 1}
    assert criteria["milestones"]["points"] == round(100 * 30 * 0.5 / 90, 2)
    assert criteria["problems"]["basis"] == {"due": 2, "on_time": 2}
    assert criteria["problems"]["points"] == round(100 * 20 / 90, 2)
    assert criteria["visits"]["applies"] is False
    assert criteria["visits"]["points"] is None
    assert criteria["visits"]["basis"] == {"scored_visits": 0, "mean_score": None}
    assert [c["weight"] for c in project["criteria"]] == [40, 30, 20, 10]
    assert ranking["as_of"] == "2026-09-30" and ranking["running"] is False


def test_a_tie_shares_a_rank_and_the_next_rank_skips(ranked_city):
    ranking = _run(ranked_city, quarterly_ranking, quarter=Q3)
    scores = {p["project_code"]: (p["score"], p["city_rank"]) for p in ranking["projects"]}
    assert scores["R-T1"] == (100.0, 1)
    assert scores["R-EX"] == (72.22, 2)
    assert scores["R-T2"] == (50.0, 3)
    assert scores["R-T3"] == (50.0, 3)
    assert scores["R-T4"] == (25.0, 5)
    assert scores["R-NONE"] == (None, None)
    codes = [p["project_code"] for p in ranking["projects"]]
    assert codes[:5] == ["R-T1", "R-EX", "R-T2", "R-T3", "R-T4"]
    # every project without a score (the sample's among them) after the ranked ones, by code
    unranked = codes[5:]
    assert unranked == sorted(unranked) and "R-NONE" in unranked
    assert all(p["city_rank"] is None for p in ranking["projects"][5:])


def test_each_park_ranks_its_own_projects(ranked_city):
    ranking = _run(ranked_city, quarterly_ranking, quarter=Q3)
    park_ranks = {p["project_code"]: p["park_rank"] for p in ranking["projects"]}
    # jiangtan: R-T1 100, R-EX 72.22, R-T2 50; gaoxin: R-T3 50, R-T4 25
    assert (park_ranks["R-T1"], park_ranks["R-EX"], park_ranks["R-T2"]) == (1, 2, 3)
    assert (park_ranks["R-T3"], park_ranks["R-T4"], park_ranks["R-NONE"]) == (1, 2, None)
    parks = {p["park"]: p for p in ranking["parks"]}
    gaoxin = [(p["project_code"], p["park_rank"]) for p in parks["gaoxin"]["projects"]]
    assert gaoxin[:2] == [("R-T3", 1), ("R-T4", 2)]
    only = _run(ranked_city, quarterly_ranking, quarter=Q3, park="gaoxin")
    assert {p["park"] for p in only["projects"]} == {"gaoxin"}
    assert _project(only, "R-T3")["city_rank"] == 3  # the city's rank stays
    assert [p["park"] for p in only["parks"]] == ["gaoxin"]


def test_officials_are_ranked_by_the_mean_score_of_the_projects_they_lead(ranked_city):
    ranking = _run(ranked_city, quarterly_ranking, quarter=Q3)
    officials = [(o["official_code"], o["mean_score"], o["rank"]) for o in ranking["officials"]]
    # O-1 leads R-T1 (100) and R-T4 (25): 62.5; O-2 leads R-T2 (50; a member of R-T1, which
    # does not count); O-3 leads R-T3 (50); O-4 leads R-NONE (no score): not ranked
    assert officials == [("O-1", 62.5, 1), ("O-2", 50.0, 2), ("O-3", 50.0, 2), ("O-4", None, None)]
    o1 = ranking["officials"][0]
    assert o1["name"] == "张一"
    assert [p["project_code"] for p in o1["projects"]] == ["R-T1", "R-T4"]
    t1 = _project(ranking, "R-T1")
    assert [(o["official_code"], o["role"]) for o in t1["officials"]] == [
        ("O-1", "lead"),
        ("O-2", "member"),
    ]


def test_a_milestone_one_day_late_is_not_on_time(fresh_db_url):
    sp.clear_records(fresh_db_url)
    for code in ("R-DAY", "R-LATE"):
        sp.add_project(fresh_db_url, code)
    sp.put(
        fresh_db_url,
        project_plan_milestone=[
            sp.plan_milestone("R-DAY", "construction_start", date(2026, 8, 10)),
            sp.plan_milestone("R-LATE", "construction_start", date(2026, 8, 10)),
        ],
        project_milestone_reached=[
            sp.reached("R-DAY", "construction_start", date(2026, 8, 10)),
            sp.reached("R-LATE", "construction_start", date(2026, 8, 11)),
        ],
    )
    ranking = _run(fresh_db_url, quarterly_ranking, quarter=Q3)
    assert _criteria(_project(ranking, "R-DAY"))["milestones"]["basis"] == {"due": 1, "on_time": 1}
    assert _project(ranking, "R-DAY")["score"] == 100.0
    assert _criteria(_project(ranking, "R-LATE"))["milestones"]["basis"] == {
        "due": 1,
        "on_time": 0,
    }
    assert _project(ranking, "R-LATE")["score"] == 0.0


def test_changed_weights_change_the_score(fresh_db_url):
    sp.clear_records(fresh_db_url)
    write_example(fresh_db_url)
    before = _project(_run(fresh_db_url, quarterly_ranking, quarter=Q3), "R-EX")["score"]
    weights = {"investment": 10, "milestones": 30, "problems": 20, "visits": 40}
    sp.put(fresh_db_url, project_setting=[sp.setting("ranking.criteria", weights)])
    ranking = _run(fresh_db_url, quarterly_ranking, quarter=Q3)
    # 100 × (10 × 0.75 + 30 × 0.5 + 20 × 1) ÷ (10 + 30 + 20) = 70.833…
    assert before == 72.22
    assert _project(ranking, "R-EX")["score"] == 70.83
    assert ranking["criteria_in_force"] == [
        {"criterion": "investment", "name_zh": "投资完成率", "weight": 10},
        {"criterion": "milestones", "name_zh": "节点按期完成", "weight": 30},
        {"criterion": "problems", "name_zh": "问题按期解决", "weight": 20},
        {"criterion": "visits", "name_zh": "观摩评分", "weight": 40},
    ]
    # a criterion left out of the setting is not in force at all
    sp.put(fresh_db_url, project_setting=[sp.setting("ranking.criteria", {"investment": 1})])
    only = _project(_run(fresh_db_url, quarterly_ranking, quarter=Q3), "R-EX")
    assert only["score"] == 75.0
    assert [c["criterion"] for c in only["criteria"]] == ["investment"]


def test_a_quarter_is_named_by_the_parameter_it_came_from(sample_db_url):
    for bad in ("2026Q5", "2026-10", "2027Q1", "Q3"):
        with pytest.raises(InvalidParameter) as caught:
            _run(sample_db_url, quarterly_ranking, quarter=bad)
        assert caught.value.parameter == "quarter"
    # the default: the quarter of the last complete month
    assert default_quarter(date(2026, 12, 7)) == "2026Q4"
    assert default_quarter(date(2026, 10, 1)) == "2026Q3"
    assert default_quarter(date(2026, 9, 30)) == "2026Q3"
    assert default_quarter(date(2027, 1, 15)) == "2026Q4"


def test_the_ranking_reads_the_city_in_a_few_queries(sample_db_url):
    engine = make_engine(sample_db_url, pool_size=1, max_overflow=0)
    statements = []

    def count(*_args, **_kwargs):
        statements.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        with engine.connect() as conn:
            quarterly_ranking(conn, quarter=Q3, today=TODAY)
            total = conn.execute(text("SELECT count(*) FROM project")).scalar()
    finally:
        engine.dispose()
    assert total >= 30
    assert len(statements) <= 6


# --- the yearly assessment --------------------------------------------------------------------


@pytest.fixture(scope="module")
def assessed_city(databases, loaded_template) -> str:
    """2025's records of A-1, A-2 (jiangtan) and A-3 (gaoxin); the ranking's weights set
    to visits alone, so that each quarter's score is the mean visit score."""
    url = sr.database_url(databases.create(template=loaded_template))
    sp.clear_records(url)
    for code, park in (("A-1", "jiangtan"), ("A-2", "jiangtan"), ("A-3", "gaoxin")):
        sp.add_project(url, code, park=park)
    sp.put(
        url,
        project_plan_investment=[
            *sp.plan_months("A-1", 2025, [100] * 12),
            *sp.plan_months("A-2", 2025, [50] * 12),
            *sp.plan_months("A-3", 2025, [10] * 12),
            *sp.plan_months("A-1", 2026, [999] * 12),  # another year
        ],
        project_report=[
            *sp.reports("A-1", 2025, [80] * 12),
            *sp.reports("A-2", 2025, [50] * 12),
            *sp.reports("A-3", 2025, [10] * 11),  # no December report
            *sp.reports("A-1", 2026, [777] * 3, cumulative_before=960),
        ],
        project_plan_milestone=[
            sp.plan_milestone("A-1", "construction_start", date(2025, 3, 1)),
            sp.plan_milestone("A-2", "construction_start", date(2025, 6, 1)),
            sp.plan_milestone("A-1", "production_start", date(2025, 12, 15)),
            sp.plan_milestone("A-3", "construction_start", date(2024, 5, 1)),  # 2024's plan
            sp.plan_milestone("A-3", "production_start", date(2025, 11, 1)),
        ],
        project_milestone_reached=[
            sp.reached("A-1", "construction_start", date(2025, 3, 1)),
            # A-2 has not started; A-1 went into production only in 2026
            sp.reached("A-1", "production_start", date(2026, 1, 10)),
            sp.reached("A-3", "construction_start", date(2024, 5, 1)),
            sp.reached("A-3", "production_start", date(2025, 12, 31)),
        ],
        project_visit=[
            sp.visit("A-1", date(2025, 2, 1), score=90),  # Q1
            sp.visit("A-2", date(2025, 3, 1), score=70),  # Q1
            sp.visit("A-3", date(2025, 3, 15), score=80),  # Q1
            sp.visit("A-1", date(2025, 5, 1), score=60),  # Q2
            sp.visit("A-3", date(2025, 6, 1), score=90),  # Q2
            sp.visit("A-2", date(2025, 11, 1), score=100),  # Q4
        ],
        project_setting=[sp.setting("ranking.criteria", {"visits": 10})],
    )
    return url


def test_the_assessment_recomputes_each_parks_figures(assessed_city):
    result = _run(assessed_city, yearly_assessment, year=2025)
    assert result["as_of"] == "2025-12-31"
    assert result["quarters"] == ["2025Q1", "2025Q2", "2025Q3", "2025Q4"]
    parks = {p["park"]: p for p in result["parks"]}
    assert set(parks) == {"caijiapo", "fengxiang", "gaoxin", "jiangtan"}
    jt, gx = parks["jiangtan"], parks["gaoxin"]
    # jiangtan: target 12 × 100 + 12 × 50, completed 12 × 80 + 12 × 50
    assert (jt["investment_target_wan"], jt["investment_completed_wan"]) == (1800.0, 1560.0)
    assert jt["completion_pct"] == round(1560 / 1800 * 100, 2) == 86.67
    # gaoxin: target 12 × 10, completed 11 × 10
    assert (gx["investment_target_wan"], gx["investment_completed_wan"]) == (120.0, 110.0)
    assert gx["completion_pct"] == 91.67
    assert (jt["projects_to_start"], jt["projects_started"]) == (2, 1)
    assert (jt["projects_to_produce"], jt["projects_producing"]) == (1, 0)
    assert (gx["projects_to_start"], gx["projects_started"]) == (0, 0)
    assert (gx["projects_to_produce"], gx["projects_producing"]) == (1, 1)
    city = result["city"]
    assert (city["investment_target_wan"], city["investment_completed_wan"]) == (1920.0, 1670.0)
    assert city["completion_pct"] == round(1670 / 1920 * 100, 2)
    assert (city["projects_to_start"], city["projects_started"]) == (2, 1)
    assert (city["projects_to_produce"], city["projects_producing"]) == (2, 1)
    assert parks["caijiapo"]["completion_pct"] is None


def test_parks_are_ranked_each_quarter_by_the_mean_score_of_their_projects(assessed_city):
    result = _run(assessed_city, yearly_assessment, year=2025)
    parks = {p["park"]: p for p in result["parks"]}
    ranks = {
        code: [(q["quarter"], q["mean_score"], q["rank"]) for q in park["quarters_ranked"]]
        for code, park in parks.items()
    }
    # Q1 jiangtan (90 + 70) / 2 = 80, gaoxin 80: a tie; Q2 jiangtan 60, gaoxin 90;
    # Q3 nobody; Q4 jiangtan 100 alone
    assert ranks["jiangtan"] == [
        ("2025Q1", 80.0, 1),
        ("2025Q2", 60.0, 2),
        ("2025Q3", None, None),
        ("2025Q4", 100.0, 1),
    ]
    assert ranks["gaoxin"] == [
        ("2025Q1", 80.0, 1),
        ("2025Q2", 90.0, 1),
        ("2025Q3", None, None),
        ("2025Q4", None, None),
    ]
    assert parks["jiangtan"]["average_quarterly_rank"] == round((1 + 2 + 1) / 3, 2)
    assert parks["gaoxin"]["average_quarterly_rank"] == 1.0
    assert parks["fengxiang"]["average_quarterly_rank"] is None
    assert [q["ranked_projects"] for q in parks["jiangtan"]["quarters_ranked"]] == [2, 1, 0, 1]


def test_a_running_year_ranks_only_the_quarters_begun(assessed_city):
    result = _run(assessed_city, yearly_assessment, year=2026)
    assert result["running"] is True and result["as_of"] == TODAY.isoformat()
    assert result["quarters"] == ["2026Q1", "2026Q2", "2026Q3", "2026Q4"]
    jt = {p["park"]: p for p in result["parks"]}["jiangtan"]
    # 2026: A-1's plan 12 × 999 and reports of January..March (777 each)
    assert (jt["investment_target_wan"], jt["investment_completed_wan"]) == (11988.0, 2331.0)
    with pytest.raises(InvalidParameter) as caught:
        _run(assessed_city, yearly_assessment, year="2027")
    assert caught.value.parameter == "year"


# --- the weekly visit list --------------------------------------------------------------------

WEEK = "2026-W44"  # Monday 2026-10-26 .. Sunday 2026-11-01; judged as of 2026-10-25


@pytest.fixture(scope="module")
def visit_city(databases, loaded_template) -> str:
    url = sr.database_url(databases.create(template=loaded_template))
    sp.clear_records(url)
    engine = make_engine(url, pool_size=1, max_overflow=0)
    with engine.connect() as conn:
        sample = conn.execute(text("SELECT project_code FROM project")).scalars().all()
    engine.dispose()
    codes = [
        "V-BEHIND",
        "V-LONG",
        "V-MILESTONE",
        "V-NEVER",
        "V-NOT-RECENT",
        "V-PROBLEMS",
        "V-RECENT",
        "V-TIE-A",
        "V-TIE-B",
    ]
    for code in codes:
        sp.add_project(url, code, park="caijiapo")
    plan = [100] * 12  # 900 planned through September
    sp.put(
        url,
        project_official=[sp.official("O-V", "钱五")],
        project_assignment=[sp.assignment("V-BEHIND", "O-V")],
        project_plan_investment=[
            *sp.plan_months("V-BEHIND", 2026, plan),
            *sp.plan_months("V-RECENT", 2026, plan),
            *sp.plan_months("V-NOT-RECENT", 2026, plan),
            *sp.plan_months("V-LONG", 2026, plan),
        ],
        project_report=[
            # 585 of 900: 35 % short; October's report is after the month judged
            *sp.reports("V-BEHIND", 2026, [65] * 9 + [900]),
            *sp.reports("V-RECENT", 2026, [50] * 9),  # 50 % short
            *sp.reports("V-NOT-RECENT", 2026, [60] * 9),  # 40 % short
            *sp.reports("V-LONG", 2026, [80] * 9),  # 20 % short: exactly at the threshold
        ],
        project_problem=[
            sp.problem(
                "V-PROBLEMS-Q1", "V-PROBLEMS", raised_on=date(2026, 9, 1), due_on=date(2026, 10, 1)
            ),  # fmt: skip
            sp.problem(
                "V-PROBLEMS-Q2", "V-PROBLEMS", raised_on=date(2026, 9, 1), due_on=date(2026, 10, 20)
            ),  # fmt: skip
            # solved, late, before the day judged: its clock stopped
            sp.problem(
                "V-PROBLEMS-Q3",
                "V-PROBLEMS",
                raised_on=date(2026, 9, 1),
                due_on=date(2026, 10, 1),
                solved_on=date(2026, 10, 10),
            ),  # fmt: skip
            # due on the day judged: not overdue yet
            sp.problem(
                "V-PROBLEMS-Q4", "V-PROBLEMS", raised_on=date(2026, 9, 1), due_on=date(2026, 10, 25)
            ),  # fmt: skip
            sp.problem(
                "V-TIE-A-Q1", "V-TIE-A", raised_on=date(2026, 9, 1), due_on=date(2026, 10, 1)
            ),  # fmt: skip
            sp.problem(
                "V-TIE-B-Q1", "V-TIE-B", raised_on=date(2026, 9, 1), due_on=date(2026, 10, 1)
            ),  # fmt: skip
        ],
        project_plan_milestone=[
            sp.plan_milestone("V-MILESTONE", "construction_start", date(2026, 9, 1)),
            sp.plan_milestone("V-MILESTONE", "structure_complete", date(2026, 10, 25)),
        ],
        project_visit=[
            *(sp.visit(code, date(2026, 10, 20)) for code in sample),  # all recent
            sp.visit("V-BEHIND", date(2026, 10, 1)),
            sp.visit("V-LONG", date(2026, 8, 11)),  # 75 days before 2026-10-25
            sp.visit("V-MILESTONE", date(2026, 10, 1)),
            sp.visit("V-NOT-RECENT", date(2026, 10, 18)),  # 7 days before: not recent
            sp.visit("V-PROBLEMS", date(2026, 10, 22)),  # recent, but problems overdue
            sp.visit("V-RECENT", date(2026, 10, 19)),  # 6 days before: recent
            sp.visit("V-TIE-A", date(2026, 10, 1)),
            sp.visit("V-TIE-B", date(2026, 10, 1)),
        ],
    )
    return url


def test_the_visit_list_puts_the_most_urgent_first_with_its_reasons(visit_city):
    answer = _run(visit_city, weekly_visit_list, week=WEEK)
    assert (answer["first_day"], answer["last_day"]) == ("2026-10-26", "2026-11-01")
    assert answer["judged_on"] == "2026-10-25" and answer["shortfall_through"] == "2026-09"
    got = [(p["project_code"], p["points"], p["reasons"]) for p in answer["proposals"]]
    assert got == [
        ("V-NEVER", 60.0, ["从未观摩"]),  # 180 days counted, 1 point per 3
        ("V-NOT-RECENT", 40.0, ["投资完成率低于计划 40%"]),
        ("V-BEHIND", 35.0, ["投资完成率低于计划 35%"]),
        ("V-PROBLEMS", 30.0, ["逾期问题 2 项"]),
        ("V-LONG", 25.0, ["已 75 天未观摩"]),  # 75 / 3; 20 % short is not behind
        ("V-TIE-A", 15.0, ["逾期问题 1 项"]),  # V-TIE-B ties and comes after: size 6
    ]
    behind = answer["proposals"][2]
    assert behind["last_visit_on"] == "2026-10-01"
    assert behind["officials"][0]["name"] == "钱五"
    assert answer["proposals"][0]["last_visit_on"] is None


def test_the_visit_list_size_is_a_setting(visit_city):
    # the milestone's reason shows when the list is long enough to reach it
    sp.put(visit_city, project_setting=[sp.setting("visit_list.size", 20)])
    try:
        answer = _run(visit_city, weekly_visit_list, week=WEEK)
    finally:
        sp.put(visit_city, project_setting=[sp.setting("visit_list.size", 6)])
    got = [(p["project_code"], p["points"], p["reasons"]) for p in answer["proposals"]]
    assert got[5:] == [
        ("V-TIE-A", 15.0, ["逾期问题 1 项"]),
        ("V-TIE-B", 15.0, ["逾期问题 1 项"]),
        ("V-MILESTONE", 10.0, ["节点逾期 1 个（开工）"]),
    ]
    assert "V-RECENT" not in {p["project_code"] for p in answer["proposals"]}

"""The sample's year of key-project rhythm records (service/sample/project_rhythm.py):
officials and who leads what, the 2026 plans, monthly reports, milestones reached, visits
and problems of its 32 projects. Every expectation is computed here from the frames with
plain date arithmetic and pandas, not through the code under test. No database."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from service.db.models import Base
from service.projects import loading
from service.sample.generator import RHYTHM_LAYER_NAMES, Sample, generate, read
from service.sample.project_rhythm import RHYTHM_LAYERS, generate_rhythm

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "data" / "sample" / "parks.gpkg"
#: The sample's day, written out here.
AS_OF = date(2026, 10, 31)
YEAR = 2026
HISTORY_COLUMNS = {
    "version_id",
    "valid_from",
    "valid_to",
    "change_set_id",
    "ended_by_change_set_id",
}
ORDER = (
    "signing",
    "land_supply",
    "construction_start",
    "structure_complete",
    "equipment_installed",
    "production_start",
    "full_production",
)
#: The milestones a project at each status may plan in 2026.
PLANNABLE = {
    "operating": {"full_production"},
    "under_construction": {"structure_complete", "equipment_installed", "production_start"},
    "signed": {"land_supply", "construction_start"},
    "planned": {"signing"},
    "suspended": {"structure_complete"},
}


@pytest.fixture(scope="module")
def sample() -> Sample:
    return generate()


@pytest.fixture(scope="module")
def projects(sample) -> pd.DataFrame:
    return sample.projects.set_index("project_code")


def day(text: str) -> date:
    return date.fromisoformat(text)


def assert_same(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    assert list(a) == list(b)
    for name in a:
        pd.testing.assert_frame_equal(
            a[name].reset_index(drop=True),
            b[name].reset_index(drop=True),
            check_dtype=False,
            obj=name,
        )


def completion(sample: Sample) -> pd.DataFrame:
    """Per project: plan January–October, completed January–October, their ratio."""
    plan = sample.project_plan_investment
    reports = sample.project_reports
    planned = plan[plan["month"] <= 10].groupby("project_code")["planned_wan"].sum()
    done = reports[reports["month"] <= 10].groupby("project_code")["investment_wan"].sum()
    frame = pd.DataFrame({"planned": planned, "done": done.reindex(planned.index, fill_value=0)})
    frame["ratio"] = frame["done"] / frame["planned"]
    return frame


# --- determinism and shape ------------------------------------------------------------------


def test_the_same_seed_gives_the_same_records_and_another_seed_others(sample):
    assert_same(generate_rhythm(sample, seed=2026), generate_rhythm(sample, seed=2026))
    other = generate_rhythm(sample, seed=7)
    assert not other["project_reports"].equals(sample.project_reports)
    assert not other["project_visits"].equals(sample.project_visits)


def test_the_sample_carries_the_records_made_from_its_own_projects(sample):
    before = sample.projects.copy()
    made = generate_rhythm(sample)
    pd.testing.assert_frame_equal(sample.projects, before)  # read, never changed
    assert_same(made, {name: getattr(sample, name) for name in RHYTHM_LAYER_NAMES})


def test_the_committed_file_holds_the_records_its_projects_give():
    committed = read(COMMITTED)
    assert_same(
        generate_rhythm(committed),
        {name: getattr(committed, name) for name in RHYTHM_LAYER_NAMES},
    )


def test_each_layer_has_exactly_its_tables_writable_columns(sample):
    assert list(RHYTHM_LAYERS) == list(RHYTHM_LAYER_NAMES) == list(loading.LAYERS)
    for layer, table in RHYTHM_LAYERS.items():
        columns = [c.name for c in Base.metadata.tables[table].columns]
        writable = [c for c in columns if c not in HISTORY_COLUMNS]
        assert list(getattr(sample, layer).columns) == writable, layer
        assert loading.LAYERS[layer][0] == table
        assert [f.name for f in loading.LAYERS[layer][1]] == writable, layer


# --- officials ----------------------------------------------------------------------------


def test_about_eleven_officials_each_leads_a_project_and_every_project_has_one_lead(
    sample, projects
):
    officials = sample.project_officials
    assert 10 <= len(officials) <= 12 and officials["official_code"].is_unique
    titles = set(officials["title"])
    assert {"副市长", "区长", "管委会主任", "局长"} <= titles
    assignments = sample.project_assignments
    leads = assignments[assignments["role"] == "lead"]
    assert sorted(leads["project_code"]) == sorted(projects.index)  # one lead each
    assert set(leads["official_code"]) == set(officials["official_code"])  # each leads
    members = assignments[assignments["role"] == "member"]
    assert 0 < members["project_code"].nunique() < len(projects)
    assert set(members["official_code"]) <= set(officials["official_code"])
    assert not assignments.duplicated(["project_code", "official_code"]).any()
    assert (assignments["assigned_on"] <= AS_OF.isoformat()).all()


# --- the plan ----------------------------------------------------------------------------


def test_every_project_plans_twelve_months_with_a_plausible_share_of_its_investment(
    sample, projects
):
    plan = sample.project_plan_investment
    assert (plan["year"] == YEAR).all() and (plan["planned_wan"] >= 0).all()
    months = plan.groupby("project_code")["month"].apply(sorted)
    assert set(months.index) == set(projects.index)
    assert all(m == list(range(1, 13)) for m in months)
    share = plan.groupby("project_code")["planned_wan"].sum() / (projects["investment_yi"] * 10_000)
    limits = {
        "under_construction": (0.2, 0.45),
        "operating": (0.03, 0.1),
        "signed": (0.08, 0.3),
        "planned": (0.001, 0.02),
        "suspended": (0.02, 0.1),
    }
    for code, status in projects["status"].items():
        low, high = limits[status]
        assert low <= share[code] <= high, (code, status, share[code])


def test_january_and_february_plan_little_around_the_spring_festival(sample):
    plan = sample.project_plan_investment.pivot(
        index="project_code", columns="month", values="planned_wan"
    )
    from_january = plan[plan[1] > 0]
    assert len(from_january) >= 28
    ordinary = from_january[[4, 5, 6, 7, 8, 9]].mean(axis=1)
    assert (from_january[1] < ordinary).all() and (from_january[2] < ordinary).all()


def test_planned_milestones_fit_each_projects_status_and_fall_in_2026(sample, projects):
    planned = sample.project_plan_milestones
    assert (planned["year"] == YEAR).all()
    assert planned["planned_on"].str.startswith(f"{YEAR}-").all()
    status = planned["project_code"].map(projects["status"])
    for milestone, s in zip(planned["milestone"], status, strict=True):
        assert milestone in PLANNABLE[s], (milestone, s)
    statuses = set(status)
    assert statuses == set(PLANNABLE)  # every status plans something
    early = sample.project_milestones_reached
    before = early[early["reached_on"] < f"{YEAR}-01-01"]
    clash = planned.merge(before, on=["project_code", "milestone"])
    assert clash.empty  # nothing reached before 2026 is planned again


def test_image_progress_targets_rise_quarter_by_quarter(sample, projects):
    targets = sample.project_plan_progress.sort_values(["project_code", "quarter"])
    assert set(targets["project_code"]) == set(projects.index)
    quarters = targets.groupby("project_code")["quarter"].apply(list)
    assert all(q == [1, 2, 3, 4] for q in quarters)
    assert targets["target_pct"].between(0, 100).all() and targets["target_text"].notna().all()
    rising = targets.groupby("project_code")["target_pct"].apply(
        lambda s: s.is_monotonic_increasing
    )
    assert rising.all()


# --- monthly reports ------------------------------------------------------------------------


def test_reports_run_monthly_to_october_with_cumulative_investment_adding_up(sample, projects):
    reports = sample.project_reports.sort_values(["project_code", "month"])
    assert set(reports["project_code"]) == set(projects.index)
    for code, mine in reports.groupby("project_code"):
        months = list(mine["month"])
        assert months == list(range(months[0], 11)), code
        reported = [day(d) for d in mine["reported_on"]]
        assert all(d.year == YEAR and d.month == m for d, m in zip(reported, months, strict=True))
        assert max(reported) <= AS_OF
        cumulative = mine["cumulative_investment_wan"].to_numpy()
        invested = mine["investment_wan"].to_numpy()
        assert cumulative[0] >= invested[0]
        steps = cumulative[1:] - cumulative[:-1]
        assert abs(steps - invested[1:]).max(initial=0) <= 0.011, code
    assert reports["image_progress_pct"].between(0, 100).all()
    assert (reports["employment"] >= 0).all() and reports["image_progress_text"].notna().all()


def test_output_is_reported_by_operating_projects_only(sample, projects):
    reports = sample.project_reports
    operating = reports["project_code"].map(projects["status"]) == "operating"
    assert reports.loc[operating, "output_wan"].notna().all()
    assert (reports.loc[operating, "output_wan"] > 0).all()
    assert reports.loc[~operating, "output_wan"].isna().all()


def test_cumulative_investment_before_2026_fits_the_status(sample, projects):
    reports = sample.project_reports.sort_values(["project_code", "month"])
    first = reports.groupby("project_code").first()
    investment_wan = projects["investment_yi"].reindex(first.index) * 10_000
    before = (first["cumulative_investment_wan"] - first["investment_wan"]) / investment_wan
    status = projects["status"].reindex(first.index)
    assert (before[status == "planned"] == 0).all()
    assert (before[status == "operating"] > 0.8).all()
    assert before[status == "under_construction"].between(0.05, 0.7).all()
    last = reports.groupby("project_code").last()["cumulative_investment_wan"]
    assert (last <= investment_wan * 1.05).all()


def test_at_least_six_projects_are_behind_plan_by_more_than_a_fifth_and_some_on_or_above(
    sample, projects
):
    ratios = completion(sample)["ratio"]
    assert (ratios < 0.8).sum() >= 6
    assert (ratios >= 1.0).sum() >= 1 and ratios.between(0.8, 1.0).sum() >= 1
    suspended = projects.index[projects["status"] == "suspended"]
    assert (ratios[suspended] < 0.2).all()  # far behind


# --- milestones ---------------------------------------------------------------------------


def judged(sample: Sample) -> pd.DataFrame:
    """Each planned milestone with its reaching (known by AS_OF) and, by hand, its state
    and delay in days."""
    out = sample.project_plan_milestones.merge(
        sample.project_milestones_reached, on=["project_code", "milestone"], how="left"
    )
    states, delays = [], []
    for planned, reached in zip(out["planned_on"], out["reached_on"], strict=True):
        p = day(planned)
        r = day(reached) if isinstance(reached, str) and day(reached) <= AS_OF else None
        if r is not None:
            states.append("late" if r > p else "on_time")
            delays.append(max(0, (r - p).days))
        else:
            states.append("overdue" if p < AS_OF else "pending")
            delays.append((AS_OF - p).days if p < AS_OF else 0)
    return out.assign(state=states, delay=delays)


def test_milestones_are_reached_on_time_late_by_one_to_sixty_odd_days_or_not_at_all(sample):
    milestones = judged(sample)
    late = milestones[milestones["state"] == "late"]
    assert len(late) >= 4
    assert (late["delay"] == 1).any()  # one day late is late
    assert (late["delay"] >= 61).any()
    assert (milestones["state"] == "on_time").sum() >= 3
    assert (milestones["state"] == "overdue").sum() >= 3
    assert (milestones["state"] == "pending").any()


def test_milestones_reached_follow_the_order_and_the_status(sample, projects):
    reached = sample.project_milestones_reached
    assert (reached["reached_on"] <= AS_OF.isoformat()).all()
    assert not reached.duplicated(["project_code", "milestone"]).any()
    for code, mine in reached.groupby("project_code"):
        dates = dict(zip(mine["milestone"], mine["reached_on"], strict=True))
        in_order = [dates[m] for m in ORDER if m in dates]
        assert in_order == sorted(in_order), code
    by_project = reached.groupby("project_code")["milestone"].apply(set)
    for code, status in projects["status"].items():
        done = by_project.get(code, set())
        if status == "planned":
            assert not done, code
        elif status == "signed":
            assert {"signing", "land_supply"} <= done and "construction_start" not in done
        elif status in ("under_construction", "suspended"):
            assert {"signing", "land_supply", "construction_start"} <= done, code
            assert "production_start" not in done, code
        else:
            assert {"signing", "construction_start", "production_start"} <= done, code
    before = reached[reached["reached_on"] < f"{YEAR}-01-01"]
    assert len(before) >= 60  # the history before the year's plan


# --- visits ------------------------------------------------------------------------------


def test_weekly_visits_go_every_friday_to_three_to_five_projects_of_one_park(sample, projects):
    visits = sample.project_visits
    weekly = visits[visits["kind"] == "weekly"]
    assert (visits["visited_on"] <= AS_OF.isoformat()).all()
    days = sorted({day(d) for d in weekly["visited_on"]})
    assert len(days) >= 36 and all(d.weekday() == 4 for d in days)
    assert days[0] < date(YEAR, 1, 20) and days[-1] > AS_OF - timedelta(days=8)
    per_day = weekly.groupby("visited_on")
    assert per_day.size().between(3, 5).all()
    parks = weekly["project_code"].map(projects["park"])
    assert (parks.groupby(weekly["visited_on"]).nunique() == 1).all()


def test_about_half_the_visits_are_scored_between_60_and_98(sample):
    visits = sample.project_visits
    weekly = visits[visits["kind"] == "weekly"]
    scored = weekly["score"].notna()
    assert 0.4 <= scored.mean() <= 0.6
    assert weekly.loc[scored, "score"].between(60, 98).all()
    assert visits["visitors"].notna().all() and visits["findings"].notna().all()


def test_some_projects_were_last_visited_before_august_and_a_few_inspected(sample, projects):
    visits = sample.project_visits
    last = visits.groupby("project_code")["visited_on"].max()
    assert set(last.index) == set(projects.index)  # every project was visited
    assert (last < "2026-08-01").sum() >= 3
    inspections = visits[visits["kind"] == "inspection"]
    assert 2 <= len(inspections) <= 4 and inspections["score"].isna().all()
    ratios = completion(sample)["ratio"]
    assert (ratios[inspections["project_code"]] < 0.8).all()  # of projects far behind


# --- problems -----------------------------------------------------------------------------


def test_about_sixty_problems_of_every_category_due_15_to_90_days_after_raising(sample):
    problems = sample.project_problems
    assert 55 <= len(problems) <= 65 and problems["problem_no"].is_unique
    assert set(problems["category"]) == {
        "land",
        "planning_approval",
        "financing",
        "power_water",
        "labour",
        "other",
    }
    given = (problems["due_on"].map(day) - problems["raised_on"].map(day)).map(lambda d: d.days)
    assert given.between(15, 90).all()
    assert (problems["raised_on"] <= AS_OF.isoformat()).all()
    departments = set(problems["department"])
    assert {"市自然资源和规划局", "市人社局"} <= departments
    assert any(d.endswith("管委会") for d in departments)


def test_problems_are_numbered_per_project_in_raising_order_and_owned_by_its_lead(sample):
    problems = sample.project_problems
    assignments = sample.project_assignments
    lead = assignments[assignments["role"] == "lead"].set_index("project_code")["official_code"]
    for code, mine in problems.groupby("project_code"):
        mine = mine.sort_values("problem_no")
        expected = [f"{code}-Q{n:03d}" for n in range(1, len(mine) + 1)]
        assert list(mine["problem_no"]) == expected
        assert list(mine["raised_on"]) == sorted(mine["raised_on"]), code
        assert (mine["official_code"] == lead[code]).all()


def test_most_problems_are_solved_some_late_and_at_least_eight_are_overdue(sample):
    problems = sample.project_problems
    solved = problems["status"] == "solved"
    assert (solved == problems["solved_on"].notna()).all()
    assert problems.loc[solved, "resolution"].notna().all()
    assert (problems.loc[solved, "solved_on"] <= AS_OF.isoformat()).all()
    assert (problems.loc[solved, "solved_on"] >= problems.loc[solved, "raised_on"]).all()
    assert solved.mean() > 0.5
    on_time = problems.loc[solved, "solved_on"] <= problems.loc[solved, "due_on"]
    assert on_time.sum() > (~on_time).sum() > 0
    unsolved = problems[~solved]
    overdue = unsolved["due_on"] < AS_OF.isoformat()
    assert overdue.sum() >= 8
    assert (~overdue).sum() >= 2  # open and not due yet
    assert set(unsolved["status"]) == {"open", "in_progress"}
    assert set(unsolved.loc[overdue, "status"]) == {"open", "in_progress"}

"""Key projects' records through the API — plans, monthly reports, visits, problems,
officials and their assignments, the rhythm's settings — on a real PostGIS through the
app: each write one change set (kind ``projects``; reason, document number, the caller as
its actor, what was asked as its operation) with its zero-delta ledger row; replacing a
plan ends what is no longer planned; a correction keeps the old version in its history; a
problem's history lists every change with its actor; the server numbers problems and
never gives a number twice; every rule is a 422 naming the field; who may write what
(viewers and nobody may not; only an admin sets a setting; an official limited to a park
writes only its projects' records); and nothing of a refused write is stored (every
record table's versions counted before and after).

Each test writes onto key projects of its own (``support_projects.add_project``), so the
sample's own rhythm records never meet the figures expected here, which are computed in
the test (sums, days between dates) or read back with the test's own SQL."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import support_projects as sp
from sqlalchemy import Engine, create_engine, text
from support_changes import url_for

from service.audit.verify import verify
from service.changes.session import open_change_set
from service.db.versioned_records import end_versions

pytestmark = pytest.mark.e2e

OFFICIALS = "/api/projects/officials"
SETTINGS = "/api/projects/settings"


@pytest.fixture(scope="module")
def db_url(databases, loaded_template):
    """A copy of the loaded sample for this module's writes (each test makes its own
    projects and officials, so they don't meet)."""
    return url_for(databases.create(template=loaded_template))


@dataclass
class Api:
    """The app on the module's database, a token per role, and our own engine."""

    client: object
    tokens: dict[str, dict[str, str]]
    names: dict[str, str]
    engine: Engine

    def send(self, method: str, path: str, body: dict | None = None, role: str | None = "editor"):
        headers = self.tokens[role] if role else {}
        if body is None:
            return self.client.request(method, path, headers=headers)
        return self.client.request(method, path, json=body, headers=headers)

    def created(self, path: str, body: dict, role: str = "editor", *, method: str = "POST"):
        response = self.send(method, path, body, role)
        assert response.status_code == (201 if method == "POST" else 200), response.text
        return response.json()

    def refused(
        self,
        path: str,
        body: dict | None,
        *,
        status: int = 422,
        role: str | None = "editor",
        method: str = "POST",
    ) -> dict:
        before = self.stored()
        response = self.send(method, path, body, role)
        assert response.status_code == status, response.text
        assert self.stored() == before  # nothing of it stored
        return response.json()

    def get(self, path: str, **params):
        response = self.client.get(path, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def stored(self) -> dict[str, int]:
        """Every version of every key-project record table, and the change sets."""
        with self.engine.connect() as conn:
            counts = {
                t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                for t in sp.TABLE_ORDER
            }
            counts["change_set"] = conn.execute(
                text("SELECT count(*) FROM change_set")
            ).scalar_one()
        return counts

    def all(self, sql: str, **params) -> list[dict]:
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(text(sql), params).mappings()]

    def one(self, sql: str, **params) -> dict:
        [row] = self.all(sql, **params)
        return row


@pytest.fixture
def api(db_url, make_client, make_token):
    suffix = uuid.uuid4().hex[:6]
    names = {role: f"{role}-项目-{suffix}" for role in ("editor", "approver", "admin", "viewer")}
    tokens = {role: make_token(db_url, role, name=name) for role, name in names.items()}
    engine = create_engine(db_url, pool_size=2, max_overflow=0)
    yield Api(make_client(db_url), tokens, names, engine)
    engine.dispose()


def _project(db_url: str, park: str = "gaoxin") -> str:
    """A key project of our own in *park*; its code."""
    return sp.add_project(db_url, f"T{uuid.uuid4().hex[:8].upper()}", park=park)


def _official_code() -> str:
    return f"O-{uuid.uuid4().hex[:8]}"


def _today(api: Api) -> date:
    """Today where the service judges it (PARKS_TIMEZONE)."""
    return datetime.now(ZoneInfo(api.client.app.state.settings.timezone)).date()


# --- plans ------------------------------------------------------------------------------------

PLAN = {
    "year": 2025,
    "investment": [
        {"month": 3, "planned_wan": 300.5},
        {"month": 1, "planned_wan": 100},
        {"month": 2, "planned_wan": 200.25},
        {"month": 4, "planned_wan": 400},
    ],
    "milestones": [
        {"milestone": "construction_start", "planned_on": "2025-06-30"},
        {"milestone": "signing", "planned_on": "2025-02-15"},
    ],
    "progress_targets": [
        {"quarter": 1, "target_pct": 10, "target_text": "场地平整"},
        {"quarter": 2, "target_pct": 25.5, "target_text": None},
    ],
    "reason": "录入年度计划",
    "document_no": "宝重点办〔2025〕3号",
}


def test_a_plan_is_stored_in_one_change_set_and_read_back_with_its_years_total(api, db_url):
    code = _project(db_url)
    out = api.created(f"/api/projects/{code}/plan", PLAN)
    plan = out["plan"]
    assert plan == api.get(f"/api/projects/{code}/plan", year=2025)
    assert [i["month"] for i in plan["investment"]] == [1, 2, 3, 4]
    assert plan["planned_year_wan"] == pytest.approx(100 + 200.25 + 300.5 + 400)
    assert [(m["milestone"], m["name_zh"], m["planned_on"]) for m in plan["milestones"]] == [
        ("signing", "签约", "2025-02-15"),
        ("construction_start", "开工", "2025-06-30"),
    ]
    assert plan["progress_targets"] == [
        {"quarter": 1, "target_pct": 10.0, "target_text": "场地平整"},
        {"quarter": 2, "target_pct": 25.5, "target_text": None},
    ]
    change_set = api.one(
        "SELECT kind, reason, document_no, actor, operations FROM change_set WHERE id = :id",
        id=out["change_set_id"],
    )
    assert (change_set["kind"], change_set["reason"], change_set["document_no"]) == (
        "projects",
        "录入年度计划",
        "宝重点办〔2025〕3号",
    )
    assert change_set["actor"] == api.names["editor"]
    [asked] = change_set["operations"]
    assert (asked["op"], asked["project_code"], asked["year"]) == ("put_project_plan", code, 2025)
    assert asked["investment"][0] == {"month": 3, "planned_wan": 300.5}
    ledger = api.all(
        "SELECT delta_city_m2 FROM ledger WHERE change_set_id = :id", id=out["change_set_id"]
    )
    assert ledger == [{"delta_city_m2": 0.0}]
    other_year = api.get(f"/api/projects/{code}/plan", year=2026)
    assert other_year["investment"] == [] and other_year["planned_year_wan"] == 0
    with api.engine.connect() as conn:
        assert verify(conn).ok


def test_replacing_a_plan_ends_what_is_no_longer_planned_and_keeps_what_is_equal(api, db_url):
    code = _project(db_url)
    first = api.created(f"/api/projects/{code}/plan", PLAN)["change_set_id"]
    other_year = api.created(
        f"/api/projects/{code}/plan",
        {"year": 2026, "investment": [{"month": 4, "planned_wan": 50}], "reason": "次年计划"},
    )["change_set_id"]
    replacement = PLAN | {
        "investment": [
            {"month": 1, "planned_wan": 100},  # as it was
            {"month": 2, "planned_wan": 200.25},  # as it was
            {"month": 3, "planned_wan": 333},  # changed; month 4 no longer planned
        ],
        "milestones": [
            {"milestone": "signing", "planned_on": "2025-02-15"},  # as it was
            {"milestone": "structure_complete", "planned_on": "2025-11-30"},  # new
        ],
        "progress_targets": [{"quarter": 1, "target_pct": 10, "target_text": "场地平整"}],
        "reason": "调整年度计划",
    }
    out = api.created(f"/api/projects/{code}/plan", replacement, role="approver")
    second = out["change_set_id"]
    assert [i["month"] for i in out["plan"]["investment"]] == [1, 2, 3]
    assert out["plan"]["planned_year_wan"] == pytest.approx(100 + 200.25 + 333)
    assert [m["milestone"] for m in out["plan"]["milestones"]] == ["signing", "structure_complete"]
    assert [q["quarter"] for q in out["plan"]["progress_targets"]] == [1]
    months = api.all(
        "SELECT month, planned_wan, change_set_id, ended_by_change_set_id, valid_to IS NULL "
        "AS standing FROM project_plan_investment WHERE project_code = :c AND year = 2025 "
        "ORDER BY month, version_id",
        c=code,
    )
    assert [
        (r["month"], float(r["planned_wan"]), r["change_set_id"], r["standing"]) for r in months
    ] == [
        (1, 100.0, first, True),
        (2, 200.25, first, True),
        (3, 300.5, first, False),
        (3, 333.0, second, True),
        (4, 400.0, first, False),
    ]
    assert {r["ended_by_change_set_id"] for r in months if not r["standing"]} == {second}
    milestones = api.all(
        "SELECT milestone, valid_to IS NULL AS standing, ended_by_change_set_id "
        "FROM project_plan_milestone WHERE project_code = :c ORDER BY version_id",
        c=code,
    )
    assert [(m["milestone"], m["standing"]) for m in milestones] == [
        ("construction_start", False),
        ("signing", True),
        ("structure_complete", True),
    ]
    ended_quarters = api.all(
        "SELECT quarter FROM project_plan_progress WHERE project_code = :c "
        "AND ended_by_change_set_id = :cs",
        c=code,
        cs=second,
    )
    assert ended_quarters == [{"quarter": 2}]
    untouched = api.all(
        "SELECT month, change_set_id FROM project_plan_investment "
        "WHERE project_code = :c AND year = 2026 AND valid_to IS NULL",
        c=code,
    )
    assert untouched == [{"month": 4, "change_set_id": other_year}]


@pytest.mark.parametrize(
    ("changes", "error", "name"),
    [
        (
            {"investment": [{"month": 1, "planned_wan": 1}, {"month": 1, "planned_wan": 2}]},
            "invalid_record",
            "investment[1].month",
        ),
        (
            {"investment": [{"month": 13, "planned_wan": 1}]},
            "invalid_record",
            "investment[0].month",
        ),
        (
            {"investment": [{"month": 1, "planned_wan": 1}, {"month": 2, "planned_wan": -5}]},
            "invalid_record",
            "investment[1].planned_wan",
        ),
        (
            {"milestones": [{"milestone": "groundbreaking", "planned_on": "2025-01-01"}]},
            "invalid_record",
            "milestones[0].milestone",
        ),
        (
            {
                "milestones": [
                    {"milestone": "signing", "planned_on": "2025-01-01"},
                    {"milestone": "signing", "planned_on": "2025-02-01"},
                ]
            },
            "invalid_record",
            "milestones[1].milestone",
        ),
        (
            {"milestones": [{"milestone": "signing", "planned_on": "2026-01-01"}]},
            "invalid_record",
            "milestones[0].planned_on",
        ),
        (
            {"progress_targets": [{"quarter": 5, "target_pct": 10}]},
            "invalid_record",
            "progress_targets[0].quarter",
        ),
        (
            {"progress_targets": [{"quarter": 1, "target_pct": 100.5}]},
            "invalid_record",
            "progress_targets[0].target_pct",
        ),
        (
            {
                "progress_targets": [
                    {"quarter": 2, "target_pct": 1},
                    {"quarter": 2, "target_pct": 2},
                ]
            },
            "invalid_record",
            "progress_targets[1].quarter",
        ),
        ({"year": 1989}, "invalid_parameter", "year"),
        ({"year": "2025"}, "invalid_parameter", "year"),
        (
            {"investment": [{"month": 1, "planned_wan": "100"}]},
            "invalid_parameter",
            "investment.planned_wan",
        ),
        ({"reason": "  "}, "invalid_parameter", "reason"),
        ({"reason": "a\u0000b"}, "invalid_parameter", "reason"),
    ],
)
def test_a_plan_with_a_bad_field_is_422_naming_it_and_stores_nothing(
    api, db_url, changes, error, name
):
    code = _project(db_url)
    body = api.refused(f"/api/projects/{code}/plan", PLAN | changes)
    assert body["error"] == error
    assert body.get("field", body.get("parameter")) == name, body


def test_an_unknown_project_is_404_naming_its_code_to_read_and_to_write(api):
    for path in ("plan", "reports", "visits", "problems"):
        response = api.client.get(f"/api/projects/NO-SUCH-P9/{path}")
        assert response.status_code == 404, path
        assert response.json()["error"] == "not_found"
        assert "NO-SUCH-P9" in response.json()["message"]
    body = api.refused("/api/projects/NO-SUCH-P9/plan", PLAN, status=404)
    assert body["error"] == "not_found" and "NO-SUCH-P9" in body["message"]
    assert api.client.get("/api/projects/" + "x" * 65 + "/plan").status_code == 422


# --- reports ------------------------------------------------------------------------------------


def _report(month: str, investment: float, cumulative: float, **fields) -> dict:
    return {
        "month": month,
        "investment_wan": investment,
        "cumulative_investment_wan": cumulative,
        "image_progress_text": "主体施工",
        "image_progress_pct": 35,
        "employment": 120,
        "reason": "月度调度",
    } | fields


def test_a_report_is_read_back_with_the_milestones_reached_and_stamped_today(api, db_url):
    code = _project(db_url)
    out = api.created(
        f"/api/projects/{code}/reports",
        _report(
            "2025-05",
            80,
            480.5,
            output_wan=12.5,
            milestones_reached=[
                {"milestone": "construction_start", "reached_on": "2025-05-20"},
                {"milestone": "signing", "reached_on": "2025-01-10"},
            ],
        ),
    )
    expected = {
        "month": "2025-05",
        "year": 2025,
        "month_no": 5,
        "investment_wan": 80.0,
        "cumulative_investment_wan": 480.5,
        "image_progress_text": "主体施工",
        "image_progress_pct": 35.0,
        "employment": 120,
        "output_wan": 12.5,
        "reported_on": _today(api).isoformat(),
        "change_set_id": out["change_set_id"],
    }
    assert out["report"] == expected
    read = api.get(f"/api/projects/{code}/reports", year=2025)
    assert read["reports"] == [expected]
    assert read["milestones_reached"] == [
        {"milestone": "signing", "name_zh": "签约", "reached_on": "2025-01-10"},
        {"milestone": "construction_start", "name_zh": "开工", "reached_on": "2025-05-20"},
    ]
    assert api.get(f"/api/projects/{code}/reports", year=2024)["reports"] == []


def test_reposting_a_month_corrects_its_report_and_keeps_the_old_version_in_history(api, db_url):
    code = _project(db_url)
    path = f"/api/projects/{code}/reports"
    first = api.created(path, _report("2025-03", 100, 300))["change_set_id"]
    second = api.created(path, _report("2025-03", 120, 320, reason="更正三月数据"), "admin")
    assert api.get(path, year=2025)["reports"][0]["investment_wan"] == 120.0
    versions = api.all(
        "SELECT r.investment_wan, r.change_set_id, r.ended_by_change_set_id, r.valid_to, "
        "r.valid_from, c.actor, c.reason FROM project_report r "
        "JOIN change_set c ON c.id = r.change_set_id "
        "WHERE r.project_code = :c AND r.year = 2025 AND r.month = 3 ORDER BY r.version_id",
        c=code,
    )
    old, new = versions
    assert (float(old["investment_wan"]), float(new["investment_wan"])) == (100.0, 120.0)
    assert (old["change_set_id"], new["change_set_id"]) == (first, second["change_set_id"])
    assert old["ended_by_change_set_id"] == second["change_set_id"]
    assert old["valid_to"] == new["valid_from"] and new["valid_to"] is None
    assert (old["actor"], new["actor"]) == (api.names["editor"], api.names["admin"])
    assert new["reason"] == "更正三月数据"


def test_the_cumulative_investment_may_not_go_down_from_one_reported_month_to_the_next(api, db_url):
    code = _project(db_url)
    path = f"/api/projects/{code}/reports"
    api.created(path, _report("2025-03", 100, 500))
    below = api.refused(path, _report("2025-04", 50, 450))
    assert (below["error"], below["field"]) == ("invalid_record", "cumulative_investment_wan")
    assert "2025-03" in below["message"] and "500.00" in below["message"]
    above = api.refused(path, _report("2024-12", 50, 650))  # the next standing month is lower
    assert above["field"] == "cumulative_investment_wan"
    assert "2025-03" in above["message"] and "500.00" in above["message"]
    api.created(path, _report("2025-04", 50, 550))
    api.created(path, _report("2024-12", 60, 400))


def test_a_report_with_a_bad_field_is_422_naming_it_and_stores_nothing(api, db_url):
    code = _project(db_url)
    path = f"/api/projects/{code}/reports"
    today = _today(api)
    next_month = (today.replace(day=28) + timedelta(days=5)).strftime("%Y-%m")
    later = (today + timedelta(days=2)).isoformat()
    cases = [
        (_report(next_month, 1, 1), "field", "month"),
        (_report("2025-02", 200, 150), "field", "cumulative_investment_wan"),
        (
            _report(
                "2025-02", 1, 1, milestones_reached=[{"milestone": "signing", "reached_on": later}]
            ),
            "field",
            "milestones_reached[0].reached_on",
        ),
        (
            _report(
                "2025-02", 1, 1, milestones_reached=[{"milestone": "x", "reached_on": "2025-01-01"}]
            ),
            "field",
            "milestones_reached[0].milestone",
        ),
        (_report("2025-13", 1, 1), "parameter", "month"),
        (_report("2025-02", 1, 1, output_wan=-1), "parameter", "output_wan"),
        (_report("2025-02", 1, 1, image_progress_pct=101), "parameter", "image_progress_pct"),
        (_report("2025-02", 1, 1, employment=1.5), "parameter", "employment"),
        (_report("2025-02", True, 1), "parameter", "investment_wan"),
    ]
    for body, kind, name in cases:
        refused = api.refused(path, body)
        assert refused.get(kind) == name, (body, refused)


# --- visits -------------------------------------------------------------------------------------


def test_visits_are_listed_newest_first_and_a_day_again_corrects_its_visit(api, db_url):
    code = _project(db_url)
    path = f"/api/projects/{code}/visits"
    api.created(path, {"visited_on": "2025-04-02", "visitors": "市重点项目办", "reason": "观摩"})
    api.created(
        path,
        {
            "visited_on": "2025-06-11",
            "kind": "inspection",
            "visitors": "市督查室",
            "findings": "进度滞后",
            "score": 72.5,
            "reason": "督查",
        },
    )
    out = api.created(
        path,
        {"visited_on": "2025-04-02", "visitors": "市重点项目办", "score": 90, "reason": "补评分"},
    )
    assert out["visit"]["score"] == 90.0
    listed = api.get(path)
    assert [(v["visited_on"], v["kind"], v["kind_zh"], v["score"]) for v in listed] == [
        ("2025-06-11", "inspection", "专项督查", 72.5),
        ("2025-04-02", "weekly", "周观摩", 90.0),
    ]
    assert len(api.all("SELECT 1 FROM project_visit WHERE project_code = :c", c=code)) == 3
    later = (_today(api) + timedelta(days=2)).isoformat()
    body = api.refused(path, {"visited_on": later, "visitors": "x", "reason": "r"})
    assert body["field"] == "visited_on"
    body = api.refused(
        path, {"visited_on": "2025-01-01", "visitors": "x", "score": 101, "reason": "r"}
    )
    assert body["parameter"] == "score"


# --- problems -----------------------------------------------------------------------------------


def _problem(**fields) -> dict:
    return {
        "description": "供电线路未接入",
        "category": "power_water",
        "raised_on": "2025-03-01",
        "department": "市供电公司",
        "due_on": "2025-04-30",
        "reason": "问题交办",
    } | fields


def _put_official(api: Api, code: str, name: str = "王副区长") -> None:
    api.created(OFFICIALS, {"official_code": code, "name": name, "title": "副区长", "reason": "r"})


def test_a_problems_history_lists_every_change_with_its_actor(api, db_url):
    code = _project(db_url)
    official = _official_code()
    _put_official(api, official)
    raised = api.created(f"/api/projects/{code}/problems", _problem(official_code=official))
    problem = raised["problem"]
    number = problem["problem_no"]
    assert number == f"{code}-Q001"
    assert (problem["status"], problem["status_zh"], problem["official_name"]) == (
        "open",
        "待解决",
        "王副区长",
    )
    path = f"/api/projects/{code}/problems/{number}"
    moved = api.created(
        path, {"status": "in_progress", "reason": "推进中"}, "approver", method="PATCH"
    )
    solved = api.created(
        path,
        {
            "status": "solved",
            "resolution": "已接入临时电源",
            "solved_on": "2025-05-10",
            "reason": "销号",
        },
        "admin",
        method="PATCH",
    )
    assert solved["problem"]["status"] == "solved"
    detail = api.get(path)
    assert detail["problem"] == solved["problem"]
    history = detail["history"]
    assert [(v["status"], v["actor"], v["reason"], v["change_set_id"]) for v in history] == [
        ("open", api.names["editor"], "问题交办", raised["change_set_id"]),
        ("in_progress", api.names["approver"], "推进中", moved["change_set_id"]),
        ("solved", api.names["admin"], "销号", solved["change_set_id"]),
    ]
    assert history[0]["valid_to"] == history[1]["valid_from"]
    assert history[1]["valid_to"] == history[2]["valid_from"] and history[2]["valid_to"] is None
    assert (history[2]["resolution"], history[2]["solved_on"]) == ("已接入临时电源", "2025-05-10")
    assert history[0]["description"] == "供电线路未接入"
    [asked] = api.one(
        "SELECT operations FROM change_set WHERE id = :id", id=moved["change_set_id"]
    )["operations"]
    assert asked == {
        "op": "change_project_problem",
        "project_code": code,
        "problem_no": number,
        "status": "in_progress",
    }


def test_the_server_numbers_problems_and_never_gives_a_number_twice(api, db_url):
    code = _project(db_url)
    path = f"/api/projects/{code}/problems"
    numbers = [api.created(path, _problem())["problem"]["problem_no"] for _ in range(2)]
    assert numbers == [f"{code}-Q001", f"{code}-Q002"]
    with api.engine.begin() as conn:  # the second problem is ended (withdrawn)
        cs = open_change_set(conn, kind="projects", reason="撤回", actor="project-test")
        ended = end_versions(
            conn, change_set_id=cs.id, table="project_problem", keys=[{"problem_no": numbers[1]}]
        )
        assert ended == 1
    third = api.created(path, _problem(description="用工短缺", category="labour"))["problem"]
    assert third["problem_no"] == f"{code}-Q003"
    assert [p["problem_no"] for p in api.get(path)] == [f"{code}-Q001", f"{code}-Q003"]
    assert api.client.get(f"{path}/{numbers[1]}").status_code == 404


def test_problems_are_judged_overdue_as_of_a_day_and_filtered_by_status(api, db_url):
    code = _project(db_url)
    path = f"/api/projects/{code}/problems"
    late = api.created(path, _problem(due_on="2025-04-30"))["problem"]["problem_no"]
    solved = api.created(path, _problem(raised_on="2025-03-05", due_on="2025-03-31"))["problem"]
    api.created(
        f"{path}/{solved['problem_no']}",
        {"status": "solved", "resolution": "已协调", "solved_on": "2025-04-10", "reason": "销号"},
        method="PATCH",
    )
    fresh = api.created(path, _problem(raised_on="2025-06-01", due_on="2025-07-31"))["problem"]
    as_of = "2025-06-15"
    listed = {p["problem_no"]: p for p in api.get(path, as_of=as_of)}
    # the open one: due 2025-04-30, so 46 days past it on 2025-06-15
    assert (date(2025, 6, 15) - date(2025, 4, 30)).days == 46
    assert (listed[late]["days_overdue"], listed[late]["overdue"]) == (46, True)
    # solved ten days late: its clock stopped on 2025-04-10
    assert (
        listed[solved["problem_no"]]["days_overdue"],
        listed[solved["problem_no"]]["overdue"],
    ) == (
        10,
        False,
    )
    assert (
        listed[fresh["problem_no"]]["days_overdue"],
        listed[fresh["problem_no"]]["overdue"],
    ) == (
        0,
        False,
    )
    assert [p["problem_no"] for p in api.get(path, as_of=as_of, status="overdue")] == [late]
    assert [p["problem_no"] for p in api.get(path, as_of=as_of, status="solved")] == [
        solved["problem_no"]
    ]
    assert [p["problem_no"] for p in api.get(path, as_of="2025-05-01", status="open")] == [late]
    bad = api.client.get(path, params={"status": "late"})
    assert bad.status_code == 422 and bad.json()["parameter"] == "status"


def test_solving_and_reopening_a_problem_follow_the_rules_and_a_bad_change_is_named(api, db_url):
    code = _project(db_url)
    number = api.created(f"/api/projects/{code}/problems", _problem())["problem"]["problem_no"]
    path = f"/api/projects/{code}/problems/{number}"
    today = _today(api)
    refusals = [
        ({"status": "solved", "reason": "r"}, "resolution"),
        (
            {"status": "solved", "resolution": "x", "solved_on": "2025-02-28", "reason": "r"},
            "solved_on",
        ),
        (
            {
                "status": "solved",
                "resolution": "x",
                "solved_on": (today + timedelta(days=2)).isoformat(),
                "reason": "r",
            },
            "solved_on",
        ),
        ({"solved_on": "2025-04-01", "reason": "r"}, "solved_on"),  # not solving
        ({"due_on": "2025-02-01", "reason": "r"}, "due_on"),
        ({"department": None, "reason": "r"}, "department"),
        ({"official_code": "NOBODY-1", "reason": "r"}, "official_code"),
        ({"reason": "r"}, "body"),
    ]
    for change, field in refusals:
        body = api.refused(path, change, method="PATCH")
        assert (body["error"], body["field"]) == ("invalid_record", field), (change, body)
    solved = api.created(
        path, {"status": "solved", "resolution": "已解决", "reason": "销号"}, method="PATCH"
    )["problem"]
    assert solved["solved_on"] == _today(api).isoformat()
    reopened = api.created(path, {"status": "open", "reason": "问题反弹"}, method="PATCH")[
        "problem"
    ]
    assert (reopened["status"], reopened["solved_on"]) == ("open", None)
    assert reopened["resolution"] == "已解决"
    missing = api.refused(
        f"/api/projects/{code}/problems/{code}-Q999",
        {"status": "open", "reason": "r"},
        status=404,
        method="PATCH",
    )
    assert missing["error"] == "not_found"


def test_a_problem_owned_by_an_unknown_official_is_422_naming_official_code(api, db_url):
    code = _project(db_url)
    body = api.refused(f"/api/projects/{code}/problems", _problem(official_code="NOBODY-2"))
    assert (body["error"], body["field"]) == ("invalid_record", "official_code")
    body = api.refused(f"/api/projects/{code}/problems", _problem(due_on="2025-02-01"))
    assert body["field"] == "due_on"
    body = api.refused(f"/api/projects/{code}/problems", _problem(category="weather"))
    assert body["parameter"] == "category"


# --- officials ----------------------------------------------------------------------------------


def test_officials_are_assigned_to_projects_and_an_assignment_ends_with_its_history(api, db_url):
    first, second = _project(db_url), _project(db_url, "jiangtan")
    official = _official_code()
    _put_official(api, official, "李主任")
    corrected = api.created(
        OFFICIALS,
        {
            "official_code": official,
            "name": "李主任",
            "title": "主任",
            "unit": "市发改委",
            "reason": "更正职务",
        },
    )
    assert (corrected["official"]["title"], corrected["official"]["unit"]) == ("主任", "市发改委")
    assert len(api.all("SELECT 1 FROM project_official WHERE official_code = :o", o=official)) == 2
    api.created(
        f"/api/projects/{second}/officials",
        {
            "official_code": official,
            "role": "member",
            "assigned_on": "2025-02-01",
            "reason": "配合",
        },
    )
    lead = api.created(
        f"/api/projects/{first}/officials",
        {"official_code": official, "role": "lead", "reason": "包抓"},
    )
    assert lead["assignment"]["assigned_on"] == _today(api).isoformat()
    assert lead["assignment"]["name"] == "李主任"
    [listed] = [o for o in api.get(OFFICIALS) if o["official_code"] == official]
    assert [(p["project_code"], p["role"]) for p in listed["projects"]] == [
        (first, "lead"),
        (second, "member"),
    ]
    path = f"/api/projects/{second}/officials/{official}"
    response = api.client.delete(path, params={"reason": "调整包抓"}, headers=api.tokens["editor"])
    assert response.status_code == 200, response.text
    change_set_id = response.json()["change_set_id"]
    [listed] = [o for o in api.get(OFFICIALS) if o["official_code"] == official]
    assert [p["project_code"] for p in listed["projects"]] == [first]
    row = api.one(
        "SELECT ended_by_change_set_id FROM project_assignment WHERE project_code = :p "
        "AND official_code = :o",
        p=second,
        o=official,
    )
    assert row["ended_by_change_set_id"] == change_set_id
    before = api.stored()
    again = api.client.delete(path, params={"reason": "再次"}, headers=api.tokens["editor"])
    assert again.status_code == 404 and api.stored() == before
    body = api.refused(
        f"/api/projects/{first}/officials",
        {"official_code": "NOBODY-3", "role": "lead", "reason": "r"},
    )
    assert body["field"] == "official_code"
    blank = api.client.delete(path, params={"reason": " "}, headers=api.tokens["editor"])
    assert blank.status_code == 422 and blank.json()["parameter"] == "reason"


# --- settings -----------------------------------------------------------------------------------


def test_an_admin_sets_a_setting_and_a_bad_name_or_value_is_named(api):
    settings = api.get(SETTINGS)
    assert settings["visit_list.size"]["default"] == 6
    out = api.created(
        SETTINGS,
        {"name": "visit_list.size", "value": 8, "reason": "扩大观摩名单"},
        "admin",
        method="PUT",
    )
    assert (out["value"], out["default"], out["actor"]) == (8, 6, api.names["admin"])
    kind = api.one("SELECT kind FROM change_set WHERE id = :id", id=out["change_set_id"])["kind"]
    assert kind == "project_setting"
    assert api.get(SETTINGS)["visit_list.size"]["value"] == 8
    body = {"name": "visit_list.size", "value": 0, "reason": "r"}
    assert api.refused(SETTINGS, body, role="admin", method="PUT")["field"] == "value"
    body = {"name": "no.such", "value": 1, "reason": "r"}
    assert api.refused(SETTINGS, body, role="admin", method="PUT")["field"] == "name"
    body = {"name": "visit_list.size", "value": 9, "reason": "r"}
    assert (
        api.refused(SETTINGS, body, status=403, role="editor", method="PUT")["error"] == "forbidden"
    )


# --- who may write ------------------------------------------------------------------------------


def _writes(
    api: Api, code: str, problem_no: str, official: str
) -> list[tuple[str, str, dict | None]]:
    return [
        ("POST", f"/api/projects/{code}/plan", PLAN),
        ("POST", f"/api/projects/{code}/reports", _report("2025-01", 1, 1)),
        (
            "POST",
            f"/api/projects/{code}/visits",
            {"visited_on": "2025-01-03", "visitors": "x", "reason": "r"},
        ),
        ("POST", f"/api/projects/{code}/problems", _problem()),
        (
            "PATCH",
            f"/api/projects/{code}/problems/{problem_no}",
            {"status": "in_progress", "reason": "r"},
        ),
        (
            "POST",
            f"/api/projects/{code}/officials",
            {"official_code": official, "role": "lead", "reason": "r"},
        ),
        ("DELETE", f"/api/projects/{code}/officials/{official}?reason=r", None),
    ]


def test_a_viewer_may_not_write_a_record_nor_may_nobody(api, db_url):
    code = _project(db_url)
    official = _official_code()
    _put_official(api, official)
    api.created(
        f"/api/projects/{code}/officials",
        {"official_code": official, "role": "lead", "reason": "r"},
    )
    number = api.created(f"/api/projects/{code}/problems", _problem())["problem"]["problem_no"]
    writes = [
        *_writes(api, code, number, official),
        ("POST", OFFICIALS, {"official_code": "V-1", "name": "n", "reason": "r"}),
    ]
    for method, path, body in writes:
        refused = api.refused(path, body, status=403, role="viewer", method=method)
        assert refused["error"] == "forbidden", (method, path)
        api.refused(path, body, status=401, role=None, method=method)


def test_an_official_limited_to_a_park_writes_only_its_projects_records(api, db_url):
    support_people = pytest.importorskip("support_people")
    theirs, ours = _project(db_url, "jiangtan"), _project(db_url, "gaoxin")
    official = _official_code()
    _put_official(api, official)
    for code in (theirs, ours):
        api.created(
            f"/api/projects/{code}/officials",
            {"official_code": official, "role": "lead", "reason": "r"},
        )
    number = api.created(f"/api/projects/{theirs}/problems", _problem())["problem"]["problem_no"]
    name = f"gx-{uuid.uuid4().hex[:6]}"
    support_people.add_user(db_url, name, "editor", parks=("gaoxin",))
    with support_people.people_client(db_url) as client:
        csrf = {"X-CSRF-Token": support_people.signed_in(client, name)}
        for method, path, body in _writes(api, theirs, number, official):
            before = api.stored()
            response = client.request(method, path, json=body, headers=csrf)
            assert response.status_code == 403, (method, path, response.text)
            assert (response.json()["error"], response.json()["park"]) == (
                "park_out_of_scope",
                "jiangtan",
            )
            assert api.stored() == before
        plan = f"/api/projects/{ours}/plan"
        assert client.post(plan, json=PLAN).status_code == 403  # no CSRF token
        response = client.post(plan, json=PLAN, headers=csrf)
        assert response.status_code == 201, response.text
        change_set_id = response.json()["change_set_id"]
    assert api.one("SELECT actor FROM change_set WHERE id = :id", id=change_set_id)["actor"] == name


# --- the sample's own records -------------------------------------------------------------------


def test_every_sample_projects_records_read_back_as_the_tables_hold_them(api):
    projects = api.all("SELECT project_code FROM project WHERE project_code NOT LIKE 'T%'")
    assert len(projects) >= 32
    year = _today(api).year
    seen = {"months": 0, "reports": 0, "visits": 0, "problems": 0}
    for (code,) in (tuple(p.values()) for p in projects):
        plan = api.get(f"/api/projects/{code}/plan", year=year)
        own = api.one(
            "SELECT coalesce(sum(planned_wan), 0) AS total, count(*) AS months "
            "FROM project_plan_investment WHERE project_code = :c AND year = :y "
            "AND valid_to IS NULL",
            c=code,
            y=year,
        )
        assert plan["planned_year_wan"] == pytest.approx(float(own["total"]))
        assert len(plan["investment"]) == own["months"]
        reports = api.get(f"/api/projects/{code}/reports", year=year)["reports"]
        months = api.all(
            "SELECT month FROM project_report WHERE project_code = :c AND year = :y "
            "AND valid_to IS NULL ORDER BY month",
            c=code,
            y=year,
        )
        assert [r["month_no"] for r in reports] == [m["month"] for m in months]
        visits = api.get(f"/api/projects/{code}/visits")
        days = [v["visited_on"] for v in visits]
        assert days == sorted(days, reverse=True)
        problems = api.get(f"/api/projects/{code}/problems")
        seen["months"] += len(plan["investment"])
        seen["reports"] += len(reports)
        seen["visits"] += len(visits)
        seen["problems"] += len(problems)
        for problem in problems:
            detail = api.get(f"/api/projects/{code}/problems/{problem['problem_no']}")
            assert detail["problem"] == problem
            assert detail["history"][-1]["valid_to"] is None
    assert all(seen.values()), seen  # the sample carries every kind of record
    listed = {o["official_code"] for o in api.get(OFFICIALS)}
    own = api.all("SELECT official_code FROM project_official WHERE valid_to IS NULL")
    assert listed == {o["official_code"] for o in own}

"""The synthetic sample's year of key-project rhythm records (周观摩、月调度、季评比、年考核).

ILLUSTRATIVE: every official, plan, report, visit, score and problem here is invented
(plausible for a Chinese city's 重点项目 dispatch, not anyone's).

:func:`generate_rhythm` makes, from a :class:`~service.sample.generator.Sample`'s
``projects`` (code, park, status, ``investment_yi``, the legacy ``milestones`` list), the
tables (plain DataFrames, one row per record, columns named as the database's
``project_*`` tables, service/db/sql/project_rhythm.sql) that ``parks load`` writes:

* ``project_officials`` — 11 包抓领导 (two 副市长, each park's 管委会主任, the 区长 or 县长
  of the district three of the parks lie in, the 局长 of 市工信局 and 市自然资源和规划局;
  only those whose parks the sample has);
* ``project_assignments`` — one lead per project (a 副市长 the largest project of each of
  their parks, the district head one or two, 工信局 an operating project, 自规局 a signed
  one, the park's director the rest; every official leads one at least) and, for some, a
  member (the park's director beside another lead, the district head or 工信局 beside
  the director), assigned on 2026-01-08 (the year's 包抓 list) or, for a project listed
  in 2026, a week or two after its listing;
* ``project_plan_investment`` — the 2026 plan of every project, month by month (万元):
  the year's total is a share of ``investment_yi`` (1 亿元 = 10,000 万元) by status —
  under construction 25–40 % (no more than 95 % of it with what was done before),
  operating 4–8 % (技改), signed 10–25 %, planned 0.3–1 % (前期), suspended 3–8 %
  (a plan to resume) — spread seasonally (January and February, around the Spring
  Festival, about half an ordinary month), a signed project's months before its planned
  start at a quarter, a project listed in 2026 nothing before its listing;
* ``project_plan_milestones`` — the milestones planned in 2026, by status: operating
  projects that went into production since mid-2024 plan 达产; projects under
  construction 主体完工, then 设备安装 and 投产 as far as their start allows; signed
  ones 开工 (and 供地 when they have no land yet); planned ones 签约 (when it falls in
  2026); suspended ones 主体完工 after resuming;
* ``project_plan_progress`` — the image-progress (形象进度) target at each quarter's end,
  rising with the planned investment, named after the last milestone planned by then;
* ``project_reports`` — monthly reports January–October 2026 (reported on the 25th–28th,
  so none after 2026-10-31): the month's investment and the cumulative one (running on
  from what was done before 2026), image progress, employment and, for operating projects
  only, output (产值). Each project's investment January–October is a set share of its
  plan January–October: suspended projects 0–8 %, signed ones whose start is overdue
  35–70 %, some others 45–75 % (at least six projects are behind by more than 20 %),
  planned ones 70–110 %, the rest 86–118 % (one at least on or above plan);
* ``project_milestones_reached`` — the milestones reached before 2026 (from the legacy
  ``milestones`` list: 签约, 供地, 开工, 主体封顶 = 主体完工, 竣工投产 = 投产; 设备安装 shortly
  before 投产; 达产 a year or so after an early 投产; 主体完工 for a project that started
  before mid-2023) and those of the 2026 plan reached by 2026-10-31: some on time, some
  late (one exactly one day, others 3–12, 15–40 and 61–75 days), some overdue (a signed
  project never starts, a planned one never signs, a project under construction never
  reaches 投产 in the sample: their statuses say so);
* ``project_visits`` — the weekly 周观摩 (Fridays through the year, skipping the New Year,
  the Spring Festival and National Day weeks): each week one park, 3–5 of its projects,
  those not visited longest first; half the weeks scored (60–98, by the project's pace);
  five projects (at most two a park) not visited since July; three 专项督查 inspections
  (Tuesdays, unscored) of projects far behind;
* ``project_problems`` — 60 problems (问题清单), every category, raised January–October,
  due 15–90 days later, owned by the project's lead and a department that fits the
  category; ten unsolved and overdue on 2026-10-31 (projects behind plan first), some
  open or in progress and not due yet (six of them raised from late September on), the
  rest solved, about two in three of those on time. ``problem_no`` is
  ``{project_code}-Q{nnn}``, numbered per project from 001 in raising order.

Money 万元, percentages 0–100, dates ISO ``YYYY-MM-DD`` strings on or before
:data:`~service.sample.generator.SAMPLE_AS_OF` (a plan's dates run to December).
Everything draws from random streams ``(seed, 2026, part)`` of its own, one per part
(assignments, plans, reports, milestones, visits, problems), so the other layers of the
sample are the same with or without these, and a change to one part's draws leaves the
other parts' draws alone.
"""

from __future__ import annotations

import calendar
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from parks.projects.vocabulary import (
    MILESTONE_NAMES_ZH,
    MILESTONE_ORDER,
    AssignmentRole,
    Milestone,
    ProblemCategory,
    ProblemStatus,
    VisitKind,
)
from parks.vocabulary import ProjectStatus
from service.sample.generator import DEFAULT_SEED, RHYTHM_LAYER_NAMES, SAMPLE_AS_OF, Sample

#: The layers :func:`generate_rhythm` makes, in GeoPackage order, and the database table
#: each one is loaded into.
RHYTHM_LAYERS: dict[str, str] = dict(
    zip(
        RHYTHM_LAYER_NAMES,
        (
            "project_official",
            "project_assignment",
            "project_plan_investment",
            "project_plan_milestone",
            "project_plan_progress",
            "project_report",
            "project_milestone_reached",
            "project_visit",
            "project_problem",
        ),
        strict=True,
    )
)

#: The year the sample's plans, reports, visits and problems are of.
RHYTHM_YEAR = 2026
#: The day the year's 包抓 list (who takes charge of which project) was issued.
ASSIGNED_ON = date(RHYTHM_YEAR, 1, 8)
#: The random streams are ``(seed, _STREAM, part)``: apart from the parks' ``(seed, i)``
#: and supervision's ``(seed, i, 7)`` and ``(seed, 7, 0)``.
_STREAM = 2026
_PART_ASSIGNMENTS = 0
_PART_PLANS = 1
_PART_REPORTS = 2
_PART_REACHED = 3
_PART_VISITS = 4
_PART_PROBLEMS = 5

#: Share of the months' plan in an ordinary year, January to December (sum 1): little
#: around the Spring Festival, most from spring to autumn.
MONTH_WEIGHTS = np.array([0.04, 0.03, 0.07, 0.09, 0.10, 0.11, 0.10, 0.10, 0.10, 0.09, 0.09, 0.08])
#: The year's planned investment as a share of the project's whole investment, by status.
PLAN_SHARES: dict[str, tuple[float, float]] = {
    ProjectStatus.UNDER_CONSTRUCTION: (0.25, 0.40),
    ProjectStatus.OPERATING: (0.04, 0.08),
    ProjectStatus.SIGNED: (0.10, 0.25),
    ProjectStatus.PLANNED: (0.003, 0.01),
    ProjectStatus.SUSPENDED: (0.03, 0.08),
}
#: Investment completed January–October as a share of the plan January–October.
PACE_BEHIND = (0.45, 0.75)
PACE_SIGNED_NOT_STARTED = (0.35, 0.70)
PACE_SUSPENDED = (0.0, 0.08)
PACE_ON_PLAN = (0.86, 1.0)
PACE_AHEAD = (1.0, 1.18)
PACE_PLANNED = (0.7, 1.1)
#: At least this many projects are behind plan by more than 20 % in October.
MIN_BEHIND = 6

#: The legacy ``milestones`` list's names, as milestones of the plan.
LEGACY_MILESTONES: dict[str, str] = {
    "签约": Milestone.SIGNING,
    "供地": Milestone.LAND_SUPPLY,
    "开工": Milestone.CONSTRUCTION_START,
    "主体封顶": Milestone.STRUCTURE_COMPLETE,
    "竣工投产": Milestone.PRODUCTION_START,
}
LEGACY_LISTED = "项目谋划入库"

#: Delays (days) of the 2026 milestones made late on purpose: one of 61–75, one of 15–40,
#: one of 3–12 and one of exactly 1.
FORCED_DELAYS: tuple[tuple[int, int], ...] = ((61, 75), (15, 40), (3, 12), (1, 1))

VISIT_WEEKDAY = 4  # Friday
#: Weeks without a 周观摩: New Year, the Spring Festival (17 February 2026), National Day.
NO_VISIT_FRIDAYS = frozenset({date(2026, 1, 2), date(2026, 2, 20), date(2026, 10, 2)})
#: 专项督查 days (Tuesdays, so never on a weekly visit's day).
INSPECTION_DAYS = (date(2026, 5, 19), date(2026, 7, 14), date(2026, 9, 15))
NOT_VISITED_SINCE = date(2026, 8, 1)
N_NOT_VISITED = 5
VISIT_SCORES: dict[str, tuple[float, float]] = {
    "ahead": (88, 98),
    "on_plan": (76, 92),
    "behind": (62, 78),
    "stopped": (60, 68),
}

N_PROBLEMS = 60
N_OVERDUE = 10
N_LATE_RAISED = 6


@dataclass(frozen=True)
class Official:
    """A 包抓领导: the dispatch office's code, name, 职务 and 单位; *kind* says what they
    take charge of (``vice_mayor``, ``director``, ``district``, ``industry``, ``land``)
    and *parks* where (empty: the whole city)."""

    code: str
    name: str
    title: str
    unit: str
    kind: str
    parks: tuple[str, ...] = ()


OFFICIALS: tuple[Official, ...] = (
    Official("LD-01", "赵志刚", "副市长", "宝鸡市人民政府", "vice_mayor", ("gaoxin", "jiangtan")),
    Official(
        "LD-02", "孙丽华", "副市长", "宝鸡市人民政府", "vice_mayor", ("caijiapo", "fengxiang")
    ),
    Official("LD-03", "周建国", "管委会主任", "宝鸡高新区管委会", "director", ("gaoxin",)),
    Official("LD-04", "吴海峰", "管委会主任", "姜谭经开区管委会", "director", ("jiangtan",)),
    Official("LD-05", "郑卫东", "管委会主任", "蔡家坡经开区管委会", "director", ("caijiapo",)),
    Official("LD-06", "王秀英", "管委会主任", "凤翔高新区管委会", "director", ("fengxiang",)),
    Official("LD-07", "冯立新", "区长", "渭滨区人民政府", "district", ("jiangtan",)),
    Official("LD-08", "陈明辉", "县长", "岐山县人民政府", "district", ("caijiapo",)),
    Official("LD-09", "褚文博", "区长", "凤翔区人民政府", "district", ("fengxiang",)),
    Official("LD-10", "蒋红军", "局长", "宝鸡市工业和信息化局", "industry"),
    Official("LD-11", "沈慧敏", "局长", "宝鸡市自然资源和规划局", "land"),
)
#: The park's management committee (区管委会), as a problem's department names it.
PARK_COMMITTEES: dict[str, str] = {
    o.parks[0]: o.unit for o in OFFICIALS if o.kind == "director" and o.parks
}

#: Problems by category: (description, responsible department, resolution once solved);
#: ``{committee}`` is the project's park's management committee (区管委会).
PROBLEMS: dict[str, tuple[tuple[str, str, str], ...]] = {
    ProblemCategory.LAND: (
        (
            "项目二期用地指标未落实，需调整用地计划",
            "市自然资源和规划局",
            "已调剂用地指标，完成报批",
        ),
        ("征地拆迁补偿未完成，部分地块未能交付", "{committee}", "已协调完成补偿，场地移交"),
        ("用地范围内有一处坟墓待迁移，影响场地平整", "{committee}", "已完成迁移，场地平整"),
        ("不动产权证办理滞后", "市自然资源和规划局", "已开辟绿色通道，不动产权证已核发"),
    ),
    ProblemCategory.PLANNING_APPROVAL: (
        ("建设工程规划许可证办理滞后", "市自然资源和规划局", "规划许可证已核发"),
        ("施工许可审批材料反复补正，审批周期长", "市住建局", "容缺受理，施工许可证已核发"),
        ("规划设计方案调整需重新报批", "市自然资源和规划局", "调整方案已批复"),
        ("环评批复未取得，影响开工", "市生态环境局", "环评已批复"),
    ),
    ProblemCategory.FINANCING: (
        ("项目贷款审批未通过，资金缺口较大", "市金融办", "已协调银行完成授信放款"),
        ("企业自筹资金到位慢，影响施工进度", "{committee}", "企业增资到位"),
        ("专项债券资金拨付滞后", "市发改委", "债券资金已拨付到位"),
    ),
    ProblemCategory.POWER_WATER: (
        ("110kV专用变电站接入方案未确定", "国网宝鸡供电公司", "接入方案已批复，正式送电"),
        ("施工用电容量不足，需临时增容", "国网宝鸡供电公司", "临时增容已完成"),
        ("供水管网未接入厂区", "宝鸡市水务集团有限公司", "管网已接通，正常供水"),
        ("天然气管道接入迟缓", "宝鸡市燃气有限责任公司", "燃气管道已接通"),
    ),
    ProblemCategory.LABOUR: (
        ("熟练技术工人短缺，招工困难", "市人社局", "组织专场招聘会，用工缺口已补齐"),
        ("施工高峰期劳务人员不足", "市人社局", "协调劳务公司补充人员"),
        ("高端技术人才引进困难", "市人社局", "纳入人才引进计划，已引进到位"),
    ),
    ProblemCategory.OTHER: (
        ("厂区外道路未建成，大型设备进场困难", "市交通运输局", "道路已通车，设备已进场"),
        ("周边群众反映施工噪声，需协调", "{committee}", "已调整施工时间，群众满意"),
        ("进口设备到货延迟", "市商务局", "协调通关，设备已到货"),
    ),
}
#: The categories a project at each status meets most.
STATUS_CATEGORIES: dict[str, tuple[str, ...]] = {
    ProjectStatus.SIGNED: ("land", "planning_approval", "power_water", "financing"),
    ProjectStatus.UNDER_CONSTRUCTION: (
        "power_water",
        "labour",
        "financing",
        "planning_approval",
        "other",
    ),
    ProjectStatus.OPERATING: ("labour", "power_water", "other", "financing"),
    ProjectStatus.PLANNED: ("land", "planning_approval", "financing"),
    ProjectStatus.SUSPENDED: ("financing", "other", "land"),
}

FINDINGS: dict[str, tuple[str, ...]] = {
    "ahead": ("施工组织有序，投资进度超计划", "现场施工热火朝天，形象进度领先"),
    "on_plan": ("现场施工正常，按计划推进", "各项工作有序推进，节点基本按期"),
    "behind": ("投资进度滞后于计划，要求制定赶超措施", "现场施工人员偏少，进度滞后"),
    "stopped": ("项目停工，现场无施工人员", "停工已久，要求尽快制定复工方案"),
    "not_started": ("尚未开工，场地平整中", "前期手续办理缓慢，需加快开工准备"),
    "planning": ("项目前期工作推进中，需加快签约落地", "选址已初步确定，正在洽谈"),
}


@dataclass
class _Project:
    """One project's facts and what the year makes of it."""

    code: str
    park: str
    status: str
    investment_wan: float
    reached: dict[str, date]
    listed_on: date | None = None
    lead: str = ""
    members: list[str] = field(default_factory=list)
    planned: list[tuple[str, date]] = field(default_factory=list)
    plan_wan: np.ndarray = field(default_factory=lambda: np.zeros(12))
    before_wan: float = 0.0
    pace: float = 1.0
    pace_kind: str = "on_plan"
    start_pct: float = 0.0
    end_pct: float = 100.0

    @property
    def first_month(self) -> int:
        """The first month with a plan and reports (after a 2026 listing)."""
        if self.listed_on is not None and self.listed_on.year == RHYTHM_YEAR:
            return self.listed_on.month + 1
        return 1


def _day(d: date) -> str:
    return d.isoformat()


def _days(rng: np.random.Generator, lo: int, hi: int) -> timedelta:
    """A whole number of days in [lo, hi]."""
    return timedelta(days=int(rng.integers(lo, hi + 1)))


def _between(rng: np.random.Generator, first: date, last: date) -> date:
    """A day in [first, last]."""
    return first + _days(rng, 0, max(0, (last - first).days))


def _uniform(rng: np.random.Generator, bounds: tuple[float, float]) -> float:
    return float(rng.uniform(*bounds))


def _projects(sample: Sample) -> list[_Project]:
    """The sample's projects with the milestones their legacy list says they reached."""
    out = []
    for row in sample.projects.itertuples(index=False):
        listed, reached = None, {}
        raw = row.milestones if isinstance(row.milestones, str) else "[]"
        for event in json.loads(raw):
            day = date.fromisoformat(event["date"])
            if event["name"] in LEGACY_MILESTONES:
                reached[LEGACY_MILESTONES[event["name"]]] = day
            elif event["name"] == LEGACY_LISTED:
                listed = day
        investment = float(row.investment_yi) if pd.notna(row.investment_yi) else 1.0
        out.append(
            _Project(
                code=str(row.project_code),
                park=str(row.park),
                status=str(row.status),
                investment_wan=investment * 10_000,
                reached=reached,
                listed_on=listed,
            )
        )
    return out


def generate_rhythm(sample: Sample, *, seed: int = DEFAULT_SEED) -> dict[str, pd.DataFrame]:
    """The key-project rhythm layers of *sample* for 2026 (see the module's docstring),
    keyed as :data:`RHYTHM_LAYERS`. Deterministic: the same sample and seed give the same
    frames; the random streams are this module's own."""
    projects = _projects(sample)

    def rng(part: int) -> np.random.Generator:
        return np.random.default_rng([seed, _STREAM, part])

    parks = [str(p) for p in sample.parks["code"]]
    officials = [o for o in OFFICIALS if not o.parks or set(o.parks) & set(parks)]
    assignments = _assign(projects, officials, rng=rng(_PART_ASSIGNMENTS))
    _plan(projects, rng=rng(_PART_PLANS))
    reached = _reached(projects, rng=rng(_PART_REACHED))
    reports = _reports(projects, rng=rng(_PART_REPORTS))
    names = {o.code: o for o in officials}
    visits = _visits(projects, names, parks, rng=rng(_PART_VISITS))
    problems = _problems(projects, sample, rng=rng(_PART_PROBLEMS))
    return {
        "project_officials": pd.DataFrame(
            {
                "official_code": [o.code for o in officials],
                "name": [o.name for o in officials],
                "title": [o.title for o in officials],
                "unit": [o.unit for o in officials],
            }
        ),
        "project_assignments": assignments,
        "project_plan_investment": pd.DataFrame(
            [
                {
                    "project_code": p.code,
                    "year": RHYTHM_YEAR,
                    "month": m + 1,
                    "planned_wan": round(float(p.plan_wan[m]), 2),
                }
                for p in projects
                for m in range(12)
            ],
            columns=["project_code", "year", "month", "planned_wan"],
        ),
        "project_plan_milestones": pd.DataFrame(
            [
                {
                    "project_code": p.code,
                    "year": RHYTHM_YEAR,
                    "milestone": str(m),
                    "planned_on": _day(d),
                }
                for p in projects
                for m, d in p.planned
            ],
            columns=["project_code", "year", "milestone", "planned_on"],
        ),
        "project_plan_progress": _plan_progress(projects),
        "project_reports": reports,
        "project_milestones_reached": reached,
        "project_visits": visits,
        "project_problems": problems,
    }


# --------------------------------------------------------------------------------------
# Officials and who takes charge of what
# --------------------------------------------------------------------------------------


def _assign(
    projects: list[_Project], officials: list[Official], *, rng: np.random.Generator
) -> pd.DataFrame:
    """Each project's lead and members (see the module's docstring)."""
    by_park: dict[str, list[_Project]] = {}
    for p in projects:
        by_park.setdefault(p.park, []).append(p)
    director = {o.parks[0]: o.code for o in officials if o.kind == "director"}
    district = {o.parks[0]: o.code for o in officials if o.kind == "district"}
    vice_mayors = [o for o in officials if o.kind == "vice_mayor"]

    def free(candidates: Iterable[_Project]) -> list[_Project]:
        return [p for p in candidates if not p.lead]

    for vm in vice_mayors:
        for park in vm.parks:
            mine = free(by_park.get(park, []))
            if mine:
                max(mine, key=lambda p: (p.investment_wan, p.code)).lead = vm.code
    for park, code in district.items():
        mine = free(by_park.get(park, []))
        for i in rng.permutation(len(mine))[: int(rng.integers(1, 3))]:
            mine[int(i)].lead = code
    for kind, status in (("industry", ProjectStatus.OPERATING), ("land", ProjectStatus.SIGNED)):
        bureau = next((o.code for o in officials if o.kind == kind), None)
        mine = free(p for p in projects if p.status == status)
        if bureau and mine:
            mine[int(rng.integers(0, len(mine)))].lead = bureau
    fallback = vice_mayors[0].code if vice_mayors else officials[0].code
    industry = next((o.code for o in officials if o.kind == "industry"), None)
    for p in projects:
        own = director.get(p.park)
        if not p.lead:
            p.lead = own or fallback
        if p.lead != own and own:
            p.members.append(own)  # the park's director works beside any other lead
        elif rng.random() < 0.35:
            helper = (
                industry
                if p.status == ProjectStatus.OPERATING and industry
                else district.get(p.park)
            )
            if helper and helper != p.lead:
                p.members.append(helper)
    rows = []
    for p in projects:
        on = ASSIGNED_ON
        if p.listed_on is not None and p.listed_on >= ASSIGNED_ON:
            on = p.listed_on + _days(rng, 7, 20)
        rows.append((p.code, p.lead, AssignmentRole.LEAD, on))
        rows.extend((p.code, m, AssignmentRole.MEMBER, on) for m in p.members)
    return pd.DataFrame(
        {
            "project_code": [r[0] for r in rows],
            "official_code": [r[1] for r in rows],
            "role": [str(r[2]) for r in rows],
            "assigned_on": [_day(r[3]) for r in rows],
        }
    )


# --------------------------------------------------------------------------------------
# The plan: milestones, investment by month, pace
# --------------------------------------------------------------------------------------


def _plan(projects: list[_Project], *, rng: np.random.Generator) -> None:
    """Set each project's planned milestones, monthly plan, investment before 2026, its
    pace (investment January–October ÷ plan) and its image-progress start and target."""
    year_start, year_end = date(RHYTHM_YEAR, 1, 1), date(RHYTHM_YEAR, 12, 25)
    for p in projects:
        p.planned = _planned_milestones(p, rng=rng)
        p.planned = [(m, d) for m, d in p.planned if year_start <= d <= year_end]

        share = _uniform(rng, PLAN_SHARES.get(p.status, (0.05, 0.1)))
        started = p.reached.get(Milestone.CONSTRUCTION_START)
        if p.status == ProjectStatus.UNDER_CONSTRUCTION and started is not None:
            years = (year_start - started).days / 365.25
            before = float(np.clip(0.12 + 0.17 * years + rng.uniform(-0.05, 0.05), 0.08, 0.65))
            share = min(share, 0.95 - before)
            p.start_pct = round(float(np.clip(before * 100 + rng.uniform(0, 10), 10, 70)), 1)
            p.end_pct = round(min(96.0, p.start_pct + 100 * share * rng.uniform(0.9, 1.2)), 1)
        elif p.status == ProjectStatus.OPERATING:
            before = _uniform(rng, (0.85, 0.92))
            p.start_pct, p.end_pct = round(_uniform(rng, (88, 95)), 1), 100.0
        elif p.status == ProjectStatus.SIGNED:
            before = _uniform(rng, (0.02, 0.08))
            p.start_pct, p.end_pct = round(_uniform(rng, (0, 5)), 1), round(_uniform(rng, (15, 30)))
        elif p.status == ProjectStatus.SUSPENDED:
            before = _uniform(rng, (0.10, 0.30))
            p.start_pct = round(float(before * 100 + rng.uniform(0, 8)), 1)
            p.end_pct = round(p.start_pct + _uniform(rng, (10, 20)), 1)
        else:  # planned
            before = 0.0
            p.start_pct, p.end_pct = 0.0, round(_uniform(rng, (2, 6)), 1)
        p.before_wan = round(p.investment_wan * before, 2)

        weights = MONTH_WEIGHTS * rng.uniform(0.85, 1.15, 12)
        weights[: p.first_month - 1] = 0.0
        if p.status == ProjectStatus.SIGNED:
            start = dict(p.planned).get(Milestone.CONSTRUCTION_START)
            if start is not None:
                weights[: start.month - 1] *= 0.25  # 前期 costs before the start
        if weights.sum() <= 0:
            weights[11] = 1.0
        p.plan_wan = np.round(p.investment_wan * share * weights / weights.sum(), 2)

    # the pace: investment January–October as a share of the plan January–October
    late_start = {
        p.code
        for p in projects
        if p.status == ProjectStatus.SIGNED
        and any(d <= SAMPLE_AS_OF for m, d in p.planned if m == Milestone.CONSTRUCTION_START)
    }
    free = [
        p
        for p in projects
        if p.status in (ProjectStatus.UNDER_CONSTRUCTION, ProjectStatus.OPERATING)
    ]
    stopped = sum(p.status == ProjectStatus.SUSPENDED for p in projects)
    n_behind = max(2, MIN_BEHIND - stopped - len(late_start))
    order = rng.permutation(len(free))
    behind = {free[i].code for i in order[:n_behind]}
    ahead = {free[i].code for i in order[n_behind : n_behind + 1]}  # one surely ahead
    for p in projects:
        if p.status == ProjectStatus.SUSPENDED:
            p.pace, p.pace_kind = _uniform(rng, PACE_SUSPENDED), "stopped"
        elif p.code in late_start:
            p.pace, p.pace_kind = _uniform(rng, PACE_SIGNED_NOT_STARTED), "behind"
        elif p.code in behind:
            p.pace, p.pace_kind = _uniform(rng, PACE_BEHIND), "behind"
        elif p.status == ProjectStatus.PLANNED:
            p.pace = _uniform(rng, PACE_PLANNED)
            p.pace_kind = "behind" if p.pace < 0.8 else "on_plan" if p.pace < 1.0 else "ahead"
        elif p.code in ahead or rng.random() < 0.4:
            p.pace, p.pace_kind = _uniform(rng, PACE_AHEAD), "ahead"
        else:
            p.pace, p.pace_kind = _uniform(rng, PACE_ON_PLAN), "on_plan"


def _planned_milestones(p: _Project, *, rng: np.random.Generator) -> list[tuple[str, date]]:
    """The milestones *p* plans in 2026 (some may fall outside it: the caller drops them);
    also completes *p*'s milestones reached before 2026 that its status implies."""
    y = RHYTHM_YEAR
    reached = p.reached
    if p.status == ProjectStatus.OPERATING:
        produced = reached.get(Milestone.PRODUCTION_START)
        if produced is None:
            return []
        installed = produced - _days(rng, 30, 90)
        reached.setdefault(Milestone.EQUIPMENT_INSTALLED, installed)
        if produced >= date(y - 2, 7, 1):
            full = produced + _days(rng, 365, 540)
            return [(Milestone.FULL_PRODUCTION, min(max(full, date(y, 2, 15)), date(y, 12, 15)))]
        full = min(produced + _days(rng, 240, 540), date(y - 1, 12, 20))
        reached.setdefault(Milestone.FULL_PRODUCTION, full)
        return []
    if p.status == ProjectStatus.UNDER_CONSTRUCTION:
        started = reached.get(Milestone.CONSTRUCTION_START, date(y - 1, 6, 1))
        if started <= date(y - 3, 6, 30):
            done = min(started + _days(rng, 450, 700), date(y - 1, 12, 20))
            reached.setdefault(Milestone.STRUCTURE_COMPLETE, done)
        remaining = [
            m
            for m in (
                Milestone.STRUCTURE_COMPLETE,
                Milestone.EQUIPMENT_INSTALLED,
                Milestone.PRODUCTION_START,
            )
            if m not in reached
        ]
        k = 3 if started <= date(y - 2, 6, 30) else 2 if started <= date(y - 1, 3, 31) else 1
        out, day = [], _between(rng, date(y, 3, 10), date(y, 6, 30))
        for m in remaining[:k]:
            out.append((m, day))
            day = day + _days(rng, 75, 130)
        return out
    if p.status == ProjectStatus.SIGNED:
        out = []
        if Milestone.LAND_SUPPLY not in reached:
            supply = _between(rng, date(y, 2, 1), date(y, 6, 30))
            out.append((Milestone.LAND_SUPPLY, supply))
            out.append((Milestone.CONSTRUCTION_START, supply + _days(rng, 90, 150)))
        else:
            out.append(
                (Milestone.CONSTRUCTION_START, _between(rng, date(y, 4, 1), date(y, 12, 20)))
            )
        return out
    if p.status == ProjectStatus.PLANNED:
        listed = p.listed_on or date(y - 1, 10, 1)
        return [(Milestone.SIGNING, max(listed + _days(rng, 90, 200), date(y, 3, 1)))]
    if p.status == ProjectStatus.SUSPENDED:
        return [(Milestone.STRUCTURE_COMPLETE, _between(rng, date(y, 5, 1), date(y, 10, 15)))]
    return []


def _plan_progress(projects: list[_Project]) -> pd.DataFrame:
    """The image-progress target at each quarter's end: from the start towards the year's
    target as the planned investment goes, named after the last milestone planned by
    then (else what a project at its status is doing)."""
    defaults = {
        ProjectStatus.UNDER_CONSTRUCTION: "主体结构施工",
        ProjectStatus.OPERATING: "正常生产，技改项目推进",
        ProjectStatus.SIGNED: "办理开工前期手续",
        ProjectStatus.PLANNED: "项目前期策划，洽谈对接",
        ProjectStatus.SUSPENDED: "制定复工方案",
    }
    rows = []
    for p in projects:
        total = p.plan_wan.sum()
        for q in range(1, 5):
            last = date(RHYTHM_YEAR, 3 * q, calendar.monthrange(RHYTHM_YEAR, 3 * q)[1])
            done = p.plan_wan[: 3 * q].sum() / total if total > 0 else q / 4
            pct = round(p.start_pct + (p.end_pct - p.start_pct) * done, 1)
            by_then = [m for m, d in p.planned if d <= last]
            text = (
                f"完成{MILESTONE_NAMES_ZH[by_then[-1]]}"
                if by_then
                else defaults.get(p.status, "按计划推进")
            )
            rows.append((p.code, RHYTHM_YEAR, q, min(pct, 100.0), text))
    return pd.DataFrame(
        rows, columns=["project_code", "year", "quarter", "target_pct", "target_text"]
    )


# --------------------------------------------------------------------------------------
# Monthly reports
# --------------------------------------------------------------------------------------


def _progress_text(p: _Project, pct: float, month_wan: float, reached: set[str]) -> str:
    """What a site reports as its 形象进度 (*reached*: the milestones reached by the end of
    the report's month)."""
    if p.status == ProjectStatus.SUSPENDED:
        return "停工，现场看护" if month_wan == 0 else "局部复工，清理现场"
    if p.status == ProjectStatus.OPERATING:
        return "正常生产" if pct >= 100 else "正常生产，技改设备安装调试"
    if p.status == ProjectStatus.PLANNED:
        return "项目前期策划，洽谈对接" if pct < 3 else "编制可行性研究报告"
    if p.status == ProjectStatus.SIGNED:
        return "办理施工许可等前期手续" if pct < 5 else "场地平整" if pct < 15 else "基础施工"
    if Milestone.EQUIPMENT_INSTALLED in reached:
        return "设备安装调试" if pct < 95 else "具备投产条件"
    if Milestone.STRUCTURE_COMPLETE in reached:
        return "二次结构及装饰施工" if pct < 70 else "设备基础施工，部分设备进场"
    return "基础施工" if pct < 20 else "主体结构施工"


def _reports(projects: list[_Project], *, rng: np.random.Generator) -> pd.DataFrame:
    """Monthly reports January–October: the month's investment at the project's pace of
    its plan, cumulative from before 2026, image progress, employment, output."""
    months = np.arange(1, SAMPLE_AS_OF.month + 1)
    rows = []
    for p in projects:
        plan = p.plan_wan[: len(months)]
        noise = rng.lognormal(0.0, 0.15, len(months))
        if p.status == ProjectStatus.SUSPENDED:
            noise *= rng.random(len(months)) < 0.3  # most months nothing at all
        actual = plan * noise
        if actual.sum() > 0:
            actual *= p.pace * plan.sum() / actual.sum()
        actual = np.round(actual, 2)
        cumulative = np.round(p.before_wan + np.cumsum(actual), 2)
        year_plan = p.plan_wan.sum()
        scale = p.investment_wan / 10_000  # 亿元
        if p.status == ProjectStatus.OPERATING:
            staff = scale * rng.uniform(18, 40)
        elif p.status == ProjectStatus.UNDER_CONSTRUCTION:
            staff = min(600.0, scale * rng.uniform(10, 25))
        elif p.status == ProjectStatus.SIGNED:
            staff = rng.uniform(5, 30)
        else:
            staff = rng.uniform(2, 8)
        output_year = p.investment_wan * rng.uniform(0.6, 1.5)  # 产值 once operating
        # a project planning 达产 this year produces about three quarters until it does
        ramping = Milestone.FULL_PRODUCTION in dict(p.planned)
        full_on = p.reached.get(Milestone.FULL_PRODUCTION) if ramping else None
        for i, month in enumerate(months):
            if month < p.first_month:
                continue
            last_day = calendar.monthrange(RHYTHM_YEAR, int(month))[1]
            reported = date(RHYTHM_YEAR, int(month), min(last_day, 25 + int(rng.integers(0, 4))))
            done = actual[: i + 1].sum() / year_plan if year_plan > 0 else 0.0
            pct = round(min(100.0, p.start_pct + (p.end_pct - p.start_pct) * done), 1)
            season = 0.5 if month == 2 else 0.7 if month == 1 else 1.0
            if p.status == ProjectStatus.UNDER_CONSTRUCTION:
                employed = staff * season * rng.uniform(0.9, 1.1)
            else:
                employed = staff * rng.uniform(0.97, 1.03)
            output = None
            month_end = date(RHYTHM_YEAR, int(month), last_day)
            if p.status == ProjectStatus.OPERATING:
                full = not ramping or (full_on is not None and full_on <= month_end)
                factor = (1.0 if full else 0.75) * (0.8 if month <= 2 else 1.0)
                output = round(output_year / 12 * factor * rng.uniform(0.95, 1.05), 2)
            rows.append(
                {
                    "project_code": p.code,
                    "year": RHYTHM_YEAR,
                    "month": int(month),
                    "investment_wan": float(actual[i]),
                    "cumulative_investment_wan": float(cumulative[i]),
                    "image_progress_text": _progress_text(
                        p,
                        pct,
                        float(actual[i]),
                        {m for m, d in p.reached.items() if d <= month_end},
                    ),
                    "image_progress_pct": pct,
                    "employment": max(0, round(employed)),
                    "output_wan": output,
                    "reported_on": _day(reported),
                }
            )
    frame = pd.DataFrame(rows)
    frame["output_wan"] = frame["output_wan"].astype(float)
    return frame


# --------------------------------------------------------------------------------------
# Milestones reached
# --------------------------------------------------------------------------------------


def _reachable(p: _Project) -> list[tuple[str, date]]:
    """The 2026 milestones *p*'s status lets it reach by :data:`SAMPLE_AS_OF`: 达产 for an
    operating project, 主体完工 and 设备安装 for one under construction (its 投产 would
    make it operating; a signed project has not started, a planned one not signed)."""
    if p.status == ProjectStatus.OPERATING:
        allowed = {Milestone.FULL_PRODUCTION}
    elif p.status == ProjectStatus.UNDER_CONSTRUCTION:
        allowed = {Milestone.STRUCTURE_COMPLETE, Milestone.EQUIPMENT_INSTALLED}
    else:
        allowed = set()
    return [(m, d) for m, d in p.planned if m in allowed]


def _reached(projects: list[_Project], *, rng: np.random.Generator) -> pd.DataFrame:
    """Milestones reached: before 2026 (as the legacy list and the status say) and of the
    2026 plan, on time, late or not at all (see the module's docstring). Sets each
    project's ``reached``."""
    # A project's first reachable milestone due by SAMPLE_AS_OF (a "head") can be made
    # late or overdue on purpose: nothing before it in the year can stop it.
    heads = [(p, m, d) for p in projects for m, d in _reachable(p)[:1] if d <= SAMPLE_AS_OF]
    order = rng.permutation(len(heads))
    outcome: dict[tuple[str, str], tuple[str, int]] = {}
    for lo, hi in FORCED_DELAYS:
        delay = int(rng.integers(lo, hi + 1))
        for i in order:
            p, m, d = heads[i]
            if (p.code, m) not in outcome and d + timedelta(days=delay) <= SAMPLE_AS_OF:
                outcome[(p.code, m)] = ("late", delay)
                break
    for i in order:
        p, m, _ = heads[i]
        if (p.code, m) not in outcome:
            outcome[(p.code, m)] = ("overdue", 0)
            break
    for p in projects:
        previous = max(p.reached.values(), default=date(RHYTHM_YEAR - 1, 1, 1))
        for m, d in _reachable(p):
            if d > SAMPLE_AS_OF:
                break  # pending
            kind, delay = outcome.get((p.code, m), ("", 0))
            if not kind:
                draw = rng.random()
                kind = "on_time" if draw < 0.75 else "late" if draw < 0.9 else "overdue"
                delay = int(rng.integers(5, 46))
            if kind == "overdue":
                break
            on = d + timedelta(days=delay) if kind == "late" else d - _days(rng, 0, 25)
            if on < previous + timedelta(days=20):  # a step takes some weeks after the last
                on = previous + _days(rng, 20, 40)
            if on > SAMPLE_AS_OF:
                break
            p.reached[m] = on
            previous = on
    rows = [
        (p.code, str(m), _day(p.reached[m]))
        for p in projects
        for m in MILESTONE_ORDER
        if m in p.reached
    ]
    return pd.DataFrame(rows, columns=["project_code", "milestone", "reached_on"])


# --------------------------------------------------------------------------------------
# Visits
# --------------------------------------------------------------------------------------


def _visit_days() -> list[date]:
    """The Fridays of the year up to :data:`SAMPLE_AS_OF` with a 周观摩."""
    day = date(RHYTHM_YEAR, 1, 1)
    day += timedelta(days=(VISIT_WEEKDAY - day.weekday()) % 7)
    out = []
    while day <= SAMPLE_AS_OF:
        if day not in NO_VISIT_FRIDAYS:
            out.append(day)
        day += timedelta(days=7)
    return out


def _visits(
    projects: list[_Project],
    officials: dict[str, Official],
    parks: list[str],
    *,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Weekly visits (one park a week, 3–5 of its projects, longest unvisited first; half
    the weeks scored), a few projects left unvisited since July, and inspections."""
    by_park: dict[str, list[_Project]] = {park: [] for park in parks}
    for p in projects:
        by_park.setdefault(p.park, []).append(p)
    per_park: dict[str, int] = {}
    skipped: set[str] = set()
    for i in rng.permutation(len(projects)):
        p = projects[int(i)]
        taken = per_park.get(p.park, 0)
        # at most two a park, and three at least left to visit in it
        if len(skipped) < N_NOT_VISITED and taken < 2 and len(by_park[p.park]) - taken > 3:
            skipped.add(p.code)
            per_park[p.park] = taken + 1
    days = _visit_days()
    scored_weeks = set(rng.permutation(len(days))[: len(days) // 2].tolist())
    last_visit: dict[str, date] = {}
    cycle: list[str] = []
    rows = []
    for week, day in enumerate(days):
        if not cycle:
            cycle = [parks[int(i)] for i in rng.permutation(len(parks))]
        park = cycle.pop()
        eligible = [
            p for p in by_park.get(park, []) if not (day >= NOT_VISITED_SINCE and p.code in skipped)
        ]
        if not eligible:
            continue
        tiebreak = rng.random(len(eligible))
        eligible = [
            p
            for _, _, p in sorted(
                zip(
                    [last_visit.get(p.code, date.min) for p in eligible],
                    tiebreak,
                    eligible,
                    strict=True,
                ),
                key=lambda t: (t[0], t[1]),
            )
        ]
        chosen = eligible[: min(len(eligible), int(rng.integers(3, 6)))]
        for p in sorted(chosen, key=lambda p: p.code):
            last_visit[p.code] = day
            lead = officials.get(p.lead)
            who = f"{lead.name}（{lead.title}）" if lead else "市领导"
            kind = _finding_kind(p)
            score = None
            if week in scored_weeks:
                score = round(_uniform(rng, VISIT_SCORES[_score_kind(p)]), 1)
            rows.append(
                {
                    "project_code": p.code,
                    "visited_on": _day(day),
                    "kind": str(VisitKind.WEEKLY),
                    "visitors": f"{who}、市重点项目办、{PARK_COMMITTEES.get(p.park, '园区管委会')}",
                    "findings": str(rng.choice(FINDINGS[kind])),
                    "score": score,
                }
            )
    far_behind = sorted(
        (p for p in projects if p.pace_kind in ("behind", "stopped")),
        key=lambda p: (p.pace, p.code),
    )
    for day, p in zip(INSPECTION_DAYS, far_behind, strict=False):
        rows.append(
            {
                "project_code": p.code,
                "visited_on": _day(day),
                "kind": str(VisitKind.INSPECTION),
                "visitors": "市政府督查室、市重点项目办",
                "findings": f"专项督查：{FINDINGS[_finding_kind(p)][0]}，限期整改",
                "score": None,
            }
        )
    frame = pd.DataFrame(rows).sort_values(["visited_on", "project_code"], ignore_index=True)
    frame["score"] = frame["score"].astype(float)
    return frame


def _finding_kind(p: _Project) -> str:
    if p.status == ProjectStatus.SUSPENDED:
        return "stopped"
    if p.status == ProjectStatus.PLANNED:
        return "planning"
    if p.status == ProjectStatus.SIGNED and p.pace_kind == "behind":
        return "not_started"
    return p.pace_kind


def _score_kind(p: _Project) -> str:
    if p.status == ProjectStatus.SUSPENDED:
        return "stopped"
    return p.pace_kind


# --------------------------------------------------------------------------------------
# Problems
# --------------------------------------------------------------------------------------


def _problems(
    projects: list[_Project], sample: Sample, *, rng: np.random.Generator
) -> pd.DataFrame:
    """60 problems over the projects (see the module's docstring)."""
    n = len(projects)
    if n == 0:
        return pd.DataFrame(columns=_PROBLEM_COLUMNS)
    base = {
        ProjectStatus.UNDER_CONSTRUCTION: (1, 3),
        ProjectStatus.SIGNED: (1, 3),
        ProjectStatus.OPERATING: (0, 2),
        ProjectStatus.PLANNED: (0, 1),
        ProjectStatus.SUSPENDED: (2, 3),
    }
    counts = np.array(
        [int(rng.integers(lo, hi + 1)) for lo, hi in (base.get(p.status, (0, 2)) for p in projects)]
    )
    counts += np.array([p.pace_kind == "behind" for p in projects], dtype=int)
    weight = np.array([3.0 if p.pace_kind in ("behind", "stopped") else 1.0 for p in projects])
    while counts.sum() < N_PROBLEMS:
        counts[int(rng.choice(n, p=weight / weight.sum()))] += 1
    while counts.sum() > N_PROBLEMS:
        counts[int(rng.choice(np.flatnonzero(counts > 0)))] -= 1

    owner = np.repeat(np.arange(n), counts)
    total = len(owner)
    first, last = date(RHYTHM_YEAR, 1, 12), SAMPLE_AS_OF - timedelta(days=3)
    raised = [_between(rng, first, last) for _ in range(total)]
    due = [r + _days(rng, 15, 90) for r in raised]
    # the last few raised late in the year, due after SAMPLE_AS_OF: open, not due yet
    late_raised = rng.permutation(total)[:N_LATE_RAISED]
    for i in late_raised:
        raised[i] = _between(rng, date(RHYTHM_YEAR, 9, 25), last)
        due[i] = raised[i] + _days(rng, 40, 90)

    categories = [
        str(rng.choice(STATUS_CATEGORIES.get(projects[o].status, tuple(PROBLEMS)))) for o in owner
    ]
    missing = [c for c in ProblemCategory if c not in categories]
    for c, i in zip(missing, rng.permutation(total), strict=False):
        categories[int(i)] = str(c)

    # ten overdue and unsolved as of SAMPLE_AS_OF: projects behind plan first
    passed = [i for i in range(total) if due[i] < SAMPLE_AS_OF]
    tiebreak = rng.random(total)
    passed.sort(
        key=lambda i: (projects[owner[i]].pace_kind not in ("behind", "stopped"), tiebreak[i])
    )
    overdue = set(passed[:N_OVERDUE])
    status, solved_on = [], []
    not_due_count = 0
    for i in range(total):
        if i in overdue:
            status.append(ProblemStatus.IN_PROGRESS if rng.random() < 0.5 else ProblemStatus.OPEN)
            solved_on.append(None)
        elif due[i] < SAMPLE_AS_OF:
            if rng.random() < 0.65:  # on time
                on = raised[i] + _days(rng, 3, max(3, (due[i] - raised[i]).days))
            else:
                on = due[i] + _days(rng, 1, 45)
            status.append(ProblemStatus.SOLVED)
            solved_on.append(min(on, SAMPLE_AS_OF))
        else:
            not_due_count += 1
            draw = rng.random()
            early = raised[i] + _days(rng, 3, 20)
            if not_due_count > 3 and draw < 0.3 and early <= SAMPLE_AS_OF:
                status.append(ProblemStatus.SOLVED)
                solved_on.append(early)
            else:
                kind = ProblemStatus.OPEN if not_due_count % 2 else ProblemStatus.IN_PROGRESS
                status.append(kind)
                solved_on.append(None)

    parks = {str(r.code): str(r.name_zh) for r in sample.parks.itertuples(index=False)}
    rows = []
    for i in range(total):
        p = projects[owner[i]]
        committee = PARK_COMMITTEES.get(p.park, f"{parks.get(p.park, p.park)}管委会")
        pool = PROBLEMS[categories[i]]
        description, department, resolution = pool[int(rng.integers(0, len(pool)))]
        solved = status[i] == ProblemStatus.SOLVED
        rows.append(
            {
                "project_code": p.code,
                "description": description,
                "category": categories[i],
                "raised_on": _day(raised[i]),
                "department": department.format(committee=committee),
                "official_code": p.lead,
                "due_on": _day(due[i]),
                "status": str(status[i]),
                "resolution": resolution if solved else None,
                "solved_on": _day(solved_on[i]) if solved else None,
            }
        )
    frame = pd.DataFrame(rows)
    frame["_order"] = np.arange(total)
    frame = frame.sort_values(["project_code", "raised_on", "_order"], ignore_index=True)
    number = frame.groupby("project_code").cumcount() + 1
    frame.insert(
        0,
        "problem_no",
        [f"{c}-Q{k:03d}" for c, k in zip(frame["project_code"], number, strict=True)],
    )
    return frame.drop(columns="_order")[_PROBLEM_COLUMNS]


_PROBLEM_COLUMNS = [
    "problem_no",
    "project_code",
    "description",
    "category",
    "raised_on",
    "department",
    "official_code",
    "due_on",
    "status",
    "resolution",
    "solved_on",
]

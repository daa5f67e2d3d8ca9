"""Key projects under the review rhythm at 2,000 projects: the projects list, the monthly
dispatch report (月调度) and the quarterly ranking (季评比).

The loaded sample (its 32 projects, with whatever rhythm records it carries) is grown to
``--projects`` projects (2,000) spread over its four parks and ten industry chains with
mixed statuses, and every added project is given a year (2026) of records, written with
set-based SQL (``INSERT … SELECT`` over ``generate_series``) in one change set of kind
``projects`` as the tables' history guard requires: 30 officials (包抓领导), each leading
projects (a lead and a member per project); 12 planned months of investment, 4–7 planned
milestones, 4 quarterly image-progress targets; 10 monthly reports (January–October: some
projects well behind plan, some ahead); the milestones reached (some late, some not yet);
about 4 visits (half of them scored) and about 8 problems (open, in progress, solved —
some solved late, some overdue). Then ANALYZE.

Measured, the median of several runs after a warm-up (p95 beside it), in-process (the
service's functions on a warm connection, as the service's role) and over HTTP (the real
app, ``uvicorn``, as the other parts do), always with an explicit period (today matters:
the defaults and the "not after today" checks):

1. the projects list ``GET /api/projects/progress?year=2026&month=10`` — target ≤ 200 ms;
2. the dispatch report ``GET /api/projects/dispatch?month=2026-10`` and its workbook
   ``GET /projects/dispatch?month=2026-10&format=xlsx`` — target ≤ 5 s;
3. the ranking ``GET /api/projects/ranking?quarter=2026Q3`` — target ≤ 1 s;
4. for information: ``GET /api/projects/assessment?year=2026`` and
   ``GET /api/projects/visit-list?week=2026-W44``.

An endpoint (or service function) that does not exist yet is reported as not measured.

Part ``projects`` of ``bench/run.py``; alone: ``.venv/bin/python bench/projects.py``
(``--reuse`` keeps the built database ``parks_bench_projects_<N>`` between runs and uses
it when it holds the same city; ``--no-write`` prints without touching RESULTS.md).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
for _path in (str(BENCH.parent), str(BENCH)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

import common  # noqa: E402
from common import Section, Server, http_client, log, percentile, timed  # noqa: E402

KEY = "projects"
TITLE = "Key projects: projects list, dispatch report and ranking at {projects} projects"
PROJECTS = 2_000
OFFICIALS = 30
YEAR = 2026
MONTH = "2026-10"
QUARTER = "2026Q3"
WEEK = "2026-W44"
#: Reports are written for January .. this month of YEAR.
REPORTED_MONTHS = 10
#: The last day of the last reported month (the dispatch's judged day).
LAST_REPORTED_DAY = date(YEAR, REPORTED_MONTHS + 1, 1) - timedelta(days=1)
LIST_TARGET_MS = 200.0
DISPATCH_TARGET_S = 5.0
RANKING_TARGET_S = 1.0
#: Timed runs after one warm-up run (HTTP runs of the fast endpoints get more).
RUNS = 5
HTTP_RUNS_FAST = 15
#: The prefix of the added projects' codes (BP00033 …) and the officials' (BO01 …).
PROJECT_PREFIX = "BP"
OFFICIAL_PREFIX = "BO"
CHAINS = (
    "电子信息",
    "钛及新材料",
    "传感器",
    "军民融合",
    "优势装备制造",
    "汽车及零部件",
    "新能源汽车",
    "白酒",
    "食品医药",
    "现代物流",
)
#: Project statuses and how many of every 20 projects have each.
STATUS_SHARES = (
    ("planned", 2),
    ("signed", 3),
    ("under_construction", 9),
    ("operating", 5),
    ("suspended", 1),
)
DEPARTMENTS = ("自然资源局", "住建局", "发改委", "供电公司", "水务集团", "人社局", "财政局")


def reused_name(projects: int) -> str:
    """The kept database of a standalone ``--reuse`` run for *projects* projects."""
    return f"parks_bench_projects_{projects}"


# --- the city ---------------------------------------------------------------------------------

#: ``h(i, salt)``: a deterministic pseudo-random non-negative integer for row *i*.
_H = "(hashint4((({i}) * 131 + {salt})::int) & 2147483647)"


def _h(i: str, salt: int) -> str:
    return _H.format(i=i, salt=salt)


def _status_case(i: str) -> str:
    """SQL: the status of project number *i* by :data:`STATUS_SHARES` (of every 20)."""
    whens, upto = [], 0
    for status, share in STATUS_SHARES:
        upto += share
        whens.append(f"WHEN {_h(i, 1)} % 20 < {upto} THEN '{status}'")
    return "CASE " + " ".join(whens) + " END"


def _added(alias: str = "p") -> str:
    """SQL: *alias* is one of the projects added here (their codes start with
    :data:`PROJECT_PREFIX`)."""
    return f"{alias}.project_code LIKE '{PROJECT_PREFIX}%'"


#: Each statement inserts one table's rows for every added project (``:cs`` is the change
#: set, ``:at`` its moment). ``n`` is a project's number, taken from its code.
_NUMBER = f"substr(p.project_code, {len(PROJECT_PREFIX) + 1})::int"

BUILD_STATEMENTS: tuple[tuple[str, str], ...] = (
    (
        "project_official",
        f"""
        INSERT INTO project_official (official_code, name, title, unit, valid_from,
                                      change_set_id)
        SELECT '{OFFICIAL_PREFIX}' || lpad(o::text, 2, '0'), '包抓领导' || o,
               (ARRAY['副市长', '副区长', '管委会主任', '管委会副主任'])[1 + o % 4],
               (ARRAY['宝鸡市人民政府', '高新区管委会', '蔡家坡经开区管委会',
                      '姜谭经开区管委会'])[1 + o % 4],
               :at, :cs
        FROM generate_series(1, {OFFICIALS}) AS o
        """,
    ),
    (
        "project_assignment",
        f"""
        INSERT INTO project_assignment (project_code, official_code, role, assigned_on,
                                        valid_from, change_set_id)
        SELECT p.project_code,
               '{OFFICIAL_PREFIX}' || lpad((1 + (n + a.k * 11) % {OFFICIALS})::text, 2, '0'),
               CASE a.k WHEN 0 THEN 'lead' ELSE 'member' END,
               DATE '{YEAR}-01-05' + (n % 20), :at, :cs
        FROM project p CROSS JOIN LATERAL (SELECT {_NUMBER} AS n) AS x
             CROSS JOIN (VALUES (0), (1)) AS a(k)
        WHERE {_added()}
        """,
    ),
    (
        "project_plan_investment",
        f"""
        INSERT INTO project_plan_investment (project_code, year, month, planned_wan,
                                             valid_from, change_set_id)
        SELECT p.project_code, {YEAR}, m,
               round((p.investment_yi * 10000 * 0.3 / 12
                      * (0.7 + 0.05 * m + ({_h("n * 12 + m", 2)} % 20) / 100.0))::numeric, 2),
               :at, :cs
        FROM project p CROSS JOIN LATERAL (SELECT {_NUMBER} AS n) AS x
             CROSS JOIN generate_series(1, 12) AS m
        WHERE {_added()}
        """,
    ),
    (
        "project_plan_milestone",
        # k = 4..7 milestones per project, consecutive in the order a project reaches them,
        # starting at s (so that s + k <= 7), spread over the year (January 20 .. December).
        f"""
        INSERT INTO project_plan_milestone (project_code, year, milestone, planned_on,
                                            valid_from, change_set_id)
        SELECT p.project_code, {YEAR},
               (ARRAY['signing', 'land_supply', 'construction_start', 'structure_complete',
                      'equipment_installed', 'production_start',
                      'full_production'])[1 + s + j],
               DATE '{YEAR}-01-20' + (j * (330 / (k - 1)) + {_h("n * 7 + j", 3)} % 15)::int,
               :at, :cs
        FROM project p
             CROSS JOIN LATERAL (SELECT {_NUMBER} AS n) AS x
             CROSS JOIN LATERAL (SELECT 4 + {_h("n", 4)} % 4 AS k) AS y
             CROSS JOIN LATERAL (SELECT {_h("n", 5)} % (8 - k) AS s) AS z
             CROSS JOIN LATERAL generate_series(0, k - 1) AS j
        WHERE {_added()}
        """,
    ),
    (
        "project_plan_progress",
        f"""
        INSERT INTO project_plan_progress (project_code, year, quarter, target_pct,
                                           target_text, valid_from, change_set_id)
        SELECT p.project_code, {YEAR}, q, least(100, q * (15 + {_h("n", 6)} % 11)),
               (ARRAY['完成基础工程', '主体结构封顶', '设备进场安装', '竣工投产'])[q],
               :at, :cs
        FROM project p CROSS JOIN LATERAL (SELECT {_NUMBER} AS n) AS x
             CROSS JOIN generate_series(1, 4) AS q
        WHERE {_added()}
        """,
    ),
    (
        "project_report",
        # Each project completes its plan at a pace of its own (60 %..130 % of plan, so
        # about a quarter are more than 20 % behind), month to month ±15 %.
        f"""
        INSERT INTO project_report (project_code, year, month, investment_wan,
                                    cumulative_investment_wan, image_progress_text,
                                    image_progress_pct, employment, output_wan, reported_on,
                                    valid_from, change_set_id)
        SELECT project_code, {YEAR}, month, investment_wan,
               before_wan + sum(investment_wan) OVER (PARTITION BY project_code
                                                      ORDER BY month),
               '形象进度 ' || month || ' 月', least(100, month * 8 + pace % 10),
               50 + pace, output_wan, reported_on, :at, :cs
        FROM (
            SELECT pi.project_code, pi.month,
                   round(pi.planned_wan * (0.60 + ({_h("n", 7)} % 71) / 100.0)
                         * (0.85 + ({_h("n * 12 + pi.month", 8)} % 31) / 100.0), 2)
                       AS investment_wan,
                   round((p.investment_yi * 10000 * 0.2)::numeric, 2) AS before_wan,
                   {_h("n", 7)} % 71 AS pace,
                   CASE WHEN p.status = 'operating'
                        THEN round((p.investment_yi * 200 * (1 + pi.month / 10.0))::numeric, 2)
                   END AS output_wan,
                   (make_date({YEAR}, pi.month, 1) + interval '1 month')::date
                       + {_h("n * 12 + pi.month", 9)} % 8 AS reported_on
            FROM project_plan_investment pi
                 JOIN project p ON p.project_code = pi.project_code
                 CROSS JOIN LATERAL (SELECT {_NUMBER} AS n) AS x
            WHERE pi.valid_to IS NULL AND pi.year = {YEAR}
              AND pi.month <= {REPORTED_MONTHS} AND {_added()}
        ) AS r
        """,
    ),
    (
        "project_milestone_reached",
        # Of the milestones planned up to the last reported month: 1 in 20 not reached yet;
        # the rest reached from 55 days early to 5 days late (about 1 in 12 late), never
        # after the day of the last reports.
        f"""
        INSERT INTO project_milestone_reached (project_code, milestone, reached_on,
                                               valid_from, change_set_id)
        SELECT project_code, milestone, least(reached_on, DATE '{YEAR}-11-08'), :at, :cs
        FROM (
            SELECT pm.project_code, pm.milestone,
                   pm.planned_on + ({_h("n * 7 + o", 10)} % 61 - 55) AS reached_on,
                   {_h("n * 7 + o", 11)} % 20 AS skip
            FROM project_plan_milestone pm
                 JOIN project p ON p.project_code = pm.project_code
                 CROSS JOIN LATERAL (SELECT {_NUMBER} AS n) AS x
                 CROSS JOIN LATERAL (SELECT array_position(ARRAY['signing', 'land_supply',
                     'construction_start', 'structure_complete', 'equipment_installed',
                     'production_start', 'full_production'], pm.milestone) AS o) AS y
            WHERE pm.valid_to IS NULL AND pm.year = {YEAR}
              AND pm.planned_on <= DATE '{LAST_REPORTED_DAY}' AND {_added()}
        ) AS m
        WHERE skip <> 0
        """,
    ),
    (
        "project_visit",
        # 3..5 visits a project, one in each of v equal stretches of January..November
        # (so no two on a day), every other one scored.
        f"""
        INSERT INTO project_visit (project_code, visited_on, kind, visitors, findings, score,
                                   valid_from, change_set_id)
        SELECT p.project_code,
               DATE '{YEAR}-01-06' + (j * (320 / v) + {_h("n * 5 + j", 12)} % (320 / v))::int,
               CASE WHEN j % 3 = 2 THEN 'inspection' ELSE 'weekly' END,
               '观摩组 ' || (1 + n % 6), '现场推进情况 ' || j,
               CASE WHEN j % 2 = 0 THEN 60 + {_h("n * 5 + j", 13)} % 41 END,
               :at, :cs
        FROM project p
             CROSS JOIN LATERAL (SELECT {_NUMBER} AS n) AS x
             CROSS JOIN LATERAL (SELECT 3 + {_h("n", 14)} % 3 AS v) AS y
             CROSS JOIN LATERAL generate_series(0, v - 1) AS j
        WHERE {_added()}
        """,
    ),
    (
        "project_problem",
        # 6..10 problems a project raised over January..November, due 10..60 days later:
        # solved (85 % of those raised before August, 35 % of the later ones; about 40 % of
        # them after their due day), else in progress or open (half and half); the unsolved
        # ones past their due day are overdue.
        f"""
        INSERT INTO project_problem (problem_no, project_code, description, category,
                                     raised_on, department, official_code, due_on, status,
                                     resolution, solved_on, valid_from, change_set_id)
        SELECT project_code || '-Q' || lpad(j::text, 3, '0'), project_code,
               '问题 ' || j || ': ' || category, category, raised_on,
               department, official_code, raised_on + due_days, status,
               CASE WHEN status = 'solved' THEN '已协调解决' END,
               CASE WHEN status = 'solved'
                    THEN least(raised_on + (due_days * (40 + r % 100) / 100),
                               DATE '{YEAR}-12-01')
               END,
               :at, :cs
        FROM (
            SELECT p.project_code, j, {_h("n * 11 + j", 15)} % 100 AS r,
                   (ARRAY['land', 'planning_approval', 'financing', 'power_water', 'labour',
                          'other'])[1 + {_h("n * 11 + j", 16)} % 6] AS category,
                   DATE '{YEAR}-01-10' + day AS raised_on,
                   10 + {_h("n * 11 + j", 18)} % 51 AS due_days,
                   (ARRAY{list(DEPARTMENTS)!r})[1 + {_h("n * 11 + j", 19)} % {len(DEPARTMENTS)}]
                       AS department,
                   '{OFFICIAL_PREFIX}' || lpad((1 + n % {OFFICIALS})::text, 2, '0')
                       AS official_code,
                   CASE WHEN {_h("n * 11 + j", 20)} % 100 < solved THEN 'solved'
                        WHEN {_h("n * 11 + j", 20)} % 100 < solved + (100 - solved) / 2
                            THEN 'in_progress'
                        ELSE 'open' END AS status
            FROM project p
                 CROSS JOIN LATERAL (SELECT {_NUMBER} AS n) AS x
                 CROSS JOIN LATERAL (SELECT 6 + {_h("n", 21)} % 5 AS k) AS y
                 CROSS JOIN LATERAL generate_series(1, k) AS j
                 CROSS JOIN LATERAL (SELECT {_h("n * 11 + j", 17)} % 320 AS day) AS d
                 CROSS JOIN LATERAL (SELECT CASE WHEN day < 200 THEN 85 ELSE 35 END
                                         AS solved) AS s
            WHERE {_added()}
        ) AS q
        """,
    ),
)


def add_projects(conn, projects: int) -> int:
    """Insert projects until the city has *projects* (the sample's kept); how many were
    added. Codes ``BP<n>``, numbered after the sample's count; parks, chains, statuses
    and sizes spread deterministically."""
    from sqlalchemy import text

    have = conn.execute(text("SELECT count(*) FROM project")).scalar_one()
    wanted = max(0, projects - have)
    if not wanted:
        return 0
    conn.execute(
        text(
            f"""
            INSERT INTO project (project_code, name, park, investor, industry_chain,
                                 investment_yi, status)
            SELECT '{PROJECT_PREFIX}' || lpad(i::text, 5, '0'),
                   '重点项目 ' || i || ' 号',
                   parks.codes[1 + i % array_length(parks.codes, 1)],
                   '宝鸡市投资方' || (i % 400) || '有限公司',
                   (ARRAY{list(CHAINS)!r})[1 + {_h("i", 22)} % {len(CHAINS)}],
                   round((1 + {_h("i", 23)} % 4900 / 100.0)::numeric, 2),
                   {_status_case("i")}
            FROM (SELECT array_agg(code ORDER BY code) AS codes FROM park) AS parks
                 CROSS JOIN generate_series(CAST(:first AS int), CAST(:last AS int)) AS i
            """
        ),
        {"first": have + 1, "last": have + wanted},
    )
    return wanted


def build_records(conn, *, actor: str = "bench") -> dict[str, int]:
    """Write the added projects' 2026 records in one change set of kind ``projects``;
    rows written per table."""
    from sqlalchemy import text

    from service.changes.session import open_change_set

    cs = open_change_set(
        conn,
        kind="projects",
        reason="bench: a year of key-project records",
        actor=actor,
        operations=[{"op": "bench_projects", "year": YEAR}],
    )
    written = {}
    for table, statement in BUILD_STATEMENTS:
        with timed() as t:
            written[table] = conn.execute(text(statement), {"cs": cs.id, "at": cs.at}).rowcount
        log(f"  {table}: {written[table]:,} rows in {t[0]:.1f} s")
    return written


#: What a built city is checked against (and described by).
_COUNTS_SQL = """
SELECT (SELECT count(*) FROM project) AS projects,
       (SELECT count(*) FROM project WHERE project_code LIKE :prefix) AS added,
       (SELECT count(*) FROM project_official WHERE valid_to IS NULL) AS officials,
       (SELECT count(*) FROM project_assignment WHERE valid_to IS NULL) AS assignments,
       (SELECT count(*) FROM project_plan_investment WHERE valid_to IS NULL) AS plan_months,
       (SELECT count(*) FROM project_plan_milestone WHERE valid_to IS NULL) AS plan_milestones,
       (SELECT count(*) FROM project_plan_progress WHERE valid_to IS NULL) AS progress_targets,
       (SELECT count(*) FROM project_report WHERE valid_to IS NULL) AS reports,
       (SELECT count(*) FROM project_milestone_reached WHERE valid_to IS NULL) AS reached,
       (SELECT count(*) FROM project_visit WHERE valid_to IS NULL) AS visits,
       (SELECT count(*) FROM project_visit WHERE valid_to IS NULL AND score IS NOT NULL)
           AS scored_visits,
       (SELECT count(*) FROM project_problem WHERE valid_to IS NULL) AS problems
"""

#: The shape of the added projects' records as of the last day of MONTH (the dispatch's
#: judged day): behind plan, late milestones, open and overdue problems.
_SHAPE_SQL = f"""
WITH plan AS (
    SELECT project_code, sum(planned_wan) FILTER (WHERE month <= {REPORTED_MONTHS}) AS to_date
    FROM project_plan_investment WHERE valid_to IS NULL AND year = {YEAR}
    GROUP BY project_code),
done AS (
    SELECT project_code, sum(investment_wan) AS to_date
    FROM project_report WHERE valid_to IS NULL AND year = {YEAR}
    GROUP BY project_code),
late AS (
    SELECT DISTINCT pm.project_code
    FROM project_plan_milestone pm
         LEFT JOIN project_milestone_reached r ON r.project_code = pm.project_code
              AND r.milestone = pm.milestone AND r.valid_to IS NULL
    WHERE pm.valid_to IS NULL AND pm.year = {YEAR} AND pm.planned_on < :as_of
      AND (r.reached_on IS NULL OR r.reached_on > pm.planned_on))
SELECT count(*) FILTER (WHERE d.to_date < 0.8 * pl.to_date) AS behind,
       (SELECT count(*) FROM late) AS with_late_milestones,
       (SELECT count(*) FROM project_problem WHERE valid_to IS NULL AND raised_on <= :as_of
          AND (solved_on IS NULL OR solved_on > :as_of)) AS open_problems,
       (SELECT count(*) FROM project_problem WHERE valid_to IS NULL AND raised_on <= :as_of
          AND due_on < :as_of AND (solved_on IS NULL OR solved_on > :as_of))
           AS overdue_problems
FROM plan pl JOIN done d USING (project_code)
WHERE pl.project_code LIKE :prefix
"""


def describe(database: str) -> dict[str, int]:
    """The city's counts (:data:`_COUNTS_SQL`) and shape (:data:`_SHAPE_SQL`)."""
    from sqlalchemy import text

    engine = common.engine_for(database)
    try:
        with engine.connect() as conn:
            counts = dict(
                conn.execute(text(_COUNTS_SQL), {"prefix": f"{PROJECT_PREFIX}%"}).one()._mapping
            )
            counts |= dict(
                conn.execute(
                    text(_SHAPE_SQL),
                    {"prefix": f"{PROJECT_PREFIX}%", "as_of": LAST_REPORTED_DAY},
                )
                .one()
                ._mapping
            )
    finally:
        engine.dispose()
    return counts


def grow(database: str, projects: int) -> dict[str, str]:
    """Add projects to the loaded sample in *database* until it has *projects*, write their
    year of records, ANALYZE; facts about the build."""
    from sqlalchemy import text

    facts: dict[str, str] = {}
    engine = common.engine_for(database)
    try:
        with timed() as t, engine.begin() as conn:
            added = add_projects(conn, projects)
            log(f"  {added:,} projects added")
            written = build_records(conn)
        facts["projects added and their records written (one transaction)"] = f"{t[0]:.1f} s"
        facts["rows written"] = f"{sum(written.values()):,}"
        with timed() as t, engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
        facts["ANALYZE"] = f"{t[0]:.1f} s"
    finally:
        engine.dispose()
    return facts


def _facts_of(counts: dict[str, int]) -> dict[str, str]:
    n = counts["projects"]
    return {
        "projects (added here; the sample's)": (
            f"{n:,} ({counts['added']:,}; {n - counts['added']:,})"
        ),
        f"officials ({OFFICIALS} added here); assignments (a lead and a member per added "
        "project)": f"{counts['officials']:,}; {counts['assignments']:,}",
        "planned months; planned milestones; image-progress targets": (
            f"{counts['plan_months']:,}; {counts['plan_milestones']:,}; "
            f"{counts['progress_targets']:,}"
        ),
        "monthly reports (Jan–Oct); milestones reached": (
            f"{counts['reports']:,}; {counts['reached']:,}"
        ),
        "visits (scored)": f"{counts['visits']:,} ({counts['scored_visits']:,})",
        "problems": f"{counts['problems']:,}",
        f"added projects as of {LAST_REPORTED_DAY}: behind plan by > 20 %; with a milestone "
        "late or overdue": f"{counts['behind']:,}; {counts['with_late_milestones']:,}",
        f"problems open on {LAST_REPORTED_DAY}; overdue": (
            f"{counts['open_problems']:,}; {counts['overdue_problems']:,}"
        ),
    }


def build(dbs: common.Databases, *, projects: int, sample: str | None = None) -> str:
    """A database holding the sample grown to *projects* projects with their records: a
    copy of *sample* (an already loaded sample database) or a fresh one loaded here."""
    if sample is not None:
        name = dbs.create("projects", template=sample)
    else:
        name = dbs.create_migrated("projects")
        _load_sample(name)
    _grow_logged(name, projects)
    return name


def _load_sample(name: str) -> None:
    log("loading the sample")
    outcome = common.load_timed(name, common.SAMPLE, timeout_s=300)
    if not outcome.ok:
        raise RuntimeError(f"the sample did not load: {outcome.error}")


_BUILD_FACTS: dict[str, dict[str, str]] = {}


def _grow_logged(name: str, projects: int) -> None:
    log(f"growing the sample to {projects:,} projects with a year of records")
    _BUILD_FACTS[name] = grow(name, projects)


def reusable(name: str, projects: int) -> bool:
    """True when *name* exists and holds the city this part builds for *projects*."""
    with common.admin() as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    if not exists:
        return False
    try:
        counts = describe(name)
    except Exception:
        return False
    return counts["projects"] == projects and counts["reports"] >= counts["added"] * 10 > 0


def fresh_reused(name: str, projects: int) -> str:
    """(Re)make the kept database *name*: migrated, the sample loaded, grown."""
    from service.db.migrate import upgrade

    with common.admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{common.TEMPLATE}"')
    upgrade(common.owner_db_url(name))
    _load_sample(name)
    _grow_logged(name, projects)
    return name


# --- measuring --------------------------------------------------------------------------------


@dataclass
class Timing:
    """A measured call: the warm-up's seconds and the timed runs'."""

    first: float
    runs: list[float]
    result: Any = None

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    @property
    def p95(self) -> float:
        return percentile(self.runs, 95)


class SqlClock:
    """The time an engine's connections spend in the database's statements (from sending
    one to having its answer), summed: installed on an engine with :meth:`install`."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._started = 0.0

    def install(self, engine) -> SqlClock:
        from sqlalchemy import event

        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)
        return self

    def _before(self, *_args) -> None:
        self._started = time.perf_counter()

    def _after(self, *_args) -> None:
        self.seconds += time.perf_counter() - self._started


def repeat(function: Callable[[], Any], runs: int = RUNS) -> Timing:
    """One warm-up call, then *runs* timed calls."""
    start = time.perf_counter()
    result = function()
    first = time.perf_counter() - start
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return Timing(first, times, result)


def _today() -> date:
    """Today in the service's default time zone, as the bench server's routes take it
    (every period asked for is a past one on the day these figures were first made,
    2026-12-07)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from service.settings import Settings

    return datetime.now(ZoneInfo(Settings.model_fields["timezone"].default)).date()


TODAY = _today()


def _list_call(conn) -> Callable[[], Any]:
    """The projects list as the route makes it: its JSON text."""
    from service.projects import progress

    def call():
        when = progress.progress_month(YEAR, MONTH, today=TODAY)
        return progress.progress_json(conn, when=when)

    return call


def _dispatch_call(conn) -> Callable[[], Any]:
    from parks.projects.periods import month_period
    from service.projects.dispatch import dispatch_report

    return lambda: dispatch_report(conn, month_period(MONTH, today=TODAY))


def _dispatch_xlsx_call(conn) -> Callable[[], Any]:
    """The dispatch report made and written as a workbook (in memory)."""
    import io

    from parks.projects.periods import month_period
    from service.projects.dispatch import dispatch_report
    from service.projects.dispatch_xlsx import write_xlsx

    def call():
        out = io.BytesIO()
        write_xlsx(dispatch_report(conn, month_period(MONTH, today=TODAY)), out)
        return out

    return call


def _workbook_call(conn) -> Callable[[], Any]:
    """The dispatch report's workbook written alone (the report made once beforehand)."""
    import io

    from parks.projects.periods import month_period
    from service.projects.dispatch import dispatch_report
    from service.projects.dispatch_xlsx import write_xlsx

    report = dispatch_report(conn, month_period(MONTH, today=TODAY))

    def call():
        out = io.BytesIO()
        write_xlsx(report, out)
        return out

    return call


def _ranking_call(conn) -> Callable[[], Any]:
    from service.projects.ranking import quarterly_ranking

    return lambda: quarterly_ranking(conn, quarter=QUARTER, today=TODAY)


def _assessment_call(conn) -> Callable[[], Any]:
    from service.projects.assessment import yearly_assessment

    return lambda: yearly_assessment(conn, year=YEAR, today=TODAY)


def _visit_list_call(conn) -> Callable[[], Any]:
    from service.projects.visit_list import weekly_visit_list

    return lambda: weekly_visit_list(conn, week=WEEK, today=TODAY)


@dataclass(frozen=True)
class Measure:
    """One thing measured: its name, how to call the service in-process (given a
    connection: a call of no arguments), the HTTP path (None: in-process only), and its
    target in seconds (None: for information)."""

    name: str
    in_process: Callable[[Any], Callable[[], Any]]
    path: str | None
    target_s: float | None
    http_runs: int = RUNS


MEASURES: tuple[Measure, ...] = (
    Measure(
        "projects list",
        _list_call,
        f"/api/projects/progress?year={YEAR}&month={REPORTED_MONTHS}",
        LIST_TARGET_MS / 1000,
        HTTP_RUNS_FAST,
    ),
    Measure(
        f"dispatch report {MONTH}",
        _dispatch_call,
        f"/api/projects/dispatch?month={MONTH}",
        DISPATCH_TARGET_S,
    ),
    Measure(
        f"dispatch report {MONTH} as a workbook (.xlsx)",
        _dispatch_xlsx_call,
        f"/projects/dispatch?month={MONTH}&format=xlsx",
        DISPATCH_TARGET_S,
    ),
    Measure(
        "dispatch workbook written alone (write_xlsx of the report)",
        _workbook_call,
        None,
        None,
    ),
    Measure(
        f"ranking {QUARTER}",
        _ranking_call,
        f"/api/projects/ranking?quarter={QUARTER}",
        RANKING_TARGET_S,
        HTTP_RUNS_FAST,
    ),
    Measure(
        f"assessment {YEAR}",
        _assessment_call,
        f"/api/projects/assessment?year={YEAR}",
        None,
    ),
    Measure(
        f"visit list {WEEK}",
        _visit_list_call,
        f"/api/projects/visit-list?week={WEEK}",
        None,
    ),
)


def _service_call(conn, measure: Measure) -> Callable[[], Any] | str:
    """*measure*'s in-process call on *conn*, or why there is none (not written yet)."""
    try:
        return measure.in_process(conn)
    except (ImportError, AttributeError) as exc:
        return f"{type(exc).__name__}: {exc}"


def _bytes(n: int) -> str:
    return f"{n / 1e6:.2f} MB" if n >= 1e6 else f"{n / 1e3:.1f} kB"


def _size(result: Any) -> str:
    """How many rows a result holds, when it says so plainly."""
    for key in ("projects", "rows", "ranking", "parks", "items"):
        value = result.get(key) if isinstance(result, dict) else getattr(result, key, None)
        if isinstance(value, list | tuple):
            return f"{len(value):,} {key}"
    if isinstance(result, list | tuple):
        return f"{len(result):,} rows"
    if isinstance(result, str | bytes):
        return _bytes(len(result.encode() if isinstance(result, str) else result))
    return ""


def _cell(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _target(target_s: float | None) -> str:
    if target_s is None:
        return ""
    return f"≤ {target_s * 1000:.0f} ms" if target_s < 1 else f"≤ {target_s:.0f} s"


def _add(section: Section, label: str, measure: Measure, timing: Timing, extra: str = ""):
    passed = None if measure.target_s is None else timing.median <= measure.target_s
    note = f"p95 {_cell(timing.p95)} of {len(timing.runs)}; warm-up {_cell(timing.first)}"
    section.add(
        label,
        _cell(timing.median),
        _target(measure.target_s),
        passed,
        note=f"{extra}; {note}" if extra else note,
    )


def measure(database: str, facts: dict[str, str]) -> Section:
    """Time every :data:`MEASURES` in-process and over HTTP on *database*."""
    from common import service_db_url

    from service.db.engine import make_engine

    section = Section(KEY, TITLE.format(projects=facts.get("projects", "?")))
    missing: list[str] = []
    engine = make_engine(service_db_url(database), pool_size=2)  # as the service's role
    clock = SqlClock().install(engine)
    try:
        with engine.connect() as conn:
            for m in MEASURES:
                call = _service_call(conn, m)
                if isinstance(call, str):
                    missing.append(f"{m.name} in-process: {call}")
                    continue
                log(f"  in-process: {m.name}")
                try:
                    sql_before = clock.seconds
                    timing = repeat(call)
                    sql_share = (clock.seconds - sql_before) / (timing.first + sum(timing.runs))
                except Exception as exc:
                    conn.rollback()
                    first_line = (
                        str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:200]
                    )
                    missing.append(
                        f"{m.name} in-process: failed, {type(exc).__name__}: {first_line}"
                    )
                    continue
                conn.rollback()  # end the read transaction between functions
                extra = ", ".join(x for x in (_size(timing.result), f"SQL {sql_share:.0%}") if x)
                _add(section, f"{m.name} (in-process)", m, timing, extra)
    finally:
        engine.dispose()

    with (
        Server(database, label="projects") as server,
        http_client(server.base_url, timeout_s=120) as client,
    ):
        for m in MEASURES:
            if m.path is None:
                continue

            def get(path=m.path):
                response = client.get(path)
                response.raise_for_status()
                return response

            probe = client.get(m.path)
            if probe.status_code != 200:
                missing.append(
                    f"GET {m.path}: answered {probe.status_code} ({probe.text[:160].strip()!r})"
                )
                continue
            log(f"  HTTP: GET {m.path}")
            timing = repeat(get, m.http_runs)
            _add(section, f"GET {m.path} over HTTP", m, timing, _bytes(len(timing.result.content)))

    section.details += ["| the city | |", "|---|---|"]
    section.details += [f"| {k} | {v} |" for k, v in facts.items()]
    section.details.append("")
    section.details += [
        "Each figure is the median of the timed runs after one warm-up run (p95 beside it); "
        "in-process calls run as the service's role on one warm connection (SQL: the share "
        "of their time spent waiting for the database's answers; the rest is Python), "
        "HTTP requests "
        "go to the real app (uvicorn, one worker) on 127.0.0.1 with its JSON or workbook "
        f"encoding included. Periods are given explicitly ({MONTH}, {QUARTER}, {YEAR}, "
        f"{WEEK}): past periods as of the run's day.",
        "",
    ]
    if missing:
        section.details += ["Not measured:", ""]
        section.details += [f"- {line}" for line in missing]
        section.details.append("")
    return section


def city_facts(database: str) -> dict[str, str]:
    counts = describe(database)
    facts = {"projects": f"{counts['projects']:,}"}
    facts |= _facts_of(counts)
    facts |= _BUILD_FACTS.get(database, {})
    return facts


def run(ws) -> Section:
    """bench/run.py's entry: the workspace's sample grown to :data:`PROJECTS` projects."""
    name = build(ws.dbs, projects=PROJECTS, sample=ws.sample_db())
    return measure(name, city_facts(name))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=PROJECTS)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the built database (parks_bench_projects_<N>) and use it when present",
    )
    parser.add_argument(
        "--rebuild", action="store_true", help="with --reuse: build the kept database afresh"
    )
    parser.add_argument("--build-only", action="store_true", help="build, describe, stop")
    parser.add_argument("--no-write", action="store_true", help="print, don't touch RESULTS.md")
    args = parser.parse_args(argv)
    started = time.time()
    load_before = common.load_average()
    dbs = common.Databases()
    try:
        if args.reuse:
            name = reused_name(args.projects)
            if not args.rebuild and reusable(name, args.projects):
                log(f"reusing {name}")
                _BUILD_FACTS[name] = {"built": f"earlier (kept database {name})"}
            else:
                fresh_reused(name, args.projects)
        else:
            name = build(dbs, projects=args.projects)
        facts = city_facts(name)
        if args.build_only:
            for k, v in facts.items():
                print(f"{k}: {v}")
            return 0
        result = measure(name, facts)
        machine = common.machine(name)
    finally:
        dbs.drop_all()
    common.publish_standalone(
        result,
        key=KEY,
        machine=machine,
        started=started,
        load_before=load_before,
        write=not args.no_write,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

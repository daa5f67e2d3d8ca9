-- Idle land (闲置土地): the standing supply contracts whose idle-land clock has reached a
-- stage on as_of (of stage, when given), one row each, in no order — the relation the
-- list (idle_land_rows.sql) and the API's body (idle_land_body.sql) are made of. The rule
-- and its reference are parks/supervision/idle.py: this must agree with idle_clock() on
-- every contract.
-- Parameters: as_of date, park and stage text or NULL; the idle.* settings in force:
-- no_start_days, stopped_days, warning_days, recovery_days (int),
-- developed_share_min, investment_share_min (float8), fee_share (numeric).
-- Areas m² (EPSG:4545), money 万元; a delay counts from delay_from to delay_to, both days
-- included (open: up to as_of); a stage date past 9999-12-31 is NULL.
--
-- Cost: in proportion to the contracts that may be in a stage, not to the progress reports.
-- What a contract's clocks are worked out from is its basis (idle_clock_basis, migration
-- 0021, kept by the database as reports are written): no report is read for a contract
-- whose last report is on or before as_of; one reported on after as_of (a day in the past)
-- is worked out from its own reports of that day and before, by index. A clock's days
-- never exceed the days since it started (delays only take days off), so a clock started
-- less than (threshold − warning) days before as_of cannot be in a stage: the candidates
-- are the contracts agreed to start before that (the index of the standing contracts'
-- agreed start dates) and the sites stopped before that (the basis's index). The delay
-- arithmetic runs only for contracts that have delays.
WITH clocked AS (
    -- no start (and no completion) on or before as_of: the clock runs from the agreed
    -- start date. Never one at all (as the basis has it), or (a contract reported on
    -- after as_of) none by then.
    SELECT b.*, 'no_start' AS clock, NULL::date AS stopped_on
      FROM idle_clock_basis b
     WHERE b.settled_on IS NULL
    UNION ALL
    SELECT b.*, 'no_start', NULL
      FROM idle_clock_basis b
     WHERE b.last_event_on > CAST(:as_of AS date) AND b.settled_on IS NOT NULL
       AND NOT EXISTS (SELECT 1
                         FROM site_progress p
                        WHERE p.contract_no = b.contract_no AND p.valid_to IS NULL
                          AND p.kind IN ('start', 'completion')
                          AND p.reported_on <= CAST(:as_of AS date))
    UNION ALL
    -- work stopped: from the first of the trailing run of suspensions, those with no start,
    -- report or resumption after them on or before as_of (a day's events come in the
    -- order start, report, suspension, resumption); as the basis has it, or (a contract
    -- reported on after as_of) from its reports of that day and before
    SELECT b.*, 'stalled', b.stall_started_on
      FROM idle_clock_basis b
     WHERE b.last_event_on <= CAST(:as_of AS date)
       AND b.stall_started_on <= CAST(:as_of AS date)
             - greatest(CAST(:stopped_days AS int) - CAST(:warning_days AS int), 0)
    UNION ALL
    SELECT b.*, 'stalled', s.stopped_on
      FROM idle_clock_basis b
      CROSS JOIN LATERAL (
          SELECT min(s.reported_on) AS stopped_on
            FROM site_progress s
           WHERE s.contract_no = b.contract_no AND s.valid_to IS NULL
             AND s.kind = 'suspension'
             AND s.reported_on <= CAST(:as_of AS date)
                   - greatest(CAST(:stopped_days AS int) - CAST(:warning_days AS int), 0)
             AND NOT EXISTS (SELECT 1
                               FROM site_progress a
                              WHERE a.contract_no = s.contract_no AND a.valid_to IS NULL
                                AND a.reported_on >= s.reported_on
                                AND a.reported_on <= CAST(:as_of AS date)
                                AND (a.kind = 'resumption'
                                     OR (a.kind IN ('start', 'report')
                                         AND a.reported_on > s.reported_on)))) s
     WHERE b.last_event_on > CAST(:as_of AS date) AND s.stopped_on IS NOT NULL
),
candidate AS (
    -- the clocked contracts with their terms (by index: a key has at most one standing
    -- version), of the park; a clock started too late to be in a stage is left out
    SELECT k.contract_no, k.clock, k.started_on, k.completed, k.developed_m2,
           k.invested_wan, coalesce(k.last_event_on > CAST(:as_of AS date), false)
             AS from_reports,
           CASE k.clock WHEN 'no_start' THEN c.agreed_start_on ELSE k.stopped_on END
             AS clock_started_on,
           CASE k.clock WHEN 'no_start' THEN CAST(:no_start_days AS int)
                ELSE CAST(:stopped_days AS int) END AS threshold,
           c.parcel_code, c.park, c.holder, c.enterprise_code, c.price_wan,
           c.land_area_m2, c.agreed_start_on, c.committed_investment_wan
      FROM clocked k
      -- (LIMIT: one probe of the standing contracts' index per candidate, not a hash of
      -- every contract)
      CROSS JOIN LATERAL (
          SELECT c.parcel_code, c.park, c.holder, c.enterprise_code, c.price_wan,
                 c.land_area_m2, c.agreed_start_on, c.committed_investment_wan
            FROM supply_contract c
           WHERE c.contract_no = k.contract_no AND c.valid_to IS NULL
           LIMIT 1) c
     WHERE (CAST(:park AS text) IS NULL OR c.park = CAST(:park AS text))
       AND (k.clock <> 'no_start'
            OR c.agreed_start_on <= CAST(:as_of AS date)
                 - greatest(CAST(:no_start_days AS int) - CAST(:warning_days AS int), 0))
),
delay AS (
    -- per contract, its government-caused delays merged into half-open spans of days
    -- [first, after): a delay joins the span before it when it begins before (or on the
    -- day) every earlier one has ended
    SELECT i.contract_no, array_agg(i.first ORDER BY i.first) AS firsts,
           array_agg(i.after ORDER BY i.first) AS afters
      FROM (SELECT s.contract_no, min(s.first) AS first, max(s.after) AS after
              FROM (SELECT n.*,
                           sum(n.starts) OVER (PARTITION BY n.contract_no ORDER BY n.first, n.after
                                               ROWS UNBOUNDED PRECEDING) AS island
                      FROM (SELECT d.*,
                                   CASE WHEN d.first <= max(d.after) OVER (
                                                PARTITION BY d.contract_no ORDER BY d.first, d.after
                                                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
                                        THEN 0 ELSE 1 END AS starts
                              FROM (SELECT contract_no, delay_from AS first,
                                           -- (a delay past 9999 moves a date past it: the
                                           -- same as one to its end)
                                           CASE WHEN delay_to IS NULL THEN CAST(:as_of AS date)
                                                ELSE least(delay_to, DATE '9999-12-31') + 1
                                           END AS after
                                      FROM idle_delay
                                     WHERE valid_to IS NULL) d
                             WHERE d.after > d.first) n) s
             GROUP BY s.contract_no, s.island) i
     GROUP BY i.contract_no
),
clock AS MATERIALIZED (
    -- the candidates on a clock (a stalled one completed, never started, or developed and
    -- invested enough by its latest reports is not: amounts to date, never reported: 0),
    -- and the delays from the clock's start on: [the days of them before as_of, and the
    -- days each stage date moves: the lengths of the delays that begin before the clock
    -- reaches the stage's days]. Materialized: the delays are worked out once per row.
    SELECT k.contract_no, k.parcel_code, k.park, k.holder, k.enterprise_code, k.price_wan,
           k.land_area_m2, k.agreed_start_on, f.started_on, m.developed_share,
           m.investment_share, k.clock, k.clock_started_on, k.threshold,
           CASE WHEN d.firsts IS NULL THEN ARRAY[0, 0, 0, 0]
                ELSE (SELECT ARRAY[coalesce(sum(greatest(0, least(x.after, CAST(:as_of AS date))
                                                         - x.first)), 0),
                                   coalesce(sum(x.after - x.first) FILTER (
                                       WHERE x.run_before < greatest(
                                           k.threshold - CAST(:warning_days AS int), 0)), 0),
                                   coalesce(sum(x.after - x.first) FILTER (
                                       WHERE x.run_before < k.threshold), 0),
                                   coalesce(sum(x.after - x.first) FILTER (
                                       WHERE x.run_before < greatest(
                                           CAST(:recovery_days AS int), k.threshold)), 0)]::int[]
                        FROM (SELECT u.first, u.after,
                                     -- the days the clock had run when this delay began
                                     u.first - k.clock_started_on
                                       - coalesce(sum(u.after - u.first) OVER (
                                             ORDER BY u.first ROWS BETWEEN UNBOUNDED PRECEDING
                                                                   AND 1 PRECEDING), 0)
                                       AS run_before
                                FROM (SELECT greatest(t.first, k.clock_started_on) AS first,
                                             t.after
                                        FROM unnest(d.firsts, d.afters) AS t(first, after)
                                       WHERE t.after > k.clock_started_on) u) x)
           END AS delay
      FROM candidate k
      CROSS JOIN LATERAL (
          -- (a contract reported on after as_of) its own reports on or before as_of; seq
          -- orders them by day, and a day's as start, report, suspension, resumption,
          -- completion. Another contract's are its basis (no report is read).
          SELECT bool_or(e.kind = 'completion') AS completed,
                 min(e.reported_on) FILTER (WHERE e.kind = 'start') AS started_on,
                 -- the latest amount reported to date: the max of [seq, amount] pairs
                 (max(ARRAY[e.seq::float8, e.developed_area_m2])
                    FILTER (WHERE e.developed_area_m2 IS NOT NULL))[2] AS developed_m2,
                 (max(ARRAY[e.seq::numeric, e.investment_wan])
                    FILTER (WHERE e.investment_wan IS NOT NULL))[2] AS invested_wan
            FROM (SELECT p.kind, p.reported_on, p.developed_area_m2, p.investment_wan,
                         (p.reported_on - DATE '2000-01-01') * 8
                           + CASE p.kind WHEN 'start' THEN 0 WHEN 'report' THEN 1
                                         WHEN 'suspension' THEN 2 WHEN 'resumption' THEN 3
                                         ELSE 4 END AS seq
                    FROM site_progress p
                   WHERE k.from_reports
                     AND p.contract_no = k.contract_no AND p.valid_to IS NULL
                     AND p.reported_on <= CAST(:as_of AS date)) e) r
      CROSS JOIN LATERAL (
          SELECT CASE WHEN k.from_reports THEN r.completed ELSE k.completed END AS completed,
                 CASE WHEN k.from_reports THEN r.started_on ELSE k.started_on END AS started_on,
                 CASE WHEN k.from_reports THEN r.developed_m2 ELSE k.developed_m2 END
                   AS developed_m2,
                 CASE WHEN k.from_reports THEN r.invested_wan ELSE k.invested_wan END
                   AS invested_wan) f
      CROSS JOIN LATERAL (
          SELECT f.developed_m2 / k.land_area_m2 AS developed_share,
                 CASE WHEN k.committed_investment_wan > 0
                      THEN f.invested_wan::float8 / k.committed_investment_wan::float8 END
                   AS investment_share) m
      LEFT JOIN delay d ON d.contract_no = k.contract_no
     WHERE k.clock = 'no_start'
            OR (f.completed IS NOT TRUE AND f.started_on IS NOT NULL
                AND (coalesce(m.developed_share, 0) < CAST(:developed_share_min AS float8)
                     OR (k.committed_investment_wan > 0
                         AND coalesce(m.investment_share, 0)
                             < CAST(:investment_share_min AS float8))))
),
counted AS (
    SELECT k.*, k.delay[1] AS delay_days,
           (CAST(:as_of AS date) - k.clock_started_on) - k.delay[1] AS days_on_clock,
           k.clock_started_on + greatest(k.threshold - CAST(:warning_days AS int), 0)
             + k.delay[2] AS warning_on,
           k.clock_started_on + k.threshold + k.delay[3] AS idle_on,
           k.clock_started_on + greatest(CAST(:recovery_days AS int), k.threshold)
             + k.delay[4] AS recovery_on
      FROM clock k
),
staged AS (
    SELECT c.*,
           CASE WHEN c.days_on_clock >= c.threshold
                THEN CASE WHEN c.days_on_clock >= CAST(:recovery_days AS int)
                          THEN 'idle_2y' ELSE 'idle_1y' END
                WHEN c.days_on_clock >= c.threshold - CAST(:warning_days AS int)
                THEN 'warning' END AS stage
      FROM counted c
)
SELECT s.contract_no, s.parcel_code, s.park, s.holder, s.enterprise_code, s.clock, s.stage,
       s.clock_started_on, s.days_on_clock, s.delay_days,
       CASE WHEN s.warning_on <= DATE '9999-12-31' THEN s.warning_on END AS warning_on,
       CASE WHEN s.idle_on <= DATE '9999-12-31' THEN s.idle_on END AS idle_on,
       CASE WHEN s.recovery_on <= DATE '9999-12-31' THEN s.recovery_on END AS recovery_on,
       CASE WHEN s.stage IN ('idle_1y', 'idle_2y')
            THEN round(s.price_wan * CAST(:fee_share AS numeric), 2) END AS fee_wan,
       s.stage = 'idle_2y' AS for_decision,
       s.land_area_m2, s.price_wan, s.agreed_start_on, s.started_on AS actual_start_on,
       s.developed_share, s.investment_share,
       (SELECT pv.area_m2
          FROM parcel_version pv
         WHERE pv.parcel_code = s.parcel_code AND pv.valid_to IS NULL) AS parcel_area_m2,
       -- the list's order: idle_2y first, then by days on the clock
       CASE s.stage WHEN 'idle_2y' THEN 0 WHEN 'idle_1y' THEN 1 ELSE 2 END AS stage_rank
  FROM staged s
 WHERE s.stage IS NOT NULL
   AND (CAST(:stage AS text) IS NULL OR s.stage = CAST(:stage AS text))

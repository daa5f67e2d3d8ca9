-- What the idle-land clocks are worked out from, per supply contract, as its standing
-- progress reports stand (migration 0021): kept by the database at every write of
-- site_progress, so that the idle list of a day on or after a contract's last report reads
-- one row per contract instead of its reports (service/supervision/sql/idle_land.sql; a
-- day before a contract's last report is still worked out from the reports themselves).
-- Nobody writes it but the trigger; the service and the auditor read it.
--
-- Per contract (a row for every contract written, and for every contract named by a
-- report; its standing reports only; a day's reports in the order start, report,
-- suspension, resumption, completion):
--   last_event_on     the latest report's day (NULL: no report)
--   started_on        the first start
--   settled_on        the first start or completion (no_start's clock stops there)
--   completed         a completion was reported
--   developed_m2, invested_wan
--                     the latest amounts reported (to date)
--   stall_started_on  the first of the trailing run of suspensions: those with no start or
--                     report after them and no resumption on or after their day (NULL: work
--                     not stopped)

CREATE TABLE idle_clock_basis (
    contract_no       text PRIMARY KEY,
    last_event_on     date,
    started_on        date,
    settled_on        date,
    completed         boolean NOT NULL DEFAULT false,
    developed_m2      double precision,
    invested_wan      numeric(14, 2),
    stall_started_on  date
);
-- the contracts never started, the sites stopped by a day, the contracts reported on
-- after a day
CREATE INDEX idle_clock_basis_unsettled ON idle_clock_basis (contract_no)
    WHERE settled_on IS NULL;
CREATE INDEX idle_clock_basis_stalled ON idle_clock_basis (stall_started_on)
    WHERE stall_started_on IS NOT NULL;
CREATE INDEX idle_clock_basis_last_event ON idle_clock_basis (last_event_on);

-- The basis of the contracts p_contracts (every one gets a row: one without reports, a
-- row of NULLs), worked out again from their standing reports.
CREATE OR REPLACE FUNCTION idle_clock_basis_refresh(p_contracts text[]) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    DELETE FROM idle_clock_basis WHERE contract_no = ANY (p_contracts);
    INSERT INTO idle_clock_basis (contract_no, last_event_on, started_on, settled_on,
                                  completed, developed_m2, invested_wan, stall_started_on)
    SELECT c.contract_no,
           max(e.reported_on),
           min(e.reported_on) FILTER (WHERE e.kind = 'start'),
           min(e.reported_on) FILTER (WHERE e.kind IN ('start', 'completion')),
           coalesce(bool_or(e.kind = 'completion'), false),
           (max(ARRAY[e.seq::float8, e.developed_area_m2])
              FILTER (WHERE e.developed_area_m2 IS NOT NULL))[2],
           (max(ARRAY[e.seq::numeric, e.investment_wan])
              FILTER (WHERE e.investment_wan IS NOT NULL))[2],
           min(e.reported_on) FILTER (WHERE e.kind = 'suspension' AND NOT e.followed)
      FROM (SELECT DISTINCT unnest(p_contracts) AS contract_no) c
      LEFT JOIN (
            SELECT p.contract_no, p.kind, p.reported_on, p.developed_area_m2, p.investment_wan,
                   (p.reported_on - DATE '2000-01-01') * 8
                     + CASE p.kind WHEN 'start' THEN 0 WHEN 'report' THEN 1
                                   WHEN 'suspension' THEN 2 WHEN 'resumption' THEN 3
                                   ELSE 4 END AS seq,
                   -- (a suspension) work went on after it
                   p.kind = 'suspension' AND EXISTS (
                       SELECT 1 FROM site_progress a
                        WHERE a.contract_no = p.contract_no AND a.valid_to IS NULL
                          AND a.reported_on >= p.reported_on
                          AND (a.kind = 'resumption'
                               OR (a.kind IN ('start', 'report')
                                   AND a.reported_on > p.reported_on))) AS followed
              FROM site_progress p
             WHERE p.contract_no = ANY (p_contracts) AND p.valid_to IS NULL) e
        ON e.contract_no = c.contract_no
     GROUP BY c.contract_no
$$;

-- After any statement writing site_progress or supply_contract: the contracts it touched.
CREATE OR REPLACE FUNCTION idle_clock_basis_after_write() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    PERFORM idle_clock_basis_refresh(ARRAY(SELECT DISTINCT contract_no FROM touched));
    RETURN NULL;
END $$;

CREATE TRIGGER site_progress_idle_basis_insert AFTER INSERT ON site_progress
    REFERENCING NEW TABLE AS touched
    FOR EACH STATEMENT EXECUTE FUNCTION idle_clock_basis_after_write();
CREATE TRIGGER site_progress_idle_basis_update AFTER UPDATE ON site_progress
    REFERENCING NEW TABLE AS touched
    FOR EACH STATEMENT EXECUTE FUNCTION idle_clock_basis_after_write();
CREATE TRIGGER supply_contract_idle_basis_insert AFTER INSERT ON supply_contract
    REFERENCING NEW TABLE AS touched
    FOR EACH STATEMENT EXECUTE FUNCTION idle_clock_basis_after_write();

-- Every contract's basis from the reports already there.
SELECT idle_clock_basis_refresh(ARRAY(SELECT contract_no FROM supply_contract
                                      UNION SELECT contract_no FROM site_progress));
ANALYZE idle_clock_basis;

REVOKE ALL ON idle_clock_basis FROM PUBLIC;
DO $grants$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'parks_app') THEN
        GRANT SELECT ON idle_clock_basis TO parks_app;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'parks_auditor') THEN
        GRANT SELECT ON idle_clock_basis TO parks_auditor;
    END IF;
END
$grants$;

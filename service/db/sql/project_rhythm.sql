-- Key projects under the city's review rhythm (migration 0022): the officials who take
-- charge of projects (包抓领导) and their assignments, each project's annual plan (planned
-- investment by month, planned milestones, the image-progress target by quarter), its
-- monthly reports and the milestones it reached, site visits (观摩) and their scores, the
-- problems raised (问题清单) and the settings the rhythm's outputs judge by.
--
-- Each table keeps its history the way the supervision records do (supervision.sql): a row
-- is a version, valid from the change set that made it (kind ``projects`` or
-- ``project_setting``) until the change set that ended it; at most one standing version per
-- key; supervision_history_guard refuses edits, deletions and back-dated versions, whoever
-- writes. Writers: service/projects/writes.py (the API), the sample loader. Money 万元.

CREATE TABLE project_official (
    version_id             bigserial PRIMARY KEY,
    official_code          text NOT NULL,            -- the dispatch office's own code
    name                   text NOT NULL,
    title                  text,                     -- 职务, e.g. 副区长
    unit                   text,                     -- 单位, e.g. 高新区管委会
    valid_from             timestamptz NOT NULL,
    valid_to               timestamptz,
    change_set_id          bigint NOT NULL REFERENCES change_set (id),
    ended_by_change_set_id bigint REFERENCES change_set (id),
    CONSTRAINT project_official_code_text CHECK (official_code ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$'),
    CONSTRAINT project_official_period_order CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE UNIQUE INDEX project_official_standing ON project_official (official_code)
    WHERE valid_to IS NULL;
CREATE INDEX project_official_change_set ON project_official (change_set_id);

CREATE TABLE project_assignment (
    version_id             bigserial PRIMARY KEY,
    project_code           text NOT NULL REFERENCES project (project_code),
    official_code          text NOT NULL,
    role                   text NOT NULL DEFAULT 'lead',   -- lead (牵头包抓) or member (配合)
    assigned_on            date NOT NULL,
    valid_from             timestamptz NOT NULL,
    valid_to               timestamptz,
    change_set_id          bigint NOT NULL REFERENCES change_set (id),
    ended_by_change_set_id bigint REFERENCES change_set (id),
    CONSTRAINT project_assignment_role CHECK (role IN ('lead', 'member')),
    CONSTRAINT project_assignment_period_order CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE UNIQUE INDEX project_assignment_standing ON project_assignment (project_code, official_code)
    WHERE valid_to IS NULL;
CREATE INDEX project_assignment_standing_official ON project_assignment (official_code)
    WHERE valid_to IS NULL;
CREATE INDEX project_assignment_change_set ON project_assignment (change_set_id);

CREATE TABLE project_plan_investment (
    version_id             bigserial PRIMARY KEY,
    project_code           text NOT NULL REFERENCES project (project_code),
    year                   smallint NOT NULL,
    month                  smallint NOT NULL,
    planned_wan            numeric(14, 2) NOT NULL,  -- investment planned for the month
    valid_from             timestamptz NOT NULL,
    valid_to               timestamptz,
    change_set_id          bigint NOT NULL REFERENCES change_set (id),
    ended_by_change_set_id bigint REFERENCES change_set (id),
    CONSTRAINT project_plan_investment_period CHECK (year BETWEEN 1990 AND 2200
                                                     AND month BETWEEN 1 AND 12),
    CONSTRAINT project_plan_investment_amount CHECK (planned_wan >= 0),
    CONSTRAINT project_plan_investment_period_order CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE UNIQUE INDEX project_plan_investment_standing
    ON project_plan_investment (project_code, year, month) WHERE valid_to IS NULL;
CREATE INDEX project_plan_investment_standing_year
    ON project_plan_investment (year, month) WHERE valid_to IS NULL;
CREATE INDEX project_plan_investment_change_set ON project_plan_investment (change_set_id);

CREATE TABLE project_plan_milestone (
    version_id             bigserial PRIMARY KEY,
    project_code           text NOT NULL REFERENCES project (project_code),
    year                   smallint NOT NULL,
    -- signing 签约, land_supply 供地, construction_start 开工, structure_complete 主体完工,
    -- equipment_installed 设备安装, production_start 投产, full_production 达产
    milestone              text NOT NULL,
    planned_on             date NOT NULL,
    valid_from             timestamptz NOT NULL,
    valid_to               timestamptz,
    change_set_id          bigint NOT NULL REFERENCES change_set (id),
    ended_by_change_set_id bigint REFERENCES change_set (id),
    CONSTRAINT project_plan_milestone_known CHECK (milestone IN (
        'signing', 'land_supply', 'construction_start', 'structure_complete',
        'equipment_installed', 'production_start', 'full_production')),
    CONSTRAINT project_plan_milestone_in_year CHECK (
        year BETWEEN 1990 AND 2200 AND extract(year FROM planned_on) = year),
    CONSTRAINT project_plan_milestone_period_order CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE UNIQUE INDEX project_plan_milestone_standing
    ON project_plan_milestone (project_code, year, milestone) WHERE valid_to IS NULL;
CREATE INDEX project_plan_milestone_standing_year
    ON project_plan_milestone (year, planned_on) WHERE valid_to IS NULL;
CREATE INDEX project_plan_milestone_change_set ON project_plan_milestone (change_set_id);

CREATE TABLE project_plan_progress (
    version_id             bigserial PRIMARY KEY,
    project_code           text NOT NULL REFERENCES project (project_code),
    year                   smallint NOT NULL,
    quarter                smallint NOT NULL,
    target_pct             numeric(5, 2) NOT NULL,   -- 形象进度 target at the quarter's end, %
    target_text            text,                     -- what the site should look like
    valid_from             timestamptz NOT NULL,
    valid_to               timestamptz,
    change_set_id          bigint NOT NULL REFERENCES change_set (id),
    ended_by_change_set_id bigint REFERENCES change_set (id),
    CONSTRAINT project_plan_progress_period CHECK (year BETWEEN 1990 AND 2200
                                                   AND quarter BETWEEN 1 AND 4),
    CONSTRAINT project_plan_progress_pct CHECK (target_pct BETWEEN 0 AND 100),
    CONSTRAINT project_plan_progress_period_order CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE UNIQUE INDEX project_plan_progress_standing
    ON project_plan_progress (project_code, year, quarter) WHERE valid_to IS NULL;
CREATE INDEX project_plan_progress_change_set ON project_plan_progress (change_set_id);

CREATE TABLE project_report (
    version_id                 bigserial PRIMARY KEY,
    project_code               text NOT NULL REFERENCES project (project_code),
    year                       smallint NOT NULL,
    month                      smallint NOT NULL,
    investment_wan             numeric(14, 2) NOT NULL,  -- completed in the month
    cumulative_investment_wan  numeric(14, 2) NOT NULL,  -- completed since the project began
    image_progress_text        text,                     -- 形象进度, as the site reports it
    image_progress_pct         numeric(5, 2),            -- the same as a percentage
    employment                 integer,                  -- people working on or in it
    output_wan                 numeric(14, 2),           -- 产值 in the month, once operating
    reported_on                date NOT NULL,
    valid_from                 timestamptz NOT NULL,
    valid_to                   timestamptz,
    change_set_id              bigint NOT NULL REFERENCES change_set (id),
    ended_by_change_set_id     bigint REFERENCES change_set (id),
    CONSTRAINT project_report_period CHECK (year BETWEEN 1990 AND 2200 AND month BETWEEN 1 AND 12),
    CONSTRAINT project_report_amounts CHECK (
        investment_wan >= 0 AND cumulative_investment_wan >= investment_wan
        AND (image_progress_pct IS NULL OR image_progress_pct BETWEEN 0 AND 100)
        AND (employment IS NULL OR employment >= 0)
        AND (output_wan IS NULL OR output_wan >= 0)),
    CONSTRAINT project_report_period_order CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE UNIQUE INDEX project_report_standing ON project_report (project_code, year, month)
    WHERE valid_to IS NULL;
CREATE INDEX project_report_standing_year ON project_report (year, month) WHERE valid_to IS NULL;
CREATE INDEX project_report_change_set ON project_report (change_set_id);

CREATE TABLE project_milestone_reached (
    version_id             bigserial PRIMARY KEY,
    project_code           text NOT NULL REFERENCES project (project_code),
    milestone              text NOT NULL,
    reached_on             date NOT NULL,
    valid_from             timestamptz NOT NULL,
    valid_to               timestamptz,
    change_set_id          bigint NOT NULL REFERENCES change_set (id),
    ended_by_change_set_id bigint REFERENCES change_set (id),
    CONSTRAINT project_milestone_reached_known CHECK (milestone IN (
        'signing', 'land_supply', 'construction_start', 'structure_complete',
        'equipment_installed', 'production_start', 'full_production')),
    CONSTRAINT project_milestone_reached_period_order CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE UNIQUE INDEX project_milestone_reached_standing
    ON project_milestone_reached (project_code, milestone) WHERE valid_to IS NULL;
CREATE INDEX project_milestone_reached_change_set ON project_milestone_reached (change_set_id);

CREATE TABLE project_visit (
    version_id             bigserial PRIMARY KEY,
    project_code           text NOT NULL REFERENCES project (project_code),
    visited_on             date NOT NULL,
    kind                   text NOT NULL DEFAULT 'weekly',  -- weekly (周观摩) or inspection (专项督查)
    visitors               text NOT NULL,            -- who visited, as the record names them
    findings               text,
    score                  numeric(5, 2),            -- 0..100 where the visit was scored
    valid_from             timestamptz NOT NULL,
    valid_to               timestamptz,
    change_set_id          bigint NOT NULL REFERENCES change_set (id),
    ended_by_change_set_id bigint REFERENCES change_set (id),
    CONSTRAINT project_visit_kind CHECK (kind IN ('weekly', 'inspection')),
    CONSTRAINT project_visit_score CHECK (score IS NULL OR score BETWEEN 0 AND 100),
    CONSTRAINT project_visit_period_order CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE UNIQUE INDEX project_visit_standing ON project_visit (project_code, visited_on)
    WHERE valid_to IS NULL;
CREATE INDEX project_visit_standing_day ON project_visit (visited_on) WHERE valid_to IS NULL;
CREATE INDEX project_visit_change_set ON project_visit (change_set_id);

CREATE TABLE project_problem (
    version_id             bigserial PRIMARY KEY,
    problem_no             text NOT NULL,            -- <project code>-Q<nnn>, given at raising
    project_code           text NOT NULL REFERENCES project (project_code),
    description            text NOT NULL,
    -- land, planning_approval, financing, power_water, labour, other
    category               text NOT NULL,
    raised_on              date NOT NULL,
    department             text NOT NULL,            -- 责任部门
    official_code          text,                     -- the 包抓 official who owns it
    due_on                 date NOT NULL,
    status                 text NOT NULL DEFAULT 'open',  -- open, in_progress, solved
    resolution             text,
    solved_on              date,
    valid_from             timestamptz NOT NULL,
    valid_to               timestamptz,
    change_set_id          bigint NOT NULL REFERENCES change_set (id),
    ended_by_change_set_id bigint REFERENCES change_set (id),
    CONSTRAINT project_problem_category CHECK (category IN (
        'land', 'planning_approval', 'financing', 'power_water', 'labour', 'other')),
    CONSTRAINT project_problem_status CHECK (status IN ('open', 'in_progress', 'solved')),
    CONSTRAINT project_problem_dates CHECK (due_on >= raised_on
                                            AND (solved_on IS NULL OR solved_on >= raised_on)),
    CONSTRAINT project_problem_solved CHECK (
        (status = 'solved') = (solved_on IS NOT NULL)
        AND (status <> 'solved' OR resolution IS NOT NULL)),
    CONSTRAINT project_problem_period_order CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE UNIQUE INDEX project_problem_standing ON project_problem (problem_no) WHERE valid_to IS NULL;
CREATE INDEX project_problem_standing_project ON project_problem (project_code)
    WHERE valid_to IS NULL;
CREATE INDEX project_problem_history ON project_problem (problem_no, valid_from);
CREATE INDEX project_problem_change_set ON project_problem (change_set_id);

CREATE TABLE project_setting (
    version_id             bigserial PRIMARY KEY,
    name                   text NOT NULL,            -- parks/projects/settings.py names them
    value                  jsonb NOT NULL,
    valid_from             timestamptz NOT NULL,
    valid_to               timestamptz,
    change_set_id          bigint NOT NULL REFERENCES change_set (id),
    ended_by_change_set_id bigint REFERENCES change_set (id),
    CONSTRAINT project_setting_period_order CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE UNIQUE INDEX project_setting_standing ON project_setting (name) WHERE valid_to IS NULL;
CREATE INDEX project_setting_change_set ON project_setting (change_set_id);

-- History is kept, whoever writes (supervision_history_guard, supervision.sql), and nothing
-- is truncated.
DO $guards$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['project_official', 'project_assignment', 'project_plan_investment',
                             'project_plan_milestone', 'project_plan_progress', 'project_report',
                             'project_milestone_reached', 'project_visit', 'project_problem',
                             'project_setting'] LOOP
        EXECUTE format('CREATE TRIGGER %I BEFORE INSERT OR UPDATE OR DELETE ON %I '
                       'FOR EACH ROW EXECUTE FUNCTION supervision_history_guard()',
                       t || '_history_guard', t);
        EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I FOR EACH STATEMENT '
                       'EXECUTE FUNCTION refuse_change(%L)', t || '_no_truncate', t,
                       'key project records are kept with their history');
    END LOOP;
END
$guards$;

-- Who may do what (privileges.sql lists the same, when it runs again): the service's role
-- reads and inserts versions and may end a standing one; the auditor reads.
DO $grants$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['project_official', 'project_assignment', 'project_plan_investment',
                             'project_plan_milestone', 'project_plan_progress', 'project_report',
                             'project_milestone_reached', 'project_visit', 'project_problem',
                             'project_setting'] LOOP
        EXECUTE format('REVOKE ALL ON %I FROM PUBLIC', t);
        EXECUTE format('REVOKE ALL ON SEQUENCE %I FROM PUBLIC', t || '_version_id_seq');
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'parks_app') THEN
            EXECUTE format('GRANT SELECT, INSERT, UPDATE (valid_to, ended_by_change_set_id) '
                           'ON %I TO parks_app', t);
            EXECUTE format('GRANT USAGE ON SEQUENCE %I TO parks_app', t || '_version_id_seq');
        END IF;
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'parks_auditor') THEN
            EXECUTE format('GRANT SELECT ON %I TO parks_auditor', t);
        END IF;
    END LOOP;
END
$grants$;

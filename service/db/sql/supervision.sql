-- Land supervision's records (migration 0019): enterprises, supply contracts, progress on
-- the ground, government-caused delays, approval batches and the land in them, the
-- enterprises' yearly figures, and the settings supervision judges by. Each table keeps
-- its history the way parcel_version does: a row is a version, valid from the change set
-- that made it (change_set_id, valid_from = that change set's time) until the change set
-- that ended it (ended_by_change_set_id, valid_to); at most one standing version per key.
-- Writers: service/supervision/records.py. Areas are planar m² (EPSG:4545), money 万元.

CREATE TABLE enterprise (
    version_id             bigserial PRIMARY KEY,
    enterprise_code        text NOT NULL,            -- 统一社会信用代码 (or the park's own code)
    name                   text NOT NULL,            -- as parcels' holder and leases' tenant name it
    industry               text,
    valid_from             timestamptz NOT NULL,
    valid_to               timestamptz,
    change_set_id          bigint NOT NULL REFERENCES change_set (id),
    ended_by_change_set_id bigint REFERENCES change_set (id),
    CONSTRAINT enterprise_code_text CHECK (enterprise_code ~ '^[0-9A-Z-]{1,40}$'),
    CONSTRAINT enterprise_period_order CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE UNIQUE INDEX enterprise_standing ON enterprise (enterprise_code) WHERE valid_to IS NULL;
CREATE INDEX enterprise_standing_name ON enterprise (name) WHERE valid_to IS NULL;
CREATE INDEX enterprise_change_set ON enterprise (change_set_id);

CREATE TABLE supply_contract (
    version_id                     bigserial PRIMARY KEY,
    contract_no                    text NOT NULL,     -- 出让合同 / 划拨决定书 number
    parcel_code                    text NOT NULL,
    park                           text NOT NULL REFERENCES park (code),
    holder                         text NOT NULL,     -- the land user as the contract names it
    enterprise_code                text,
    batch_no                       text,              -- the approval batch the land came from
    signed_on                      date NOT NULL,
    supply_mode                    text NOT NULL,
    price_wan                      numeric(14, 2) NOT NULL,
    land_area_m2                   double precision NOT NULL,
    agreed_start_on                date NOT NULL,     -- 约定动工日期
    agreed_completion_on           date NOT NULL,     -- 约定竣工日期
    committed_investment_wan       numeric(14, 2) NOT NULL,
    plot_ratio_min                 numeric(6, 3),
    plot_ratio_max                 numeric(6, 3),
    building_coverage_min          numeric(5, 4),     -- share, 0..1 (建筑系数)
    office_share_max               numeric(5, 4) NOT NULL DEFAULT 0.07,
    committed_tax_wan_per_mu_year  numeric(12, 3),
    document_no                    text,
    -- 投资强度: committed fixed-asset investment (万元) per 亩 of the land supplied
    investment_intensity_wan_per_mu double precision GENERATED ALWAYS AS
        (committed_investment_wan::double precision / (land_area_m2 * 15 / 10000)) STORED,
    valid_from                     timestamptz NOT NULL,
    valid_to                       timestamptz,
    change_set_id                  bigint NOT NULL REFERENCES change_set (id),
    ended_by_change_set_id         bigint REFERENCES change_set (id),
    CONSTRAINT supply_contract_mode CHECK (supply_mode IN ('grant', 'allocate', 'lease')),
    CONSTRAINT supply_contract_area CHECK (land_area_m2 > 0),
    CONSTRAINT supply_contract_amounts CHECK (price_wan >= 0 AND committed_investment_wan >= 0),
    CONSTRAINT supply_contract_dates CHECK (agreed_start_on >= signed_on
                                            AND agreed_completion_on >= agreed_start_on),
    CONSTRAINT supply_contract_plot_ratio CHECK (
        (plot_ratio_min IS NULL OR plot_ratio_min > 0)
        AND (plot_ratio_max IS NULL OR plot_ratio_min IS NULL OR plot_ratio_max >= plot_ratio_min)),
    CONSTRAINT supply_contract_shares CHECK (
        (building_coverage_min IS NULL OR building_coverage_min BETWEEN 0 AND 1)
        AND office_share_max BETWEEN 0 AND 1),
    CONSTRAINT supply_contract_period_order CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE UNIQUE INDEX supply_contract_standing ON supply_contract (contract_no) WHERE valid_to IS NULL;
CREATE INDEX supply_contract_standing_parcel ON supply_contract (parcel_code) WHERE valid_to IS NULL;
CREATE INDEX supply_contract_standing_park ON supply_contract (park) WHERE valid_to IS NULL;
CREATE INDEX supply_contract_change_set ON supply_contract (change_set_id);

CREATE TABLE site_progress (
    version_id             bigserial PRIMARY KEY,
    contract_no            text NOT NULL,
    reported_on            date NOT NULL,
    -- start (实际动工), report (a progress report), suspension (停工), resumption (复工),
    -- completion (竣工验收)
    kind                   text NOT NULL,
    developed_area_m2      double precision,          -- land developed to date (m²)
    investment_wan         numeric(14, 2),            -- fixed-asset investment made to date
    plot_ratio             numeric(6, 3),             -- measured, at completion
    building_coverage      numeric(5, 4),
    office_share           numeric(5, 4),
    note                   text,
    valid_from             timestamptz NOT NULL,
    valid_to               timestamptz,
    change_set_id          bigint NOT NULL REFERENCES change_set (id),
    ended_by_change_set_id bigint REFERENCES change_set (id),
    CONSTRAINT site_progress_kind CHECK (
        kind IN ('start', 'report', 'suspension', 'resumption', 'completion')),
    CONSTRAINT site_progress_amounts CHECK (
        (developed_area_m2 IS NULL OR developed_area_m2 >= 0)
        AND (investment_wan IS NULL OR investment_wan >= 0)
        AND (plot_ratio IS NULL OR plot_ratio >= 0)
        AND (building_coverage IS NULL OR building_coverage BETWEEN 0 AND 1)
        AND (office_share IS NULL OR office_share BETWEEN 0 AND 1)),
    CONSTRAINT site_progress_period_order CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE UNIQUE INDEX site_progress_standing ON site_progress (contract_no, reported_on, kind)
    WHERE valid_to IS NULL;
CREATE INDEX site_progress_change_set ON site_progress (change_set_id);

CREATE TABLE idle_delay (
    version_id             bigserial PRIMARY KEY,
    contract_no            text NOT NULL,
    delay_from             date NOT NULL,
    delay_to               date,                      -- open: the delay still runs
    cause                  text NOT NULL,             -- 政府原因: what the government did or did not
    document_no            text NOT NULL,             -- the document that records it
    valid_from             timestamptz NOT NULL,
    valid_to               timestamptz,
    change_set_id          bigint NOT NULL REFERENCES change_set (id),
    ended_by_change_set_id bigint REFERENCES change_set (id),
    CONSTRAINT idle_delay_dates CHECK (delay_to IS NULL OR delay_to >= delay_from),
    CONSTRAINT idle_delay_period_order CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE UNIQUE INDEX idle_delay_standing ON idle_delay (contract_no, delay_from)
    WHERE valid_to IS NULL;
CREATE INDEX idle_delay_change_set ON idle_delay (change_set_id);

CREATE TABLE approval_batch (
    version_id             bigserial PRIMARY KEY,
    batch_no               text NOT NULL,             -- 建设用地批次
    park                   text NOT NULL REFERENCES park (code),
    name                   text NOT NULL,
    -- conversion (农用地转用), expropriation (土地征收), or both in one approval
    kind                   text NOT NULL,
    approved_on            date NOT NULL,
    approved_area_m2       double precision NOT NULL,
    document_no            text,
    valid_from             timestamptz NOT NULL,
    valid_to               timestamptz,
    change_set_id          bigint NOT NULL REFERENCES change_set (id),
    ended_by_change_set_id bigint REFERENCES change_set (id),
    CONSTRAINT approval_batch_kind CHECK (
        kind IN ('conversion', 'expropriation', 'conversion_expropriation')),
    CONSTRAINT approval_batch_area CHECK (approved_area_m2 > 0),
    CONSTRAINT approval_batch_period_order CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE UNIQUE INDEX approval_batch_standing ON approval_batch (batch_no) WHERE valid_to IS NULL;
CREATE INDEX approval_batch_change_set ON approval_batch (change_set_id);

CREATE TABLE approval_batch_parcel (
    version_id             bigserial PRIMARY KEY,
    batch_no               text NOT NULL,
    parcel_code            text NOT NULL,
    area_m2                double precision NOT NULL, -- the batch's land in this parcel
    valid_from             timestamptz NOT NULL,
    valid_to               timestamptz,
    change_set_id          bigint NOT NULL REFERENCES change_set (id),
    ended_by_change_set_id bigint REFERENCES change_set (id),
    CONSTRAINT approval_batch_parcel_area CHECK (area_m2 > 0),
    CONSTRAINT approval_batch_parcel_period_order CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE UNIQUE INDEX approval_batch_parcel_standing ON approval_batch_parcel (batch_no, parcel_code)
    WHERE valid_to IS NULL;
CREATE INDEX approval_batch_parcel_standing_parcel ON approval_batch_parcel (parcel_code)
    WHERE valid_to IS NULL;
CREATE INDEX approval_batch_parcel_change_set ON approval_batch_parcel (change_set_id);

CREATE TABLE enterprise_figures (
    version_id             bigserial PRIMARY KEY,
    enterprise_code        text NOT NULL,
    year                   smallint NOT NULL,
    tax_wan                numeric(14, 2) NOT NULL,   -- 税收 paid in the year
    revenue_wan            numeric(14, 2) NOT NULL,   -- 销售收入
    added_value_wan        numeric(14, 2),            -- 工业增加值
    energy_tce             numeric(14, 3),            -- 综合能耗, tonnes of coal equivalent
    rd_wan                 numeric(14, 2),            -- R&D 经费
    employees              integer,
    valid_from             timestamptz NOT NULL,
    valid_to               timestamptz,
    change_set_id          bigint NOT NULL REFERENCES change_set (id),
    ended_by_change_set_id bigint REFERENCES change_set (id),
    CONSTRAINT enterprise_figures_year CHECK (year BETWEEN 1990 AND 2200),
    CONSTRAINT enterprise_figures_amounts CHECK (
        revenue_wan >= 0 AND (energy_tce IS NULL OR energy_tce >= 0)
        AND (rd_wan IS NULL OR rd_wan >= 0) AND (employees IS NULL OR employees >= 0)),
    CONSTRAINT enterprise_figures_period_order CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE UNIQUE INDEX enterprise_figures_standing ON enterprise_figures (year, enterprise_code)
    WHERE valid_to IS NULL;
CREATE INDEX enterprise_figures_change_set ON enterprise_figures (change_set_id);

CREATE TABLE supervision_setting (
    version_id             bigserial PRIMARY KEY,
    name                   text NOT NULL,             -- parks/supervision/settings.py names them
    value                  jsonb NOT NULL,
    valid_from             timestamptz NOT NULL,
    valid_to               timestamptz,
    change_set_id          bigint NOT NULL REFERENCES change_set (id),
    ended_by_change_set_id bigint REFERENCES change_set (id),
    CONSTRAINT supervision_setting_period_order CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE UNIQUE INDEX supervision_setting_standing ON supervision_setting (name) WHERE valid_to IS NULL;
CREATE INDEX supervision_setting_change_set ON supervision_setting (change_set_id);

-- History is kept, whoever writes: a version is made by the transaction of its change set
-- and valid from that change set's time; a standing version may only be ended (valid_to and
-- ended_by_change_set_id set, by this transaction's change set, nothing else changed); a
-- closed version is never edited; no version is deleted.
CREATE OR REPLACE FUNCTION supervision_history_guard() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_cs change_set%ROWTYPE;
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION USING ERRCODE = 'MF002',
            MESSAGE = format('DELETE from %s is refused: its history is kept (end the version '
                             'in a change set instead)', TG_TABLE_NAME);
    END IF;
    SELECT * INTO v_cs FROM change_set WHERE txid = txid_current();
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'MF002',
            MESSAGE = format('%s on %s is refused: it must be made in a change set of this '
                             'transaction', TG_OP, TG_TABLE_NAME);
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF NEW.change_set_id IS DISTINCT FROM v_cs.id OR NEW.valid_to IS NOT NULL
           OR NEW.ended_by_change_set_id IS NOT NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'MF002',
                MESSAGE = format('INSERT into %s is refused: a new version is standing and made '
                                 'by this transaction''s change set %s', TG_TABLE_NAME, v_cs.id);
        END IF;
        NEW.valid_from := v_cs.committed_at;
        RETURN NEW;
    END IF;
    -- UPDATE: only the ending of a standing version
    IF OLD.valid_to IS NOT NULL
       OR NEW.valid_to IS DISTINCT FROM v_cs.committed_at
       OR NEW.ended_by_change_set_id IS DISTINCT FROM v_cs.id
       -- (a generated column is not yet computed in NEW before the update: left out)
       OR (to_jsonb(NEW) - 'valid_to' - 'ended_by_change_set_id'
                         - 'investment_intensity_wan_per_mu')
          IS DISTINCT FROM (to_jsonb(OLD) - 'valid_to' - 'ended_by_change_set_id'
                                          - 'investment_intensity_wan_per_mu') THEN
        RAISE EXCEPTION USING ERRCODE = 'MF002',
            MESSAGE = format('UPDATE of %s version %s is refused: a version is never edited, '
                             'only ended by a later change set', TG_TABLE_NAME, OLD.version_id);
    END IF;
    RETURN NEW;
END $$;

DO $guards$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['enterprise', 'supply_contract', 'site_progress', 'idle_delay',
                             'approval_batch', 'approval_batch_parcel', 'enterprise_figures',
                             'supervision_setting'] LOOP
        EXECUTE format('CREATE TRIGGER %I BEFORE INSERT OR UPDATE OR DELETE ON %I '
                       'FOR EACH ROW EXECUTE FUNCTION supervision_history_guard()',
                       t || '_history_guard', t);
        EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I FOR EACH STATEMENT '
                       'EXECUTE FUNCTION refuse_change(%L)', t || '_no_truncate', t,
                       'supervision records are kept with their history');
    END LOOP;
END
$guards$;

-- Who may do what (the same as privileges.sql lists, when it runs again): the service's role
-- reads and inserts versions and may end a standing one (valid_to, ended_by_change_set_id);
-- the auditor reads; nobody else. Roles that don't exist are skipped (make db makes them).
DO $grants$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['enterprise', 'supply_contract', 'site_progress', 'idle_delay',
                             'approval_batch', 'approval_batch_parcel', 'enterprise_figures',
                             'supervision_setting'] LOOP
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
